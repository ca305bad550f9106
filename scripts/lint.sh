#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lint: clang-format (checked-in .clang-format), banned functions, cppcheck.
# --fix reformats instead of checking.
set -uo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h' | grep -v '^tests/fuzz/.*/corpus/')
status=0
if [ "${1:-}" = "--fix" ]; then
	clang-format -i "${files[@]}"
	exit 0
fi
echo "lint: clang-format on ${#files[@]} files"
if ! clang-format --dry-run --Werror "${files[@]}" 2>/tmp/enarx-format.log; then
	grep -E "error:" /tmp/enarx-format.log | cut -d: -f1 | sort -u | sed 's/^/  needs formatting: /'
	echo "lint: run 'make format' to fix"
	status=1
fi
echo "lint: banned functions"
if git grep -nE '\b(sprintf|vsprintf|strcpy|strcat|gets|atoi|strncpy|strtok)\s*\(' -- '*.c' '*.h' \
	| grep -vE '^[^:]+:[0-9]+:\s*(\*|//|/\*)'; then
	echo "lint: banned functions used (use snprintf, memcpy with checked lengths, strtol)"
	status=1
fi
echo "lint: cppcheck"
if ! cppcheck --quiet --error-exitcode=1 --inline-suppr --std=c11 -D__x86_64__ -D__linux__ \
	--enable=warning,portability --suppress=missingIncludeSystem \
	--suppress='*:src/shim/*' -I include -I src src include 2>&1 | tee /tmp/enarx-cppcheck.log; then
	status=1
fi
[ "$status" -eq 0 ] && echo "lint: ok"
exit "$status"
