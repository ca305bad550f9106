;; The guest module of the embedding example: prints a greeting through a
;; host function, computes a sum of squares, and has a function that traps.
(module
  (import "host" "print" (func $print (param i32 i32)))
  (import "host" "square" (func $square (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "hello from wasm")
  (global $calls (export "calls") (mut i32) (i32.const 0))
  (func (export "greet") (call $print (i32.const 64) (i32.const 15)))
  ;; sum of square(i) for i in 1..n, squares computed by the host
  (func (export "sum_squares") (param $n i32) (result i64) (local $acc i64)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i64.add (local.get $acc)
                                 (i64.extend_i32_u (call $square (local.get $n)))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  (func $divide (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
  (func (export "crash") (result i32) (call $divide (i32.const 1) (i32.const 0)))
)
