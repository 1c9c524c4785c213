# tests/it/sources.sh, sourced by tests/run.sh. The other sources against
# tests/fakecloud.py (a fake STS and metadata service on loopback): OIDC,
# ECS, profiles, the chain order, and nothing probed unasked.

start_cloud() { # start_cloud ARGS: like start_server, for tests/fakecloud.py
	rm -f "$TMP/cloud.port"
	python3 "$ROOT/tests/fakecloud.py" --quiet --port-file "$TMP/cloud.port" --max-seconds 300 "$@" \
		>"$TMP/cloud.server.log" 2>&1 &
	cloud_pid=$!
	SERVERS="$SERVERS $cloud_pid"
	i=0
	while [ ! -s "$TMP/cloud.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	CPORT=$(cat "$TMP/cloud.port")
}

cloud_stat() { # cloud_stat PYTHON-EXPRESSION-ON-d
	curl -s --noproxy '*' "http://127.0.0.1:$CPORT/control/stats" |
		python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

cloud_mode() { curl -s --noproxy '*' "http://127.0.0.1:$CPORT/control/mode?set=$1" >/dev/null; }

oidc_env() {
	clean_env ALIBABA_CLOUD_ROLE_ARN=acs:ram::1234:role/test-role \
		ALIBABA_CLOUD_OIDC_PROVIDER_ARN=acs:ram::1234:oidc-provider/ack-rrsa \
		ALIBABA_CLOUD_OIDC_TOKEN_FILE="$TMP/oidc.token" ALIBABA_CLOUD_ROLE_SESSION_NAME=test-session \
		ALIBABA_CLOUD_STS_ENDPOINT="http://127.0.0.1:$CPORT" "$@"
}

t_oidc_rotation_and_token_reread() {
	echo "oidc-token-ONE-secret" >"$TMP/oidc.token"
	start_cloud --ttl 6 --oidc-token-file "$TMP/oidc.token"
	oidc_env LD_PRELOAD="$PRELOAD" STSENV_REFRESH_MARGIN=3 "$PROGS/reader" 2 10 >"$TMP/oidc.out" 2>"$TMP/oidc.log" &
	rpid=$!
	sleep 3
	# The platform rotates the token file; the next refresh must send the new one.
	echo "oidc-token-TWO-secret" >"$TMP/oidc.token.new" && mv "$TMP/oidc.token.new" "$TMP/oidc.token"
	wait "$rpid"
	rc=$?
	say "$(cat "$TMP/oidc.out") sts_requests=$(cloud_stat "d['sts_requests']")"
	form=$(cloud_stat "d['last_sts_form']")
	say "last form: $form; query: $(cloud_stat "d['last_sts_query_keys']")"
	note "oidc_rotation: $(cat "$TMP/oidc.out") sts_requests=$(cloud_stat "d['sts_requests']")"
	in_query=$(cloud_stat "'OIDCToken' in d['last_sts_query_keys']")
	ctype=$(cloud_stat "d['last_sts_content_type']")
	kill "$cloud_pid"
	[ $rc = 0 ] && [ "$(field generations "$TMP/oidc.out")" -ge 3 ] && [ "$(field unset "$TMP/oidc.out")" = 0 ] &&
		echo "$form" | grep -q "'OIDCTokenMatched': True" && echo "$form" | grep -q "'RoleSessionName': 'test-session'" &&
		echo "$form" | grep -q "'DurationSeconds': '3600'" && [ "$in_query" = False ] &&
		[ "$ctype" = "application/x-www-form-urlencoded" ] && ! grep -q "oidc-token-" "$TMP/oidc.log"
}

# t_oidc_error MODE TEXT: an STS error reaches the log with its Code and
# Message, names read as unset, the program runs on.
t_oidc_error() {
	echo "oidc-token-THREE-secret" >"$TMP/oidc.token"
	start_cloud --ttl 60 --oidc-token-file "$TMP/oidc.token"
	cloud_mode "$1"
	oidc_env LD_PRELOAD="$PRELOAD" "$PROGS/reader" 1 1 --expect-none >"$TMP/oe.out" 2>"$TMP/oe.log"
	rc=$?
	kill "$cloud_pid"
	cat "$TMP/oe.log" >&2
	[ $rc = 0 ] && grep -q "$2" "$TMP/oe.log" && ! grep -q "oidc-token-" "$TMP/oe.log"
}

ecs_env() {
	clean_env STSENV_ECS_ENDPOINT="http://127.0.0.1:$CPORT" "$@"
}

# t_ecs MODE EXPECT [ENV...]: EXPECT "ok" (a credential is served) or a log text.
t_ecs() {
	mode=$1
	expect=$2
	shift 2
	start_cloud --ttl 60 --role fake-role
	cloud_mode "$mode"
	ecs_env LD_PRELOAD="$PRELOAD" STSENV_TIMEOUT_MS=3000 "$@" "$PROGS/getenvs" ALIBABA_CLOUD_ACCESS_KEY_ID \
		>"$TMP/ecs.out" 2>"$TMP/ecs.log"
	say "$mode: $(cat "$TMP/ecs.out") $(cat "$TMP/ecs.log") with-token=$(cloud_stat "d['imds_gets_with_token']") without=$(cloud_stat "d['imds_gets_without_token']")"
	with=$(cloud_stat "d['imds_gets_with_token']")
	without=$(cloud_stat "d['imds_gets_without_token']")
	kill "$cloud_pid"
	case "$expect" in
	ok) grep -q "=STS.g" "$TMP/ecs.out" && [ "$with" -gt 0 ] && [ "$without" = 0 ] ;;
	v1) grep -q "=STS.g" "$TMP/ecs.out" && [ "$without" -gt 0 ] ;;
	*) grep -q " unset" "$TMP/ecs.out" && grep -q "$expect" "$TMP/ecs.log" ;;
	esac
}

# The chain order (uri, file, oidc, profile, ecs), with several sources configured at once.
t_chain_order() {
	start_cloud --ttl 60
	echo tok >"$TMP/oidc.token"
	echo '{"AccessKeyId":"STS.file1234","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2099-01-01T00:00:00Z"}' >"$TMP/f.json"
	mkdir -p "$TMP/home/.aliyun"
	printf '{"current":"p","profiles":[{"name":"p","mode":"EcsRamRole","ram_role_name":"fake-role"}]}\n' >"$TMP/home/.aliyun/config.json"
	src() { # src ENV...: the source stsenv status picks
		clean_env HOME="$TMP/home" "$@" "$BUILD/stsenv" status --json 2>/dev/null |
			python3 -c "import json,sys; print(json.load(sys.stdin)['source'] or '')"
	}
	U="ALIBABA_CLOUD_CREDENTIALS_URI=http://127.0.0.1:$CPORT/x"
	F="STSENV_CREDENTIALS_FILE=$TMP/f.json"
	O1="ALIBABA_CLOUD_ROLE_ARN=acs:ram::1:role/r"
	O2="ALIBABA_CLOUD_OIDC_PROVIDER_ARN=acs:ram::1:oidc-provider/p"
	O3="ALIBABA_CLOUD_OIDC_TOKEN_FILE=$TMP/oidc.token"
	OE="ALIBABA_CLOUD_STS_ENDPOINT=http://127.0.0.1:$CPORT"
	E="ALIBABA_CLOUD_ECS_METADATA=fake-role"
	EE="STSENV_ECS_ENDPOINT=http://127.0.0.1:$CPORT"
	got="$(src "$U" "$F" "$O1" "$O2" "$O3" "$OE" "$E" "$EE") $(src "$F" "$O1" "$O2" "$O3" "$OE" "$E" "$EE")"
	got="$got $(src "$O1" "$O2" "$O3" "$OE" "$E" "$EE") $(src "$E" "$EE") $(src HOME="$TMP/home" "$EE")"
	got="$got $(src STSENV_SOURCE=ecs "$EE" HOME=/nonexistent) $(src "$E" "$EE" ALIBABA_CLOUD_ECS_METADATA_DISABLED=true HOME=/nonexistent)"
	kill "$cloud_pid"
	say "chain: $got"
	[ "$got" = "uri file oidc profile profile ecs " ]
}

# Profiles end to end: a CLI config.json in OIDC mode served through the
# fake STS, and an External command run by the launcher.
t_profiles() {
	echo "oidc-token-FOUR-secret" >"$TMP/oidc.token"
	start_cloud --ttl 60 --oidc-token-file "$TMP/oidc.token"
	mkdir -p "$TMP/ph/.aliyun"
	cat >"$TMP/ph/.aliyun/config.json" <<JSON
{"current": "rrsa", "profiles": [
 {"name": "rrsa", "mode": "OIDC", "ram_role_arn": "acs:ram::1:role/r", "oidc_provider_arn": "acs:ram::1:oidc-provider/p",
  "oidc_token_file": "$TMP/oidc.token", "sts_endpoint": "http://127.0.0.1:$CPORT"},
 {"name": "ext", "mode": "External", "process_command": "$TMP/ext.sh arg1"},
 {"name": "bad", "mode": "Teleport"}]}
JSON
	printf '#!/bin/sh\necho "{\\"mode\\":\\"StsToken\\",\\"access_key_id\\":\\"STS.ext$1\\",\\"access_key_secret\\":\\"fakesecret-ext\\",\\"sts_token\\":\\"faketoken-ext\\"}"\n' >"$TMP/ext.sh"
	chmod +x "$TMP/ext.sh"
	clean_env HOME="$TMP/ph" "$BUILD/stsenv" -- "$PROGS/getenvs" ALIBABA_CLOUD_ACCESS_KEY_ID >"$TMP/pr1" 2>"$TMP/pr1.log"
	clean_env HOME="$TMP/ph" ALIBABA_CLOUD_PROFILE=ext "$BUILD/stsenv" -- "$PROGS/getenvs" ALIBABA_CLOUD_SECURITY_TOKEN >"$TMP/pr2" 2>"$TMP/pr2.log"
	clean_env HOME="$TMP/ph" ALIBABA_CLOUD_PROFILE=bad "$BUILD/stsenv" -- true 2>"$TMP/pr3.log"
	bad_rc=$?
	kill "$cloud_pid"
	cat "$TMP/pr1" "$TMP/pr2" "$TMP/pr3.log" >&2
	grep -q "=STS.g" "$TMP/pr1" && grep -q "=faketoken-ext" "$TMP/pr2" && [ $bad_rc = 125 ] &&
		grep -q 'profile bad.*Teleport' "$TMP/pr3.log"
}

# With no source configured, nothing in auto mode connects anywhere: the
# metadata address is never probed unasked.
t_auto_never_probes() {
	command -v strace >/dev/null || { say "strace missing"; return 1; }
	mkdir -p "$TMP/emptyhome"
	clean_env HOME="$TMP/emptyhome" strace -f -e trace=connect -o "$TMP/strace.txt" "$BUILD/stsenv" status >/dev/null 2>&1
	clean_env HOME="$TMP/emptyhome" LD_PRELOAD="$PRELOAD" strace -f -e trace=connect -o "$TMP/strace2.txt" \
		"$PROGS/getenvs" ALIBABA_CLOUD_ACCESS_KEY_ID >/dev/null 2>&1
	cat "$TMP/strace.txt" "$TMP/strace2.txt" | grep 'connect(' >&2
	! cat "$TMP/strace.txt" "$TMP/strace2.txt" | grep 'connect(' | grep -v 'AF_UNIX\|127\.0\.0\.' | grep -q .
}
