# Programs that refresh by themselves: the Go and Java stand-ins of the
# official SDKs' default chains (tests/sdk/), which take the environment
# first and the credentials URI last, must never be pinned to a triple
# handed down at exec; they get the tree's endpoint instead.  Go programs
# without the SDK still get the variables.  The endpoint under attack.

SDK="$BUILD/sdk"

# sdk_prog LANG PORT SECONDS: the command line of a stand-in job
sdk_prog() {
	case $1 in
	go) echo "$SDK/chainjob-go $2 $3" ;;
	java) echo "java -cp $SDK/credentials-java-stub.jar:$SDK/chainjob ChainJob $2 $3" ;;
	esac
}

sdk_ready() {
	if [ "$SDK_BUILD_RC" = 77 ]; then
		say "$(tail -1 "$TMP/sdk-build.txt")"
		return 77
	fi
	[ "$SDK_BUILD_RC" = 0 ] || { say "tests/sdk/build.sh failed"; return 1; }
}

# t_sdk_chain LANG MODE: the default chain every 0.5 s for 20 s (five
# rotations), alone (the control), under the launcher, under a preloaded
# bash: never an expired credential, every rotation seen, the URI provider.
t_sdk_chain() {
	sdk_ready || return $?
	start_server sdk --ttl 10 --rotate-within 6
	prog=$(sdk_prog "$1" "$PORT" 20)
	set -- "$1" "$2" HOME="$TMP" ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=6
	lang=$1 mode=$2
	shift 2
	case $mode in
	alone) clean_env "$@" $prog ;;
	launcher) clean_env "$@" "$BUILD/stsenv" -- $prog ;;
	preload) under "$@" bash -c "$prog; exit" ;;
	esac >"$TMP/sdk.out" 2>"$TMP/sdk.err"
	rc=$?
	reqs=$(stat_of requests)
	minted=$(stat_of generation)
	kill "$sdk_pid"
	say "$lang $mode: rc=$rc $(cat "$TMP/sdk.out") requests=$reqs minted=$minted $(tail -3 "$TMP/sdk.err")"
	note "sdk_chain($lang, $mode): $(cat "$TMP/sdk.out") server_requests=$reqs"
	[ $rc = 0 ] && [ "$(field expired "$TMP/sdk.out")" = 0 ] && [ "$(field errors "$TMP/sdk.out")" = 0 ] &&
		[ "$(field calls "$TMP/sdk.out")" -ge 30 ] && [ "$(field generations "$TMP/sdk.out")" -ge 4 ] &&
		grep -q "provider=[^ ]*uri" "$TMP/sdk.out" || return 1
	# every rotation seen (the last one may land after the job's last call)
	[ "$(field generations "$TMP/sdk.out")" -ge $((minted - 1)) ] || return 1
	# Under stsenv: the tree's endpoint, and the metadata service off for it.
	[ "$mode" = alone ] || grep -q "ecs_disabled=true" "$TMP/sdk.out" || return 1
	[ "$mode" = alone ] || [ "$reqs" -le 8 ]
}

# t_sdk_role LANG: under STSENV_ROLE_ARN the endpoint serves the role's
# credential: every call the role's, never expired, every rotation.
t_sdk_role() {
	sdk_ready || return $?
	start_server srb --ttl 120
	start_role_cloud --role-ttl 10
	prog=$(sdk_prog "$1" "$CPORT" 20)
	role_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_ROLE_ARN="$ROLE_ARN" STSENV_REFRESH_MARGIN=6 \
		"$BUILD/stsenv" -- $prog >"$TMP/srole.out" 2>"$TMP/srole.err"
	rc=$?
	ar=$(cloud_stat "d['assume_role_requests']")
	kill "$cloud_pid" "$srb_pid"
	say "$1 role: rc=$rc $(cat "$TMP/srole.out") assume_role=$ar $(tail -3 "$TMP/srole.err")"
	note "sdk_role($1): $(cat "$TMP/srole.out") assume_role_requests=$ar"
	# expired counts every id the role's STS did not mint, too
	[ $rc = 0 ] && [ "$(field expired "$TMP/srole.out")" = 0 ] &&
		[ "$(field generations "$TMP/srole.out")" -ge 4 ] && [ "$ar" -le 8 ]
}

# A Go program without the SDK reads the names once: it still gets them,
# under the launcher and from a preloaded bash; --deliver=uri is honoured.
t_go_names_once() {
	sdk_ready || return $?
	start_server gno --ttl 60
	set -- ALIBABA_CLOUD_CREDENTIALS_URI="$URI"
	clean_env "$@" "$BUILD/stsenv" -- "$SDK/namesonce-go" >"$TMP/gno1.out" 2>"$TMP/gno1.err"
	under "$@" bash -c "$SDK/namesonce-go; exit" >"$TMP/gno2.out" 2>"$TMP/gno2.err"
	clean_env "$@" "$BUILD/stsenv" --deliver=uri -- "$SDK/namesonce-go" >"$TMP/gno3.out" 2>"$TMP/gno3.err"
	kill "$gno_pid"
	say "launcher: $(cat "$TMP/gno1.out") bash: $(cat "$TMP/gno2.out") uri: $(cat "$TMP/gno3.out")"
	grep -q "^id=STS.g.* oss=STS.g.* token=set$" "$TMP/gno1.out" &&
		grep -q "^id=STS.g.* oss=STS.g.* token=set$" "$TMP/gno2.out" &&
		grep -q "^id=(unset) oss=STS.g.* token=unset$" "$TMP/gno3.out"
}

# The endpoint under attack for 14 s: another uid, a wrong path, a POST, a
# request of 1 MiB, 300 slow clients holding connections and 1000
# connections at once, while the tree's reader reads and the keeper
# refreshes: no reader waits or sees an expired credential, every rotation
# arrives on time, and a legitimate client keeps getting good answers.
t_endpoint_attack() {
	start_server att --ttl 10 --rotate-within 6
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=6 \
		A="$ROOT/tests/endpoint_attack.py" R="$PROGS/reader" O="$TMP/att" \
		"$BUILD/stsenv" --deliver=uri -- sh -c '
		python3 "$A" "$ALIBABA_CLOUD_CREDENTIALS_URI" 14 >"$O.attack" 2>"$O.attack.err" &
		"$R" 2 16 >"$O.reader"
		wait' 2>"$TMP/att.err"
	rc=$?
	reqs=$(stat_of requests)
	kill "$att_pid"
	a="$TMP/att.attack"
	say "rc=$rc reader: $(cat "$TMP/att.reader") attack: $(cat "$a") $(tail -3 "$TMP/att.attack.err") requests=$reqs"
	note "endpoint_attack: $(cat "$a") reader: $(cat "$TMP/att.reader") server_requests=$reqs"
	gens=$(field generations "$TMP/att.reader")
	[ $rc = 0 ] && [ "$(field expired "$TMP/att.reader")" = 0 ] && [ "$(field unset "$TMP/att.reader")" = 0 ] &&
		[ "$gens" -ge 3 ] && [ "$reqs" -le $((gens + 2)) ] &&
		grep -q "bad_answers=0 " "$a" && [ "$(field legit_ok "$a")" -ge 30 ] &&
		grep -q "wrong_path=HTTP/1.1_404_Not_Found post=HTTP/1.1_404_Not_Found huge=closed" "$a" &&
		{ grep -q "other_uid=refused" "$a" || grep -q "other_uid=skipped" "$a"; } &&
		[ "$(sed -n 's/.*flood_ok=\([0-9]*\).*/\1/p' "$a")" -ge 900 ]
}
