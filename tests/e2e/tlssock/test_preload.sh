#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# LD_PRELOAD mode: an ordinary POSIX program (tlssock_peer_plain, which does
# not link TLSSock) asks for IPPROTO_TLS.  Without the preload library the
# kernel refuses the protocol (no silent plain-text fallback); with it the
# program speaks TLS/DTLS to real OpenSSL peers, and poll/select work.
source "$(dirname "$0")/lib.sh" "$@"
: > "$ENARX_TLSSOCK_POLICY"
[ -x "$PEER_PLAIN" ] && [ -f "$PRELOAD" ] || tap_skip_all "plain peer or preload library not built"

s_server() {
	local port=$1; shift
	bg "$TMP/s_server.$port.log" timeout 60 openssl s_server -accept "127.0.0.1:$port" -www -naccept 12 "$@"
	wait_tcp "$port"
}
# LD_PRELOAD only for the program under test (not timeout/env themselves).
pre() { timeout 20 env LD_PRELOAD="$PRELOAD" "$@"; }

p=$(free_port); s_server "$p" -cert "$C/server.pem" -key "$C/server.key"
out=$(timeout 10 "$PEER_PLAIN" client 127.0.0.1 "$p" --ca "$C/ca.pem" --name localhost --http / 2>&1)
tap_like "without LD_PRELOAD: socket(IPPROTO_TLS) fails, no plain-text fallback" "$out" "errno=EPROTONOSUPPORT what=socket"
out=$(pre "$PEER_PLAIN" client 127.0.0.1 "$p" --ca "$C/ca.pem" --name localhost --http / --info 2>&1)
tap_like "LD_PRELOAD: unmodified program gets TLS 1.3" "$out" "version=0x0304"
tap_like "LD_PRELOAD: HTTP response through read()" "$out" "HTTP/1.0 200 ok"
out=$(pre "$PEER_PLAIN" client 127.0.0.1 "$p" --ca "$C/ca.pem" --name localhost --nonblock --http / 2>&1)
tap_like "LD_PRELOAD: non-blocking handshake driven by poll()" "$out" "HTTP/1.0 200 ok"
out=$(pre "$PEER_PLAIN" client 127.0.0.1 "$p" --ca "$C/ca.pem" --name localhost --nonblock --select --http / 2>&1)
tap_like "LD_PRELOAD: non-blocking handshake driven by select()" "$out" "HTTP/1.0 200 ok"
out=$(pre "$PEER_PLAIN" client 127.0.0.1 "$p" --ca "$C/ca.pem" --name localhost --http / --info --repeat 2 2>&1 | grep -o 'reused=[01]' | tr '\n' ' ')
tap_is "LD_PRELOAD: the program's 2nd connection resumes (session cache)" "$out" "reused=0 reused=1 "
out=$(pre "$PEER_PLAIN" client 127.0.0.1 "$p" --ca "$C/evilca.pem" --name localhost --http / 2>&1)
tap_like "LD_PRELOAD: untrusted server fails with EKEYREJECTED" "$out" "errno=EKEYREJECTED"
if nm -D "$PRELOAD" 2>/dev/null | grep -q __asan_; then
	tap_skip "LD_PRELOAD with curl" "sanitizer build: the preload library needs the ASan runtime, which curl lacks"
elif command -v curl >/dev/null; then
	out=$(timeout 10 env LD_PRELOAD="$PRELOAD" curl -sS --cacert "$C/ca.pem" "https://localhost:$p/" 2>&1 | head -1)
	tap_like "LD_PRELOAD leaves programs that never ask for IPPROTO_TLS alone (curl)" "$out" "HTTP/1.0 200 ok|<HTML>"
else
	tap_skip "LD_PRELOAD with curl" "curl not installed"
fi

# server side under the preload library, against s_client
bg "$TMP/psrv.log" timeout 30 env LD_PRELOAD="$PRELOAD" "$PEER_PLAIN" server 0 --info \
	--cert "$C/server.pem" --key "$C/server.key" --count 1
SP=$(wait_port_file "$TMP/psrv.log")
out=$(echo via-preload | timeout 10 openssl s_client -connect "127.0.0.1:$SP" -CAfile "$C/ca.pem" \
	-verify_return_error -quiet 2>&1)
tap_like "LD_PRELOAD server: accept() + read/write echo to s_client" "$out" "via-preload"
wait_pid "$LAST_PID" 5

# DTLS under the preload library (the datagram BIO re-enters recvfrom/sendto)
bg "$TMP/pdtls.log" timeout 30 env LD_PRELOAD="$PRELOAD" "$PEER_PLAIN" server 0 --dtls \
	--cert "$C/server.pem" --key "$C/server.key" --count 1
SP=$(wait_port_file "$TMP/pdtls.log")
out=$(pre "$PEER_PLAIN" client 127.0.0.1 "$SP" --dtls --ca "$C/ca.pem" --name localhost --send dtls-both-preloaded --info 2>&1)
tap_like "LD_PRELOAD DTLS 1.2 client and server" "$out" "dtls-both-preloaded"
tap_like "LD_PRELOAD DTLS version" "$out" "version=0xfefd"
wait_pid "$LAST_PID" 5
tap_done
