# tests/it/refresh.sh, sourced by tests/run.sh. Refreshing: rotation under
# readers, the file source rewritten, a source that is down, slow, wrong or
# failing, and the faults of the host (a signal handler, EMFILE, malloc
# failing).

t_uri_rotation() {
	start_server rot --ttl 6 --rotate-within 3
	under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=3 \
		"$PROGS/reader" 8 "${1:-20}" >"$TMP/rot.out" 2>"$TMP/rot.log" || { cat "$TMP/rot.out" >&2; return 1; }
	gens=$(field generations "$TMP/rot.out")
	reqs=$(stat_of requests)
	say "$(cat "$TMP/rot.out") requests=$reqs"
	note "uri_rotation${2}: $(cat "$TMP/rot.out") server_requests=$reqs"
	kill "$rot_pid"
	[ "$(field torn "$TMP/rot.out")" = 0 ] && [ "$(field expired "$TMP/rot.out")" = 0 ] &&
		[ "$(field unset "$TMP/rot.out")" = 0 ] && [ "$gens" -ge 2 ] &&
		[ "$reqs" -le $((gens + 2)) ]
}

t_launcher_rotation() {
	start_server lrot --ttl 6 --rotate-within 3
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=3 \
		"$BUILD/stsenv" -- "$PROGS/reader" 4 10 >"$TMP/lrot.out" 2>"$TMP/lrot.log" || return 1
	gens=$(field generations "$TMP/lrot.out")
	reqs=$(stat_of requests)
	say "$(cat "$TMP/lrot.out") requests=$reqs"
	note "launcher_rotation: $(cat "$TMP/lrot.out") server_requests=$reqs"
	kill "$lrot_pid"
	# The launcher's own fetch is handed down: no second fetch at start.
	[ "$(field torn "$TMP/lrot.out")" = 0 ] && [ "$(field expired "$TMP/lrot.out")" = 0 ] &&
		[ "$gens" -ge 2 ] && [ "$reqs" -le $((gens + 2)) ]
}

t_file_rotation() {
	start_server frot --ttl 6 --file "$TMP/cred.json" --file-every 2 --half-written
	under STSENV_CREDENTIALS_FILE="$TMP/cred.json" STSENV_REFRESH_MARGIN=4 \
		"$PROGS/reader" 4 12 >"$TMP/frot.out" 2>"$TMP/frot.log" || { cat "$TMP/frot.out" >&2; return 1; }
	say "$(cat "$TMP/frot.out")"
	note "file_rotation: $(cat "$TMP/frot.out") file_writes=$(stat_of file_writes)"
	kill "$frot_pid"
	[ "$(field torn "$TMP/frot.out")" = 0 ] && [ "$(field expired "$TMP/frot.out")" = 0 ] &&
		[ "$(field generations "$TMP/frot.out")" -ge 2 ]
}

t_down_from_start() {
	under ALIBABA_CLOUD_CREDENTIALS_URI="http://127.0.0.1:1/c?token=query-secret-should-not-be-logged" \
		"$PROGS/reader" 2 2 --expect-none >"$TMP/down.out" 2>"$TMP/down.log" || return 1
	cat "$TMP/down.log" >&2
	grep -q "stsenv: error: no credential: credentials URI http://127.0.0.1:1/c" "$TMP/down.log" &&
		[ "$(grep -c 'no credential' "$TMP/down.log")" -le 2 ] # logged once per state, not per read
}

t_dies_after_first_fetch() {
	start_server dies --ttl 5 --rotate-within 1
	under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=3 \
		"$PROGS/reader" 2 8 --expect-unset-at-end >"$TMP/dies.out" 2>"$TMP/dies.log" &
	rpid=$!
	sleep 1
	kill "$dies_pid"
	wait "$rpid" || { cat "$TMP/dies.out" "$TMP/dies.log" >&2; return 1; }
	cat "$TMP/dies.out" >&2
	[ "$(field generations "$TMP/dies.out")" = 1 ] && [ "$(field expired "$TMP/dies.out")" = 0 ] &&
		[ "$(field unset "$TMP/dies.out")" -gt 0 ] && grep -q "refresh failed" "$TMP/dies.log" &&
		grep -q "has expired" "$TMP/dies.log"
}

# t_bad_response MODE EXPECTED-LOG-TEXT
t_bad_response() {
	start_server bad --ttl 60
	set_mode "$1"
	under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_TIMEOUT_MS=1000 \
		"$PROGS/reader" 2 1 --expect-none >"$TMP/bad.out" 2>"$TMP/bad.log"
	rc=$?
	kill "$bad_pid"
	cat "$TMP/bad.out" "$TMP/bad.log" >&2
	[ $rc = 0 ] && grep -q "$2" "$TMP/bad.log"
}

t_slow_past_timeout() {
	start_server slow --ttl 60
	set_mode slow:4000
	under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_TIMEOUT_MS=500 \
		"$PROGS/reader" 4 2 --expect-none >"$TMP/slow.out" 2>"$TMP/slow.log"
	rc=$?
	kill "$slow_pid"
	cat "$TMP/slow.out" "$TMP/slow.log" >&2
	max=$(field max_read_ms "$TMP/slow.out")
	note "slow_past_timeout (timeout 500 ms, server answers in 4000 ms): max getenv ${max} ms"
	# Bound: the timeout plus scheduling slack on a loaded machine.
	[ $rc = 0 ] && grep -q "timed out after 500 ms" "$TMP/slow.log" &&
		awk "BEGIN{exit !($max < 2000)}"
}

t_recovers_after_outage() {
	start_server rec --ttl 60
	set_mode 500
	under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$PROGS/reader" 2 5 >"$TMP/rec.out" 2>"$TMP/rec.log" &
	rpid=$!
	sleep 1.5
	set_mode ok
	wait "$rpid"
	rc=$?
	kill "$rec_pid"
	cat "$TMP/rec.out" >&2
	[ $rc = 0 ] && [ "$(field generations "$TMP/rec.out")" -ge 1 ] &&
		[ "$(field unset "$TMP/rec.out")" -gt 0 ]
}

# getenv from a signal handler, thousands of times a second, while the
# interrupted thread may be fetching, waiting for a fetch or holding the
# engine's lock: it must return (timeout(1) turns a deadlock into a failure).
t_signal_handler_getenv() {
	start_server sig --ttl 4 --rotate-within 2
	set_mode slow:300
	under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=3 timeout 40 "$PROGS/sigreader" 6 \
		>"$TMP/sig.out" 2>"$TMP/sig.log"
	rc=$?
	kill "$sig_pid"
	say "$(cat "$TMP/sig.out") rc=$rc"
	[ $rc = 0 ]
}

# The credentials file deleted, replaced by a directory, truncated to zero
# and rewritten slowly byte by byte under a running reader: the last good
# credential is served throughout, never a torn or expired one.
t_file_faults() {
	F="$TMP/faulty.json"
	exp=$(python3 -c "import time; print(time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() + 14)))")
	exp2=$(python3 -c "import time; print(time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() + 60)))")
	printf '{"AccessKeyId":"STS.g000001.aa","AccessKeySecret":"fakesecret-g000001-a","SecurityToken":"faketoken-g000001-a","Expiration":"%s"}' "$exp" >"$F"
	# Refresh due at once and retried every second or two: each fault lasts
	# long enough to be seen.
	# 13 s: the last rewrite ends about 10.5 s in; the first credential
	# lives 14 s.
	under STSENV_CREDENTIALS_FILE="$F" STSENV_REFRESH_MARGIN=13 "$PROGS/reader" 2 13 >"$TMP/ff.out" 2>"$TMP/ff.log" &
	rpid=$!
	sleep 1; rm -f "$F"
	sleep 2.5; mkdir "$F"
	sleep 2.5; rmdir "$F"; : >"$F"
	sleep 2.5
	python3 - "$F" "$exp2" <<'PY'
import sys, time
body = '{"AccessKeyId":"STS.g000002.bb","AccessKeySecret":"fakesecret-g000002-b","SecurityToken":"faketoken-g000002-b","Expiration":"%s"}' % sys.argv[2]
with open(sys.argv[1], "w") as f:
    for ch in body:
        f.write(ch); f.flush(); time.sleep(0.01)
PY
	wait "$rpid"
	rc=$?
	say "$(cat "$TMP/ff.out")"
	grep -o "credentials file [^;]*" "$TMP/ff.log" | sort -u | head -8 >&2
	[ $rc = 0 ] && [ "$(field unset "$TMP/ff.out")" = 0 ] && [ "$(field generations "$TMP/ff.out")" = 2 ] &&
		grep -q "No such file or directory" "$TMP/ff.log" && grep -q "not a regular file" "$TMP/ff.log" &&
		grep -q "is empty" "$TMP/ff.log"
}

# Too many open files: the fetch fails cleanly, the program runs on.
t_emfile() {
	start_server emf --ttl 60
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" P="$PRELOAD" \
		sh -c 'ulimit -n 5 && LD_PRELOAD="$P" exec "$0" 1 1 --expect-none' "$PROGS/reader" \
		>"$TMP/emf.out" 2>"$TMP/emf.log"
	rc=$?
	kill "$emf_pid"
	cat "$TMP/emf.out" "$TMP/emf.log" >&2
	[ $rc = 0 ] && grep -q "stsenv: error: no credential" "$TMP/emf.log"
}

# malloc failing (every third call) from the start, in a program that
# reads its credential and in its tree's keeper, which inherits the shim:
# no crash, no torn or expired value, a normal exit.
t_enomem() {
	cc -O2 -shared -fPIC -o "$TMP/libfailmalloc.so" "$ROOT/tests/shim/failmalloc.c" || return 1
	start_server nomem --ttl 4 --rotate-within 2
	ok=0
	for after in 0; do
		clean_env timeout 60 env LD_PRELOAD="$PRELOAD $TMP/libfailmalloc.so" \
			STSENV_TEST_MALLOC_FAIL_AFTER_MS=$after ALIBABA_CLOUD_CREDENTIALS_URI="$URI" \
			STSENV_REFRESH_MARGIN=2 "$PROGS/reader" 4 6 >"$TMP/nomem.out" 2>"$TMP/nomem.log"
		rc=$?
		say "fail after ${after} ms: rc=$rc $(cat "$TMP/nomem.out")"
		grep -o "refresh failed: [^;]*\|no credential: .*" "$TMP/nomem.log" | sort -u | head -3 >&2
		[ $rc = 0 ] && [ "$(field torn "$TMP/nomem.out")" = 0 ] &&
			[ "$(field expired "$TMP/nomem.out")" = 0 ] || ok=1
	done
	kill "$nomem_pid"
	return $ok
}
