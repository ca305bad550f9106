/* SPDX-License-Identifier: Apache-2.0 */
/* Compile-time knobs, few and each with its reason. */
#ifndef ENARX_CONFIG_H
#define ENARX_CONFIG_H

/* Reported by `enarx --version` and in evidence claims; set by meson. */
#ifndef ENARX_VERSION
#define ENARX_VERSION "0.0.0-unknown"
#endif

#endif
