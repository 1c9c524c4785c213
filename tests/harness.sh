# The test harness (POSIX sh), sourced by tests/run.sh: check runs one
# test function and counts it as PASS, FAIL or SKIP; run_unit counts the
# lines of a unit-test binary.  The fixtures are in tests/lib.sh.

pass() {
	echo "PASS $1"
	PASSED=$((PASSED + 1))
}
fail() {
	echo "FAIL $1"
	FAILED=$((FAILED + 1))
	if [ -s "$TMP/why" ]; then sed 's/^/    /' "$TMP/why" | tail -20; fi
}
skip() {
	echo "SKIP $1: $(tail -1 "$TMP/why")"
	SKIPPED=$((SKIPPED + 1))
}
# check NAME CMD...: runs one test function; its stderr explains a failure.
# A function that returns 77 could not run here (a prerequisite is
# missing, which it says): counted and shown as SKIP, never as PASS.
check() {
	_test=$1
	shift
	# ONLY=regex runs a subset while developing.
	if [ -n "$ONLY" ] && ! echo "$_test" | grep -qE "$ONLY"; then return 0; fi
	: >"$TMP/why"
	"$@" 2>"$TMP/why"
	case $? in
	0) pass "$_test" ;;
	77) skip "$_test" ;;
	*) fail "$_test" ;;
	esac
	# Keep every log of every test for the final secrets check.
	cat "$TMP"/*.log "$TMP"/*.err >>"$TMP/all-output.txt" 2>/dev/null
	rm -f "$TMP"/*.log "$TMP"/*.err
}
note() { echo "$*" >>"$RESULTS"; }
say() { echo "$*" >&2; }
# run_unit BIN: counts the PASS/FAIL lines of a unit-test binary; a crash
# (non-zero exit without a FAIL line) counts as one failure.
run_unit() {
	out="$TMP/unit.out"
	"$1" >"$out" 2>"$TMP/unit.err"
	rc=$?
	p=$(grep -c '^PASS' "$out")
	f=$(grep -c '^FAIL' "$out")
	sed "s|^\(PASS\|FAIL\) |\1 $(basename "$1")$2: |" "$out"
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $(basename "$1")$2: exited with status $rc"
		tail -20 "$TMP/unit.err" | sed 's/^/    /'
		FAILED=$((FAILED + 1))
	elif [ "$f" -ne 0 ]; then
		sed 's/^/    /' "$TMP/unit.err" | tail -20
	fi
}
