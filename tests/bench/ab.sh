#!/bin/sh
# ab.sh A_BUILD B_BUILD: the figures of tests/bench/RESULTS.md. Every
# format on the 2 GiB and 100 MB day captures that `make bench` made
# (BENCH_OUT, default tests/bench/out), each run in pairs with B's build
# by farm-bench (A B A B ...: the ratio is taken pair by pair, so a
# machine whose speed drifts still gives a steady A/B), then `-f json`
# paired with the libpcap read loop (A_BUILD/bench/floor, or B's).
#   sh tests/bench/ab.sh build /path/to/old/build
set -eu
A=$1 B=$2
OUT=${BENCH_OUT:-tests/bench/out}
H="--host da.corp.example"
FLOOR=$A/bench/floor
[ -x "$FLOOR" ] || FLOOR=$B/bench/floor
command -v farm-bench >/dev/null || { echo "ab.sh: needs farm-bench" >&2; exit 2; }
for size in 2048 100; do
	D=$OUT/day-$size.pcap
	[ -f "$D" ] || { echo "ab.sh: no $D (run make bench first)" >&2; exit 2; }
	n=5
	[ "$size" = 100 ] && n=11
	for f in json jsonl html text q; do
		case $f in
		q) o="-q" ;;
		text) o="-o /dev/null" ;;
		*) o="-f $f -o /dev/null" ;;
		esac
		echo "== $size $f"
		farm-bench -n $n --timeout 600 --vs "$B/datrace $H $o $D" -- \
		    $A/datrace $H $o $D 2>&1 |
		    grep -E "cpu s|user s|sys s|peak MiB|A/B cpu|A/B user"
	done
	echo "== $size json vs floor"
	farm-bench -n $n --timeout 600 --vs "$FLOOR $D" -- \
	    $A/datrace $H -f json -o /dev/null $D 2>&1 | grep -E "cpu s|A/B cpu"
done
