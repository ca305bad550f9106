/* SPDX-License-Identifier: Apache-2.0 */
/* enarx oci: the runc-compatible OCI runtime (src/oci, docs/orchestration.md)
 * under the enarx command. Its flags are runc's, parsed by src/oci, so this
 * entry only carries the help. */
#include "cli/cli.h"
#include "oci/oci.h"

int cmd_oci(int argc, char **argv);

const struct cli_cmd cli_cmd_oci = {
    .spec = {.path = "oci",
             .summary = "OCI runtime (runc-compatible) for container engines",
             .args = "[--root DIR] [--log FILE] [--log-format json] COMMAND ID",
             .rest = "ARGS...",
             .about =
                 "The OCI runtime that podman, containerd (and so Kubernetes through a\n"
                 "RuntimeClass) and Docker call to run a wasm32-wasi container image's\n"
                 "entrypoint in a Keep. Commands as runc's: create --bundle DIR --pid-file FILE\n"
                 "[--console-socket SOCK] ID; start ID; kill [--all] ID [SIGNAL]; delete\n"
                 "[--force] ID; state ID; ps --format json ID; pause ID; resume ID. exec is\n"
                 "refused. A container that is not WebAssembly is handed to runc. The same\n"
                 "runtime is the binary enarx-oci. See docs/orchestration.md.\n"},
    .fn = cmd_oci,
};

int cmd_oci(int argc, char **argv)
{
	/* argv[0] is "oci"; oci_main() takes it as its program name */
	return oci_main(argc, argv);
}
