#!/bin/sh
# Make sure the packages datrace builds and tests with are installed.
# Usage: deps.sh build|check
#  - missing packages are installed with apt-get when we are root (or have
#    password-less sudo) on a Debian/Ubuntu system;
#  - otherwise the exact command to run is printed and we fail.
# Only Debian packages are ever installed; nothing else is downloaded.
set -eu

what=${1:-build}
pkgs="gcc make pkg-config libpcap-dev libgnutls28-dev libjansson-dev check libsubunit-dev"
if [ "$what" = check ]; then
	pkgs="$pkgs mandoc"
fi

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "datrace: missing build dependencies:$missing" >&2
	echo "datrace: this is not a Debian/Ubuntu system; install the equivalents of:$missing" >&2
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
