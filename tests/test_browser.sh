#!/bin/sh
# The HTML report in a real browser: datrace -f html on three scenario
# captures, each rendered by headless Chromium (kept off the network: no
# background networking, component updates, sync or QUIC; a throw-away
# profile) to a screenshot and to a DOM dump. A screenshot must not be blank
# (a blank 1200x2000 page is a PNG of about 10 KB; these reports give well
# over 100 KB), and the DOM must hold the expected verdict ids, the ladder
# (an <svg> with the expected steps, the failing step marked) and no script.
#
# Run from the top of the tree: make check-browser (BUILD= picks the build
# folder, DATRACE= another binary). Installs Debian's chromium when it is
# missing and we are root on Debian; otherwise skips, saying so.
set -u

BUILD=${BUILD:-build}
DATRACE=${DATRACE:-$BUILD/datrace}
SCEN=testdata/scenarios
CA=$SCEN/certs/corp-root.pem
MIN_PNG=40000		# bytes; blank page ~10 KB, these reports > 100 KB

find_browser() {
	for b in chromium chromium-browser google-chrome; do
		if command -v "$b" >/dev/null 2>&1; then
			echo "$b"
			return 0
		fi
	done
	return 1
}

BROWSER=$(find_browser)
if [ -z "$BROWSER" ] && [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then
	echo "test_browser: installing chromium"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 ||
	    { apt-get update >/dev/null 2>&1 &&
	    apt-get install -y --no-install-recommends chromium >/dev/null 2>&1; }
	BROWSER=$(find_browser)
fi
if [ -z "$BROWSER" ]; then
	echo "test_browser: SKIP: no chromium (install Debian's chromium)"
	exit 0
fi
if [ ! -x "$DATRACE" ]; then
	echo "test_browser: FAIL: $DATRACE not built" >&2
	exit 1
fi

OUT=$(mktemp -d "${TMPDIR:-/tmp}/datrace-browser.XXXXXX")
PROFILE=$OUT/profile
trap 'rm -rf "$OUT"' EXIT INT TERM
fails=0

fail() {
	echo "test_browser: FAIL: $*" >&2
	fails=$((fails + 1))
}

browse() {	# browse MODE FILE.html OUT
	rm -rf "$PROFILE"
	mkdir -p "$PROFILE"
	# shellcheck disable=SC2086
	timeout 60 "$BROWSER" --headless --no-sandbox --disable-gpu \
	    --disable-background-networking --disable-component-update \
	    --disable-sync --no-first-run --disable-quic \
	    --disable-default-apps --disable-extensions --mute-audio \
	    --user-data-dir="$PROFILE" --window-size=1200,2000 \
	    $1 "file://$(cd "$(dirname "$2")" && pwd)/$(basename "$2")" \
	    >"$3.log" 2>&1
}

# case NAME CAPTURE "OPTIONS" "IDS" "STEP|STEP|..."
check_case() {
	name=$1 cap=$2 opts=$3 ids=$4 steps=$5
	html=$OUT/$name.html png=$OUT/$name.png dom=$OUT/$name.dom

	# shellcheck disable=SC2086
	"$DATRACE" -f html -o "$html" $opts "$SCEN/$cap"
	st=$?
	if [ "$st" -ge 2 ] || [ ! -s "$html" ]; then
		fail "$name: datrace -f html exited $st (no HTML writer?)"
		return
	fi
	browse "--screenshot=$png" "$html" "$OUT/$name.shot"
	if [ ! -s "$png" ]; then
		fail "$name: no screenshot (see below)"
		tail -5 "$OUT/$name.shot.log" >&2
		return
	fi
	size=$(wc -c <"$png" | tr -d ' ')
	if [ "$size" -lt "$MIN_PNG" ]; then
		fail "$name: screenshot is $size bytes: blank page?"
	fi
	if command -v python3 >/dev/null 2>&1; then
		# optional: distinct colours in a sample of the PNG
		colours=$(python3 - "$png" <<'EOF' 2>/dev/null
import struct, sys, zlib
d = open(sys.argv[1], 'rb').read()
i, idat = 8, b''
while i < len(d):
    n, t = struct.unpack('>I4s', d[i:i + 8])
    if t == b'IHDR':
        w, h, bd, ct = struct.unpack('>IIBB', d[i + 8:i + 18])
    if t == b'IDAT':
        idat += d[i + 8:i + 8 + n]
    i += 12 + n
raw = zlib.decompress(idat)
bpp = {2: 3, 6: 4}[ct]
# unfiltered bytes are enough to tell one colour from many
print(len(set(raw[k:k + bpp] for k in range(0, len(raw), 97))))
EOF
)
		if [ -n "$colours" ] && [ "$colours" -lt 50 ]; then
			fail "$name: screenshot has only $colours distinct samples"
		fi
	fi
	browse "--dump-dom" "$html" "$dom"
	mv "$dom.log" "$dom"
	grep -q '</html>' "$dom" || { fail "$name: no DOM dump"; return; }
	grep -q '<script' "$dom" && fail "$name: a script element in the DOM"
	grep -q '<svg' "$dom" || fail "$name: no ladder (svg) in the DOM"
	for id in $ids; do
		grep -q "class=\"vid\">$id<" "$dom" ||
		    fail "$name: verdict $id not in the DOM"
		grep -q "fill=\"#fff\">$id</text>" "$dom" ||
		    fail "$name: verdict $id not marked on the ladder"
	done
	echo "$steps" | tr '|' '\n' | while IFS= read -r step; do
		grep -qF ">$step</text>" "$dom" ||
		    { echo "test_browser: FAIL: $name: ladder step" \
		    "'$step' not in the DOM" >&2; echo x >>"$OUT/stepfail"; }
	done
	[ -f "$OUT/stepfail" ] && { fails=$((fails + 1)); rm -f "$OUT/stepfail"; }
	echo "test_browser: $name: screenshot $size bytes${colours:+, $colours colours}, DOM checked"
}

check_case null-absent null-absent-alert-openssl.pcap \
    "--host da.corp.example" "null-cipher-absent" \
    "SYN|SYN-ACK|ClientHello TLS 1.2|Alert fatal handshake_failure (40)|FIN"
check_case ssl-inspection ssl-inspection-fortinet.pcap \
    "--host da.corp.example --ca $CA" \
    "ssl-inspection encrypted-cipher-negotiated" \
    "ClientHello TLS 1.2|ServerHello TLS 1.2|Certificate (2 certificates)|Alert fatal unknown_ca (48)|RST"
check_case client-cert client-cert-missing-openssl.pcap \
    "--host da.corp.example --ca $CA" "client-cert-missing" \
    "CertificateRequest|Certificate (empty)|Alert fatal handshake_failure (40)"

# a blank page, to show the threshold means something
printf '<!DOCTYPE html><title>blank</title>' >"$OUT/blank.html"
browse "--screenshot=$OUT/blank.png" "$OUT/blank.html" "$OUT/blank"
if [ -s "$OUT/blank.png" ]; then
	blank=$(wc -c <"$OUT/blank.png" | tr -d ' ')
	[ "$blank" -ge "$MIN_PNG" ] &&
	    fail "a blank page gives $blank bytes, not under $MIN_PNG"
	echo "test_browser: blank page: screenshot $blank bytes"
fi

if [ "$fails" -ne 0 ]; then
	echo "test_browser: $fails failure(s)" >&2
	exit 1
fi
echo "test_browser: ok"
