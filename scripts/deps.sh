#!/bin/sh
# Make sure what datrace builds and tests with is there.
# Usage: deps.sh build|check   (POSIX sh; needs nothing else to start)
#  - first the libraries are asked of pkg-config and the tools of the
#    shell: when everything is found, nothing else happens, on any system;
#  - otherwise missing Debian packages are installed with apt-get when we
#    are root (or have password-less sudo) on a Debian/Ubuntu system;
#  - otherwise what is missing is printed and we fail.
# Only Debian packages are ever installed; nothing else is downloaded.
set -eu

what=${1:-build}
# pkg-config module:Debian package, and command:Debian package
mods="libpcap:libpcap-dev gnutls:libgnutls28-dev jansson:libjansson-dev libpsl:libpsl-dev libarchive:libarchive-dev"
# datrace serve (server/): HTTP and the job store
mods="$mods libmicrohttpd:libmicrohttpd-dev sqlite3:libsqlite3-dev"
tools="cc:gcc make:make pkg-config:pkg-config"
if [ "$what" = check ]; then
	mods="$mods check:check"
	# mandoc lints the man pages; the archive tools build the test archives
	tools="$tools mandoc:mandoc zip:zip 7z:p7zip-full xz:xz-utils zstd:zstd gcab:gcab"
	# test_serve drives the server with curl, bash (/dev/tcp) and ps
	tools="$tools curl:curl bash:bash ps:procps"
fi

missing=""
names=""
for t in $tools; do
	if ! command -v "${t%%:*}" >/dev/null 2>&1; then
		missing="$missing ${t#*:}"
		names="$names ${t%%:*}"
	fi
done
for m in $mods; do
	if ! command -v pkg-config >/dev/null 2>&1 ||
	    ! pkg-config --exists "${m%%:*}" 2>/dev/null; then
		missing="$missing ${m#*:}"
		names="$names ${m%%:*}"
	fi
done
# check on Debian links with subunit; pkg-config names it when needed
if [ "$what" = check ] && command -v dpkg-query >/dev/null 2>&1 &&
    ! dpkg-query -W -f='${Status}' libsubunit-dev 2>/dev/null | grep -q 'ok installed'; then
	missing="$missing libsubunit-dev"
fi
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
	echo "datrace: missing:$names" >&2
	echo "datrace: not a Debian/Ubuntu system: install these (the pkg-config modules with their development files) and run again" >&2
	exit 1
fi

if [ "$(id -u)" = 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	sudo="sudo"
else
	echo "datrace: missing packages:$missing" >&2
	echo "datrace: run: sudo apt-get update && sudo apt-get install -y$missing" >&2
	exit 1
fi

echo "datrace: installing missing packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >&2
