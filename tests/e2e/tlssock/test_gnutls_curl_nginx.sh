#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# TLSSock against independent TLS stacks and real servers on loopback:
# gnutls-serv / gnutls-cli (GnuTLS), curl (as a client of a TLSSock server),
# and nginx (as the server for a TLSSock client).
source "$(dirname "$0")/lib.sh" "$@"
: > "$ENARX_TLSSOCK_POLICY"

client() { timeout 20 "$PEER" client 127.0.0.1 "$@"; }
srv() { # LOG ARGS...: our server on a free port; sets SP
	bg "$1" timeout 30 "$PEER" server 0 --info "${@:2}"
	SP=$(wait_port_file "$1")
}

# ---------------- GnuTLS ----------------
if ! command -v gnutls-serv >/dev/null; then
	for i in 1 2 3 4 5 6 7 8; do tap_skip "gnutls case $i" "gnutls-bin not installed"; done
else
	g_serv() { # PORT ARGS...
		local port=$1; shift
		bg "$TMP/gnutls.$port.log" timeout 60 gnutls-serv -p "$port" \
			--x509certfile "$C/server.pem" --x509keyfile "$C/server.key" "$@"
		wait_tcp "$port"
	}
	p=$(free_port); g_serv "$p" --http
	out=$(client "$p" --ca "$C/ca.pem" --name localhost --http / --info 2>&1)
	tap_like "gnutls-serv TLS 1.3: HTTP response" "$out" "HTTP/1.0 200 OK"
	tap_like "gnutls-serv TLS 1.3: version and suite" "$out" "version=0x0304 cipher=TLS_"
	p=$(free_port); g_serv "$p" --http --priority "NORMAL:-VERS-TLS1.3"
	out=$(client "$p" --ca "$C/ca.pem" --name localhost --http / --info 2>&1)
	tap_like "gnutls-serv TLS 1.2 only: negotiated 1.2" "$out" "version=0x0303 cipher=TLS_ECDHE_ECDSA_WITH_"
	p=$(free_port); g_serv "$p" --http --alpn=h2 --alpn=http/1.1
	out=$(client "$p" --ca "$C/ca.pem" --name localhost --alpn http/1.1 --http / --info 2>&1)
	tap_like "gnutls-serv ALPN http/1.1" "$out" "alpn=http/1.1"
	client "$p" --ca "$C/ca.pem" --name localhost --http / --session-out "$TMP/g.sess" >/dev/null 2>&1
	out=$(client "$p" --ca "$C/ca.pem" --name localhost --http / --session-in "$TMP/g.sess" --info 2>&1)
	tap_like "gnutls-serv resumption with a TLS 1.3 ticket" "$out" "reused=1"

	# gnutls-cli as the client of a TLSSock echo server
	srv "$TMP/gsrv.log" --cert "$C/server.pem" --key "$C/server.key" --ca "$C/ca.pem" \
		--require-cert --alpn h2,http/1.1 --count 2
	out=$( (echo hello-gnutls; sleep 1) | timeout 10 gnutls-cli --x509cafile "$C/ca.pem" \
		--x509certfile "$C/client.pem" --x509keyfile "$C/client.key" --alpn http/1.1 \
		-p "$SP" localhost 2>&1)
	tap_like "gnutls-cli with a client certificate vs TLSSock server: echo" "$out" "hello-gnutls"
	out=$( (echo hello-1.2; sleep 1) | timeout 10 gnutls-cli --x509cafile "$C/ca.pem" \
		--x509certfile "$C/client.pem" --x509keyfile "$C/client.key" \
		--priority "NORMAL:-VERS-TLS1.3" -p "$SP" localhost 2>&1)
	tap_like "gnutls-cli TLS 1.2 vs TLSSock server: echo" "$out" "hello-1.2"
	wait_pid "$LAST_PID" 5
	log=$(cat "$TMP/gsrv.log")
	tap_like "TLSSock server saw ALPN http/1.1 from gnutls-cli" "$log" "alpn=http/1.1"
	tap_like "TLSSock server saw a 1.2 handshake from gnutls-cli" "$log" "version=0x0303"
fi

# ---------------- curl ----------------
if ! command -v curl >/dev/null; then
	for i in 1 2 3; do tap_skip "curl case $i" "curl not installed"; done
else
	srv "$TMP/csrv.log" --cert "$C/server.pem" --key "$C/server.key" --http / --alpn http/1.1 --count 1
	out=$(timeout 10 curl -sS --cacert "$C/ca.pem" "https://localhost:$SP/" 2>&1)
	tap_is "curl vs TLSSock HTTPS server" "$out" "hello from tlssock"
	wait_pid "$LAST_PID" 5
	tap_like "curl negotiated ALPN http/1.1 with the TLSSock server" "$(cat "$TMP/csrv.log")" "alpn=http/1.1"
	srv "$TMP/csrv2.log" --cert "$C/server.pem" --key "$C/server.key" --http / --ca "$C/ca.pem" \
		--require-cert --count 1
	out=$(timeout 10 curl -sS --cacert "$C/ca.pem" --cert "$C/client.pem" --key "$C/client.key" \
		--tls-max 1.2 "https://localhost:$SP/" 2>&1)
	tap_is "curl TLS 1.2 with a client certificate vs TLSSock server" "$out" "hello from tlssock"
	wait_pid "$LAST_PID" 5
fi

# ---------------- nginx ----------------
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$NGINX" ]; then
	for i in 1 2 3 4 5; do tap_skip "nginx case $i" "nginx not installed"; done
	tap_done
fi
np=$(free_port); np12=$(free_port); npc=$(free_port)
mkdir -p "$TMP/nginx/logs"
cat > "$TMP/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    ssl_certificate $C/server.pem;
    ssl_certificate_key $C/server.key;
    ssl_session_tickets on;
    ssl_session_cache shared:tls:1m;
    server {
        listen 127.0.0.1:$np ssl http2;
        ssl_protocols TLSv1.3;
        location / { return 200 "hello from nginx 1.3\n"; }
    }
    server {
        listen 127.0.0.1:$np12 ssl;
        ssl_protocols TLSv1.2;
        location / { return 200 "hello from nginx 1.2\n"; }
    }
    server {
        listen 127.0.0.1:$npc ssl;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_client_certificate $C/ca.pem;
        ssl_verify_client on;
        location / { return 200 "client \$ssl_client_s_dn\n"; }
    }
}
EOF
bg "$TMP/nginx.out" timeout 120 "$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/logs/error.log"
if ! wait_tcp "$np"; then
	for i in 1 2 3 4 5; do tap_skip "nginx case $i" "nginx did not start: $(tail -c 300 "$TMP/nginx/logs/error.log" 2>/dev/null)"; done
	tap_done
fi
out=$(client "$np" --ca "$C/ca.pem" --name localhost --alpn http/1.1 --http / --info 2>&1)
tap_like "nginx TLS 1.3: body received" "$out" "hello from nginx 1.3"
tap_like "nginx TLS 1.3: ALPN http/1.1 negotiated" "$out" "version=0x0304 .*alpn=http/1.1"
out=$(client "$np12" --ca "$C/ca.pem" --name localhost --http / --info 2>&1)
tap_like "nginx TLS 1.2: negotiated 1.2" "$out" "version=0x0303"
tap_like "nginx TLS 1.2: body received" "$out" "hello from nginx 1.2"
client "$np" --ca "$C/ca.pem" --name localhost --http / --session-out "$TMP/n.sess" >/dev/null 2>&1
out=$(client "$np" --ca "$C/ca.pem" --name localhost --http / --session-in "$TMP/n.sess" --info 2>&1)
tap_like "nginx resumption with a session ticket" "$out" "reused=1"
out=$(client "$npc" --ca "$C/ca.pem" --name localhost --cert "$C/client.pem" --key "$C/client.key" --http / 2>&1)
tap_like "nginx ssl_verify_client: TLSSock client certificate accepted" "$out" "client CN=tlssock-client"
out=$(client "$npc" --ca "$C/ca.pem" --name localhost --http / 2>&1)
tap_like "nginx ssl_verify_client without a certificate: HTTP 400, not the page" "$out" "400 No required SSL certificate"
tap_done
