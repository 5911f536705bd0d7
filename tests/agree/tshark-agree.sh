#!/bin/sh
# Agreement with Wireshark: compare datrace's TLS facts (handshake message
# ladder with frame numbers, chosen and offered cipher suites, alerts, server
# certificate subjects) with what tshark dissects, for every capture in
# testdata/ and ../shared/corpus/ (when present).  Developer script, not run
# by CI; needs tshark (4.0) and python3.  Method and latest result:
# tests/agree/README.md.
#
# usage: tests/agree/tshark-agree.sh [CAPTURE...]   (from the top of the tree)
#   DATRACE=path/to/datrace (default build-agree/datrace, built if missing)
set -eu

cd "$(dirname "$0")/../.."
DATRACE=${DATRACE:-build-agree/datrace}
TSHARK=${TSHARK:-tshark}

command -v "$TSHARK" >/dev/null 2>&1 || { echo "tshark not found" >&2; exit 2; }
command -v python3 >/dev/null 2>&1 || { echo "python3 not found" >&2; exit 2; }
if [ ! -x "$DATRACE" ]; then
	if [ "$DATRACE" = build-agree/datrace ]; then
		make -s BUILD=build-agree build-agree/datrace >&2
	else
		echo "$DATRACE not found" >&2; exit 2
	fi
fi

if [ $# -eq 0 ]; then
	set -- $( { find testdata -type f \( -name '*.pcap' -o -name '*.pcapng' \)
		if [ -d ../shared/corpus ]; then
			find ../shared/corpus -type f \
			    \( -name '*.pcap' -o -name '*.pcapng' \)
		fi; } | LC_ALL=C sort)
fi

exec python3 tests/agree/agree.py --datrace "$DATRACE" --tshark "$TSHARK" "$@"
