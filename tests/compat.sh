#!/bin/sh
# Real programs behave the same with and without the preload: exit status,
# stdout byte for byte, and stderr.  Each comparison runs twice: (a) with no
# credential source configured, where even env and printenv must match, and
# (b) with tests/fakests.py as the source, where env and printenv must match
# once the names stsenv places are removed.  Then stsenv beside another
# preload (libeatmydata, libfaketime), in both orders.
# usage: sh tests/compat.sh (from the repo root); ends "compat: N passed, M failed"
# shellcheck disable=SC2016 # single quotes hold the programs' own expansions
. "$(dirname "$0")/lib.sh"

LIB="$BUILD/libstsenv.so"
PASSED=0
FAILED=0
pass() {
	echo "PASS compat:$1"
	PASSED=$((PASSED + 1))
}
fail() {
	echo "FAIL compat:$1: $2"
	FAILED=$((FAILED + 1))
}
skip() { echo "SKIP compat:$1: $2"; }
[ -f "$LIB" ] || {
	echo "compat: $LIB missing: run make first" >&2
	exit 1
}

# The names stsenv places into environ (README.md, "Names served").
SERVED='ALIBABA_CLOUD_ACCESS_KEY_ID|ALIBABACLOUD_ACCESS_KEY_ID|ALICLOUD_ACCESS_KEY_ID|ALICLOUD_ACCESS_KEY|OSS_ACCESS_KEY_ID'
SERVED="$SERVED|ALIBABA_CLOUD_ACCESS_KEY_SECRET|ALIBABACLOUD_ACCESS_KEY_SECRET|ALICLOUD_ACCESS_KEY_SECRET|ALICLOUD_SECRET_KEY|OSS_ACCESS_KEY_SECRET"
SERVED="$SERVED|ALIBABA_CLOUD_SECURITY_TOKEN|ALIBABACLOUD_SECURITY_TOKEN|ALICLOUD_SECURITY_TOKEN|OSS_SESSION_TOKEN"
SERVED="$SERVED|STSENV_EXPIRATION|STSENV_HANDOFF|STSENV_TREE"

# Fixed inputs: an empty HOME, a tiny makefile, a small tree for tar and find.
W="$TMP/work"
mkdir -p "$TMP/home" "$W/tree/sub"
printf 'pear\nApple\nbanana\n10\n9\napple\n' >"$W/sort.in"
printf 'X := $(shell echo sub)\nall:\n\t@echo make $(X) $(words a b c)\n\t@sh -c "exit 0"\n' >"$W/Makefile"
printf 'one\n' >"$W/tree/a.txt"
printf 'two\n' >"$W/tree/sub/b.txt"
touch -d '2020-01-02 03:04:05' "$W/tree/a.txt" "$W/tree/sub/b.txt" "$W/tree/sub" "$W/tree"

# in_env MODE PRELOAD CMD...: runs CMD in $W in a fixed environment; MODE a:
# no credential source, b: the fake server's URI.
in_env() {
	_mode=$1 _pre=$2
	shift 2
	set -- TZ=UTC LC_ALL=C HOME="$TMP/home" STSENV_CREDENTIALS_FILE="$TMP/no-such-file" "$@"
	if [ "$_mode" = b ]; then set -- ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$@"; else set -- STSENV_LOG=off "$@"; fi
	[ -n "$_pre" ] && set -- LD_PRELOAD="$_pre" "$@"
	(cd "$W" && exec env -i PATH="$PATH" "$@" </dev/null)
}

# capture TAG MODE PRELOAD CMD...: $TMP/TAG.{out,err,rc}
capture() {
	_tag=$1
	shift
	in_env "$@" >"$TMP/$_tag.out" 2>"$TMP/$_tag.err"
	echo $? >"$TMP/$_tag.rc"
}

# differ MODE STDERR(yes|no) ENVLIKE(yes|no): why run "plain" and run "pre"
# differ; false when they do not.
differ() {
	if [ "$3" = yes ]; then
		for t in plain pre; do
			# LD_PRELOAD is the harness's own; in (b) the served names go too.
			pat='LD_PRELOAD'
			[ "$1" = b ] && pat="$pat|$SERVED"
			grep -Ev "^($pat)=" "$TMP/$t.out" >"$TMP/$t.f"
			mv "$TMP/$t.f" "$TMP/$t.out"
		done
	fi
	if ! cmp -s "$TMP/plain.rc" "$TMP/pre.rc"; then
		echo "exit status $(cat "$TMP/plain.rc") without the preload, $(cat "$TMP/pre.rc") with it"
	elif ! cmp -s "$TMP/plain.out" "$TMP/pre.out"; then
		echo "stdout differs: $(diff "$TMP/plain.out" "$TMP/pre.out" | sed -n 2p | cut -c1-100)"
	elif [ "$2" = yes ] && ! cmp -s "$TMP/plain.err" "$TMP/pre.err"; then
		echo "stderr differs: $(diff "$TMP/plain.err" "$TMP/pre.err" | sed -n 2p | cut -c1-100)"
	else
		return 1
	fi
}

# compat NAME STDERR ENVLIKE CMD...: compares CMD without and with the
# preload in modes (a) and (b).  Up to three tries each: another test may
# change what ls shows between two runs; a real difference stays.
compat() {
	_name=$1 _err=$2 _envlike=$3
	shift 3
	command -v "$1" >/dev/null 2>&1 || {
		skip "$_name" "$1 not installed"
		return
	}
	for mode in a b; do
		try=1
		while :; do
			capture plain "$mode" "" "$@"
			capture pre "$mode" "$LIB" "$@"
			if [ "$_envlike" = yes ] && [ "$mode" = b ] &&
				! grep -q '^ALIBABA_CLOUD_ACCESS_KEY_ID=STS\.' "$TMP/pre.out"; then
				fail "$_name" "($mode) the credential is not in its environment"
				return
			fi
			why=$(differ "$mode" "$_err" "$_envlike") || break
			[ $try -ge 3 ] && {
				fail "$_name" "($mode) $why"
				return
			}
			try=$((try + 1))
		done
	done
	pass "$_name"
}

start_server compat --ttl 3600
[ -n "$PORT" ] || {
	echo "compat: the fake server did not start" >&2
	exit 1
}

# Not ls of /: the link count of /proc is the number of processes on the
# machine, and a plain-preload program has its tree's keeper beside it.
compat ls yes no ls -la /usr
compat sort yes no sort sort.in
compat env yes yes env
compat printenv yes yes printenv
compat bash yes no bash -c 'echo $((6*7)); exit 3'
compat dash yes no dash -c 'echo hi; exit 4'
compat make yes no make -f "$W/Makefile"
compat git yes no git --version
compat curl yes no curl --version
compat python3 yes no python3 -c 'import sys; print(sys.version_info[:2]); sys.exit(5)'
compat node yes no node -e 'console.log(process.version); process.exit(6)'
compat perl yes no perl -e 'print "x\n"; exit 7'
compat java yes no java -version
compat gcc yes no gcc --version
compat ssh yes no ssh -V
compat tar yes no sh -c 'tar --sort=name -cf "$1/a.tar" -C "$1" tree && tar -tvf "$1/a.tar"' sh "$W"
compat find yes no find "$W/tree"

# Beside another preload, in both orders: a C program still reads the
# credential, and under libfaketime the clock is still faked.
EATMYDATA=$(dpkg -L libeatmydata1 2>/dev/null | grep 'libeatmydata\.so$' | head -1)
FAKETIME_LIB=$(dpkg -L libfaketime 2>/dev/null | grep 'libfaketime\.so\.1$' | head -1)
combo() { # combo NAME PRELOAD-LIST CHECK-DATE(yes|no)
	in_env b "$2" FAKETIME="@2020-01-01 00:00:00" "$BUILD/progs/getenvs" ALIBABA_CLOUD_ACCESS_KEY_ID \
		>"$TMP/combo.out" 2>"$TMP/combo.err"
	year=2020
	[ "$3" = yes ] && year=$(in_env b "$2" FAKETIME="@2020-01-01 00:00:00" date +%Y 2>&1)
	if ! grep -q '^ALIBABA_CLOUD_ACCESS_KEY_ID=STS\.g' "$TMP/combo.out"; then
		fail "$1" "getenvs read: $(head -c 100 "$TMP/combo.out") $(head -c 200 "$TMP/combo.err")"
	elif [ "$year" != 2020 ]; then
		fail "$1" "date +%Y printed $year"
	else
		pass "$1"
	fi
}
for other in eatmydata faketime; do
	if [ "$other" = eatmydata ]; then so=$EATMYDATA; else so=$FAKETIME_LIB; fi
	if [ -z "$so" ] || [ ! -f "$so" ]; then
		skip "$other+stsenv" "lib$other not installed"
		skip "stsenv+$other" "lib$other not installed"
		continue
	fi
	date_too=no
	[ "$other" = faketime ] && date_too=yes
	combo "$other+stsenv" "$so $LIB" $date_too
	combo "stsenv+$other" "$LIB $so" $date_too
done

echo "compat: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
