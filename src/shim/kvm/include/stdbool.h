/* SPDX-License-Identifier: Apache-2.0 */
/* Freestanding <stdbool.h> for the shim. */
#ifndef SHIM_STDBOOL_H
#define SHIM_STDBOOL_H
#define bool _Bool
#define true 1
#define false 0
#endif
