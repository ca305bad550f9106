;; SPDX-License-Identifier: Apache-2.0
;; Globals (mutable, immutable, imported, exported, in constant
;; expressions), imports and exports of every kind between instances,
;; host (spectest) imports, the start function, and link/instantiation
;; failures.
(module $G
  (global $c (export "c") i32 (i32.const 42))
  (global $m (export "m") (mut i64) (i64.const -1))
  (global $f (export "f") (mut f64) (f64.const 1.5))
  (global $r (mut externref) (ref.null extern))
  (func (export "get_m") (result i64) (global.get $m))
  (func (export "set_m") (param i64) (global.set $m (local.get 0)))
  (func (export "add_f") (param f64) (result f64)
    (global.set $f (f64.add (global.get $f) (local.get 0))) (global.get $f))
  (func (export "set_r") (param externref) (global.set $r (local.get 0)))
  (func (export "get_r") (result externref) (global.get $r))
  (func (export "twice") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
  (memory (export "mem") 1 2)
  (table (export "tab") 2 funcref)
)
(assert_return (get "c") (i32.const 42))
(assert_return (get $G "m") (i64.const -1))
(assert_return (invoke "get_m") (i64.const -1))
(invoke "set_m" (i64.const 0x123456789))
(assert_return (get "m") (i64.const 0x123456789))
(assert_return (invoke "add_f" (f64.const 0.25)) (f64.const 1.75))
(assert_return (get "f") (f64.const 1.75))
(assert_return (invoke "get_r") (ref.null extern))
(invoke "set_r" (ref.extern 5))
(assert_return (invoke "get_r") (ref.extern 5))
(register "G" $G)

;; imports of every kind from a registered instance and from spectest
(module $U
  (import "G" "c" (global $c i32))
  (import "G" "m" (global $m (mut i64)))
  (import "G" "twice" (func $twice (param i32) (result i32)))
  (import "G" "mem" (memory 1))
  (import "spectest" "global_i32" (global $h i32))
  (import "spectest" "global_f64" (global $hf f64))
  (import "spectest" "print_i32" (func $print (param i32)))
  (global $derived i32 (global.get $c))
  (global $fromhost i32 (global.get $h))
  (func (export "derived") (result i32) (global.get $derived))
  (func (export "fromhost") (result i32) (global.get $fromhost))
  (func (export "hostf") (result f64) (global.get $hf))
  (func (export "call_twice") (param i32) (result i32) (call $twice (local.get 0)))
  (func (export "bump_m") (global.set $m (i64.add (global.get $m) (i64.const 1))))
  (func (export "print") (param i32) (call $print (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  ;; re-export of an import is the same object
  (export "twice_again" (func $twice))
  (export "m_again" (global $m))
)
(assert_return (invoke "derived") (i32.const 42))
(assert_return (invoke "fromhost") (i32.const 666))
(assert_return (invoke "hostf") (f64.const 666.6))
(assert_return (invoke "call_twice" (i32.const 21)) (i32.const 42))
(assert_return (invoke "twice_again" (i32.const 4)) (i32.const 8))
(invoke "print" (i32.const 1))
(invoke "bump_m")
(assert_return (get $G "m") (i64.const 0x12345678a))
(assert_return (get $U "m_again") (i64.const 0x12345678a))
;; the memory is shared: a store in $U is visible in $G's memory, growth too
(invoke $U "store" (i32.const 8) (i32.const 77))
(module $Reader
  (import "G" "mem" (memory 1))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "size") (result i32) (memory.size))
)
(assert_return (invoke $Reader "load" (i32.const 8)) (i32.const 77))
(assert_return (invoke $U "grow" (i32.const 1)) (i32.const 1))
(assert_return (invoke $Reader "size") (i32.const 2))
(assert_return (invoke $U "grow" (i32.const 1)) (i32.const -1))

;; the start function runs once, at instantiation, after the segments
(module $S
  (memory 1)
  (data (i32.const 0) "\05")
  (global $g (mut i32) (i32.const 0))
  (func $start (global.set $g (i32.add (i32.load8_u (i32.const 0)) (i32.const 1))))
  (start $start)
  (func (export "g") (result i32) (global.get $g))
)
(assert_return (invoke "g") (i32.const 6))

;; link errors: unknown module / name, wrong kind, wrong type, mutability
(assert_unlinkable
  (module (import "nowhere" "f" (func)))
  "unknown import")
(assert_unlinkable
  (module (import "G" "nothing" (func)))
  "unknown import")
(assert_unlinkable
  (module (import "G" "c" (func)))
  "incompatible import type")
(assert_unlinkable
  (module (import "G" "twice" (func (param i64) (result i32))))
  "incompatible import type")
(assert_unlinkable
  (module (import "G" "twice" (func (param i32))))
  "incompatible import type")
(assert_unlinkable
  (module (import "G" "c" (global (mut i32))))
  "incompatible import type")
(assert_unlinkable
  (module (import "G" "m" (global i64)))
  "incompatible import type")
(assert_unlinkable
  (module (import "G" "m" (global (mut i32))))
  "incompatible import type")
(assert_unlinkable
  (module (import "G" "mem" (memory 3)))
  "incompatible import type")
(assert_unlinkable
  (module (import "G" "mem" (memory 1 1)))
  "incompatible import type")
(assert_unlinkable
  (module (import "G" "tab" (table 3 funcref)))
  "incompatible import type")
(assert_unlinkable
  (module (import "G" "tab" (table 1 externref)))
  "incompatible import type")
(assert_unlinkable
  (module (import "spectest" "memory" (memory 1 1)))
  "incompatible import type")
(assert_unlinkable
  (module (import "spectest" "table" (table 10 15 funcref)))
  "incompatible import type")

;; instantiation failures: segments out of bounds, trapping start. Since
;; bulk memory, segments before the failing one stay written.
(module $M2
  (memory (export "mem") 1)
  (table (export "tab") 2 funcref)
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
)
(register "M2" $M2)
(assert_trap
  (module
    (import "M2" "mem" (memory 1))
    (data (i32.const 10) "\2a")
    (data (i32.const 65535) "ab"))
  "out of bounds memory access")
(assert_return (invoke $M2 "load" (i32.const 10)) (i32.const 42))
(assert_trap
  (module
    (import "M2" "tab" (table 2 funcref))
    (func $f)
    (elem (i32.const 1) $f $f))
  "out of bounds table access")
(assert_trap
  (module
    (import "M2" "mem" (memory 1))
    (func $s (i32.store8 (i32.const 11) (i32.const 43)) (unreachable))
    (start $s))
  "unreachable")
(assert_return (invoke $M2 "load" (i32.const 11)) (i32.const 43))
(assert_trap
  (module (memory 0) (data (i32.const 0) "x"))
  "out of bounds memory access")
(module (memory 0) (data (i32.const 0) ""))
