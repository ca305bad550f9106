#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The example programs (examples/tlssock/, TLSSock API only, no TLS library
# calls) run against real peers: https_get fetches from openssl s_server and
# nginx; echo_server serves openssl s_client and gnutls-cli concurrently.
# Usage: test_examples.sh PEER PLAIN PRELOAD HTTPS_GET ECHO_SERVER
source "$(dirname "$0")/lib.sh" "$@"
HTTPS_GET=$4
ECHO_SERVER=$5
: > "$ENARX_TLSSOCK_POLICY"

p=$(free_port)
bg "$TMP/s_server.log" timeout 60 openssl s_server -accept "127.0.0.1:$p" -www -naccept 3 \
	-cert "$C/server.pem" -key "$C/server.key"
wait_tcp "$p"
out=$(timeout 10 "$HTTPS_GET" "https://localhost:$p/" "$C/ca.pem" 2>&1); rc=$?
tap_is "https_get vs openssl s_server: exit 0 (HTTP 200)" "$rc" "0"
tap_like "https_get vs openssl s_server: body" "$out" "<HTML>"
out=$(timeout 10 "$HTTPS_GET" "https://localhost:$p/" "$C/evilca.pem" 2>&1); rc=$?
tap_is "https_get with the wrong trust anchor: exit 2" "$rc" "2"
tap_like "https_get prints TLSSock's reason" "$out" "connect: Key was rejected by service: peer certificate rejected"

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ -x "$NGINX" ]; then
	np=$(free_port)
	mkdir -p "$TMP/nginx"
	cat > "$TMP/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 16; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    server {
        listen 127.0.0.1:$np ssl;
        ssl_certificate $C/server.pem;
        ssl_certificate_key $C/server.key;
        location / { return 200 "example body from nginx\n"; }
        location /missing { return 404; }
    }
}
CONF
	bg "$TMP/nginx.out" timeout 60 "$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log"
	if wait_tcp "$np"; then
		out=$(timeout 10 "$HTTPS_GET" "https://localhost:$np/" "$C/ca.pem" 2>&1); rc=$?
		tap_is "https_get vs nginx: body" "$out" "example body from nginx"
		tap_is "https_get vs nginx: exit 0" "$rc" "0"
		timeout 10 "$HTTPS_GET" "https://localhost:$np/missing" "$C/ca.pem" >/dev/null 2>&1; rc=$?
		tap_is "https_get vs nginx 404: exit 1" "$rc" "1"
	else
		for i in 1 2 3; do tap_skip "https_get vs nginx $i" "nginx did not start"; done
	fi
else
	for i in 1 2 3; do tap_skip "https_get vs nginx $i" "nginx not installed"; done
fi

bg "$TMP/echo.log" timeout 30 "$ECHO_SERVER" 0 "$C/server-chain.pem" "$C/server.key" 3
for _ in $(seq 50); do grep -q "listening on" "$TMP/echo.log" 2>/dev/null && break; sleep 0.1; done
ep=$(sed -n 's/^listening on //p' "$TMP/echo.log")
# A slow client holds its connection open while the others are served.
(echo slow-client; sleep 3) | timeout 10 openssl s_client -connect "127.0.0.1:$ep" \
	-CAfile "$C/ca.pem" -verify_return_error -quiet >"$TMP/slow.out" 2>&1 &
slow=$!
PIDS+=($slow)
sleep 0.5
out=$( (echo hello-echo-1.2; sleep 1) | timeout 10 openssl s_client -connect "127.0.0.1:$ep" \
	-CAfile "$C/ca.pem" -verify_return_error -tls1_2 -quiet 2>&1)
tap_like "echo_server vs openssl s_client TLS 1.2" "$out" "hello-echo-1.2"
if command -v gnutls-cli >/dev/null; then
	out=$( (echo hello-gnutls; sleep 1) | timeout 10 gnutls-cli --x509cafile "$C/ca.pem" -p "$ep" localhost 2>&1)
	tap_like "echo_server vs gnutls-cli while another client is connected" "$out" "hello-gnutls"
else
	tap_skip "echo_server vs gnutls-cli" "gnutls-cli not installed"
fi
wait_pid "$slow" 10
tap_like "echo_server served the long-lived client too" "$(cat "$TMP/slow.out")" "slow-client"
wait_pid "$LAST_PID" 10; rc=$?
tap_is "echo_server exits after its 3 clients" "$rc" "0"
tap_done
