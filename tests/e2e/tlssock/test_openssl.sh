#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# TLSSock against OpenSSL's own peers on loopback: tlssock client vs
# `openssl s_server`, tlssock server vs `openssl s_client`, TLS 1.3 and 1.2,
# SNI, ALPN, client certificates, PSK, resumption, DTLS 1.2, non-blocking
# handshakes, and handshakes that must fail with a precise errno.
source "$(dirname "$0")/lib.sh" "$@"
command -v openssl >/dev/null || tap_skip_all "openssl CLI not installed"

: > "$ENARX_TLSSOCK_POLICY" # empty policy file = built-in defaults

# s_server PORT ARGS...: an HTTP-ish openssl server (-www) in the background.
s_server() {
	local port=$1; shift
	bg "$TMP/s_server.$port.log" timeout 60 openssl s_server -accept "127.0.0.1:$port" -www -naccept 10 "$@"
	wait_tcp "$port"
}

client() { timeout 20 "$PEER" client 127.0.0.1 "$@"; }

# --- tlssock client vs openssl s_server ---
p=$(free_port); s_server "$p" -cert "$C/server.pem" -key "$C/server.key"
out=$(client "$p" --ca "$C/ca.pem" --name localhost --http / --info 2>&1)
tap_like "TLS 1.3 client: HTTP response from s_server" "$out" "HTTP/1.0 200 ok"
tap_like "TLS 1.3 client: version 1.3 with an AEAD suite" "$out" "version=0x0304 cipher=TLS_(AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256|AES_128_GCM_SHA256)"
tap_like "TLS 1.3 client: peer certificate readable" "$out" "peer_cert_der=[1-9][0-9]+"
if grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null; then
	out=$(client "$p" --ca "$C/ca.pem" --name localhost --http / --info 2>&1)
	tap_like "kTLS: send and receive offloaded to the kernel (TLS_KTLS=3)" "$out" "ktls=3"
else
	tap_skip "kTLS: send and receive offloaded to the kernel (TLS_KTLS=3)" \
		"kernel $(uname -r) has no 'tls' ULP (CONFIG_TLS / modprobe tls); the kTLS path runs only on such a kernel"
fi
out=$(client "$p" --ca "$C/ca.pem" --http / --info 2>&1)
tap_like "no TLS_PEER_NAME: the connected address 127.0.0.1 is verified" "$out" "HTTP/1.0 200 ok"
out=$(client "$p" --ca "$C/ca.pem" --name localhost --nonblock --http / --info 2>&1)
tap_like "non-blocking connect + TLS_HANDSHAKE + poll" "$out" "HTTP/1.0 200 ok"

p=$(free_port); s_server "$p" -cert "$C/server.pem" -key "$C/server.key" -tls1_2
out=$(client "$p" --ca "$C/ca.pem" --name localhost --http / --info 2>&1)
tap_like "TLS 1.2 client: forward-secret AEAD suite" "$out" "version=0x0303 cipher=TLS_ECDHE_ECDSA_WITH_(AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256|AES_128_GCM_SHA256)"
out=$(client "$p" --ca "$C/ca.pem" --name localhost --min 1.3 --http / 2>&1)
tap_like "TLS_MIN_PROTOCOL_VERSION 1.3 refuses a 1.2-only server" "$out" "errno=EPROTO"

# RFC 9266 channel binding: both ends must derive the same exporter value.
# (s_server prints the exporter value only in its interactive mode.)
p=$(free_port)
bg "$TMP/km.log" bash -c "(sleep 2; echo) | timeout 20 openssl s_server -accept 127.0.0.1:$p \
	-cert $C/server.pem -key $C/server.key -naccept 1 \
	-keymatexport EXPORTER-Channel-Binding -keymatexportlen 32"
wait_tcp "$p"
out=$(client "$p" --ca "$C/ca.pem" --name localhost --send ping --info 2>&1)
wait_pid "$LAST_PID" 10
ours=$(printf '%s' "$out" | sed -n 's/^info channel_binding=//p')
theirs=$(sed -n 's/^ *Keying material: *//p' "$TMP/km.log" | tail -1)
tap_like "TLS_CHANNEL_BINDING is 32 bytes" "$ours" "^[0-9A-F]{64}$"
tap_is "TLS_CHANNEL_BINDING equals s_server's tls-exporter value" "${ours:-none}" "${theirs:-missing}"

# SNI: s_server presents server.pem only when the client sends SNI localhost.
p=$(free_port); s_server "$p" -cert "$C/wrongname.pem" -key "$C/wrongname.key" \
	-servername localhost -cert2 "$C/server.pem" -key2 "$C/server.key"
out=$(client "$p" --ca "$C/ca.pem" --name localhost --http / 2>&1)
tap_like "SNI: server picks the certificate for the name sent" "$out" "HTTP/1.0 200 ok"

# ALPN
p=$(free_port); s_server "$p" -cert "$C/server.pem" -key "$C/server.key" -alpn h2,http/1.1
out=$(client "$p" --ca "$C/ca.pem" --name localhost --alpn foo,http/1.1 --http / --info 2>&1)
tap_like "ALPN: negotiated protocol readable with getsockopt" "$out" "alpn=http/1.1"

# Client certificates
p=$(free_port); s_server "$p" -cert "$C/server.pem" -key "$C/server.key" -Verify 1 \
	-CAfile "$C/ca.pem" -verify_return_error
out=$(client "$p" --ca "$C/ca.pem" --name localhost --cert "$C/client.pem" --key "$C/client.key" --http / 2>&1)
tap_like "client certificate accepted by s_server -Verify" "$out" "HTTP/1.0 200 ok"
out=$(client "$p" --ca "$C/ca.pem" --name localhost --http / 2>&1)
tap_like "missing client certificate: EACCES with the alert as reason" "$out" "errno=EACCES .*certificate required"

# PSK (TLS 1.3 external PSK through the identity/key options)
psk=00112233445566778899aabbccddeeff
p=$(free_port); s_server "$p" -nocert -psk "$psk" -psk_identity tlssock-id
out=$(client "$p" --psk-id tlssock-id --psk-key "$psk" --http / --info 2>&1)
tap_like "PSK handshake without certificates" "$out" "HTTP/1.0 200 ok"
out=$(client "$p" --psk-id tlssock-id --psk-key ffeeddccbbaa99887766554433221100 --http / 2>&1)
tap_like "wrong PSK key fails" "$out" "^error errno=(EPROTO|EACCES|ECONNRESET)"

# Resumption with tickets (TLS 1.3) and session ids/tickets (TLS 1.2)
for v in 1.3 1.2; do
	p=$(free_port)
	if [ "$v" = 1.2 ]; then s_server "$p" -cert "$C/server.pem" -key "$C/server.key" -tls1_2
	else s_server "$p" -cert "$C/server.pem" -key "$C/server.key"; fi
	client "$p" --ca "$C/ca.pem" --name localhost --http / --session-out "$TMP/sess$v" >/dev/null 2>&1
	out=$(client "$p" --ca "$C/ca.pem" --name localhost --http / --session-in "$TMP/sess$v" --info 2>&1)
	tap_like "TLS $v resumption: TLS_SESSION_REUSED=1" "$out" "reused=1"
done

# Automatic resumption: the second connection of a process to the same
# server resumes from TLSSock's session cache; TLS_SESSION_CACHE=0 turns it off.
for v in 1.3 1.2; do
	p=$(free_port)
	if [ "$v" = 1.2 ]; then s_server "$p" -cert "$C/server.pem" -key "$C/server.key" -tls1_2
	else s_server "$p" -cert "$C/server.pem" -key "$C/server.key"; fi
	out=$(client "$p" --ca "$C/ca.pem" --name localhost --http / --info --repeat 2 2>&1 | grep -o 'reused=[01]' | tr '\n' ' ')
	tap_is "TLS $v session cache: 2nd connection in the process resumes" "$out" "reused=0 reused=1 "
	out=$(client "$p" --ca "$C/ca.pem" --name localhost --http / --info --repeat 2 --no-session-cache 2>&1 | grep -o 'reused=[01]' | tr '\n' ' ')
	tap_is "TLS $v TLS_SESSION_CACHE=0: full handshakes" "$out" "reused=0 reused=0 "
done

# --- handshakes that must fail ---
p=$(free_port); s_server "$p" -cert "$C/wrongname.pem" -key "$C/wrongname.key"
out=$(ENARX_LOG=warn client "$p" --ca "$C/ca.pem" --name localhost --http / 2>&1)
tap_like "wrong host name: EKEYREJECTED, reason names it" "$out" "errno=EKEYREJECTED .*hostname mismatch"
tap_like "failure is logged with the peer address" "$out" "127.0.0.1:$p"
tap_like "no plain-text fallback: nothing from the server was read" "$out" "^error"
p=$(free_port); s_server "$p" -cert "$C/untrusted.pem" -key "$C/untrusted.key"
out=$(client "$p" --ca "$C/ca.pem" --name localhost --http / 2>&1)
tap_like "untrusted CA: EKEYREJECTED" "$out" "errno=EKEYREJECTED .*unable to get local issuer"
p=$(free_port); s_server "$p" -cert "$C/expired.pem" -key "$C/expired.key"
out=$(client "$p" --ca "$C/ca.pem" --name localhost --http / 2>&1)
tap_like "expired certificate: EKEYEXPIRED" "$out" "errno=EKEYEXPIRED .*expired"
out=$(client "$p" --ca "$C/ca.pem" --name localhost --insecure --http / 2>&1)
tap_like "TLS_INSECURE_NO_VERIFY connects to the expired server" "$out" "HTTP/1.0 200 ok"

# Policy-forbidden group: the system policy allows only P-384; the server
# only offers X25519.
p=$(free_port); s_server "$p" -cert "$C/server.pem" -key "$C/server.key" -groups X25519
printf 'groups = P-384\nallow-insecure = no\n' > "$TMP/p384.conf"
out=$(ENARX_TLSSOCK_POLICY=$TMP/p384.conf client "$p" --ca "$C/ca.pem" --name localhost --http / 2>&1)
tap_like "policy-forbidden group: handshake fails with EPROTO" "$out" "errno=EPROTO .*handshake failure"
out=$(ENARX_TLSSOCK_POLICY=$TMP/p384.conf client "$p" --ca "$C/ca.pem" --name localhost --groups X25519 --http / 2>&1)
tap_like "an app cannot loosen the policy: TLS_GROUPS X25519 gives EPERM" "$out" "errno=EPERM what=groups .*not allowed"
out=$(ENARX_TLSSOCK_POLICY=$TMP/p384.conf client "$p" --ca "$C/ca.pem" --name localhost --insecure --http / 2>&1)
tap_like "allow-insecure = no: TLS_INSECURE_NO_VERIFY gives EPERM" "$out" "errno=EPERM what=insecure"
# Crypto-agility: a policy may name a group this OpenSSL lacks; it is
# skipped with a warning and the next one is used.
printf 'groups = FFDHE9999:X25519\n' > "$TMP/unknown.conf"
out=$(ENARX_LOG=warn ENARX_TLSSOCK_POLICY=$TMP/unknown.conf client "$p" --ca "$C/ca.pem" --name localhost --http / --info 2>&1)
tap_like "policy naming an unknown group: a warning names it" "$out" "group 'FFDHE9999' unknown to OpenSSL"
tap_like "policy naming an unknown group: the next group is used" "$out" "group=x25519"
# The PQ hybrid (enarx_pq provider) first: s_server here has no provider, so
# the handshake falls back to X25519.
printf 'groups = X25519MLKEM768:X25519\n' > "$TMP/pq.conf"
out=$(ENARX_LOG=warn ENARX_TLSSOCK_POLICY=$TMP/pq.conf client "$p" --ca "$C/ca.pem" --name localhost --http / --info 2>&1)
tap_like "PQ-first policy against a classical server: falls back to x25519" "$out" "group=x25519"
printf 'groups = P-384\ngroups = X25519\n' > "$TMP/bad.conf"
out=$(ENARX_TLSSOCK_POLICY=$TMP/bad.conf client "$p" --ca "$C/ca.pem" --name localhost --http / 2>&1)
tap_like "a malformed policy fails closed (ENOTRECOVERABLE)" "$out" "errno=ENOTRECOVERABLE what=socket"

# --- tlssock server vs openssl s_client ---
srv() { # LOG ARGS...: our server on a free port; sets SP
	bg "$1" timeout 30 "$PEER" server 0 --info "${@:2}"
	SP=$(wait_port_file "$1")
}
srv "$TMP/srv1.log" --cert "$C/server.pem" --key "$C/server.key" --count 2
out=$(echo hello-1.3 | timeout 10 openssl s_client -connect "127.0.0.1:$SP" -CAfile "$C/ca.pem" \
	-verify_return_error -verify_hostname localhost -quiet 2>&1)
tap_like "server: s_client TLS 1.3 echo" "$out" "hello-1.3"
out=$(echo hello-1.2 | timeout 10 openssl s_client -connect "127.0.0.1:$SP" -CAfile "$C/ca.pem" \
	-verify_return_error -tls1_2 -quiet 2>&1)
tap_like "server: s_client TLS 1.2 echo" "$out" "hello-1.2"
wait_pid "$LAST_PID" 5
tap_like "server: TLS 1.3 reported" "$(cat "$TMP/srv1.log")" "version=0x0304"
tap_like "server: TLS 1.2 reported" "$(cat "$TMP/srv1.log")" "version=0x0303"

srv "$TMP/srv2.log" --cert "$C/server.pem" --key "$C/server.key" --ca "$C/ca.pem" --require-cert --alpn http/1.1,h2 --count 3
out=$(echo with-cert | timeout 10 openssl s_client -connect "127.0.0.1:$SP" -CAfile "$C/ca.pem" \
	-cert "$C/client.pem" -key "$C/client.key" -alpn h2 -quiet 2>&1)
tap_like "server: client certificate required and accepted" "$out" "with-cert"
out=$(echo no-cert | timeout 10 openssl s_client -connect "127.0.0.1:$SP" -CAfile "$C/ca.pem" -quiet 2>&1)
tap_unlike_echo=$(printf '%s' "$out" | grep -c '^no-cert$' || true)
tap_is "server: client without certificate gets no data" "$tap_unlike_echo" "0"
out=$(echo bad-cert | timeout 10 openssl s_client -connect "127.0.0.1:$SP" -CAfile "$C/ca.pem" \
	-cert "$C/badclient.pem" -key "$C/badclient.key" -quiet 2>&1)
tap_is "server: client with an untrusted certificate gets no data" "$(printf '%s' "$out" | grep -c '^bad-cert$' || true)" "0"
wait_pid "$LAST_PID" 5
log=$(cat "$TMP/srv2.log")
tap_like "server: ALPN chosen from the client's list" "$log" "alpn=h2"
tap_like "server: peer (client) certificate readable" "$log" "peer_cert_der=[1-9]"
tap_like "server: missing client cert reported with a precise errno" "$log" "accept-error errno=EPROTO|read-error errno=(EPROTO|EACCES)"
tap_like "server: untrusted client cert rejected with EKEYREJECTED" "$log" "accept-error errno=EKEYREJECTED"

# SNI on the server side: TLS_SNI_CERT serves wrongname.pem to clients that
# ask for wrong.example, the main certificate to everyone else.
srv "$TMP/sni.log" --cert "$C/server.pem" --key "$C/server.key" \
	--sni-cert "wrong.example:$C/wrongname.pem:$C/wrongname.key" --count 2
out=$(echo for-wrong-example | timeout 10 openssl s_client -connect "127.0.0.1:$SP" -CAfile "$C/ca.pem" \
	-servername wrong.example -verify_hostname wrong.example -verify_return_error -quiet 2>&1)
tap_like "server TLS_SNI_CERT: certificate chosen by the client's SNI" "$out" "for-wrong-example"
out=$(echo for-localhost | timeout 10 openssl s_client -connect "127.0.0.1:$SP" -CAfile "$C/ca.pem" \
	-servername localhost -verify_hostname localhost -verify_return_error -quiet 2>&1)
tap_like "server TLS_SNI_CERT: other names get the main certificate" "$out" "for-localhost"
wait_pid "$LAST_PID" 5
tap_like "server reads the client's SNI with TLS_PEER_NAME" "$(cat "$TMP/sni.log")" "name=wrong.example"

# --- DTLS 1.2 ---
p=$(free_port udp)
# s_server -dtls1_2 prints what it receives and sends its stdin back.
bg "$TMP/dtls_s.log" bash -c "(sleep 3; echo reply-from-s_server; sleep 3) | timeout 20 openssl s_server \
	-dtls1_2 -accept 127.0.0.1:$p -cert $C/server.pem -key $C/server.key -naccept 1"
wait_udp "$p"
out=$(timeout 10 "$PEER" client 127.0.0.1 "$p" --dtls --ca "$C/ca.pem" --name localhost --send hello-dtls --info 2>&1)
tap_like "DTLS 1.2 client vs s_server -dtls1_2: reply received" "$out" "reply-from-s_server"
tap_like "DTLS 1.2 version reported" "$out" "version=0xfefd"
wait_pid "$LAST_PID" 8
tap_like "DTLS 1.2: s_server received the client's datagram" "$(cat "$TMP/dtls_s.log")" "hello-dtls"
srv "$TMP/dtls_srv.log" --dtls --cert "$C/server.pem" --key "$C/server.key"
out=$( (echo hello-dtls-server; sleep 1) | timeout 10 openssl s_client -dtls1_2 -connect "127.0.0.1:$SP" \
	-CAfile "$C/ca.pem" -verify_return_error -quiet 2>&1)
tap_like "DTLS 1.2 server (accept with cookie exchange) vs s_client -dtls1_2" "$out" "hello-dtls-server"
wait_pid "$LAST_PID" 5

tap_done
