#!/bin/sh
# Makes the X.509 test certificates in testdata/certs/ (lib/x509 tests and
# fuzz seeds). Every date is fixed (certtool templates with activation_date /
# expiration_date, `openssl ca -startdate/-enddate` for the pre-1970 one), so
# the tests never expire. The RSA keys are committed and reused: signatures
# are PKCS#1 v1.5 (deterministic), so rerunning this script reproduces the
# same certificates byte for byte; delete a *.key to get a new key (then the
# fingerprints in tests/test_x509.c change). Needs certtool (gnutls-bin) and
# openssl. Run from anywhere: sh testdata/gen/certs.sh
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/testdata/certs
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
cd "$out"

key() {		# key NAME [rsa|ecdsa]
	[ -f "$1.key" ] && return 0
	if [ "${2:-rsa}" = ecdsa ]; then
		certtool --generate-privkey --key-type ecdsa --curve secp256r1 \
		    --outfile "$1.key" 2>/dev/null
	else
		certtool --generate-privkey --key-type rsa --bits 2048 \
		    --outfile "$1.key" 2>/dev/null
	fi
}

der() {		# PEM -> DER next to it
	certtool --certificate-info --infile "$1.pem" --outder \
	    --outfile "$1.der" 2>/dev/null
}

selfsigned() {	# selfsigned NAME (template on stdin)
	cat >"$tmp/$1.tmpl"
	certtool --generate-self-signed --load-privkey "$1.key" \
	    --template "$tmp/$1.tmpl" --outfile "$1.pem" 2>/dev/null
	der "$1"
}

signed() {	# signed NAME CA (template on stdin)
	cat >"$tmp/$1.tmpl"
	certtool --generate-certificate --load-privkey "$1.key" \
	    --load-ca-certificate "$2.pem" --load-ca-privkey "$2.key" \
	    --template "$tmp/$1.tmpl" --outfile "$1.pem" 2>/dev/null
	der "$1"
}

# The organisation's PKI: root -> issuing CA -> DirectAccess server.
key root-ca
selfsigned root-ca <<'T'
cn = "Corp Root CA"
organization = "Corp Example"
country = US
serial = 4097
activation_date = "2024-01-01 00:00:00"
expiration_date = "2034-01-01 00:00:00"
ca
cert_signing_key
crl_signing_key
T

key issuing-ca
signed issuing-ca root-ca <<'T'
cn = "Corp Issuing CA 1"
organization = "Corp Example"
country = US
serial = 8193
activation_date = "2024-01-01 00:00:00"
expiration_date = "2034-01-01 00:00:00"
ca
cert_signing_key
crl_signing_key
crl_dist_points = "http://crl.corp.example/corp-root.crl"
T

key da-leaf
signed da-leaf issuing-ca <<'T'
cn = "da.corp.example"
organization = "Corp Example"
serial = 0x0a1b2c3d4e5f
activation_date = "2024-01-01 00:00:00"
expiration_date = "2034-01-01 00:00:00"
dns_name = "da.corp.example"
dns_name = "da-alt.corp.example"
ip_address = "203.0.113.10"
ip_address = "2001:db8::10"
crl_dist_points = "http://crl.corp.example/corp-root.crl"
ca_issuers_uri = "http://pki.corp.example/corp-issuing.crt"
ocsp_uri = "http://ocsp.corp.example/"
tls_www_server
signing_key
encryption_key
T

key expired-leaf
signed expired-leaf issuing-ca <<'T'
cn = "old.corp.example"
serial = 0x0e
activation_date = "2020-01-01 00:00:00"
expiration_date = "2021-01-01 00:00:00"
dns_name = "old.corp.example"
tls_www_server
signing_key
encryption_key
T

key wildcard-leaf ecdsa
signed wildcard-leaf issuing-ca <<'T'
cn = "*.corp.example"
serial = 0x77
activation_date = "2024-01-01 00:00:00"
expiration_date = "2034-01-01 00:00:00"
dns_name = "*.corp.example"
tls_www_server
signing_key
T

key nosan-leaf
signed nosan-leaf issuing-ca <<'T'
cn = "nosan.corp.example"
serial = 0x78
activation_date = "2024-01-01 00:00:00"
expiration_date = "2034-01-01 00:00:00"
tls_www_server
signing_key
encryption_key
T

key client
signed client issuing-ca <<'T'
cn = "client1.corp.example"
organization = "Corp Example"
serial = 0x0c01
activation_date = "2024-01-01 00:00:00"
expiration_date = "2034-01-01 00:00:00"
tls_www_client
signing_key
T

# A firewall answering with its own self-signed admin certificate.
key fortigate-device
selfsigned fortigate-device <<'T'
cn = "FortiGate"
organization = "Fortinet"
serial = 0x4647
activation_date = "2024-01-01 00:00:00"
expiration_date = "2034-01-01 00:00:00"
tls_www_server
signing_key
encryption_key
T

# TLS inspection: a FortiGate-style deep-inspection CA re-signing the host.
key fortinet-ca
selfsigned fortinet-ca <<'T'
cn = "Fortinet_CA_SSL"
unit = "Certificate Authority"
organization = "Fortinet"
locality = "Sunnyvale"
state = "California"
country = US
serial = 0x4653
activation_date = "2024-01-01 00:00:00"
expiration_date = "2034-01-01 00:00:00"
ca
cert_signing_key
T

key mitm-leaf
signed mitm-leaf fortinet-ca <<'T'
cn = "da.corp.example"
serial = 0x4d49
activation_date = "2024-01-01 00:00:00"
expiration_date = "2034-01-01 00:00:00"
dns_name = "da.corp.example"
tls_www_server
signing_key
encryption_key
T

# A chain to a root nobody trusts.
key evil-root
selfsigned evil-root <<'T'
cn = "Evil Root"
organization = "Evil"
serial = 0x6576
activation_date = "2024-01-01 00:00:00"
expiration_date = "2034-01-01 00:00:00"
ca
cert_signing_key
T

key evil-leaf
signed evil-leaf evil-root <<'T'
cn = "da.corp.example"
serial = 0x6577
activation_date = "2024-01-01 00:00:00"
expiration_date = "2034-01-01 00:00:00"
dns_name = "da.corp.example"
tls_www_server
signing_key
encryption_key
T

# Dates outside 1970..2038: certtool clamps to 1970, `openssl ca` does not.
key pre1970
cat >"$tmp/ca.cnf" <<T
[ca]
default_ca = d
[d]
dir = $tmp/ca
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
default_md = sha256
policy = p
unique_subject = no
[p]
commonName = supplied
[v3]
basicConstraints = critical,CA:TRUE
T
mkdir -p "$tmp/ca"
: >"$tmp/ca/index.txt"
echo 1970 >"$tmp/ca/serial"
openssl req -new -key pre1970.key -subj "/CN=Old Timer" -out "$tmp/pre1970.csr"
openssl ca -batch -notext -config "$tmp/ca.cnf" -selfsign -keyfile pre1970.key \
    -in "$tmp/pre1970.csr" -startdate 19650101000000Z \
    -enddate 20500601120000Z -extensions v3 -out pre1970.pem 2>/dev/null
der pre1970

# Bundles: the chain as a server sends it, the --ca file.
cat da-leaf.pem issuing-ca.pem >da-chain.pem
cp root-ca.pem ca-bundle.pem
# A certificate cut short (parse error, still a fact).
head -c 200 da-leaf.der >truncated.der
ls "$out"
