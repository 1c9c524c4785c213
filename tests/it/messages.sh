# tests/it/messages.sh, sourced by tests/run.sh. What stsenv says: once per
# tree, with the value the user gave, naming what is missing, and nothing
# at all under STSENV_LOG=off.

# A tree of one shell, two of its children and a Python doing two
# subprocess.run: the processes that each say it again if nothing stops them.
TREE_CMD='/bin/true; /bin/true; python3 -c "import subprocess; subprocess.run([\"true\"]); subprocess.run([\"true\"])"'

lines_matching() { grep -c -- "$1" "$2"; } # lines_matching PATTERN FILE

t_config_warning_once() {
	start_server cfg1 --ttl 600
	ok=0
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_LOG=warn STSENV_TIMEOUT_MS=abc \
		"$BUILD/stsenv" -- sh -c "$TREE_CMD" 2>"$TMP/cfg1-launcher.err"
	under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_LOG=warn STSENV_TIMEOUT_MS=abc \
		sh -c "$TREE_CMD" 2>"$TMP/cfg1-preload.err"
	# Without a source at all, under plain preload: the no-source warning too.
	under STSENV_LOG=warn STSENV_TIMEOUT_MS=abc sh -c "$TREE_CMD" 2>"$TMP/cfg1-none.err"
	kill "$cfg1_pid"
	for f in launcher preload none; do
		n=$(lines_matching 'STSENV_TIMEOUT_MS="abc" is not a number' "$TMP/cfg1-$f.err")
		say "$f: timeout warning x$n, $(wc -l <"$TMP/cfg1-$f.err") lines"
		[ "$n" = 1 ] || ok=1
	done
	# A chain of execs (a wrapper script, pyenv's shims) is one tree too,
	# and what tells its processes so is never in their environ.
	under STSENV_LOG=warn sh -c 'exec sh -c "exec sh -c \"/bin/true; exec env\""' \
		>"$TMP/cfg1-chain.out" 2>"$TMP/cfg1-chain.err"
	n=$(lines_matching "no credential source is configured" "$TMP/cfg1-chain.err")
	say "exec chain without a source: said x$n; environ: $(grep -c STSENV_TREE "$TMP/cfg1-chain.out") STSENV_TREE"
	[ "$n" = 1 ] && ! grep -q STSENV_TREE "$TMP/cfg1-chain.out" || ok=1
	n=$(lines_matching "no credential source is configured" "$TMP/cfg1-none.err")
	say "none: no-source warning x$n"
	[ "$n" = 1 ] && grep "no credential source" "$TMP/cfg1-none.err" | grep -q 'run `stsenv status` for details$' || ok=1
	note "messages: STSENV_TIMEOUT_MS=abc over sh + 2 execs + python with 2 subprocesses: said once (launcher, plain preload, no source)"
	return $ok
}

t_setting_values() {
	start_server vals --ttl 600
	ok=0
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_LOG=loud \
		"$BUILD/stsenv" -- sh -c "$TREE_CMD" 2>"$TMP/vals-loud.err"
	n=$(lines_matching 'STSENV_LOG="loud" is not off, error, warn, info or debug' "$TMP/vals-loud.err")
	say "STSENV_LOG=loud: x$n: $(head -1 "$TMP/vals-loud.err")"
	[ "$n" = 1 ] || ok=1
	# Values are case-insensitive where that is unambiguous.
	id=$(clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_SOURCE=URI STSENV_LOG=INFO \
		"$BUILD/stsenv" -- printenv ALIBABA_CLOUD_ACCESS_KEY_ID 2>"$TMP/vals-upper.err")
	say "STSENV_SOURCE=URI STSENV_LOG=INFO: id=${id%%.*}.*** $(grep -c ' info: ' "$TMP/vals-upper.err") info lines"
	case "$id" in STS.g*) ;; *) ok=1 ;; esac
	grep -q ' info: ' "$TMP/vals-upper.err" && ! grep -q "is not" "$TMP/vals-upper.err" || ok=1
	id=$(under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_SOURCE=Uri printenv ALIBABA_CLOUD_ACCESS_KEY_ID 2>/dev/null)
	case "$id" in STS.g*) ;; *) say "plain preload, STSENV_SOURCE=Uri: '$id'" && ok=1 ;; esac
	kill "$vals_pid"
	return $ok
}

# A typo in STSENV_SOURCE is an error, never a fall back to auto (which may
# pick another source than the one meant): here a working URI is set too.
t_source_typo_is_an_error() {
	start_server typo --ttl 600
	ok=0
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_SOURCE=bogus STSENV_LOG=warn \
		"$BUILD/stsenv" -- sh -c 'touch "$1"' sh "$TMP/typo-ran.err" 2>"$TMP/typo-launcher.err"
	rc=$?
	say "launcher: rc=$rc: $(cat "$TMP/typo-launcher.err")"
	[ $rc = 125 ] && [ ! -e "$TMP/typo-ran.err" ] && [ "$(wc -l <"$TMP/typo-launcher.err")" = 1 ] &&
		grep -q 'STSENV_SOURCE="bogus" is not auto, uri, file, oidc, profile or ecs' "$TMP/typo-launcher.err" || ok=1
	out=$(under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_SOURCE=bogus STSENV_LOG=warn \
		sh -c "$TREE_CMD; printenv ALIBABA_CLOUD_ACCESS_KEY_ID; echo end" 2>"$TMP/typo-preload.err")
	n=$(lines_matching 'STSENV_SOURCE="bogus"' "$TMP/typo-preload.err")
	say "plain preload: stdout '$out', error x$n, $(wc -l <"$TMP/typo-preload.err") lines"
	[ "$out" = end ] && [ "$n" = 1 ] && [ "$(wc -l <"$TMP/typo-preload.err")" = 1 ] || ok=1
	[ "$(stat_of requests)" = 0 ] || { say "the URI was fetched"; ok=1; }
	kill "$typo_pid"
	return $ok
}

t_missing_source_named() {
	ok=0
	L="$BUILD/stsenv"
	clean_env STSENV_CREDENTIALS_FILE="$TMP/nonexist.json" STSENV_LOG=warn "$L" -- true 2>"$TMP/miss-file.err"
	rc=$?
	say "missing file: rc=$rc: $(cat "$TMP/miss-file.err")"
	[ $rc = 125 ] && grep -q "STSENV_CREDENTIALS_FILE $TMP/nonexist.json: No such file or directory" "$TMP/miss-file.err" &&
		grep -q 'run `stsenv status` for details$' "$TMP/miss-file.err" || ok=1
	clean_env ALIBABA_CLOUD_ROLE_ARN=acs:ram::123:role/r STSENV_LOG=warn "$L" -- true 2>"$TMP/miss-oidc.err"
	rc=$?
	say "half OIDC: rc=$rc: $(cat "$TMP/miss-oidc.err")"
	[ $rc = 125 ] && grep -q "ALIBABA_CLOUD_OIDC_PROVIDER_ARN" "$TMP/miss-oidc.err" &&
		grep -q "ALIBABA_CLOUD_OIDC_TOKEN_FILE" "$TMP/miss-oidc.err" &&
		grep -q 'run `stsenv status` for details$' "$TMP/miss-oidc.err" || ok=1
	clean_env STSENV_CREDENTIALS_FILE="$TMP/nonexist.json" "$L" status >"$TMP/miss-status.err" 2>&1
	grep -q "$TMP/nonexist.json" "$TMP/miss-status.err" || { say "status: $(cat "$TMP/miss-status.err")"; ok=1; }
	return $ok
}

# A source's own error: its Code and Message, said once per change of state
# per tree, and not at all under STSENV_LOG=off.
t_source_error_once() {
	start_server err --ttl 600
	set_mode 403
	ok=0
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_LOG=warn "$BUILD/stsenv" -- true 2>"$TMP/err-launcher.err"
	rc=$?
	n=$(lines_matching "HTTP status 403 (Forbidden: boom)" "$TMP/err-launcher.err")
	say "launcher, 403: rc=$rc, said x$n: $(cat "$TMP/err-launcher.err")"
	[ $rc = 125 ] && [ "$n" = 1 ] && [ "$(wc -l <"$TMP/err-launcher.err")" = 1 ] &&
		grep -q 'run `stsenv status` for details$' "$TMP/err-launcher.err" || ok=1
	set_mode 500
	under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_LOG=warn sh -c "$TREE_CMD" 2>"$TMP/err-preload.err"
	n=$(lines_matching "HTTP status 500 (InternalError: boom)" "$TMP/err-preload.err")
	say "plain preload, 500, tree of 6 processes: said x$n, $(wc -l <"$TMP/err-preload.err") lines"
	[ "$n" -ge 1 ] && [ "$n" -le 2 ] || ok=1
	for how in launcher preload; do
		if [ $how = launcher ]; then
			clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_LOG=off STSENV_TIMEOUT_MS=abc \
				STSENV_SOURCE=bogus "$BUILD/stsenv" -- true 2>"$TMP/err-off.err"
			clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_LOG=off STSENV_TIMEOUT_MS=abc \
				"$BUILD/stsenv" -- sh -c "$TREE_CMD" 2>>"$TMP/err-off.err"
		else
			under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_LOG=off STSENV_TIMEOUT_MS=abc \
				sh -c "$TREE_CMD" 2>>"$TMP/err-off.err"
		fi
	done
	say "STSENV_LOG=off: $(wc -c <"$TMP/err-off.err") bytes said"
	[ ! -s "$TMP/err-off.err" ] || { cat "$TMP/err-off.err" >&2; ok=1; }
	kill "$err_pid"
	return $ok
}
