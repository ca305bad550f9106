/* SPDX-License-Identifier: Apache-2.0 */
/* enarx-oci: the OCI runtime as a binary of its own, for engines that call a
 * runtime by path (conmon, containerd's runc shim with BinaryName). The same
 * code runs as `enarx oci`. */
#include "oci/oci.h"

int main(int argc, char **argv)
{
	return oci_main(argc, argv);
}
