# A wall clock that jumps forward (a VM paused and resumed, a live
# migration, NTP stepping a clock that was behind): the wall clock moves on
# at once, CLOCK_MONOTONIC does not.  libfaketime moves CLOCK_REALTIME,
# gettimeofday and time 30 s ahead, 3 s into the run, in the emulator and
# in every process of the tree alike (FAKETIME_TIMESTAMP_FILE, re-read on
# every call); the monotonic clock is left alone.

FAKETIME_MT=$(dpkg -L libfaketime 2>/dev/null | grep 'libfaketimeMT\.so\.1$' | head -1)

# t_wall_clock_step MODE: credentials living 12 s, margin 4; a reader every
# few ms for 24 s: never an expired credential by the (stepped) wall clock,
# a fresh one soon after the step, one tree (no herd of new keepers).
t_wall_clock_step() {
	mode=$1
	[ -n "$FAKETIME_MT" ] || { say "libfaketime is not installed"; return 77; }
	echo "+0" >"$TMP/faketime"
	export FAKETIME_TIMESTAMP_FILE="$TMP/faketime" FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1
	export LD_PRELOAD="$FAKETIME_MT"
	start_server wcs --ttl 12 --rotate-within 4
	unset LD_PRELOAD
	(sleep 3 && echo "+30s" >"$TMP/faketime") &
	stepper=$!
	set -- ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=4
	case $mode in
	preload) clean_env "$@" LD_PRELOAD="$PRELOAD $FAKETIME_MT" "$PROGS/reader" 2 24 ;;
	launcher) clean_env "$@" LD_PRELOAD="$FAKETIME_MT" "$BUILD/stsenv" -- "$PROGS/reader" 2 24 ;;
	esac >"$TMP/wcs.out" 2>"$TMP/wcs.err"
	rc=$?
	wait "$stepper"
	reqs=$(stat_of requests)
	kill "$wcs_pid"
	unset FAKETIME_TIMESTAMP_FILE FAKETIME_NO_CACHE FAKETIME_DONT_FAKE_MONOTONIC
	say "$mode: rc=$rc $(cat "$TMP/wcs.out") requests=$reqs; $(grep -c 'wall clock moved' "$TMP/wcs.err") step lines"
	note "wall_clock_step($mode): $(cat "$TMP/wcs.out") server_requests=$reqs"
	gens=$(field generations "$TMP/wcs.out")
	# A read sequence in flight at the very instant of the step may
	# straddle it (its first name before, the last after, or the reader's
	# own clock read after a value served before): at most two such reads.
	# Before the wall clock counted, every read of the 12 s after it was.
	[ "$(field expired "$TMP/wcs.out")" -le 2 ] && [ "$(field torn "$TMP/wcs.out")" -le 2 ] &&
		[ "$gens" -ge 3 ] && [ "$reqs" -le $((gens + 3)) ]
}
