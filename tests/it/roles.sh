# tests/it/roles.sh, sourced by tests/run.sh.  Chained roles: STS
# AssumeRole signed with the credential of the source chosen (uri, file,
# ecs, oidc, a profile's long-term AccessKey or another profile), against
# tests/fakecloud.py, whose AssumeRole checks every signature with its own
# implementation (tested against the published example) and knows the
# signers: what it minted itself, its --key AccessKeys, and what
# tests/fakests.py minted (its /control/ledger, through --ledger-url).

ROLE_ARN=acs:ram::1234:role/data
# The launcher is the plain build, so what it runs is too ($BUILD/progs),
# also in the ASan pass; a program under the preload alone is $PROGS, whose
# tree's keeper is then the instrumented one.
# A profile's long-term AccessKey: it signs AssumeRole, it is never served,
# and neither half may appear in any output ("fakesecret" is also what the
# suite's final check looks for in every log).
AK_ID=LTAI5tFakeLongTermKey01
AK_SECRET=fakesecret-longterm-AK-0123456789

# role_env ENV... CMD: a clean environment for a chained role: nothing of
# the caller's role, profile or source settings; HOME empty; STS and the
# metadata service on our loopback fake; and every proxy variable pointing at a dead loopback port,
# so that a request to any address but loopback (which stsenv sends
# without a proxy) fails here instead of reaching a real cloud.
role_env() (
	unset STSENV_ROLE_ARN ALIBABA_CLOUD_ROLE_ARN ALIBABA_CLOUD_ROLE_SESSION_NAME STSENV_DURATION \
		STSENV_POLICY STSENV_ROLE_EXTERNAL_ID ALIBABA_CLOUD_PROFILE ALIBABA_CLOUD_CREDENTIALS_FILE \
		STSENV_SOURCE ALIBABA_CLOUD_OIDC_PROVIDER_ARN ALIBABA_CLOUD_OIDC_TOKEN_FILE \
		ALIBABA_CLOUD_ECS_METADATA STSENV_ECS_ENDPOINT STSENV_REFRESH_MARGIN no_proxy NO_PROXY
	mkdir -p "$TMP/role-home"
	dead=http://127.0.0.1:9
	clean_env HOME="$TMP/role-home" http_proxy=$dead https_proxy=$dead HTTPS_PROXY=$dead \
		all_proxy=$dead ALL_PROXY=$dead ALIBABA_CLOUD_STS_ENDPOINT="http://127.0.0.1:$CPORT" \
		STSENV_ECS_ENDPOINT="http://127.0.0.1:$CPORT" "$@"
)

# start_role_cloud ARGS: fakecloud that also knows the credentials minted by
# the fakests.py started last ($PORT).
start_role_cloud() { start_cloud --ledger-url "http://127.0.0.1:$PORT/control/ledger" "$@"; }

# secret_free FILE...: no secret, token, credentials-URI query or
# long-term key id in any of them (the lines found go to the test's report).
secret_free() {
	if grep -n "fakesecret\|faketoken\|oidc-token-\|query-secret\|$AK_ID" "$@" >&2; then
		say "^ a secret, a token or the long-term key in the output"
		return 1
	fi
}

served() { sed -n "s/^$1=//p" "$2"; } # served NAME FILE: a value printed by getenvs

# is_role_cred FILE: getenvs printed an AssumeRole answer (id STS.gNNNNNN.role…)
# whose token is of the same generation: the role's credential, whole.
is_role_cred() {
	id=$(served ALIBABA_CLOUD_ACCESS_KEY_ID "$1")
	tok=$(served ALIBABA_CLOUD_SECURITY_TOKEN "$1")
	g=$(echo "$id" | sed -n 's/^STS\.g\([0-9]*\)\.role.*/\1/p')
	[ -n "$g" ] && case $tok in "faketoken-g$g-"*) true ;; *) false ;; esac
}

# shows_chain FILE-TEXT FILE-JSON: stsenv status's in-use line names the
# chain, and the JSON (valid) names the role.
shows_chain() {
	grep -qF -- "-> AssumeRole $ROLE_ARN" "$1" || { say "status: no '-> AssumeRole $ROLE_ARN'"; return 1; }
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$2" || { say "status JSON invalid"; return 1; }
	grep -qF "$ROLE_ARN" "$2" || { say "status JSON: no $ROLE_ARN"; return 1; }
}

# only_loopback STRACE-OUTPUT: every connect was to a local socket or loopback.
only_loopback() {
	if grep 'connect(' "$1" | grep -v 'AF_UNIX\|127\.0\.0\.1' | grep -q .; then
		grep 'connect(' "$1" | grep -v 'AF_UNIX\|127\.0\.0\.1' | head -5 >&2
		say "^ a connection that is not to loopback"
		return 1
	fi
}

# The fake's signature code against Alibaba Cloud's published example.
t_role_self_test() {
	python3 "$ROOT/tests/fakecloud.py" --self-test >&2
}

# t_role_on BASE: a role chained on the uri, file, ecs or oidc source.  The
# role's credential is served (under the launcher and plain preload), signed
# by the base's credential with its own SecurityToken in the body, and status
# shows the chain; no secret in any log.
t_role_on() {
	base=$1
	servers=""
	case $base in
	uri | file)
		if [ "$base" = uri ]; then
			start_server rbase --ttl 60
			set -- ALIBABA_CLOUD_CREDENTIALS_URI="$URI"
		else
			start_server rbase --ttl 60 --file "$TMP/rbase.json"
			i=0
			while [ ! -s "$TMP/rbase.json" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
			set -- STSENV_CREDENTIALS_FILE="$TMP/rbase.json"
		fi
		servers=$rbase_pid
		start_role_cloud --ttl 60
		kind=ledger
		;;
	ecs)
		start_cloud --ttl 60 --role fake-role
		set -- STSENV_ECS_ENDPOINT="http://127.0.0.1:$CPORT" ALIBABA_CLOUD_ECS_METADATA=fake-role
		kind=imds
		;;
	oidc)
		echo "oidc-token-ROLE-secret" >"$TMP/oidc.token"
		start_cloud --ttl 60 --oidc-token-file "$TMP/oidc.token"
		set -- ALIBABA_CLOUD_ROLE_ARN=acs:ram::1234:role/oidc-base \
			ALIBABA_CLOUD_OIDC_PROVIDER_ARN=acs:ram::1234:oidc-provider/ack-rrsa \
			ALIBABA_CLOUD_OIDC_TOKEN_FILE="$TMP/oidc.token"
		kind=oidc
		;;
	esac
	set -- "$@" STSENV_ROLE_ARN="$ROLE_ARN"
	role_env "$@" "$BUILD/stsenv" -- "$BUILD/progs/getenvs" ALIBABA_CLOUD_ACCESS_KEY_ID \
		ALIBABA_CLOUD_SECURITY_TOKEN >"$TMP/ron.out" 2>"$TMP/ron-launcher.err"
	rc=$?
	first=$(cloud_stat "d['role_ids'][0] if d['role_ids'] else ''")
	log0=$(cloud_stat "d['assume_role_log'][:1]")
	ar=$(cloud_stat "d['last_assume_role']")
	role_env "$@" LD_PRELOAD="$PRELOAD" "$PROGS/reader" 2 2 >"$TMP/ron-reader.out" 2>"$TMP/ron-reader.err"
	rrc=$?
	ok_after_reader=$(cloud_stat "d['assume_role_ok']")
	role_env "$@" "$BUILD/stsenv" status >"$TMP/ron-status.log" 2>"$TMP/ron-status.err"
	role_env "$@" "$BUILD/stsenv" status --format json >"$TMP/ron-json.log" 2>"$TMP/ron-json.err"
	kill "$cloud_pid" $servers
	say "rc=$rc served: $(served ALIBABA_CLOUD_ACCESS_KEY_ID "$TMP/ron.out") first role id: $first"
	say "first request: $log0"
	say "last request: $ar"
	say "reader rc=$rrc: $(cat "$TMP/ron-reader.out"); assume_role_ok=$ok_after_reader"
	say "status: $(grep -i 'in use' "$TMP/ron-status.log")"
	[ $rc = 0 ] && is_role_cred "$TMP/ron.out" &&
		[ "$(served ALIBABA_CLOUD_ACCESS_KEY_ID "$TMP/ron.out")" = "$first" ] &&
		echo "$log0" | grep -q "'kind': '$kind'.*'code': 'Success'" &&
		echo "$ar" | grep -q "'SecurityTokenMatched': True" &&
		echo "$ar" | grep -q "'body_keys': \[[^]]*'SecurityToken'" &&
		[ $rrc = 0 ] && [ "$(field generations "$TMP/ron-reader.out")" -ge 1 ] &&
		[ "$(field unset "$TMP/ron-reader.out")" = 0 ] && [ "$ok_after_reader" -ge 2 ] &&
		shows_chain "$TMP/ron-status.log" "$TMP/ron-json.log" &&
		secret_free "$TMP"/ron-*.err "$TMP"/ron-*.log
}

# t_role_profile VARIANT: a role from a profile: INI ram_role_arn with an
# AccessKey (ini-ak) or a source_profile (ini-source), CLI RamRoleArn
# (cli-ramrolearn), ChainableRamRoleArn on an AK profile (cli-chainable-ak)
# or on an EcsRamRole one (cli-chainable-ecs).  The role's credential is
# served, the profile's parameters reach STS, the long-term key only signs
# (neither half in any output), nothing connects beyond loopback.
t_role_profile() {
	v=$1
	home="$TMP/rp-home-$v"
	mkdir -p "$home/.aliyun"
	pol='{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:*", "Resource": "*"}]}'
	start_cloud --ttl 60 --role fake-role --key "$AK_ID:$AK_SECRET"
	ecs="STSENV_ECS_ENDPOINT=http://127.0.0.1:$CPORT"
	session="" policy="" ext="" dur=3600
	case $v in
	ini-ak)
		cat >"$TMP/rp.ini" <<INI
[default]
type = ecs_ram_role
role_name = not-this-one

[chained]
type = ram_role_arn
access_key_id = $AK_ID
access_key_secret = $AK_SECRET
role_arn = $ROLE_ARN
role_session_name = ini-session
policy = $pol
external_id = ext-ini-1
INI
		set -- ALIBABA_CLOUD_CREDENTIALS_FILE="$TMP/rp.ini" ALIBABA_CLOUD_PROFILE=chained
		kind=key session=ini-session policy=$pol ext=ext-ini-1
		;;
	ini-source)
		cat >"$TMP/rp.ini" <<INI
[base]
type = ecs_ram_role
role_name = fake-role

[default]
type = ram_role_arn
source_profile = base
role_arn = $ROLE_ARN
role_session_name = ini-chain
INI
		set -- ALIBABA_CLOUD_CREDENTIALS_FILE="$TMP/rp.ini"
		kind=imds session=ini-chain
		;;
	cli-*)
		python3 - "$v" "$home/.aliyun/config.json" "$AK_ID" "$AK_SECRET" "$ROLE_ARN" "$pol" \
			"http://127.0.0.1:$CPORT" <<'PY' || return 1
import json, sys
v, path, akid, aksecret, arn, pol, sts = sys.argv[1:]
ak = {"name": "ak", "mode": "AK", "access_key_id": akid, "access_key_secret": aksecret,
      "region_id": "cn-hangzhou"}
ecs = {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "fake-role", "region_id": "cn-hangzhou"}
if v == "cli-ramrolearn":
    role = dict(ak, name="rr", mode="RamRoleArn", ram_role_arn=arn, ram_session_name="cli-session",
                expired_seconds=1800, policy=pol, external_id="ext-cli-1", sts_endpoint=sts)
else:
    role = {"name": "chain", "mode": "ChainableRamRoleArn", "source_profile": v.split("-")[-1],
            "ram_role_arn": arn, "ram_session_name": "cli-chain", "sts_endpoint": sts,
            "region_id": "cn-hangzhou"}
json.dump({"current": role["name"], "profiles": [ak, ecs, role]}, open(path, "w"), indent=1)
PY
		set --
		case $v in
		cli-ramrolearn) kind=key session=cli-session policy=$pol ext=ext-cli-1 dur=1800 ;;
		cli-chainable-ak) kind=key session=cli-chain ;;
		*) kind=imds session=cli-chain ;;
		esac
		;;
	esac
	set -- HOME="$home" "$ecs" "$@"
	role_env "$@" "$BUILD/stsenv" -- "$BUILD/progs/getenvs" ALIBABA_CLOUD_ACCESS_KEY_ID \
		ALIBABA_CLOUD_ACCESS_KEY_SECRET ALIBABA_CLOUD_SECURITY_TOKEN >"$TMP/rp.out" 2>"$TMP/rp-launcher.err"
	rc=$?
	first=$(cloud_stat "d['role_ids'][0] if d['role_ids'] else ''")
	log0=$(cloud_stat "d['assume_role_log'][:1]")
	# An AccessKey signs alone; an STS credential with its own token.
	POL="$policy" EXT="$ext" SESSION="$session" DUR="$dur" cloud_stat "(lambda a, e: [
		k for k, want in (('RoleArn', '$ROLE_ARN'), ('RoleSessionName', e['SESSION']),
		                  ('DurationSeconds', e['DUR']), ('Policy', e['POL'] or None),
		                  ('ExternalId', e['EXT'] or None), ('SecurityTokenSent', '$kind' != 'key'),
		                  ('SecurityTokenMatched', '$kind' != 'key'), ('SignatureValid', True))
		if a.get(k) != want])(d['last_assume_role'], __import__('os').environ)" >"$TMP/rp.params"
	say "rc=$rc served: $(served ALIBABA_CLOUD_ACCESS_KEY_ID "$TMP/rp.out") first role id: $first"
	say "first request: $log0"
	say "last request: $(cloud_stat "d['last_assume_role']")"
	say "parameters not as the profile says: $(cat "$TMP/rp.params")"
	role_env "$@" "$BUILD/stsenv" env >"$TMP/rp-env.out" 2>"$TMP/rp-env.err"
	role_env "$@" "$BUILD/stsenv" status >"$TMP/rp-status.log" 2>"$TMP/rp-status.err"
	role_env "$@" "$BUILD/stsenv" status --format json >"$TMP/rp-json.log" 2>"$TMP/rp-json.err"
	say "status: $(grep -i 'in use' "$TMP/rp-status.log")"
	loop=0
	if command -v strace >/dev/null; then
		role_env "$@" strace -f -e trace=connect -o "$TMP/rp.strace" "$BUILD/stsenv" -- true 2>/dev/null
		only_loopback "$TMP/rp.strace" || loop=1
	else
		say "strace missing: connections not traced (the proxy guard still applies)"
	fi
	kill "$cloud_pid"
	[ $rc = 0 ] && is_role_cred "$TMP/rp.out" &&
		[ "$(served ALIBABA_CLOUD_ACCESS_KEY_ID "$TMP/rp.out")" = "$first" ] &&
		echo "$log0" | grep -q "'kind': '$kind'.*'code': 'Success'" &&
		[ "$(cat "$TMP/rp.params")" = "[]" ] && [ $loop = 0 ] &&
		grep -q "STS\.g[0-9]*\.role" "$TMP/rp-env.out" &&
		! grep -n -e "$AK_ID" -e "$AK_SECRET" "$TMP/rp.out" "$TMP/rp-env.out" >&2 &&
		shows_chain "$TMP/rp-status.log" "$TMP/rp-json.log" &&
		secret_free "$TMP"/rp-*.err "$TMP"/rp-*.log
}

# The signer rotates (every 2 s) while the role's credential is still valid
# (14 s, refreshed 4 s before it ends): one AssumeRole while the base rotates
# four times; when the role is due, the base's current credential signs.
t_role_signer_rotates() {
	start_server rsig --ttl 20 --rotate-every 2
	start_role_cloud --role-ttl 14
	role_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_ROLE_ARN="$ROLE_ARN" STSENV_REFRESH_MARGIN=4 \
		"$BUILD/stsenv" -- "$BUILD/progs/reader" 2 13 >"$TMP/rsig.out" 2>"$TMP/rsig.err" &
	rpid=$!
	sleep 8.5
	mid=$(cloud_stat "d['assume_role_requests']")
	base_gen_mid=$(stat_of generation)
	wait "$rpid"
	rc=$?
	reqs=$(cloud_stat "d['assume_role_requests']")
	log=$(cloud_stat "[(e['kind'], e['gen'], e['newest'], e['code']) for e in d['assume_role_log']]")
	g0=$(cloud_stat "d['assume_role_log'][0]['gen']")
	ok2=$(cloud_stat "len(d['assume_role_log']) > 1 and all(e['code'] == 'Success' and e['newest'] and e['kind'] == 'ledger' for e in d['assume_role_log'])")
	g1=$(cloud_stat "d['assume_role_log'][1]['gen'] if len(d['assume_role_log']) > 1 else 0")
	base_reqs=$(stat_of requests)
	kill "$cloud_pid" "$rsig_pid"
	say "rc=$rc $(cat "$TMP/rsig.out")"
	say "AssumeRole requests: $mid at 8.5 s (base at generation $base_gen_mid), $reqs at the end; (kind, signer generation, newest, code): $log"
	note "role_signer_rotates: AssumeRole $mid while the base went from generation $g0 to $base_gen_mid, $reqs in 13 s; signers' generations $g0 then $g1; base requests $base_reqs"
	[ $rc = 0 ] && [ "$mid" = 1 ] && [ "$base_gen_mid" -ge $((g0 + 3)) ] && [ "$reqs" = 2 ] &&
		[ "$ok2" = True ] && [ "$g1" -ge "$base_gen_mid" ] &&
		[ "$(field generations "$TMP/rsig.out")" = 2 ] && secret_free "$TMP/rsig.err"
}

# t_role_error HOW CODE [MESSAGE]: STS refuses the role (HOW: forbid,
# missing, or a fakecloud mode).  The launcher exits 125 and a program
# under the preload runs on with the names unset; both logs name STS's Code
# (and Message) and the role, never a secret or token.  The signer is an
# STS credential, so its token is in the request (and, for badsig, in the
# Message, as the real gateway echoes its string to sign).
t_role_error() {
	how=$1 code=$2 msg=$3
	start_server rerr --ttl 60
	case $how in
	forbid) start_role_cloud --forbid-role "$ROLE_ARN" ;;
	missing) start_role_cloud --missing-role "$ROLE_ARN" ;;
	*) start_role_cloud && cloud_mode "$how" ;;
	esac
	set -- ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_ROLE_ARN="$ROLE_ARN"
	# the launcher at the default log level
	(
		unset STSENV_LOG
		role_env "$@" "$BUILD/stsenv" -- true 2>"$TMP/rerr-launcher.err"
	)
	rc1=$?
	role_env "$@" LD_PRELOAD="$PRELOAD" "$PROGS/reader" 1 1 --expect-none >"$TMP/rerr.out" 2>"$TMP/rerr-preload.err"
	rc2=$?
	errs=$(cloud_stat "d['assume_role_errors']")
	kill "$cloud_pid" "$rerr_pid"
	say "launcher rc=$rc1: $(cat "$TMP/rerr-launcher.err")"
	say "preload rc=$rc2: $(cat "$TMP/rerr.out") $(grep -v 'debug' "$TMP/rerr-preload.err" | head -5)"
	say "fake's errors: $errs"
	ok=0
	for f in "$TMP/rerr-launcher.err" "$TMP/rerr-preload.err"; do
		grep -qF "$code" "$f" || { say "$f: no $code" && ok=1; }
		[ -z "$msg" ] || grep -qF "$msg" "$f" || { say "$f: no '$msg'" && ok=1; }
		grep -qF "$ROLE_ARN" "$f" || { say "$f: no $ROLE_ARN" && ok=1; }
	done
	[ $rc1 = 125 ] && [ $rc2 = 0 ] && [ $ok = 0 ] && echo "$errs" | grep -q "'$code'" &&
		secret_free "$TMP"/rerr-*.err
}

# STS answers the same role credential again and again (mode rolesame):
# no spinning, the request count stays bounded, the credential is never
# served past its expiry.
t_role_unchanged() {
	start_server rsame --ttl 60
	start_role_cloud --role-ttl 10
	cloud_mode rolesame
	role_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_ROLE_ARN="$ROLE_ARN" STSENV_REFRESH_MARGIN=5 \
		"$BUILD/stsenv" -- "$BUILD/progs/reader" 2 13 >"$TMP/rsame.out" 2>"$TMP/rsame.err"
	rc=$?
	reqs=$(cloud_stat "d['assume_role_requests']")
	ids=$(cloud_stat "len(set(d['role_ids']))")
	kill "$cloud_pid" "$rsame_pid"
	say "rc=$rc $(cat "$TMP/rsame.out") AssumeRole requests=$reqs distinct credentials=$ids"
	note "role_unchanged (STS answers the same credential, 10 s life, margin 5 s, 13 s): AssumeRole requests=$reqs"
	[ $rc = 0 ] && [ "$ids" = 1 ] && [ "$reqs" -ge 3 ] && [ "$reqs" -le 15 ] &&
		[ "$(field unset "$TMP/rsame.out")" -gt 0 ] && secret_free "$TMP/rsame.err"
}

# STS fails (500) from 1 s to 9 s, across the role's refresh time (about
# 6 s: a 12 s life, a 6 s margin) but not its expiry: the retries back off
# within what is left (bounded requests), the last good credential is
# served throughout (never unset, never expired), and once STS is back a
# new credential is served.  (An outage that outlives the credential backs
# off to 30-60 s after seven failures: too slow for this suite.)
t_role_backoff() {
	start_server rback --ttl 60
	start_role_cloud --role-ttl 12
	role_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_ROLE_ARN="$ROLE_ARN" STSENV_REFRESH_MARGIN=6 \
		"$BUILD/stsenv" -- "$BUILD/progs/reader" 2 14 >"$TMP/rback.out" 2>"$TMP/rback.err" &
	rpid=$!
	sleep 1
	cloud_mode sts500
	sleep 8
	during=$(cloud_stat "d['assume_role_requests'] - 1")
	cloud_mode ok
	wait "$rpid"
	rc=$?
	reqs=$(cloud_stat "d['assume_role_requests']")
	ok=$(cloud_stat "d['assume_role_ok']")
	errs=$(cloud_stat "d['assume_role_errors']")
	kill "$cloud_pid" "$rback_pid"
	say "rc=$rc $(cat "$TMP/rback.out") AssumeRole: $during during the 8 s outage, $reqs in all, $ok answered; errors $errs"
	note "role_backoff (STS 500 for 8 s, across the refresh time): AssumeRole requests during the outage=$during, in all=$reqs, credentials=$ok"
	[ $rc = 0 ] && [ "$during" -ge 2 ] && [ "$during" -le 10 ] && [ "$ok" = 2 ] &&
		[ "$(field generations "$TMP/rback.out")" = 2 ] && [ "$(field unset "$TMP/rback.out")" = 0 ] &&
		echo "$errs" | grep -q "'InternalError'" && grep -q "InternalError" "$TMP/rback.err" &&
		secret_free "$TMP/rback.err"
}

# STSENV_POLICY (spaces, '*', '~', '+', '/', quotes), STSENV_ROLE_EXTERNAL_ID,
# ALIBABA_CLOUD_ROLE_SESSION_NAME and STSENV_DURATION reach STS intact, and
# the signature over them verifies; then the defaults (session
# stsenv-<unix seconds>, 3600 s, no policy, no external id).
t_role_params() {
	start_server rpar --ttl 60
	start_role_cloud --ttl 60
	pol='{"Version": "1", "Statement": [{"Effect": "Allow", "Action": ["oss:Get*", "oss:List*"], "Resource": ["acs:oss:*:*:my-bucket", "acs:oss:*:*:my-bucket/~tmp/a+b c/*"]}]}'
	role_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_ROLE_ARN="$ROLE_ARN" STSENV_POLICY="$pol" \
		STSENV_ROLE_EXTERNAL_ID="ext-42:team/a" ALIBABA_CLOUD_ROLE_SESSION_NAME="build.42@ci-job" \
		STSENV_DURATION=1800 "$BUILD/stsenv" -- "$BUILD/progs/getenvs" ALIBABA_CLOUD_ACCESS_KEY_ID \
		ALIBABA_CLOUD_SECURITY_TOKEN >"$TMP/rpar1.out" 2>"$TMP/rpar1.err"
	rc1=$?
	a1=$(cloud_stat "d['last_assume_role']")
	bad1=$(POL="$pol" cloud_stat "[k for k, want in (('Policy', __import__('os').environ['POL']),
		('ExternalId', 'ext-42:team/a'), ('RoleSessionName', 'build.42@ci-job'),
		('DurationSeconds', '1800'), ('RoleArn', '$ROLE_ARN'), ('SignatureValid', True),
		('code', 'Success')) if d['last_assume_role'].get(k) != want]")
	now=$(date +%s)
	role_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_ROLE_ARN="$ROLE_ARN" "$BUILD/stsenv" -- \
		"$BUILD/progs/getenvs" ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_SECURITY_TOKEN >"$TMP/rpar2.out" 2>"$TMP/rpar2.err"
	rc2=$?
	a2=$(cloud_stat "d['last_assume_role']")
	bad2=$(cloud_stat "(lambda a: [k for k, ok in (
		('RoleSessionName', __import__('re').fullmatch(r'stsenv-\d+', a.get('RoleSessionName') or '')
		 and abs(int(a['RoleSessionName'][7:]) - $now) < 60),
		('DurationSeconds', a.get('DurationSeconds') == '3600'), ('Policy', 'Policy' not in a),
		('ExternalId', 'ExternalId' not in a), ('code', a.get('code') == 'Success')) if not ok])(d['last_assume_role'])")
	kill "$cloud_pid" "$rpar_pid"
	say "with settings: rc=$rc1, not as set: $bad1; request: $a1"
	say "defaults: rc=$rc2, not as expected: $bad2; request: $a2"
	[ $rc1 = 0 ] && [ "$bad1" = "[]" ] && is_role_cred "$TMP/rpar1.out" &&
		[ $rc2 = 0 ] && [ "$bad2" = "[]" ] && is_role_cred "$TMP/rpar2.out" &&
		secret_free "$TMP"/rpar*.err
}

# The issue's measurement: a launched tree of 32 workers (readers started
# by one shell) across 4 chained rotations: one AssumeRole per rotation for
# the whole tree, every worker sees every generation, none an expired or
# torn credential, none an unset name.
t_role_workers() {
	start_server rwk --ttl 120
	start_role_cloud --role-ttl 10
	rm -f "$TMP"/rwk.w.*
	role_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_ROLE_ARN="$ROLE_ARN" STSENV_REFRESH_MARGIN=4 \
		W="$TMP/rwk.w" R="$BUILD/progs/reader" "$BUILD/stsenv" -- sh -c '
		i=0
		while [ $i -lt 32 ]; do
			i=$((i + 1))
			("$R" 1 26 >"$W.$i"; echo "rc=$?" >>"$W.$i") &
		done
		wait' 2>"$TMP/rwk.err"
	rc=$?
	end=$(date +%s.%N)
	reqs=$(cloud_stat "d['assume_role_requests']")
	gens=$(cloud_stat "len(set(d['role_ids']))")
	# every worker runs until at least 1.5 s before the tree ends: it must
	# have seen every credential answered before then
	want=$(cloud_stat "len([e for e in d['assume_role_log'] if e['code'] == 'Success' and e['t'] < $end - 1.5])")
	base_reqs=$(stat_of requests)
	kill "$cloud_pid" "$rwk_pid"
	n=0 bad=0 min=999 max=0
	for f in "$TMP"/rwk.w.*; do
		n=$((n + 1))
		g=$(field generations "$f")
		[ -n "$g" ] || g=0
		[ "$g" -lt $min ] && min=$g
		[ "$g" -gt $max ] && max=$g
		if ! grep -q "^rc=0$" "$f" || [ "$(field unset "$f")" != 0 ] || [ "$(field expired "$f")" != 0 ] ||
			[ "$(field torn "$f")" != 0 ] || [ "$g" -lt "$want" ]; then
			bad=$((bad + 1))
			say "worker $f: $(tr '\n' ' ' <"$f")"
		fi
	done
	rot=$((gens - 1))
	say "rc=$rc workers=$n bad=$bad chained generations=$gens ($want to see) AssumeRole requests=$reqs base requests=$base_reqs worker generations $min..$max"
	note "role_workers(32 readers, 26 s, role life 10 s, margin 4 s): chained rotations=$rot AssumeRole requests=$reqs base requests=$base_reqs each worker saw $min..$max generations, $bad workers failed"
	[ $rc = 0 ] && [ $n = 32 ] && [ $bad = 0 ] && [ $rot -ge 4 ] && [ "$reqs" -le $((rot + 1)) ] &&
		secret_free "$TMP/rwk.err"
}
