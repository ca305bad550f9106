/* SPDX-License-Identifier: Apache-2.0 */
/* A Steward-sealed package as the workload (docs/package.md "Sealed for
 * Steward"): the executor attests to Steward's key broker through the
 * host's HTTP relay (exec/relay.h), receives the package key HPKE-sealed
 * to a key it made, opens the package and takes its module, environment,
 * secrets and arguments. Nothing of the package is ever in the clear
 * outside the Keep's memory. */
#ifndef ENARX_EXEC_BROKER_H
#define ENARX_EXEC_BROKER_H

#include <stddef.h>

#include "exec/exec.h"

/* wl->wasm holds a sealed package (spkg_is()): replaces it by the opened
 * package's main.wasm, adds its env and secret entries to wl->env, puts
 * its args before the host's, and uses its Enarx.toml when the host sent
 * none. 0, or -1 with err saying why, in the words of Steward when it
 * refused ("Steward refused the package key 'app': secret-policy.tee:
 * ..."). */
int exec_broker_open(int fd, struct exec_workload *wl, char *err, size_t errlen);

#endif
