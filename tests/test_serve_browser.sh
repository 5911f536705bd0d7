#!/bin/sh
# The upload page of datrace serve in real headless Chromium (Debian's
# chromium, kept off the network like test_browser.sh), driven by
# tests/serve_browser.js over the DevTools pipe with Node's standard library
# (no npm package, no browser download): choose a capture in the file input,
# see the progress bar between 0 and 100 % (the upload throttled by the
# browser), land on the report, and find the new analysis on top of the
# list with its coloured badge. The screenshots (page, progress, report,
# list) are kept in $BUILD/tests/serve-browser/.
#
# Run from the top of the tree: make check-browser. Installs Debian's
# chromium and nodejs when missing and we are root on Debian; otherwise
# skips, saying so.
set -u

BUILD=${BUILD:-build}
SERVE=$BUILD/datrace-serve
SCEN=testdata/scenarios
SHOTS=$BUILD/tests/serve-browser
MIN_PNG=40000		# bytes; a blank page is ~10 KB

find_browser() {
	for b in chromium chromium-browser google-chrome; do
		command -v "$b" >/dev/null 2>&1 && { command -v "$b"; return 0; }
	done
	return 1
}

BROWSER=$(find_browser)
if { [ -z "$BROWSER" ] || ! command -v node >/dev/null 2>&1; } &&
    [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then
	echo "test_serve_browser: installing chromium and nodejs"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends \
	    chromium nodejs >/dev/null 2>&1 ||
	    { apt-get update >/dev/null 2>&1 &&
	    apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends \
	    chromium nodejs >/dev/null 2>&1; }
	BROWSER=$(find_browser)
fi
if [ -z "$BROWSER" ] || ! command -v node >/dev/null 2>&1; then
	echo "test_serve_browser: SKIP: no chromium or node (install Debian's chromium and nodejs)"
	exit 0
fi
[ -x "$SERVE" ] || { echo "test_serve_browser: FAIL: $SERVE not built"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/datrace-serve-browser.XXXXXX")
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
fails=0
fail() { echo "test_serve_browser: FAIL: $*" >&2; fails=$((fails + 1)); }

"$SERVE" --listen 127.0.0.1:0 --data "$T/data" 2>"$T/log" &
pid=$!
i=0
port=""
while [ -z "$port" ] && [ $i -lt 100 ]; do
	sleep 0.1
	port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$T/log")
	i=$((i + 1))
done
[ -n "$port" ] || { cat "$T/log"; fail "server did not start"; exit 1; }
url=http://127.0.0.1:$port

# a few analyses in the list first, so it shows its badges
for f in ssl-inspection-fortinet.pcap ok-null-openssl.pcap tcp-refused-v4.pcap \
    server-name-mismatch-openssl.pcap; do
	curl -s -o /dev/null -H "X-Filename: $f" -H 'Content-Type: application/octet-stream' \
	    --data-binary @"$SCEN/$f" "$url/api/v1/analyses?host=da.corp.example"
done
# a capture big enough for the bar to move: a real one, its packets
# repeated (a valid pcap; the repeats read as retransmissions)
cap=$T/null-absent-repeated.pcap
src=$SCEN/null-absent-alert-openssl.pcap
{
	cat "$src"
	i=0
	while [ $i -lt 600 ]; do tail -c +25 "$src"; i=$((i + 1)); done
} >"$cap"

mkdir -p "$SHOTS"
rm -f "$SHOTS"/*.png
timeout 180 node tests/serve_browser.js "$BROWSER" "$url" "$cap" "$SHOTS" \
    >"$T/seen" 2>"$T/err"
st=$?
# chromium's helper processes may still write into the profile for a
# moment after the browser is killed: remove it again once they are gone
rm -rf "$SHOTS"/profile-* 2>/dev/null || { sleep 1; rm -rf "$SHOTS"/profile-*; }
if [ "$st" -ne 0 ]; then
	grep -v dbus "$T/err" >&2
	fail "the browser run failed ($st)"
fi
seen=$(cat "$T/seen")
echo "test_serve_browser: saw $seen"
want() {	# want DESCRIPTION SUBSTRING
	case $seen in *"$2"*) ;; *) fail "$1: no '$2'";; esac
}
want "the file was chosen" '"chosen":"null-absent-repeated.pcap (590807 bytes)"'
want "progress seen between 0 and 100" '"progress_mid":true'
want "landed on the report" '"report_path":"/api/v1/analyses/'
want "the report names the capture" '"report_names_capture":true'
want "the report shows the verdict" '"report_has_verdict":true'
want "the new analysis on top of the list" '"top_badge":"null-cipher-absent"'
want "a red badge for an error verdict" '"top_badge_class":"badge error"'
want "five rows after the upload" '"rows_after":5'
for png in page progress report list; do
	f=$SHOTS/$png.png
	if [ ! -s "$f" ]; then
		fail "no $png screenshot"
	elif [ "$(wc -c <"$f" | tr -d ' ')" -lt "$MIN_PNG" ]; then
		fail "$png screenshot is $(wc -c <"$f" | tr -d ' ') bytes: blank?"
	fi
done
grep -q 'POST /api/v1/analyses 201 ' "$T/log" || fail "no 201 in the server log"

kill -TERM "$pid"
wait "$pid"
pid=""
if [ "$fails" -ne 0 ]; then
	echo "test_serve_browser: $fails failure(s)" >&2
	exit 1
fi
echo "test_serve_browser: ok (screenshots in $SHOTS)"
