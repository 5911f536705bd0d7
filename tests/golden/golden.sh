#!/bin/sh
# Golden outputs: datrace's JSON, verbose text and HTML for every testdata
# capture, compared with the copies committed under tests/golden/out/.
# Refactors must leave them byte-for-byte unchanged; a change that means to
# alter the output regenerates them (`sh tests/golden/golden.sh update`) and
# the diff of the commit shows exactly what users will see differently.
#
# The cases: every line of testdata/scenarios/expected.tsv (capture + its
# options), then every other capture under testdata/ with no options.
# Run from the top of the tree.  Usage: golden.sh [check|update]
set -u
BUILD=${BUILD:-build}
CLI=$BUILD/datrace
mode=${1:-check}
out=tests/golden/out
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Redacted with a fixed key (testdata/redact.key): the pseudonyms of
# addresses (Crypto-PAn, IPv4 and IPv6, kept ranges), names, certificate
# strings, URLs and DNS answers are part of what users compare from one
# run to the next, so they are pinned too.
REDACT="--redact --redact-key testdata/redact.key"

cases() {
	grep -v '^#' testdata/scenarios/expected.tsv | awk -F'\t' '{ print "testdata/scenarios/" $1 "\t" $2 }'
	for c in ok-null-openssl.pcap crl-http404-v6.pcapng \
	    server-cert-untrusted-gnutls-v6.pcapng dns-empty-aaaa-v6.pcapng \
	    client-cert-rejected-openssl.pcap; do
		printf 'testdata/scenarios/%s\t%s --all\n' "$c" "$REDACT"
	done
	printf 'testdata/noise/browser.pcapng\t%s --all\n' "$REDACT"
	find testdata -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.etl' \) \
	    ! -path 'testdata/scenarios/*' | LC_ALL=C sort | awk '{ print $0 "\t" }'
}

n=0
fail=0
: >"$tmp/names"
cases | while IFS='	' read -r cap opts; do
	n=$((n + 1))
	key=$(printf '%s %s' "$cap" "$opts" | sed 's|^testdata/||; s|[^A-Za-z0-9.-]|_|g' | cut -c1-120)
	echo "$key" >>"$tmp/names"
	for f in json text html; do
		case $f in
		json) args="-f json" ;;
		text) args="-v --no-progress" ;;
		html) args="-f html" ;;
		esac
		# shellcheck disable=SC2086
		"$CLI" $args $opts "$cap" >"$tmp/$key.$f" 2>"$tmp/$key.$f.err"
		echo "exit $?" >>"$tmp/$key.$f"
		cat "$tmp/$key.$f.err" >>"$tmp/$key.$f"
		if [ "$mode" = update ]; then
			mkdir -p "$out"
			cp "$tmp/$key.$f" "$out/$key.$f"
		elif ! cmp -s "$tmp/$key.$f" "$out/$key.$f"; then
			echo "golden: $cap ($opts) -f $f differs:"
			diff -u "$out/$key.$f" "$tmp/$key.$f" 2>&1 | head -40
			echo x >>"$tmp/failed"
		fi
	done
done
if [ "$mode" = update ]; then
	# drop outputs of cases that no longer exist
	for g in "$out"/*; do
		b=$(basename "$g"); b=${b%.*}
		grep -qxF "$b" "$tmp/names" || rm -f "$g"
	done
	echo "golden: updated $(wc -l <"$tmp/names") cases"
	exit 0
fi
if [ -s "$tmp/failed" ]; then
	echo "golden: $(wc -l <"$tmp/failed") outputs differ; if intended: sh tests/golden/golden.sh update"
	exit 1
fi
echo "golden: $(wc -l <"$tmp/names") cases x 3 formats unchanged"
