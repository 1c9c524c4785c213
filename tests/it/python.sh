# Long-lived programs: Python reads live through its bootstrap, the
# official SDK's default chain stays fresh, and programs that read their
# environment only at start are restarted or signalled on rotation.
# Sourced by tests/run.sh.

PYPROG=$(command -v python3)

# A CPython process reading os.environ every 0.5 s for 14 s (about five
# rotations): every generation seen, nothing expired, one credential per
# read; what it assigns or deletes is its own, and its children see it;
# the distribution's sitecustomize and the user's still run; PYTHONPATH
# and sys.path are as they were.
t_python_live() {
	mode=$1
	start_server pylive --ttl 6 --rotate-within 3
	mkdir -p "$TMP/usersite"
	echo 'import os; os.environ["USER_SITECUSTOMIZE_RAN"] = "yes"' >"$TMP/usersite/sitecustomize.py"
	cat >"$TMP/live.py" <<'PY'
import datetime, os, subprocess, sys, time
def gen(v):
    return v and v.split("-g")[-1][:6] if "-g" in (v or "") else (v or "")[5:11]
site = sys.modules.get("sitecustomize")
print("site", getattr(site, "__file__", None), os.environ.get("USER_SITECUSTOMIZE_RAN"))
print("pythonpath", os.environ.get("PYTHONPATH"), any(p.rstrip("/").endswith("/python") and os.path.exists(os.path.join(p, "sitecustomize.py")) and "stsenv" not in p for p in sys.path))
bad = seen = 0
gens = set()
for i in range(28):
    e = os.environ
    ident, secret, token, exp = e["ALIBABA_CLOUD_ACCESS_KEY_ID"], e["ALIBABA_CLOUD_ACCESS_KEY_SECRET"], os.getenv("OSS_SESSION_TOKEN"), e["STSENV_EXPIRATION"]
    tokenb = os.environb[b"ALIBABA_CLOUD_SECURITY_TOKEN"].decode()
    g = {ident[5:11], secret.split("-g")[1][:6], token.split("-g")[1][:6], tokenb.split("-g")[1][:6]}
    left = datetime.datetime.strptime(exp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp() - time.time()
    bad += len(g) != 1 or left < -1
    gens |= g
    time.sleep(0.5)
print("reads=%d bad=%d generations=%d" % (28, bad, len(gens)))
os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"] = "LTAImine"
del os.environ["OSS_SESSION_TOKEN"]
child = subprocess.run(["/usr/bin/env"], capture_output=True, text=True).stdout.split("\n")
print("own", os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"], "OSS_SESSION_TOKEN" in os.environ,
      "ALIBABA_CLOUD_ACCESS_KEY_ID=LTAImine" in child, any(l.startswith("OSS_SESSION_TOKEN=") for l in child))
PY
	set -- ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=3 PYTHONPATH="$TMP/usersite"
	if [ "$mode" = launcher ]; then
		clean_env "$@" "$BUILD/stsenv" -- "$PYPROG" "$TMP/live.py"
	else
		under "$@" "$PYPROG" "$TMP/live.py"
	fi >"$TMP/pl.out" 2>"$TMP/pl.log"
	rc=$?
	kill "$pylive_pid"
	say "$mode: rc=$rc $(tr '\n' ';' <"$TMP/pl.out")"
	note "python_live($mode): $(grep reads= "$TMP/pl.out")"
	[ $rc = 0 ] && grep -q "^site .* yes$" "$TMP/pl.out" &&
		grep -q "^pythonpath $TMP/usersite False$" "$TMP/pl.out" &&
		[ "$(field bad "$TMP/pl.out")" = 0 ] && [ "$(field generations "$TMP/pl.out")" -ge 4 ] &&
		grep -q "^own LTAImine False True False$" "$TMP/pl.out"
}

# The credentials SDK's default chain (a faithful stand-in of
# alibabacloud_credentials 1.0.x, tests/python/): one Client, called every
# 0.5 s for 14 s, credentials living 10 s.  Under stsenv it takes the
# environment provider (first in its chain), which stays fresh.
t_python_sdk() {
	mode=$1
	start_server pysdk --ttl 10 --rotate-within 6
	set -- HOME="$TMP" PYTHONPATH="$ROOT/tests/python" ALIBABA_CLOUD_ECS_METADATA_DISABLED=true \
		ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=6
	case $mode in
	alone) clean_env "$@" "$PYPROG" "$ROOT/tests/python/sdk_chain.py" "$PORT" 14 ;;
	launcher) clean_env "$@" "$BUILD/stsenv" -- "$PYPROG" "$ROOT/tests/python/sdk_chain.py" "$PORT" 14 ;;
	preload) under "$@" "$PYPROG" "$ROOT/tests/python/sdk_chain.py" "$PORT" 14 ;;
	esac >"$TMP/sdk.out" 2>"$TMP/sdk.log"
	rc=$?
	kill "$pysdk_pid"
	say "$mode: rc=$rc $(cat "$TMP/sdk.out") $(tail -2 "$TMP/sdk.log")"
	note "python_sdk_default_chain($mode): $(cat "$TMP/sdk.out")"
	[ $rc = 0 ] && [ "$(field expired "$TMP/sdk.out")" = 0 ] && [ "$(field calls "$TMP/sdk.out")" -ge 20 ] &&
		[ "$(field generations "$TMP/sdk.out")" -ge 3 ] &&
		{ [ "$mode" = alone ] || grep -q "provider=default/env" "$TMP/sdk.out"; }
}

# -E, -I and -S are honoured: the environment and sys.path are exactly as
# without stsenv; and a Python that does not load the preload is untouched
# even with the bootstrap on its PYTHONPATH.
t_python_flags() {
	start_server pyf --ttl 60
	ok=0
	for flags in -E -I -S -ES; do
		prog="import os, sys; print(os.environ.get('PYTHONPATH'), [p for p in sys.path if 'stsenv' in p or p.endswith('/python')], type(os.environ).__name__)"
		clean_env PYTHONPATH=/nowhere "$PYPROG" $flags -c "$prog" >"$TMP/f0" 2>&1
		clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" PYTHONPATH=/nowhere "$BUILD/stsenv" -- "$PYPROG" $flags -c "$prog" \
			>"$TMP/f1" 2>/dev/null
		cmp -s "$TMP/f0" "$TMP/f1" || { say "$flags: $(cat "$TMP/f0") / $(cat "$TMP/f1")"; ok=1; }
	done
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" PYTHONPATH="$BUILD/python" "$PYPROG" -c \
		"import os; print(type(os.environ).__name__)" >"$TMP/f2" 2>&1
	[ "$(cat "$TMP/f2")" = _Environ ] || { say "without the preload: $(cat "$TMP/f2")"; ok=1; }
	kill "$pyf_pid"
	return $ok
}

# A static daemon across three rotations: restarted once per rotation, each
# run starting with an unexpired credential; or sent SIGHUP once per
# rotation.
t_on_rotate() {
	how=$1
	start_server rot8 --ttl 6 --rotate-within 3
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=3 \
		timeout -s TERM 11 "$BUILD/stsenv" exec --on-rotate="$how" -- "$PROGS/../progs/rotatee-static" \
		>"$TMP/or.out" 2>"$TMP/or.log"
	gens=$(stat_of generations_served)
	kill "$rot8_pid"
	starts=$(grep -c "^start " "$TMP/or.out")
	hups=$(grep -c "^hup " "$TMP/or.out")
	say "$how: generations=$gens starts=$starts hups=$hups"
	note "on_rotate($how): generations=$gens starts=$starts sighups=$hups"
	[ "$gens" -ge 3 ] || return 1
	if [ "$how" = restart ]; then
		# One start per credential, each with an unexpired one.
		[ "$starts" = "$gens" ] && [ "$hups" = 0 ] && python3 - "$TMP/or.out" <<'PY'
import datetime, re, sys
starts = [l for l in open(sys.argv[1]) if l.startswith("start ")]
def left(l):
    exp = datetime.datetime.strptime(re.search(r"exp=(\S+)", l).group(1), "%Y-%m-%dT%H:%M:%SZ")
    return exp.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000 - int(re.search(r"now=(\d+)", l).group(1))
sys.exit(0 if all(left(l) > 0 for l in starts) else 1)
PY
	else
		[ "$starts" = 1 ] && [ "$hups" = $((gens - 1)) ]
	fi
}
