#!/bin/sh
# Installs the Debian packages a make target needs, when they are missing.
# Usage: tools/deps.sh build|test|demo
set -e
pkgs="gcc make libc6-dev libjsmn-dev libcurl4 libcurl4-openssl-dev"
case "$1" in
test) pkgs="$pkgs python3 nodejs npm perl default-jdk-headless golang-go strace valgrind clang-format eatmydata faketime clang lintian groff-base python3-yaml python3-setproctitle gunicorn uwsgi uwsgi-plugin-python3 gdb" ;;
demo) pkgs="$pkgs python3" ;;
esac
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# nodejs may come from elsewhere than Debian (it ships npm itself then).
case "$missing" in *" npm"*) command -v npm >/dev/null 2>&1 && missing=$(echo "$missing" | sed 's/ npm//') ;; esac
case "$missing" in *" nodejs"*) command -v node >/dev/null 2>&1 && missing=$(echo "$missing" | sed 's/ nodejs//') ;; esac
case "$missing" in *" default-jdk-headless"*) command -v javac >/dev/null 2>&1 && missing=$(echo "$missing" | sed 's/ default-jdk-headless//') ;; esac
[ -z "$missing" ] && exit 0
echo "tools/deps.sh: installing:$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
