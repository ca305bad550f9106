#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every Debian 12 package the project needs to build, test, fuzz,
# lint and benchmark. Idempotent: packages already present are skipped, and
# apt is only touched when something is missing.
set -euo pipefail

PKGS=(
  # build
  build-essential pkg-config meson ninja-build python3
  clang lld llvm libclang-rt-14-dev
  # wasm32-wasi toolchain for examples, benchmarks and engine tests
  wasi-libc libclang-rt-14-dev-wasm32 wabt
  # libraries
  libcmocka-dev libssl-dev libjansson-dev libcurl4-openssl-dev
  libmicrohttpd-dev libseccomp-dev zlib1g-dev
  # HTTPS daemons (src/http): libevent's evhttp over OpenSSL bufferevents
  libevent-dev
  # quality tools
  clang-format clang-tidy cppcheck gcovr valgrind
  # peers used by end-to-end and interop tests
  openssl gnutls-bin nginx-light curl
  # headless browser for the post-quantum (X25519MLKEM768) interop test
  chromium
  # NSS database tool: the Keep TLS test trusts the Keep's certificate in Chromium
  libnss3-tools
  # misc tools used by tests and benchmarks
  xxd iproute2 procps
  # HTTP load generator for `make bench` (src/http)
  wrk
  # state of the host agent and Steward (SQLite), Steward replicas (PostgreSQL)
  libsqlite3-dev sqlite3 libpq-dev postgresql
  # orchestration: the OCI runtime is tested under podman and containerd
  podman runc conmon containerd python3-grpcio
  # the deploy tests trace what the host agent reads and writes
  strace
  # Steward tests build CSRs (python3-cryptography); docs/steward.md uses jq
  python3-cryptography jq
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done
# Node.js is a peer engine for benchmarks; keep whatever node is already there.
if ! command -v node >/dev/null 2>&1; then
  missing+=(nodejs)
fi

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
