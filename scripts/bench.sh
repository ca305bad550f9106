#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every benchmark the components provide and prints their tables.
set -uo pipefail
dir=${1:-build}
cd "$(dirname "$0")/.."
ran=0
for b in bench/run.sh; do
	if [ -x "$b" ] || [ -f "$b" ]; then bash "$b" "$dir"; ran=$((ran + 1)); fi
done
[ "$ran" -gt 0 ] || echo "bench: no benchmarks built yet"
