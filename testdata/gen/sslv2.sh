#!/bin/bash
# Build testdata/scenarios/sslv2-sslscan.pcap: a real SSLv2-format
# CLIENT-HELLO (RFC 6101 E.2) as a scanner sends it. sslscan --ssl2 builds
# the hello itself (eight SSL 2.0 cipher kinds and TLS_NULL_WITH_NULL_NULL)
# and sends it to an OpenSSL 3 server (openssl s_server), which answers
# with a fatal protocol_version alert. Taken with tcpdump on the loopback
# of a network namespace of our own (tls-v2); only the connection that
# carries the SSLv2 hello is kept (sslscan opens several).
#
# Needs (to regenerate only): sslscan (2.0), openssl, tcpdump, tshark,
# iproute2. Run as root:   testdata/gen/sslv2.sh
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$TOP/testdata/scenarios/sslv2-sslscan.pcap
CERT=$TOP/testdata/scenarios/certs/da.pem
KEY=$TOP/testdata/scenarios/certs/da.key
NS=tls-v2
WORK=$(mktemp -d /tmp/tls-v2.XXXXXX)

[ "$(id -u)" = 0 ] || { echo "sslv2.sh: run as root" >&2; exit 2; }
for t in sslscan openssl tcpdump tshark ip; do
	command -v $t >/dev/null || { echo "sslv2.sh: missing $t" >&2; exit 2; }
done

PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	ip netns del $NS 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

ip netns del $NS 2>/dev/null || true
ip netns add $NS
nx() { ip netns exec $NS "$@"; }
nx ip link set lo up

nx openssl s_server -accept 4433 -cert "$CERT" -key "$KEY" -quiet \
    < /dev/null > "$WORK/srv.out" 2>&1 &
PIDS+=($!)
nx tcpdump -Z root -i lo -U -s 0 -w "$WORK/all.pcap" tcp port 4433 \
    2>/dev/null &
PIDS+=($!)
sleep 2
nx timeout 30 sslscan --no-colour --ssl2 127.0.0.1:4433 > "$WORK/scan.out" 2>&1 || true
sleep 1
kill "${PIDS[1]}"; wait "${PIDS[1]}" 2>/dev/null || true

# the connection whose client spoke first in SSLv2 format
stream=$(tshark -r "$WORK/all.pcap" -n -d tcp.port==4433,tls \
    -Y 'tls.record.version == 0x0002' -T fields -e tcp.stream | head -n 1)
[ -n "$stream" ] || { echo "sslv2.sh: no SSLv2 hello captured" >&2; exit 1; }
tshark -r "$WORK/all.pcap" -Y "tcp.stream == $stream" -F pcap -w "$OUT"
echo "sslv2-sslscan: $(tcpdump -r "$OUT" 2>/dev/null | wc -l) packets"
