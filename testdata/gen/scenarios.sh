#!/bin/bash
# Build the scenario captures of testdata/scenarios/ with real TLS stacks
# (OpenSSL s_server/s_client, GnuTLS gnutls-serv/gnutls-cli, Python ssl)
# in network namespaces, capture on the client side with tcpdump, and write
# testdata/scenarios/expected.tsv from what tshark reads back.
#
# Topology (created here, removed on exit; nothing else is touched):
#
#   dtg-cli 198.18.1.100 ---- dtg-rtr ---- br0 198.19.0.1 / 2001:db8:2::1
#           2001:db8:1::100   (router)      |- dtg-da    .10  ::10  DirectAccess server
#                                           |- dtg-adc   .11  ::11  ADC / load balancer
#                                           |- dtg-fw    .12  ::12  firewall
#                                           |- dtg-insp  .13  ::13  inspecting proxy
#                                           |- dtg-www   .20  ::20  www.other.example
#                                           |- dtg-proxy .8   ::8   web proxy :8080
#                                           |- dtg-dns   .53  ::53  DNS
#                                           `- dtg-crl   .80  ::80  crl.corp.example
#
# The DirectAccess name always resolves to 198.19.0.10 / 2001:db8:2::10;
# scenarios where another box answers for it move that address to the box.
# Only 198.18.0.0/15 and 2001:db8::/32 inside these namespaces are used.
#
# Usage: testdata/gen/scenarios.sh [NAME-GLOB...]   (as root; default: all)
# Rerunnable: rewrites the captures it makes and their lines of
# expected.tsv; the certificates in testdata/scenarios/certs/ are kept.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$TOP/testdata/scenarios
CERTS=$OUT/certs
C=testdata/scenarios/certs		# as the tests pass it (from the top)
GEN=$TOP/testdata/gen/scenarios
PY=/usr/bin/python3
SVC="$PY $GEN/svc.py"
WORK=$(mktemp -d /tmp/dtg.XXXXXX)
TSV=$OUT/expected.tsv

DA4=198.19.0.10
DA6=2001:db8:2::10
DNS4=198.19.0.53
DNS6=2001:db8:2::53
NSES="cli rtr da adc fw insp www proxy dns crl"
declare -A HOST=([da]=10 [adc]=11 [fw]=12 [insp]=13 [www]=20 [proxy]=8 [dns]=53 [crl]=80)

[ "$(id -u)" = 0 ] || { echo "scenarios.sh: run as root" >&2; exit 2; }
for t in openssl gnutls-serv gnutls-cli certtool tcpdump tshark editcap ip ss; do
	command -v $t >/dev/null || { echo "scenarios.sh: missing $t" >&2; exit 2; }
done

PGIDS=()
cleanup() {
	local p
	for p in "${PGIDS[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
	for n in $NSES; do ip netns del "dtg-$n" 2>/dev/null || true; done
	rm -rf /tmp/dtg-logs; cp -r "$WORK" /tmp/dtg-logs 2>/dev/null || true; rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nx() { local n=$1; shift; ip netns exec "dtg-$n" "$@"; }

# ------------------------------------------------------------- topology

topology() {
	local n h
	for n in $NSES; do
		ip netns del "dtg-$n" 2>/dev/null || true
		ip netns add "dtg-$n"
		nx "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		    net.ipv6.conf.default.accept_dad=0 \
		    net.ipv6.conf.default.router_solicitations=0 \
		    net.ipv6.conf.all.router_solicitations=0
		nx "$n" ip link set lo up
	done
	nx rtr sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip link add dtg-c0 type veth peer name dtg-c1
	ip link set dtg-c0 netns dtg-cli name eth0
	ip link set dtg-c1 netns dtg-rtr name eth0
	nx cli ip addr add 198.18.1.100/24 dev eth0
	nx cli ip addr add 2001:db8:1::100/64 dev eth0 nodad
	nx rtr ip addr add 198.18.1.1/24 dev eth0
	nx rtr ip addr add 2001:db8:1::1/64 dev eth0 nodad
	nx cli ip link set eth0 up
	nx rtr ip link set eth0 up
	nx cli ip route add default via 198.18.1.1
	nx cli ip -6 route add default via 2001:db8:1::1
	nx rtr ip link add br0 type bridge
	nx rtr ip addr add 198.19.0.1/24 dev br0
	nx rtr ip addr add 2001:db8:2::1/64 dev br0 nodad
	nx rtr ip link set br0 up
	for n in "${!HOST[@]}"; do
		h=${HOST[$n]}
		ip link add "dtg-$n" type veth peer name "dtg-${n}r"
		ip link set "dtg-$n" netns "dtg-$n" name eth0
		ip link set "dtg-${n}r" netns dtg-rtr
		nx rtr ip link set "dtg-${n}r" master br0 up
		nx "$n" ip addr add "198.19.0.$h/24" dev eth0
		nx "$n" ip addr add "2001:db8:2::$h/64" dev eth0 nodad
		nx "$n" ip link set eth0 up
		nx "$n" ip route add default via 198.19.0.1
		nx "$n" ip -6 route add default via 2001:db8:2::1
	done
	# Segments on the wire as a NIC would send them (no GSO super-frames).
	for n in $NSES; do
		nx "$n" ip link set eth0 gso_max_size 1500 2>/dev/null || true
	done
	sleep 1
}

# Give the DirectAccess addresses to box $1 (inspection proxy, firewall)
# and back to dtg-da with `give_da da`.
give_da() {
	local n
	for n in da insp fw; do
		nx "$n" ip addr del "$DA4/24" dev eth0 2>/dev/null || true
		nx "$n" ip addr del "$DA6/64" dev eth0 2>/dev/null || true
	done
	nx "$1" ip addr add "$DA4/24" dev eth0
	nx "$1" ip addr add "$DA6/64" dev eth0 nodad
	for n in da insp fw; do	# routes vanish with a box's only address
		nx "$n" ip route replace default via 198.19.0.1 2>/dev/null || true
		nx "$n" ip -6 route replace default via 2001:db8:2::1 2>/dev/null || true
	done
	nx rtr ip neigh flush dev br0
}

# ------------------------------------------------------------ processes

LAST=
bg() {	# bg NS CMD... : start a server in the background (own group)
	local n=$1; shift
	setsid ip netns exec "dtg-$n" "$@" >>"$WORK/servers.log" 2>&1 </dev/null &
	LAST=$!
	PGIDS+=("$LAST")
}
bgsh() {	# bgsh NS 'shell string'
	local n=$1; shift
	setsid ip netns exec "dtg-$n" sh -c "$1" >>"$WORK/servers.log" 2>&1 </dev/null &
	LAST=$!
	PGIDS+=("$LAST")
}
stop_all() {
	local p
	for p in "${PGIDS[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
	for p in "${PGIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	PGIDS=()
}
listening() {	# listening NS PROTO(t|u) PORT
	local i
	for i in $(seq 50); do
		nx "$1" ss -ln$2 | awk '{print $4}' | grep -q ":$3\$" && return 0
		sleep 0.1
	done
	echo "scenarios.sh: nothing listens on $1:$3" >&2
	return 1
}
cli() { nx cli "$@" >>"$WORK/client.log" 2>&1 || true; }

# DNS server with the given records (name=A:addr, name=AAAA:addr, name=AAAA:)
dns_up() {
	local r args=()
	for r in "$@"; do args+=(--record "$r"); done
	bg dns $SVC dns --bind $DNS4 --bind $DNS6 "${args[@]}"
	listening dns u 53
}
DA_RECORDS=("da.corp.example=A:$DA4" "da.corp.example=AAAA:$DA6")

# --------------------------------------------------------------- capture

CAP= CAPPID= CAPFMT= CAPNAME=
# cap_start NAME [if=eth0|any] [link=SLL|SLL2] [snap=N] [fmt=pcap|pcapng|nano]
cap_start() {
	CAPNAME=$1; shift
	local ifc=eth0 snap=0 link= fmt=pcap kv
	for kv in "$@"; do
		case $kv in
		if=*) ifc=${kv#if=} ;;
		link=*) link=${kv#link=}; ifc=any ;;
		snap=*) snap=${kv#snap=} ;;
		fmt=*) fmt=${kv#fmt=} ;;
		esac
	done
	CAPFMT=$fmt
	CAP=$WORK/$CAPNAME.raw
	local extra=()
	[ -n "$link" ] && extra+=(-y "LINUX_$link")
	[ "$fmt" = nano ] && extra+=(--time-stamp-precision=nano)
	rm -f "$CAP" "$CAP.err"
	setsid ip netns exec dtg-cli tcpdump -i "$ifc" -s "$snap" -n -U --immediate-mode -Z root \
	    "${extra[@]}" -w "$CAP" 2>"$CAP.err" </dev/null &
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
	case $CAPFMT in
	pcapng) FILE=$CAPNAME.pcapng
		editcap -F pcapng "$CAP" "$OUT/$FILE" ;;
	*)	FILE=$CAPNAME.pcap
		cp "$CAP" "$OUT/$FILE" ;;
	esac
	stop_all
	echo "  $FILE: $(tshark -r "$OUT/$FILE" 2>/dev/null | wc -l) frames," \
	    "$(stat -c %s "$OUT/$FILE") bytes"
}

# ------------------------------------------------------ reading back

# tf FILTER: the matching frame numbers of the current capture, a,b,c
tf() { { tshark -r "$OUT/$FILE" -Y "$1" -T fields -e frame.number 2>/dev/null | paste -sd, -; } || true; }
t1() { tf "$1" | cut -d, -f1; }
need() {	# need FILTER WHAT: the capture must show it
	local f
	f=$(tf "$1")
	if [ -z "$f" ]; then
		echo "scenarios.sh: $FILE does not show $2 ($1)" >&2
		FAILED+=("$FILE: $2")
	fi
}
FAILED=()

S2C="tcp.srcport==443"
C2S="tcp.dstport==443"
CH="tls.handshake.type==1"
SH="tls.handshake.type==2"
CERT="tls.handshake.type==11 && $S2C"
CCERT="tls.handshake.type==11 && $C2S"
CREQ="tls.handshake.type==13"
ALERT="tls.record.content_type==21"
SYN="tcp.flags.syn==1 && tcp.flags.ack==0"
RST="tcp.flags.reset==1"
# frames NAME A B..: "NAME:a,b" from first matching frames of each filter
fr() {
	local id=$1 f out= x; shift
	for f in "$@"; do
		x=$(t1 "$f")
		[ -n "$x" ] && out=${out:+$out,}$x
	done
	echo "$id:$out"
}

# expect OPTIONS EXPECT_IDS FRAMES EXIT ABSENT_IDS  (one TSV line)
expect() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$FILE" "$1" "$2" "$3" "$4" "$5" >>"$TSV.new"
}

HOSTOPT="--host da.corp.example"
CAOPT="--host da.corp.example --ca $C/corp-root.pem"
CERT_IDS="server-cert-untrusted,server-cert-expired,server-name-mismatch,ssl-inspection,wrong-server"
OK_ABSENT="null-cipher-absent,no-common-cipher,tls-version-mismatch,client-cert-missing,client-cert-rejected,$CERT_IDS,tcp-no-answer,tcp-refused,dns-not-found,crl-unreachable,handshake-incomplete,capture-truncated,no-iphttps-traffic"
WIN_CIPHERS="NULL-SHA256:NULL-SHA:AES128-SHA256:AES128-SHA:AES256-SHA256:AES256-SHA:@SECLEVEL=0"
NULL_ONLY="NULL-SHA256:NULL-SHA:@SECLEVEL=0"
IPHTTPS_REPLY='HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\nServer: Microsoft-HTTPAPI/2.0\r\n\r\n'
POST='POST /IPHTTPS HTTP/1.1\r\nHost: da.corp.example\r\nContent-Length: 18446744073709551615\r\n\r\n'

# s_server fed with the IP-HTTPS reply on stdin (it sends what it reads)
s_server() {	# s_server NS ARGS...
	local n=$1; shift
	bgsh "$n" "(sleep 2; printf '$IPHTTPS_REPLY'; sleep 4) | openssl s_server -accept 443 -naccept 1 -quiet $*"
	listening "$n" t 443
}
gnutls_serv() {	# gnutls_serv NS ARGS...
	local n=$1; shift
	bg "$n" gnutls-serv --port 443 --echo "$@"
	listening "$n" t 443
}
pyserv() {	# pyserv NS ARGS...
	local n=$1; shift
	bg "$n" $SVC tls-server "$@"
	listening "$n" t 443
}
GNUTLS_NULL="NONE:+VERS-TLS1.2:+NULL:+AES-128-CBC:+AES-256-CBC:+SHA256:+SHA1:+RSA:+SIGN-ALL:+COMP-NULL:+CTYPE-X509"
GNUTLS_NONULL="NORMAL:-VERS-TLS1.3"

# ------------------------------------------------------------ scenarios
# Each sc_NAME builds one capture (or a few) and writes its TSV lines.

sc_ok_null() {
	# Healthy: Python (OpenSSL) server prefers NULL-SHA256, IPv4, Ethernet.
	dns_up "${DA_RECORDS[@]}"
	pyserv da --bind 0.0.0.0 --cert $CERTS/da.pem --key $CERTS/da.key
	cap_start ok-null-openssl
	cli $SVC client --dns $DNS4 --name da.corp.example --post
	cap_stop
	need "$SH && tls.handshake.ciphersuite==0x003b" "NULL-SHA256 chosen"
	need "http.request.method==POST" "the POST in clear"
	local f="$(fr handshake-ok "$SH");$(fr null-cipher-negotiated "$CH" "$SH")"
	expect "$CAOPT" handshake-ok,null-cipher-negotiated "$f" 0 "encrypted-cipher-negotiated,$OK_ABSENT"
	expect "" handshake-ok,null-cipher-negotiated "$f" 0 "encrypted-cipher-negotiated,$OK_ABSENT"
	expect "$CAOPT --expect-cert $C/da.pem" handshake-ok,null-cipher-negotiated "$f" 0 "encrypted-cipher-negotiated,$OK_ABSENT"
}

sc_ok_null_gnutls_cli() {
	# Healthy: GnuTLS client (NULL first), IPv6, pcapng.
	pyserv da --bind :: --cert $CERTS/da.pem --key $CERTS/da.key
	cap_start ok-null-gnutls-cli-v6 fmt=pcapng
	cli sh -c "(printf '$POST'; sleep 1.5) | gnutls-cli --priority '$GNUTLS_NULL' \
	    --x509cafile $CERTS/corp-root.pem --verify-hostname da.corp.example \
	    --sni-hostname da.corp.example -p 443 $DA6"
	cap_stop
	need "$SH && tls.handshake.ciphersuite==0x003b" "NULL-SHA256 chosen"
	local f="$(fr handshake-ok "$SH");$(fr null-cipher-negotiated "$CH" "$SH")"
	expect "$CAOPT" handshake-ok,null-cipher-negotiated "$f" 0 "encrypted-cipher-negotiated,$OK_ABSENT"
	expect "" handshake-ok,null-cipher-negotiated "$f" 0 "encrypted-cipher-negotiated,$OK_ABSENT"
}

sc_ok_null_sll() {
	# Healthy: openssl s_client against s_server, both NULL, SLL (-i any).
	s_server da -cert $CERTS/da.pem -key $CERTS/da.key -cipher "'NULL-SHA256:NULL-SHA:AES128-SHA256@SECLEVEL=0'" -serverpref -no_tls1_3
	cap_start ok-null-sll link=SLL
	cli sh -c "(sleep 0.5; printf '$POST'; sleep 2.5) | openssl s_client -quiet -connect $DA4:443 \
	    -servername da.corp.example -tls1_2 -cipher '$WIN_CIPHERS' -CAfile $CERTS/corp-root.pem"
	cap_stop
	need "$SH && tls.handshake.ciphersuite==0x003b" "NULL-SHA256 chosen"
	local f="$(fr handshake-ok "$SH");$(fr null-cipher-negotiated "$CH" "$SH")"
	expect "$CAOPT" handshake-ok,null-cipher-negotiated "$f" 0 "encrypted-cipher-negotiated,$OK_ABSENT"
}

sc_enc_aes() {
	# NULL offered, the ADC has none: AES chosen (s_server), IPv4.
	s_server adc -cert $CERTS/da.pem -key $CERTS/da.key -no_tls1_3
	cap_start enc-aes-openssl
	cli $SVC client --connect 198.19.0.11 --post
	cap_stop
	need "$SH && !(tls.handshake.ciphersuite in {0x0002, 0x003b})" "an AES suite chosen"
	local f="$(fr encrypted-cipher-negotiated "$CH" "$SH");$(fr handshake-ok "$SH")"
	expect "$CAOPT" handshake-ok,encrypted-cipher-negotiated "$f" 0 "null-cipher-negotiated,$OK_ABSENT"
	expect "" handshake-ok,encrypted-cipher-negotiated "$f" 0 "null-cipher-negotiated,$OK_ABSENT"
}

sc_enc_aes_gnutls() {
	# NULL offered, gnutls-serv without NULL picks AES, IPv6, pcapng.
	gnutls_serv adc -a --priority "$GNUTLS_NONULL" --x509certfile $CERTS/da.pem --x509keyfile $CERTS/da.key
	cap_start enc-aes-gnutls-v6 fmt=pcapng
	cli $SVC client --connect 2001:db8:2::11 --post --reply-timeout 1
	cap_stop
	need "$SH && !(tls.handshake.ciphersuite in {0x0002, 0x003b})" "an AES suite chosen"
	local f="$(fr encrypted-cipher-negotiated "$CH" "$SH");$(fr handshake-ok "$SH")"
	expect "$CAOPT" handshake-ok,encrypted-cipher-negotiated "$f" 0 "null-cipher-negotiated,$OK_ABSENT"
}

sc_null_absent() {
	# NULL-only ClientHello; s_server without NULL: handshake_failure.
	s_server adc -cert $CERTS/da.pem -key $CERTS/da.key -no_tls1_3
	cap_start null-absent-alert-openssl
	cli $SVC client --connect 198.19.0.11 --ciphers "$NULL_ONLY" --post
	cap_stop
	need "tls.alert_message.desc==40" "handshake_failure alert"
	expect "$HOSTOPT" null-cipher-absent "$(fr null-cipher-absent "$CH" "$ALERT")" 1 "handshake-ok,no-common-cipher,tls-version-mismatch,encrypted-cipher-negotiated,null-cipher-negotiated"
	expect "" null-cipher-absent "$(fr null-cipher-absent "$CH" "$ALERT")" 1 "handshake-ok,no-common-cipher,tls-version-mismatch"
}

sc_null_absent_reset() {
	# NULL-only ClientHello; the ADC resets the connection. IPv6, SLL2.
	pyserv adc --bind :: --mode reset
	cap_start null-absent-reset-v6 link=SLL2
	cli $SVC client --connect 2001:db8:2::11 --ciphers "$NULL_ONLY" --post
	cap_stop
	need "$RST && $S2C" "the server's RST"
	expect "$HOSTOPT" null-cipher-absent "$(fr null-cipher-absent "$CH" "$RST && $S2C")" 1 "handshake-ok,no-common-cipher,tls-version-mismatch,tcp-refused"
}

sc_null_absent_gnutls() {
	# NULL-only ClientHello; gnutls-serv without NULL; SLL, pcapng.
	gnutls_serv adc -a --priority "$GNUTLS_NONULL" --x509certfile $CERTS/da.pem --x509keyfile $CERTS/da.key
	cap_start null-absent-alert-gnutls link=SLL fmt=pcapng
	cli $SVC client --connect 198.19.0.11 --ciphers "$NULL_ONLY" --post
	cap_stop
	need "$ALERT" "an alert"
	expect "$HOSTOPT" null-cipher-absent "$(fr null-cipher-absent "$CH" "$ALERT")" 1 "handshake-ok,no-common-cipher,tls-version-mismatch"
}

sc_no_common() {
	# No NULL offered, no suite in common: AES128-SHA vs CHACHA20/AES256-GCM.
	s_server adc -cert $CERTS/da.pem -key $CERTS/da.key -no_tls1_3 -cipher ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-GCM-SHA384
	cap_start no-common-cipher-openssl
	cli $SVC client --connect 198.19.0.11 --ciphers AES128-SHA --post
	cap_stop
	need "tls.alert_message.desc==40" "handshake_failure alert"
	expect "$HOSTOPT" no-common-cipher "$(fr no-common-cipher "$CH" "$ALERT")" 1 "null-cipher-absent,handshake-ok,tls-version-mismatch"
}

sc_no_common_gnutls() {
	gnutls_serv adc -a --priority "NONE:+VERS-TLS1.2:+CHACHA20-POLY1305:+AES-256-GCM:+AEAD:+ECDHE-RSA:+SIGN-ALL:+GROUP-ALL:+COMP-NULL:+CTYPE-X509" \
	    --x509certfile $CERTS/da.pem --x509keyfile $CERTS/da.key
	cap_start no-common-cipher-gnutls-v6 fmt=pcapng
	cli $SVC client --connect 2001:db8:2::11 --ciphers AES128-SHA:AES256-SHA --post
	cap_stop
	need "$ALERT" "an alert"
	expect "$HOSTOPT" no-common-cipher "$(fr no-common-cipher "$CH" "$ALERT")" 1 "null-cipher-absent,handshake-ok,tls-version-mismatch"
}

sc_no_common_near() {
	# Near miss: no NULL offered, AES128-SHA in common -> ok, no warnings.
	s_server adc -cert $CERTS/da.pem -key $CERTS/da.key -no_tls1_3
	cap_start near-aes-only-ok
	cli $SVC client --connect 198.19.0.11 --ciphers AES128-SHA --post
	cap_stop
	need "$SH" "ServerHello"
	expect "$HOSTOPT" handshake-ok "$(fr handshake-ok "$SH")" 0 "no-common-cipher,encrypted-cipher-negotiated,null-cipher-negotiated,null-cipher-absent"
}

sc_version() {
	# Client TLS 1.0 only, server TLS 1.2 only: protocol_version.
	s_server adc -cert $CERTS/da.pem -key $CERTS/da.key -tls1_2
	cap_start tls-version-tls10-openssl
	cli $SVC client --connect 198.19.0.11 --min 1.0 --max 1.0 --ciphers "NULL-SHA:AES128-SHA:@SECLEVEL=0" --post
	cap_stop
	need "tls.alert_message.desc==70" "protocol_version alert"
	expect "$HOSTOPT" tls-version-mismatch "$(fr tls-version-mismatch "$CH" "$ALERT")" 1 "null-cipher-absent,no-common-cipher,handshake-ok"
}

sc_version_gnutls() {
	gnutls_serv adc -a --priority "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3" --x509certfile $CERTS/da.pem --x509keyfile $CERTS/da.key
	cap_start tls-version-tls10-gnutls-v6 fmt=pcapng
	cli $SVC client --connect 2001:db8:2::11 --min 1.0 --max 1.0 --ciphers "NULL-SHA:AES128-SHA:@SECLEVEL=0" --post
	cap_stop
	need "tls.alert_message.desc==70" "protocol_version alert"
	expect "$HOSTOPT" tls-version-mismatch "$(fr tls-version-mismatch "$CH" "$ALERT")" 1 "null-cipher-absent,no-common-cipher,handshake-ok"
}

sc_version_near() {
	# Near miss: the client offers 1.0..1.2, the server picks 1.2.
	pyserv da --bind 0.0.0.0 --cert $CERTS/da.pem --key $CERTS/da.key
	cap_start near-version-range-ok
	cli $SVC client --connect $DA4 --min 1.0 --max 1.2 --post
	cap_stop
	need "$SH && tls.handshake.version==0x0303" "TLS 1.2 chosen"
	expect "$CAOPT" handshake-ok,null-cipher-negotiated "$(fr handshake-ok "$SH")" 0 "tls-version-mismatch,$OK_ABSENT"
}

CLIENTCA="-CAfile $CERTS/corp-client-ca.pem -verify_return_error"
sc_clientcert_missing() {
	# Server requires a client certificate, the client has none.
	s_server da -cert $CERTS/da.pem -key $CERTS/da.key -no_tls1_3 -cipher "'NULL-SHA256:NULL-SHA@SECLEVEL=0'" -Verify 1 $CLIENTCA
	cap_start client-cert-missing-openssl
	cli $SVC client --connect $DA4 --post
	cap_stop
	need "$CREQ" "CertificateRequest"
	need "$CCERT && tls.handshake.certificates_length==0" "an empty client Certificate"
	expect "$CAOPT" client-cert-missing "$(fr client-cert-missing "$CREQ" "$CCERT" "$ALERT")" 1 "client-cert-rejected,handshake-ok,null-cipher-absent"
}

sc_clientcert_missing_gnutls() {
	gnutls_serv da -r --verify-client-cert --priority "$GNUTLS_NULL" --x509cafile $CERTS/corp-client-ca.pem \
	    --x509certfile $CERTS/da.pem --x509keyfile $CERTS/da.key
	cap_start client-cert-missing-gnutls-v6 fmt=pcapng
	cli $SVC client --connect $DA6 --post
	cap_stop
	need "$CREQ" "CertificateRequest"
	expect "$CAOPT" client-cert-missing "$(fr client-cert-missing "$CREQ" "$CCERT" "$ALERT")" 1 "client-cert-rejected,handshake-ok,null-cipher-absent"
}

sc_clientcert_optional() {
	# Info variant: requested, not required; the handshake completes.
	s_server da -cert $CERTS/da.pem -key $CERTS/da.key -no_tls1_3 -cipher "'NULL-SHA256:NULL-SHA@SECLEVEL=0'" -verify 1 $CLIENTCA
	cap_start client-cert-optional-openssl
	cli $SVC client --connect $DA4 --post
	cap_stop
	need "$CREQ" "CertificateRequest"
	expect "$CAOPT" client-cert-missing,handshake-ok,null-cipher-negotiated "$(fr client-cert-missing "$CREQ" "$CCERT")" 0 "client-cert-rejected,null-cipher-absent"
}

sc_clientcert_good() {
	# Near miss: requested and required, a good certificate, handshake ok.
	s_server da -cert $CERTS/da.pem -key $CERTS/da.key -no_tls1_3 -cipher "'NULL-SHA256:NULL-SHA@SECLEVEL=0'" -Verify 1 $CLIENTCA
	cap_start near-client-cert-good
	cli $SVC client --connect $DA4 --post --cert $CERTS/client.pem --key $CERTS/client.key
	cap_stop
	need "$CCERT && tls.handshake.certificates_length>0" "the client certificate"
	expect "$CAOPT" handshake-ok,null-cipher-negotiated "$(fr handshake-ok "$SH")" 0 "client-cert-missing,client-cert-rejected,$OK_ABSENT"
}

sc_clientcert_rejected() {
	# A client certificate from "Other CA"; the server trusts Corp Client CA.
	s_server da -cert $CERTS/da.pem -key $CERTS/da.key -no_tls1_3 -cipher "'NULL-SHA256:NULL-SHA@SECLEVEL=0'" -Verify 1 $CLIENTCA
	cap_start client-cert-rejected-openssl
	cli $SVC client --connect $DA4 --post --cert $CERTS/client-other.pem --key $CERTS/client-other.key
	cap_stop
	need "tls.alert_message.desc==48" "unknown_ca alert"
	need "$CREQ && x509if.rdnSequence" "CA names in CertificateRequest"
	expect "$CAOPT" client-cert-rejected "$(fr client-cert-rejected "$CCERT" "$ALERT")" 1 "client-cert-missing,handshake-ok,server-cert-untrusted"
}

sc_clientcert_rejected_gnutls() {
	gnutls_serv da -r --verify-client-cert --priority "$GNUTLS_NULL" --x509cafile $CERTS/corp-client-ca.pem \
	    --x509certfile $CERTS/da.pem --x509keyfile $CERTS/da.key
	cap_start client-cert-rejected-gnutls link=SLL
	cli $SVC client --connect $DA4 --post --cert $CERTS/client-other.pem --key $CERTS/client-other.key
	cap_stop
	need "$CCERT && tls.handshake.certificates_length>0" "the client certificate"
	expect "$CAOPT" client-cert-rejected "$(fr client-cert-rejected "$CCERT" "$ALERT")" 1 "client-cert-missing,handshake-ok,server-cert-untrusted"
}

sc_untrusted() {
	# The server's chain ends at "Lab Root CA"; the client trusts Corp Root CA.
	pyserv da --bind 0.0.0.0 --cert $CERTS/da-lab.pem --key $CERTS/da-lab.key
	cap_start server-cert-untrusted-openssl
	cli $SVC client --connect $DA4 --post --ca $CERTS/corp-root.pem --check-hostname
	cap_stop
	need "tls.alert_message.desc==48" "unknown_ca alert"
	expect "$CAOPT" server-cert-untrusted "$(fr server-cert-untrusted "$CERT" "$ALERT")" 1 "server-cert-expired,server-name-mismatch,handshake-ok,ssl-inspection"
	expect "$HOSTOPT" server-cert-untrusted "$(fr server-cert-untrusted "$CERT" "$ALERT")" 1 "server-cert-expired,server-name-mismatch,handshake-ok"
}

sc_untrusted_gnutls() {
	# GnuTLS client verifying against Corp Root; s_server with the lab cert; IPv6.
	s_server da -cert $CERTS/da-lab.pem -key $CERTS/da-lab.key -no_tls1_3 -cipher "'NULL-SHA256:NULL-SHA:AES128-SHA256@SECLEVEL=0'"
	cap_start server-cert-untrusted-gnutls-v6 fmt=pcapng
	cli sh -c "(printf '$POST'; sleep 1.5) | gnutls-cli --priority '$GNUTLS_NULL' \
	    --x509cafile $CERTS/corp-root.pem --verify-hostname da.corp.example \
	    --sni-hostname da.corp.example -p 443 $DA6"
	cap_stop
	need "$CERT" "the server Certificate"
	expect "$CAOPT" server-cert-untrusted "$(fr server-cert-untrusted "$CERT")" 1 "server-cert-expired,server-name-mismatch,handshake-ok"
}

sc_untrusted_completed() {
	# The client did not check; only --ca shows the chain is foreign.
	pyserv da --bind 0.0.0.0 --cert $CERTS/da-lab.pem --key $CERTS/da-lab.key
	cap_start server-cert-untrusted-noverify link=SLL2 fmt=nano
	cli $SVC client --connect $DA4 --post
	cap_stop
	need "$SH" "ServerHello"
	expect "$CAOPT" server-cert-untrusted,handshake-ok "$(fr server-cert-untrusted "$CERT")" 1 "server-cert-expired,server-name-mismatch"
}

sc_expired() {
	# An expired DA certificate (2022-2023); the client aborts.
	pyserv da --bind 0.0.0.0 --cert $CERTS/da-expired.pem --key $CERTS/da-expired.key
	cap_start server-cert-expired-openssl
	cli $SVC client --connect $DA4 --post --ca $CERTS/corp-root.pem --check-hostname
	cap_stop
	need "tls.alert_message.desc==45" "certificate_expired alert"
	expect "$CAOPT" server-cert-expired "$(fr server-cert-expired "$CERT")" 1 "server-cert-untrusted,server-name-mismatch,handshake-ok,ssl-inspection,wrong-server"
	expect "$HOSTOPT" server-cert-expired "$(fr server-cert-expired "$CERT")" 1 "server-name-mismatch,handshake-ok,ssl-inspection,wrong-server"
}

sc_expired_gnutls() {
	# gnutls-serv with the expired certificate; the client does not check.
	gnutls_serv da -a --priority "$GNUTLS_NULL" --x509certfile $CERTS/da-expired.pem --x509keyfile $CERTS/da-expired.key
	cap_start server-cert-expired-gnutls-v6 fmt=pcapng
	cli $SVC client --connect $DA6
	cap_stop
	need "$SH" "ServerHello"
	expect "$CAOPT" server-cert-expired,handshake-ok "$(fr server-cert-expired "$CERT")" 1 "server-cert-untrusted,server-name-mismatch,ssl-inspection,wrong-server"
}

sc_name_mismatch() {
	# The server presents a certificate for other.example.
	pyserv da --bind 0.0.0.0 --cert $CERTS/other.pem --key $CERTS/other.key
	cap_start server-name-mismatch-openssl
	cli $SVC client --connect $DA4 --post --ca $CERTS/corp-root.pem --check-hostname
	cap_stop
	need "$ALERT" "the client's alert"
	expect "$CAOPT" server-name-mismatch "$(fr server-name-mismatch "$CERT")" 1 "server-cert-untrusted,server-cert-expired,handshake-ok,ssl-inspection"
}

sc_name_mismatch_gnutls() {
	gnutls_serv da -a --priority "$GNUTLS_NULL" --x509certfile $CERTS/other.pem --x509keyfile $CERTS/other.key
	cap_start server-name-mismatch-gnutls link=SLL
	cli $SVC client --connect $DA4
	cap_stop
	need "$SH" "ServerHello"
	expect "$CAOPT" server-name-mismatch,handshake-ok "$(fr server-name-mismatch "$CERT")" 1 "server-cert-untrusted,server-cert-expired,ssl-inspection"
}

sc_name_near() {
	# Near misses: CN-only certificate (no SAN), and a *.corp.example wildcard.
	pyserv da --bind 0.0.0.0 --cert $CERTS/da-cn-only.pem --key $CERTS/da-cn-only.key
	cap_start near-name-cn-only
	cli $SVC client --connect $DA4 --post
	cap_stop
	expect "$CAOPT" handshake-ok,null-cipher-negotiated "$(fr handshake-ok "$SH")" 0 "server-name-mismatch,$OK_ABSENT"
	pyserv da --bind 0.0.0.0 --cert $CERTS/da-wildcard.pem --key $CERTS/da-wildcard.key
	cap_start near-name-wildcard
	cli $SVC client --connect $DA4 --post --ca $CERTS/corp-root.pem --check-hostname
	cap_stop
	need "$SH" "ServerHello"
	expect "$CAOPT" handshake-ok,null-cipher-negotiated "$(fr handshake-ok "$SH")" 0 "server-name-mismatch,$OK_ABSENT"
}

sc_inspection() {
	# A Fortinet box holds the DA address and re-signs with Fortinet_CA_SSL.
	give_da insp
	s_server insp -cert $CERTS/da-insp.pem -key $CERTS/da-insp.key -cert_chain $CERTS/fortinet-ca.pem -no_tls1_3 -cipher "'AES128-SHA256:AES256-SHA'"
	cap_start ssl-inspection-fortinet
	cli $SVC client --connect $DA4 --post --ca $CERTS/corp-root.pem --check-hostname
	cap_stop
	give_da da
	need "$CERT && x509sat.printableString == \"Fortinet_CA_SSL\" || $CERT && x509sat.uTF8String == \"Fortinet_CA_SSL\"" "the Fortinet issuer"
	expect "$CAOPT" ssl-inspection "$(fr ssl-inspection "$CERT")" 1 "handshake-ok,wrong-server,server-cert-expired,server-name-mismatch"
	expect "$HOSTOPT" ssl-inspection "$(fr ssl-inspection "$CERT")" 1 "handshake-ok,wrong-server,server-cert-expired,server-name-mismatch"
}

sc_inspection_gnutls() {
	# The same with gnutls-serv; the client does not check; IPv6, pcapng.
	give_da insp
	gnutls_serv insp -a --priority "$GNUTLS_NONULL" --x509certfile $CERTS/da-insp-chain.pem --x509keyfile $CERTS/da-insp.key
	cap_start ssl-inspection-fortinet-gnutls-v6 fmt=pcapng
	cli $SVC client --connect $DA6 --post --reply-timeout 1
	cap_stop
	give_da da
	need "$SH" "ServerHello"
	expect "$CAOPT" ssl-inspection "$(fr ssl-inspection "$CERT")" 1 "wrong-server,server-cert-expired,server-name-mismatch"
	expect "$HOSTOPT --expect-cert $C/da.pem" ssl-inspection "$(fr ssl-inspection "$CERT")" 1 "wrong-server,server-cert-expired,server-name-mismatch"
}

sc_inspection_ttl() {
	# The SYN-ACK has the server's hop count (TTL 62 at the client), the
	# TLS packets the nearer box's (TTL 63): IP_TTL on listener vs socket.
	give_da insp
	pyserv insp --bind 0.0.0.0 --cert $CERTS/da-insp-chain.pem --key $CERTS/da-insp.key --ttl-listen 63 --ttl-conn 64
	cap_start ssl-inspection-ttl
	cli $SVC client --connect $DA4 --post --ca $CERTS/corp-root.pem --check-hostname
	cap_stop
	give_da da
	need "tcp.flags.syn==1 && tcp.flags.ack==1 && ip.ttl==62" "SYN-ACK with TTL 62"
	need "$CERT && ip.ttl==63" "TLS from TTL 63"
	expect "$CAOPT" ssl-inspection "$(fr ssl-inspection "$CERT")" 1 "handshake-ok,wrong-server,server-cert-expired,server-name-mismatch"
	expect "$HOSTOPT --expect-cert $C/da.pem" ssl-inspection "$(fr ssl-inspection "$CERT")" 1 "handshake-ok,wrong-server"
}

sc_wrong_http() {
	# A plain web server on 443 answers the ClientHello with HTTP 400.
	pyserv da --bind 0.0.0.0 --mode http400
	cap_start wrong-server-http400
	cli $SVC client --connect $DA4 --post
	cap_stop
	need "http.response.code==400" "HTTP/1.1 400"
	expect "$HOSTOPT" wrong-server "$(fr wrong-server "$CH" "tcp.srcport==443 && tcp.len>0")" 1 "handshake-ok,null-cipher-absent,no-common-cipher"
	expect "" wrong-server "$(fr wrong-server "$CH" "tcp.srcport==443 && tcp.len>0")" 1 "handshake-ok,null-cipher-absent,no-common-cipher"
}

sc_wrong_http_v6() {
	pyserv da --bind :: --mode http400
	cap_start wrong-server-http400-v6 link=SLL fmt=pcapng
	cli $SVC client --connect $DA6 --post
	cap_stop
	expect "$HOSTOPT" wrong-server "$(fr wrong-server "$CH" "tcp.srcport==443 && tcp.len>0")" 1 "handshake-ok,null-cipher-absent,no-common-cipher"
}

sc_wrong_fortigate() {
	# The firewall holds the DA address and answers with its own
	# self-signed administration certificate.
	give_da fw
	s_server fw -cert $CERTS/fortigate.pem -key $CERTS/fortigate.key -no_tls1_3
	cap_start wrong-server-fortigate-v6 fmt=pcapng
	cli $SVC client --connect $DA6 --post --ca $CERTS/corp-root.pem --check-hostname
	cap_stop
	give_da da
	need "$CERT" "the FortiGate certificate"
	expect "$CAOPT" wrong-server "$(fr wrong-server "$CERT")" 1 "handshake-ok,ssl-inspection,server-cert-expired"
}

sc_tampered() {
	# NULL session through a box on the path (it holds the DA address and
	# relays to the server behind it) that changes one byte of the POST:
	# the server's MAC check fails and it ends the session with a fatal
	# bad_record_mac alert, readable since nothing is encrypted.
	give_da fw
	s_server adc -cert $CERTS/da.pem -key $CERTS/da.key -no_tls1_3 -cipher "'NULL-SHA256:NULL-SHA@SECLEVEL=0'"
	bg fw $SVC tamper --bind 0.0.0.0 --upstream 198.19.0.${HOST[adc]}
	listening fw t 443
	cap_start null-record-tampered-openssl
	cli $SVC client --connect $DA4 --post --ca $CERTS/corp-root.pem --check-hostname
	cap_stop
	give_da da
	need "$SH && tls.handshake.ciphersuite==0x003b" "NULL-SHA256 chosen"
	need "$ALERT && $S2C" "the server's alert"
	expect "$CAOPT" handshake-ok,null-cipher-negotiated "$(fr handshake-ok "$SH" "$ALERT && $S2C")" 0 "$OK_ABSENT"
	expect "$HOSTOPT" handshake-ok,null-cipher-negotiated "$(fr handshake-ok "$SH" "$ALERT && $S2C")" 0 "$OK_ABSENT"
}

sc_tampered_gnutls() {
	# The same with gnutls-serv behind the box, over IPv6, pcapng.
	give_da fw
	gnutls_serv adc -a --priority "$GNUTLS_NULL" --x509certfile $CERTS/da.pem --x509keyfile $CERTS/da.key
	bg fw $SVC tamper --bind :: --upstream 2001:db8:2::${HOST[adc]}
	listening fw t 443
	cap_start null-record-tampered-gnutls-v6 fmt=pcapng
	cli $SVC client --connect $DA6 --post --ca $CERTS/corp-root.pem --check-hostname
	cap_stop
	give_da da
	need "$SH && tls.handshake.ciphersuite==0x003b" "NULL-SHA256 chosen"
	need "$ALERT && $S2C" "the server's alert"
	expect "$CAOPT" handshake-ok,null-cipher-negotiated "$(fr handshake-ok "$SH" "$ALERT && $S2C")" 0 "$OK_ABSENT"
}

sc_wrong_iis404() {
	# NULL session (so readable), but IIS answers the POST with 404.
	pyserv da --bind 0.0.0.0 --cert $CERTS/da.pem --key $CERTS/da.key --http-reply web404
	cap_start wrong-server-iis404-null
	cli $SVC client --connect $DA4 --post
	cap_stop
	need "$SH && tls.handshake.ciphersuite==0x003b" "NULL-SHA256"
	expect "$CAOPT" wrong-server,handshake-ok,null-cipher-negotiated "$(fr wrong-server "http.response.code==404")" 1 "ssl-inspection,server-cert-untrusted"
}

sc_no_answer() {
	# The router drops everything to the DA address (blackhole route).
	nx rtr ip route add blackhole $DA4/32
	cap_start tcp-no-answer-v4
	cli $SVC client --connect $DA4 --post --timeout 10
	cap_stop
	nx rtr ip route del blackhole $DA4/32
	need "$SYN && tcp.analysis.retransmission" "retransmitted SYNs"
	expect "$HOSTOPT" tcp-no-answer "$(fr tcp-no-answer "$SYN")" 1 "tcp-refused,handshake-incomplete,no-iphttps-traffic"
}

sc_no_answer_v6() {
	nx rtr ip -6 route add blackhole $DA6/128
	dns_up "${DA_RECORDS[@]}"
	cap_start tcp-no-answer-v6 link=SLL fmt=pcapng
	cli $SVC client --dns $DNS6 --name da.corp.example --qtype AAAA --post --timeout 8
	cap_stop
	nx rtr ip -6 route del blackhole $DA6/128
	need "$SYN && tcp.analysis.retransmission" "retransmitted SYNs"
	expect "$HOSTOPT" tcp-no-answer "$(fr tcp-no-answer "$SYN")" 1 "tcp-refused,handshake-incomplete,dns-not-found"
}

sc_no_answer_near() {
	# Near miss: the first SYN is lost, the retransmission is answered.
	pyserv da --bind 0.0.0.0 --cert $CERTS/da.pem --key $CERTS/da.key
	nx rtr ip route add blackhole $DA4/32
	cap_start near-syn-retransmitted-ok
	nx cli sh -c "$SVC client --connect $DA4 --post --timeout 10" >>"$WORK/client.log" 2>&1 &
	local c=$!
	sleep 1.5
	nx rtr ip route del blackhole $DA4/32
	wait $c || true
	cap_stop
	need "$SYN && tcp.analysis.retransmission" "a retransmitted SYN"
	need "$SH" "ServerHello"
	expect "$CAOPT" handshake-ok,null-cipher-negotiated "$(fr handshake-ok "$SH")" 0 "tcp-no-answer,$OK_ABSENT"
}

sc_refused() {
	# Nothing listens on 443: RST. Two attempts, like the client retrying.
	cap_start tcp-refused-v4
	cli $SVC client --connect $DA4 --post
	sleep 0.5
	cli $SVC client --connect $DA4 --post
	cap_stop
	need "$RST" "RST"
	expect "$HOSTOPT" tcp-refused "$(fr tcp-refused "$SYN" "$RST")" 1 "tcp-no-answer,handshake-incomplete,no-iphttps-traffic"
}

sc_refused_v6() {
	cap_start tcp-refused-v6 link=SLL
	cli $SVC client --connect $DA6 --post
	cap_stop
	need "$RST" "RST"
	expect "$HOSTOPT" tcp-refused "$(fr tcp-refused "$SYN" "$RST")" 1 "tcp-no-answer,handshake-incomplete"
}

sc_refused_other() {
	# Near miss: IP-HTTPS fine; a refused connection to www.other.example.
	pyserv da --bind 0.0.0.0 --cert $CERTS/da.pem --key $CERTS/da.key
	cap_start near-refused-other-host
	cli $SVC client --connect 198.19.0.20 --sni www.other.example --ciphers AES128-SHA256:AES128-SHA --get
	cli $SVC client --connect $DA4 --post
	cap_stop
	need "$RST" "RST"
	expect "$CAOPT" handshake-ok,null-cipher-negotiated "$(fr handshake-ok "$SH")" 0 "tcp-refused,$OK_ABSENT"
	expect "$CAOPT --all" tcp-refused,handshake-ok "$(fr tcp-refused "$SYN" "$RST")" 1 "tcp-no-answer"
}

sc_dns() {
	# NXDOMAIN for the IP-HTTPS name: no TCP follows.
	dns_up "www.other.example=A:198.19.0.20"
	cap_start dns-nxdomain
	cli $SVC client --dns $DNS4 --name da.corp.example --post
	cap_stop
	need "dns.flags.rcode==3" "NXDOMAIN"
	expect "$HOSTOPT" dns-not-found "$(fr dns-not-found "dns.flags.response==1")" 1 "tcp-no-answer,tcp-refused"
}

sc_dns_empty() {
	# The name exists but has no AAAA record (NOERROR, no answer); IPv6.
	dns_up "da.corp.example=A:$DA4" "da.corp.example=AAAA:"
	cap_start dns-empty-aaaa-v6 fmt=pcapng
	cli $SVC client --dns $DNS6 --name da.corp.example --qtype AAAA --post
	cap_stop
	need "dns.flags.rcode==0 && dns.count.answers==0 && dns.flags.response==1" "empty answer"
	expect "$HOSTOPT" dns-not-found "$(fr dns-not-found "dns.flags.response==1")" 1 "tcp-no-answer,tcp-refused"
}

sc_dns_near() {
	# Near miss: NXDOMAIN for wpad.corp.example, the DA name resolves fine.
	dns_up "${DA_RECORDS[@]}"
	pyserv da --bind 0.0.0.0 --cert $CERTS/da.pem --key $CERTS/da.key
	cap_start near-dns-other-nxdomain
	cli $SVC client --dns $DNS4 --extra-query wpad.corp.example --name da.corp.example --post
	cap_stop
	need "dns.flags.rcode==3" "NXDOMAIN"
	expect "$CAOPT" handshake-ok,null-cipher-negotiated "$(fr handshake-ok "$SH")" 0 "dns-not-found,$OK_ABSENT"
}

sc_proxy() {
	bg proxy $SVC proxy --bind 0.0.0.0 --mode deny
	listening proxy t 8080
	cap_start proxy-refused-403
	cli $SVC client --proxy 198.19.0.8:8080 --post
	cap_stop
	need "http.response.code==403" "403"
	expect "$HOSTOPT" proxy-refused "$(fr proxy-refused "http.request.method==CONNECT" "http.response.code==403")" 1 "handshake-incomplete,tcp-refused,wrong-server"
	expect "" proxy-refused "$(fr proxy-refused "http.request.method==CONNECT" "http.response.code==403")" 1 "handshake-incomplete,tcp-refused,wrong-server"
}

sc_proxy_reset() {
	bg proxy $SVC proxy --bind :: --mode reset
	listening proxy t 8080
	cap_start proxy-refused-reset-v6 link=SLL
	cli $SVC client --proxy "[2001:db8:2::8]:8080" --post
	cap_stop
	need "$RST" "RST"
	expect "$HOSTOPT" proxy-refused "$(fr proxy-refused "http.request.method==CONNECT" "$RST")" 1 "handshake-incomplete,tcp-refused,wrong-server"
}

sc_proxy_ok() {
	# Near miss: the proxy tunnels to the DA server; all fine inside.
	pyserv da --bind 0.0.0.0 --cert $CERTS/da.pem --key $CERTS/da.key
	bg proxy $SVC proxy --bind 0.0.0.0 --mode tunnel --upstream $DA4
	listening proxy t 8080
	cap_start near-proxy-tunnel-ok
	cli $SVC client --proxy 198.19.0.8:8080 --post
	cap_stop
	need "http.response.code==200" "200 Connection established"
	expect "$CAOPT" handshake-ok,null-cipher-negotiated "$(fr handshake-ok "$SH")" 0 "proxy-refused,$OK_ABSENT"
}

sc_crl() {
	# Tunnel up, then the CRL host does not resolve; the client gives up.
	dns_up "${DA_RECORDS[@]}"
	pyserv da --bind 0.0.0.0 --cert $CERTS/da.pem --key $CERTS/da.key
	cap_start crl-nxdomain
	cli $SVC client --dns $DNS4 --name da.corp.example --post --crl http://crl.corp.example/corp-root.crl
	cap_stop
	need "dns.flags.rcode==3 && dns.qry.name==\"crl.corp.example\"" "NXDOMAIN for crl"
	expect "$CAOPT" crl-unreachable,handshake-ok,null-cipher-negotiated "$(fr crl-unreachable "dns.flags.rcode==3")" 1 "dns-not-found,server-cert-untrusted"
	expect "$HOSTOPT" crl-unreachable,handshake-ok,null-cipher-negotiated "$(fr crl-unreachable "dns.flags.rcode==3")" 1 "dns-not-found"
}

sc_crl_404() {
	dns_up "${DA_RECORDS[@]}" "crl.corp.example=A:198.19.0.80" "crl.corp.example=AAAA:2001:db8:2::80"
	bg crl $SVC http --bind :: --port 80
	listening crl t 80
	pyserv da --bind :: --cert $CERTS/da.pem --key $CERTS/da.key
	cap_start crl-http404-v6 fmt=pcapng
	cli $SVC client --dns $DNS6 --qtype AAAA --name da.corp.example --post --crl http://crl.corp.example/corp-root.crl
	cap_stop
	need "http.response.code==404" "404"
	expect "$CAOPT" crl-unreachable,handshake-ok,null-cipher-negotiated "$(fr crl-unreachable "http.request.method==GET" "http.response.code==404")" 1 "dns-not-found"
}

sc_crl_ok() {
	# Near miss: the CRL downloads fine.
	dns_up "${DA_RECORDS[@]}" "crl.corp.example=A:198.19.0.80"
	bg crl $SVC http --bind 0.0.0.0 --port 80 --crl $CERTS/corp-root.crl
	listening crl t 80
	pyserv da --bind 0.0.0.0 --cert $CERTS/da.pem --key $CERTS/da.key
	cap_start near-crl-ok
	cli $SVC client --dns $DNS4 --name da.corp.example --post --crl http://crl.corp.example/corp-root.crl
	cap_stop
	need "http.response.code==200" "200"
	expect "$CAOPT" handshake-ok,null-cipher-negotiated "$(fr handshake-ok "$SH")" 0 "$OK_ABSENT"
}

sc_incomplete() {
	# The server accepts TCP and never answers; the capture stops waiting.
	pyserv da --bind 0.0.0.0 --mode silent
	cap_start handshake-incomplete-silent
	nx cli timeout 5 $SVC client --connect $DA4 --post --timeout 30 >>"$WORK/client.log" 2>&1 &
	local c=$!
	sleep 4.5
	cap_stop
	wait $c || true
	need "$CH" "ClientHello"
	expect "$HOSTOPT" handshake-incomplete "$(fr handshake-incomplete "$CH")" 0 "null-cipher-absent,tcp-no-answer,handshake-ok,wrong-server"
}

sc_incomplete_v6() {
	pyserv da --bind :: --mode silent
	cap_start handshake-incomplete-silent-v6 link=SLL2 fmt=pcapng
	nx cli timeout 4 sh -c "(printf '$POST'; sleep 30) | gnutls-cli --priority '$GNUTLS_NULL' \
	    --insecure --sni-hostname da.corp.example -p 443 $DA6" >>"$WORK/client.log" 2>&1 &
	local c=$!
	sleep 3.5
	cap_stop
	wait $c || true
	need "$CH" "ClientHello"
	expect "$HOSTOPT" handshake-incomplete "$(fr handshake-incomplete "$CH")" 0 "null-cipher-absent,tcp-no-answer,handshake-ok,wrong-server"
}

sc_incomplete_near() {
	# Near miss: a slow server (2 s) that then completes.
	pyserv da --bind 0.0.0.0 --cert $CERTS/da.pem --key $CERTS/da.key --delay 2
	cap_start near-slow-server-ok
	cli $SVC client --connect $DA4 --post
	cap_stop
	need "$SH" "ServerHello"
	expect "$CAOPT" handshake-ok,null-cipher-negotiated "$(fr handshake-ok "$SH")" 0 "handshake-incomplete,$OK_ABSENT"
}

sc_truncated() {
	# snaplen 250: the ClientHello fits, the server's Certificate is cut;
	# the client then aborts (unknown_ca).
	pyserv da --bind 0.0.0.0 --cert $CERTS/da-lab.pem --key $CERTS/da-lab.key
	cap_start capture-truncated-250 snap=250
	cli $SVC client --connect $DA4 --post --ca $CERTS/corp-root.pem --check-hostname
	cap_stop
	expect "$CAOPT" capture-truncated "$(fr capture-truncated "frame.len > frame.cap_len && $S2C")" 0 "ssl-inspection,wrong-server,server-cert-expired,server-name-mismatch"
}

# snaplen 150 (SLL): the ClientHello is cut as well.
sc_truncated_sll() {
	pyserv da --bind 0.0.0.0 --cert $CERTS/other.pem --key $CERTS/other.key
	cap_start capture-truncated-150-sll link=SLL snap=150 fmt=pcapng
	cli $SVC client --connect $DA4 --post --ca $CERTS/corp-root.pem --check-hostname
	cap_stop
	expect "$CAOPT" capture-truncated "$(fr capture-truncated "frame.len > frame.cap_len && tcp.len > 0")" 0 "ssl-inspection,wrong-server,server-cert-expired,server-name-mismatch"
}

sc_truncated_near() {
	# Near miss: snaplen 96 on a refused connection: nothing TLS was cut.
	cap_start near-truncated-refused-96 snap=96
	cli $SVC client --connect $DA4 --post
	cap_stop
	expect "$HOSTOPT" tcp-refused "$(fr tcp-refused "$SYN" "$RST")" 1 "capture-truncated"
}

sc_no_iphttps() {
	# Only DNS and plain HTTP to another host.
	dns_up "www.other.example=A:198.19.0.20" "www.other.example=AAAA:2001:db8:2::20"
	bg www $SVC http --bind :: --port 80 --page
	listening www t 80
	cap_start no-iphttps-web
	cli $PY -c "
import socket,sys; sys.path.insert(0,'$GEN'); import svc
svc.dns_query('$DNS4','www.other.example','A')
print(svc.http_get('198.19.0.20',80,'www.other.example','/'))"
	cap_stop
	expect "$HOSTOPT" no-iphttps-traffic "" 0 "handshake-ok,tcp-refused,tcp-no-answer,dns-not-found,handshake-incomplete"
	expect "" no-iphttps-traffic "" 0 "handshake-ok,tcp-refused,tcp-no-answer,dns-not-found,handshake-incomplete"
}

sc_no_iphttps_v6() {
	dns_up "www.other.example=A:198.19.0.20" "www.other.example=AAAA:2001:db8:2::20"
	bg www $SVC http --bind :: --port 80 --page
	listening www t 80
	cap_start no-iphttps-web-v6 fmt=pcapng
	cli $PY -c "
import socket,sys; sys.path.insert(0,'$GEN'); import svc
svc.dns_query('$DNS6','www.other.example','AAAA')
print(svc.http_get('2001:db8:2::20',80,'www.other.example','/'))"
	cap_stop
	expect "" no-iphttps-traffic "" 0 "handshake-ok,tcp-refused,tcp-no-answer,dns-not-found,handshake-incomplete"
}

sc_other_https() {
	# Near miss: IP-HTTPS fine plus a healthy browser HTTPS connection.
	pyserv da --bind 0.0.0.0 --cert $CERTS/da.pem --key $CERTS/da.key
	pyserv www --bind 0.0.0.0 --cert $CERTS/other.pem --key $CERTS/other.key --ciphers "AES128-GCM-SHA256:AES128-SHA256:@SECLEVEL=0" --http-reply web404
	cap_start near-other-https-healthy
	cli $SVC client --connect 198.19.0.20 --sni www.other.example --ciphers "AES128-GCM-SHA256:AES128-SHA256" --ca $CERTS/corp-root.pem --check-hostname --get
	cli $SVC client --connect $DA4 --post
	cap_stop
	local sh
	sh=$(t1 "$SH && ip.src==$DA4")
	expect "$CAOPT" handshake-ok,null-cipher-negotiated "handshake-ok:$sh" 0 "encrypted-cipher-negotiated,$OK_ABSENT"
	expect "" handshake-ok,null-cipher-negotiated "handshake-ok:$sh" 0 "encrypted-cipher-negotiated,$OK_ABSENT"
}

sc_other_expired() {
	# IP-HTTPS fine; www.other.example serves an expired certificate:
	# a verdict for it only with --all.
	pyserv da --bind 0.0.0.0 --cert $CERTS/da.pem --key $CERTS/da.key
	pyserv www --bind 0.0.0.0 --cert $CERTS/da-expired.pem --key $CERTS/da-expired.key --ciphers "AES128-GCM-SHA256:AES128-SHA256:@SECLEVEL=0"
	cap_start near-other-https-expired
	cli $SVC client --connect 198.19.0.20 --sni www.other.example --ciphers "AES128-GCM-SHA256:AES128-SHA256" --get
	cli $SVC client --connect $DA4 --post
	cap_stop
	local cert
	cert=$(t1 "$CERT && ip.src==198.19.0.20")
	expect "$CAOPT" handshake-ok,null-cipher-negotiated "$(fr handshake-ok "$SH && ip.src==$DA4")" 0 "server-cert-expired,server-name-mismatch,$OK_ABSENT"
	expect "$CAOPT --all" server-cert-expired,handshake-ok "server-cert-expired:$cert" 1 ""
}

ALL="ok_null ok_null_gnutls_cli ok_null_sll enc_aes enc_aes_gnutls
null_absent null_absent_reset null_absent_gnutls no_common no_common_gnutls
no_common_near version version_gnutls version_near clientcert_missing
clientcert_missing_gnutls clientcert_optional clientcert_good
clientcert_rejected clientcert_rejected_gnutls untrusted untrusted_gnutls
untrusted_completed expired expired_gnutls name_mismatch name_mismatch_gnutls
name_near inspection inspection_gnutls inspection_ttl wrong_http wrong_http_v6
wrong_fortigate wrong_iis404 tampered tampered_gnutls no_answer no_answer_v6 no_answer_near refused
refused_v6 refused_other dns dns_empty dns_near proxy proxy_reset proxy_ok crl
crl_404 crl_ok incomplete incomplete_v6 incomplete_near truncated
truncated_sll truncated_near no_iphttps no_iphttps_v6 other_https
other_expired"

main() {
	local s want run=()
	"$GEN/mkcerts.sh" "$CERTS"
	for s in $ALL; do
		if [ $# = 0 ]; then run+=("$s"); continue; fi
		for want in "$@"; do
			# shellcheck disable=SC2053
			[[ $s == $want ]] && { run+=("$s"); break; }
		done
	done
	topology
	: >"$TSV.new"
	for s in "${run[@]}"; do
		echo "scenario $s"
		"sc_$s"
		stop_all
	done
	# Merge: keep the lines of captures not remade this time (and still there).
	{
		if [ -f "$TSV" ]; then
			grep -v '^#' "$TSV" | awk -F'\t' 'NR==FNR{new[$1]=1; next} !($1 in new)' "$TSV.new" - |
			while IFS= read -r line; do
				[ -f "$OUT/${line%%	*}" ] && printf '%s\n' "$line"
			done || true
		fi
		cat "$TSV.new"
	} | sort -s -t'	' -k1,1 >"$TSV.tmp"
	{
		cat <<-'HDR'
		# Expected datrace results for the captures in this folder; made by testdata/gen/scenarios.sh.
		# Tab-separated, one line per (capture, options); a capture may have several lines.
		#  file        capture file name, relative to testdata/scenarios/
		#  options     datrace options (paths relative to the top of the tree), may be empty
		#  expect_ids  verdict ids that must appear, comma-separated (empty: none required)
		#  frames      evidence per id: ID:F,F[;ID:F,F...]; each listed frame (Wireshark numbering)
		#              must be among that verdict's evidence frames (a verdict may list more)
		#  exit        expected exit status (1: some error verdict, else 0)
		#  absent_ids  verdict ids that must NOT appear, comma-separated
		# file	options	expect_ids	frames	exit	absent_ids
		HDR
		cat "$TSV.tmp"
	} >"$TSV"
	rm -f "$TSV.new" "$TSV.tmp"
	if [ ${#FAILED[@]} -gt 0 ]; then
		printf 'scenarios.sh: NOT AS INTENDED: %s\n' "${FAILED[@]}" >&2
		exit 1
	fi
	echo "scenarios.sh: $(grep -vc '^#' "$TSV") expectations in $TSV"
}

main "$@"
