#!/bin/bash
# Build testdata/scenarios/tunnel-*.pcap: the IP-HTTPS exchange of the
# scenario lab (Python ssl = OpenSSL on both ends, NULL-SHA256, the POST
# /IPHTTPS) carried through a tunnel, captured on the underlay; and the
# DirectAccess transition technologies IP-HTTPS is the fallback for (6to4,
# Teredo) carrying other traffic, where no IP-HTTPS attempt exists.
#
#   tnl-c 198.18.5.1 ---- veth ---- 198.18.5.2 tnl-s
#         inner 198.19.7.100 / IPv6         inner 198.19.7.10 / IPv6
#
# VXLAN is the kernel's own device; GRE (also as an Aruba access point
# carries its clients' 802.11 frames to the controller), IPIP, 6in4/6to4, GTP-U, Geneve and Teredo
# are carried by testdata/gen/tunnels/relay.py over TUN devices (these
# kernels have no gre/ipip/sit/geneve modules), each header laid out by its RFC.
# Needs: ip (iproute2), tcpdump, tshark, python3, curl. Run as root.
# Rewrites the captures it makes and their lines of expected.tsv; with
# capture names as arguments (tunnels.sh tunnel-geneve-iphttps), only those.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$TOP/testdata/scenarios
CERTS=$OUT/certs
SVC="/usr/bin/python3 $TOP/testdata/gen/scenarios/svc.py"
RELAY="/usr/bin/python3 $TOP/testdata/gen/tunnels/relay.py"
TSV=$OUT/expected.tsv
WORK=$(mktemp -d /tmp/tnl.XXXXXX)
[ "$(id -u)" = 0 ] || { echo "tunnels.sh: run as root" >&2; exit 2; }

PGIDS=()
cleanup() {
	local p
	for p in "${PGIDS[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
	ip netns del tnl-c 2>/dev/null || true
	ip netns del tnl-s 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
nx() { local n=$1; shift; ip netns exec "tnl-$n" "$@"; }
bg() { local n=$1; shift; setsid ip netns exec "tnl-$n" "$@" >>"$WORK/bg.log" 2>&1 </dev/null & PGIDS+=("$!"); }
stop_all() {
	local p
	for p in "${PGIDS[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
	for p in "${PGIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	PGIDS=()
}

underlay() {
	ip netns del tnl-c 2>/dev/null || true
	ip netns del tnl-s 2>/dev/null || true
	ip netns add tnl-c
	ip netns add tnl-s
	ip link add tnl-c0 type veth peer name tnl-s0
	ip link set tnl-c0 netns tnl-c name eth0
	ip link set tnl-s0 netns tnl-s name eth0
	for n in c s; do
		nx $n sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		    net.ipv6.conf.default.accept_dad=0 \
		    net.ipv6.conf.all.router_solicitations=0 \
		    net.ipv6.conf.default.router_solicitations=0
		nx $n ip link set lo up
		nx $n ip link set eth0 up
	done
	nx c ip addr add 198.18.5.1/24 dev eth0
	nx s ip addr add 198.18.5.2/24 dev eth0
}

# tun_pair KIND CLIENT-INNER SERVER-INNER: relays and TUN devices
tun_pair() {
	local kind=$1 ci=$2 si=$3 n
	for n in c s; do
		nx $n ip tuntap add dev tun0 mode tun
	done
	if [ "${ci#*:}" != "$ci" ]; then
		nx c ip -6 addr add "$ci/128" dev tun0 nodad
		nx s ip -6 addr add "$si/128" dev tun0 nodad
		nx c ip link set tun0 up mtu 1280
		nx s ip link set tun0 up mtu 1280
		nx c ip -6 route add "$si/128" dev tun0
		nx s ip -6 route add "$ci/128" dev tun0
	else
		nx c ip addr add "$ci" peer "$si" dev tun0
		nx s ip addr add "$si" peer "$ci" dev tun0
		nx c ip link set tun0 up mtu 1400
		nx s ip link set tun0 up mtu 1400
	fi
	bg c $RELAY --tun tun0 --local 198.18.5.1 --peer 198.18.5.2 --kind "$kind"
	bg s $RELAY --tun tun0 --local 198.18.5.2 --peer 198.18.5.1 --kind "$kind" --server
	sleep 0.5
}

vxlan_pair() {
	nx c ip link add vx0 type vxlan id 42 remote 198.18.5.2 local 198.18.5.1 dstport 4789
	nx s ip link add vx0 type vxlan id 42 remote 198.18.5.1 local 198.18.5.2 dstport 4789
	nx c ip addr add 198.19.7.100/24 dev vx0
	nx s ip addr add 198.19.7.10/24 dev vx0
	nx c ip link set vx0 up
	nx s ip link set vx0 up
}

CAP= CAPPID=
cap_start() {
	CAP=$WORK/$1.pcap
	setsid ip netns exec tnl-c tcpdump -i eth0 -s 0 -n -U --immediate-mode -Z root \
	    -w "$CAP" 2>"$CAP.err" </dev/null &
	CAPPID=$!
	local i
	for i in $(seq 50); do
		grep -q "listening on" "$CAP.err" 2>/dev/null && break
		sleep 0.1
	done
	sleep 0.3
}
FILE=
cap_stop() {
	sleep 0.5
	kill -INT -- "-$CAPPID" 2>/dev/null || true
	wait "$CAPPID" 2>/dev/null || true
	FILE=$(basename "$CAP")
	cp "$CAP" "$OUT/$FILE"
	stop_all
	echo "  $FILE: $(tshark -r "$OUT/$FILE" 2>/dev/null | wc -l) frames, $(stat -c %s "$OUT/$FILE") bytes"
}
t1() { tshark -r "$OUT/$FILE" -Y "$1" -T fields -e frame.number 2>/dev/null | head -1; }
need() {
	[ -n "$(t1 "$1")" ] || { echo "tunnels.sh: $FILE does not show $2 ($1)" >&2; exit 1; }
}
expect() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$FILE" "$1" "$2" "$3" "$4" "$5" >>"$TSV.new"
}

OK_ABSENT="null-cipher-absent,no-common-cipher,tls-version-mismatch,server-cert-untrusted,server-cert-expired,server-name-mismatch,ssl-inspection,wrong-server,tcp-no-answer,tcp-refused,dns-not-found,handshake-incomplete,capture-truncated,no-iphttps-traffic"

# The IP-HTTPS exchange through the tunnel: handshake-ok on the inner
# connection, found only when the tunnel is looked through.
ONLY=" $* "
wanted() { [ "$ONLY" = "  " ] || [ "${ONLY#* $1 }" != "$ONLY" ]; }

iphttps_through() {	# NAME KIND CLIENT-INNER SERVER-INNER TSHARK-PROTO
	local name=$1 kind=$2 ci=$3 si=$4 proto=$5
	wanted "$name" || return 0
	underlay
	if [ "$kind" = vxlan ]; then vxlan_pair; else tun_pair "$kind" "$ci" "$si"; fi
	bg s $SVC tls-server --bind "$si" --cert "$CERTS/da.pem" --key "$CERTS/da.key" --hold 3
	sleep 0.5
	cap_start "$name"
	nx c $SVC client --connect "$si" --sni da.corp.example --post --linger 0.3 \
	    >>"$WORK/client.log" 2>&1 || true
	cap_stop
	need "$proto && tls.handshake.type==2" "a ServerHello inside $proto"
	need "http.request.method==POST" "the POST in clear"
	expect "--host da.corp.example --ca testdata/scenarios/certs/corp-root.pem" \
	    handshake-ok,null-cipher-negotiated "handshake-ok:$(t1 'tls.handshake.type==2')" 0 "$OK_ABSENT"
}

# A client that used 6to4 or Teredo: other traffic in the tunnel, no
# IP-HTTPS attempt; no-iphttps-traffic must name the tunnel and its frame.
transition_only() {	# NAME KIND CLIENT-INNER SERVER-INNER TSHARK-PROTO
	local name=$1 kind=$2 ci=$3 si=$4 proto=$5
	wanted "$name" || return 0
	underlay
	tun_pair "$kind" "$ci" "$si"
	bg s $SVC http --bind "$si" --port 80 --page
	sleep 0.5
	cap_start "$name"
	nx c ping -6 -c 2 -i 0.2 "$si" >/dev/null 2>&1 || true
	nx c curl -s -m 3 -o /dev/null "http://[$si]/" || true
	cap_stop
	need "$proto && ipv6" "IPv6 inside $proto"
	expect "--host da.corp.example" no-iphttps-traffic "no-iphttps-traffic:$(t1 "$proto")" 0 \
	    "tcp-no-answer,tcp-refused,handshake-ok,dns-not-found"
}

: >"$TSV.new"
echo "tunnels.sh: captures in $OUT"
iphttps_through tunnel-gre-iphttps gre 198.19.7.100 198.19.7.10 gre
iphttps_through tunnel-gre-key-iphttps gre-key 198.19.7.100 198.19.7.10 "gre.key"
iphttps_through tunnel-aruba-iphttps aruba 198.19.7.100 198.19.7.10 "gre && wlan"
iphttps_through tunnel-ipip-iphttps ipip 198.19.7.100 198.19.7.10 "ip.proto==4"
iphttps_through tunnel-6in4-iphttps 6in4 2001:db8:7::100 2001:db8:7::10 "ip.proto==41"
iphttps_through tunnel-vxlan-iphttps vxlan 198.19.7.100 198.19.7.10 vxlan
iphttps_through tunnel-gtpu-iphttps gtpu 198.19.7.100 198.19.7.10 gtp
iphttps_through tunnel-geneve-iphttps geneve 198.19.7.100 198.19.7.10 geneve
if wanted tunnel-geneve-iphttps; then need "geneve.option.class" "a Geneve option"; fi
transition_only tunnel-6to4-only 6in4 2002:c612:501::1 2002:c612:502::1 "ip.proto==41"
transition_only tunnel-teredo-only teredo 2001:0:c612:502:8000:63bf:39ed:fafe 2001:db8:2::10 teredo

# replace the lines of the captures made in expected.tsv
cut -f1 "$TSV.new" | sed 's/^/^/; s/$/\t/' >"$TSV.made"
grep -v -f "$TSV.made" "$TSV" >"$TSV.tmp" || true
rm -f "$TSV.made"
cat "$TSV.new" >>"$TSV.tmp"
mv "$TSV.tmp" "$TSV"
rm -f "$TSV.new"
echo "tunnels.sh: done"
