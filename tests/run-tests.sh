#!/bin/sh
# Runs every test: the Check suites given as arguments, the end-to-end
# shell tests (tests/test_*.sh), and a replay of every fuzz corpus with the
# plain-main fuzz drivers. Prints "N passed, N failed" at the end and exits
# non-zero when anything failed. Run from the top of the tree.
set -u
BUILD=${BUILD:-build}
pass=0
fail=0
failed=""

run() {
	name=$1
	shift
	if "$@" >"$BUILD/tests/$name.log" 2>&1; then
		pass=$((pass + 1))
		printf 'PASS %s\n' "$name"
	else
		fail=$((fail + 1))
		failed="$failed $name"
		printf 'FAIL %s\n' "$name"
		tail -n 30 "$BUILD/tests/$name.log"
	fi
}

mkdir -p "$BUILD/tests"
for t in "$@"; do
	run "$(basename "$t")" env CK_DEFAULT_TIMEOUT=120 "$t"
done
for t in tests/test_*.sh; do
	[ -f "$t" ] || continue
	# the headless-browser test installs Chromium: `make check-browser`
	[ "$t" = tests/test_browser.sh ] && continue
	[ "$t" = tests/test_serve_browser.sh ] && continue
	run "$(basename "$t" .sh)" env BUILD="$BUILD" sh "$t"
done
for f in "$BUILD"/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	n=$(basename "$f")
	# Seeds, past crash inputs, our captures, and the shared corpus of
	# real captures by others when it is there.
	extra=""
	[ -d ../shared/corpus ] && extra=../shared/corpus
	run "$n-replay" "$f" tests/fuzz/corpus/"${n#fuzz_}" testdata $extra
done

printf '%d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ] || { printf 'failed:%s\n' "$failed"; exit 1; }
