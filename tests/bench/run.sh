#!/bin/sh
# make bench: generate captures of a day at a DirectAccess server
# (tests/bench/gen.c; not committed), time what users run against the
# libpcap read floor and tshark, check datrace's answers against the
# generator's manifest, check that cost scales linearly, and print a table.
#
#   BENCH_PROFILE   day (default: the realistic profile, 2,000 IP-HTTPS
#                   connections among ~8,000 others per 100 MB, DNS, CRL
#                   fetches, 1,200 flows open at once) or uniform (the first
#                   benchmark: 10 TCP/443 connections per MB)
#   BENCH_CLOCK     day (default: the day profile spans half an hour of
#                   capture time per 100 MiB, tunnels open all along,
#                   connections that end, idle timeouts and tombstones at
#                   work; tests/bench/gen.c) or compressed (the day
#                   profile's first clock: 100 MB in 9 s of capture time;
#                   its captures are named day-compressed-SIZE)
#   BENCH_LARGE_MB  the large capture, default 2048; 0 skips it
#   BENCH_RUNS      runs per figure (medians), default 3
#   BENCH_CHECK_LARGE  1: check the large capture's answers too (the
#                   checker holds its whole JSON document: ~5x its size)
#   BENCH_STATE     the RSS the scaling check allows per connection added
#                   on top of 1.3x the peak RSS, bytes; default 1200
#                   (RSS grew 1,005 B per connection added from the day's
#                   1x to 4x at 97ee25e, 1,134 at 2fabb6b; 2,250 at
#                   265ab83, when the
#                   default was 2200)
#   BENCH_OTHER_PEAK_MIB  the peak RSS the large capture may take under
#                   the other options users pass (--all, --redact,
#                   --export); default 64, the four formats' bound
#   BENCH_KEPT      the stated per-connection state kept to the end of a
#                   capture, bytes: the check fails when bench-state
#                   measures more; default 1000, what bench-state measured
#                   at 97ee25e (951 on the day profile, 960 on
#                   bench-data's day; 1,061 at 2fabb6b, before 16-byte
#                   timeline events, 232-byte connections and ClientHellos
#                   kept once per distinct value; 1,644 before issue 15's
#                   smaller structs; 2,321 before its interning, shared
#                   chains and packed lists)
#
# CPU = user + system seconds (tests/bench/cpu.c, to the microsecond);
# medians of BENCH_RUNS runs (five at least for the scaling check; one
# for the rows of other options); packets/s counts every record of the
# file. Exit 1 when an answer is wrong, the scaling check fails, -j 1
# and the default -j (one capture on two cores) write different JSON, or
# another option's peak RSS on the large capture passes OTHER_PEAK.
set -eu
BUILD=${BUILD:-build}
RUNS=${BENCH_RUNS:-3}
PROFILE=${BENCH_PROFILE:-day}
CLOCK=${BENCH_CLOCK:-day}
LARGE_MB=${BENCH_LARGE_MB:-2048}
STATE=${BENCH_STATE:-1200}
KEPT=${BENCH_KEPT:-1000}
OTHER_PEAK=${BENCH_OTHER_PEAK_MIB:-64}
OUT=${BENCH_OUT:-tests/bench/out}
CC=${CC:-cc}
HOST=da.corp.example
# NAME: the captures' prefix; SPAN: gen's -T option
NAME=$PROFILE SPAN=
if [ "$PROFILE" = day ] && [ "$CLOCK" = compressed ]; then
	NAME=day-compressed SPAN="-T 0"
elif [ "$CLOCK" != day ]; then
	echo "bench: BENCH_CLOCK is day or compressed" >&2
	exit 2
fi
mkdir -p "$OUT" "$BUILD/bench"

pc="pkg-config --cflags --libs"
$CC -O2 -o "$BUILD/bench/gen" tests/bench/gen.c $($pc libpcap)
$CC -O2 -o "$BUILD/bench/cpu" tests/bench/cpu.c
$CC -O2 -o "$BUILD/bench/touch" tests/bench/touch.c
$CC -O2 -o "$BUILD/bench/floor" tests/bench/floor.c $($pc libpcap)
$CC -O2 -o "$BUILD/bench/check" tests/bench/check.c $($pc jansson)
$CC -O2 -Iinclude -o "$BUILD/bench/state" tests/bench/state.c -L"$BUILD" -ldatrace \
    -Wl,-rpath,"$(cd "$BUILD" && pwd)"

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

# measure LABEL CMD... -> prints "cpu wall rss(KiB)" medians
measure() {
	label=$1
	shift
	: >"$OUT/m.$label"
	i=0
	while [ $i -lt "$RUNS" ]; do
		"$BUILD/bench/cpu" "$OUT/t" "$@" >/dev/null 2>"$OUT/err" || true
		cat "$OUT/t" >>"$OUT/m.$label"
		i=$((i + 1))
	done
	cpu=$(awk '{print $1}' "$OUT/m.$label" | median)
	wall=$(awk '{print $2}' "$OUT/m.$label" | median)
	rss=$(awk '{print $3}' "$OUT/m.$label" | median)
	printf '%.3f %.3f %s\n' "$cpu" "$wall" "$rss"
}

row() {
	printf '%-8s %-16s %6s %9s %7s %7s %9s %10s %9s %8s\n' "$@"
}

# rate AMOUNT SECONDS -> amount per second, 0 decimals
rate() {
	awk "BEGIN {printf \"%.0f\", $1 / ($2 > 0 ? $2 : 0.01)}"
}

# ratio A B -> A / B, 2 decimals
ratio() {
	awk "BEGIN {printf \"%.2f\", $1 / ($2 > 0 ? $2 : 0.01)}"
}

# gen SIZE_MB [extra gen options] -> $OUT/$NAME-SIZE.pcap and .tsv
gen() {
	size=$1
	shift
	f=$OUT/$NAME-$size.pcap
	if [ "$PROFILE" = day ]; then
		conns=$((size * 20))
	else
		conns=$((size * 10))
	fi
	if [ ! -f "$f" ] || [ ! -f "$OUT/$NAME-$size.tsv" ] ||
	    [ tests/bench/gen.c -nt "$OUT/$NAME-$size.tsv" ]; then
		"$BUILD/bench/gen" -P "$PROFILE" -o "$f" -m "$OUT/$NAME-$size.tsv" \
		    -s $((size * 1048576)) -c $conns -S 7 $SPAN "$@" $T
	fi
}

# check SIZE: datrace --host -f json against the manifest, with a memory
# cap that keeps every connection (what the default cap drops shows in the
# table as exit 3)
check() {
	f=$OUT/$NAME-$1.pcap
	"$BUILD/datrace" --host $HOST --memory-cap 4G -f json -o "$OUT/$NAME-$1.json" "$f" || true
	if "$BUILD/bench/check" "$OUT/$NAME-$1.tsv" "$OUT/$NAME-$1.json" >"$OUT/check"; then
		printf '%-8s answers: %s\n' "$1" "$(cat "$OUT/check")"
	else
		printf '%-8s ANSWERS WRONG: %s\n' "$1" "$(cat "$OUT/check")"
		status=1
	fi
	# one core and two (written behind): the same bytes
	"$BUILD/datrace" -j 1 --host $HOST --memory-cap 4G -f json \
	    -o "$OUT/$NAME-$1.j1.json" "$f" || true
	if cmp -s "$OUT/$NAME-$1.json" "$OUT/$NAME-$1.j1.json"; then
		printf '%-8s -j 1 and -j %s: the same JSON\n' "$1" "$(nproc)"
	else
		printf '%-8s -j 1 and -j %s: JSON DIFFERS\n' "$1" "$(nproc)"
		status=1
	fi
	rm -f "$OUT/$NAME-$1.json" "$OUT/$NAME-$1.j1.json"
}

# tcp_conns SIZE -> connections datrace lists (TLS and TCP) per the manifest
tcp_conns() {
	grep -c '^tls\|^http\|^tcp' "$OUT/$NAME-$1.tsv" || true
}

status=0
printf '\nprofile %s, clock %s; machine: %s, %s cores, %s; medians of %s runs\n' "$PROFILE" "$CLOCK" \
    "$(uname -m)" "$(nproc)" \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" "$RUNS"
row capture tool "MB" "packets" "CPU s" "wall s" "MB/s CPU" "pkt/s CPU" "MB/s wall" "RSS MiB"
for size in 100 $( [ "$LARGE_MB" -gt 0 ] && echo "$LARGE_MB"); do
	gen "$size"
	f=$OUT/$NAME-$size.pcap
	mb=$(( $(wc -c <"$f") / 1048576 ))
	pkts=$("$BUILD/bench/floor" "$f" | awk '{print $1}')
	set -- $(measure floor "$BUILD/bench/floor" "$f")
	floor_cpu=$1 floor_wall=$2
	row "$size" floor "$mb" "$pkts" "$1" "$2" "$(rate $mb $1)" "$(rate $pkts $1)" \
	    "$(rate $mb $2)" $(($3 / 1024))
	# One run discarded first: on a VM whose balloon hands freed memory
	# back to the host (see bench-touch below), the first runs after
	# the generator pay for memory the host faults in again, 0.05 s on
	# 100 MB, and that fell on whichever format came first (json read
	# 0.135 s, jsonl after it 0.078 s).
	"$BUILD/bench/cpu" "$OUT/t" "$BUILD/datrace" --host $HOST -f json "$f" \
	    >/dev/null 2>&1 || true
	json_cpu=
	for fmt in json jsonl html text; do
		set -- $(measure "$fmt" "$BUILD/datrace" --host $HOST -f $fmt "$f")
		[ -n "$json_cpu" ] || { json_cpu=$1; json_wall=$2; }
		row "$size" "--host -f $fmt" "$mb" "$pkts" "$1" "$2" "$(rate $mb $1)" \
		    "$(rate $pkts $1)" "$(rate $mb $2)" $(($3 / 1024))
	done
	set -- $(measure quiet "$BUILD/datrace" --host $HOST -q "$f")
	row "$size" "--host -q" "$mb" "$pkts" "$1" "$2" "$(rate $mb $1)" "$(rate $pkts $1)" \
	    "$(rate $mb $2)" $(($3 / 1024))
	# one core: no thread reads ahead, makes spill pages or writes
	# behind (-j 1), the least CPU; the rows above use the default -j
	set -- $(measure json1 "$BUILD/datrace" -j 1 --host $HOST -f json "$f")
	json1_cpu=$1
	row "$size" "-j 1 -f json" "$mb" "$pkts" "$1" "$2" "$(rate $mb $1)" \
	    "$(rate $pkts $1)" "$(rate $mb $2)" $(($3 / 1024))
	# What else users pass, one run each: every TLS connection judged
	# (--all) in the customer's page, the document and the terminal; a
	# redacted report; the capture for Wireshark with its evidence. On
	# the large capture each peak is held to OTHER_PEAK MiB, the four
	# formats' bound: these options took the 2 GiB day to 172-295 MiB
	# before this check (tests/bench/RESULTS.md, eleventh round), 54-61
	# after it.
	runs=$RUNS
	RUNS=1
	for o in "--all -f html" "--all -f json" "--all" "--redact -f json" \
	    "--export -q"; do
		case $o in
		--export*) args="--export $OUT/export.pcapng -q" ;;
		*) args=$o ;;
		esac
		# shellcheck disable=SC2086
		set -- $(measure other "$BUILD/datrace" $args "$f")
		mib_peak=$(($3 / 1024))
		row "$size" "$o" "$mb" "$pkts" "$1" "$2" "$(rate $mb $1)" \
		    "$(rate $pkts $1)" "$(rate $mb $2)" "$mib_peak"
		if [ "$size" = "$LARGE_MB" ] &&
		    [ "$mib_peak" -gt "$OTHER_PEAK" ]; then
			printf '%-8s %s: peak %s MiB, OVER %s MiB\n' "$size" "$o" \
			    "$mib_peak" "$OTHER_PEAK"
			status=1
		fi
	done
	rm -f "$OUT/export.pcapng"
	RUNS=$runs
	printf '%-8s datrace --host -f json / floor, CPU throughput: %s (-j 1: %s); wall throughput: %s; %s connections\n' \
	    "$size" "$(ratio "$floor_cpu" "$json_cpu")" "$(ratio "$floor_cpu" "$json1_cpu")" \
	    "$(ratio "$floor_wall" "$json_wall")" "$(tcp_conns "$size")"
	if [ "$size" = 100 ] && command -v tshark >/dev/null 2>&1; then
		runs=$RUNS
		RUNS=1
		set -- $(measure tshark tshark -r "$f" -Y 'tls.handshake.type==1 || tls.alert_message' -T fields -e frame.number)
		RUNS=$runs
		row "$size" tshark "$mb" "$pkts" "$1" "$2" "$(rate $mb $1)" "$(rate $pkts $1)" \
		    "$(rate $mb $2)" $(($3 / 1024))
		printf '%-8s datrace --host -f json / tshark, CPU throughput: %s (-j 1: %s); wall: %s\n' \
		    "$size" "$(ratio "$1" "$json_cpu")" "$(ratio "$1" "$json1_cpu")" \
		    "$(ratio "$2" "$json_wall")"
	fi
	if [ "$size" -le 400 ] || [ "${BENCH_CHECK_LARGE:-0}" = 1 ]; then
		check "$size"
	fi
done

# Scaling: the same profile at 1x and 4x (100 and 400 MB) with --host -f
# json: at most 4.6x the CPU, and at most 1.3x the peak RSS plus the stated
# per-connection state for the connections the larger capture adds.
# Since the CLI spills kept facts past 1 MiB by default (issue 15,
# 2026-12-07), the RSS measured here no longer grows with the kept state
# (the 2 GiB day peaks at ~61 MiB, the 100 MB day at ~22): this check
# bounds the heap's growth only for --no-spill runs; the stated state is
# still checked by bench-state (BENCH_KEPT), which counts spilled bytes.
gen 400
# The two sizes run in turn, 1x then 4x, and the CPU ratio is the median
# of each pair's: this VM's speed drifts over a minute, and two medians
# taken one after the other once read 4.68 where pairs read 3.7-4.3.
n=$RUNS
[ "$n" -ge 7 ] || n=7
: >"$OUT/m.s1"
: >"$OUT/m.s4"
: >"$OUT/m.sr"
i=0
while [ $i -lt "$n" ]; do
	"$BUILD/bench/cpu" "$OUT/t" "$BUILD/datrace" --host $HOST -f json \
	    "$OUT/$NAME-100.pcap" >/dev/null 2>"$OUT/err" || true
	cat "$OUT/t" >>"$OUT/m.s1"
	a=$(awk '{print $1}' "$OUT/t")
	"$BUILD/bench/cpu" "$OUT/t" "$BUILD/datrace" --host $HOST -f json \
	    "$OUT/$NAME-400.pcap" >/dev/null 2>"$OUT/err" || true
	cat "$OUT/t" >>"$OUT/m.s4"
	awk -v a="$a" '{printf "%.4f\n", $1 / (a > 0 ? a : 0.01)}' "$OUT/t" \
	    >>"$OUT/m.sr"
	i=$((i + 1))
done
cpu1=$(awk '{print $1}' "$OUT/m.s1" | median)
rss1=$(awk '{print $3}' "$OUT/m.s1" | median)
cpu4=$(awk '{print $1}' "$OUT/m.s4" | median)
rss4=$(awk '{print $3}' "$OUT/m.s4" | median)
cpu_x=$(median <"$OUT/m.sr")
c1=$(tcp_conns 100)
c4=$(tcp_conns 400)
# what the library keeps to the end, counted by its allocator: the
# stated figure must hold (measured growth per connection <= BENCH_KEPT)
set -- $("$BUILD/bench/state" $HOST "$OUT/$NAME-100.pcap" "$OUT/$NAME-400.pcap" | tr '\n' ' ')
kept=$(awk "BEGIN {printf \"%.0f\", ($5 - $1) / ($7 - $3)}")
printf 'state kept to the end of the capture (live bytes after judging): %s MiB for %s connections and %s DNS answers at 1x, %s MiB for %s and %s at 4x: %s bytes per connection added (stated: %s); peak live %s -> %s MiB: %s bytes per connection added (the rules'"'"' indexes included)\n' \
    $(($1 / 1048576)) "$3" "$4" $(($5 / 1048576)) "$7" "$8" "$kept" "$KEPT" \
    $(($2 / 1048576)) $(($6 / 1048576)) "$(awk "BEGIN {printf \"%.0f\", ($6 - $2) / ($7 - $3)}")"
allowed=$(awk "BEGIN {printf \"%d\", 1.3 * $rss1 + $STATE * ($c4 - $c1) / 1024}")
ok=$(awk "BEGIN {print ($cpu_x <= 4.6 && $rss4 <= $allowed && $kept <= $KEPT) ? \"met\" : \"NOT MET\"}")
mib() {
	awk "BEGIN {printf \"%.1f\", $1 / 1024}"
}
printf 'scaling 1x -> 4x (--host -f json): CPU %s s -> %s s, %sx in pairs (<= 4.6x); peak RSS %s -> %s MiB (<= %s MiB = 1.3x + %s B x %s connections); growth %s B per connection; state %s B per connection (<= %s): %s\n' \
    "$(printf '%.3f' "$cpu1")" "$(printf '%.3f' "$cpu4")" "$(printf '%.2f' "$cpu_x")" "$(mib "$rss1")" "$(mib "$rss4")" \
    "$(mib "$allowed")" "$STATE" $((c4 - c1)) \
    "$(awk "BEGIN {printf \"%.0f\", ($rss4 - $rss1) * 1024 / ($c4 - $c1)}")" \
    "$kept" "$KEPT" "$ok"
[ "$ok" = met ] || status=1
check 400

# The index case: 5,000 connections, about 50,000 DNS answers (a name
# lookup per connection and answer would be 250 million comparisons).
if [ "$PROFILE" = day ]; then
	f=$OUT/$NAME-dns-heavy.pcap
	if [ ! -f "$f" ] || [ tests/bench/gen.c -nt "$f" ]; then
		"$BUILD/bench/gen" -P day -o "$f" -m "$OUT/$NAME-dns-heavy.tsv" -s $((20 * 1048576)) \
		    -c 1250 -d 9 -S 7 $SPAN $T
	fi
	set -- $(measure dns "$BUILD/datrace" --host $HOST -q "$f")
	q_cpu=$1
	set -- $(measure dns "$BUILD/datrace" --host $HOST -f json "$f")
	printf 'index case: %s connections, %s DNS answers: datrace --host -q %s s CPU, --host -f json %s s CPU, %s MiB\n' \
	    "$(grep -c '^tls\|^http\|^tcp' "$OUT/$NAME-dns-heavy.tsv")" "$(grep -c '^dns' "$OUT/$NAME-dns-heavy.tsv")" \
	    "$q_cpu" "$1" $(($3 / 1024))
fi
# New memory's price on this machine (tests/bench/touch.c), last: the
# pause it needs would leave the next run's memory cold. On a VM that
# hands freed memory back to its host that price dominates the system
# time the kept facts add on the large capture, and it swings from run
# to run.
sleep 5
cold=$("$BUILD/bench/touch" 160)
printf 'new memory: %s ms/MiB of system time after a 5 s pause, %s at once after (bench-touch 160)\n' \
    "$cold" "$("$BUILD/bench/touch" 160)"
exit $status
