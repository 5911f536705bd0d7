#!/bin/sh
# `make run`: analyse a few bundled example captures and print the verdicts.
set -u
cli=${1:-build/datrace}
dir=testdata/scenarios
examples="null-absent-alert-openssl.pcap client-cert-missing-openssl.pcap ok-null-openssl.pcap"
found=0
for f in $examples; do
	[ -f "$dir/$f" ] || continue
	found=1
	printf '\n==> datrace --host da.corp.example %s\n' "$dir/$f"
	"$cli" --host da.corp.example "$dir/$f"
	printf '(exit status %d)\n' $?
done
if [ $found = 0 ]; then
	for f in "$dir"/*.pcap*; do
		[ -f "$f" ] || continue
		printf '\n==> datrace %s\n' "$f"
		"$cli" "$f"
		printf '(exit status %d)\n' $?
	done
fi
exit 0
