/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench.h: the one entry point every benchmark program defines. `run(arg)`
 * does a fixed amount of work (arg only defeats constant folding; the
 * drivers pass 1) and returns a checksum, which must be the same natively,
 * in our engine and in Node, so every timing is of a correct run.
 */
#ifndef BENCH_H
#define BENCH_H
#include <stdint.h>

#if defined(__wasm__)
#define BENCH_EXPORT __attribute__((export_name("run")))
#else
#define BENCH_EXPORT
#endif

BENCH_EXPORT uint32_t run(uint32_t arg);

#endif
