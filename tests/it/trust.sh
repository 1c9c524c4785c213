# Trust: one writer per tree, no boundary crossed, nothing of the host's
# touched, nothing secret left behind.  Sourced by tests/run.sh.

# A process of the tree asks the keeper for the page, as any may, and
# tries every way to write it: none works, and the tree's credential is
# intact afterwards.  Under the launcher and under plain LD_PRELOAD.
t_hostile_sibling() {
	mode=$1
	start_server host --ttl 60
	if [ "$mode" = launcher ]; then
		clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$BUILD/stsenv" -- sh -c '"$0"; sleep 0.2; "$1" ALIBABA_CLOUD_ACCESS_KEY_ID' \
			"$PROGS/hostile" "$PROGS/getenvs"
	else
		under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" sh -c '"$0"; sleep 0.2; "$1" ALIBABA_CLOUD_ACCESS_KEY_ID' \
			"$PROGS/hostile" "$PROGS/getenvs"
	fi >"$TMP/hs.out" 2>"$TMP/hs.log"
	id=$(stat_of id)
	kill "$host_pid"
	cat "$TMP/hs.out" >&2
	grep -q "^got page$" "$TMP/hs.out" && ! grep -q "WROTE" "$TMP/hs.out" &&
		[ "$(grep -c ": refused$" "$TMP/hs.out")" = 8 ] &&
		grep -q "^ALIBABA_CLOUD_ACCESS_KEY_ID=$id$" "$TMP/hs.out"
}

# A process that changed uid (setpriv, as a daemon dropping privileges):
# root's keeper does not hand it root's page (it starts a tree of its own,
# under its own uid), and nothing it does touches root's credential.
t_changed_uid_refused() {
	[ "$(id -u)" = 0 ] && command -v setpriv >/dev/null || { say "needs root and setpriv"; return 77; }
	start_server uid --ttl 60
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$BUILD/stsenv" -- sh -c \
		'HOSTILE_TREE=$STSENV_TREE setpriv --reuid=65534 --regid=65534 --clear-groups "$0"; "$1" ALIBABA_CLOUD_ACCESS_KEY_ID' \
		"$PROGS/hostile" "$PROGS/getenvs" >"$TMP/uid.out" 2>"$TMP/uid.log"
	id=$(stat_of id)
	kill "$uid_pid"
	cat "$TMP/uid.out" >&2
	grep -q "^refused$" "$TMP/uid.out" && grep -q "^ALIBABA_CLOUD_ACCESS_KEY_ID=$id$" "$TMP/uid.out"
}

# In a tree on source A, a child configured for source B serves B's
# credential, its own; its sibling and the rest of the tree keep A's.
t_other_source_no_swap() {
	start_server srcb --ttl 7200
	URI_B=$URI
	PORT_B=$PORT
	start_server srca --ttl 60
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$BUILD/stsenv" -- sh -c '
		ALIBABA_CLOUD_CREDENTIALS_URI="$2" "$0" ALIBABA_CLOUD_ACCESS_KEY_ID
		sleep 0.3
		"$0" ALIBABA_CLOUD_ACCESS_KEY_ID
		"$1" sh -c "\"\$0\" ALIBABA_CLOUD_ACCESS_KEY_ID" "$0"' \
		"$PROGS/getenvs" "$BUILD/stsenv" "$URI_B" >"$TMP/sw.out" 2>"$TMP/sw.log"
	id_a=$(stat_of id)
	PORT=$PORT_B
	id_b=$(stat_of id)
	kill "$srca_pid" "$srcb_pid"
	say "A=$id_a B=$id_b: $(tr '\n' ' ' <"$TMP/sw.out")"
	[ "$(sed -n 1p "$TMP/sw.out")" = "ALIBABA_CLOUD_ACCESS_KEY_ID=$id_b" ] &&
		[ "$(sed -n 2p "$TMP/sw.out")" = "ALIBABA_CLOUD_ACCESS_KEY_ID=$id_a" ] &&
		[ "$(sed -n 3p "$TMP/sw.out")" = "ALIBABA_CLOUD_ACCESS_KEY_ID=$id_a" ]
}

# The source still answers the credential we hold at refresh time (it
# rotates 4 s before expiry; we refresh 5 s before): with 32 workers
# reading, the tree asks at most once per rotation, plus two.
t_no_herd_on_unchanged() {
	start_server herd --ttl 8 --rotate-within 4
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=5 "$BUILD/stsenv" -- \
		"$PROGS/forker" 32 14 >"$TMP/herd.out" 2>"$TMP/herd.log"
	rc=$?
	reqs=$(stat_of requests)
	gens=$(stat_of generations_served)
	kill "$herd_pid"
	say "rc=$rc generations=$gens requests=$reqs"
	note "no_herd_on_unchanged (32 workers, source rotating after our margin): generations=$gens requests=$reqs"
	[ $rc = 0 ] && [ "$gens" -ge 3 ] && [ "$reqs" -le $((gens + 2)) ]
}

# A daemon closes every descriptor and opens its data file as fd 3: log
# lines never land there, whatever the level.  A log file that is a
# symbolic link is not followed.
t_log_never_in_host_files() {
	start_server logfd --ttl 4 --rotate-within 2
	under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=2 STSENV_LOG=debug \
		STSENV_LOG_FILE="$TMP/stsenv.log" "$PROGS/closefds" "$TMP/data.bin" 6 >"$TMP/lf.out" 2>"$TMP/lf.err"
	ln -s "$TMP/victim" "$TMP/link.log"
	echo precious >"$TMP/victim"
	under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_LOG=debug STSENV_LOG_FILE="$TMP/link.log" \
		"$PROGS/getenvs" HOME >/dev/null 2>"$TMP/lf2.err"
	kill "$logfd_pid"
	say "$(cat "$TMP/lf.out"); $(wc -l <"$TMP/stsenv.log") log lines; victim: $(cat "$TMP/victim")"
	grep -q "^data intact$" "$TMP/lf.out" && [ "$(wc -l <"$TMP/stsenv.log")" -ge 3 ] &&
		[ "$(cat "$TMP/victim")" = precious ] && grep -q "STSENV_LOG_FILE" "$TMP/lf2.err"
}

# The launcher leaves no core of its own (its memory holds the tree's
# credentials) when it dies of its command's signal; the command still
# dumps as it would without stsenv.
t_launcher_never_dumps() {
	start_server core --ttl 60
	mkdir -p "$TMP/launcher-cwd" "$TMP/child-cwd"
	(cd "$TMP/launcher-cwd" && ulimit -c unlimited &&
		clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$BUILD/stsenv" -- sh -c 'cd "$0" && kill -SEGV $$' \
			"$TMP/child-cwd") >/dev/null 2>&1
	rc=$?
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$BUILD/stsenv" -- sh -c 'grep "core file" /proc/$PPID/limits' \
		>"$TMP/core.limits" 2>/dev/null
	kill "$core_pid"
	say "rc=$rc launcher dir: $(ls "$TMP/launcher-cwd" | tr '\n' ' ') child dir: $(ls "$TMP/child-cwd" | tr '\n' ' '); $(cat "$TMP/core.limits")"
	[ $rc = 139 ] && [ -z "$(ls "$TMP/launcher-cwd")" ] && grep -q "core file size *0 " "$TMP/core.limits" &&
		{ [ "$(cat /proc/sys/kernel/core_pattern)" != core ] || [ -n "$(ls "$TMP/child-cwd")" ]; }
}

# What holds the credential in a process of the tree is left out of its
# core dumps (MADV_DONTDUMP): the memory getenv's value lives in.
t_credential_memory_not_dumped() {
	start_server dd --ttl 60
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$BUILD/stsenv" -- "$PROGS/addrof" ALIBABA_CLOUD_ACCESS_KEY_SECRET 3 \
		>"$TMP/dd.out" 2>/dev/null &
	apid=$!
	sleep 1
	read -r pid addr <"$TMP/dd.out"
	flags=$(python3 - "$pid" "$addr" <<'PY'
import sys
pid, addr = sys.argv[1], int(sys.argv[2], 16)
inside = False
for line in open("/proc/%s/smaps" % pid):
    f = line.split()
    if "-" in f[0] and ":" not in f[0]:
        lo, hi = (int(x, 16) for x in f[0].split("-"))
        inside = lo <= addr < hi
    elif inside and f[0] == "VmFlags:":
        print(" ".join(f[1:]))
PY
)
	wait "$apid"
	kill "$dd_pid"
	say "value at $addr in a mapping with flags: $flags"
	echo " $flags " | grep -q " dd "
}

# Userinfo with an unencoded '@' never reaches a log; an upper-case scheme
# works; a process of a tree shows its credential in /proc/PID/environ to
# its own uid and root only.
t_uri_and_environ_visibility() {
	start_server vis --ttl 60
	under ALIBABA_CLOUD_CREDENTIALS_URI="http://u:PASS@WORD3@127.0.0.1:1/c" STSENV_TIMEOUT_MS=500 \
		"$PROGS/getenvs" ALIBABA_CLOUD_ACCESS_KEY_ID >"$TMP/vis1" 2>"$TMP/vis1.log"
	upper=$(echo "$URI" | sed 's|^http://|HTTP://|')
	under ALIBABA_CLOUD_CREDENTIALS_URI="$upper" "$PROGS/getenvs" ALIBABA_CLOUD_ACCESS_KEY_ID >"$TMP/vis2" 2>&1
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$BUILD/stsenv" -- sh -c 'sleep 2' &
	lpid=$!
	sleep 1
	child=$(pgrep -f "^sh -c sleep 2" | head -1)
	own=$(tr '\0' '\n' <"/proc/$child/environ" | grep -c "^ALIBABA_CLOUD_ACCESS_KEY_SECRET=fakesecret")
	other=skipped
	if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
		setpriv --reuid=65534 --regid=65534 --clear-groups cat "/proc/$child/environ" >/dev/null 2>&1 &&
			other=readable || other=denied
	fi
	wait "$lpid"
	kill "$vis_pid"
	say "log: $(cat "$TMP/vis1.log") | upper: $(cat "$TMP/vis2") | own uid sees it: $own, other uid: $other"
	! grep -q "WORD3\|PASS" "$TMP/vis1.log" && grep -q "http://127.0.0.1:1/c" "$TMP/vis1.log" &&
		grep -q "=STS.g" "$TMP/vis2" && [ "$own" = 1 ] && [ "$other" != readable ]
}
