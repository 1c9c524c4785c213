# tests/it/safety.sh, sourced by tests/run.sh. Safety nets over the whole:
# no secret in any log, valgrind, a 64-thread stress, real programs byte for
# byte, clang-format and the structure rules.

t_no_secret_in_logs() {
	# Every log written by every test above, all at STSENV_LOG=debug.
	all="$TMP/all-output.txt"
	found=$(grep -c "fakesecret\|faketoken\|query-secret\|user-own-secret" "$all")
	lines=$(grep -c '^stsenv:' "$all")
	say "stsenv log lines checked: $lines, lines with a secret: $found"
	note "secrets: $lines stsenv log lines (STSENV_LOG=debug) checked, $found with a secret or token"
	[ "$lines" -gt 50 ] && [ "$found" = 0 ]
}

# valgrind memcheck on a threaded reader across rotations: no invalid read
# or write, and no leak beyond the retained snapshots.
t_valgrind() {
	command -v valgrind >/dev/null || { say "valgrind missing"; return 1; }
	start_server vg --ttl 4 --rotate-within 2
	clean_env LD_PRELOAD="$PRELOAD" ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=2 \
		valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--suppressions="$ROOT/tests/valgrind.supp" "$PROGS/reader" 2 7 >"$TMP/vg.out" 2>"$TMP/vg.log"
	rc=$?
	kill "$vg_pid"
	say "rc=$rc $(cat "$TMP/vg.out")"
	grep -v "^stsenv:" "$TMP/vg.log" | head -30 >&2
	note "valgrind: reader 2 threads 7 s across rotations: rc=$rc $(cat "$TMP/vg.out")"
	[ $rc = 0 ] && [ "$(field generations "$TMP/vg.out")" -ge 2 ]
}

t_stress() { # t_stress preload|launcher: 64 readers, setenv/unsetenv, spawns, for 10 s
	start_server stress --ttl 3 --rotate-within 1.5
	if [ "$1" = launcher ]; then
		clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=1 \
			"$BUILD/stsenv" -- "$PROGS/stress" 10 >"$TMP/stress.out" 2>"$TMP/stress.log"
	else
		under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=1 \
			"$PROGS/stress" 10 >"$TMP/stress.out" 2>"$TMP/stress.log"
	fi
	rc=$?
	reqs=$(stat_of requests)
	kill "$stress_pid"
	say "$(cat "$TMP/stress.out") requests=$reqs"
	note "stress_$1: $(cat "$TMP/stress.out") server_requests=$reqs"
	[ $rc = 0 ] || { tail -5 "$TMP/stress.log" >&2; return 1; }
	[ "$reqs" -le $(($(field generations "$TMP/stress.out") + 2)) ] # one fetch per rotation
}

t_compat() { # real programs with and without the preload; stdout is the report
	sh "$ROOT/tests/compat.sh" >"$TMP/compat.out" 2>&1
	rc=$?
	grep -v '^PASS' "$TMP/compat.out" >&2
	note "$(tail -1 "$TMP/compat.out")"
	return $rc
}

t_clang_format_clean() {
	command -v clang-format >/dev/null || { say "clang-format missing"; return 1; }
	cd "$ROOT" && clang-format --dry-run --Werror core/*.[ch] preload/*.[ch] cli/*.[ch] \
		tests/unit/*.[ch] tests/progs/*.c fuzz/*.c bench/*.c
}

# Include layers, no include cycle, no function over 60 lines in core/
# and preload/ (tools/check-structure.py says which rule and where).
t_structure_rules() { python3 "$ROOT/tools/check-structure.py" >&2; }
