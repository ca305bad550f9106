# SPDX-License-Identifier: Apache-2.0
# Sourced by the podman tests (test_podman.sh, test_podman_sealed.sh) and
# the OCI bench (src/oci/bench/oci_bench.sh): a podman whose configuration
# and state all live in one temporary folder, with enarx-oci as the runtime
# "enarx". Nothing goes to /etc. The settings are the ones
# docs/orchestration.md explains.
#
#   podman_env DIR OCI   writes DIR/containers.conf and DIR/storage.conf,
#                        exports CONTAINERS_CONF and CONTAINERS_STORAGE_CONF
#   pm ARGS...           podman with DIR's --root and --runroot

podman_env() {
	PODMAN_DIR=$1
	mkdir -p "$PODMAN_DIR/cni" "$PODMAN_DIR/tmp"
	cat >"$PODMAN_DIR/containers.conf" <<CONF
[containers]
# this machine lacks CAP_SYS_RESOURCE: podman's defaults (1048576) fail
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[network]
network_config_dir = "$PODMAN_DIR/cni"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PODMAN_DIR/events.log"
tmp_dir = "$PODMAN_DIR/tmp"
runtime_supports_json = ["enarx", "runc"]

[engine.runtimes]
enarx = ["$2"]
CONF
	cat >"$PODMAN_DIR/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$PODMAN_DIR/root"
runroot = "$PODMAN_DIR/runroot"
CONF
	export CONTAINERS_CONF=$PODMAN_DIR/containers.conf
	export CONTAINERS_STORAGE_CONF=$PODMAN_DIR/storage.conf
}

pm() { podman --root "$PODMAN_DIR/root" --runroot "$PODMAN_DIR/runroot" "$@"; }

# Removes every container and image of DIR's podman.
podman_env_clean() {
	pm rm -a -f >/dev/null 2>&1
	pm rmi -a -f >/dev/null 2>&1
}
