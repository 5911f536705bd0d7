#!/bin/bash
# Build testdata/scenarios/preamble-*.pcap: TLS that begins after a
# plaintext preamble, made by real stacks on the loopback of a network
# namespace of our own (tls-pre):
#
#   client  openssl s_client -starttls PROTO (OpenSSL), curl through a
#           SOCKS proxy, or testdata/gen/preamble/pipelined.py (SMTP with
#           RSET and STARTTLS pipelined, then Python's ssl = OpenSSL)
#   server  testdata/gen/preamble/srv.py (the protocol's plaintext side,
#           then Python's ssl module = OpenSSL), dante (danted) as the SOCKS
#           4/5 server
#
# Each capture is one connection (two for SOCKS: client-proxy and
# proxy-target), taken with tcpdump on lo. The scenario lines are in
# testdata/scenarios/expected.tsv (written by hand: expected and forbidden
# verdict ids).
#
# Needs (to regenerate only): openssl, python3, tcpdump, dante-server
# (danted), curl, iproute2. Run as root:   testdata/gen/preambles.sh [NAME...]
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$TOP/testdata/scenarios
SRV="/usr/bin/python3 $TOP/testdata/gen/preamble/srv.py"
CERT=$TOP/testdata/scenarios/certs/da.pem
KEY=$TOP/testdata/scenarios/certs/da.key
NS=tls-pre
WORK=$(mktemp -d /tmp/tls-pre.XXXXXX)

[ "$(id -u)" = 0 ] || { echo "preambles.sh: run as root" >&2; exit 2; }
for t in openssl python3 tcpdump curl danted ip; do
	command -v $t >/dev/null || { echo "preambles.sh: missing $t" >&2; exit 2; }
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

# capture NAME FILTER CMD...: tcpdump around one client run
capture() {
	local name=$1 filter=$2 pcap tpid; shift 2
	pcap=$OUT/$name.pcap
	ip netns exec $NS tcpdump -i lo -U -s 0 -w "$WORK/$name.pcap" "$filter" \
	    2>/dev/null &
	tpid=$!
	sleep 0.5
	"$@" || true
	sleep 0.5
	kill "$tpid"; wait "$tpid" 2>/dev/null || true
	cp "$WORK/$name.pcap" "$pcap"
	echo "$name: $(tcpdump -r "$pcap" 2>/dev/null | wc -l) packets"
}

s_client() {
	nx timeout 10 openssl s_client -connect "127.0.0.1:$2" -starttls "$1" \
	    -name da.corp.example -servername da.corp.example -tls1_2 \
	    < /dev/null > "$WORK/cli.out" 2>&1
}

# starttls NAME PROTO PORT [refuse]: srv.py against s_client -starttls
starttls() {
	local name=$1 proto=$2 port=$3 refuse=${4:-}
	want "$name" || return 0
	ip netns exec $NS $SRV "$proto" "$port" "$CERT" "$KEY" $refuse \
	    > "$WORK/srv.out" 2>&1 </dev/null &
	PIDS+=($!)
	sleep 0.5
	capture "$name" "tcp port $port" s_client "$proto" "$port"
	kill "${PIDS[-1]}" 2>/dev/null || true	# a server left waiting
	wait "${PIDS[-1]}" 2>/dev/null || true
}

# pipelined NAME: srv.py smtp against a client that sends RSET and
# STARTTLS in one segment (testdata/gen/preamble/pipelined.py)
pipelined() {
	local name=$1
	want "$name" || return 0
	ip netns exec $NS $SRV smtp 25 "$CERT" "$KEY" > "$WORK/srv.out" 2>&1 \
	    </dev/null &
	PIDS+=($!)
	sleep 0.5
	capture "$name" "tcp port 25" nx timeout 10 /usr/bin/python3 \
	    "$TOP/testdata/gen/preamble/pipelined.py" 25
	kill "${PIDS[-1]}" 2>/dev/null || true
	wait "${PIDS[-1]}" 2>/dev/null || true
}

# socks NAME VERSION: curl -> danted (1080) -> srv.py tls (8443)
socks() {
	local name=$1 v=$2
	want "$name" || return 0
	cat > "$WORK/danted.conf" <<-EOF
	logoutput: $WORK/danted.log
	internal: 127.0.0.1 port = 1080
	external: 127.0.0.1
	clientmethod: none
	socksmethod: none
	user.privileged: root
	user.unprivileged: nobody
	client pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }
	socks pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }
	EOF
	ip netns exec $NS danted -f "$WORK/danted.conf" -p "$WORK/danted.pid" \
	    </dev/null &
	PIDS+=($!)
	ip netns exec $NS $SRV tls 8443 "$CERT" "$KEY" > "$WORK/srv.out" 2>&1 \
	    </dev/null &
	PIDS+=($!)
	sleep 1
	capture "$name" "tcp port 1080" \
	    nx timeout 10 curl -sk --tlsv1.2 --tls-max 1.2 "--socks$v" \
	    127.0.0.1:1080 https://127.0.0.1:8443/ -o /dev/null
	kill "$(cat "$WORK/danted.pid")" "${PIDS[-1]}" 2>/dev/null || true
	sleep 0.3
}

SEL=("$@")
want() {
	local s
	[ ${#SEL[@]} -eq 0 ] && return 0
	for s in "${SEL[@]}"; do [ "$s" = "$1" ] && return 0; done
	return 1
}

starttls preamble-smtp smtp 25
starttls preamble-smtp-port2525 smtp 2525
starttls preamble-smtp-refused smtp 25 refuse
pipelined preamble-smtp-pipelined
starttls preamble-imap imap 143
starttls preamble-pop3 pop3 110
starttls preamble-ftp ftp 21
starttls preamble-xmpp xmpp 5222
starttls preamble-nntp nntp 119
starttls preamble-sieve sieve 4190
starttls preamble-irc irc 6667
starttls preamble-irc-refused irc 6667 refuse
starttls preamble-ldap ldap 389
starttls preamble-postgres postgres 5432
starttls preamble-mysql mysql 3306
socks preamble-socks5 5
socks preamble-socks4 4
