;; The start function writes memory; the second module's start traps.
(module
  (memory (export "mem") 1)
  (func $init (i32.store (i32.const 0) (i32.const 42)))
  (start $init)
)
