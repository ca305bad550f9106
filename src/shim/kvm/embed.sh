#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Writes an assembly file that embeds a binary: embed.sh INPUT OUTPUT SYMBOL
# defines SYMBOL_start and SYMBOL_end around the bytes of INPUT.
set -eu
in=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
{
	printf '\t.section .rodata\n\t.balign 64\n'
	printf '\t.globl %s_start\n\t.globl %s_end\n' "$3" "$3"
	printf '%s_start:\n\t.incbin "%s"\n%s_end:\n' "$3" "$in" "$3"
	printf '\t.section .note.GNU-stack,"",@progbits\n'
	printf '/* %s */\n' "$(cksum < "$in")"
} > "$2"
