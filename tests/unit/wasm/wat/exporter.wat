(module
  (memory (export "mem") 1)
  (table (export "tab") 2 funcref)
  (global (export "g") (mut i32) (i32.const 0))
  (elem (i32.const 0) $twice)
  (func $twice (export "twice") (param i32) (result i32) (i32.shl (local.get 0) (i32.const 1)))
  (func (export "peek") (result i32) (i32.load (i32.const 100)))
)
