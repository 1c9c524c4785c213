# tests/it/environ.sh, sourced by tests/run.sh. The environment: the static-
# key rule, the names served and passed through, what a child inherits, and
# what the caller changed at load.

t_static_key_precedence() {
	start_server stat --ttl 60
	names="ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET OSS_ACCESS_KEY_ID"
	under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" ALIBABA_CLOUD_ACCESS_KEY_ID=LTAIuserstatickey \
		ALIBABA_CLOUD_ACCESS_KEY_SECRET=user-own-secret "$PROGS/getenvs" $names >"$TMP/st1" 2>"$TMP/st1.log"
	under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" ALIBABA_CLOUD_ACCESS_KEY_ID=LTAIuserstatickey \
		ALIBABA_CLOUD_ACCESS_KEY_SECRET=user-own-secret STSENV_OVERRIDE=1 \
		"$PROGS/getenvs" $names >"$TMP/st2" 2>"$TMP/st2.log"
	kill "$stat_pid"
	cat "$TMP/st1" "$TMP/st1.log" "$TMP/st2" >&2
	grep -q "^ALIBABA_CLOUD_ACCESS_KEY_ID=LTAIuserstatickey$" "$TMP/st1" &&
		grep -q "^ALIBABA_CLOUD_ACCESS_KEY_SECRET=user-own-secret$" "$TMP/st1" &&
		grep -q "^OSS_ACCESS_KEY_ID=STS.g" "$TMP/st1" &&
		[ "$(grep -c 'static key' "$TMP/st1.log")" = 1 ] && ! grep -q LTAIuserstatickey "$TMP/st1.log" &&
		grep -q "^ALIBABA_CLOUD_ACCESS_KEY_ID=STS.g" "$TMP/st2" &&
		grep -q "^ALIBABA_CLOUD_ACCESS_KEY_SECRET=fakesecret-g" "$TMP/st2"
}

t_names_and_pass_through() {
	start_server names --ttl 60
	set -- HOME PATH NOT_SET_ANYWHERE ALIBABA_CLOUD_SECURITY_TOKEN ALICLOUD_SECRET_KEY \
		OSS_SESSION_TOKEN STSENV_EXPIRATION MY_AK MY_SK --secure ALIBABA_CLOUD_ACCESS_KEY_ID HOME
	clean_env "$PROGS/getenvs" "$@" >"$TMP/n0"
	under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_VARS="MY_AK=id,MY_SK=secret" \
		"$PROGS/getenvs" "$@" >"$TMP/n1" 2>"$TMP/n1.log"
	kill "$names_pid"
	cat "$TMP/n1" >&2
	# Unmanaged names read exactly as without the preload.
	grep -E '^(HOME|PATH|NOT_SET)' "$TMP/n0" >"$TMP/n0p"
	grep -E '^(HOME|PATH|NOT_SET)' "$TMP/n1" >"$TMP/n1p"
	cmp -s "$TMP/n0p" "$TMP/n1p" &&
		grep -q "^ALIBABA_CLOUD_SECURITY_TOKEN=faketoken-g" "$TMP/n1" &&
		grep -q "^ALICLOUD_SECRET_KEY=fakesecret-g" "$TMP/n1" &&
		grep -q "^OSS_SESSION_TOKEN=faketoken-g" "$TMP/n1" &&
		grep -qE "^STSENV_EXPIRATION=20[0-9-]{8}T[0-9:]{8}Z$" "$TMP/n1" &&
		grep -q "^MY_AK=STS.g" "$TMP/n1" && grep -q "^MY_SK=fakesecret-g" "$TMP/n1" &&
		[ "$(grep -c "^ALIBABA_CLOUD_ACCESS_KEY_ID=STS.g" "$TMP/n1")" = 1 ]
}

# Secrets stay out of the /proc/PID/environ of a process that got them at
# load (setenv'd values live on the heap, not in the startup area the kernel
# shows), and no descriptor of ours leaks into an exec'd child, in a
# launched tree either (its page is reached by asking its keeper).
t_environ_and_fds() {
	start_server fds --ttl 60
	# /usr/bin/python3 itself: a wrapper script (pyenv's shim) would exec it
	# with the credential in its startup environment, as any exec must.
	under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" /usr/bin/python3 -c "
import os
own = open('/proc/self/environ', 'rb').read()
print('in_os_environ', os.environ.get('ALIBABA_CLOUD_ACCESS_KEY_SECRET', '')[:12])
print('in_proc_environ', b'fakesecret' in own)
" >"$TMP/penv.out" 2>"$TMP/penv.log"
	clean_env "$PROGS/execfds" >"$TMP/fd0.out" 2>/dev/null
	under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$PROGS/execfds" >"$TMP/fd1.out" 2>"$TMP/fd1.log"
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$BUILD/stsenv" -- "$PROGS/execfds" >"$TMP/fd2.out" 2>"$TMP/fd2.log"
	kill "$fds_pid"
	say "$(cat "$TMP/penv.out") | plain: $(tr '\n' ' ' <"$TMP/fd1.out") | stsenv: $(tr '\n' ' ' <"$TMP/fd2.out")"
	grep -q "in_os_environ fakesecret-g" "$TMP/penv.out" && grep -q "in_proc_environ False" "$TMP/penv.out" &&
		cmp -s "$TMP/fd0.out" "$TMP/fd1.out" && cmp -s "$TMP/fd0.out" "$TMP/fd2.out"
}

# A handed-down environment changed by the caller before an exec that no
# wrapper sees (a raw execve syscall): a family and STSENV_EXPIRATION
# removed, one value replaced.  The child's preload keeps what the caller
# did (the removed names stay removed, the replaced value stays), serves
# the rest, and leaves a complete and current environment alone.
t_environ_callers_changes_kept() {
	start_server repair --ttl 60
	cat >"$TMP/raw_exec.py" <<'PY'
import ctypes, os, sys
env = dict(os.environ)
case = sys.argv[1]
if case == "dropped":
    for k in ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_SESSION_TOKEN", "STSENV_EXPIRATION"):
        env.pop(k)
if case == "stale":
    env["ALICLOUD_SECRET_KEY"] = "stale-secret"
show = "import os; e = os.environ; print(%r, *[e.get(k, 'unset')[:12] for k in ('OSS_ACCESS_KEY_SECRET', 'ALICLOUD_SECRET_KEY', 'STSENV_EXPIRATION')])" % case
arr = lambda l: (ctypes.c_char_p * (len(l) + 1))(*[x.encode() for x in l], None)
sys.stdout.flush()
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall(59, sys.executable.encode(), arr([sys.executable, "-c", show]),
             arr(["%s=%s" % kv for kv in env.items()]))
print("execve failed", ctypes.get_errno())
PY
	for c in dropped stale intact; do
		clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$BUILD/stsenv" -- python3 "$TMP/raw_exec.py" $c
	done >"$TMP/repair.out" 2>"$TMP/repair.log"
	kill "$repair_pid"
	say "$(cat "$TMP/repair.out")"
	grep -q "^dropped unset fakesecret-g unset$" "$TMP/repair.out" &&
		grep -q "^stale fakesecret-g stale-secret 20[0-9][0-9]-" "$TMP/repair.out" &&
		grep -q "^intact fakesecret-g fakesecret-g 20[0-9][0-9]-" "$TMP/repair.out"
}
