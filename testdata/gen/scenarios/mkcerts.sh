#!/bin/bash
# Certificates for the scenario captures, with FIXED dates (never relative
# to today), so that the committed captures keep their meaning: "expired"
# means expired at capture time, valid ones run 2024-01-01..2034/2036.
# Keys are kept next to the certificates (test keys, nothing else) so that a
# rerun reproduces byte-identical certificates (RSA PKCS#1 v1.5 signatures
# are deterministic); existing files are never regenerated.
# Usage: mkcerts.sh DIR
set -eu
dir=${1:?usage: mkcerts.sh DIR}
mkdir -p "$dir"
cd "$dir"

key() {	# key NAME [bits]
	[ -s "$1.key" ] || openssl genrsa -out "$1.key" "${2:-2048}" 2>/dev/null
}

# tmpl NAME LINES... writes NAME.tmpl
tmpl() {
	local n=$1; shift
	printf '%s\n' "$@" > "$n.tmpl"
}

selfsigned() {	# NAME (template NAME.tmpl)
	[ -s "$1.pem" ] && return 0
	key "$1"
	certtool --generate-self-signed --load-privkey "$1.key" \
	    --template "$1.tmpl" --outfile "$1.pem" >/dev/null 2>&1
}

issued() {	# NAME ISSUER
	[ -s "$1.pem" ] && return 0
	key "$1"
	certtool --generate-certificate --load-privkey "$1.key" \
	    --load-ca-certificate "$2.pem" --load-ca-privkey "$2.key" \
	    --template "$1.tmpl" --outfile "$1.pem" >/dev/null 2>&1
}

V_FROM='activation_date = "2024-01-01 00:00:00"'
V_CA_TO='expiration_date = "2036-01-01 00:00:00"'
V_TO='expiration_date = "2034-01-01 00:00:00"'
CDP='crl_dist_points = "http://crl.corp.example/corp-root.crl"'
SRV=(tls_www_server signing_key encryption_key)

tmpl corp-root 'cn = "Corp Root CA"' 'organization = "Corp"' 'serial = 1' \
    "$V_FROM" "$V_CA_TO" ca cert_signing_key crl_signing_key
selfsigned corp-root

tmpl da 'cn = "da.corp.example"' 'organization = "Corp"' 'serial = 0x1001' \
    'dns_name = "da.corp.example"' "$CDP" "$V_FROM" "$V_TO" "${SRV[@]}"
issued da corp-root

tmpl da-expired 'cn = "da.corp.example"' 'organization = "Corp"' \
    'serial = 0x1002' 'dns_name = "da.corp.example"' "$CDP" \
    'activation_date = "2022-01-01 00:00:00"' \
    'expiration_date = "2023-01-01 00:00:00"' "${SRV[@]}"
issued da-expired corp-root

tmpl other 'cn = "other.example"' 'organization = "Corp"' 'serial = 0x1003' \
    'dns_name = "other.example"' 'dns_name = "www.other.example"' "$CDP" \
    "$V_FROM" "$V_TO" "${SRV[@]}"
issued other corp-root

# No SAN at all: CN is then the name (near miss for server-name-mismatch).
tmpl da-cn-only 'cn = "da.corp.example"' 'organization = "Corp"' \
    'serial = 0x1004' "$V_FROM" "$V_TO" "${SRV[@]}"
issued da-cn-only corp-root

# A valid wildcard covering da.corp.example (near miss as well).
tmpl da-wildcard 'cn = "*.corp.example"' 'organization = "Corp"' \
    'serial = 0x1005' 'dns_name = "*.corp.example"' "$CDP" \
    "$V_FROM" "$V_TO" "${SRV[@]}"
issued da-wildcard corp-root

# A lab root the clients do not trust, and the DA name issued by it.
tmpl lab-root 'cn = "Lab Root CA"' 'organization = "Lab"' 'serial = 2' \
    "$V_FROM" "$V_CA_TO" ca cert_signing_key crl_signing_key
selfsigned lab-root
tmpl da-lab 'cn = "da.corp.example"' 'organization = "Lab"' 'serial = 0x2001' \
    'dns_name = "da.corp.example"' "$V_FROM" "$V_TO" "${SRV[@]}"
issued da-lab lab-root

# TLS inspection: the Fortinet re-signing CA and its forged DA certificate.
tmpl fortinet-ca 'cn = "Fortinet_CA_SSL"' 'organization = "Fortinet"' \
    'unit = "Certificate Authority"' 'serial = 3' "$V_FROM" "$V_CA_TO" \
    ca cert_signing_key
selfsigned fortinet-ca
tmpl da-insp 'cn = "da.corp.example"' 'organization = "Corp"' \
    'serial = 0x3001' 'dns_name = "da.corp.example"' "$V_FROM" "$V_TO" \
    "${SRV[@]}"
issued da-insp fortinet-ca

# A firewall's own self-signed administration certificate.
tmpl fortigate 'cn = "FortiGate"' 'organization = "Fortinet"' \
    'unit = "FortiGate"' 'serial = 4' "$V_FROM" "$V_CA_TO" "${SRV[@]}"
selfsigned fortigate

# Client certificates: the good issuer and a foreign one.
tmpl corp-client-ca 'cn = "Corp Client CA"' 'organization = "Corp"' \
    'serial = 5' "$V_FROM" "$V_CA_TO" ca cert_signing_key
selfsigned corp-client-ca
tmpl client 'cn = "client1.corp.example"' 'organization = "Corp"' \
    'serial = 0x5001' 'dns_name = "client1.corp.example"' "$V_FROM" "$V_TO" \
    tls_www_client signing_key encryption_key
issued client corp-client-ca
tmpl other-ca 'cn = "Other CA"' 'organization = "Other"' 'serial = 6' \
    "$V_FROM" "$V_CA_TO" ca cert_signing_key
selfsigned other-ca
tmpl client-other 'cn = "client1.corp.example"' 'organization = "Other"' \
    'serial = 0x6001' 'dns_name = "client1.corp.example"' "$V_FROM" "$V_TO" \
    tls_www_client signing_key encryption_key
issued client-other other-ca

# The CRL the CRL server hands out when it works (fixed dates too).
if [ ! -s corp-root.crl ]; then
	tmpl crl 'crl_next_update = 3650' 'crl_number = 1' \
	    'crl_this_update_date = "2024-01-01 00:00:00"' \
	    'crl_next_update_date = "2034-01-01 00:00:00"'
	certtool --generate-crl --load-ca-privkey corp-root.key \
	    --load-ca-certificate corp-root.pem --template crl.tmpl \
	    --outder --outfile corp-root.crl >/dev/null 2>&1
fi
# Chains as the servers send them (leaf + issuer).
cat da-insp.pem fortinet-ca.pem > da-insp-chain.pem
rm -f ./*.tmpl
