#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make bench` section for src/http: requests per second for a trivial
# authenticated GET (/v1/ping on the e2e test server) with wrk at 64
# connections on loopback, over HTTPS (keep-alive) and over plain HTTP on
# TCP for comparison. Usage: http_bench.sh BUILD_DIR [SECONDS]
set -uo pipefail
build=$1
secs=${2:-5}
srv=$build/tests/e2e/http/http-test-server
if ! command -v wrk >/dev/null; then
	echo "skipped: wrk is not installed (scripts/install-deps.sh installs it)"
	exit 0
fi
[ -x "$srv" ] || { echo "skipped: $srv not built"; exit 0; }
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/token"
tok=$(cat "$tmp/token")

run() { # name scheme flags...
	local name=$1 scheme=$2
	shift 2
	"$srv" --listen 127.0.0.1:0 --state "$tmp/state" --token-file "$tmp/token" \
		--max-conns 256 "$@" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	for _ in $(seq 50); do grep -q '^port' "$tmp/out" && break; sleep 0.1; done
	local port
	port=$(awk '/^port/ {print $2}' "$tmp/out")
	local rps
	rps=$(nice wrk -t2 -c64 -d"${secs}s" -H "Authorization: Bearer $tok" \
		"$scheme://127.0.0.1:$port/v1/ping" | awk '/Requests\/sec/ {print $2}')
	printf '%-34s %12s req/s\n' "$name" "${rps:-failed}"
	kill "$pid"
	wait "$pid" 2>/dev/null
}

echo "wrk -t2 -c64 -d${secs}s, GET /v1/ping with a bearer token, 127.0.0.1"
run "HTTPS (TLS, keep-alive)" https
run "plain HTTP on TCP (--insecure)" http --insecure
