#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make bench entry point: bench/run.sh BUILD_DIR (see run.py).
exec nice python3 "$(dirname "$0")/run.py" "${1:-build}"
