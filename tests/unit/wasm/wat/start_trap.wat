(module
  (func $init (unreachable))
  (start $init)
)
