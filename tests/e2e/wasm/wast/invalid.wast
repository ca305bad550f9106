;; SPDX-License-Identifier: Apache-2.0
;; Validation failures (assert_invalid) and malformed binaries
;; (assert_malformed with binary modules): each must be rejected at load.
(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_invalid (module (func (i32.add (i32.const 1)) (drop))) "type mismatch")
(assert_invalid (module (func (param i32) (result f32) (local.get 0))) "type mismatch")
(assert_invalid (module (func (local.get 0) (drop))) "unknown local")
(assert_invalid (module (func (local i32) (local.set 0 (i64.const 1)))) "type mismatch")
(assert_invalid (module (func (call 5))) "unknown function")
(assert_invalid (module (func (br 1))) "unknown label")
(assert_invalid (module (func (block (result i32) (br 0)))) "type mismatch")
(assert_invalid (module (func (result i32) (block (result i32) (i32.const 1) (br_if 0 (i64.const 1))))) "type mismatch")
(assert_invalid (module (func (block $a (result i32) (block $b (result i64) (br_table $a $b (i32.const 0) (i32.const 0))) (drop)) (drop))) "type mismatch")
(assert_invalid (module (func (if (i32.const 1) (then (i32.const 1))))) "type mismatch")
(assert_invalid (module (func (result i32) (if (result i32) (i32.const 1) (then (i32.const 1))))) "type mismatch")
(assert_invalid (module (func (loop (result i32) (br 0 (i32.const 1))))) "type mismatch")
(assert_invalid (module (func (select (i32.const 1) (i64.const 1) (i32.const 1)) (drop))) "type mismatch")
(assert_invalid (module (func (select (ref.null extern) (ref.null extern) (i32.const 1)) (drop))) "type mismatch")
(assert_invalid (module (func (i32.load (i32.const 0)) (drop))) "unknown memory")
(assert_invalid (module (memory 1) (func (i32.load align=8 (i32.const 0)) (drop))) "alignment must not be larger than natural")
(assert_invalid (module (memory 1) (func (i64.store32 align=8 (i32.const 0) (i64.const 0)))) "alignment must not be larger than natural")
(assert_invalid (module (func (memory.size) (drop))) "unknown memory")
(assert_invalid (module (memory 1) (func (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 0)))) "unknown data segment")
(assert_invalid (module (func (data.drop 0))) "unknown data segment")
(assert_invalid (module (func (table.get 0 (i32.const 0)) (drop))) "unknown table")
(assert_invalid (module (table 1 funcref) (func (table.set 0 (i32.const 0) (ref.null extern)))) "type mismatch")
(assert_invalid (module (table 1 funcref) (func (call_indirect (type 3) (i32.const 0)))) "unknown type")
(assert_invalid (module (func (elem.drop 0))) "unknown elem segment")
(assert_invalid (module (func $f) (func (ref.func $f) (drop))) "undeclared function reference")
(assert_invalid (module (global i32 (i64.const 0))) "type mismatch")
(assert_invalid (module (global i32 (i32.add (i32.const 0) (i32.const 1)))) "constant expression required")
(assert_invalid (module (global $g (mut i32) (i32.const 0)) (global i32 (global.get $g))) "unknown global")
(assert_invalid (module (global i32 (i32.const 0)) (func (global.set 0 (i32.const 1)))) "global is immutable")
(assert_invalid (module (memory 2 1)) "size minimum must not be greater than maximum")
(assert_invalid (module (memory 65537)) "memory size must be at most 65536 pages (4GiB)")
(assert_invalid (module (table 2 1 funcref)) "size minimum must not be greater than maximum")
(assert_invalid (module (func) (start 1)) "unknown function")
(assert_invalid (module (func $f (param i32)) (start $f)) "start function")
(assert_invalid (module (func (export "a")) (export "a" (func 0))) "duplicate export name")
(assert_invalid (module (memory 1) (data (i64.const 0) "")) "type mismatch")
(assert_invalid (module (table 1 funcref) (elem (i32.const 0) externref (ref.null extern))) "type mismatch")
(assert_invalid (module (func (result i32 i32) (i32.const 1))) "type mismatch")
(assert_invalid (module (func (result i32) (unreachable) (i64.const 0))) "type mismatch")

;; malformed binaries
(assert_malformed (module binary "") "unexpected end")
(assert_malformed (module binary "\00asm") "unexpected end")
(assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")
(assert_malformed (module binary "\00ASM\01\00\00\00") "magic header not detected")
(assert_malformed (module binary "\00asm\01\00\00\00\0e\00") "malformed section id")
(assert_malformed (module binary "\00asm\01\00\00\00\01\05\01\60\00\00") "section size mismatch")
(assert_malformed (module binary "\00asm\01\00\00\00\01\04\01\60\00") "unexpected end")
(assert_malformed (module binary "\00asm\01\00\00\00\01\04\01\61\00\00") "integer representation too long")
;; a function section without a code section
(assert_malformed (module binary "\00asm\01\00\00\00\01\04\01\60\00\00\03\02\01\00") "function and code section have inconsistent lengths")
;; sections out of order (function before type)
(assert_malformed (module binary "\00asm\01\00\00\00\03\02\01\00\01\04\01\60\00\00\0a\04\01\02\00\0b") "unexpected content after last section")
;; LEB128 too long / too big
(assert_malformed (module binary "\00asm\01\00\00\00\05\07\01\00\82\80\80\80\80\00") "integer representation too long")
(assert_malformed (module binary "\00asm\01\00\00\00\05\07\01\00\82\80\80\80\70") "integer too large")
;; a code body that ends without `end`
(assert_malformed (module binary "\00asm\01\00\00\00\01\04\01\60\00\00\03\02\01\00\0a\04\01\02\00\01") "END opcode expected")
;; an unknown opcode
(assert_malformed (module binary "\00asm\01\00\00\00\01\04\01\60\00\00\03\02\01\00\0a\05\01\03\00\ff\0b") "illegal opcode")
;; memory.size with a non-zero reserved byte
(assert_malformed (module binary "\00asm\01\00\00\00\01\04\01\60\00\00\03\02\01\00\05\03\01\00\01\0a\07\01\05\00\3f\01\1a\0b") "zero byte expected")
;; too many locals
(assert_malformed (module binary "\00asm\01\00\00\00\01\04\01\60\00\00\03\02\01\00\0a\0c\01\0a\02\ff\ff\ff\ff\0f\7f\02\7e\0b") "too many locals")
;; data count section disagreeing with the data section
(assert_malformed (module binary "\00asm\01\00\00\00\05\03\01\00\01\0c\01\02\0b\07\01\00\41\00\0b\01\61") "data count and data section have inconsistent lengths")
;; memory.init without a data count section
(assert_malformed (module binary "\00asm\01\00\00\00\01\04\01\60\00\00\03\02\01\00\05\03\01\00\01\0a\0e\01\0c\00\41\00\41\00\41\00\fc\08\00\00\0b\0b\07\01\01\01\61") "data count section required")
;; a custom section whose name runs past its end
(assert_malformed (module binary "\00asm\01\00\00\00\00\02\05a") "unexpected end")
;; invalid UTF-8 in an export name
(assert_malformed (module binary "\00asm\01\00\00\00\01\04\01\60\00\00\03\02\01\00\07\05\01\01\ff\00\00\0a\04\01\02\00\0b") "malformed UTF-8 encoding")

;; valid edge cases that must load
(module binary "\00asm\01\00\00\00")
(module binary "\00asm\01\00\00\00\00\05\04name")
(module (func (unreachable) (i32.add) (drop)))
(module (func (result i32) (block (result i32) (loop (br 0)) (unreachable))))
