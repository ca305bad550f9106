#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The one way a binary is embedded in another (the executor ELF and the KVM
# shim in enarx): writes an assembly file whose .incbin pulls INPUT's bytes
# into a read-only section between two global symbols.
#   embed.sh INPUT OUTPUT START_SYMBOL END_SYMBOL
# The C side declares `extern const unsigned char START[], END[];`. The
# input's checksum goes in a comment so the output changes with the input.
set -eu
[ $# -eq 4 ] || { echo "usage: embed.sh INPUT OUTPUT START_SYMBOL END_SYMBOL" >&2; exit 2; }
in=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
case $in in *'"'* | *'\'*) echo "embed.sh: unsupported character in path $in" >&2; exit 2 ;; esac
{
	printf '\t.section .rodata.%s,"a"\n\t.balign 64\n' "$3"
	printf '\t.globl %s\n\t.globl %s\n' "$3" "$4"
	printf '%s:\n\t.incbin "%s"\n%s:\n' "$3" "$in" "$4"
	printf '\t.section .note.GNU-stack,"",@progbits\n'
	printf '/* %s */\n' "$(cksum < "$in")"
} > "$2"
