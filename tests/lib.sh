# The shell tests' common start, sourced from the top of the tree: BUILD
# and the CLI, a scratch directory removed at exit, the counters and the
# ok/bad/summary each test reports with.
BUILD=${BUILD:-build}
CLI=$BUILD/datrace
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); printf 'FAIL: %s\n' "$*"; }
# summary NAME: the counts; the status says whether anything failed
summary() {
	printf '%s: %d passed, %d failed\n' "$1" "$pass" "$fail"
	[ "$fail" -eq 0 ]
}
