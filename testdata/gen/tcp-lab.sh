#!/bin/sh
# Makes the TCP captures of issue 24 in testdata/scenarios/, each from real
# Linux TCP on both sides (a client in one network namespace, a TLS server
# in another, tcpdump on the server's side), each a pattern real clients
# and networks produce:
#
#   tcp-challenge-ack.pcap  the challenge ACK of RFC 9293 3.10.7.3 / RFC
#       5961 4: the client loses its socket state without a word
#       (TCP_REPAIR, then close: no FIN, no RST - as a client that
#       rebooted, or a NAT that forgot the mapping) and connects again from
#       the same port. The server, still holding the first connection,
#       answers the new SYN with a bare ACK of the old sequence space; the
#       client's kernel resets at that number (which kills the stale
#       connection) and retransmits its SYN; SYN-ACK and a session follow.
#   tcp-port-reuse.pcap  one client port, three connections: closed with
#       FIN (the client's TIME-WAIT reused, net.ipv4.tcp_tw_reuse), aborted
#       with RST (SO_LINGER 0), then a last whole session.
#   tcp-syn-dropped.pcap  a firewall drops the SYNs (an xfrm "block"
#       policy in the server's namespace: the SYNs reach the wire, nothing
#       answers): the SYN and its retransmissions, the client gives up, then
#       connects again from the same port with a new ISN, once the path is
#       open, and a session follows.
#   tcp-simultaneous-open.pcap  RFC 9293 3.5: both ends bind and connect
#       to each other; their first SYNs are blocked, the retransmitted ones
#       cross, each answers the other's SYN with a SYN-ACK; then TLS.
#   tcp-fastopen.pcap  RFC 7413 (net.ipv4.tcp_fastopen=3 on both sides): a
#       first session fetches the cookie; the second carries its
#       ClientHello in the SYN.
#   tcp-keepalive-zerowin.pcap  keep-alives (TCP_KEEPIDLE 1 s) on an idle
#       session, then a server that stops reading with a small receive
#       buffer: the window closes, the client probes the zero window, the
#       server reads again and the bytes flow.
#   tcp-midstream.pcap  tcp-keepalive-zerowin.pcap without its first three
#       frames (editcap -r): the capture starts mid-connection, after the
#       TCP handshake, at the ClientHello (a capture started a moment late).
#
#   tcp-midstream-record.pcap  a 64 KiB answer in 16 KiB records, the
#       capture cut where a server segment begins inside a record.
#
# Namespaces flow-c and flow-s, veth flow-c0/flow-s0, 10.99.0.0/24 inside
# them only. Needs root, ip (with xfrm), tcpdump, editcap, tshark and python3 (its
# ssl module); the certificate is the lab's da.pem.
# Usage: sh testdata/gen/tcp-lab.sh [NAME...]   (default: all; NAME as in
# tcp-NAME.pcap, e.g. port-reuse)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/testdata/scenarios
certs=$out/certs
tmp=$(mktemp -d)
C=flow-c
S=flow-s
CA=10.99.0.1
SA=10.99.0.2

for t in ip tcpdump editcap tshark python3; do
	command -v $t >/dev/null || { echo "tcp-lab.sh: needs $t" >&2; exit 1; }
done

cleanup() {
	[ -n "${dump:-}" ] && kill "$dump" 2>/dev/null || true
	[ -n "${srv:-}" ] && kill "$srv" 2>/dev/null || true
	[ -n "${cli:-}" ] && kill "$cli" 2>/dev/null || true
	ip netns del $C 2>/dev/null || true
	ip netns del $S 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# The lab's programs: the server (TLS on 443, answers each read with
# "pong:" and what it read; after "stall" it stops reading for 3 s) and the
# clients, one per scenario.
cat >"$tmp/lab.py" <<'PY'
import os, socket, ssl, sys, threading, time
CA, SA = "10.99.0.1", "10.99.0.2"
TCP_REPAIR, TCP_FASTOPEN = 19, 23

def server(cert, key, small):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_TCP, TCP_FASTOPEN, 8)
    if small:				# the window will close
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind((SA, 443))
    s.listen(8)
    def serve(c):
        try:
            t = ctx.wrap_socket(c, server_side=True)
            while True:
                d = t.recv(100)
                if not d:
                    break
                if d == b"bulk":	# 64 KiB: records of 16 KiB,
                    t.sendall(b"b" * 65536)	# each in several segments
                    continue
                if d == b"stall":
                    time.sleep(3)
                    n = 0
                    while n < 40000:
                        n += len(t.recv(16384))
                    d = b"%d" % n
                t.sendall(b"pong:" + d)
            t.close()
        except (OSError, ssl.SSLError):
            pass
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()

def ctx():
    x = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    x.check_hostname = False
    x.verify_mode = ssl.CERT_NONE
    return x

def sock(port, timeout=10.0):
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind((CA, port))
    c.settimeout(timeout)
    return c

def session(c, msg, close=True):
    t = ctx().wrap_socket(c, server_hostname="da.corp.example")
    t.sendall(msg)
    t.recv(100)
    if close:
        t.close()
    return t

def orderly(t):
    """FIN first, read to the server's FIN, close: the client's TIME-WAIT."""
    t.shutdown(socket.SHUT_WR)
    try:
        while t.recv(100):
            pass
    except (OSError, ssl.SSLError):
        pass
    t.close()

def challenge_first(go):
    c = sock(40000)
    c.connect((SA, 443))
    t = session(c, b"one", close=False)
    while not os.path.exists(go):
        time.sleep(0.05)
    t.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 1)	# close in silence
    t.close()

def challenge_again():
    c = sock(40000)
    c.connect((SA, 443))
    session(c, b"two")

def port_reuse():
    c = sock(40010)
    c.connect((SA, 443))
    orderly(session(c, b"fin", close=False))	# the client's TIME-WAIT
    time.sleep(1.5)			# tcp_tw_reuse waits 1 s
    c = sock(40010)
    c.connect((SA, 443))
    t = session(c, b"rst", close=False)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
    t.close()			# linger 0: RST
    time.sleep(0.5)
    c = sock(40010)
    c.connect((SA, 443))
    orderly(session(c, b"last", close=False))

def syn_dropped(open_path):
    c = sock(40020, timeout=2.5)	# SYN, again at 1 s, given up at 2.5 s
    try:
        c.connect((SA, 443))
        raise SystemExit("tcp-lab.sh: the SYN was answered")
    except socket.timeout:
        pass
    c.close()
    open_path()
    c = sock(40020)
    c.connect((SA, 443))
    session(c, b"again")

def simopen(side):
    me, peer = (CA, SA) if side == "c" else (SA, CA)
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind((me, 40030 if side == "c" else 443))
    c.settimeout(10)
    c.connect((peer, 443 if side == "c" else 40030))
    if side == "c":
        session(c, b"simultaneous")
    else:
        x = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        x.load_cert_chain(sys.argv[2], sys.argv[3])
        t = x.wrap_socket(c, server_side=True)
        d = t.recv(100)
        t.sendall(b"pong:" + d)
        try:
            t.recv(100)
        except (OSError, ssl.SSLError):
            pass
        t.close()

def tfo_session(port, msg):
    inc, outb = ssl.MemoryBIO(), ssl.MemoryBIO()
    o = ctx().wrap_bio(inc, outb, server_hostname="da.corp.example")
    try:
        o.do_handshake()
    except ssl.SSLWantReadError:
        pass
    c = sock(port, timeout=None)	# blocking: connect in sendto
    c.sendto(outb.read(), socket.MSG_FASTOPEN, (SA, 443))
    while True:
        try:
            o.do_handshake()
            break
        except ssl.SSLWantReadError:
            d = outb.read()
            if d:
                c.sendall(d)
            d = c.recv(16384)
            if not d:
                raise SystemExit("tcp-lab.sh: TFO session closed")
            inc.write(d)
    o.write(msg)
    c.sendall(outb.read())
    while True:
        try:
            o.read(100)
            break
        except ssl.SSLWantReadError:
            inc.write(c.recv(16384))
    c.close()

def fastopen():
    tfo_session(40040, b"cookie")	# asks for the cookie
    time.sleep(0.5)
    tfo_session(40041, b"data in the SYN")

def keepalive_zerowin():
    c = sock(40050)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    c.connect((SA, 443))
    t = ctx().wrap_socket(c, server_hostname="da.corp.example")
    t.sendall(b"one")
    t.recv(100)
    time.sleep(2.6)			# keep-alives at 1 s and 2 s
    t.sendall(b"stall")
    t.settimeout(20)
    t.sendall(b"x" * 40000)		# the server's window closes
    t.recv(100)
    t.close()

def midstream_record():
    c = sock(40060)
    c.connect((SA, 443))
    t = ctx().wrap_socket(c, server_hostname="da.corp.example")
    t.sendall(b"bulk")
    n = 0
    while n < 65536:
        n += len(t.recv(65536))
    t.close()

if __name__ == "__main__":
    what = sys.argv[1]
    if what == "server":
        server(sys.argv[2], sys.argv[3], len(sys.argv) > 4)
    elif what == "challenge-first":
        challenge_first(sys.argv[2])
    elif what == "simopen":
        simopen(sys.argv[4])
    else:
        globals()[what.replace("-", "_")]() if what != "syn-dropped" else \
            syn_dropped(lambda: os.system(sys.argv[2]))
PY
LAB="python3 $tmp/lab.py"

setup() {
	ip netns del $C 2>/dev/null || true
	ip netns del $S 2>/dev/null || true
	ip netns add $C
	ip netns add $S
	ip link add flow-c0 netns $C type veth peer name flow-s0 netns $S
	ip -n $C addr add $CA/24 dev flow-c0
	ip -n $S addr add $SA/24 dev flow-s0
	for ns in $C $S; do
		ip -n $ns link set lo up
		ip netns exec $ns sysctl -qw net.ipv4.tcp_fastopen=3
	done
	ip netns exec $C sysctl -qw net.ipv4.tcp_tw_reuse=1
	ip -n $C link set flow-c0 up
	ip -n $S link set flow-s0 up
	sleep 1
}

server_up() {
	ip netns exec $S $LAB server "$certs/da.pem" "$certs/da.key" $* &
	srv=$!
	sleep 1
}

server_down() {
	kill "$srv" 2>/dev/null || true
	wait "$srv" 2>/dev/null || true
	srv=
}

dump_start() {
	ip netns exec $S tcpdump -i flow-s0 -U -w "$tmp/$1.pcap" tcp \
	    2>/dev/null &
	dump=$!
	sleep 1
}

dump_stop() {
	sleep 1
	kill "$dump"
	wait "$dump" 2>/dev/null || true
	dump=
	cp "$tmp/$1.pcap" "$out/tcp-$1.pcap"
	echo "tcp-lab.sh: wrote $out/tcp-$1.pcap"
}

lab_challenge_ack() {
	server_up
	dump_start challenge-ack
	ip netns exec $C $LAB challenge-first "$tmp/go" &
	cli=$!
	sleep 2
	touch "$tmp/go"
	sleep 1
	ip netns exec $C $LAB challenge-again
	dump_stop challenge-ack
	server_down
}

lab_port_reuse() {
	server_up
	dump_start port-reuse
	ip netns exec $C $LAB port-reuse
	dump_stop port-reuse
	server_down
}

lab_syn_dropped() {
	server_up
	ip -n $S xfrm policy add src $CA/32 dst $SA/32 proto tcp dport 443 \
	    dir in action block
	dump_start syn-dropped
	ip netns exec $C $LAB syn-dropped "ip -n $S xfrm policy flush"
	dump_stop syn-dropped
	server_down
}

lab_simultaneous_open() {
	# until both ends sent their first SYN, each knows the other by a
	# wrong MAC address: the SYNs go on the wire and the peer's interface
	# drops them (not for its address), so neither end resets; then the
	# right addresses, and the retransmitted SYNs cross
	ip -n $C neigh replace $SA dev flow-c0 nud permanent \
	    lladdr 02:00:00:00:00:02
	ip -n $S neigh replace $CA dev flow-s0 nud permanent \
	    lladdr 02:00:00:00:00:01
	dump_start simultaneous-open
	ip netns exec $S $LAB simopen "$certs/da.pem" "$certs/da.key" s &
	srv=$!
	ip netns exec $C $LAB simopen "$certs/da.pem" "$certs/da.key" c &
	cli=$!
	for ns in $C $S; do
		until ip netns exec $ns ss -Htn state syn-sent | grep -q .; do
			sleep 0.05
		done
	done
	ip -n $C neigh replace $SA dev flow-c0 nud permanent \
	    lladdr "$(ip -n $S -br link show flow-s0 | awk '{print $3}')"
	ip -n $S neigh replace $CA dev flow-s0 nud permanent \
	    lladdr "$(ip -n $C -br link show flow-c0 | awk '{print $3}')"
	wait "$cli"
	cli=
	wait "$srv" || true
	srv=
	dump_stop simultaneous-open
}

lab_fastopen() {
	server_up
	dump_start fastopen
	ip netns exec $C $LAB fastopen
	dump_stop fastopen
	server_down
}

lab_keepalive_zerowin() {
	server_up small
	dump_start keepalive-zerowin
	ip netns exec $C $LAB keepalive-zerowin
	dump_stop keepalive-zerowin
	server_down
}

lab_midstream() {
	[ -f "$out/tcp-keepalive-zerowin.pcap" ] || lab_keepalive_zerowin
	editcap -r "$out/tcp-keepalive-zerowin.pcap" "$out/tcp-midstream.pcap" \
	    4-1000000
	echo "tcp-lab.sh: wrote $out/tcp-midstream.pcap"
}

# The capture begins inside a server record: a 64 KiB answer in 16 KiB
# records, cut (editcap -r) at the first server segment that begins in
# the middle of one.
lab_midstream_record() {
	server_up
	dump_start midstream-bulk
	ip netns exec $C $LAB midstream-record
	sleep 1
	kill "$dump"
	wait "$dump" 2>/dev/null || true
	dump=
	server_down
	# the server's stream from its first byte: record boundaries from
	# the record headers, then the first segment that starts between two
	first=$(tshark -r "$tmp/midstream-bulk.pcap" -Y \
	    'tcp.srcport == 443 && tcp.len > 0' -T fields -e frame.number \
	    -e tcp.seq -e tcp.payload 2>/dev/null | python3 -c '
import sys
segs = [l.split("\t") for l in sys.stdin.read().split("\n") if l]
stream = b""
for f, seq, pay in segs:
    if int(seq) - 1 == len(stream):
        stream += bytes.fromhex(pay)
starts, at = set(), 0
while at + 5 <= len(stream):
    starts.add(at)
    at += 5 + (stream[at + 3] << 8 | stream[at + 4])
for f, seq, pay in segs:
    if int(seq) - 1 not in starts:
        print(f)
        break
')
	[ -n "$first" ] || { echo "tcp-lab.sh: no mid-record segment" >&2; exit 1; }
	editcap -r "$tmp/midstream-bulk.pcap" "$out/tcp-midstream-record.pcap" \
	    "$first-1000000"
	echo "tcp-lab.sh: wrote $out/tcp-midstream-record.pcap (from frame $first)"
}

[ $# -gt 0 ] || set -- challenge-ack port-reuse syn-dropped \
    simultaneous-open fastopen keepalive-zerowin midstream midstream-record
for name in "$@"; do
	setup
	lab_$(echo "$name" | tr - _)
done
