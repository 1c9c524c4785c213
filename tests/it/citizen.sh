# The launcher and the keeper as good citizens: a PID 1 or subreaper host
# never sees a child it did not start, a command that stops itself stops
# the job, a signal sent to the whole job reaches the command once, a
# relative STSENV_LOG_FILE is where it was given, and a keeper that cannot
# start is reported once per tree with its real cause.

# A host that reaps until no child is left (os.wait() until
# ChildProcessError) finishes: as PID 1 of a PID namespace, under plain
# preload, in Python and in Perl; and as a child subreaper.
t_pid1_reaper() {
	[ "$(id -u)" = 0 ] || { say "needs root for unshare -p"; return 77; }
	unshare -p -f --mount-proc true 2>/dev/null || { say "unshare -p is not allowed here"; return 77; }
	start_server pid1 --ttl 60
	cat >"$TMP/waitall.py" <<'EOF'
import os, subprocess
for _ in range(2):
    subprocess.Popen(["/bin/sleep", "0.2"])
n = 0
while True:
    try:
        os.wait()
        n += 1
    except ChildProcessError:
        break
print("pid=%d reaped=%d id=%s" % (os.getpid(), n, os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID", "")[:5]))
EOF
	set -- ALIBABA_CLOUD_CREDENTIALS_URI="$URI"
	start=$(date +%s)
	clean_env "$@" timeout -s KILL 20 unshare -p -f --mount-proc --kill-child \
		env LD_PRELOAD="$PRELOAD" python3 "$TMP/waitall.py" >"$TMP/pid1.py.out" 2>"$TMP/pid1.err"
	rc1=$?
	clean_env "$@" timeout -s KILL 20 unshare -p -f --mount-proc --kill-child env LD_PRELOAD="$PRELOAD" \
		perl -e 'my $p = fork; exec "/bin/sleep", "0.2" if !$p; my $n = 0; $n++ while wait() != -1;
			print "pid=$$ reaped=$n id=", substr($ENV{ALIBABA_CLOUD_ACCESS_KEY_ID} // "", 0, 5), "\n"' \
		>"$TMP/pid1.pl.out" 2>>"$TMP/pid1.err"
	rc2=$?
	# A child subreaper (set before exec: the setting survives it).
	clean_env "$@" timeout -s KILL 20 python3 -c '
import ctypes, os, sys
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
os.environ["LD_PRELOAD"] = sys.argv[1]
os.execv(sys.executable, [sys.executable, sys.argv[2]])' "$PRELOAD" "$TMP/waitall.py" >"$TMP/pid1.sub.out" 2>>"$TMP/pid1.err"
	rc3=$?
	took=$(($(date +%s) - start))
	kill "$pid1_pid"
	say "rc=$rc1/$rc2/$rc3 in ${took}s: $(cat "$TMP/pid1.py.out") / $(cat "$TMP/pid1.pl.out") / $(cat "$TMP/pid1.sub.out") $(tail -3 "$TMP/pid1.err")"
	note "pid1_reaper: python $(cat "$TMP/pid1.py.out"), perl $(cat "$TMP/pid1.pl.out"), subreaper $(cat "$TMP/pid1.sub.out"), ${took}s for the three"
	[ $rc1 = 0 ] && [ $rc2 = 0 ] && [ $rc3 = 0 ] &&
		grep -q "^pid=1 reaped=2 id=STS.g" "$TMP/pid1.py.out" &&
		grep -q "^pid=1 reaped=1 id=STS.g" "$TMP/pid1.pl.out" &&
		grep -q "reaped=2 id=STS.g" "$TMP/pid1.sub.out"
}

# On a pty, an interactive bash runs a command under the launcher that
# stops only itself (kill(getpid(), SIGTSTP), as tmux's client does): the
# shell sees the job stop and goes on, as without stsenv ($? is 148).
t_self_stop_on_pty() {
	start_server tstp --ttl 60
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV="$BUILD/stsenv" timeout -s KILL 30 python3 - >"$TMP/tstp.out" 2>"$TMP/tstp.err" <<'EOF'
import os, pty, select, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp("bash", ["bash", "--norc", "--noprofile", "-i"])
cmd = ('"$STSENV" -- python3 -c "import os, signal; os.kill(os.getpid(), signal.SIGTSTP)"; '
       'echo AFTER=$?; exit\n')
os.write(fd, cmd.encode())
out, end = b"", time.time() + 20
while time.time() < end and b"AFTER=" not in out.split(b"echo AFTER")[-1]:
    r, _, _ = select.select([fd], [], [], 0.5)
    if r:
        try:
            out += os.read(fd, 4096)
        except OSError:
            break
tail = out.split(b"echo AFTER")[-1]
print("after=" + (tail.split(b"AFTER=")[1][:3].decode(errors="replace") if b"AFTER=" in tail else "never"))
os.kill(pid, 9)
EOF
	kill "$tstp_pid"
	say "$(cat "$TMP/tstp.out") $(tail -2 "$TMP/tstp.err")"
	note "self_stop_on_pty: $(cat "$TMP/tstp.out")"
	grep -q "^after=148" "$TMP/tstp.out"
}

# A job whose first TERM shuts down gracefully (exit 0) and whose second
# means "force quit" (exit 3), signalled through its process group, and in
# the systemd pattern (every process of the job at once): each signal
# reaches it once, so it always shuts down gracefully.
t_job_signal_once() {
	start_server sig1 --ttl 60
	cat >"$TMP/job.py" <<'EOF'
import os, signal, sys, time
seen = []
def term(sig, frame):
    seen.append(sig)
    if len(seen) > 1:
        print("forced"); sys.stdout.flush(); os._exit(3)
signal.signal(signal.SIGTERM, term)
open(sys.argv[1], "w").write("%d\n" % os.getpid())
while not seen:
    time.sleep(0.05)
time.sleep(1)  # a second TERM, if one comes, arrives now
print("graceful"); sys.stdout.flush()
sys.exit(0)
EOF
	ok=0 good=0 runs=0
	for pattern in group group group systemd systemd; do
		runs=$((runs + 1))
		rm -f "$TMP/job.pid"
		# In a process group of its own, as a supervisor starts a job.
		clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" python3 -c \
			'import os, sys; os.setpgid(0, 0); os.execv(sys.argv[1], sys.argv[1:])' \
			"$BUILD/stsenv" -- python3 "$TMP/job.py" "$TMP/job.pid" >"$TMP/job.out" 2>"$TMP/job.err" &
		lpid=$!
		i=0
		while [ ! -s "$TMP/job.pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
		jpid=$(cat "$TMP/job.pid")
		pgid=$(ps -o pgid= -p "${jpid:-0}" | tr -d ' ')
		if [ -z "$jpid" ] || [ "$pgid" != "$jpid" ]; then
			say "$pattern: the job did not start in a group of its own (pid ${jpid:-none}, group ${pgid:-none}): $(cat "$TMP/job.err")"
			kill -KILL "$lpid" 2>/dev/null
			wait "$lpid"
			continue
		fi
		if [ "$pattern" = group ]; then
			/bin/kill -s TERM -- "-$pgid"
		else # systemd's control group: every process of the job, once each
			kill -TERM "$jpid" $(pgrep -f "keep --root $jpid") 2>/dev/null
		fi
		wait "$lpid"
		rc=$?
		[ "$rc" = 0 ] && grep -q graceful "$TMP/job.out" && good=$((good + 1))
		say "$pattern: rc=$rc $(cat "$TMP/job.out")"
	done
	kill "$sig1_pid"
	note "job_signal_once: $good of $runs graceful (3 through the process group, 2 in the systemd pattern)"
	[ "$good" = "$runs" ] || ok=1
	return $ok
}

# A relative STSENV_LOG_FILE is the file in the directory it was given in:
# the keeper's lines (refresh failed, and so on) are there, nothing in /;
# and a relative LD_PRELOAD still finds its keeper.
t_relative_log_file() {
	start_server rlog --ttl 60
	set_mode 500
	mkdir -p "$TMP/work"
	rm -f /job-stsenv-test.log
	(cd "$TMP/work" && clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_LOG_FILE=job-stsenv-test.log STSENV_LOG=warn \
		LD_PRELOAD="$PRELOAD" "$PROGS/getenvs" ALIBABA_CLOUD_ACCESS_KEY_ID >/dev/null 2>&1)
	(cd "$TMP/work" && clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_LOG_FILE=job-stsenv-test.log STSENV_LOG=warn \
		"$BUILD/stsenv" -- true >/dev/null 2>&1)
	set_mode ok
	rel=$(realpath --relative-to="$TMP/work" "$PRELOAD" 2>/dev/null)
	(cd "$TMP/work" && clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" LD_PRELOAD="$rel" \
		"$PROGS/getenvs" ALIBABA_CLOUD_ACCESS_KEY_ID >"$TMP/rlog.rel" 2>"$TMP/rlog.err")
	kill "$rlog_pid"
	lines=$(grep -c "HTTP status 500" "$TMP/work/job-stsenv-test.log" 2>/dev/null)
	say "lines in the relative file: ${lines:-0}; in /: $(wc -l </job-stsenv-test.log 2>/dev/null || echo none); relative LD_PRELOAD: $(cat "$TMP/rlog.rel") $(tail -2 "$TMP/rlog.err")"
	note "relative_log_file: ${lines:-0} lines in ./job.log, $([ -e /job-stsenv-test.log ] && echo some || echo none) in /"
	[ ! -e /job-stsenv-test.log ] && [ "${lines:-0}" -ge 2 ] && grep -q "=STS.g" "$TMP/rlog.rel"
}

# A tree whose keeper cannot start (the library copied without
# stsenv-keeper beside it): said once, for the tree, with the real cause;
# the tree's other processes stay quiet.
t_no_keeper_said_once() {
	[ -e /usr/local/bin/stsenv ] && { say "an installed /usr/local/bin/stsenv would be found"; return 77; }
	start_server nok --ttl 60
	mkdir -p "$TMP/nokeeper"
	cp "$BUILD/libstsenv.so" "$TMP/nokeeper/"
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_LOG=warn LD_PRELOAD="$TMP/nokeeper/libstsenv.so" \
		sh -c 'for i in 1 2 3 4 5; do /bin/true; done' >"$TMP/nok.out" 2>"$TMP/nok.err"
	rc=$?
	kill "$nok_pid"
	n=$(grep -c "stsenv:" "$TMP/nok.err")
	say "rc=$rc, $n lines: $(cat "$TMP/nok.err")"
	note "no_keeper_said_once: $n line(s) for a tree of 6 processes: $(head -1 "$TMP/nok.err")"
	[ $rc = 0 ] && [ "$n" = 1 ] && grep -q "cannot start the tree's keeper (.*): No such file or directory" "$TMP/nok.err"
}
