# tests/it/runtimes.sh, sourced by tests/run.sh. Every kind of program:
# CPython, Perl, Java, Node (and its SDK), bash, dash, static binaries,
# vfork/posix_spawn/execle/system/popen, forked workers, fork during a
# refresh, user namespaces.

t_fork_while_refreshing() {
	start_server fork --ttl 4 --rotate-within 2
	# After the first fetch every answer takes 1.5 s, so forks land while
	# the refresher is inside a fetch.
	( sleep 1; set_mode slow:1500 ) &
	slower=$!
	under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=2 \
		"$PROGS/forker" 24 7 >"$TMP/fork.out" 2>"$TMP/fork.log"
	rc=$?
	wait "$slower"
	kill "$fork_pid"
	cat "$TMP/fork.out" >&2
	grep -v "^stsenv:" "$TMP/fork.log" >&2
	[ $rc = 0 ]
}

t_unshare_user_ns() {
	command -v unshare >/dev/null || { say "unshare missing"; return 77; }
	clean_env unshare -U true 2>/dev/null || { say "no user namespaces here"; return 77; }
	under unshare -U true && under unshare -U "$PROGS/getenvs" HOME >/dev/null
}

t_node_sdk_default_chain() {
	command -v node >/dev/null || { say "node missing"; return 1; }
	bash "$ROOT/tests/node/install.sh" >"$TMP/npm.log" 2>&1 || { cat "$TMP/npm.log" >&2; return 1; }
	start_server node --ttl 4 --rotate-within 2
	# The SDK's own chain would also try the URI; env comes first in it, and
	# the script insists that the credential came from default/env.
	clean_env HOME="$TMP" NODE_PATH="$ROOT/build/node/node_modules" \
		ALIBABA_CLOUD_ECS_METADATA_DISABLED=true ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true \
		ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=2 SECONDS=9 LD_PRELOAD="$PRELOAD" \
		node "$ROOT/tests/node/cred_chain.js" >"$TMP/node.out" 2>"$TMP/node.log"
	rc=$?
	reqs=$(stat_of requests)
	kill "$node_pid"
	tail -3 "$TMP/node.out" "$TMP/node.log" >&2
	n=$(sed -n 's/^distinct_ids \([0-9]*\)/\1/p' "$TMP/node.out")
	note "node_sdk_default_chain: distinct_ids=$n server_requests=$reqs"
	[ $rc = 0 ] && [ "${n:-0}" -ge 2 ]
}

gen_of() { sed -n 's/.*STS\.g0*\([0-9]*\)\..*/\1/p' | head -1; }

# t_runtime_matrix MODE: MODE "launcher" runs each program under stsenv,
# "preload" under plain LD_PRELOAD.  Credentials live 6 s (refreshed 3 s
# before expiry); each program waits 7 s, i.e. past a rotation, before it
# starts its children.
t_runtime_matrix() {
	start_server rt --ttl 6 --rotate-within 3
	if [ "$1" = launcher ]; then
		run() { clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=3 "$BUILD/stsenv" -- "$@"; }
	else
		run() { under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=3 "$@"; }
	fi
	G="$PROGS/getenvs ALIBABA_CLOUD_ACCESS_KEY_ID"
	ok=0
	run python3 -c "
import os, subprocess, time
print('start', os.environ.get('ALIBABA_CLOUD_ACCESS_KEY_ID'), flush=True)
time.sleep(7)
print('subprocess', subprocess.run('$G'.split(), capture_output=True, text=True).stdout.strip(), flush=True)
os.system('echo system \$ALIBABA_CLOUD_ACCESS_KEY_ID')
" >"$TMP/py.out" 2>"$TMP/py.log"
	run perl -e 'print "start $ENV{ALIBABA_CLOUD_ACCESS_KEY_ID}\n"; $|=1; sleep 7; system("'"$G"'");' >"$TMP/pl.out" 2>"$TMP/pl.log"
	run "$PROGS/spawner" "$PROGS/getenvs" 7 >"$TMP/sp.out" 2>"$TMP/sp.log"
	# posix_spawn@GLIBC_2.2.5 goes through the wrapper too: after a rotation
	# the child gets the refreshed credential, not the one in environ.
	run sh -c "sleep 7; \"$PROGS/oldspawn\" \"$PROGS/getenvs\"" >"$TMP/old.out" 2>"$TMP/old.log"
	say "oldspawn: $(cat "$TMP/old.out")"
	[ "$(gen_of <"$TMP/old.out")" -gt 1 ] 2>/dev/null || { say "old posix_spawn version not reached"; ok=1; }
	clean_env "$PROGS/spawner" "$PROGS/getenvs" 0 | grep errno >"$TMP/sp-bare.out"
	for f in py pl sp; do
		start=$(grep '^start' "$TMP/$f.out" | gen_of)
		[ $f = sp ] && start=1
		say "$f: $(tr '\n' ' ' <"$TMP/$f.out")"
		grep -v '^start\|errno' "$TMP/$f.out" | while read -r line; do
			g=$(echo "$line" | gen_of)
			[ -n "$g" ] && [ "$g" -gt "${start:-999}" ] || { say "stale: $line (started with $start)"; exit 1; }
		done || ok=1
	done
	[ "$(grep -c '^method' "$TMP/sp.out")" = 5 ] || ok=1
	grep errno "$TMP/sp.out" | cmp -s - "$TMP/sp-bare.out" || { say "errno differs"; ok=1; }
	if command -v javac >/dev/null; then
		printf 'public class Env { public static void main(String[] a) { System.out.println("java " + System.getenv("ALIBABA_CLOUD_ACCESS_KEY_ID")); } }\n' >"$TMP/Env.java"
		run java "$TMP/Env.java" >"$TMP/java.out" 2>"$TMP/java.log"
		say "$(cat "$TMP/java.out")"
		grep -q "^java STS.g" "$TMP/java.out" || ok=1
	fi
	kill "$rt_pid"
	return $ok
}

# A shell loop running a static binary once a second for about four
# rotations: every run must see an unexpired credential, and the whole tree
# must make about one request per rotation.
t_shell_loop_static() {
	start_server loop --ttl 6 --rotate-within 3
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=3 "$BUILD/stsenv" -- "$1" -c '
		i=0
		while [ $i -lt 14 ]; do
			"$0" ALIBABA_CLOUD_ACCESS_KEY_ID STSENV_EXPIRATION
			sleep 1
			i=$((i + 1))
		done' "$PROGS/getenvs-static" >"$TMP/loop.out" 2>"$TMP/loop.log"
	rc=$?
	reqs=$(stat_of requests)
	gens=$(grep '^ALIBABA' "$TMP/loop.out" | gen_of_all | sort -un | wc -l)
	now=$(date -u +%s)
	expired=0
	for e in $(sed -n 's/^STSENV_EXPIRATION=//p' "$TMP/loop.out"); do :; done
	kill "$loop_pid"
	say "$1 loop: $(grep -c '^ALIBABA' "$TMP/loop.out") runs, generations seen $gens, server requests $reqs"
	note "shell_loop_static($1): runs=$(grep -c '^ALIBABA' "$TMP/loop.out") generations=$gens server_requests=$reqs"
	[ $rc = 0 ] && [ "$(grep -c '^ALIBABA_CLOUD_ACCESS_KEY_ID=STS.g' "$TMP/loop.out")" = 14 ] &&
		[ "$gens" -ge 3 ] && [ "$reqs" -le $((gens + 2)) ] && check_unexpired "$TMP/loop.out"
}

gen_of_all() { sed -n 's/.*STS\.g0*\([0-9]*\)\..*/\1/p'; }

# Every STSENV_EXPIRATION line in FILE lies after the time its run printed
# it; runs are a second apart, so compare with the file's own order.
check_unexpired() {
	python3 - "$1" <<'PY'
import sys, datetime
lines = [l.strip() for l in open(sys.argv[1]) if l.startswith("STSENV_EXPIRATION=")]
# each run printed its expiration; the test's loop ran one run a second from
# the start: a run k seconds in must hold a credential expiring later
import os
start = os.stat(sys.argv[1]).st_mtime - len(lines)
bad = [l for k, l in enumerate(lines)
       if datetime.datetime.strptime(l.split("=")[1], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp() + 1 < start + k]
print("expired runs:", len(bad), file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}

# 32 forked workers reading the names through several rotations: the tree
# makes about one request per rotation, not one per worker.
t_forked_workers() {
	start_server workers --ttl 6 --rotate-within 3
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=3 \
		"$BUILD/stsenv" -- "$PROGS/forker" 32 12 >"$TMP/workers.out" 2>"$TMP/workers.log"
	rc=$?
	reqs=$(stat_of requests)
	gens=$(stat_of generations_served)
	kill "$workers_pid"
	say "$(cat "$TMP/workers.out") generations=$gens requests=$reqs"
	note "forked_workers(32, 12 s): generations=$gens server_requests=$reqs"
	[ $rc = 0 ] && [ "$reqs" -le $((gens + 3)) ]
}

# Node.js exports its own, statically linked OpenSSL.  When the preload in
# a Node process loaded libcurl (and the system's libssl) for a refresh
# while the SDK made HTTP requests of its own, libssl bound to Node's
# libcrypto and Node died of SIGSEGV.  Regression test for RTLD_DEEPBIND.
t_node_refresh_under_launcher() {
	command -v node >/dev/null || { say "node missing"; return 1; }
	bash "$ROOT/tests/node/install.sh" >/dev/null 2>&1 || return 1
	start_server nodel --ttl 20 --rotate-within 1
	clean_env HOME="$TMP" NODE_PATH="$ROOT/build/node/node_modules" BENCH_URI="$URI" \
		ALIBABA_CLOUD_CREDENTIALS_URI="$URI" N=150 "$BUILD/stsenv" -- node "$ROOT/bench/node_read.js" \
		>"$TMP/nodel.out" 2>"$TMP/nodel.log"
	rc=$?
	kill "$nodel_pid"
	say "rc=$rc $(cat "$TMP/nodel.out")"
	[ $rc = 0 ] && grep -q "sdk_ns=[0-9]* env_ns=[0-9]*" "$TMP/nodel.out"
}
