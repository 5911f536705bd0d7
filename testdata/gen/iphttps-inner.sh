#!/bin/bash
# Build the captures testdata/scenarios/inner-*.pcap: what happens inside a working
# IP-HTTPS tunnel and when each piece behind it breaks. Real components:
#
#   tun-c  client      eth0 198.18.7.100   TUN tunc0 (fe80::c, then
#                      2001:db8:1::c once an RA came), lo 2001:db8:3::c;
#                      iphttps_relay.py client (OpenSSL NULL-SHA256),
#                      strongSwan charon (kernel-libipsec), glibc resolver
#   tun-s  IP-HTTPS    eth0 198.18.7.10    TUN tuns0 (fe80::1, 2001:db8:1::1)
#          server      iphttps_relay.py server, radvd on tuns0, forwards
#                      to tun-g; or Python http.server answering 503/404
#   tun-g  IPsec       eth0 2001:db8:9::1, lo 2001:db8:2::1 (protected);
#          gateway     charon (kernel-libipsec), dnsmasq (DNS, outside IPsec)
#
# Each charon runs in its own mount namespace (unshare -m) with a private
# /run and its own /etc/ipsec.conf, ipsec.secrets, strongswan.conf bound
# over the system's. The kernel has no IPv6 ESP here, so ESP is done in
# user space by kernel-libipsec, whose traffic selectors (2001:db8:3::c
# <-> 2001:db8:2::/64) leave the IKE addresses out. The capture is taken
# with tcpdump on the client's outer interface (tun-c eth0).
#
# Needs (regeneration only, not the build): ip (iproute2),
# python3, radvd, ndisc6 (rdisc6), iputils-ping, strongswan (charon, starter, stroke) with
# libcharon-extra-plugins (kernel-libipsec), dnsmasq-base, tcpdump.
#
# Usage: testdata/gen/iphttps-inner.sh [NAME...]   (as root; default: all;
# OUT=dir writes the captures there instead; PINGS=n PING_SIZE=b PING_GAP=s
# make a long one for timing, e.g. PINGS=20000 PING_SIZE=1200 PING_GAP=0)
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-$TOP/testdata/scenarios}
PINGS=${PINGS:-3}
PING_SIZE=${PING_SIZE:-56}
PING_GAP=${PING_GAP:-0.3}
CERTS=$TOP/testdata/scenarios/certs
RELAY="python3 $TOP/testdata/gen/iphttps_relay.py"
WORK=$(mktemp -d /tmp/tun-lab.XXXXXX)
NSES="c s g"

[ "$(id -u)" = 0 ] || { echo "iphttps-inner.sh: run as root" >&2; exit 2; }
for t in ip python3 radvd rdisc6 ipsec dnsmasq ping getent tcpdump nsenter unshare; do
	command -v $t >/dev/null || { echo "iphttps-inner.sh: missing $t" >&2; exit 2; }
done
[ -e /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] ||
	{ echo "iphttps-inner.sh: missing kernel-libipsec" >&2; exit 2; }

PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
	sleep 0.3
	for p in "${PIDS[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
	PIDS=()
	for n in $NSES; do ip netns del "tun-$n" 2>/dev/null || true; done
	rm -rf /etc/netns/tun-c
}
finish() {
	cleanup
	rm -rf /tmp/tun-lab-logs; mv "$WORK" /tmp/tun-lab-logs 2>/dev/null || true
}
trap finish EXIT
trap 'exit 130' INT TERM

nx() { local n=$1; shift; ip netns exec "tun-$n" "$@"; }
# a background process in its own process group, remembered for cleanup
bg() { setsid "$@" >>"$WORK/lab.log" 2>&1 </dev/null & PIDS+=($!); }

topology() {
	local n
	for n in $NSES; do
		ip netns del "tun-$n" 2>/dev/null || true	# a run cut short
		ip netns add "tun-$n"
		nx "$n" ip link set lo up
		nx "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0
		nx "$n" sysctl -qw net.ipv6.conf.default.accept_dad=0
	done
	ip link add tun-c0 type veth peer name tun-s0
	ip link set tun-c0 netns tun-c name eth0
	ip link set tun-s0 netns tun-s name eth0
	nx c ip addr add 198.18.7.100/24 dev eth0
	nx s ip addr add 198.18.7.10/24 dev eth0
	nx c ip link set eth0 up
	nx s ip link set eth0 up
	nx c sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
	nx s sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1

	ip link add tun-s1 type veth peer name tun-g0
	ip link set tun-s1 netns tun-s name gw
	ip link set tun-g0 netns tun-g name eth0
	nx s ip addr add 2001:db8:9::2/64 dev gw nodad
	nx g ip addr add 2001:db8:9::1/64 dev eth0 nodad
	nx s ip link set gw up
	nx g ip link set eth0 up
	nx g ip addr add 2001:db8:2::1/128 dev lo
	nx g ip -6 route add 2001:db8:1::/64 via 2001:db8:9::2
	nx s sysctl -qw net.ipv6.conf.all.forwarding=1

	# the tunnel interfaces; the relays attach to them
	nx s ip tuntap add dev tuns0 mode tun
	nx s ip addr add fe80::1/64 dev tuns0 nodad
	nx s ip addr add 2001:db8:1::1/64 dev tuns0 nodad
	nx s ip link set tuns0 up
	nx c ip tuntap add dev tunc0 mode tun
	nx c ip addr add fe80::c/64 dev tunc0 nodad
	nx c sysctl -qw net.ipv6.conf.tunc0.accept_ra=2
	nx c sysctl -qw net.ipv6.conf.tunc0.router_solicitation_interval=1
	nx c sysctl -qw net.ipv6.conf.tunc0.router_solicitations=3
	nx c ip addr add 2001:db8:3::c/128 dev lo
	mkdir -p /etc/netns/tun-c
	echo "nameserver 2001:db8:9::1" >/etc/netns/tun-c/resolv.conf
}

radvd_start() {
	cat >"$WORK/radvd.conf" <<-EOF
	interface tuns0 {
		AdvSendAdvert on;
		MinRtrAdvInterval 60;
		MaxRtrAdvInterval 120;
		AdvDefaultLifetime 1800;
		AdvSourceLLAddress off;
		prefix 2001:db8:1::/64 { AdvOnLink on; AdvAutonomous on; };
	};
	EOF
	bg ip netns exec tun-s radvd -n -C "$WORK/radvd.conf" \
	    -p "$WORK/radvd.pid" -m stderr
}

dnsmasq_start() {
	bg ip netns exec tun-g dnsmasq -k --no-resolv --no-hosts \
	    --listen-address=2001:db8:9::1 --bind-interfaces \
	    --pid-file="$WORK/dnsmasq.pid" \
	    --address=/dc.corp.example/2001:db8:2::10 \
	    --address=/nls.corp.example/2001:db8:2::11
}

# charon_start NS VERSION IKE-PROPOSAL: one charon in its own mount
# namespace; its stroke socket is reached with nsenter later.
charon_start() {
	local n=$1 ver=$2 prop=$3 d=$WORK/ipsec-$1 left right lsub rsub id rid
	mkdir -p "$d"
	if [ "$n" = c ]; then
		left=2001:db8:1::c right=2001:db8:9::1
		lsub=2001:db8:3::c/128 rsub=2001:db8:2::/64
		id=client.corp.example rid=gw.corp.example
	else
		left=2001:db8:9::1 right=%any
		lsub=2001:db8:2::/64 rsub=2001:db8:3::c/128
		id=gw.corp.example rid=client.corp.example
	fi
	cat >"$d/strongswan.conf" <<-EOF
	charon {
		load = random nonce aes sha1 sha2 hmac kdf gmp pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default stroke updown
		retransmit_tries = 2
		retransmit_timeout = 1.0
		retransmit_base = 1.5
		filelog {
			lab {
				path = $d/charon.log
				default = 1
				ike = 2
			}
		}
	}
	starter {
		load_warning = no
	}
	EOF
	cat >"$d/ipsec.conf" <<-EOF
	config setup
	conn da
	    keyexchange=ikev$ver
	    left=$left
	    leftsubnet=$lsub
	    leftid=@$id
	    leftauth=psk
	    right=$right
	    rightsubnet=$rsub
	    rightid=@$rid
	    rightauth=psk
	    ike=$prop!
	    esp=aes128-sha256!
	    auto=add
	EOF
	echo "@client.corp.example @gw.corp.example : PSK \"tunnel-lab\"" \
	    >"$d/ipsec.secrets"
	chmod 600 "$d/ipsec.secrets"
	bg ip netns exec "tun-$n" unshare -m --propagation private sh -c "
		mount -t tmpfs tmpfs /run
		mount --bind $d/ipsec.conf /etc/ipsec.conf
		mount --bind $d/ipsec.secrets /etc/ipsec.secrets
		mount --bind $d/strongswan.conf /etc/strongswan.conf
		echo \$\$ >$d/pid
		exec ipsec start --nofork"
	sleep 1.5
}

ipsec_cmd() {
	local n=$1; shift
	nsenter -t "$(cat "$WORK/ipsec-$n/pid")" -m -n ipsec "$@"
}

# the client's tunnel: TLS, POST, answer; returns once the relay has
# brought tunc0 up (after a 2xx answer) or after 5 s
client_start() {
	local i
	bg ip netns exec tun-c $RELAY client tunc0 198.18.7.10 443 \
	    "$CERTS/corp-root.pem"
	for i in $(seq 50); do
		nx c ip link show tunc0 | grep -q "state UP\|,UP" && return 0
		sleep 0.1
	done
}

wait_ra() {
	local i
	for i in 1 2 3 4 5 6; do
		nx c ip -6 route show dev tunc0 | grep -q "proto ra" && return 0
		sleep 1
	done
	return 1
}

capture_start() {
	bg ip netns exec tun-c tcpdump -i eth0 -s 0 -n -U -w "$WORK/$1.pcap"
	sleep 1
}

capture_stop() {
	local name=$1
	sleep 1
	cleanup
	mkdir -p "$OUT"
	name=inner-${name#inner-}
	cp "$WORK/$1.pcap" "$OUT/$name.pcap"
	echo "iphttps-inner.sh: $name.pcap $(stat -c %s "$OUT/$name.pcap") bytes"
}

# scenario NAME: radvd? ike proposals? what breaks?
run() {
	local name=$1 ver=${2:-2} radvd=${3:-yes} block=${4:-} cprop srvprop
	cprop=aes128-sha256-modp2048
	srvprop=$cprop
	[ "$block" = proposal ] && srvprop=aes256-sha384-modp3072
	topology
	capture_start "$name"
	case "$block" in
	503|404)
		bg ip netns exec tun-s $RELAY web "$block" 443 \
		    "$CERTS/da.pem" "$CERTS/da.key"
		sleep 1
		client_start
		sleep 2
		capture_stop "$name"
		return
		;;
	esac
	[ "$radvd" = yes ] && radvd_start
	dnsmasq_start
	bg ip netns exec tun-s $RELAY server tuns0 443 \
	    "$CERTS/da.pem" "$CERTS/da.key"
	sleep 1
	client_start
	# the client solicits its router through the tunnel (the kernel sends
	# no RS on a TUN link, nor a multicast route; Windows' IP-HTTPS
	# interface does)
	nx c ip -6 route add multicast ff00::/8 dev tunc0 table local
	nx c rdisc6 -1 -r 3 -w 1000 tunc0 >"$WORK/$name-rdisc6.log" 2>&1 || true
	if ! wait_ra; then
		echo "iphttps-inner.sh: $name: no RA, no address"
		sleep 2
		capture_stop "$name"
		return
	fi
	# the address formed from the advertised prefix
	nx c ip addr add 2001:db8:1::c/64 dev tunc0 nodad
	# the server's forwarding drops what the scenario breaks (policy
	# routing into a blackhole: this kernel has no netfilter or tc
	# classifiers)
	nx s ip -6 route add blackhole default table 100
	if [ "$block" = ike ]; then
		nx s ip -6 rule add iif tuns0 ipproto udp dport 500 table 100
		nx s ip -6 rule add iif tuns0 ipproto udp dport 4500 table 100
	fi
	charon_start g "$ver" "$srvprop"
	charon_start c "$ver" "$cprop"
	nx c getent ahosts dc.corp.example >/dev/null || true
	ipsec_cmd c up da >"$WORK/$name-up.log" 2>&1 || true
	# kernel-libipsec sends ESP in UDP 4500 (RFC 3948), IKE is done
	[ "$block" = esp ] &&
		nx s ip -6 rule add iif tuns0 ipproto udp dport 4500 table 100
	nx c ping -6 -c "$PINGS" -i "$PING_GAP" -s "$PING_SIZE" -W 1 \
	    -I 2001:db8:3::c 2001:db8:2::1 \
	    >"$WORK/$name-ping.log" 2>&1 || true
	capture_stop "$name"
}

ALL="ok-ikev2 ok-ikev1 no-ra ike-blocked ikev2-no-proposal
ikev1-no-proposal esp-dropped http-503-adc http-404-web"
for name in ${@:-$ALL}; do
	case $name in
	ok-ikev2)	run "$name" 2 ;;
	ok-ikev1)	run "$name" 1 ;;
	no-ra)			run "$name" 2 no ;;
	ike-blocked)		run "$name" 2 yes ike ;;
	ikev2-no-proposal)	run "$name" 2 yes proposal ;;
	ikev1-no-proposal)	run "$name" 1 yes proposal ;;
	esp-dropped)		run "$name" 2 yes esp ;;
	http-503-adc)		run "$name" 2 yes 503 ;;
	http-404-web)		run "$name" 2 yes 404 ;;
	*) echo "iphttps-inner.sh: unknown scenario $name" >&2; exit 2 ;;
	esac
done
