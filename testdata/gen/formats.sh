#!/bin/sh
# Regenerates testdata/formats/: small capture files, one per container
# format feature the capture reader must handle (see
# testdata/formats/README.md). Traffic is real: a curl GET to a Python HTTP
# server on loopback, captured with tcpdump/dumpcap, then converted with
# editcap/mergecap from wireshark-common. What no tool here writes is done
# by small Python helpers below: a big-endian pcap (a byte swap of the
# tcpdump file), pcapng epb_flags/epb_packetid options, and 802.1Q tags.
#
# Needs root (capture), tcpdump, dumpcap, editcap,
# mergecap, tshark, curl, python3. Run from the top of the tree:
#   sh testdata/gen/formats.sh
# Packet counts are fixed by `-c`; tests/test_capture.c checks them.
set -eu

OUT=testdata/formats
PORT=28471
TMP=$(mktemp -d)
SRV=""
cleanup() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
mkdir -p "$OUT" "$TMP/www"
printf 'hello from datrace formats\n' > "$TMP/www/index.txt"

# capture <file> <count> <tcpdump args...> -- runs one curl to $URL meanwhile
capture() {
	f=$1; n=$2; shift 2
	tcpdump -q -U -c "$n" -w "$f" "$@" 2>/dev/null &
	td=$!
	sleep 1
	curl -s -m 3 -o /dev/null "$URL" || true
	sleep 1
	kill "$td" 2>/dev/null || true
	wait "$td" 2>/dev/null || true
}

(cd "$TMP/www" && exec python3 -m http.server --bind :: "$PORT" \
    >/dev/null 2>&1) &
SRV=$!
sleep 1

# 1. Classic pcap, little-endian, microseconds, Ethernet (lo).
URL="http://127.0.0.1:$PORT/index.txt"
capture "$TMP/eth.pcap" 10 -i lo -s 0 "tcp port $PORT"
cp "$TMP/eth.pcap" "$OUT/pcap-le-usec.pcap"

# 2. Nanosecond pcap (magic a1b23c4d).
editcap -F nsecpcap "$TMP/eth.pcap" "$OUT/pcap-nsec.pcap"

# 3. Big-endian pcap: the same records, every header field byte-swapped.
python3 - "$TMP/eth.pcap" "$OUT/pcap-be-usec.pcap" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
h = struct.unpack('<IHHiIII', d[:24])
out = [struct.pack('>IHHiIII', *h)]
i = 24
while i + 16 <= len(d):
    sec, frac, cap, orig = struct.unpack('<IIII', d[i:i + 16])
    out.append(struct.pack('>IIII', sec, frac, cap, orig))
    out.append(d[i + 16:i + 16 + cap])
    i += 16 + cap
open(sys.argv[2], 'wb').write(b''.join(out))
EOF

# 4. Raw IPv4 (LINKTYPE_RAW 101 and LINKTYPE_IPV4 228): Ethernet header chopped.
editcap -F pcap -C 14 -T rawip "$TMP/eth.pcap" "$OUT/rawip.pcap"
editcap -F pcap -C 14 -T rawip4 "$TMP/eth.pcap" "$OUT/rawip4.pcap"

# 5. Raw IPv6 (LINKTYPE_IPV6 229) from a GET to [::1].
URL="http://[::1]:$PORT/index.txt"
capture "$TMP/eth6.pcap" 10 -i lo -s 0 "tcp port $PORT"
editcap -F pcap -C 14 -T rawip6 "$TMP/eth6.pcap" "$OUT/rawip6.pcap"

# 6. Linux cooked captures: SLL (113) and SLL2 (276) on "any".
URL="http://127.0.0.1:$PORT/index.txt"
capture "$OUT/sll.pcap" 10 -i any -y LINUX_SLL -s 0 "tcp port $PORT"
capture "$OUT/sll2.pcap" 10 -i any -y LINUX_SLL2 -s 0 "tcp port $PORT"

# 7. pcapng with two interfaces of different link types (Ethernet + raw IP):
#    libpcap 1.10 refuses this file.
mergecap -F pcapng -w "$OUT/pcapng-two-linktypes.pcapng" \
    "$TMP/eth.pcap" "$OUT/rawip.pcap"

# 8. Several sections: pcapng files concatenated (each keeps its SHB, and
#    interface 0 of each section is a different link type).
editcap -F pcapng "$TMP/eth.pcap" "$TMP/s1.pcapng"
editcap -F pcapng -r "$OUT/rawip.pcap" "$TMP/s2.pcapng" 1-4
editcap -F pcapng -r "$OUT/sll2.pcap" "$TMP/s3.pcapng" 1-3
cat "$TMP/s1.pcapng" "$TMP/s2.pcapng" "$TMP/s3.pcapng" \
    > "$OUT/pcapng-sections.pcapng"

# 9. Comments (editcap -a) and direction flags + packet ids (helper): a
#    dumpcap capture, which also carries if_name "lo".
dumpcap -q -i lo -c 10 -f "tcp port $PORT" -w "$TMP/dc.pcapng" 2>/dev/null &
td=$!
sleep 2
curl -s -m 3 -o /dev/null "$URL" || true
wait "$td" 2>/dev/null || true
editcap -a "1:client SYN" -a "4:the GET request" "$TMP/dc.pcapng" \
    "$TMP/dcc.pcapng"
python3 - "$TMP/dcc.pcapng" "$OUT/pcapng-comments-flags.pcapng" "$PORT" <<'EOF'
# Adds epb_flags (inbound when the server port is the source) and
# epb_packetid (1, 2, ...) to every EPB of a little-endian pcapng.
import struct, sys
d = open(sys.argv[1], 'rb').read()
port = int(sys.argv[3])
out, i, n = [], 0, 0
while i < len(d):
    t, ln = struct.unpack('<II', d[i:i + 8])
    blk = d[i:i + ln]
    if t == 6:
        n += 1
        cap = struct.unpack('<I', blk[20:24])[0]
        pad = (cap + 3) & ~3
        fixed = blk[8:28 + pad]
        opts = blk[28 + pad:ln - 4]
        if opts.endswith(b'\0\0\0\0'):
            opts = opts[:-4]
        pkt = blk[28:28 + cap]
        # Ethernet + IPv4 (20 bytes) + TCP: source port at 34
        sport = struct.unpack('>H', pkt[34:36])[0] if cap >= 36 else 0
        flags = 1 if sport == port else 2
        opts = (struct.pack('<HHI', 2, 4, flags) +
                struct.pack('<HHQ', 5, 8, n) + opts + b'\0\0\0\0')
        body = fixed + opts
        ln2 = 12 + len(body)
        blk = struct.pack('<II', 6, ln2) + body + struct.pack('<I', ln2)
    out.append(blk)
    i += ln
open(sys.argv[2], 'wb').write(b''.join(out))
EOF

# 10. pktmon-style pcapng: every packet logged at two components, as pktmon
#     does, with pktmon's per-packet comment text; the last one is a drop.
editcap -F pcapng "$TMP/eth.pcap" "$TMP/p1.pcapng"
mergecap -F pcapng -w "$TMP/p2.pcapng" "$TMP/p1.pcapng" "$TMP/p1.pcapng"
set --
i=0
for len in $(tshark -r "$TMP/p2.pcapng" -T fields -e frame.len); do
	i=$((i + 1))
	g=$((562949953421312 + (i + 1) / 2))
	if [ $((i % 2)) -eq 1 ]; then app=1; comp=12; else app=2; comp=7; fi
	c="PktGroupId $g, PktNumber 1, Appearance $app, Direction Tx , Type Ethernet , Component $comp, Edge 1, Filter 0, OriginalSize $len, LoggedSize $len"
	if [ "$i" -eq 20 ]; then
		c="Drop: PktGroupId $g, PktNumber 1, Appearance $app, Direction Rx , Type Ethernet , Component $comp, Filter 0, DropReason INET: transport endpoint was not found , DropLocation 0xE000460A, OriginalSize $len, LoggedSize $len"
	fi
	set -- "$@" -a "$i:$c"
done
editcap "$@" "$TMP/p2.pcapng" "$OUT/pktmon.pcapng"

# 11. Truncated files: cut in the middle of the last record / block.
sz=$(wc -c < "$OUT/pcap-le-usec.pcap")
head -c $((sz - 7)) "$OUT/pcap-le-usec.pcap" > "$OUT/truncated.pcap"
sz=$(wc -c < "$OUT/pcapng-two-linktypes.pcapng")
head -c $((sz - 10)) "$OUT/pcapng-two-linktypes.pcapng" > "$OUT/truncated.pcapng"

# 12. 802.1Q VLAN 10: this container's kernel has no 8021q module (no VLAN
#     interfaces), so a helper inserts the tag (TPID 0x8100, PCP 0, VID 10)
#     after the MAC addresses of each frame of the Ethernet capture.
python3 - "$TMP/eth.pcap" "$OUT/vlan.pcap" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
out = [d[:24]]
i = 24
while i + 16 <= len(d):
    sec, frac, cap, orig = struct.unpack('<IIII', d[i:i + 16])
    pkt = d[i + 16:i + 16 + cap]
    pkt = pkt[:12] + struct.pack('>HH', 0x8100, 10) + pkt[12:]
    out.append(struct.pack('<IIII', sec, frac, cap + 4, orig + 4) + pkt)
    i += 16 + cap
open(sys.argv[2], 'wb').write(b''.join(out))
EOF

chmod 644 "$OUT"/*.pcap "$OUT"/*.pcapng
ls -l "$OUT"
