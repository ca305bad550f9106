// SPDX-License-Identifier: Apache-2.0
// Cross-checks a wast2json command file against V8 (Node's WebAssembly API),
// so the expectations in our own .wast files are known to hold in a second,
// independent engine. usage: node node_check.js FILE.json  (TAP on stdout)
// Limits: V8 turns NaN payloads into canonical NaNs at the JS boundary, so a
// NaN result only has to be a NaN here; the engine runner checks the bits.
'use strict';
const fs = require('fs');
const path = require('path');

const file = process.argv[2];
const dir = path.dirname(file);
const script = JSON.parse(fs.readFileSync(file, 'utf8'));
const registry = {};
const named = {};
const externs = new Map();
let current = null;
let n = 0;
let failed = 0;

function spectest() {
  const p = () => {};
  return {
    print: p, print_i32: p, print_i64: p, print_f32: p, print_f64: p,
    print_i32_f32: p, print_f64_f64: p,
    global_i32: new WebAssembly.Global({value: 'i32'}, 666),
    global_i64: new WebAssembly.Global({value: 'i64'}, 666n),
    global_f32: new WebAssembly.Global({value: 'f32'}, 666.6),
    global_f64: new WebAssembly.Global({value: 'f64'}, 666.6),
    table: new WebAssembly.Table({initial: 10, maximum: 20, element: 'anyfunc'}),
    memory: new WebAssembly.Memory({initial: 1, maximum: 2}),
  };
}
registry.spectest = spectest();

const f32buf = new Float32Array(1), u32buf = new Uint32Array(f32buf.buffer);
const f64buf = new Float64Array(1), u64buf = new BigUint64Array(f64buf.buffer);

function toJs(v) {
  switch (v.type) {
    case 'i32': return Number(BigInt(v.value) & 0xffffffffn) | 0;
    case 'i64': return BigInt.asIntN(64, BigInt(v.value));
    case 'f32': u32buf[0] = Number(v.value); return f32buf[0];
    case 'f64': u64buf[0] = BigInt(v.value); return f64buf[0];
    case 'externref':
      if (v.value === 'null') return null;
      if (!externs.has(v.value)) externs.set(v.value, {extern: v.value});
      return externs.get(v.value);
    case 'funcref': return null;
  }
  throw new Error('unsupported type ' + v.type);
}

function match(exp, got) {
  const s = exp.value;
  switch (exp.type) {
    case 'i32': return (Number(BigInt(s) & 0xffffffffn) | 0) === got;
    case 'i64': return BigInt.asIntN(64, BigInt(s)) === got;
    case 'f32':
    case 'f64': {
      if (typeof got !== 'number') return false;
      if (s.startsWith('nan:')) return Number.isNaN(got);
      const want = toJs(exp);
      if (Number.isNaN(want)) return Number.isNaN(got);
      if (exp.type === 'f32') {
        f32buf[0] = got; const g = u32buf[0]; f32buf[0] = want; return g === u32buf[0];
      }
      f64buf[0] = got; const g = u64buf[0]; f64buf[0] = want; return g === u64buf[0];
    }
    case 'externref': return s === undefined ? got !== null : toJs(exp) === got;
    case 'funcref': return s === 'null' ? got === null : typeof got === 'function';
  }
  return false;
}

function load(cmd) {
  return new WebAssembly.Module(fs.readFileSync(path.join(dir, cmd.filename)));
}

function instantiate(mod) {
  const imports = {};
  for (const imp of WebAssembly.Module.imports(mod)) {
    const m = registry[imp.module];
    if (!m || !(imp.name in m)) throw new WebAssembly.LinkError('unknown import');
    (imports[imp.module] ||= {})[imp.name] = m[imp.name];
  }
  return new WebAssembly.Instance(mod, imports);
}

function act(a) {
  const inst = a.module ? named[a.module] : current;
  const e = inst.exports[a.field];
  if (a.type === 'get') return [e.value];
  const r = e(...a.args.map(toJs));
  return r === undefined ? [] : Array.isArray(r) ? r : [r];
}

function expectThrow(fn, cls) {
  try { fn(); } catch (e) {
    if (cls.some((c) => e instanceof c)) return null;
    return 'threw ' + e;
  }
  return 'did not fail';
}

// V8 quiets signalling NaNs passed in from JS, so such calls can't be
// checked here (spec_runner checks them in our engine).
function signallingNanArg(cmd) {
  const args = (cmd.action && cmd.action.args) || [];
  return args.some((a) =>
    (a.type === 'f32' && (Number(a.value) & 0x7fc00000) === 0x7f800000 &&
     (Number(a.value) & 0x7fffff) !== 0) ||
    (a.type === 'f64' && (BigInt(a.value) & 0x7ff8000000000000n) === 0x7ff0000000000000n &&
     (BigInt(a.value) & 0xfffffffffffffn) !== 0n));
}

function run(cmd) {
  if (cmd.type === 'assert_return' && signallingNanArg(cmd)) return 'skip-snan';
  switch (cmd.type) {
    case 'module': {
      current = instantiate(load(cmd));
      if (cmd.name) named[cmd.name] = current;
      return null;
    }
    case 'register':
      registry[cmd.as] = (cmd.name ? named[cmd.name] : current).exports;
      return null;
    case 'action': act(cmd.action); return null;
    case 'assert_return': {
      const got = act(cmd.action);
      if (got.length !== cmd.expected.length) return 'result count ' + got.length;
      for (let i = 0; i < got.length; i++)
        if (!match(cmd.expected[i], got[i]))
          return `result ${i}: expected ${JSON.stringify(cmd.expected[i])}, got ${got[i]}`;
      return null;
    }
    case 'assert_trap':
      return expectThrow(() => act(cmd.action), [WebAssembly.RuntimeError]);
    case 'assert_exhaustion':
      return expectThrow(() => act(cmd.action), [RangeError]);
    case 'assert_invalid':
    case 'assert_malformed':
      if (cmd.module_type === 'text') return 'skip';
      return expectThrow(() => load(cmd), [WebAssembly.CompileError]);
    case 'assert_unlinkable':
      return expectThrow(() => instantiate(load(cmd)), [WebAssembly.LinkError]);
    case 'assert_uninstantiable':
      return expectThrow(() => instantiate(load(cmd)), [WebAssembly.RuntimeError]);
  }
  return 'unknown command ' + cmd.type;
}

for (const cmd of script.commands) {
  let err;
  try { err = run(cmd); } catch (e) { err = 'exception: ' + e; }
  const desc = `${path.basename(script.source_filename)}:${cmd.line} ${cmd.type}` +
    (cmd.action ? ' ' + cmd.action.field : '');
  n++;
  if (err === 'skip') {
    console.log(`ok ${n} - ${desc} # SKIP text-format module`);
  } else if (err === 'skip-snan') {
    console.log(`ok ${n} - ${desc} # SKIP V8 quiets signalling NaN arguments`);
  } else if (err) {
    failed++;
    console.log(`not ok ${n} - ${desc}\n# ${err}`);
  } else {
    console.log(`ok ${n} - ${desc}`);
  }
}
console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
