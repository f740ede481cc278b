#!/usr/bin/env bash
# Test certificates for TLS and mTLS (EC prime256v1, valid one day, no
# prompts). Writes into DIR:
#   ca.pem, ca.key                  the test CA
#   server.pem, server.key          server certificate from ca (SAN
#                                   DNS:localhost, IP:127.0.0.1)
#   client.pem, client.key          client certificate from ca
#   other-ca.pem, other-ca.key      an unrelated CA ("wrong CA")
#   other-client.pem, other-client.key   client certificate from other-ca
#   make_test_certs.sh DIR
set -euo pipefail
dir="${1:?usage: make_test_certs.sh DIR}"
mkdir -p "$dir"
cd "$dir"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; }

# ca NAME SUBJECT: a self-signed CA.
ca() {
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -sha256 -days 1 -subj "$2" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$1.pem"
}

# leaf NAME CA SUBJECT EXTENSIONS: a certificate signed by CA.
leaf() {
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$3" -out "$1.csr"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" "$4" \
    >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -sha256 -days 1 \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

ca ca "/CN=evrouter test CA"
leaf server ca "/CN=localhost" \
  "$(printf '%s\n' "extendedKeyUsage=serverAuth" "subjectAltName=DNS:localhost,IP:127.0.0.1")"
leaf client ca "/CN=evrouter test client" "extendedKeyUsage=clientAuth"
ca other-ca "/CN=other test CA"
leaf other-client other-ca "/CN=other test client" "extendedKeyUsage=clientAuth"
rm -f ./*.srl
