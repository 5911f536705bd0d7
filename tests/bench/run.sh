#!/bin/sh
# make bench: generate captures of a day at a DirectAccess server (about
# 100 MB and BENCH_LARGE_MB, default 2048 MiB; not committed), then time
# datrace against the libpcap read floor (and tshark on the small one when
# installed), check datrace's answers against the generator's manifest, and
# print a table. CPU = user + system seconds; medians of BENCH_RUNS runs;
# packets/s counts every record of the file. The last line estimates what
# one kept connection costs from the growth of peak RSS between the two
# captures. BENCH_LARGE_MB=0 runs the small capture only.
set -eu
BUILD=${BUILD:-build}
RUNS=${BENCH_RUNS:-3}
LARGE_MB=${BENCH_LARGE_MB:-2048}
OUT=${BENCH_OUT:-tests/bench/out}
CC=${CC:-cc}
mkdir -p "$OUT" "$BUILD/bench"
[ -x /usr/bin/time ] || { echo "bench: needs /usr/bin/time: apt-get install time" >&2; exit 2; }

pc="pkg-config --cflags --libs"
$CC -O2 -o "$BUILD/bench/gen" tests/bench/gen.c $($pc libpcap)
$CC -O2 -o "$BUILD/bench/floor" tests/bench/floor.c $($pc libpcap)
$CC -O2 -o "$BUILD/bench/check" tests/bench/check.c $($pc jansson)

# Templates: real handshakes from testdata/scenarios (see testdata/README.md).
S=testdata/scenarios
T=""
for kv in ok-null=ok-null-openssl.pcap ok-aes=enc-aes-openssl.pcap \
    certreq-empty=client-cert-missing-openssl.pcap fail-nonull=no-common-cipher-openssl.pcap \
    fail-null=null-absent-alert-openssl.pcap; do
	f=$S/${kv#*=}
	[ -f "$f" ] && T="$T ${kv%%=*}=$f"
done
[ -n "$T" ] || { echo "bench: no template captures in $S" >&2; exit 2; }

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# measure LABEL CMD... -> prints "cpu wall rss" medians
measure() {
	label=$1
	shift
	: >"$OUT/m.$label"
	i=0
	while [ $i -lt "$RUNS" ]; do
		/usr/bin/time -f '%U %S %e %M' -o "$OUT/t" "$@" >/dev/null 2>"$OUT/err" || true
		tail -n 1 "$OUT/t" | awk '{printf "%.2f %.2f %d\n", $1 + $2, $3, $4}' >>"$OUT/m.$label"
		i=$((i + 1))
	done
	cpu=$(awk '{print $1}' "$OUT/m.$label" | median)
	wall=$(awk '{print $2}' "$OUT/m.$label" | median)
	rss=$(awk '{print $3}' "$OUT/m.$label" | median)
	echo "$cpu $wall $rss"
}

row() {
	printf '%-8s %-8s %6s %9s %7s %7s %9s %10s %9s %8s\n' "$@"
}

# rate AMOUNT SECONDS -> amount per second, 0 decimals
rate() {
	awk "BEGIN {printf \"%.0f\", $1 / ($2 > 0 ? $2 : 0.01)}"
}

status=0
printf '\nmachine: %s, %s cores, %s; medians of %s runs\n' "$(uname -m)" "$(nproc)" \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" "$RUNS"
row capture tool "MB" "packets" "CPU s" "wall s" "MB/s CPU" "pkt/s CPU" "MB/s wall" "RSS MiB"
small_rss=0
small_conns=0
for size in 100 $( [ "$LARGE_MB" -gt 0 ] && echo "$LARGE_MB"); do
	f=$OUT/day-$size.pcap
	conns=$((size * 10))
	if [ ! -f "$f" ] || [ ! -f "$OUT/day-$size.tsv" ] ||
	    [ tests/bench/gen.c -nt "$OUT/day-$size.tsv" ]; then
		"$BUILD/bench/gen" -o "$f" -m "$OUT/day-$size.tsv" -s $((size * 1048576)) \
		    -c $conns -S 7 $T
	fi
	mb=$(( $(wc -c <"$f") / 1048576 ))
	pkts=$("$BUILD/bench/floor" "$f" | awk '{print $1}')
	nconns=$(grep -vc '^#' "$OUT/day-$size.tsv")
	set -- $(measure floor "$BUILD/bench/floor" "$f")
	floor_cpu=$1
	floor_wall=$2
	row "$size" floor "$mb" "$pkts" "$1" "$2" "$(rate $mb $1)" "$(rate $pkts $1)" \
	    "$(rate $mb $2)" $(($3 / 1024))
	set -- $(measure datrace "$BUILD/datrace" --all -q "$f")
	dt_cpu=$1
	dt_rss=$3
	row "$size" datrace "$mb" "$pkts" "$1" "$2" "$(rate $mb $1)" "$(rate $pkts $1)" \
	    "$(rate $mb $2)" $(($3 / 1024))
	printf '%-8s ratio datrace/floor: CPU throughput %s, wall throughput %s; %s connections\n' \
	    "$size" \
	    "$(awk "BEGIN {printf \"%.2f\", $floor_cpu / ($dt_cpu > 0 ? $dt_cpu : 0.01)}")" \
	    "$(awk "BEGIN {printf \"%.2f\", $floor_wall / ($2 > 0 ? $2 : 0.01)}")" "$nconns"
	if [ "$size" = 100 ] && command -v tshark >/dev/null 2>&1; then
		runs=$RUNS
		RUNS=1
		set -- $(measure tshark tshark -r "$f" -Y 'tls.handshake.type==1 || tls.alert_message' -T fields -e frame.number)
		RUNS=$runs
		row "$size" tshark "$mb" "$pkts" "$1" "$2" "$(rate $mb $1)" "$(rate $pkts $1)" \
		    "$(rate $mb $2)" $(($3 / 1024))
	fi
	"$BUILD/datrace" --all -f json -o "$OUT/day-$size.json" "$f" || true
	if "$BUILD/bench/check" "$OUT/day-$size.tsv" "$OUT/day-$size.json" >"$OUT/check"; then
		printf '%-8s answers: %s\n' "$size" "$(cat "$OUT/check")"
	else
		printf '%-8s ANSWERS WRONG: %s\n' "$size" "$(cat "$OUT/check")"
		status=1
	fi
	rm -f "$OUT/day-$size.json"
	if [ "$small_conns" -gt 0 ] && [ "$nconns" -gt "$small_conns" ]; then
		printf 'memory per connection kept (peak RSS growth / connections): %s bytes\n' \
		    "$(awk "BEGIN {printf \"%.0f\", ($dt_rss - $small_rss) * 1024 / ($nconns - $small_conns)}")"
	fi
	small_rss=$dt_rss
	small_conns=$nconns
done
exit $status
