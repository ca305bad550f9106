/* SPDX-License-Identifier: Apache-2.0 */
/* A byte-code interpreter: a small stack VM (switch dispatch) running a
 * program that counts primes below 30,000 by trial division. */
#include "bench.h"

enum { PUSH, LOAD, STORE, ADD, SUB, MOD, LT, JZ, JMP, INC, HALT, MUL, LE };

/* registers: r0 = n, r1 = d, r2 = count, r3 = limit */
static const int32_t prog[] = {
    PUSH, 2,    STORE, 0,                                /* 0: n = 2 */
    PUSH, 0,    STORE, 2,                                /* 4: count = 0 */
    LOAD, 0,    LOAD,  3,    LT,   JZ,   58,             /* 8: while n < limit */
    PUSH, 2,    STORE, 1,                                /* 15: d = 2 */
    LOAD, 1,    LOAD,  1,    MUL,  LOAD, 0,  LE, JZ, 46, /* 19: while d*d <= n */
    LOAD, 0,    LOAD,  1,    MOD,  JZ,   52,             /* 29: if n % d == 0 -> not prime */
    INC,  1,    JMP,   19,                               /* 36: d++ */
    HALT, HALT, HALT,  HALT, HALT, HALT,                 /* 40: padding */
    INC,  2,    JMP,   52,                               /* 46: count++ */
    HALT, HALT,                                          /* 50 */
    INC,  0,    JMP,   8,                                /* 52: n++ */
    HALT, HALT,                                          /* 56 */
    LOAD, 2,    HALT,                                    /* 58: push count */
};

static int32_t vm(const int32_t *code, int32_t limit)
{
	int32_t stack[64], reg[4] = {0, 0, 0, limit};
	int sp = 0, pc = 0;

	for (;;) {
		switch (code[pc++]) {
		case PUSH: stack[sp++] = code[pc++]; break;
		case LOAD: stack[sp++] = reg[code[pc++]]; break;
		case STORE: reg[code[pc++]] = stack[--sp]; break;
		case ADD:
			sp--;
			stack[sp - 1] += stack[sp];
			break;
		case SUB:
			sp--;
			stack[sp - 1] -= stack[sp];
			break;
		case MUL:
			sp--;
			stack[sp - 1] *= stack[sp];
			break;
		case MOD:
			sp--;
			stack[sp - 1] %= stack[sp];
			break;
		case LT:
			sp--;
			stack[sp - 1] = stack[sp - 1] < stack[sp];
			break;
		case LE:
			sp--;
			stack[sp - 1] = stack[sp - 1] <= stack[sp];
			break;
		case JZ: pc = stack[--sp] ? pc + 1 : code[pc]; break;
		case JMP: pc = code[pc]; break;
		case INC: reg[code[pc++]]++; break;
		default: return sp ? stack[sp - 1] : -1;
		}
	}
}

uint32_t run(uint32_t arg)
{
	return (uint32_t)vm(prog, 30000 * (int32_t)arg);
}
