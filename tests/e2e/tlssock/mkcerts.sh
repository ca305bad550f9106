#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Generates the test PKI for the TLSSock e2e tests into directory $1 with the
# openssl CLI (nothing is checked in): a CA, a server certificate for
# localhost/127.0.0.1, an expired one, one for the wrong name, one from an
# untrusted CA, and a client certificate.  EC P-256 keys, fast to make.
set -euo pipefail
d=$1
mkdir -p "$d"
cd "$d"
q() { "$@" >/dev/null 2>&1; }

key() { q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

mkca() { # name subject
  key "$1.key"
  q openssl req -x509 -new -key "$1.key" -subj "$2" -days 30 -out "$1.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}

# leaf name ca subject san eku [startdate enddate]
leaf() {
  local name=$1 ca=$2 subj=$3 san=$4 eku=$5
  key "$name.key"
  q openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr"
  cat > "$name.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=$eku
${san:+subjectAltName=$san}
EXT
  if [ $# -ge 7 ]; then
    # openssl ca is the only 3.0 tool that takes explicit validity dates
    mkdir -p "ca-$name"; : > "ca-$name/index.txt"; echo 1000 > "ca-$name/serial"
    cat > "ca-$name/ca.cnf" <<CNF
[ca]
default_ca = c
[c]
database = ca-$name/index.txt
serial = ca-$name/serial
new_certs_dir = ca-$name
default_md = sha256
policy = p
copy_extensions = none
[p]
commonName = supplied
CNF
    q openssl ca -batch -config "ca-$name/ca.cnf" -cert "$ca.pem" -keyfile "$ca.key" \
      -in "$name.csr" -out "$name.pem" -startdate "$6" -enddate "$7" -extfile "$name.ext" -notext
  else
    q openssl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca.key" -CAcreateserial \
      -days 30 -sha256 -extfile "$name.ext" -out "$name.pem"
  fi
  cat "$name.pem" > "$name-chain.pem"
}

mkca ca "/CN=TLSSock Test CA"
mkca evilca "/CN=Untrusted Test CA"
leaf server ca "/CN=localhost" "DNS:localhost,IP:127.0.0.1" serverAuth
leaf wrongname ca "/CN=wrong.example" "DNS:wrong.example" serverAuth
leaf untrusted evilca "/CN=localhost" "DNS:localhost,IP:127.0.0.1" serverAuth
leaf expired ca "/CN=localhost" "DNS:localhost,IP:127.0.0.1" serverAuth 20200101000000Z 20200201000000Z
leaf client ca "/CN=tlssock-client" "" clientAuth
leaf badclient evilca "/CN=evil-client" "" clientAuth
test -s expired.pem
