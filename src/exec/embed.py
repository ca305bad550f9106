#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Writes an assembly file that embeds the executor ELF (argv[1]) into the
# enarx binary as enarx_exec_image[] .. enarx_exec_image_end (argv[2]).
import os
import sys

src, out = os.path.abspath(sys.argv[1]), sys.argv[2]
with open(out, "w") as f:
    f.write('\t.section .rodata.enarx_exec,"a"\n\t.balign 64\n'
            '\t.globl enarx_exec_image\nenarx_exec_image:\n'
            '\t.incbin "%s"\n\t.globl enarx_exec_image_end\n'
            'enarx_exec_image_end:\n'
            '\t.section .note.GNU-stack,"",@progbits\n' % src.replace('"', '\\"'))
