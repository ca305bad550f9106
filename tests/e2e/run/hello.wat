;; SPDX-License-Identifier: Apache-2.0
;; hello.wat: "Hello, world!" through WASI fd_write, as WebAssembly text
;; (enarx run converts it to binary on the host).
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param $fd i32) (param $iovs i32) (param $n i32) (param $written i32)
      (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "Hello, world!\n")
  (func (export "_start")
    ;; one iovec at address 0: {buf = 16, len = 14}
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store offset=4 (i32.const 0) (i32.const 14))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
