#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The archives an embedder links (one per public header in include/enarx/)
# must define no global symbol outside their public prefix: a generic name
# (xmalloc, buf_append, cc__op, ...) would clash with the embedder's own.
# Lists each archive's defined global symbols with nm (TAP, one test each).
#   test_exports.sh NAME PREFIX ARCHIVE [NAME PREFIX ARCHIVE ...]
set -u
NM=${NM:-nm}
[ $(($# % 3)) -eq 0 ] && [ $# -gt 0 ] || { echo "Bail out! usage: $0 NAME PREFIX ARCHIVE..."; exit 1; }
echo "1..$(($# / 3))"
n=0
fail=0
while [ $# -gt 0 ]; do
	name=$1 prefix=$2 archive=$3
	shift 3
	n=$((n + 1))
	if ! syms=$("$NM" -g --defined-only "$archive" 2>&1); then
		echo "not ok $n - $name: nm $archive failed: $syms"
		fail=1
		continue
	fi
	# "ADDR TYPE NAME" lines; archive member headers and blanks have fewer fields.
	all=$(printf '%s\n' "$syms" | awk 'NF == 3 { print $3 }' | sort -u)
	bad=$(printf '%s\n' "$all" | grep -v "^$prefix" | grep -v '^$')
	if [ -z "$all" ]; then
		echo "not ok $n - $name: $archive defines no global symbol at all"
		fail=1
	elif [ -n "$bad" ]; then
		echo "not ok $n - $name: $(printf '%s\n' "$bad" | wc -l) global symbols outside $prefix* in $archive"
		printf '%s\n' "$bad" | head -20 | sed 's/^/#   /'
		fail=1
	else
		echo "ok $n - $name: $(printf '%s\n' "$all" | wc -l) global symbols, all $prefix*"
	fi
done
exit $fail
