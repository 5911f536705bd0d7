#!/bin/sh
# Captures as customers send them: archives and compressed files built here
# from testdata captures with the Debian tools (zip, 7z, tar+gzip, gzip, xz,
# zstd, gcab) analyse to exactly what the bare captures give; nested
# archives, members that are not captures, encrypted members, an archive
# bomb stopped at the cap; folders (recursive, sorted, hidden skipped,
# symlink loops, -j) and the whole-run summary. Run from the top of the tree.
set -u
. tests/lib.sh
top=$(pwd)
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
CLI=$BUILD/datrace
have() { command -v "$1" >/dev/null 2>&1; }

S=$top/testdata/scenarios
a=null-absent-alert-openssl.pcap
b=client-cert-missing-gnutls-v6.pcapng
mkdir "$tmp/src" "$tmp/src/inner"
cp "$S/$a" "$tmp/src/$a"
cp "$S/$b" "$tmp/src/$b"
cp "$S/$a" "$tmp/src/inner/$a"
echo "not a capture" >"$tmp/src/readme.txt"

# The JSON of a run with "path" lines dropped: everything else (verdicts,
# frames, codes, connections, facts) must be the same.
facts() { "$CLI" -f json --host da.corp.example "$@" 2>/dev/null | grep -v '"path": '; }
paths() { "$CLI" -f json "$@" 2>/dev/null | sed -n 's/^      "path": "\(.*\)",$/\1/p' | tr '\n' ' '; }
facts "$tmp/src/$a" "$tmp/src/$b" >"$tmp/want.ab"
facts "$tmp/src/$a" >"$tmp/want.a"
facts "$tmp/src/$b" >"$tmp/want.b"
grep -q '"id": "null-cipher-absent"' "$tmp/want.ab" && grep -q '"id": "client-cert-missing"' \
    "$tmp/want.ab" && ok || bad "bare captures lack their verdicts"

# same ARCHIVE WANT PATHS: the archive analyses as WANT, its captures named PATHS
same() {
	f=$1 want=$2 p=$3
	facts "$f" >"$tmp/got"
	if cmp -s "$tmp/got" "$tmp/$want"; then ok; else
		bad "$(basename "$f"): other results than the bare captures: $(diff "$tmp/$want" "$tmp/got" | head -5)"
	fi
	got=$(paths "$f")
	[ "$got" = "$p" ] && ok || bad "$(basename "$f"): paths '$got', want '$p'"
	"$CLI" -q "$f"
	[ $? = 1 ] && ok || bad "$(basename "$f"): exit status not 1 (error verdicts)"
}

cd "$tmp/src" || exit 1
if have zip; then
	zip -q "$tmp/t.zip" "$a" "$b" && same "$tmp/t.zip" want.ab "$tmp/t.zip:$a $tmp/t.zip:$b "
	# a member that is not a capture: one note, the rest analysed, exit 1
	zip -q "$tmp/mixed.zip" readme.txt "inner/$a"
	"$CLI" "$tmp/mixed.zip" >"$tmp/out" 2>"$tmp/err"
	st=$?
	[ "$st" = 1 ] && ok || bad "mixed.zip: exit $st"
	[ "$(cat "$tmp/err")" = "datrace: note: $tmp/mixed.zip:readme.txt: not a capture, skipped" ] &&
		ok || bad "mixed.zip: stderr: $(cat "$tmp/err")"
	grep -q "^$tmp/mixed.zip:inner/$a:" "$tmp/out" && ok || bad "mixed.zip: inner/$a not reported"
	# an encrypted member: an error naming it, the others still analysed
	zip -q "$tmp/plain.zip" "$a"
	zip -q -P secret "$tmp/enc.zip" "$b"
	zip -q "$tmp/enc.zip" "$a"
	"$CLI" -f json "$tmp/enc.zip" >"$tmp/out" 2>"$tmp/err"
	st=$?
	[ "$st" = 2 ] && ok || bad "enc.zip: exit $st, want 2"
	grep -qx "datrace: $tmp/enc.zip:$b: encrypted, cannot be read (datrace takes no passwords; unpack it first)" \
	    "$tmp/err" && ok || bad "enc.zip: stderr: $(cat "$tmp/err")"
	grep -q "\"path\": \"$tmp/enc.zip:$a\"" "$tmp/out" && ok || bad "enc.zip: $a not reported"
	grep -q "enc.zip:$b\"" "$tmp/out" && bad "enc.zip: the encrypted member has a report" || ok
else
	echo "SKIP: zip not installed"
fi
if have 7z; then
	# (7z stores the members in its own order)
	facts "$tmp/src/$b" "$tmp/src/$a" >"$tmp/want.ba"
	7z a -bd -bso0 "$tmp/t.7z" "$a" "$b" && same "$tmp/t.7z" want.ba "$tmp/t.7z:$b $tmp/t.7z:$a "
	# a 7z whose list of members is encrypted too: one error naming it
	7z a -bd -bso0 -psecret -mhe=on "$tmp/enc.7z" "$a"
	"$CLI" "$tmp/enc.7z" >"$tmp/out" 2>"$tmp/err"
	st=$?
	[ "$st" = 2 ] && [ ! -s "$tmp/out" ] && ok || bad "enc.7z: exit $st"
	[ "$(cat "$tmp/err")" = "datrace: $tmp/enc.7z: encrypted, cannot be read (datrace takes no passwords; unpack it first)" ] &&
		ok || bad "enc.7z: $(cat "$tmp/err")"
else
	echo "SKIP: 7z not installed"
fi
tar czf "$tmp/t.tar.gz" "$a" "$b" && same "$tmp/t.tar.gz" want.ab "$tmp/t.tar.gz:$a $tmp/t.tar.gz:$b "
gzip -c "$a" >"$tmp/$a.gz" && same "$tmp/$a.gz" want.a "$tmp/$a.gz "
# a compressed file cut short: one error saying so, no report
head -c 300 "$tmp/$a.gz" >"$tmp/cut.pcap.gz"
"$CLI" "$tmp/cut.pcap.gz" >"$tmp/out" 2>"$tmp/err"
st=$?
[ "$st" = 2 ] && [ ! -s "$tmp/out" ] &&
    [ "$(cat "$tmp/err")" = "datrace: $tmp/cut.pcap.gz: cannot unpack: truncated gzip input" ] && ok ||
	bad "cut.pcap.gz: exit $st, stderr $(cat "$tmp/err")"
if have xz; then
	xz -c "$b" >"$tmp/$b.xz" && same "$tmp/$b.xz" want.b "$tmp/$b.xz "
else
	echo "SKIP: xz not installed"
fi
if have zstd; then
	zstd -q -c "$b" >"$tmp/$b.zst" && same "$tmp/$b.zst" want.b "$tmp/$b.zst "
else
	echo "SKIP: zstd not installed"
fi
if have gcab; then
	gcab -c -z "$tmp/t.cab" "$a" "$b" && same "$tmp/t.cab" want.ab "$tmp/t.cab:$a $tmp/t.cab:$b "
else
	echo "SKIP: gcab not installed"
fi
# content, not extension: a zip named .pcap, a gzip named .txt
if have zip; then
	cp "$tmp/t.zip" "$tmp/looks-like.pcap"
	same "$tmp/looks-like.pcap" want.ab "$tmp/looks-like.pcap:$a $tmp/looks-like.pcap:$b "
	# nested one level: a zip holding a tar.gz and a .pcap.gz
	cp "$tmp/t.tar.gz" "$tmp/$a.gz" .
	zip -q "$tmp/nested.zip" t.tar.gz "$a.gz"
	got=$(paths "$tmp/nested.zip")
	[ "$got" = "$tmp/nested.zip:t.tar.gz:$a $tmp/nested.zip:t.tar.gz:$b $tmp/nested.zip:$a.gz " ] &&
		ok || bad "nested.zip: paths '$got'"
	facts "$tmp/nested.zip" >"$tmp/got"
	cat "$tmp/want.ab" >/dev/null
	facts "$tmp/src/$a" "$tmp/src/$b" "$tmp/src/$a" >"$tmp/want.aba"
	cmp -s "$tmp/got" "$tmp/want.aba" && ok || bad "nested.zip: other results"
	# two levels: the innermost is not opened, with a note
	zip -q "$tmp/deep.zip" "$tmp/nested.zip" 2>/dev/null || zip -q -j "$tmp/deep.zip" "$tmp/nested.zip"
	"$CLI" -f json "$tmp/deep.zip" >/dev/null 2>"$tmp/err"
	grep -q "an archive in an archive in an archive, skipped (one level is opened)" "$tmp/err" &&
		ok || bad "deep.zip: $(cat "$tmp/err")"
	rm -f t.tar.gz "$a.gz"

	# An archive bomb: a capture member that unpacks to 200 MiB of
	# identical records from a zip of a few hundred KiB. The ratio cap
	# (100) stops it with one error; the member before it is reported.
	head -c 24 "$S/tcp-refused-v4.pcap" >"$tmp/hdr"
	printf '\000\000\000\000\000\000\000\000\352\005\000\000\352\005\000\000' >"$tmp/rec"
	head -c 1514 /dev/zero >>"$tmp/rec"
	i=0
	while [ $i -lt 10 ]; do cat "$tmp/rec" "$tmp/rec" >"$tmp/rec2"; mv "$tmp/rec2" "$tmp/rec"; i=$((i + 1)); done
	# (little-endian record header: a pcap written on this machine's order)
	{ cat "$tmp/hdr"; i=0; while [ $i -lt 135 ]; do cat "$tmp/rec"; i=$((i + 1)); done; } >"$tmp/bomb.pcap"
	cd "$tmp" || exit 1
	zip -q bomb.zip "src/$a" bomb.pcap && rm -f bomb.pcap
	cd "$tmp/src" || exit 1
	size=$(wc -c <"$tmp/bomb.zip")
	[ "$size" -lt 1048576 ] && ok || bad "bomb.zip is $size bytes"
	"$CLI" -f json "$tmp/bomb.zip" >"$tmp/out" 2>"$tmp/err"
	st=$?
	[ "$st" = 2 ] && ok || bad "bomb.zip: exit $st, want 2"
	grep -q "^datrace: $tmp/bomb.zip: stopped: [0-9]* bytes unpacked from [0-9]* read, more than 100 times as many (an archive bomb? --max-ratio); the members read so far are reported$" \
	    "$tmp/err" && ok || bad "bomb.zip: stderr: $(cat "$tmp/err")"
	[ "$(wc -l <"$tmp/err")" = 1 ] && ok || bad "bomb.zip: more than the one error line: $(cat "$tmp/err")"
	grep -q "\"path\": \"$tmp/bomb.zip:src/$a\"" "$tmp/out" && grep -q '"id": "null-cipher-absent"' "$tmp/out" &&
		ok || bad "bomb.zip: the member before the bomb is not reported"
	# the bytes cap, with the flag; a bigger ratio lets the bomb through
	"$CLI" -q --max-unpacked 64K "$tmp/bomb.zip" >"$tmp/out" 2>&1
	st=$?
	[ "$st" = 2 ] && [ ! -s "$tmp/out" ] && ok || bad "-q on a bomb: exit $st, printed $(head -c 200 "$tmp/out")"
	"$CLI" --max-unpacked 64K "$tmp/bomb.zip" >/dev/null 2>"$tmp/err"
	grep -q "^datrace: $tmp/bomb.zip: stopped: more than 65536 bytes unpacked (--max-unpacked); the members read so far are reported$" \
	    "$tmp/err" && ok || bad "--max-unpacked: $(cat "$tmp/err")"
	"$CLI" -q --max-ratio 100000 "$tmp/bomb.zip"
	[ $? = 1 ] && ok || bad "--max-ratio 100000 did not let the bomb through"
	rm -f "$tmp/bomb.zip" "$tmp/rec" "$tmp/hdr"
fi
cd "$top" || exit 1
expect_usage() {
	"$CLI" "$@" x.pcap >/dev/null 2>"$tmp/err"
	[ $? = 2 ] && ok || bad "$* accepted"
}
expect_usage --max-unpacked 0
expect_usage --max-unpacked 12Q
expect_usage --max-ratio -3

# ---- folders ---------------------------------------------------------------
d=$tmp/case
mkdir -p "$d/b-day2" "$d/a-day1/.hidden" "$d/.git"
cp "$S/$a" "$d/b-day2/z.pcap"
cp "$S/$b" "$d/a-day1/y.pcapng"
cp "$S/tcp-refused-v4.pcap" "$d/a-day1/x.pcap"
cp "$S/$a" "$d/a-day1/.hidden/h.pcap"
cp "$S/$a" "$d/.git/g.pcap"
cp "$S/$a" "$d/.dot.pcap"
echo notes >"$d/notes.txt"
gzip -c "$S/$a" >"$d/b-day2/w.pcap.gz"
ln -s .. "$d/b-day2/loop"
ln -s "$d/a-day1" "$d/c-link"
"$CLI" -j 1 -f json "$d" >"$tmp/j1" 2>"$tmp/j1e"
s1=$?
got=$(sed -n 's/^      "path": "\(.*\)",$/\1/p' "$tmp/j1" | sed "s|^$d/||" | tr '\n' ' ')
want="a-day1/x.pcap a-day1/y.pcapng b-day2/w.pcap.gz b-day2/z.pcap c-link/x.pcap c-link/y.pcapng "
[ "$got" = "$want" ] && ok || bad "folder: captures '$got', want '$want'"
[ "$s1" = 1 ] && ok || bad "folder: exit $s1"
grep -q "^datrace: note: $d/b-day2/loop: a folder seen again through a symlink, skipped$" "$tmp/j1e" &&
	ok || bad "folder: no symlink-loop note: $(cat "$tmp/j1e")"
grep -q "^datrace: note: $d: 1 file that is not a capture skipped$" "$tmp/j1e" &&
	ok || bad "folder: no skip note: $(cat "$tmp/j1e")"
"$CLI" -j 4 -f json "$d" >"$tmp/j4" 2>"$tmp/j4e"
s4=$?
[ "$s1" = "$s4" ] && cmp -s "$tmp/j1" "$tmp/j4" && cmp -s "$tmp/j1e" "$tmp/j4e" && ok ||
	bad "folder: -j 4 differs from -j 1"

# The whole-run summary: text a line per capture, HTML an index linking
# to each capture's section.
"$CLI" "$d" >"$tmp/out" 2>/dev/null
grep -q '^6 captures:$' "$tmp/out" && ok || bad "text summary heading missing"
# (SYNs refused, no --host: nothing identifies them as IP-HTTPS, issue 16)
grep -Eq "^  $d/a-day1/x.pcap +pcap +4 +0 +info no-iphttps-traffic$" "$tmp/out" &&
	ok || bad "text summary line for x.pcap: $(grep -A8 '^6 captures' "$tmp/out")"
grep -Eq "^  $d/b-day2/w.pcap.gz +pcap +[0-9]+ +1 +error null-cipher-absent 0x80090326$" "$tmp/out" &&
	ok || bad "text summary line for w.pcap.gz"
"$CLI" -f html "$d" >"$tmp/out.html" 2>/dev/null
[ "$(grep -o '<tr><td><a class="mono" href="#cap[0-9]*"' "$tmp/out.html" | wc -l)" = 6 ] &&
	ok || bad "HTML index rows"
grep -q '<section id="cap5">' "$tmp/out.html" && ok || bad "HTML section of the last capture"

# A netsh trace without capture=yes (Windows' events, no packet) in a
# folder and in a zip: read as the .etl it is, its one error said (exit 2),
# never skipped as "not a capture" (ETL is told from its first buffer, so a
# 4-byte magic test missed it)
mkdir "$tmp/ev"
"$BUILD/tests/etl-events" "$tmp/ev/netsh.etl" || bad "etl-events failed"
cp "$S/$a" "$tmp/ev/$a"
evmsg="offset 0: this ETL trace holds no packet events (no Microsoft-Windows-PktMon or NDIS-PacketCapture packet); capture packets with 'netsh trace start capture=yes' or 'pktmon start --capture --pkt-size 0'"
"$CLI" "$tmp/ev" >"$tmp/out" 2>"$tmp/err"
st=$?
[ "$st" = 2 ] && ok || bad "events-only etl in a folder: exit $st, want 2"
[ "$(cat "$tmp/err")" = "datrace: $tmp/ev/netsh.etl: $evmsg" ] &&
	ok || bad "events-only etl in a folder: stderr: $(cat "$tmp/err")"
# (its Iphlpsvc 4302 events report 0x80090326: a verdict from the events
# alone, issue 23)
grep -Eq "^  $tmp/ev/netsh.etl +etl +0 +0 +error windows-reported-error 0x80090326$" "$tmp/out" &&
	ok || bad "events-only etl in a folder: no summary line"
if have zip; then
	(cd "$tmp/ev" && zip -q "$tmp/ev.zip" netsh.etl "$a")
	"$CLI" "$tmp/ev.zip" >"$tmp/out" 2>"$tmp/err"
	st=$?
	[ "$st" = 2 ] && ok || bad "events-only etl in a zip: exit $st, want 2"
	[ "$(cat "$tmp/err")" = "datrace: $tmp/ev.zip:netsh.etl: $evmsg" ] &&
		ok || bad "events-only etl in a zip: stderr: $(cat "$tmp/err")"
	grep -q "events: 3 events of 1 kind from Microsoft-Windows-Iphlpsvc" "$tmp/out" &&
		ok || bad "events-only etl in a zip: provider summary missing"
fi

# testdata/ itself: every capture under it, the summary at the end
"$CLI" -j 2 testdata/ >"$tmp/out" 2>"$tmp/err"
n=$(find testdata -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.etl' \) ! -path '*/.*' | wc -l)
grep -q "^$n captures:$" "$tmp/out" && ok || bad "datrace testdata/: no summary of $n captures: $(tail -3 "$tmp/out")"

# libarchive is loaded (dlopen) only when an archive is met: plain captures
# never need it, and an archive without it is one error line naming the
# package, the other inputs still analysed. A libarchive.so.13 that is not a
# library, then one without libarchive's functions, stand in for a missing
# or wrong libarchive (LD_LIBRARY_PATH is searched first).
if have zip; then
	mkdir "$tmp/nolib"
	: >"$tmp/nolib/libarchive.so.13"
	(cd "$tmp/src" && zip -q "$tmp/one.zip" "$a")
	for kind in empty nosyms; do
		if [ $kind = nosyms ]; then
			echo 'int datrace_test_not_libarchive;' >"$tmp/nolib/x.c"
			${CC:-cc} -shared -fPIC -o "$tmp/nolib/libarchive.so.13" "$tmp/nolib/x.c" ||
				{ bad "cannot build the stand-in library"; continue; }
			why="$tmp/one.zip: cannot read archives: libarchive.so.13 has no archive_read_new (install the libarchive13 package, libarchive13t64 on Debian 13 and Ubuntu 24.04 or later)"
		else
			why="$tmp/one.zip: cannot read archives: $tmp/nolib/libarchive.so.13: file too short (install the libarchive13 package, libarchive13t64 on Debian 13 and Ubuntu 24.04 or later)"
		fi
		LD_LIBRARY_PATH=$tmp/nolib "$CLI" -f json --host da.corp.example "$tmp/src/$b" >"$tmp/out" 2>"$tmp/err"
		st=$?
		[ "$st" = 1 ] && [ ! -s "$tmp/err" ] && grep -v '"path": ' "$tmp/out" | cmp -s - "$tmp/want.b" &&
			ok || bad "$kind libarchive: a bare capture: exit $st, $(cat "$tmp/err")"
		LD_LIBRARY_PATH=$tmp/nolib "$CLI" -j 2 "$tmp/one.zip" "$tmp/src/$b" "$tmp/one.zip" >"$tmp/out" 2>"$tmp/err"
		st=$?
		[ "$st" = 2 ] && ok || bad "$kind libarchive: exit $st, want 2"
		[ "$(cat "$tmp/err")" = "$(printf 'datrace: %s\ndatrace: %s' "$why" "$why")" ] &&
			ok || bad "$kind libarchive: stderr: $(cat "$tmp/err")"
		grep -q "client-cert-missing" "$tmp/out" && ok ||
			bad "$kind libarchive: the bare capture beside the archives not analysed"
	done
fi

summary archive
