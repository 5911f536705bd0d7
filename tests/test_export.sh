#!/bin/sh
# datrace --export FILE.pcapng, end to end: what the CLI says it wrote, the
# refusals before any analysis (unwritable path, standard input, archives,
# --redact), and the file read back by tshark (Wireshark's own reader and
# dissectors; those checks are skipped when tshark is not installed):
# frame counts, the evidence comments of a verdict word for word, what
# each evidence frame is (DNS, HTTP, tunnel and transition packets), pcapng
# comments and interfaces kept, pktmon's repeated sightings left out, and
# the ETL records of the shared corpus as LINKTYPE_ETW packets (skipped
# when ../shared/corpus is absent). The ETL writer's files are checked in
# tests/test_export.c. Run from the top of the tree.
set -u
. tests/lib.sh
S=testdata/scenarios
F=testdata/formats
ETL=../shared/corpus/etl/demikernel-PktMon.etl
# same WHAT GOT WANT
same() { [ "$2" = "$3" ] && ok || bad "$1: got '$2', want '$3'"; }
have_tshark=0
command -v tshark >/dev/null 2>&1 && have_tshark=1
# frames FILE [FILTER]: how many frames tshark shows
frames() { tshark -r "$1" ${2:+-Y "$2"} 2>/dev/null | wc -l | tr -d ' '; }

# ---- a verdict's evidence, commented --------------------------------------
"$CLI" --export "$tmp/reset.pcapng" "$S/null-absent-reset-v6.pcap" \
    >"$tmp/out" 2>"$tmp/err"
same "exit status with an error verdict" "$?" 1
same "what the CLI wrote" "$(cat "$tmp/err")" "datrace: wrote \
$tmp/reset.pcapng from $S/null-absent-reset-v6.pcap: 6 packets, 0 Windows \
events (ETW), 2 evidence comments, 0 repeated sightings left out"
grep -q 'null-cipher-absent' "$tmp/out" && ok || bad "the report is still written"
if [ $have_tshark = 1 ]; then
	same "frames" "$(frames "$tmp/reset.pcapng")" 6
	tshark -r "$tmp/reset.pcapng" -Y frame.comment -T fields \
	    -e frame.number -e frame.comment >"$tmp/c" 2>/dev/null
	same "evidence comments" "$(cat "$tmp/c")" "4	datrace null-cipher-absent \
(error): the client's ClientHello, evidence 1 of 2. Server answered the \
ClientHello (frame 4) offering only NULL suites with a TCP reset (frame 6) \
(IP-HTTPS: NULL suites offered)
6	datrace null-cipher-absent (error): the server's RST, evidence 2 of 2. \
Server answered the ClientHello (frame 4) offering only NULL suites with a \
TCP reset (frame 6) (IP-HTTPS: NULL suites offered)"
	same "the ClientHello is still a ClientHello" "$(frames \
	    "$tmp/reset.pcapng" 'frame.number == 4 && tls.handshake.type == 1')" 1
fi

# ---- each evidence frame says what it is, outside the TLS ladder too -------
# roles FILE VERDICT: "frame<TAB>what it is" for each frame the verdict cites
roles() {
	tshark -r "$1" -Y frame.comment -T fields -e frame.number \
	    -e frame.comment -E occurrence=a -E aggregator='|' 2>/dev/null |
	    tr '|' '\n' | sed -n "s/^\([0-9]*\)\{0,1\}	\{0,1\}datrace $2 ([a-z]*): \(.*\), evidence .*/\2/p"
}
if [ $have_tshark = 1 ]; then
	for c in dns-nxdomain proxy-refused-403 inner-no-ra inner-esp-dropped \
	    tunnel-teredo-only; do
		"$CLI" -q --export "$tmp/$c.pcapng" "$S/$c.pcap"
	done
	same "DNS roles" "$(roles "$tmp/dns-nxdomain.pcapng" dns-not-found)" \
	    "the DNS query for da.corp.example
the DNS answer for da.corp.example"
	same "HTTP roles" "$(roles "$tmp/proxy-refused-403.pcapng" \
	    proxy-refused)" "the HTTP request CONNECT da.corp.example:443
the HTTP response \"HTTP/1.1 403 Forbidden\""
	same "tunnel roles" "$(roles "$tmp/inner-no-ra.pcapng" \
	    no-router-advertisement)" "the client's first Router Solicitation \
in the tunnel
the client's last packet in the tunnel"
	same "IPsec roles" "$(roles "$tmp/inner-esp-dropped.pcapng" \
	    ipsec-one-way)" "the first IKEv2 answer in the tunnel
the server's last packet in the tunnel
the client's first ESP packet (SPI 0xb3d64d7b) in the tunnel"
	same "transition role" "$(roles "$tmp/tunnel-teredo-only.pcapng" \
	    no-iphttps-traffic)" "the first Teredo packet"
fi

# ---- pcapng input: comments, flags, interfaces and pktmon kept -------------
"$CLI" -q --export "$tmp/cf.pcapng" "$F/pcapng-comments-flags.pcapng"
same "pcapng exit" "$?" 0
"$CLI" -q --export "$tmp/two.pcapng" "$F/pcapng-two-linktypes.pcapng"
"$CLI" --export "$tmp/pm.pcapng" "$F/pktmon.pcapng" >/dev/null 2>"$tmp/err"
same "pktmon pcapng" "$(cat "$tmp/err")" "datrace: wrote $tmp/pm.pcapng from \
$F/pktmon.pcapng: 11 packets, 0 Windows events (ETW), 0 evidence comments, \
9 repeated sightings left out"
if [ $have_tshark = 1 ]; then
	same "comments kept" "$(tshark -r "$tmp/cf.pcapng" -Y frame.comment \
	    -T fields -e frame.number -e frame.comment 2>/dev/null)" \
	    "$(tshark -r "$F/pcapng-comments-flags.pcapng" -Y frame.comment \
	    -T fields -e frame.number -e frame.comment 2>/dev/null)"
	same "directions kept" "$(frames "$tmp/cf.pcapng" \
	    'frame.packet_flags_direction == 1')" "$(frames \
	    "$F/pcapng-comments-flags.pcapng" \
	    'frame.packet_flags_direction == 1')"
	same "two link types" "$(tshark -r "$tmp/two.pcapng" -T fields \
	    -e frame.encap_type 2>/dev/null | sort | uniq -c | tr -s ' ')" \
	    "$(tshark -r "$F/pcapng-two-linktypes.pcapng" -T fields \
	    -e frame.encap_type 2>/dev/null | sort | uniq -c | tr -s ' ')"
	same "pktmon: one sighting each" "$(frames "$tmp/pm.pcapng")" 11
	# frame 3 of the original is the second packet (its first sighting)
	same "pktmon frame numbers" "$(tshark -r "$tmp/pm.pcapng" \
	    -Y 'frame.number == 2' -T fields -e frame.comment 2>/dev/null)" \
	    "PktGroupId 562949953421314, PktNumber 1, Appearance 1, \
Direction Tx , Type Ethernet , Component 12, Edge 1, Filter 0, OriginalSize \
74, LoggedSize 74,datrace frame 3"
fi

# ---- ETL: packets once, every other record as an ETW packet ----------------
if [ -f "$ETL" ]; then
	"$CLI" --export "$tmp/etl.pcapng" "$ETL" >/dev/null 2>"$tmp/err"
	same "etl" "$(cat "$tmp/err")" "datrace: wrote $tmp/etl.pcapng from \
$ETL: 38 packets, 353 Windows events (ETW), 0 evidence comments, 76 \
repeated sightings left out"
	if [ $have_tshark = 1 ]; then
		same "etl frames" "$(frames "$tmp/etl.pcapng")" 391
		same "etl ETW blocks" "$(frames "$tmp/etl.pcapng" \
		    etw.provider_id)" 353
		# 403 PktMon events in the file (datrace -f json, and the
		# reader's agreement tests), 114 of them packets
		same "etl PktMon events" "$(frames "$tmp/etl.pcapng" \
		    'etw.provider_name == "Microsoft-Windows-PktMon"')" 289
		same "etl packets" "$(frames "$tmp/etl.pcapng" icmp)" 38
		same "etl timeline" "$(tshark -r "$tmp/etl.pcapng" -T fields \
		    -e frame.time_epoch 2>/dev/null | sort -c && echo sorted)" \
		    sorted
	fi
else
	echo "SKIP: $ETL absent"
fi
# a real trace of events and no packet (microsoft/Tx, testdata/etw): every
# record an ETW packet, by provider as the events stage counts them
H=testdata/etw/tx-HTTP_Server.etl
"$CLI" --export "$tmp/h.pcapng" "$H" >/dev/null 2>"$tmp/err"
same "events only: exit (no packet to analyse)" "$?" 2
same "events only" "$(tail -n 1 "$tmp/err")" "datrace: wrote $tmp/h.pcapng \
from $H: 0 packets, 2042 Windows events (ETW), 0 evidence comments, 0 \
repeated sightings left out"
if [ $have_tshark = 1 ]; then
	same "events only: by provider" "$(tshark -r "$tmp/h.pcapng" -T fields \
	    -e etw.provider_name 2>/dev/null | LC_ALL=C sort | uniq -c |
	    tr -s ' ')" " 2041 Microsoft-Windows-HttpService
 1 kernel"
	same "events only: timeline" "$(tshark -r "$tmp/h.pcapng" -T fields \
	    -e frame.time_epoch 2>/dev/null | sort -c && echo sorted)" sorted
fi
[ $have_tshark = 1 ] || echo "SKIP: tshark not installed, files not read back"

# ---- refusals, before any analysis ----------------------------------------
"$CLI" --export "$tmp/no/such/dir.pcapng" "$S/null-absent-reset-v6.pcap" \
    >"$tmp/out" 2>"$tmp/err"
same "unwritable: exit" "$?" 2
same "unwritable: message" "$(cat "$tmp/err")" "datrace: cannot write \
$tmp/no/such/dir.pcapng: No such file or directory"
same "unwritable: no analysis" "$(cat "$tmp/out")" ""
"$CLI" --export "$tmp/x.pcapng" - <"$S/null-absent-reset-v6.pcap" \
    >"$tmp/out" 2>"$tmp/err"
same "stdin: exit" "$?" 2
same "stdin: message" "$(cat "$tmp/err")" "datrace: --export reads each \
capture twice: standard input cannot be; save it to a file and give that"
gzip -c "$S/null-absent-reset-v6.pcap" >"$tmp/r.pcap.gz"
"$CLI" --export "$tmp/x.pcapng" "$tmp/r.pcap.gz" >"$tmp/out" 2>"$tmp/err"
same "archive: exit" "$?" 2
same "archive: message" "$(cat "$tmp/err")" "datrace: --export reads each \
capture twice: $tmp/r.pcap.gz is an archive or compressed; unpack it first"
[ -e "$tmp/x.pcapng" ] && bad "a refused export left a file" || ok
"$CLI" --redact --export "$tmp/x.pcapng" "$S/null-absent-reset-v6.pcap" \
    >/dev/null 2>"$tmp/err"
same "redact: exit" "$?" 2
grep -q 'cannot be combined with --redact' "$tmp/err" && ok ||
	bad "redact: $(cat "$tmp/err")"

summary test_export
