# Hosts that do what servers do: move their environment to make room for a
# process title (setproctitle, uwsgi, nginx, PostgreSQL), embed CPython by
# loading libpython with dlopen (uwsgi's plugin, mod_wsgi, plpython3), start
# a thread per task; and PYTHONPATH coming back exactly as it was.  Sourced
# by tests/run.sh.

# The rotating source these tests read: a credential every 4 s, each
# living 10 s; a reader frozen on its first sees it expire.
embed_server() {
	start_server "$1" --ttl 10 --rotate-within 6
}

# A C host that copies every environ string and points environ at the
# copies (overwriting the old ones), then reads once a second for 14 s:
# every read current, one credential per read, every rotation seen; then
# it writes environ itself, as Perl does: its value and its removal stay.
t_environ_moved() {
	mode=$1
	embed_server mv
	set -- ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=6
	if [ "$mode" = launcher ]; then
		clean_env "$@" "$BUILD/stsenv" -- "$PROGS/movenv" 14
	else
		under "$@" "$PROGS/movenv" 14
	fi >"$TMP/mv.out" 2>"$TMP/mv.log"
	rc=$?
	kill "$mv_pid"
	say "$mode: rc=$rc $(tr '\n' ';' <"$TMP/mv.out")"
	note "environ_moved($mode): $(head -1 "$TMP/mv.out")"
	[ $rc = 0 ] && [ "$(field reads "$TMP/mv.out")" = 14 ] && [ "$(field expired "$TMP/mv.out")" = 0 ] &&
		[ "$(field torn "$TMP/mv.out")" = 0 ] && [ "$(field unset "$TMP/mv.out")" = 0 ] &&
		[ "$(field generations "$TMP/mv.out")" -ge 3 ] &&
		grep -q "^own OSS_ACCESS_KEY_ID=LTAIown ALIBABA_CLOUD_SECURITY_TOKEN=(unset) live=1$" "$TMP/mv.out"
}

# A free loopback port.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The WSGI app of the real servers: per request, what os.environ, C's
# getenv and the SDK's default chain say, and whether this worker's
# environ was moved (no entry left where the kernel put the environment).
write_wsgi_app() {
	cat >"$TMP/app.py" <<'PY'
import ctypes, os, sys, time
libc = ctypes.CDLL(None)
libc.getenv.restype = ctypes.c_char_p
def environ_moved():
    stat = open("/proc/self/stat").read().rsplit(")", 1)[1].split()
    start, end = int(stat[47]), int(stat[48])  # env_start, env_end
    env = ctypes.POINTER(ctypes.c_void_p).in_dll(libc, "environ")
    i = 0
    while env[i]:
        if start <= env[i] < end:
            return False
        i += 1
    return True
try:
    from alibabacloud_credentials.client import Client
    client = Client()
except ImportError:
    client = None
def application(environ, start_response):
    c = libc.getenv(b"ALIBABA_CLOUD_ACCESS_KEY_ID")
    sdk = client.get_credential().get_access_key_id() if client else "-"
    moved = environ_moved()
    body = "%d %s %s %s %d %d\n" % (time.time() * 1000, os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID"),
                                    c.decode() if c else None, sdk, moved, os.getpid())
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body.encode()]
PY
}

# Requests every 0.5 s for 14 s to the server on $1 (the credentials server
# is $2), then what they read: "reads=N expired=N generations=N" per reader
# (os.environ, C, the SDK), and "moved=N" workers that moved their environ.
wsgi_reads() {
	i=0
	: >"$TMP/resp"
	while [ $i -lt 28 ]; do
		curl -s --noproxy '*' -m 2 "http://127.0.0.1:$1/" >>"$TMP/resp"
		sleep 0.5
		i=$((i + 1))
	done
	curl -s --noproxy '*' "http://127.0.0.1:$2/control/history" >"$TMP/hist"
	python3 - "$TMP/resp" "$TMP/hist" <<'PY'
import json, sys
history = json.load(open(sys.argv[2]))
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 6]
for k, name in ((1, "environ"), (2, "c"), (3, "sdk")):
    ids = [(int(r[0]), r[k]) for r in rows if r[k] != "-"]
    print("%s_reads=%d %s_expired=%d %s_generations=%d" % (name, len(ids), name,
          sum(1 for t, i in ids if history.get(i, 0) <= t), name, len({i for _, i in ids})))
print("workers=%d moved=%d" % (len({r[5] for r in rows}), len({r[5] for r in rows if r[4] == "1"})))
PY
}

# What wsgi_reads found is right: every read current, three rotations
# seen, and at least $3 workers (default 1) with their environ moved.
wsgi_ok() {
	for r in $1; do
		[ "$(field "${r}_reads" "$2")" -ge 24 ] && [ "$(field "${r}_expired" "$2")" = 0 ] &&
			[ "$(field "${r}_generations" "$2")" -ge 3 ] || return 1
	done
	[ "$(field moved "$2")" -ge "${3:-1}" ]
}

# gunicorn with Debian's python3-setproctitle (which moves environ in the
# master and every worker), two workers, a request every 0.5 s.
t_environ_moved_gunicorn() {
	py=/usr/bin/python3
	$py -c "import gunicorn, setproctitle" 2>/dev/null || { say "gunicorn or python3-setproctitle missing"; return 77; }
	embed_server gu
	cport=$PORT wport=$(free_port)
	write_wsgi_app
	under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=6 HOME="$TMP" \
		ALIBABA_CLOUD_ECS_METADATA_DISABLED=true PYTHONPATH="$ROOT/tests/python" \
		$py -m gunicorn --chdir "$TMP" -w 2 -b "127.0.0.1:$wport" -p "$TMP/gu.pid" app:application \
		>"$TMP/gu.log" 2>&1 &
	g=$!
	sleep 2
	wsgi_reads "$wport" "$cport" >"$TMP/gu.out"
	[ -s "$TMP/gu.pid" ] && kill "$(cat "$TMP/gu.pid")"
	kill "$gu_pid"
	wait "$g"
	say "gunicorn: $(tr '\n' ' ' <"$TMP/gu.out") $(tail -2 "$TMP/gu.log")"
	note "environ_moved_gunicorn: $(tr '\n' ' ' <"$TMP/gu.out")"
	wsgi_ok "environ c sdk" "$TMP/gu.out"
}

# uwsgi with its python3 plugin: the plugin, not uwsgi, links libpython.
# uwsgi also moves environ itself (fixup_argv_and_environ), unless its
# first entry is no longer the kernel's: not required here.
t_python_uwsgi_plugin() {
	command -v uwsgi >/dev/null && [ -e /usr/lib/uwsgi/plugins/python3_plugin.so ] ||
		{ say "uwsgi or uwsgi-plugin-python3 missing"; return 77; }
	ldd "$(command -v uwsgi)" | grep -q libpython && { say "this uwsgi links libpython"; return 77; }
	embed_server uw
	cport=$PORT wport=$(free_port)
	write_wsgi_app
	under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=6 HOME="$TMP" \
		ALIBABA_CLOUD_ECS_METADATA_DISABLED=true PYTHONPATH="$ROOT/tests/python" \
		uwsgi --plugin python3 --http-socket "127.0.0.1:$wport" --wsgi-file "$TMP/app.py" \
		--master --processes 2 --disable-logging --pidfile "$TMP/uw.pid" >"$TMP/uw.log" 2>&1 &
	u=$!
	sleep 2
	wsgi_reads "$wport" "$cport" >"$TMP/uw.out"
	[ -s "$TMP/uw.pid" ] && kill -INT "$(cat "$TMP/uw.pid")" # TERM would reload it
	kill "$uw_pid"
	wait "$u"
	say "uwsgi: $(tr '\n' ' ' <"$TMP/uw.out") $(grep -i "error\|python" "$TMP/uw.log" | tail -3)"
	note "python_uwsgi_plugin: $(tr '\n' ' ' <"$TMP/uw.out")"
	wsgi_ok "environ c sdk" "$TMP/uw.out" 0
}

# The system's libpython, as an embedder would find it.
libpython() {
	d=$(python3-config --configdir 2>/dev/null)
	for f in $(/sbin/ldconfig -p 2>/dev/null | sed -n 's/.*\(libpython3\.[0-9]*\.so\.1\.0\) .*=> \(.*\)/\2/p'); do
		[ -e "$f" ] && { echo "$f"; return 0; }
	done
	[ -n "$d" ] && ls "$d"/../../libpython3*.so.1.0 2>/dev/null | head -1
}

# An embedder that dlopen()s libpython once it runs (RTLD_GLOBAL, or
# RTLD_LOCAL, or from a second thread while the first reads its
# environment) runs Python that reads os.environ and calls the SDK's
# default chain (the stand-in in tests/python, on PYTHONPATH) every 0.5 s
# for 14 s: both current, every rotation seen; PYTHONPATH as it was, in
# os.environ and, after Python, for C.
t_python_dlopen_embedder() {
	how=$1 where=main
	[ "$how" = thread ] && how=global where=thread
	lib=$(libpython)
	[ -n "$lib" ] || { say "no libpython3.x.so.1.0 (libpython3-dev) here"; return 77; }
	embed_server emb
	cat >"$TMP/embedded.py" <<'PY'
import json, os, sys, time, urllib.request
port, seconds = int(sys.argv[1]), float(sys.argv[2])
from alibabacloud_credentials.client import Client
client = Client()
seen, sdk = [], []
end = time.time() + seconds
while time.time() < end:
    now = time.time() * 1000
    seen.append((now, os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID")))
    c = client.get_credential()
    sdk.append((now, c.get_access_key_id(), c.get_provider_name()))
    time.sleep(0.5)
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
history = json.load(opener.open("http://127.0.0.1:%d/control/history" % port))
print("environ type=%s reads=%d environ_expired=%d environ_generations=%d" % (
    type(os.environ).__name__, len(seen), sum(1 for t, i in seen if history.get(i, 0) <= t),
    len({i for _, i in seen})))
print("sdk calls=%d sdk_expired=%d sdk_generations=%d provider=%s" % (
    len(sdk), sum(1 for t, i, _ in sdk if history.get(i, 0) <= t), len({i for _, i, _ in sdk}),
    sdk[-1][2] if sdk else "-"))
print("pythonpath %r %s" % (os.environ.get("PYTHONPATH"), any(
    p.endswith("/python") and os.path.exists(os.path.join(p, "sitecustomize.py")) for p in sys.path)))
PY
	under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=6 HOME="$TMP" \
		ALIBABA_CLOUD_ECS_METADATA_DISABLED=true PYTHONPATH="$ROOT/tests/python" \
		"$PROGS/pyembed" "$lib" "$how" "$where" "$TMP/embedded.py" "$PORT" 14 >"$TMP/emb.out" 2>"$TMP/emb.log"
	rc=$?
	kill "$emb_pid"
	say "$1: rc=$rc $(tr '\n' ';' <"$TMP/emb.out") $(tail -3 "$TMP/emb.log")"
	note "python_dlopen_embedder($1): $(grep -h 'reads=\|calls=' "$TMP/emb.out" | tr '\n' ' ')"
	[ $rc = 0 ] && grep -q "^environ type=LiveEnviron " "$TMP/emb.out" &&
		[ "$(field environ_expired "$TMP/emb.out")" = 0 ] && [ "$(field sdk_expired "$TMP/emb.out")" = 0 ] &&
		[ "$(field environ_generations "$TMP/emb.out")" -ge 3 ] &&
		[ "$(field sdk_generations "$TMP/emb.out")" -ge 3 ] && grep -q "provider=default/env" "$TMP/emb.out" &&
		grep -qx "pythonpath '$ROOT/tests/python' False" "$TMP/emb.out" &&
		grep -qx "c PYTHONPATH=$ROOT/tests/python" "$TMP/emb.out"
}

# PYTHONPATH, sys.path and a child's PYTHONPATH, byte for byte as without
# stsenv, in CPython and in gdb (which links libpython and hands its
# inferior the environment it copied at start): PYTHONPATH set but empty;
# unset; and a preload path that is not normalised (.., //).
t_pythonpath_as_it_was() {
	case=$1
	start_server ppath --ttl 60
	lib=${PRELOAD##* } pre=
	[ "$lib" = "$PRELOAD" ] || pre="${PRELOAD% *} "
	py=$(command -v python3)
	prog='import os, subprocess, sys
print("os.environ", repr(os.environ.get("PYTHONPATH")), [p for p in sys.path if p])
print("child", subprocess.run(["/bin/sh", "-c", "echo ${PYTHONPATH-unset}"], capture_output=True, text=True).stdout.strip())'
	live='import os; print(type(os.environ).__name__)'
	ok=0
	for pp in unset "" /opt/x:/opt/y; do
		if [ "$pp" = unset ]; then set --; else set -- PYTHONPATH="$pp"; fi
		case $case in
		empty) [ "$pp" = /opt/x:/opt/y ] && continue; l=$lib ;;
		unnormalised) l=$(dirname "$lib")/../$(basename "$(dirname "$lib")")//$(basename "$lib") ;;
		gdb) l=$lib ;;
		esac
		if [ "$case" = gdb ]; then
			command -v gdb >/dev/null || { say "gdb missing"; return 77; }
			clean_env "$@" gdb -nx -batch -ex run --args /usr/bin/env >"$TMP/pp0" 2>&1
			grep -q "^HOME=" "$TMP/pp0" || { say "gdb cannot run a program here: $(tail -1 "$TMP/pp0")"; return 77; }
			clean_env "$@" LD_PRELOAD="$pre$l" ALIBABA_CLOUD_CREDENTIALS_URI="$URI" \
				gdb -nx -batch -ex "python import os; print(type(os.environ).__name__)" -ex run \
				--args /usr/bin/env >"$TMP/pp1" 2>&1
			grep -q "^LiveEnviron$" "$TMP/pp1" || { say "gdb's Python is not live: $(head -3 "$TMP/pp1")"; ok=1; }
			grep -a "^PYTHONPATH=" "$TMP/pp0" >"$TMP/pp0.v"
			grep -a "^PYTHONPATH=" "$TMP/pp1" >"$TMP/pp1.v"
		else
			clean_env "$@" "$py" -c "$prog" >"$TMP/pp0.v" 2>>"$TMP/pp.log"
			clean_env "$@" LD_PRELOAD="$pre$l" ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$py" -c "$prog" \
				>"$TMP/pp1.v" 2>>"$TMP/pp.log"
			clean_env "$@" LD_PRELOAD="$pre$l" ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$py" -c "$live" \
				>"$TMP/pp1.t" 2>>"$TMP/pp.log"
			grep -qx LiveEnviron "$TMP/pp1.t" || { say "PYTHONPATH=$pp: not live: $(cat "$TMP/pp1.t")"; ok=1; }
		fi
		cmp -s "$TMP/pp0.v" "$TMP/pp1.v" ||
			{ say "PYTHONPATH=$pp, $l: bare: $(cat "$TMP/pp0.v") / under stsenv: $(cat "$TMP/pp1.v")"; ok=1; }
	done
	kill "$ppath_pid"
	return $ok
}

# The dlopen wrapper keeps the caller's search path: a library with a
# RUNPATH (and one with an $ORIGIN name) dlopen()s a library only that
# path finds.
t_dlopen_keeps_search_path() {
	d=$TMP/rp
	mkdir -p "$d/deps"
	printf 'int dep_answer(void) { return 42; }\n' >"$d/dep.c"
	cat >"$d/caller.c" <<'C'
#include <dlfcn.h>
int open_dep(const char *name) { return dlopen(name, RTLD_NOW) != 0; }
C
	cat >"$d/main.c" <<'C'
#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
	void *c = dlopen(argv[1], RTLD_NOW);
	int (*open_dep)(const char *) = c ? (int (*)(const char *))dlsym(c, "open_dep") : 0;
	for (int i = 2; i < argc; i++)
		printf("%s %s\n", argv[i], open_dep && open_dep(argv[i]) ? "found" : dlerror());
	return 0;
}
C
	cc -shared -fPIC -o "$d/deps/libstsenvtestdep.so" "$d/dep.c" &&
		cc -shared -fPIC -Wl,--enable-new-dtags,-rpath,"$d/deps" -o "$d/libcaller.so" "$d/caller.c" -ldl &&
		cc -o "$d/main" "$d/main.c" -ldl || { say "cannot build the libraries"; return 1; }
	set -- "$d/libcaller.so" libstsenvtestdep.so '$ORIGIN/deps/libstsenvtestdep.so'
	start_server rpath --ttl 60
	clean_env "$d/main" "$@" >"$TMP/rp0" 2>"$TMP/rp0.log"
	under ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$d/main" "$@" >"$TMP/rp1" 2>"$TMP/rp1.log"
	kill "$rpath_pid"
	say "bare: $(tr '\n' ';' <"$TMP/rp0") under stsenv: $(tr '\n' ';' <"$TMP/rp1")"
	[ "$(grep -c ' found$' "$TMP/rp0")" = 2 ] && cmp -s "$TMP/rp0" "$TMP/rp1"
}

# A thread per task, four at a time, each spawning one child (posix_spawn,
# or vfork and execve), 3000 tasks, every environment rewritten (the
# credential rotated since load): resident and virtual memory grow less
# than 4 MiB more than the same program's without stsenv (bare: 0 KiB; a
# buffer kept per thread that has lived: about 11 MiB resident and
# 180 MiB virtual).  Under ASan, the baseline has ASan's runtime.
t_exec_memory_bounded() {
	how=$1 pre=
	[ "${PRELOAD##* }" = "$PRELOAD" ] || pre=${PRELOAD% *}
	embed_server mem
	set -- ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=6 "$PROGS/taskspawn" 3000 "$how" 5
	clean_env LD_PRELOAD="$pre" "$@" >"$TMP/mem0.out" 2>"$TMP/mem0.log"
	under "$@" >"$TMP/mem.out" 2>"$TMP/mem.log"
	rc=$?
	gens=$(stat_of generations_served)
	kill "$mem_pid"
	rss=$(($(field rss_growth_kib "$TMP/mem.out") - $(field rss_growth_kib "$TMP/mem0.out")))
	vm=$(($(field vm_growth_kib "$TMP/mem.out") - $(field vm_growth_kib "$TMP/mem0.out")))
	say "$how: rc=$rc without: $(cat "$TMP/mem0.out") with: $(cat "$TMP/mem.out") generations=$gens $(tail -2 "$TMP/mem.log")"
	note "exec_memory_bounded($how): $(cat "$TMP/mem.out") (without stsenv: $(cat "$TMP/mem0.out"))"
	[ $rc = 0 ] && [ "$gens" -ge 2 ] && [ "$rss" -lt 4096 ] && [ "$vm" -lt 4096 ]
}
