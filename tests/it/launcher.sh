# tests/it/launcher.sh, sourced by tests/run.sh. The launcher: exit codes
# and signals, `stsenv env` and `stsenv status`.

t_launcher_exit_codes() {
	start_server codes --ttl 60
	L="$BUILD/stsenv"
	printf '#!/bin/sh\necho hi\n' >"$TMP/noexec"
	chmod 0644 "$TMP/noexec"
	ok=0
	expect() { # expect STATUS CMD...
		want=$1
		shift
		clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$@" >/dev/null 2>"$TMP/codes.err"
		got=$?
		[ "$got" = "$want" ] || { say "$* -> $got, want $want: $(cat "$TMP/codes.err")"; ok=1; }
	}
	expect 7 "$L" -- sh -c 'exit 7'
	expect 0 "$L" exec true
	expect 127 "$L" -- /no/such/command
	expect 126 "$L" -- "$TMP/noexec"
	expect 143 sh -c "\"$L\" -- sh -c 'kill -TERM \$\$'"
	expect 125 "$L" --bogus-option true
	expect 125 "$L" --source nosuch -- true
	# No command: the user's shell, whose status is stsenv's.
	expect 0 env SHELL=/bin/true "$L"
	expect 1 env SHELL=/bin/false "$L" exec
	expect 125 "$L" --source
	expect 0 "$L" --version
	expect 0 "$L" --help
	# No source at all: a clear error, status 125, the command never runs.
	clean_env "$L" -- sh -c 'touch "$1"' sh "$TMP/ran" 2>"$TMP/codes.err"
	[ $? = 125 ] && [ ! -e "$TMP/ran" ] && grep -q "no credential source is configured" "$TMP/codes.err" || ok=1
	kill "$codes_pid"
	return $ok
}

t_launcher_env_and_status() {
	start_server envs --ttl 600
	L="$BUILD/stsenv"
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$L" env >"$TMP/env.sh" 2>/dev/null || return 1
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$L" env --format json >"$TMP/env.json" 2>/dev/null || return 1
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$L" env --format dotenv >"$TMP/env.dotenv" 2>/dev/null || return 1
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$L" status >"$TMP/status.txt" 2>"$TMP/status.log" || return 1
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$L" status --json >"$TMP/status.json" 2>>"$TMP/status.log" || return 1
	clean_env "$L" status >"$TMP/status-none.txt" 2>&1
	none_rc=$?
	# Delivery paths as seen from a process inside a launched tree, and from one outside.
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" "$L" -- "$L" status --json >"$TMP/status-in.json" 2>/dev/null
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_LOG=info "$L" -- "$PROGS/../progs/getenvs-static" HOME \
		>/dev/null 2>"$TMP/static.log"
	kill "$envs_pid"
	cat "$TMP/status.txt" "$TMP/status-none.txt" >&2
	id=$(sh -c ". '$TMP/env.sh' && echo \$ALIBABA_CLOUD_ACCESS_KEY_ID")
	case "$id" in STS.g*) ;; *) say "eval of env gave '$id'"; return 1 ;; esac
	python3 -c "import json,sys; d=json.load(open('$TMP/env.json')); assert d['ALIBABA_CLOUD_ACCESS_KEY_ID']=='$id' and d['STSENV_EXPIRATION'].endswith('Z')" &&
		grep -q "^ALIBABA_CLOUD_ACCESS_KEY_SECRET=fakesecret-g" "$TMP/env.dotenv" &&
		grep -q "^source: *uri" "$TMP/status.txt" && grep -q "^credential: *STS.g\*\*\*\*" "$TMP/status.txt" &&
		python3 -c "import json; d=json.load(open('$TMP/status.json')); assert d['source']=='uri' and d['credential'] and d['expires_in_seconds']>500" &&
		[ $none_rc = 1 ] && grep -q "no credential source is configured" "$TMP/status-none.txt" &&
		python3 -c "import json; d=json.load(open('$TMP/status-in.json'))['delivery']; assert all(v for k, v in d.items() if k != 'endpoint_uri') and d['endpoint_uri'] is False, d" &&
		python3 -c "import json; d=json.load(open('$TMP/status.json'))['delivery']; assert not d['live_getenv'] and not d['tree_page'], d" &&
		grep -q "getenvs-static is statically linked: it reads credentials at start only" "$TMP/static.log" &&
		! grep -q "fakesecret\|faketoken" "$TMP/status.txt" "$TMP/status.json" "$TMP/status.log"
}
