#!/bin/sh
# make fuzz: build every harness in tests/fuzz/ with clang's libFuzzer plus
# ASan/UBSan into build-fuzz/, and run each for FUZZ_SECONDS (argument 1)
# starting from its seed corpus and testdata/. New inputs go to
# build-fuzz/corpus/<name>/; crashes to build-fuzz/crash-<name>-*: add a
# fixed crash input to tests/fuzz/corpus/<name>/ as a regression seed.
set -eu
secs=${1:-30}
CLANG=${CLANG:-clang}
command -v "$CLANG" >/dev/null 2>&1 || {
	echo "fuzz: needs clang with libFuzzer: apt-get install clang libclang-rt-14-dev" >&2
	exit 2
}
out=build-fuzz
mkdir -p "$out"
libs=$(pkg-config --cflags --libs libpcap gnutls libpsl jansson)
src=$(ls lib/*.c lib/*/*.c)
flags="-g -O1 -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -Iinclude -Ilib -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
status=0
for h in tests/fuzz/fuzz_*.c; do
	name=$(basename "$h" .c)
	short=${name#fuzz_}
	echo "fuzz: building $name"
	# shellcheck disable=SC2086
	$CLANG $flags -o "$out/$name" "$h" $src $libs -pthread
	mkdir -p "$out/corpus/$short"
	seeds="tests/fuzz/corpus/$short"
	[ -d "$seeds" ] || seeds=""
	echo "fuzz: running $name for ${secs}s"
	if ! "$out/$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="$out/crash-$short-" "$out/corpus/$short" $seeds testdata \
	    >"$out/$name.log" 2>&1; then
		echo "fuzz: $name FOUND A PROBLEM, see $out/$name.log" >&2
		tail -n 30 "$out/$name.log" >&2
		status=1
	else
		grep -E '^#[0-9]+.*(DONE|pulse)' "$out/$name.log" | tail -n 1
	fi
done
exit $status
