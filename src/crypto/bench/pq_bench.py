#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# `make bench` section for post-quantum key exchange: runs pq-bench (our
# ML-KEM-768 and TLS 1.3 handshakes) and Node.js 26's ML-KEM-768 (OpenSSL
# 3.5) alternately, several rounds, so load on the shared machine hits both
# alike; prints the medians over rounds and the ratios. The handshake ratio
# is the median of per-slice ratios (pq-bench alternates the two groups in
# slices of 16 handshakes timed in thread CPU time), so a load change hits
# both groups alike and time spent waiting for a core is not counted.
# Usage: pq_bench.py PQ_BENCH_BINARY [ROUNDS]
import json
import os
import statistics
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
src = os.path.abspath(os.path.join(here, '..', '..', '..'))
binary = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5


def node26():
    r = subprocess.run([os.path.join(src, 'scripts', 'node26.sh')], capture_output=True, text=True)
    if r.returncode != 0:
        return None, (r.stderr.strip().splitlines() or ['unknown reason'])[-1]
    return r.stdout.strip(), None


def ours():
    out = subprocess.run([binary, '--seconds', '1', '--rounds', '1'], check=True,
                         capture_output=True, text=True).stdout
    return {k: float(v) for k, v in (line.split() for line in out.splitlines())}


def theirs(node):
    out = subprocess.run([node, os.path.join(here, 'mlkem_node.js'), '1'], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


node, why = node26()
runs, nruns, version = {}, {}, None
for _ in range(rounds):
    for k, v in ours().items():
        runs.setdefault(k, []).append(v)
    if node:
        n = theirs(node)
        version = n.pop('openssl')
        for k, v in n.items():
            nruns.setdefault(k, []).append(v)
acc = {k: statistics.median(v) for k, v in runs.items()}
nacc = {k: statistics.median(v) for k, v in nruns.items()}

print(f'ML-KEM-768, operations per second (median of {rounds} alternating rounds of 1 s each)')
head = f'Node 26 / OpenSSL {version}' if node else 'Node 26'
print(f'{"operation":<10} {"ours (key object)":>18} {"ours (from bytes)":>18} {head:>24} {"ratio":>7}')
for op in ('keygen', 'encaps', 'decaps'):
    a, b = acc[f'mlkem768_{op}'], acc[f'mlkem768_{op}_bytes']
    if node:
        print(f'{op:<10} {a:>18.0f} {b:>18.0f} {nacc[op]:>24.0f} {a / nacc[op]:>7.2f}')
    else:
        print(f'{op:<10} {a:>18.0f} {b:>18.0f} {"n/a":>24} {"n/a":>7}')
if not node:
    print(f'(no ratio: Node 26 unavailable: {why})')
print('ratio = ours on key objects / Node on KeyObjects (both keep the expanded key)')
pq, x = acc['handshake_X25519MLKEM768'], acc['handshake_X25519']
ratios = sorted(runs['handshake_ratio'])
print('\nTLS 1.3 full handshakes per CPU second (thread CPU time), client and server in one')
print('thread (system libssl), the two groups alternating in slices of 16 handshakes; medians')
print(f'{"X25519MLKEM768":<16} {pq:>8.0f}')
print(f'{"X25519":<16} {x:>8.0f}')
print(f'{"ratio":<16} {acc["handshake_ratio"]:>8.2f}   (median of per-slice ratios; rounds: '
      + ' '.join(f'{r:.2f}' for r in ratios) + '; goal >= 0.85)')
