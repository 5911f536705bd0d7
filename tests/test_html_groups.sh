#!/bin/sh
# Issue 15: the HTML report stays a report on a day of the same failure.
# A capture of many IP-HTTPS connections is generated from real handshakes
# (tests/bench/gen.c replays the TCP payloads of testdata/scenarios/, made
# by OpenSSL: the server refusing the NULL-suite ClientHello, and healthy
# NULL-cipher tunnels). The page must hold one null-cipher-absent card
# with the count of the generator's manifest, the first and the last
# connection (by the JSON report) with their evidence frames, ladders for
# those two only, a bounded table of the healthy ones, every link inside
# the page resolving, and a page that does not grow with the capture;
# under --all, a bounded number of cards for the connections that are not
# IP-HTTPS (below).
set -u
BUILD=${BUILD:-build}
CLI=$BUILD/datrace
CC=${CC:-cc}
S=testdata/scenarios
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
bad() { fails=$((fails + 1)); echo "FAIL: $*"; }

# shellcheck disable=SC2046
$CC -O2 -o "$tmp/gen" tests/bench/gen.c $(pkg-config --cflags --libs libpcap) ||
    { echo "FAIL: tests/bench/gen.c does not build"; exit 1; }

# gen N SEED -> $tmp/dayN.pcap, .tsv (manifest), .json, .html
gen() {
	"$tmp/gen" -o "$tmp/day$1.pcap" -m "$tmp/day$1.tsv" -s 1 -c "$1" \
	    -P uniform -S "$2" fail-null=$S/null-absent-alert-openssl.pcap \
	    ok-null=$S/ok-null-openssl.pcap >/dev/null 2>&1 ||
	    { bad "gen -c $1 failed"; return 1; }
	"$CLI" -f json --host da.corp.example "$tmp/day$1.pcap" >"$tmp/day$1.json"
	[ $? -eq 1 ] || bad "day$1: -f json should exit 1 (errors found)"
	"$CLI" -f html --host da.corp.example -o "$tmp/day$1.html" "$tmp/day$1.pcap"
	[ $? -eq 1 ] || bad "day$1: -f html should exit 1 (errors found)"
}

# links_resolve PAGE LABEL: every link inside the page has its target
links_resolve() {
	grep -o 'href="#[^"]*"' "$1" | sed 's/href="#//; s/"$//' | sort -u >"$tmp/hrefs"
	grep -o ' id="[^"]*"' "$1" | sed 's/ id="//; s/"$//' | sort -u >"$tmp/ids"
	dangling=$(comm -23 "$tmp/hrefs" "$tmp/ids" | head -n 3 | tr '\n' ' ')
	[ -z "$dangling" ] || bad "${2}links without a target: $dangling"
}

# "connection frame frame" of every null-cipher-absent verdict, by connection
absent() {
	awk '/"id": "null-cipher-absent"/ { on = 1; next }
	    on && /"connection":/ { gsub(/[^0-9]/, ""); conn = $0 }
	    on && /"frames": \[/ { fr = 1; f = ""; next }
	    on && fr && /\]/ { print conn f; on = 0; fr = 0; next }
	    on && fr { gsub(/[^0-9]/, ""); f = f " " $0 }' "$1" | sort -n
}

gen 600 11 || exit 1
absent "$tmp/day600.json" >"$tmp/absent"
want=$(grep -c '^tls	.*	fail-null	' "$tmp/day600.tsv")
got=$(wc -l <"$tmp/absent" | tr -d ' ')
[ "$want" -gt 100 ] || bad "the generator made only $want failing connections"
[ "$got" = "$want" ] || bad "JSON: $got null-cipher-absent verdicts, manifest has $want"
# every verdict's frames are a ClientHello and an alert of the manifest
awk -F'\t' 'NR == FNR { if ($1 == "tls" && $3 == "fail-null") m[$5 " " $6] = 1; next }
    !(($2 " " $3) in m) { print "not in the manifest: " $0; bad = 1 }
    END { exit bad }' "$tmp/day600.tsv" FS=' ' "$tmp/absent" ||
    bad "JSON frames differ from the generator's manifest"
set -- $(head -n 1 "$tmp/absent")
c1=$1 f1=$2 g1=$3
set -- $(tail -n 1 "$tmp/absent")
cl=$1 fl=$2 gl=$3

h=$tmp/day600.html
n=$(grep -o '<code class="vid">null-cipher-absent</code>' "$h" | wc -l)
[ "$n" -eq 1 ] || bad "$n null-cipher-absent cards, want 1"
grep -q "<b>$want connections alike</b>" "$h" ||
    bad "no card counting $want connections alike"
grep -q "Evidence frames <code>$f1</code>, <code>$g1</code></span> &middot; <a href=\"#c0-$c1\">connection $c1</a>" "$h" ||
    bad "the card does not show the first connection $c1 (frames $f1, $g1)"
grep -q "the last is <a href=\"#c0-$cl\">connection $cl</a> (frames <code>$fl</code>, <code>$gl</code>)" "$h" ||
    bad "the card does not name the last connection $cl (frames $fl, $gl)"
n=$(grep -o '<svg' "$h" | wc -l)
[ "$n" -eq 2 ] || bad "$n ladders drawn, want 2 (the first and the last)"
grep -q "aria-label=\"Message ladder of connection $c1\"" "$h" ||
    bad "no ladder for the first connection $c1"
grep -q "aria-label=\"Message ladder of connection $cl\"" "$h" ||
    bad "no ladder for the last connection $cl"
grep -q "<p class=\"meta\">$((want - 2)) more connections with the same findings" "$h" ||
    bad "the $((want - 2)) folded connections are not counted"
ok=$(grep -c '^tls	.*	ok-null	' "$tmp/day600.tsv")
rows=$(grep -o '<tr id="c0-' "$h" | wc -l)
[ "$rows" -le 210 ] || bad "$rows rows in the healthy table (bounded at 200 + examples)"
grep -q "and $((ok - rows)) more connections without problems, not listed" "$h" ||
    bad "the $((ok - rows)) healthy connections not listed are not counted"
links_resolve "$h" ""

# four times the connections: the same page, give or take a few rows
gen 2400 12 || exit 1
s1=$(wc -c <"$h")
s4=$(wc -c <"$tmp/day2400.html")
[ "$s4" -le $((s1 + s1 / 10)) ] ||
    bad "the page grew from $s1 to $s4 bytes with 4x the connections"
[ "$s4" -le 400000 ] || bad "the page is $s4 bytes"
grep -q "<b>$(grep -c '^tls	.*	fail-null	' "$tmp/day2400.tsv") connections alike</b>" \
    "$tmp/day2400.html" || bad "day2400: the card's count is wrong"

# --all on a day of browsing: every TLS connection judged, and browsers
# meet a server each, so their verdicts group by server in the hundreds.
# At most HTML_BG_CARDS (10) cards per verdict id about connections that
# are not IP-HTTPS; the rest of the id one line of counts, which with its
# cards' counts makes every verdict of the id in the JSON report; no link
# left without its target; a page that does not grow with the day.
# all SIZE_MB CONNS SEED -> $tmp/allN.{pcap,tsv,json,html}
all() {
	"$tmp/gen" -P day -o "$tmp/all$2.pcap" -m "$tmp/all$2.tsv" \
	    -s $(($1 * 1048576)) -c "$2" -S "$3" \
	    ok-null=$S/ok-null-openssl.pcap ok-aes=$S/enc-aes-openssl.pcap \
	    certreq-empty=$S/client-cert-missing-openssl.pcap \
	    fail-nonull=$S/no-common-cipher-openssl.pcap \
	    fail-null=$S/null-absent-alert-openssl.pcap >/dev/null 2>&1 ||
	    { bad "gen -P day -c $2 failed"; return 1; }
	"$CLI" --all -f json "$tmp/all$2.pcap" >"$tmp/all$2.json"
	[ $? -eq 1 ] || bad "all$2: --all -f json should exit 1 (errors found)"
	"$CLI" --all -f html -o "$tmp/all$2.html" "$tmp/all$2.pcap"
	[ $? -eq 1 ] || bad "all$2: --all -f html should exit 1 (errors found)"
}
all 6 120 5 || exit 1
h=$tmp/all120.html
folded=0
for id in server-name-mismatch handshake-ok no-common-cipher; do
	line=$(grep -o "<span class=\"chip [a-z]*\">$id</span> [0-9]* more findings\{0,1\} about connections that are not IP-HTTPS, in [0-9]* more groups\{0,1\}" "$h")
	[ -n "$line" ] || continue
	folded=$((folded + 1))
	more=$(echo "$line" | sed 's/.*<\/span> \([0-9]*\) more.*/\1/')
	cards=$(grep -o "<code class=\"vid\">$id</code>" "$h" | wc -l)
	# verdicts on the id's cards: a card counts its alike connections
	shown=$(awk -v id="$id" 'BEGIN { RS = "<article " }
	    /^class="verdict/ && index($0, "<code class=\"vid\">" id "</code>") {
		if (match($0, /<b>[0-9]+ connections alike<\/b>/))
			n += substr($0, RSTART + 3, RLENGTH - 3) + 0
		else
			n++
	    } END { print n + 0 }' "$h")
	json=$(grep -c "\"id\": \"$id\"" "$tmp/all120.json")
	[ $((shown + more)) -eq "$json" ] ||
	    bad "--all: $id: $shown on cards + $more folded, JSON has $json"
	# HTML_BG_CARDS for the connections that are not IP-HTTPS, and the
	# IP-HTTPS ones' own
	[ "$cards" -le 20 ] || bad "--all: $cards $id cards"
done
[ "$folded" -ge 2 ] || bad "--all: $folded verdict ids folded, want 2 or more"
grep -q '<p class="meta">[0-9]* connections that are not IP-HTTPS, with findings counted under Findings and not drawn' "$h" ||
    bad "--all: the connections of folded groups are not counted"
links_resolve "$h" "--all: "
all 24 480 6 || exit 1
a1=$(wc -c <"$h")
a4=$(wc -c <"$tmp/all480.html")
[ "$a4" -le $((a1 + a1 / 2)) ] ||
    bad "--all: the page grew from $a1 to $a4 bytes with 4x the day"

[ "$fails" -eq 0 ] || exit 1
echo "html groups: $want alike on one card, $rows table rows, page $s1 -> $s4 bytes; --all: $folded ids folded, page $a1 -> $a4 bytes"
