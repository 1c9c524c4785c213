# Delivery: every child gets a fresh credential, whoever its parent is;
# what the caller does to an environment stays; exec on a small stack; fork
# in a signal handler; errno; one credential per read sequence.
# Sourced by tests/run.sh (its helpers: start_server, under, check, ...).

# Every line "now=MS id=... exp=..." of a stamp-static child: never expired,
# never past its refresh time (exp - margin) by more than SLACK ms.
# Prints "runs=N ids=N worst_ms=N"; false if a run broke the rule.
check_stamps() { # check_stamps FILE MARGIN_S SLACK_MS
	python3 - "$1" "$2" "$3" <<'PY'
import re, sys, datetime
lines = [l for l in open(sys.argv[1]) if l.startswith("now=")]
margin, slack = float(sys.argv[2]) * 1000, float(sys.argv[3])
bad, worst, ids = [], -1e9, set()
for l in lines:
    m = re.match(r"now=(\d+) id=(\S+) exp=(\S+)", l)
    if not m or m.group(3) == "-":
        bad.append("no credential: " + l.strip()); continue
    now = int(m.group(1)); ids.add(m.group(2))
    exp = datetime.datetime.strptime(m.group(3), "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp() * 1000
    past = now - (exp - margin)  # ms past its refresh time
    worst = max(worst, past)
    if exp <= now:
        bad.append("expired: " + l.strip())
    elif past > slack:
        bad.append("%d ms past its refresh time: %s" % (past, l.strip()))
print("runs=%d ids=%d worst_ms=%d" % (len(lines), len(ids), worst))
for b in bad[:5]:
    print("  " + b, file=sys.stderr)
sys.exit(1 if bad or len(lines) < 10 else 0)
PY
}

# t_children_fresh MODE PARENT: a parent that never reads the names starts a
# static child every half second for 20 s (6 rotations: credentials live
# 8 s, refreshed 5 s before expiry).  MODE preload (plain LD_PRELOAD) or
# launcher.  Every child's credential is unexpired and at most 1 s past its
# refresh time (the keeper's jitter and one fetch); the source gets at most
# one request per rotation, plus two.
t_children_fresh() {
	mode=$1 parent=$2
	start_server kids --ttl 8 --rotate-within 5
	S="$PROGS/../progs/stamp-static"
	[ -x "$S" ] || S="$ROOT/build/progs/stamp-static"
	case "$parent" in
	python) set -- python3 -c "import subprocess, time
for i in range(40):
    subprocess.run(['$S']); time.sleep(0.5)" ;;
	perl) set -- perl -e 'for (1..40) { system($ARGV[0]); select(undef, undef, undef, 0.5) }' "$S" ;;
	node) command -v node >/dev/null || { say "node missing"; return 77; }
		set -- node -e "const cp = require('child_process');
let i = 0; const t = setInterval(() => { process.stdout.write(cp.spawnSync('$S').stdout); if (++i == 40) clearInterval(t); }, 500);" ;;
	bash) set -- bash -c 'for i in $(seq 40); do "$0"; sleep 0.5; done' "$S" ;;
	dash) set -- dash -c 'i=0; while [ $i -lt 40 ]; do "$0"; sleep 0.5; i=$((i+1)); done' "$S" ;;
	bash-sleeps-past-expiry) set -- bash -c 'sleep 10; for i in $(seq 20); do "$0"; sleep 0.5; done' "$S" ;;
	vfork) set -- "$PROGS/childloop" vfork 500 20 "$S" ;;
	spawn) set -- "$PROGS/childloop" spawn 500 20 "$S" ;;
	esac
	if [ "$mode" = launcher ]; then
		clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=5 "$BUILD/stsenv" -- "$@"
	else
		under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=5 "$@"
	fi >"$TMP/kids.out" 2>"$TMP/kids.log"
	rc=$?
	reqs=$(stat_of requests)
	gens=$(stat_of generations_served)
	kill "$kids_pid"
	res=$(check_stamps "$TMP/kids.out" 5 1000)
	ok=$?
	say "$parent: rc=$rc $res generations=$gens requests=$reqs"
	note "children_fresh($mode, $parent): $res generations=$gens requests=$reqs"
	[ $rc = 0 ] && [ $ok = 0 ] && [ "$gens" -ge 4 ] && [ "$reqs" -le $((gens + 2)) ]
}

# What the caller does to an environment stays, at exec.
t_callers_word() {
	mode=$1
	start_server word --ttl 60
	if [ "$mode" = launcher ]; then
		run() { clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$BUILD/stsenv" -- "$@"; }
	else
		run() { under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$@"; }
	fi
	ok=0
	run sh -c 'env ALIBABA_CLOUD_ACCESS_KEY_ID=LTAIuserStaticKey123 ALIBABA_CLOUD_ACCESS_KEY_SECRET=userSecret /usr/bin/env' \
		>"$TMP/w1" 2>/dev/null
	grep -q "^ALIBABA_CLOUD_ACCESS_KEY_ID=LTAIuserStaticKey123$" "$TMP/w1" &&
		grep -q "^ALIBABA_CLOUD_ACCESS_KEY_SECRET=userSecret$" "$TMP/w1" &&
		grep -q "^OSS_ACCESS_KEY_ID=STS.g" "$TMP/w1" || { say "env NAME=value: $(grep -c ALIBABA "$TMP/w1")"; ok=1; }
	run env -u ALIBABA_CLOUD_SECURITY_TOKEN printenv ALIBABA_CLOUD_SECURITY_TOKEN >"$TMP/w2" 2>/dev/null
	[ ! -s "$TMP/w2" ] || { say "env -u: the token came back"; ok=1; }
	run env -i OSS_ACCESS_KEY_ID=LTAImine OSS_ACCESS_KEY_SECRET=mySecret /usr/bin/env >"$TMP/w3" 2>/dev/null
	[ "$(wc -l <"$TMP/w3")" = 2 ] || { say "env -i: $(cut -d= -f1 "$TMP/w3" | tr '\n' ' ')"; ok=1; }
	run bash -c 'unset ALIBABA_CLOUD_SECURITY_TOKEN; printenv ALIBABA_CLOUD_SECURITY_TOKEN' >"$TMP/w4" 2>/dev/null
	[ ! -s "$TMP/w4" ] || { say "bash unset: the token came back"; ok=1; }
	run python3 -c "import subprocess; subprocess.run(['/usr/bin/env'], env={'ONLY': '1'})" >"$TMP/w5" 2>/dev/null
	[ "$(cat "$TMP/w5")" = "ONLY=1" ] || { say "subprocess env=: $(cut -d= -f1 "$TMP/w5" | tr '\n' ' ')"; ok=1; }
	run perl -e '$ENV{OSS_ACCESS_KEY_ID} = "LTAIperlOwn"; delete $ENV{ALIBABA_CLOUD_SECURITY_TOKEN}; exec "/usr/bin/env"' \
		>"$TMP/w6" 2>/dev/null
	grep -q "^OSS_ACCESS_KEY_ID=LTAIperlOwn$" "$TMP/w6" && ! grep -q "^ALIBABA_CLOUD_SECURITY_TOKEN=" "$TMP/w6" &&
		grep -q "^ALIBABA_CLOUD_ACCESS_KEY_ID=STS.g" "$TMP/w6" || { say "perl %ENV: not kept"; ok=1; }
	# In the process: setenv, unsetenv, putenv, clearenv are final; errno stays.
	run "$PROGS/envown" >"$TMP/w7" 2>/dev/null
	cat >"$TMP/w7.want" <<EOF
errno 4242
setenv ALIBABA_CLOUD_ACCESS_KEY_ID=LTAIsetOwnKey
unsetenv ALIBABA_CLOUD_SECURITY_TOKEN=(unset)
putenv OSS_ACCESS_KEY_ID=LTAIputOwnKey
clearenv OSS_SESSION_TOKEN=(unset)
clearenv ALICLOUD_ACCESS_KEY=(unset)
after-clear OSS_SESSION_TOKEN=tok-after-clear
EOF
	grep -v "^start\|^setenv-" "$TMP/w7" | cmp -s - "$TMP/w7.want" &&
		grep -q "^start ALIBABA_CLOUD_ACCESS_KEY_ID=STS.g" "$TMP/w7" &&
		grep -q "^setenv-other ALIBABA_CLOUD_ACCESS_KEY_SECRET=fakesecret-g" "$TMP/w7" &&
		grep -q "^setenv-no-overwrite ALICLOUD_ACCESS_KEY=STS.g" "$TMP/w7" ||
		{ say "in process: $(tr '\n' ';' <"$TMP/w7")"; ok=1; }
	kill "$word_pid"
	return $ok
}

# Exec where little stack is left with a 15,000-byte token
# (four names carry it) and a rotation before the exec.
t_small_stacks() {
	start_server stack --ttl 6 --rotate-within 3 --token-size 15000
	ok=0
	runs() { clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=3 "$BUILD/stsenv" -- \
		sh -c 'sleep 4; exec "$@"' sh "$@"; }
	runs "$PROGS/smallstack" altstack "$PROGS/getenvs" ALIBABA_CLOUD_SECURITY_TOKEN OSS_SESSION_TOKEN \
		>"$TMP/ss1" 2>"$TMP/ss1.log"
	g=$(stat_of generation)
	tok=$(sed -n 's/^ALIBABA_CLOUD_SECURITY_TOKEN=faketoken-g0*\([0-9]*\)-.*/\1/p' "$TMP/ss1")
	len=$(sed -n 's/^OSS_SESSION_TOKEN=//p' "$TMP/ss1" | tr -d '\n' | wc -c)
	[ "$tok" = "$g" ] && [ "$len" -ge 15000 ] || { say "altstack: generation ${tok:-none} of $g, $len bytes"; ok=1; }
	runs "$PROGS/smallstack" thread "$PROGS/getenvs" OSS_SESSION_TOKEN >"$TMP/ss2" 2>"$TMP/ss2.log"
	g=$(stat_of generation)
	tok=$(sed -n 's/^OSS_SESSION_TOKEN=faketoken-g0*\([0-9]*\)-.*/\1/p' "$TMP/ss2")
	grep -q "^rc=0 " "$TMP/ss2" && [ "$tok" = "$g" ] || { say "64 KiB thread: $(head -c 120 "$TMP/ss2")"; ok=1; }
	# Failing exec from the alternate stack: the errno libc gives, with a
	# credential and with no source at all.
	clean_env "$PROGS/smallstack" altstack-fail >"$TMP/ss3.bare"
	runs "$PROGS/smallstack" altstack-fail >"$TMP/ss3" 2>/dev/null
	clean_env LD_PRELOAD="$PRELOAD" STSENV_LOG=off "$PROGS/smallstack" altstack-fail >"$TMP/ss4" 2>/dev/null
	cmp -s "$TMP/ss3.bare" "$TMP/ss3" && cmp -s "$TMP/ss3.bare" "$TMP/ss4" ||
		{ say "altstack-fail: $(cat "$TMP/ss3.bare") / $(cat "$TMP/ss3") / $(cat "$TMP/ss4")"; ok=1; }
	# 1.5 million entries: E2BIG, as without the preload.
	clean_env "$PROGS/smallstack" huge >"$TMP/ss5.bare" 2>&1
	runs "$PROGS/smallstack" huge >"$TMP/ss5" 2>/dev/null
	cmp -s "$TMP/ss5.bare" "$TMP/ss5" || { say "huge envp: $(cat "$TMP/ss5.bare") / $(cat "$TMP/ss5")"; ok=1; }
	kill "$stack_pid"
	return $ok
}

# A token of 16,300 bytes (the cap is 16 KiB), handed down fresh after a
# rotation to a static child, four names each.
t_token_at_cap() {
	start_server cap --ttl 6 --rotate-within 3 --token-size 16300
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=3 "$BUILD/stsenv" -- \
		sh -c 'sleep 4; "$0"' "$PROGS/../progs/stamp-static" >"$TMP/cap.out" 2>"$TMP/cap.log"
	g=$(stat_of generation)
	kill "$cap_pid"
	say "$(cat "$TMP/cap.out") of generation $g"
	grep -q "token=16300:faketoken-g0*$g-" "$TMP/cap.out" && [ "$g" -ge 2 ]
}

# fork() from a SIGALRM handler every 2 ms while the main loop reads, with
# the source down and up: it finishes (a deadlock would hang it).
t_fork_in_signal_handler() {
	clean_env LD_PRELOAD="$PRELOAD" STSENV_LOG=off ALIBABA_CLOUD_CREDENTIALS_URI=http://127.0.0.1:1/c \
		timeout 30 "$PROGS/sigfork" 3 >"$TMP/sf1" 2>&1
	rc1=$?
	start_server sigf --ttl 4 --rotate-within 2
	clean_env LD_PRELOAD="$PRELOAD" STSENV_LOG=off ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=2 \
		timeout 30 "$PROGS/sigfork" 5 >"$TMP/sf2" 2>&1
	rc2=$?
	kill "$sigf_pid"
	say "down: rc=$rc1 $(cat "$TMP/sf1"); up: rc=$rc2 $(cat "$TMP/sf2")"
	[ $rc1 = 0 ] && [ $rc2 = 0 ] && [ "$(field forks "$TMP/sf2")" -gt 100 ]
}

# STSENV_VARS=MY_AK=id with MY_AK set to the user's own key: only that
# family is the user's, in the preload and in `stsenv env` alike.
t_user_var_key() {
	start_server uvar --ttl 60
	under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_VARS="MY_AK=id,MY_SK=secret" MY_AK=LTAIusersOwnKey4567 \
		"$PROGS/getenvs" ALIBABA_CLOUD_ACCESS_KEY_ID MY_AK MY_SK >"$TMP/uv" 2>"$TMP/uv.log"
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_VARS="MY_AK=id,MY_SK=secret" MY_AK=LTAIusersOwnKey4567 \
		"$BUILD/stsenv" env >"$TMP/uv.env" 2>/dev/null
	kill "$uvar_pid"
	cat "$TMP/uv" "$TMP/uv.log" >&2
	grep -q "^ALIBABA_CLOUD_ACCESS_KEY_ID=STS.g" "$TMP/uv" && grep -q "^MY_AK=LTAIusersOwnKey4567$" "$TMP/uv" &&
		grep -q "^MY_SK unset$" "$TMP/uv" && [ "$(grep -c "static key" "$TMP/uv.log")" = 1 ] &&
		grep -q "ALIBABA_CLOUD_ACCESS_KEY_ID=" "$TMP/uv.env" && ! grep -q "MY_AK" "$TMP/uv.env"
}

# One credential per read sequence: a C reader that reads
# each of five names twice in a shuffled order, and Node.js reading long
# values through process.env (twice each, inside libuv), across about six
# rotations with tokens of 1,500 bytes.
t_no_torn_sequences() {
	mode=$1
	start_server seq --ttl 5 --rotate-within 3 --token-size 1500
	if [ "$mode" = launcher ]; then
		run() { clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=3 "$BUILD/stsenv" -- "$@"; }
	else
		run() { under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=3 "$@"; }
	fi
	run "$PROGS/seqreader" 4 14 150 >"$TMP/sq1" 2>"$TMP/sq1.log" &
	cpid=$!
	if command -v node >/dev/null; then
		run node -e "
const gen = (v) => (v && /g0*(\d+)/.exec(v) || [])[1];
let n = 0, torn = 0, seen = new Set();
const t = setInterval(() => {
  const e = process.env;
  const g = [e.OSS_ACCESS_KEY_ID, e.OSS_ACCESS_KEY_SECRET, e.OSS_SESSION_TOKEN,
             e.ALIBABA_CLOUD_SECURITY_TOKEN].map(gen);
  n++; if (new Set(g).size != 1) torn++; else seen.add(g[0]);
  if (n == 90) { clearInterval(t); console.log('node reads=' + n + ' torn=' + torn + ' generations=' + seen.size); }
}, 150);" >"$TMP/sq2" 2>"$TMP/sq2.log"
	else
		echo "node reads=0 torn=0 generations=9" >"$TMP/sq2"
	fi
	wait "$cpid"
	kill "$seq_pid"
	say "$mode: $(cat "$TMP/sq1") | $(cat "$TMP/sq2")"
	note "no_torn_sequences($mode): $(cat "$TMP/sq1") | $(cat "$TMP/sq2")"
	[ "$(field torn "$TMP/sq1")" = 0 ] && [ "$(field unset "$TMP/sq1")" = 0 ] &&
		[ "$(field changes "$TMP/sq1")" -ge 3 ] && [ "$(field torn "$TMP/sq2")" = 0 ] &&
		[ "$(field generations "$TMP/sq2")" -ge 3 ]
}
