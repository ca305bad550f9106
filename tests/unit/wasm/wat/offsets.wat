;; SPDX-License-Identifier: Apache-2.0
;; Traps inside fused ops: the backtrace must name the same instruction as
;; in plain code (test_trap_offsets).
(module
  (memory 1)
  ;; a load feeding a store: one COPY op; either half may trap
  (func (export "copy") (param i32 i32) (result i32)
    (i32.store (local.get 1) (i32.load (local.get 0)))
    (i32.const 1))
  (func (export "copy8") (param i32 i32) (result i32)
    (i32.store8 offset=3 (local.get 1) (i32.load8_u offset=1 (local.get 0)))
    (i32.const 1))
  ;; read-modify-write, memory operand, scaled index, addressed load
  (func (export "rmw") (param i32 i32) (result i32)
    (i32.store (local.get 0) (i32.add (local.get 1) (i32.load (local.get 0))))
    (i32.const 1))
  (func (export "memop") (param i32 i32) (result i32)
    (i32.sub (local.get 1) (i32.load offset=4 (local.get 0))))
  (func (export "idx") (param i32 i32) (result i32)
    (i32.load (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 2)))))
  (func (export "addr") (param i32 i32) (result i32)
    (i32.load16_u (i32.add (local.get 0) (local.get 1))))
  ;; integer division by a value, then by a constant immediate
  (func (export "div") (param i32 i32) (result i32)
    (i32.div_u (i32.add (local.get 0) (i32.const 1)) (local.get 1)))
)
