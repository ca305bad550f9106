# SPDX-License-Identifier: Apache-2.0
# Shared setup for the TLSSock e2e scripts: TAP helpers, a temp dir with a
# fresh PKI (mkcerts.sh), free loopback ports, background peers that are
# always killed on exit, and helpers to wait for a peer to listen.
# Usage: source lib.sh PEER_BINARY [PLAIN_BINARY PRELOAD_SO]
source "$ENARX_SRC/tests/lib/tap.sh"
set -u

PEER=$1
PEER_PLAIN=${2:-}
PRELOAD=${3:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TMP=$(mktemp -d /tmp/tlssock-e2e.XXXXXX)
PIDS=()
ENARX_LOG=${ENARX_LOG:-error}
export ENARX_LOG
# Tests use their own policy file (never the system one).
export ENARX_TLSSOCK_POLICY=$TMP/policy.conf

cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT

"$HERE/mkcerts.sh" "$TMP/pki" || { echo "1..0 # SKIP cannot generate certificates"; exit 0; }
C=$TMP/pki

free_port() {
	python3 -c 'import socket,sys
t = socket.SOCK_DGRAM if len(sys.argv) > 1 else socket.SOCK_STREAM
s = socket.socket(socket.AF_INET, t); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$@"
}

# wait_tcp PORT: until a socket listens on PORT (10 s).  Reads
# /proc/net/tcp instead of connecting, so no peer sees a probe connection.
wait_tcp() {
	local hex
	hex=$(printf '%04X' "$1")
	for _ in $(seq 100); do
		# any local address (gnutls-serv binds ::), state 0A = LISTEN
		if cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
			grep -qE "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:0000 0A "; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# wait_udp PORT: until a UDP socket is bound to 127.0.0.1:PORT (5 s).
wait_udp() {
	local hex
	hex=$(printf '%04X' "$1")
	for _ in $(seq 50); do
		if grep -q "0100007F:$hex " /proc/net/udp 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	return 1
}

# bg LOG CMD...: start a peer in the background, killed at exit.
bg() {
	local log=$1; shift
	"$@" >"$log" 2>&1 &
	PIDS+=($!)
	LAST_PID=$!
}

# wait_port_file LOG: our own server prints "port=N" first; echo N.
wait_port_file() {
	for _ in $(seq 50); do
		local p
		p=$(sed -n 's/^port=//p' "$1" 2>/dev/null | head -1)
		if [ -n "$p" ]; then echo "$p"; return 0; fi
		sleep 0.1
	done
	return 1
}

# A wait that never hangs the suite: waits up to $2 s for pid $1.
wait_pid() {
	for _ in $(seq $(( ${2:-5} * 10 ))); do
		kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return $?; }
		sleep 0.1
	done
	kill "$1" 2>/dev/null; wait "$1" 2>/dev/null
	return 124
}
