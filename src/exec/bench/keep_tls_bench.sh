#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make bench` rows for the Keep's TLS (Enarx.toml prot = "tls"): the HTTPS
# server example (examples/https_server.c) in a Keep against nginx serving
# the same page and the same bulk payload, one worker each (the Keep's
# workload is one thread), same certificate type (P-256 ECDSA), same
# machine, same run. Handshakes: a new TLS 1.3 session per request (no
# resumption on either side), GET /, for a fixed time. Bulk: one 256 MiB
# response over TLS 1.3 read by curl. Usage: keep_tls_bench.sh BUILD_DIR
set -uo pipefail
dir=$1
ENARX=$dir/src/cli/enarx
EX=$dir/examples
SECS=${KEEP_TLS_BENCH_SECS:-4}
BULK=$((256 << 20))
NGX=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$ENARX" ] || [ ! -f "$EX/https_server.wasm" ] || [ ! -x "$NGX" ]; then
	echo "skipped: needs build/src/cli/enarx, examples/https_server.wasm and nginx"
	exit 0
fi
T=$(mktemp -d /tmp/keep-tls-bench.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_tcp() {
	local hex
	hex=$(printf '%04X' "$1")
	for _ in $(seq 200); do
		grep -qE "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:0000 0A " /proc/net/tcp && return 0
		sleep 0.05
	done
	return 1
}

# handshakes PORT CAFILE: new TLS 1.3 sessions with GET / per wall second
handshakes() {
	python3 - "$1" "$2" "$SECS" <<'PY'
import socket, ssl, sys, time
port, ca, secs = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
ctx = ssl.create_default_context(cafile=ca)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
n, end = 0, time.monotonic() + secs
t0 = time.monotonic()
while time.monotonic() < end:
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            while s.recv(65536):
                pass
    n += 1
print("%.0f" % (n / (time.monotonic() - t0)))
PY
}

# bulk URL CAFILE: MiB/s of one BULK-byte download
bulk() {
	curl -sS --tlsv1.3 --cacert "$2" -o /dev/null -w '%{speed_download}' "$1" |
		awk '{printf "%.0f", $1 / 1048576}'
}

# the same page and payload for nginx
mkdir -p "$T/www/bytes"
python3 - "$T/www" "$BULK" <<'PY'
import sys
root, bulk = sys.argv[1], int(sys.argv[2])
page = ('<!DOCTYPE html><html><head><title>Enarx Keep</title></head><body>'
        '<h1 id="keep">Hello from an Enarx Keep over TLS</h1></body></html>\n')
open(root + "/index.html", "w").write(page)
with open(root + "/bytes/%d" % bulk, "wb") as f:
    chunk = b"x" * (1 << 20)
    for _ in range(bulk >> 20):
        f.write(chunk)
PY
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
	-keyout "$T/ngx.key" -out "$T/ngx.pem" >/dev/null 2>&1
np=$(free_port)
cat >"$T/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $T/nginx.pid;
error_log $T/nginx.err warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $T/body;
    proxy_temp_path $T/proxy;
    fastcgi_temp_path $T/fastcgi;
    uwsgi_temp_path $T/uwsgi;
    scgi_temp_path $T/scgi;
    default_type application/octet-stream;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache off;
    ssl_session_tickets off;
    server {
        listen 127.0.0.1:$np ssl;
        ssl_certificate $T/ngx.pem;
        ssl_certificate_key $T/ngx.key;
        root $T/www;
    }
}
CONF
"$NGX" -p "$T" -c "$T/nginx.conf" -e "$T/nginx.err" >/dev/null 2>&1 &
PIDS+=($!)
wait_tcp "$np" || { echo "skipped: nginx did not start"; exit 0; }
n_hs=$(handshakes "$np" "$T/ngx.pem")
n_bulk=$(bulk "https://localhost:$np/bytes/$BULK" "$T/ngx.pem")

printf '%-44s %10s %10s %8s\n' "Keep TLS server vs nginx (1 worker)" nginx Keep ratio
[ -e /sys/module/kvm_pvm ] &&
	echo "note: /dev/kvm is kvm_pvm here (about 1 ms per sallyport call): kvm rows are not hardware KVM's"
for B in nil kvm; do
	kp=$(free_port)
	printf '[[files]]\nkind = "listen"\nname = "web"\nprot = "tls"\naddr = "127.0.0.1"\nport = %s\n' \
		"$kp" >"$T/$B.toml"
	"$ENARX" run --backend "$B" --engine jit --wasmcfgfile "$T/$B.toml" --tls-cert "$T/$B.pem" \
		"$EX/https_server.wasm" -- web >"$T/$B.out" 2>"$T/$B.err" &
	PIDS+=($!)
	if ! wait_tcp "$kp"; then
		printf '%-44s %s\n' "$B" "skipped: $(grep -v warn "$T/$B.err" | head -1)"
		continue
	fi
	k_hs=$(handshakes "$kp" "$T/$B.pem")
	k_bulk=$(bulk "https://localhost:$kp/bytes/$BULK" "$T/$B.pem")
	curl -sS --cacert "$T/$B.pem" "https://localhost:$kp/quit" >/dev/null 2>&1
	awk -v b="$B" -v nh="$n_hs" -v kh="$k_hs" -v nb="$n_bulk" -v kb="$k_bulk" 'BEGIN {
		printf "%-44s %10d %10d %8.2f\n", b ": TLS 1.3 handshakes/s (GET /, no resumption)", nh, kh, nh ? kh / nh : 0
		printf "%-44s %10d %10d %8.2f\n", b ": bulk MiB/s (one 256 MiB response)", nb, kb, nb ? kb / nb : 0
	}'
done
