#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Makes the archive an embedder links for one public library: all of the
# library's archive and the members it uses of the archives it needs from
# this project (src/lib) are linked into one relocatable object (ld -r),
# every defined global symbol outside the public prefix is made local
# (objcopy), and the object is archived.
# Internal names (xmalloc, buf_append, cc__op, ...) then cannot clash with
# the embedder's; tests/unit/lib/test_exports.sh checks the result.
#   publib.sh OUTPUT.a PREFIX CC [CC ARGS...] -- LIBRARY.a [DEPENDENCY.a...]
set -eu
out=$1 prefix=$2
shift 2
cc=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	cc="$cc $1"
	shift
done
[ $# -gt 1 ] || { echo "usage: publib.sh OUTPUT.a PREFIX CC... -- LIBRARY.a [DEPENDENCY.a...]" >&2; exit 2; }
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
obj=$tmp/$(basename "$out" .a).o
lib=$1
shift
# All of the library; of its dependencies only the members it uses.
# shellcheck disable=SC2086 # $cc is the compiler command line, split on purpose
$cc -r -nostdlib -o "$obj" -Wl,--whole-archive "$lib" -Wl,--no-whole-archive "$@"
${OBJCOPY:-objcopy} --wildcard --keep-global-symbol="$prefix*" "$obj"
rm -f "$out"
${AR:-ar} rcs "$out" "$obj"
