#!/bin/sh
# The load figure of datrace serve, for farm-bench:
#   farm-bench -n 3 --timeout 900 -- sh tests/bench/serve_load.sh
# starts a server on a free loopback port (--jobs = cores), uploads N
# captures of testdata/scenarios at once with curl (default 50), waits until
# every analysis is done, prints "N uploads, K x 201, D done, server peak RSS
# X kB" and stops the server with SIGTERM. Its wall time is upload to the
# last report; farm-bench's peak is the largest process (the server or an
# analysis). Run from the top of the tree; BUILD= picks the build folder.
set -u
BUILD=${BUILD:-build}
N=${N:-50}
T=$(mktemp -d "${TMPDIR:-/tmp}/datrace-serve-load.XXXXXX")
trap 'rm -rf "$T"' EXIT
"$BUILD/datrace-serve" --listen 127.0.0.1:0 --data "$T/data" 2>"$T/log" &
pid=$!
port=""
while [ -z "$port" ]; do
	sleep 0.05
	port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$T/log")
	kill -0 $pid 2>/dev/null || { cat "$T/log"; exit 1; }
done
ls testdata/scenarios/*.pcap testdata/scenarios/*.pcapng | head -"$N" >"$T/caps"
k=0
while read -r f; do
	k=$((k + 1))
	curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/octet-stream' \
	    -H "X-Filename: load-$k-$(basename "$f")" --data-binary @"$f" \
	    "http://127.0.0.1:$port/api/v1/analyses?host=da.corp.example" >"$T/code.$k" &
done <"$T/caps"
wait_for() {	# wait_for COUNT PATTERN FILES
	while [ "$(cat $3 2>/dev/null | grep -c "$2")" -lt "$1" ]; do sleep 0.05; done
}
wait_for "$k" '^[0-9]' "$T/code.*"
created=$(cat "$T"/code.* | grep -c '^201$')
while [ "$(grep -Ec 'job [0-9a-f]+ (done|failed)' "$T/log")" -lt "$created" ]; do
	sleep 0.05
done
done_n=$(grep -Ec 'job [0-9a-f]+ done' "$T/log")
rss=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$pid/status)
kill -TERM $pid
wait $pid
echo "$k uploads, $created x 201, $done_n done, server peak RSS $rss kB"
