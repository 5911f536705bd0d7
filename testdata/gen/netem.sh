#!/bin/sh
# Makes testdata/netem/: real kernel TCP with reordering, duplication and
# loss between two network namespaces, captured with tcpdump on the
# receiver's side, and a MANIFEST of what each side actually sent (length
# and SHA-256), so that tests/test_flow.c can check that reassembly gives
# back exactly those bytes.
#
# Two network namespaces (dtn-snd, dtn-rcv); the only addresses used are
# inside them (198.18.7.0/24 and 2001:db8:7::/64, test ranges). They are
# joined by a veth with `tc qdisc ... netem` on both ends when the kernel has
# sch_netem; when it has not (as on the machine that made the committed
# captures), by two TAP devices and a small userspace wire (wire.py below)
# that applies the same loss / duplication / delay / reordering to TCP
# frames. Either way both endpoints are the kernel's TCP. A small MSS
# (TCP_MAXSEG 500) makes many segments out of a few KB. The impairments are
# random, so every run makes different captures; the manifest always
# matches its captures. Needs root, ip, tc, tcpdump and python3.
# Run from anywhere: sh testdata/gen/netem.sh
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/testdata/netem
py=$(command -v python3)
tmp=$(mktemp -d)
S=dtn-snd
R=dtn-rcv
PORT=443

for t in ip tc tcpdump; do
	command -v $t >/dev/null || { echo "netem.sh: needs $t" >&2; exit 1; }
done

cleanup() {
	[ -n "${dump:-}" ] && kill "$dump" 2>/dev/null || true
	[ -n "${srv:-}" ] && kill "$srv" 2>/dev/null || true
	[ -n "${wire:-}" ] && kill "$wire" 2>/dev/null || true
	ip netns del $S 2>/dev/null || true
	ip netns del $R 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nx() { n=$1; shift; ip netns exec "$n" "$@"; }

have_netem() {
	ip netns add dtn-probe
	r=0
	nx dtn-probe tc qdisc add dev lo root netem delay 1ms 2>/dev/null || r=1
	ip netns del dtn-probe
	return $r
}

# setup LOSS DUP DELAY-MS JITTER-MS REORDER (percent, both directions)
setup() {
	ip netns del $S 2>/dev/null || true
	ip netns del $R 2>/dev/null || true
	ip netns add $S
	ip netns add $R
	if [ "$mode" = netem ]; then
		ip link add dtn-s0 type veth peer name dtn-r0
	else
		rm -f "$tmp/wire.ready"
		"$py" "$tmp/wire.py" dtn-s0 dtn-r0 "$@" "$tmp/wire.ready" &
		wire=$!
		i=0
		while [ ! -f "$tmp/wire.ready" ] && [ $i -lt 50 ]; do
			sleep 0.1; i=$((i + 1))
		done
	fi
	ip link set dtn-s0 netns $S name eth0
	ip link set dtn-r0 netns $R name eth0
	for n in $S $R; do
		nx $n ip link set lo up
		# one capture record per wire segment: no GSO/GRO merging
		nx $n ip link set eth0 gso_max_size 1500 2>/dev/null || true
		nx $n ip link set eth0 gro_max_size 1500 2>/dev/null || true
		nx $n ip link set eth0 up
		if [ "$mode" = netem ]; then
			d="delay ${3}ms"
			[ "$4" != 0 ] && d="$d ${4}ms"
			[ "$5" != 0 ] && d="$d reorder $5% 50%"
			nx $n tc qdisc add dev eth0 root netem $d loss "$1%" \
			    duplicate "$2%"
		fi
	done
	nx $S ip addr add 198.18.7.1/24 dev eth0
	nx $R ip addr add 198.18.7.2/24 dev eth0
	nx $S ip addr add 2001:db8:7::1/64 dev eth0 nodad
	nx $R ip addr add 2001:db8:7::2/64 dev eth0 nodad
}

# The userspace wire: two TAP devices, frames copied between them; TCP
# frames are dropped, duplicated, delayed and reordered at random (seeded),
# everything else (ARP, neighbour discovery) passes at once.
cat >"$tmp/wire.py" <<'PY'
import fcntl, heapq, os, random, select, struct, sys, time

a, b = sys.argv[1], sys.argv[2]
loss, dup, delay, jitter, reorder = [float(x) for x in sys.argv[3:8]]
ready = sys.argv[8]
random.seed("%s %s" % (a, sys.argv[3:8]))

def tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    ifr = struct.pack("16sH", name.encode(), 0x0002 | 0x1000)  # TAP, NO_PI
    fcntl.ioctl(fd, 0x400454CA, ifr)                           # TUNSETIFF
    return fd

def is_tcp(f):
    if len(f) < 14 + 40:
        return False
    et = f[12] << 8 | f[13]
    return (et == 0x0800 and f[14 + 9] == 6) or (et == 0x86DD and f[14 + 6] == 6)

fa, fb = tap(a), tap(b)
peer = {fa: fb, fb: fa}
open(ready, "w").close()
q, n = [], 0
while True:
    now = time.monotonic()
    while q and q[0][0] <= now:
        _, _, fd, f = heapq.heappop(q)
        try:
            os.write(fd, f)
        except OSError:
            pass
    t = max(0.0, q[0][0] - now) if q else 1.0
    try:
        rd, _, _ = select.select([fa, fb], [], [], t)
    except OSError:
        break
    for fd in rd:
        try:
            f = os.read(fd, 65536)
        except OSError:
            sys.exit(0)     # a namespace went away: done
        if not is_tcp(f):
            try:
                os.write(peer[fd], f)
            except OSError:
                pass        # the other side is not up yet
            continue
        if random.random() * 100 < loss:
            continue
        at = now + (delay + random.random() * jitter) / 1000
        if random.random() * 100 < reorder:
            at += 0.015     # later packets overtake this one
        copies = 2 if random.random() * 100 < dup else 1
        for c in range(copies):
            n += 1
            heapq.heappush(q, (at + c * 0.002, n, peer[fd], f))
PY

# The endpoints. The receiver reads to EOF, then answers with its own
# pattern and closes; the sender sends, half-closes, reads to EOF. Each
# prints "length sha256" of what it sent.
cat >"$tmp/ends.py" <<'PY'
import hashlib, socket, sys

def pattern(seed, n):
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(b"%s-%d" % (seed, i)).digest()
        i += 1
    return bytes(out[:n])

def report(path, data):
    with open(path, "w") as f:
        f.write("%d %s\n" % (len(data), hashlib.sha256(data).hexdigest()))

role, host, port, n, path = sys.argv[1:6]
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
if role == "server":
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 500)
    ls.bind((host, int(port)))
    ls.listen(1)
    open(path + ".ready", "w").close()
    s, _ = ls.accept()
    while s.recv(65536):
        pass
    data = pattern(b"s2c", int(n))
    s.sendall(data)
    s.close()
    report(path, data)
else:
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 500)
    s.settimeout(60)
    s.connect((host, int(port)))
    data = pattern(b"c2s", int(n))
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass
    s.close()
    report(path, data)
PY

# one NAME SERVER-ADDR C2S-BYTES S2C-BYTES LOSS% DUP% DELAY-MS JITTER-MS REORDER%
one() {
	name=$1 addr=$2 c2s=$3 s2c=$4
	shift 4
	setup "$@"
	rm -f "$tmp/srv" "$tmp/srv.ready" "$tmp/cli"
	nx $R tcpdump -i eth0 -s 0 -n -U -Z root -w "$out/$name.pcap" \
	    "tcp port $PORT" 2>/dev/null &
	dump=$!
	nx $R "$py" "$tmp/ends.py" server "$addr" $PORT "$s2c" "$tmp/srv" &
	srv=$!
	i=0
	while [ ! -f "$tmp/srv.ready" ] && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	sleep 1		# tcpdump is listening by now
	nx $S "$py" "$tmp/ends.py" client "$addr" $PORT "$c2s" "$tmp/cli"
	wait "$srv"
	srv=
	sleep 1
	kill "$dump"
	wait "$dump" 2>/dev/null || true
	dump=
	ip netns del $S
	ip netns del $R
	if [ -n "${wire:-}" ]; then
		kill "$wire" 2>/dev/null || true
		wait "$wire" 2>/dev/null || true
		wire=
	fi
	printf '%s.pcap %s %s\n' "$name" "$(cat "$tmp/cli")" \
	    "$(cat "$tmp/srv")" >>"$tmp/MANIFEST"
}

mkdir -p "$out"
rm -f "$out"/*.pcap
: >"$tmp/MANIFEST"
mode=wire
have_netem && mode=netem
echo "netem.sh: impairing with $mode"
#   name        server        c2s   s2c  loss dup delay jitter reorder
one reorder     198.18.7.2    12000 3000 0    0   10    0      25
one loss        198.18.7.2    12000 3000 10   0   2     0      0
one duplicate   198.18.7.2    12000 3000 0    20  5     0      0
one mixed-ipv6  2001:db8:7::2 12000 3000 5    5   10    5      20
{
	echo "# capture c2s-length c2s-sha256 s2c-length s2c-sha256"
	echo "# made by testdata/gen/netem.sh; bytes as the endpoints sent them"
	cat "$tmp/MANIFEST"
} >"$out/MANIFEST"
ls -l "$out"
