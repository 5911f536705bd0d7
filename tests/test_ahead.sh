#!/bin/sh
# Reading ahead (lib/capture/ahead.c, on with -j 2 or more when captures
# go one at a time) changes no output: every testdata capture, a 12 MB
# day of the bench generator (many chunks of the ring, records across
# them), the same under a memory cap that drops connections, the same day
# gzipped (an archive member: the callback runs on the reading thread),
# cut short, and through a pipe give the same bytes
# and exit status with -j 2 as with -j 1, in JSON and in the verbose text;
# and the report written behind by a thread (cli/behind.c) is the same
# into a file, a pipe and a full disk (the same message and status).
# Run from the top of the tree.
set -u
. tests/lib.sh

# same FILE ARGS...: -j 1 and -j 2 write the same bytes, exit the same
same() {
	f=$1
	shift
	"$CLI" -j 1 "$@" "$f" >"$tmp/one" 2>"$tmp/one.err"
	s1=$?
	"$CLI" -j 2 "$@" "$f" >"$tmp/two" 2>"$tmp/two.err"
	s2=$?
	if [ "$s1" != "$s2" ]; then
		bad "$f $*: exit $s1 with -j 1, $s2 with -j 2"
	elif ! cmp -s "$tmp/one" "$tmp/two"; then
		bad "$f $*: output differs between -j 1 and -j 2"
	elif ! cmp -s "$tmp/one.err" "$tmp/two.err"; then
		bad "$f $*: messages differ between -j 1 and -j 2"
	else
		pass=$((pass + 1))
	fi
}

n=0
for f in testdata/scenarios/*.pcap testdata/scenarios/*.pcapng \
    testdata/formats/* testdata/noise/*.pcap* testdata/etw/*.etl; do
	[ -f "$f" ] || continue
	same "$f" --all -f json
	n=$((n + 1))
done
[ "$n" -gt 100 ] || bad "only $n testdata captures found"

# a day of the bench generator: 12 MB, records across the ring's chunks
cc=${CC:-cc}
pc=$(pkg-config --cflags --libs libpcap 2>/dev/null || echo -lpcap)
# shellcheck disable=SC2086
if ! $cc -O2 -o "$tmp/gen" tests/bench/gen.c $pc 2>"$tmp/gen.err"; then
	bad "cannot build tests/bench/gen.c: $(head -n 3 "$tmp/gen.err")"
else
	S=testdata/scenarios
	"$tmp/gen" -P day -o "$tmp/day.pcap" -m "$tmp/day.tsv" \
	    -s $((12 * 1048576)) -c 240 -S 7 \
	    ok-null=$S/ok-null-openssl.pcap ok-aes=$S/enc-aes-openssl.pcap \
	    certreq-empty=$S/client-cert-missing-openssl.pcap \
	    fail-nonull=$S/no-common-cipher-openssl.pcap \
	    fail-null=$S/null-absent-alert-openssl.pcap >/dev/null 2>&1
	host=$(sed -n '1s/.*iphttps name \([^ ]*\).*/\1/p' "$tmp/day.tsv")
	same "$tmp/day.pcap" --host "$host" -f json
	same "$tmp/day.pcap" --host "$host" -v
	same "$tmp/day.pcap" --all -f jsonl
	# under a cap that drops connections: the ring is outside the cap,
	# the same connections go
	same "$tmp/day.pcap" --host "$host" -f json --memory-cap 3M
	grep -q '"analysis-partial"' "$tmp/two" ||
	    bad "--memory-cap 3M dropped nothing: the case tests nothing"
	gzip -c "$tmp/day.pcap" >"$tmp/day.pcap.gz"
	same "$tmp/day.pcap.gz" --host "$host" -f json
	size=$(wc -c <"$tmp/day.pcap")
	head -c $((size - 1000)) "$tmp/day.pcap" >"$tmp/cut.pcap"
	same "$tmp/cut.pcap" --host "$host" -f json
	grep -q '"message": "the file is cut short' "$tmp/two" ||
	    bad "cut.pcap: no error for the file cut short"
	# written behind (cli/behind.c): into a pipe, and into a full disk
	"$CLI" -j 2 --host "$host" -f json "$tmp/day.pcap" | cat >"$tmp/piped"
	"$CLI" -j 1 --host "$host" -f json "$tmp/day.pcap" >"$tmp/one"
	if cmp -s "$tmp/piped" "$tmp/one"; then
		pass=$((pass + 1))
	else
		bad "day.pcap: a report written behind into a pipe differs"
	fi
	for f in "$tmp/day.pcap" testdata/scenarios/ok-null-openssl.pcap; do
		[ -w /dev/full ] || break
		same "$f" --host "$host" -f json -o /dev/full
		grep -qx "datrace: cannot write /dev/full: No space left on device" \
		    "$tmp/two.err" || bad "$f -o /dev/full: $(cat "$tmp/two.err")"
	done
	# /dev/full is no file, so nothing is written behind there. A file
	# that can take no more (its size limit in 512-byte blocks: EFBIG)
	# fails in the thread: at 1 MB, while the writer formats the rest
	# (its next write fails), and one block short of the end, when only
	# the last buffer is left (behind_end() tells it). Either way the
	# message, the status and the bytes written are -j 1's.
	"$CLI" -j 1 --host "$host" -f json "$tmp/day.pcap" >"$tmp/report"
	rsize=$(wc -c <"$tmp/report")
	for lim in 2048 $(((rsize - 1) / 512)); do
		for j in 1 2; do
			rm -f "$tmp/big"
			(trap '' XFSZ; ulimit -f "$lim"; exec "$CLI" -j $j \
			    --host "$host" -f json -o "$tmp/big" "$tmp/day.pcap") \
			    2>"$tmp/big$j.err"
			echo "exit $?" >>"$tmp/big$j.err"
			mv "$tmp/big" "$tmp/big$j"
		done
		head -c $((lim * 512)) "$tmp/report" >"$tmp/head"
		if ! printf 'datrace: cannot write %s: File too large\nexit 2\n' \
		    "$tmp/big" | cmp -s - "$tmp/big2.err"; then
			bad "day.pcap, a file of $lim blocks: $(cat "$tmp/big2.err")"
		elif ! cmp -s "$tmp/big1.err" "$tmp/big2.err"; then
			bad "day.pcap, a file of $lim blocks: -j 1 said" \
			    "$(cat "$tmp/big1.err")"
		elif ! cmp -s "$tmp/big1" "$tmp/head" ||
		    ! cmp -s "$tmp/big2" "$tmp/head"; then
			bad "day.pcap, a file of $lim blocks: not its first bytes"
		else
			pass=$((pass + 1))
		fi
	done
	# several captures at once, each read ahead (a core to spare each)
	"$CLI" -j 1 --host "$host" -f json "$tmp/day.pcap" "$tmp/day.pcap.gz" \
	    >"$tmp/one" 2>&1
	"$CLI" -j 4 --host "$host" -f json "$tmp/day.pcap" "$tmp/day.pcap.gz" \
	    >"$tmp/two" 2>&1
	if cmp -s "$tmp/one" "$tmp/two"; then
		pass=$((pass + 1))
	else
		bad "two captures: -j 4 (each read ahead) differs from -j 1"
	fi
	# a pipe is never read ahead; its output is the file's
	"$CLI" -j 1 --host "$host" -f json "$tmp/day.pcap" |
	    sed 's/"day.pcap"/"-"/; s|"[^"]*/day.pcap"|"-"|' >"$tmp/file.json"
	cat "$tmp/day.pcap" | "$CLI" -j 2 --host "$host" -f json - \
	    >"$tmp/pipe.json"
	if [ "$(grep -c '"frame"' "$tmp/pipe.json")" = \
	    "$(grep -c '"frame"' "$tmp/file.json")" ] &&
	    [ "$(grep -c '"frame"' "$tmp/pipe.json")" -gt 1000 ]; then
		pass=$((pass + 1))
	else
		bad "day.pcap through a pipe: not the file's frames"
	fi
fi

summary ahead
