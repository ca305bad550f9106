#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: show what this host offers, then run a workload in a Keep on
# the default backend when the examples are built.
set -euo pipefail
dir=${1:-build}
enarx=$dir/src/cli/enarx
"$enarx" platform info
