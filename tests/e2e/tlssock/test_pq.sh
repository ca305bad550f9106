#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Post-quantum key exchange with real peers on loopback: TLSSock (with the
# built-in enarx_pq provider) against openssl s_client/s_server with and
# without the provider module, TLSSock against itself, the openssl.cnf
# snippet of docs/post-quantum.md, headless Chromium, and Node.js 26 (its
# own OpenSSL 3.5) as client and server. The group is checked on our side.
# Args: PEER PLAIN PRELOAD HTTPS_GET ECHO_SERVER ENARX_PQ_SO
source "$(dirname "$0")/lib.sh" "$@"
command -v openssl >/dev/null || tap_skip_all "openssl CLI not installed"
MODULE=$6
MODDIR=$(dirname "$MODULE")
# A sanitizer build's module needs the ASan runtime, which the openssl CLI
# lacks: the cases that load it into openssl are skipped there.
NOMOD=
if nm -D "$MODULE" 2>/dev/null | grep -q __asan_; then
	NOMOD="sanitizer build: enarx_pq.so needs the ASan runtime, which the openssl CLI lacks"
fi
# mod_skip NAME...: true (and each NAME skipped) when the module cannot load
mod_skip() {
	[ -n "$NOMOD" ] || return 1
	for n in "$@"; do tap_skip "$n" "$NOMOD"; done
}
PROV=(-provider-path "$MODDIR" -provider enarx_pq -provider default)
HRR_RANDOM=E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C # RFC 8446 4.1.3

: > "$ENARX_TLSSOCK_POLICY" # built-in defaults: X25519MLKEM768 first
printf 'post-quantum = require\n' > "$TMP/require.conf"
printf 'post-quantum = forbid\n' > "$TMP/forbid.conf"
printf 'groups = X25519MLKEM768\n' > "$TMP/only.conf"

srv() { # LOG ARGS...: our HTTP server on a free port; sets SP
	bg "$1" timeout 60 "$PEER" server 0 --info --http / "${@:2}"
	SP=$(wait_port_file "$1")
}
s_server() { # PORT ARGS...
	local port=$1; shift
	bg "$TMP/s_server.$port.log" timeout 60 openssl s_server -accept "127.0.0.1:$port" -www \
		-naccept 5 -cert "$C/server.pem" -key "$C/server.key" "$@"
	wait_tcp "$port"
}
client() { timeout 20 "$PEER" client 127.0.0.1 "$@"; }
s_client() { # PORT ARGS...: one HTTP request through s_client, with its -trace
	local port=$1; shift
	printf 'GET / HTTP/1.0\r\n\r\n' | timeout 10 openssl s_client -connect "127.0.0.1:$port" \
		-CAfile "$C/ca.pem" -verify_return_error -ign_eof -trace "$@" 2>&1
}

# --- TLSSock server offering X25519MLKEM768 then X25519, OpenSSL 3.0 s_client ---
printf 'groups = X25519MLKEM768:X25519\n' > "$TMP/pqfirst.conf"
n=3 want="x25519 x25519 X25519MLKEM768 "
[ -z "$NOMOD" ] || { n=2 want="x25519 x25519 "; }
bg "$TMP/a.log" env ENARX_TLSSOCK_POLICY="$TMP/pqfirst.conf" timeout 60 "$PEER" server 0 --info \
	--http / --cert "$C/server.pem" --key "$C/server.key" --count $n
SP=$(wait_port_file "$TMP/a.log")
out=$(s_client "$SP")
tap_like "s_client without the provider: page from TLSSock" "$out" "hello from tlssock"
out=$(s_client "$SP" -groups P-256:X25519)
tap_like "s_client sending a P-256 share to X25519MLKEM768:X25519: HelloRetryRequest" "$out" "$HRR_RANDOM"
tap_like "... and the handshake completes" "$out" "hello from tlssock"
if ! mod_skip "s_client with -provider enarx_pq -groups X25519MLKEM768: page" \
	"... its key share is codepoint 0x11EC (4588), 1216 bytes"; then
	out=$(s_client "$SP" "${PROV[@]}" -groups X25519MLKEM768)
	tap_like "s_client with -provider enarx_pq -groups X25519MLKEM768: page" "$out" "hello from tlssock"
	tap_like "... its key share is codepoint 0x11EC (4588), 1216 bytes" "$out" "key_share\(51\), length=1222"
fi
wait_pid "$LAST_PID" 5
tap_is "server side: groups negotiated (plain, HRR, provider)" \
	"$(sed -n 's/.* group=\([^ ]*\) .*/\1/p' "$TMP/a.log" | tr '\n' ' ')" "$want"

# --- TLSSock client, s_server with the provider module ---
if ! mod_skip "TLSSock client vs s_server -provider enarx_pq -groups X25519MLKEM768" \
	"... TLS_GROUP reports X25519MLKEM768" \
	"post-quantum = forbid against a PQ-only server: handshake fails (EPROTO)" \
	"post-quantum = forbid: x25519 with a server that offers both"; then
	p=$(free_port); s_server "$p" "${PROV[@]}" -groups X25519MLKEM768
	out=$(client "$p" --ca "$C/ca.pem" --name localhost --http / --info 2>&1)
	tap_like "TLSSock client vs s_server -provider enarx_pq -groups X25519MLKEM768" "$out" "HTTP/1.0 200 ok"
	tap_like "... TLS_GROUP reports X25519MLKEM768" "$out" "group=X25519MLKEM768"
	out=$(ENARX_TLSSOCK_POLICY=$TMP/forbid.conf client "$p" --ca "$C/ca.pem" --name localhost --http / 2>&1)
	tap_like "post-quantum = forbid against a PQ-only server: handshake fails (EPROTO)" "$out" "errno=EPROTO"
	p=$(free_port); s_server "$p" "${PROV[@]}" -groups X25519MLKEM768:X25519
	out=$(ENARX_TLSSOCK_POLICY=$TMP/forbid.conf client "$p" --ca "$C/ca.pem" --name localhost --http / --info 2>&1)
	tap_like "post-quantum = forbid: x25519 with a server that offers both" "$out" "group=x25519"
fi
out=$(client "$SP" --ca "$C/ca.pem" --name localhost --groups SecP256r1MLKEM768 --http / --info 2>&1)
tap_like "TLS_GROUPS SecP256r1MLKEM768 (0x11EB) is refused: not in the default policy" "$out" "errno=EPERM what=groups"

# --- TLSSock to TLSSock ---
srv "$TMP/b.log" --cert "$C/server.pem" --key "$C/server.key" --count 2
out=$(client "$SP" --ca "$C/ca.pem" --name localhost --http / --info 2>&1)
tap_like "TLSSock client and server (defaults): X25519MLKEM768 on the client" "$out" "group=X25519MLKEM768"
tap_like "... page received" "$out" "hello from tlssock"
out=$(ENARX_TLSSOCK_POLICY=$TMP/forbid.conf client "$SP" --ca "$C/ca.pem" --name localhost --http / --info 2>&1)
tap_like "a PQ-forbidding client and a default server agree on x25519" "$out" "group=x25519"
wait_pid "$LAST_PID" 5
tap_like "... the server reports X25519MLKEM768 then x25519" "$(tr '\n' ' ' < "$TMP/b.log")" "group=X25519MLKEM768 .*group=x25519 "

# --- post-quantum = require on a server ---
n=2
[ -z "$NOMOD" ] || n=1
bg "$TMP/c.log" env ENARX_TLSSOCK_POLICY="$TMP/require.conf" timeout 60 "$PEER" server 0 --info \
	--http / --cert "$C/server.pem" --key "$C/server.key" --count $n
SP=$(wait_port_file "$TMP/c.log")
out=$(s_client "$SP")
tap_unlike=$(printf '%s' "$out" | grep -c "hello from tlssock" || true)
tap_is "post-quantum = require: a classical s_client is refused" "$tap_unlike" "0"
if ! mod_skip "post-quantum = require: s_client with the provider gets through" \
	"... as X25519MLKEM768 (server side)"; then
	out=$(s_client "$SP" "${PROV[@]}" -groups X25519MLKEM768:X25519)
	tap_like "post-quantum = require: s_client with the provider gets through" "$out" "hello from tlssock"
	wait_pid "$LAST_PID" 5
	tap_like "... as X25519MLKEM768 (server side)" "$(cat "$TMP/c.log")" "group=X25519MLKEM768"
fi
wait_pid "$LAST_PID" 5

# --- the openssl.cnf snippet from docs/post-quantum.md, verbatim except for
# the module path, in any OpenSSL 3.0 application (here the openssl CLI) ---
snippet=$(awk '/<!-- tested: openssl.cnf -->/{f=1; next} f && /^```/{if (n++) exit; next} f' \
	"$ENARX_SRC/docs/post-quantum.md")
printf '%s\n' "$snippet" | sed "s|/usr/local/lib/enarx/enarx_pq.so|$MODULE|" > "$TMP/openssl.cnf"
if mod_skip "openssl.cnf snippet: plain 'openssl s_client -groups X25519MLKEM768' works" \
	"... negotiated X25519MLKEM768 (server side)" \
	"openssl.cnf snippet: 'openssl list -kem-algorithms' shows ML-KEM-768"; then
	:
elif grep -q "enarx_pq" "$TMP/openssl.cnf"; then
	srv "$TMP/d.log" --cert "$C/server.pem" --key "$C/server.key" --count 1
	out=$(OPENSSL_CONF=$TMP/openssl.cnf s_client "$SP" -groups X25519MLKEM768)
	tap_like "openssl.cnf snippet: plain 'openssl s_client -groups X25519MLKEM768' works" "$out" "hello from tlssock"
	wait_pid "$LAST_PID" 5
	tap_like "... negotiated X25519MLKEM768 (server side)" "$(cat "$TMP/d.log")" "group=X25519MLKEM768"
	out=$(OPENSSL_CONF=$TMP/openssl.cnf openssl list -kem-algorithms 2>&1)
	tap_like "openssl.cnf snippet: 'openssl list -kem-algorithms' shows ML-KEM-768" "$out" "ML-KEM-768 @ enarx_pq"
else
	tap_fail "openssl.cnf snippet found in docs/post-quantum.md" "$snippet"
fi

# --- headless Chromium against a server that offers only X25519MLKEM768 ---
chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$chrome" ]; then
	bg "$TMP/e.log" env ENARX_TLSSOCK_POLICY="$TMP/only.conf" timeout 90 "$PEER" server 0 --info \
		--cert "$C/server.pem" --key "$C/server.key" --http / --count 3
	SP=$(wait_port_file "$TMP/e.log")
	page=$(timeout 60 "$chrome" --headless --no-sandbox --disable-gpu --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$TMP/chromium" --ignore-certificate-errors \
		--dump-dom "https://127.0.0.1:$SP/" 2>"$TMP/chromium.err")
	tap_like "Chromium fetches a page from a TLSSock server offering only X25519MLKEM768" "$page" "hello from tlssock"
	tap_like "... negotiated X25519MLKEM768 (server side)" "$(cat "$TMP/e.log")" "group=X25519MLKEM768"
else
	tap_skip "Chromium fetches a page over X25519MLKEM768" "chromium not installed (scripts/install-deps.sh)"
fi

# --- Node.js 26 (bundles OpenSSL 3.5) as client and server ---
node=$("$ENARX_SRC/scripts/node26.sh" 2>"$TMP/node26.err" || true)
if [ -n "$node" ] && [ -x "$node" ]; then
	node_get() { # PORT CURVE: one HTTPS request from Node offering only CURVE
		timeout 20 "$node" -e '
		const tls = require("tls"), fs = require("fs");
		const s = tls.connect({host: "127.0.0.1", port: +process.argv[1], servername: "localhost",
			ca: fs.readFileSync(process.argv[2]), ecdhCurve: process.argv[3]}, () => {
			s.write("GET / HTTP/1.0\r\n\r\n"); });
		s.on("data", d => process.stdout.write("got " + d));
		s.on("error", e => { console.log("error " + e.message); process.exit(1); });' \
		"$1" "$C/ca.pem" "$2" 2>&1
	}
	srv "$TMP/f.log" --cert "$C/server.pem" --key "$C/server.key" --count 1
	out=$(node_get "$SP" X25519MLKEM768)
	tap_like "Node 26 client (ecdhCurve X25519MLKEM768) to a TLSSock server: page" "$out" "hello from tlssock"
	wait_pid "$LAST_PID" 5
	tap_like "... negotiated X25519MLKEM768 (server side)" "$(cat "$TMP/f.log")" "group=X25519MLKEM768"
	# the other layouts: ECDH first (SecP256r1MLKEM768), ML-KEM alone (MLKEM768)
	printf 'groups = SecP256r1MLKEM768:MLKEM768\n' > "$TMP/others.conf"
	bg "$TMP/g.log" env ENARX_TLSSOCK_POLICY="$TMP/others.conf" timeout 60 "$PEER" server 0 --info \
		--http / --cert "$C/server.pem" --key "$C/server.key" --count 2
	SP=$(wait_port_file "$TMP/g.log")
	out=$(node_get "$SP" SecP256r1MLKEM768)
	tap_like "Node 26 client with SecP256r1MLKEM768 (0x11EB): page" "$out" "hello from tlssock"
	out=$(node_get "$SP" MLKEM768)
	tap_like "Node 26 client with MLKEM768 (0x0201): page" "$out" "hello from tlssock"
	wait_pid "$LAST_PID" 5
	tap_is "... server side: SecP256r1MLKEM768 then MLKEM768" \
		"$(sed -n 's/.* group=\([^ ]*\) .*/\1/p' "$TMP/g.log" | tr '\n' ' ')" "SecP256r1MLKEM768 MLKEM768 "
	np=$(free_port)
	bg "$TMP/node-srv.log" timeout 60 "$node" -e '
		const tls = require("tls"), fs = require("fs");
		tls.createServer({key: fs.readFileSync(process.argv[2]), cert: fs.readFileSync(process.argv[3]),
			ecdhCurve: "X25519MLKEM768"}, c => c.pipe(c)).listen(+process.argv[1], "127.0.0.1");' \
		"$np" "$C/server.key" "$C/server.pem"
	wait_tcp "$np"
	out=$(client "$np" --ca "$C/ca.pem" --name localhost --send to-node --info 2>&1)
	tap_like "TLSSock client to a Node 26 server offering only X25519MLKEM768: echo" "$out" "to-node"
	tap_like "... TLS_GROUP reports X25519MLKEM768" "$out" "group=X25519MLKEM768"
else
	why=$(tail -1 "$TMP/node26.err" 2>/dev/null)
	tap_skip "Node 26 client to a TLSSock server over X25519MLKEM768" "Node 26 unavailable: ${why:-no reason}"
	tap_skip "Node 26 client over SecP256r1MLKEM768 and MLKEM768" "Node 26 unavailable: ${why:-no reason}"
	tap_skip "TLSSock client to a Node 26 server over X25519MLKEM768" "Node 26 unavailable: ${why:-no reason}"
fi

tap_done
