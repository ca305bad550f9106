/* SPDX-License-Identifier: Apache-2.0 */
/* The OCI runtime (docs/orchestration.md): a runc-compatible command line
 * that container engines (podman/conmon, containerd's runc shim, CRI-O,
 * Docker) call to run a wasm32-wasi container image's entrypoint in a Keep.
 * Anything that is not WebAssembly is handed to runc unchanged. One entry
 * point serves both `enarx oci ...` and the `enarx-oci` binary. */
#ifndef ENARX_OCI_OCI_H
#define ENARX_OCI_OCI_H

/* Runs one runtime invocation: argv[0] is the program name (only used in
 * messages), then runc's global flags (--root, --log, --log-format, ...),
 * the verb and its arguments. May exec runc (and then never returns).
 * Returns the process exit status: 0 on success, 1 on failure, 2 on a usage
 * error. `create` forks the container process, which returns from here only
 * with the workload's exit status (the caller must exit with it). */
int oci_main(int argc, char **argv);

#endif
