#!/bin/sh
# Install into a scratch DESTDIR, then build examples/verdicts.c against the
# installed library with nothing but the header and pkg-config, run it, and
# check the library's exported interface. Run from the top of the tree.
set -u
. tests/lib.sh

prefix=/opt/datrace
# Programs linked against a sanitizer build need the sanitizer runtime too.
san=""
case $BUILD in *asan*) san="-fsanitize=address,undefined" ;; esac
make --no-print-directory -s BUILD="$BUILD" DESTDIR="$tmp" PREFIX=$prefix install >"$tmp/log" 2>&1 ||
	{ cat "$tmp/log"; echo "FAIL: make install"; exit 1; }
root=$tmp$prefix
for f in lib/libdatrace.a lib/libdatrace.so lib/libdatrace.so.0 include/datrace.h \
    lib/pkgconfig/libdatrace.pc bin/datrace share/man/man1/datrace.1 \
    share/man/man3/libdatrace.3; do
	[ -e "$root/$f" ] && ok || bad "not installed: $f"
done

# The installed command starts with no LD_LIBRARY_PATH: it finds the
# library next to it through its RUNPATH ($ORIGIN/../lib), wherever the
# tree was installed or moved to.
runpath=$(readelf -d "$root/bin/datrace" 2>/dev/null | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
[ "$runpath" = '$ORIGIN/../lib' ] && ok || bad "bin/datrace RUNPATH is '$runpath'"
if env -u LD_LIBRARY_PATH "$root/bin/datrace" --version >"$tmp/v" 2>&1 &&
    grep -q '^datrace [0-9]' "$tmp/v"; then ok; else bad "installed datrace does not start: $(cat "$tmp/v")"; fi
mv "$tmp$prefix" "$tmp/moved"
env -u LD_LIBRARY_PATH "$tmp/moved/bin/datrace" --version >/dev/null 2>&1 && ok ||
	bad "a moved install of datrace does not start"
mv "$tmp/moved" "$tmp$prefix"

# SONAME from the version in the header.
soname=$(objdump -p "$root/lib/libdatrace.so" 2>/dev/null | awk '/SONAME/ {print $2}')
[ "$soname" = libdatrace.so.0 ] && ok || bad "SONAME is '$soname'"

# Only dt_* symbols are exported.
others=$(nm -D --defined-only "$root/lib/libdatrace.so" | awk '$2 ~ /[TDBRW]/ {print $3}' |
	grep -v '^dt_' | head -5)
[ -z "$others" ] && ok || bad "exported non-dt symbols: $others"
nm -D --defined-only "$root/lib/libdatrace.so" | grep -q ' T dt_analyze_file$' && ok ||
	bad "dt_analyze_file not exported"
nm -D --defined-only "$root/lib/libdatrace.so" | grep -q ' T dt_malloc$' &&
	bad "internal dt_malloc exported" || ok

# The header compiles alone as C99 and as C++.
echo '#include <datrace.h>' >"$tmp/h.c"
cc -std=c99 -Wall -Wextra -pedantic -Werror -I"$root/include" -c "$tmp/h.c" -o "$tmp/h.o" && ok ||
	bad "datrace.h does not compile as C99"
if command -v g++ >/dev/null 2>&1; then
	printf '#include <datrace.h>\nint main() { dt_options o = DT_OPTIONS_INIT; return o.version != DT_OPTIONS_VERSION; }\n' >"$tmp/h.cc"
	g++ $san -Wall -Wextra -Werror -I"$root/include" "$tmp/h.cc" -o "$tmp/hcc" -L"$root/lib" -ldatrace &&
		ok || bad "datrace.h does not compile as C++"
fi

# A program outside the tree, built with pkg-config only.
export PKG_CONFIG_PATH=$root/lib/pkgconfig
flags=$(pkg-config --define-variable=prefix="$root" --cflags --libs libdatrace) ||
	bad "pkg-config libdatrace"
cc $san examples/verdicts.c $flags -o "$tmp/verdicts" && ok || bad "examples/verdicts.c does not build"
capture=$(ls testdata/scenarios/*.pcap 2>/dev/null | head -n 1)
if [ -x "$tmp/verdicts" ] && [ -n "$capture" ]; then
	LD_LIBRARY_PATH=$root/lib "$tmp/verdicts" "$capture" >"$tmp/out"
	st=$?
	[ "$st" -le 1 ] && ok || bad "verdicts exited $st"
	grep -q "^$capture	" "$tmp/out" && ok || bad "verdicts printed: $(cat "$tmp/out")"
fi
# Static linking works too.
cc $san examples/verdicts.c -I"$root/include" "$root/lib/libdatrace.a" \
    $(pkg-config --libs libpcap gnutls jansson libpsl) -pthread -o "$tmp/verdicts-static" &&
	ok || bad "static link"

make --no-print-directory -s BUILD="$BUILD" DESTDIR="$tmp" PREFIX=$prefix uninstall >/dev/null 2>&1
left=$(find "$root" -type f | head -3)
[ -z "$left" ] && ok || bad "uninstall left: $left"

# scripts/deps.sh asks pkg-config and PATH first: on a system without
# dpkg and apt-get it passes when everything is there, and names what is
# missing (as pkg-config modules) when something is not.
mkdir "$tmp/bin" "$tmp/nopc"
for t in cc make pkg-config mandoc zip 7z xz zstd gcab curl bash ps; do
	p=$(command -v $t) && ln -s "$p" "$tmp/bin/$t"
done
PATH=$tmp/bin /bin/sh scripts/deps.sh check >"$tmp/d" 2>&1 && ok ||
	bad "deps.sh without dpkg/apt: $(cat "$tmp/d")"
PATH=$tmp/bin PKG_CONFIG_LIBDIR=$tmp/nopc /bin/sh scripts/deps.sh check >"$tmp/d" 2>&1 &&
	bad "deps.sh passed with no libraries" ||
	{ grep -q 'missing:.* libpcap gnutls jansson libpsl libarchive' "$tmp/d" && ok || bad "deps.sh said: $(cat "$tmp/d")"; }

summary install
