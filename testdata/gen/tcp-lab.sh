#!/bin/sh
# Makes testdata/scenarios/tcp-challenge-ack.pcap (issue 24): the challenge
# ACK of RFC 9293 3.10.7.3 / RFC 5961 4 from real Linux TCP on both sides.
# A client in one network namespace opens a TLS session to a server in
# another (port 443, the lab certificate da.pem), then loses its socket
# state without a word (TCP_REPAIR, then close: no FIN, no RST - as a
# client that rebooted, or a NAT that forgot the mapping) and connects
# again from the same port. The server, still holding the first connection,
# answers the new SYN with a bare ACK of the old sequence space; the
# client's kernel resets at that number (which kills the stale connection)
# and retransmits its SYN; SYN-ACK and a whole TLS session follow. tcpdump
# records it on the server's side.
#
# Namespaces flow-c and flow-s, veth flow-c0/flow-s0, 10.99.0.0/24 inside
# them only. Needs root, ip, tcpdump and python3 (its ssl module).
# Run from anywhere: sh testdata/gen/tcp-lab.sh
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/testdata/scenarios
certs=$out/certs
tmp=$(mktemp -d)
C=flow-c
S=flow-s

for t in ip tcpdump python3; do
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
cleanup_ns() { ip netns del $C 2>/dev/null || true; ip netns del $S 2>/dev/null || true; }
cleanup_ns

ip netns add $C
ip netns add $S
ip link add flow-c0 netns $C type veth peer name flow-s0 netns $S
ip -n $C addr add 10.99.0.1/24 dev flow-c0
ip -n $S addr add 10.99.0.2/24 dev flow-s0
for ns in $C $S; do ip -n $ns link set lo up; done
ip -n $C link set flow-c0 up
ip -n $S link set flow-s0 up

# the server: TLS on 443, answers each line with "pong:" and the line
ip netns exec $S python3 - "$certs/da.pem" "$certs/da.key" <<'PY' &
import socket, ssl, sys, threading
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.99.0.2", 443))
s.listen(8)
def serve(c):
    try:
        t = ctx.wrap_socket(c, server_side=True)
        while True:
            d = t.recv(100)
            if not d:
                break
            t.sendall(b"pong:" + d)
        t.close()
    except (OSError, ssl.SSLError):
        pass
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
srv=$!
sleep 1
ip netns exec $S tcpdump -i flow-s0 -U -w "$tmp/ca.pcap" tcp 2>/dev/null &
dump=$!
sleep 1

# the first session, whose socket state the client then loses
ip netns exec $C python3 - "$tmp/go" <<'PY' &
import os, socket, ssl, sys, time
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
c = socket.socket()
c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
c.bind(("10.99.0.1", 40000))
c.connect(("10.99.0.2", 443))
t = ctx.wrap_socket(c, server_hostname="da.corp.example")
t.sendall(b"one")
t.recv(100)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
t.setsockopt(socket.IPPROTO_TCP, 19, 1)	# TCP_REPAIR: close in silence
t.close()
PY
cli=$!
sleep 2
touch "$tmp/go"
sleep 1

# the same client port again: challenge ACK, RST, SYN again, a session
ip netns exec $C python3 <<'PY'
import socket, ssl
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
c = socket.socket()
c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
c.bind(("10.99.0.1", 40000))
c.settimeout(10)
c.connect(("10.99.0.2", 443))
t = ctx.wrap_socket(c, server_hostname="da.corp.example")
t.sendall(b"two")
t.recv(100)
t.close()
PY
sleep 1
kill "$dump"
wait "$dump" 2>/dev/null || true
dump=
cp "$tmp/ca.pcap" "$out/tcp-challenge-ack.pcap"
echo "tcp-lab.sh: wrote $out/tcp-challenge-ack.pcap"
