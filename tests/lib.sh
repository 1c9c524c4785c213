# Helpers shared by the integration tests and the demo (POSIX sh).
# Each test is a function; `check` records a PASS/FAIL line that run.sh counts.

ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${BUILD:=$ROOT/build}"
TMP=$(mktemp -d /tmp/stsenv-test.XXXXXX)
SERVERS=""

cleanup() {
	for pid in $SERVERS; do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

# start_server NAME ARGS...: starts the fake credentials service on a free
# loopback port; sets PORT and URI, and NAME_pid.
start_server() {
	name=$1
	shift
	rm -f "$TMP/$name.port"
	python3 "$ROOT/tests/fakests.py" --quiet --port-file "$TMP/$name.port" --max-seconds 300 "$@" \
		>"$TMP/$name.server.log" 2>&1 &
	pid=$!
	SERVERS="$SERVERS $pid"
	eval "${name}_pid=$pid"
	i=0
	while [ ! -s "$TMP/$name.port" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	PORT=$(cat "$TMP/$name.port")
	URI="http://127.0.0.1:$PORT/credentials?token=query-secret-should-not-be-logged"
}

# stat_of FIELD: a number from the server's /control/stats
stat_of() {
	curl -s --noproxy '*' "http://127.0.0.1:$PORT/control/stats" |
		python3 -c "import json,sys; v=json.load(sys.stdin)['$1']; print(len(v) if isinstance(v, list) else v)"
}

set_mode() {
	curl -s --noproxy '*' "http://127.0.0.1:$PORT/control/mode?set=$1" >/dev/null
}

# field KEY FILE: value of KEY=VALUE in the reader's summary line
field() {
	sed -n "s/.*$1=\([0-9.]*\).*/\1/p" "$2" | tail -1
}

# A clean environment for a program under the preload: no host AccessKey,
# no proxy, loopback only.
clean_env() {
	env -u ALIBABA_CLOUD_ACCESS_KEY_ID -u ALIBABA_CLOUD_ACCESS_KEY_SECRET \
		-u ALIBABA_CLOUD_SECURITY_TOKEN -u ALIBABA_CLOUD_CREDENTIALS_URI \
		-u STSENV_HANDOFF -u LD_PRELOAD \
		STSENV_CREDENTIALS_FILE="$TMP/no-such-file" "$@"
}

# under ENV... PROG ARGS: PROG with the preload ($PRELOAD) in a clean env.
under() {
	clean_env LD_PRELOAD="$PRELOAD" "$@"
}
