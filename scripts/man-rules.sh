#!/bin/sh
# Rewrite the rule list heads of man/datrace.1 (".It Li ID No (severity,
# Windows errors)") from `datrace --list-rules`, which prints the rule table
# and lib/rules/windows.def: the man page and the tool cannot differ.
# Usage: scripts/man-rules.sh [build/datrace]   (run from the top of the tree)
set -eu
cli=${1:-build/datrace}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$cli" --list-rules | awk '
	{
		id = $1; sev = $2
		win = ""
		i = index($0, "; Windows ")
		if (i > 0)
			win = ", " substr($0, i + 10)
		print id "\t(" sev win ")"
	}' >"$tmp"
awk -v table="$tmp" '
	BEGIN {
		FS = "\t"
		while ((getline line < table) > 0) {
			split(line, f, "\t")
			head[f[1]] = f[2]
		}
		FS = " "
	}
	/^\.It Li [a-z0-9-]+ No / && ($3 in head) {
		print ".It Li " $3 " No " head[$3]
		next
	}
	{ print }' man/datrace.1 >"$tmp.new"
mv "$tmp.new" man/datrace.1
