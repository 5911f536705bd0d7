#!/bin/sh
# Browser-like background traffic for the noise-merge test (issue 16):
# real OpenSSL clients and servers on loopback, captured with dumpcap -
# a self-signed server, a wrong-name certificate, an expired certificate
# (certtool: valid 2020-2021), no SNI, TLS 1.3, UDP 443
# datagrams (QUIC-shaped), and a copy whose first packets are cut away so
# its connections are caught mid-stream. Needs openssl, dumpcap, editcap,
# certtool, python3 (run as root: port 443). Writes testdata/noise/*.pcapng.
set -eu
out=testdata/noise
tmp=$(mktemp -d)
trap 'kill $srv $srv2 $cap 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -p "$out"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/k.pem" \
	-out "$tmp/c.pem" -days 3650 -subj /CN=www.noise.example \
	-addext subjectAltName=DNS:www.noise.example 2>/dev/null
certtool --generate-privkey --outfile "$tmp/xk.pem" 2>/dev/null
printf '%s\n' 'cn = "expired.noise.example"' 'dns_name = "expired.noise.example"' \
	'activation_date = "2020-01-01 00:00:00"' \
	'expiration_date = "2021-01-01 00:00:00"' 'tls_www_server' >"$tmp/x.tmpl"
certtool --generate-self-signed --load-privkey "$tmp/xk.pem" \
	--template "$tmp/x.tmpl" --outfile "$tmp/xc.pem" 2>/dev/null
dumpcap -q -i lo -f '(host 127.0.0.2 or host 127.0.0.3) and port 443' \
	-w "$tmp/n.pcapng" &
cap=$!
sleep 2
openssl s_server -quiet -accept 127.0.0.2:443 -cert "$tmp/c.pem" \
	-key "$tmp/k.pem" -www >/dev/null 2>&1 &
srv=$!
openssl s_server -quiet -accept 127.0.0.3:443 -cert "$tmp/xc.pem" \
	-key "$tmp/xk.pem" -www >/dev/null 2>&1 &
srv2=$!
sleep 1
hello() {
	printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 openssl s_client \
	    -connect 127.0.0.2:443 "$@" >/dev/null 2>&1 || true
}
hello -servername www.noise.example -tls1_2	# self-signed, browser suites
hello -servername other.noise.example -tls1_2	# wrong name
printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 openssl s_client \
    -connect 127.0.0.3:443 -servername expired.noise.example -tls1_2 \
    >/dev/null 2>&1 || true				# expired
hello -noservername -tls1_2			# no SNI
hello -servername www.noise.example -tls1_3	# TLS 1.3
python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3):	# QUIC long-header Initial shape: 0xc0 | version 1
    s.sendto(bytes([0xc3, 0, 0, 0, 1, 8]) + bytes(8) + bytes(1200 - 14),
             ("127.0.0.2", 443))
PY
sleep 1
kill $cap; wait $cap 2>/dev/null || true
cp "$tmp/n.pcapng" "$out/browser.pcapng"
# caught mid-stream: drop each connection's first packets (SYN, SYN-ACK,
# ACK, ClientHello) - the capture starts after the handshakes began
editcap -r "$tmp/n.pcapng" "$out/midstream.pcapng" 7-100000 >/dev/null
