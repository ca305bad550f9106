;; Imports a memory, a table, a mutable global and a function from another
;; instance (see exporter.wat).
(module
  (import "lib" "mem" (memory 1))
  (import "lib" "tab" (table 2 funcref))
  (import "lib" "g" (global $g (mut i32)))
  (import "lib" "twice" (func $twice (param i32) (result i32)))
  (func (export "run") (param i32) (result i32)
    (i32.store (i32.const 100) (call $twice (local.get 0)))
    (global.set $g (i32.load (i32.const 100)))
    (call_indirect (param i32) (result i32) (global.get $g) (i32.const 0)))
)
