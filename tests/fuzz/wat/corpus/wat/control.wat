(func (param i32) (result i32)
  local.get 0
  if (result i32) i32.const 1 else loop $l (result i32) i32.const 2 end end)
(func (if (i32.const 0) (then (nop)) (else (unreachable))))
(func block $a block $b br_table $a $b 0 end end)
