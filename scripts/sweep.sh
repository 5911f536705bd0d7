#!/bin/sh
# sweep.sh BIN OUTDIR DIR...: every capture under the DIRs (pcap, pcapng,
# cap, trace, etl) through BIN as users run it (--all -f json, -v,
# -f html), each run bounded (120 s); the outputs and exit codes go to
# OUTDIR, and OUTDIR/hits lists every run that crashed, hung, or that a
# sanitizer reported (build BIN with `make asan`'s flags to see those).
# Two sweeps of the same captures with two builds compare with
# `diff -r`: what a change does to captures we did not write.
#
#   sh scripts/sweep.sh build-asan/datrace /tmp/sw ../shared/corpus ~/captures
set -u
[ $# -ge 3 ] || { echo "usage: sweep.sh BIN OUTDIR DIR..." >&2; exit 2; }
BIN=$1 OUT=$2
shift 2
mkdir -p "$OUT"
: >"$OUT/rc"
: >"$OUT/hits"
find "$@" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \
    -o -name '*.trace' -o -name '*.etl' \) | LC_ALL=C sort |
while read -r f; do
	n=$(printf '%s' "$f" | tr '/ ' '__')
	for fmt in json txt html; do
		case $fmt in
		json) set -- --all -f json ;;
		txt) set -- -v ;;
		html) set -- -f html ;;
		esac
		timeout 120 "$BIN" "$@" -o "$OUT/$n.$fmt" "$f" \
		    2>"$OUT/$n.$fmt.err"
		rc=$?
		echo "$n $fmt $rc" >>"$OUT/rc"
		# 0-3 are datrace's own exit codes; 124 a timeout; more a signal
		if [ "$rc" -gt 3 ] || grep -q 'Sanitizer\|runtime error' \
		    "$OUT/$n.$fmt.err"; then
			echo "$f [$fmt] exit $rc" >>"$OUT/hits"
		fi
	done
done
echo "sweep.sh: $(wc -l <"$OUT/rc") runs, $(wc -l <"$OUT/hits") hits (see $OUT/hits)"
[ ! -s "$OUT/hits" ]
