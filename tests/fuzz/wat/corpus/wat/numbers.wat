(func (result f32) f32.const 0x1.fffffep127 f32.const nan:0x1 f32.add f32.const -inf f32.min)
(func (result f64) (f64.add (f64.const 1e-300) (f64.const +0x1p-1074)))
