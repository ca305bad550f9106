// SPDX-License-Identifier: Apache-2.0
// Times a benchmark module in Node (V8): instantiates it (any import is a
// function that throws, since the programs need none), calls _initialize if
// exported, then times RUNS calls of run(1).
// usage: node node_bench.js FILE.wasm RUNS -> "<median ms> <checksum>"
'use strict';
const fs = require('fs');

const [file, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 5);
const mod = new WebAssembly.Module(fs.readFileSync(file));
const imports = {};
for (const imp of WebAssembly.Module.imports(mod)) {
  (imports[imp.module] ||= {})[imp.name] = () => {
    throw new Error(`unexpected import ${imp.module}.${imp.name}`);
  };
}
const inst = new WebAssembly.Instance(mod, imports);
if (inst.exports._initialize) inst.exports._initialize();
const times = [];
let sum;
for (let i = 0; i < runs; i++) {
  const t0 = process.hrtime.bigint();
  const s = inst.exports.run(1) >>> 0;
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  if (i && s !== sum) throw new Error('checksum changed between runs');
  sum = s;
}
times.sort((a, b) => a - b);
console.log(`${times[Math.floor(runs / 2)].toFixed(3)} ${sum}`);
