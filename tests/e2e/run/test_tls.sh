#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Keep TLS (Enarx.toml prot = "tls", docs/enarx-toml.md) end to end: the C
# HTTPS server example (examples/https_server.c, plain WASI sockets) in a
# Keep, reached by curl, openssl s_client (TLS 1.3 and 1.2), gnutls-cli and
# headless Chromium; mutual TLS; the TLS policy (a client offering only
# what it forbids is refused); slow and half-open clients; and
# examples/https_fetch.c fetching from a test-started nginx over TLS with
# the right trust anchor, the wrong one, and the wrong host name. The
# Enarx.toml examples of docs/enarx-toml.md are the configs used here.
# Backends: ENARX_TEST_BACKENDS (default "nil kvm"; kvm is skipped with the
# reason where it cannot run).
set -u
source "$ENARX_SRC/tests/lib/tap.sh"

ENARX=${ENARX_BIN:?}
EX=${ENARX_BUILD:?}/examples
[ -f "$EX/https_server.wasm" ] || tap_skip_all "examples not built (no wasm32-wasi clang)"
command -v curl >/dev/null || tap_skip_all "curl not installed (scripts/install-deps.sh)"
T=$(mktemp -d /tmp/enarx-e2e-tls.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
export ENARX_LOG=${ENARX_LOG:-warn}

"$ENARX_SRC/tests/e2e/tlssock/mkcerts.sh" "$T/pki" >/dev/null 2>&1 ||
	tap_skip_all "cannot make test certificates with openssl"
P=$T/pki

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_tcp PORT: until something listens there (10 s), without connecting.
wait_tcp() {
	local hex
	hex=$(printf '%04X' "$1")
	for _ in $(seq 100); do
		grep -qE "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:0000 0A " /proc/net/tcp 2>/dev/null &&
			return 0
		sleep 0.1
	done
	return 1
}

# doc_example NAME: the ```toml block after <!-- test: NAME --> in the docs.
doc_example() {
	awk -v m="<!-- test: $1 -->" '$0 == m {f = 1; next}
		f && /^```toml/ {g = 1; next} g && /^```/ {exit} g {print}' \
		"$ENARX_SRC/docs/enarx-toml.md"
}

# start_keep DIR BACKEND CONFIG: the HTTPS server in a Keep, in DIR (its
# relative file names resolve there); waits until it serves. Sets KEEP_PID.
start_keep() {
	(cd "$1" && exec timeout 300 "$ENARX" run --backend "$2" --wasmcfgfile "$3" \
		--tls-cert "$1/keep.pem" "$EX/https_server.wasm" -- web >"$1/out" 2>"$1/err") &
	KEEP_PID=$!
	PIDS+=("$KEEP_PID")
	for _ in $(seq 300); do
		grep -q "serving on" "$1/out" 2>/dev/null && return 0
		kill -0 "$KEEP_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# stop_keep DIR PORT: GET /quit, then the Keep must end with status 0.
stop_keep() {
	local rc
	curl -sS --max-time 20 --cacert "$1/keep.pem" "https://localhost:$2/quit" >/dev/null 2>&1
	for _ in $(seq 100); do kill -0 "$KEEP_PID" 2>/dev/null || break; sleep 0.1; done
	kill "$KEEP_PID" 2>/dev/null
	wait "$KEEP_PID"; rc=$?
	tap_is "$B: the server exits 0 after /quit" "$rc" 0
}

listen_config() { # PORT [mtls]: the documented listener on PORT
	doc_example listen | sed "s/^port = 8443/port = $1/" |
		if [ "${2:-}" = mtls ]; then cat; else grep -v '^client_ca'; fi
}

backend_ok() {
	local out
	out=$(timeout 60 "$ENARX" run --backend "$1" "$EX/hello.wasm" 2>"$T/why")
	[ "$out" = "Hello, world!" ] && return 0
	SKIP_WHY=$(grep -v 'warn:' "$T/why" | head -1)
	return 1
}

server_tests() { # the server tests of backend B; full: also the nil-only peers
	local D=$T/$B-srv port out pin fp got
	mkdir -p "$D"
	port=$(free_port)
	listen_config "$port" >"$D/Enarx.toml"
	if ! start_keep "$D" "$B" "$D/Enarx.toml"; then
		tap_fail "$B: HTTPS server Keep starts" "$(cat "$D/err")"
		return
	fi
	tap_pass "$B: HTTPS server Keep starts"
	fp=$(sed -n 's/^enarx: Keep TLS certificate SHA-256 fingerprint: //p' "$D/err")
	pin=$(sed -n 's|^enarx: Keep TLS public key pin: sha256//||p' "$D/err")
	tap_like "$B: enarx run prints the certificate's SHA-256 fingerprint" "$fp" "^([0-9A-F]{2}:){31}[0-9A-F]{2}$"
	# pinning: fetch the certificate over TLS, check it against the print
	echo | timeout 20 openssl s_client -connect "127.0.0.1:$port" -showcerts 2>/dev/null |
		openssl x509 >"$D/fetched.pem" 2>/dev/null
	got=$(openssl x509 -in "$D/fetched.pem" -noout -fingerprint -sha256 2>&1 | sed 's/.*=//')
	tap_is "$B: the certificate fetched over TLS has the printed fingerprint" "$got" "$fp"
	tap_is "$B: --tls-cert wrote the same certificate" \
		"$(openssl x509 -in "$D/keep.pem" -noout -fingerprint -sha256 2>&1 | sed 's/.*=//')" "$fp"
	out=$(curl -sS --max-time 30 --cacert "$D/fetched.pem" "https://localhost:$port/" 2>&1)
	tap_like "$B: curl --cacert (pinned certificate) gets the page" "$out" 'id="keep"'
	out=$(curl -sS --max-time 30 --pinnedpubkey "sha256//$pin" -k "https://127.0.0.1:$port/" 2>&1)
	tap_like "$B: curl --pinnedpubkey with the printed pin gets the page" "$out" 'id="keep"'
	out=$(echo | timeout 20 openssl s_client -tls1_3 -connect "127.0.0.1:$port" \
		-servername localhost -CAfile "$D/keep.pem" -verify_return_error -alpn http/1.1 2>&1)
	tap_like "$B: openssl s_client -tls1_3: TLS 1.3, verified" "$out" "New, TLSv1.3,.*"
	tap_like "$B: ... ALPN http/1.1 from alpn = [...]" "$out" "ALPN protocol: http/1.1"
	out=$(echo | timeout 20 openssl s_client -tls1_2 -connect "127.0.0.1:$port" \
		-CAfile "$D/keep.pem" -verify_return_error 2>&1)
	tap_like "$B: openssl s_client -tls1_2: TLS 1.2, verified" "$out" "New, TLSv1.2, Cipher is ECDHE-ECDSA"
	got=$(curl -sS --max-time 120 --cacert "$D/keep.pem" "https://localhost:$port/bytes/3000000" | wc -c)
	tap_is "$B: 3 MB response arrives whole" "$got" 3000000
	if [ "${1:-}" = full ]; then
		peers_tests "$D" "$port" "$pin"
	fi
	stop_keep "$D" "$port"
}

peers_tests() { # DIR PORT PIN: gnutls, Chromium, policy, slow clients
	local D=$1 port=$2 pin=$3 out chrome s1 s2
	if command -v gnutls-cli >/dev/null; then
		out=$(printf 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n' | timeout 20 gnutls-cli \
			--x509cafile "$D/keep.pem" -p "$port" localhost 2>&1)
		tap_like "$B: gnutls-cli verifies the Keep and gets the page" "$out" 'id="keep"'
	else
		tap_skip "$B: gnutls-cli" "gnutls-cli not installed (scripts/install-deps.sh)"
	fi
	chrome=$(command -v chromium || command -v chromium-browser || true)
	if [ -n "$chrome" ] && command -v certutil >/dev/null; then
		# the Keep's certificate as a trusted peer in a test-made NSS db
		mkdir -p "$D/home/.pki/nssdb"
		certutil -N -d "sql:$D/home/.pki/nssdb" --empty-password &&
			certutil -A -d "sql:$D/home/.pki/nssdb" -n enarx-keep -t "P,," -i "$D/keep.pem"
		out=$(HOME=$D/home timeout 90 "$chrome" --headless --no-sandbox --disable-gpu \
			--no-first-run --disable-background-networking --disable-component-update \
			--disable-sync --user-data-dir="$D/chromium" \
			--dump-dom "https://localhost:$port/" 2>"$D/chromium.err")
		tap_like "$B: headless Chromium (Keep certificate trusted in an NSS db) renders the page" \
			"$out" '<h1 id="keep">Hello from an Enarx Keep over TLS</h1>'
		out=$(HOME=$T/nohome timeout 90 "$chrome" --headless --no-sandbox --disable-gpu \
			--no-first-run --disable-background-networking --disable-component-update \
			--disable-sync --user-data-dir="$D/chromium2" \
			--dump-dom "https://localhost:$port/" 2>"$D/chromium2.err")
		tap_unlike "$B: ... and without that trust Chromium refuses it" "$out" 'id="keep"'
	else
		tap_skip "$B: Chromium" "chromium or certutil not installed (scripts/install-deps.sh)"
		tap_skip "$B: Chromium without trust" "chromium or certutil not installed"
	fi
	# the policy: nothing older than TLS 1.2, TLS 1.2 only with ECDHE + AEAD
	out=$(echo | timeout 20 openssl s_client -tls1_1 -connect "127.0.0.1:$port" 2>&1)
	tap_unlike "$B: a TLS 1.1-only client is refused" "$out" "New, TLSv1"
	out=$(echo | timeout 20 openssl s_client -tls1_2 -cipher AES128-SHA:AES256-GCM-SHA384 \
		-connect "127.0.0.1:$port" 2>&1)
	tap_unlike "$B: a client offering only RSA key exchange (no forward secrecy) is refused" \
		"$out" "Cipher is AES"
	# a half-open TLS handshake and a silent connection do not block others
	python3 -c 'import socket,time,sys
a = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
a.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # a ClientHello cut short
b = socket.create_connection(("127.0.0.1", int(sys.argv[1])))  # says nothing
time.sleep(30)' "$port" &
	s1=$!
	PIDS+=("$s1")
	(printf 'GET / HTTP/1.1\r\nHost: x\r\n'; sleep 30) | timeout 40 openssl s_client -quiet \
		-connect "127.0.0.1:$port" >/dev/null 2>&1 &
	s2=$!
	PIDS+=("$s2")
	sleep 1
	out=$(curl -sS --max-time 10 --cacert "$D/keep.pem" "https://localhost:$port/" 2>&1)
	tap_like "$B: served while a half-open handshake, a silent and a slowloris client wait" \
		"$out" 'id="keep"'
	kill "$s1" "$s2" 2>/dev/null
}

tap_unlike() {
	if printf '%s' "$2" | grep -Eq -- "$3"; then tap_fail "$1" "text matches '$3': $2"; else tap_pass "$1"; fi
}

mtls_tests() {
	local D=$T/$B-mtls port out
	mkdir -p "$D"
	port=$(free_port)
	cp "$P/ca.pem" "$D/client-ca.pem"
	listen_config "$port" mtls >"$D/Enarx.toml"
	if ! start_keep "$D" "$B" "$D/Enarx.toml"; then
		tap_fail "$B: mTLS server Keep starts" "$(cat "$D/err")"
		return
	fi
	out=$(curl -sS --max-time 20 --cacert "$D/keep.pem" "https://localhost:$port/" 2>&1)
	tap_unlike "$B: mTLS: a client without a certificate is refused" "$out" 'id="keep"'
	out=$(curl -sS --max-time 20 --cacert "$D/keep.pem" --cert "$P/badclient.pem" \
		--key "$P/badclient.key" "https://localhost:$port/" 2>&1)
	tap_unlike "$B: mTLS: a client certificate from another CA is refused" "$out" 'id="keep"'
	out=$(curl -sS --max-time 20 --cacert "$D/keep.pem" --cert "$P/client.pem" \
		--key "$P/client.key" "https://localhost:$port/" 2>&1)
	tap_like "$B: mTLS: the client certificate from client_ca gets the page" "$out" 'id="keep"'
	out=$(curl -sS --max-time 20 --cacert "$D/keep.pem" --cert "$P/client.pem" \
		--key "$P/client.key" "https://localhost:$port/quit" 2>&1)
	for _ in $(seq 100); do kill -0 "$KEEP_PID" 2>/dev/null || break; sleep 0.1; done
	kill "$KEEP_PID" 2>/dev/null
	wait "$KEEP_PID"
	tap_is "$B: mTLS server exits 0" "$?" 0
}

policy_tests() { # tls_policy: a TLSSock policy file from the workload
	local D=$T/$B-pol port out
	mkdir -p "$D"
	port=$(free_port)
	printf 'min-version = TLS1.3\n' >"$D/tls-policy.conf"
	{ echo 'tls_policy = "tls-policy.conf"'; listen_config "$port"; } >"$D/Enarx.toml"
	if ! start_keep "$D" "$B" "$D/Enarx.toml"; then
		tap_fail "$B: Keep with tls_policy starts" "$(cat "$D/err")"
		return
	fi
	out=$(echo | timeout 20 openssl s_client -tls1_2 -connect "127.0.0.1:$port" 2>&1)
	tap_unlike "$B: tls_policy min-version = TLS1.3 refuses a TLS 1.2 client" "$out" "New, TLSv1.2"
	out=$(echo | timeout 20 openssl s_client -tls1_3 -connect "127.0.0.1:$port" \
		-CAfile "$D/keep.pem" -verify_return_error 2>&1)
	tap_like "$B: ... and serves TLS 1.3" "$out" "New, TLSv1.3"
	stop_keep "$D" "$port"
}

# nginx on loopback with the test PKI's localhost certificate; mTLS on a
# second port. Sets NGX_PORT, NGX_MTLS_PORT; returns 1 if it cannot run.
start_nginx() {
	local ngx N=$T/nginx
	ngx=$(command -v nginx || echo /usr/sbin/nginx)
	[ -x "$ngx" ] || return 1
	NGX_PORT=$(free_port)
	NGX_MTLS_PORT=$(free_port)
	mkdir -p "$N"
	cat >"$N/nginx.conf" <<CONF
daemon off;
master_process off;
pid $N/nginx.pid;
error_log $N/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $N/body;
    proxy_temp_path $N/proxy;
    fastcgi_temp_path $N/fastcgi;
    uwsgi_temp_path $N/uwsgi;
    scgi_temp_path $N/scgi;
    ssl_certificate $P/server.pem;
    ssl_certificate_key $P/server.key;
    server {
        listen 127.0.0.1:$NGX_PORT ssl;
        location / { return 200 "hello from nginx over TLS\n"; }
    }
    server {
        listen 127.0.0.1:$NGX_MTLS_PORT ssl;
        ssl_client_certificate $P/ca.pem;
        ssl_verify_client on;
        location / { return 200 "hello client \$ssl_client_s_dn\n"; }
    }
}
CONF
	timeout 600 "$ngx" -p "$N" -c "$N/nginx.conf" -e "$N/error.log" >"$N/out" 2>&1 &
	PIDS+=($!)
	wait_tcp "$NGX_PORT" && wait_tcp "$NGX_MTLS_PORT"
}

# connect_run NAME PORT CA SERVER_NAME [mtls]: https_fetch through the
# documented connect entry; prints its output and enarx's errors.
connect_run() {
	local D=$T/$B-$1
	mkdir -p "$D"
	cp "$3" "$D/upstream-ca.pem"
	cp "$P/client.pem" "$D/client.pem"
	cp "$P/client.key" "$D/client.key"
	printf 'min-version = TLS1.2\n' >"$D/tls-policy.conf"
	doc_example connect | sed -e "s/^port = 443/port = $2/" \
		-e "s/^server_name = .*/server_name = \"$4\"/" |
		if [ "${5:-}" = mtls ]; then cat; else grep -Ev '^(cert|key) ='; fi >"$D/Enarx.toml"
	(cd "$D" && timeout 120 "$ENARX" run --backend "$B" --wasmcfgfile Enarx.toml \
		"$EX/https_fetch.wasm" -- upstream localhost 2>&1)
}

connect_tests() {
	local out rc
	if [ -z "${NGX_PORT:-}" ]; then
		for i in 1 2 3 4 5; do tap_skip "$B: connect to nginx $i" "nginx not installed or did not start"; done
		return
	fi
	out=$(connect_run ok "$NGX_PORT" "$P/ca.pem" localhost); rc=$?
	tap_like "$B: connect: https_fetch gets nginx's page through the Keep's TLS" "$out" "hello from nginx over TLS"
	tap_is "$B: ... exit 0" "$rc" 0
	out=$(connect_run anchor "$NGX_PORT" "$P/evilca.pem" localhost); rc=$?
	tap_like "$B: connect: the wrong trust anchor is refused before the workload runs" "$out" \
		"'upstream': TLS with 127.0.0.1 port $NGX_PORT .*failed: .*unable to get local issuer certificate"
	out=$(connect_run name "$NGX_PORT" "$P/ca.pem" wrong.example); rc=$?
	tap_like "$B: connect: the wrong host name is refused" "$out" \
		"name wrong.example\) failed: .*(hostname mismatch|Hostname mismatch)"
	out=$(connect_run mtls "$NGX_MTLS_PORT" "$P/ca.pem" localhost mtls); rc=$?
	tap_like "$B: connect with cert/key: nginx (ssl_verify_client on) sees the client certificate" \
		"$out" "hello client CN=tlssock-client"
	out=$(connect_run nocert "$NGX_MTLS_PORT" "$P/ca.pem" localhost); rc=$?
	tap_like "$B: connect without cert/key: nginx asks for one (400)" "$out" "400 No required SSL certificate"
}

config_tests() {
	local out
	printf '[[files]]\nkind = "listen"\nname = "x"\nprot = "tcp"\nalpn = ["h2"]\n' >"$T/bad1.toml"
	out=$("$ENARX" config check "$T/bad1.toml" 2>&1)
	tap_like "config: a TLS key on a tcp entry names the line and key" "$out" \
		"line 5: key 'alpn': only with prot = \"tls\""
	printf '[[files]]\nkind = "connect"\nhost = "127.0.0.1"\nport = 443\n' >"$T/bad2.toml"
	out=$("$ENARX" config check "$T/bad2.toml" 2>&1)
	tap_like "config: connect with prot = \"tls\" (the default) needs 'ca'" "$out" "needs key 'ca'"
	doc_example listen >"$T/doc1.toml"
	tap_ok "config: the documented listen example passes enarx config check" "$ENARX" config check "$T/doc1.toml"
	doc_example connect >"$T/doc2.toml"
	tap_ok "config: the documented connect example passes enarx config check" "$ENARX" config check "$T/doc2.toml"
	mkdir -p "$T/missing"
	listen_config "$(free_port)" mtls >"$T/missing/Enarx.toml"
	out=$(cd "$T/missing" && timeout 60 "$ENARX" run --backend nil --wasmcfgfile Enarx.toml \
		"$EX/https_server.wasm" 2>&1)
	tap_like "run: a missing client_ca file is named with its key" "$out" \
		"\\[\\[files\\]\\] 'web': key 'client_ca': .*client-ca.pem"
}

config_tests
start_nginx || NGX_PORT=
for B in ${ENARX_TEST_BACKENDS:-nil kvm}; do
	if ! backend_ok "$B"; then
		tap_skip "$B: all Keep TLS tests" "backend $B not available: ${SKIP_WHY:-unknown}"
		continue
	fi
	if [ "$B" = nil ]; then
		server_tests full
		mtls_tests
		policy_tests
	else
		server_tests
		mtls_tests
	fi
	connect_tests
done
tap_done
