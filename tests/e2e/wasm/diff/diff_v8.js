// SPDX-License-Identifier: Apache-2.0
// Other half of the V8 differential test: replays, in V8, the calls that
// diff_engine made in our engine (same modules, same arguments, same order)
// and compares every result, trap and the final globals and memory.
// Calls our engine reported as "skip" (out of fuel or call depth) end the
// comparison of that module. NaN results compare as "nan" (payloads are not
// observable from JS). TAP on stdout, one line per module.
// usage: node diff_v8.js DIR ENGINE_OUTPUT
'use strict';
const fs = require('fs');
const path = require('path');

const [dir, engineOut] = process.argv.slice(2);
const lines = fs.readFileSync(engineOut, 'utf8').split('\n').filter((l) => l);
const byModule = new Map();
for (const l of lines) {
  const idx = Number(l.split(' ')[0]);
  if (!byModule.has(idx)) byModule.set(idx, []);
  byModule.get(idx).push(l);
}

const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1), u64 = new BigUint64Array(f64.buffer);

function fmt(type, v) {
  switch (type) {
    case 'i32': return `i32:${v >>> 0}`;
    case 'i64': return `i64:${BigInt.asUintN(64, v)}`;
    case 'f32': if (Number.isNaN(v)) return 'f32:nan'; f32[0] = v; return `f32:${u32[0]}`;
    default: if (Number.isNaN(v)) return 'f64:nan'; f64[0] = v; return `f64:${u64[0]}`;
  }
}

function args(mod, fname, pass) {
  const t = typeOf(mod, fname);
  return t.params.map((p) => {
    if (!pass) return p === 'i64' ? 0n : 0;
    return {i32: -1, i64: -1n, f32: 1.5, f64: -2.5}[p];
  });
}

// Function signatures from the binary (type and function sections).
function signatures(bytes) {
  let pos = 8;
  const types = [], funcs = [];
  const vt = {0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64'};
  const leb = () => { let r = 0, s = 0, b; do { b = bytes[pos++]; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80); return r >>> 0; };
  while (pos < bytes.length) {
    const id = bytes[pos++], size = leb(), end = pos + size;
    if (id === 1) {
      for (let n = leb(); n > 0; n--) {
        pos++;
        const params = []; for (let k = leb(); k > 0; k--) params.push(vt[bytes[pos++]]);
        const results = []; for (let k = leb(); k > 0; k--) results.push(vt[bytes[pos++]]);
        types.push({params, results});
      }
    } else if (id === 3) {
      for (let n = leb(); n > 0; n--) funcs.push(types[leb()]);
    }
    pos = end;
  }
  return funcs;
}

const sigCache = new Map();
function typeOf(mod, fname) { return sigCache.get(mod)[Number(fname.slice(1))]; }

let n = 0, failed = 0;
for (const [idx, calls] of byModule) {
  const file = path.join(dir, `${idx}.wasm`);
  const bytes = fs.readFileSync(file);
  sigCache.set(idx, signatures(bytes));
  let inst, why = null, compared = 0;
  try {
    inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  } catch (e) {
    why = `V8 cannot load: ${e.message}`;
  }
  for (const l of calls) {
    if (why) break;
    const f = l.split(' ');
    if (f[1] === 'load-failed') { why = `our engine cannot load: ${l}`; break; }
    if (f[1] === 'state') {
      const e = inst.exports;
      const buf = new Uint8Array(e.mem.buffer);
      let h = 2166136261;
      for (let i = 0; i < buf.length; i++) h = Math.imul(h ^ buf[i], 16777619) >>> 0;
      const v8 = `${idx} state ${fmt('i32', e.g0.value)} ${fmt('i64', e.g1.value)} ` +
        `${fmt('f64', e.g2.value)} mem:${buf.length / 65536}:${h}`;
      if (v8 !== l) why = `final state: engine "${l}", V8 "${v8}"`;
      compared++;
      break;
    }
    if (f[3] === 'skip') break;
    const t = typeOf(idx, f[1]);
    let got;
    try {
      let r = inst.exports[f[1]](...args(idx, f[1], Number(f[2])));
      if (t.results.length === 1) r = [r];
      if (t.results.length === 0) r = [];
      got = `${idx} ${f[1]} ${f[2]} ok` + r.map((v, i) => ' ' + fmt(t.results[i], v)).join('');
    } catch (e) {
      got = `${idx} ${f[1]} ${f[2]} ${e instanceof WebAssembly.RuntimeError ? 'trap' : 'error ' + e.message}`;
    }
    if (got !== l) { why = `call: engine "${l}", V8 "${got}"`; break; }
    compared++;
  }
  n++;
  if (why) {
    failed++;
    console.log(`not ok ${n} - module ${idx}\n# ${why}`);
  } else {
    console.log(`ok ${n} - module ${idx}: ${compared} calls and state agree with V8`);
  }
}
console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
