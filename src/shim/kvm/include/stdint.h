/* SPDX-License-Identifier: Apache-2.0 */
/* Freestanding <stdint.h> for the shim (built with -nostdinc: no host
 * headers). LP64 x86-64 only. */
#ifndef SHIM_STDINT_H
#define SHIM_STDINT_H
typedef signed char int8_t;
typedef unsigned char uint8_t;
typedef short int16_t;
typedef unsigned short uint16_t;
typedef int int32_t;
typedef unsigned int uint32_t;
typedef long int64_t;
typedef unsigned long uint64_t;
typedef long intptr_t;
typedef unsigned long uintptr_t;
#define UINT64_MAX 0xffffffffffffffffUL
#define INT64_MAX 0x7fffffffffffffffL
#define UINT32_MAX 0xffffffffU
#define SIZE_MAX UINT64_MAX
#endif
