#!/bin/sh
# Runs the libFuzzer harnesses one after another (`make fuzz`, `make
# fuzz-smoke`).  Usage: fuzz/run.sh OUT SECONDS NAME...
#
# Each harness OUT/fuzz_NAME runs for SECONDS on OUT/corpus-NAME, a copy of
# fuzz/corpus/NAME and fuzz/regress/NAME (libFuzzer adds what it finds
# there, never to the repository; the copy grows from run to run, delete it
# to start afresh).  Its output goes to OUT/log-NAME.txt, a crash or a
# broken invariant to OUT/artifacts-NAME/.  Exits 1 if any harness failed.
# FUZZ_SEED fixes libFuzzer's random seed (fuzz-smoke: 1), so that a fresh
# corpus replays the same mutations run after run.
set -u
cd "$(dirname "$0")/.." || exit 2
out=$1
secs=$2
shift 2
summary="$out/summary.txt"
: >"$summary"
failed=""

for n in "$@"; do
	bin="$out/fuzz_$n"
	corpus="$out/corpus-$n"
	art="$out/artifacts-$n"
	log="$out/log-$n.txt"
	mkdir -p "$corpus" "$art"
	for f in fuzz/corpus/"$n"/*; do
		[ -f "$f" ] && cp "$f" "$corpus/"
	done
	for f in fuzz/regress/"$n"/*; do
		[ -f "$f" ] && cp "$f" "$corpus/regress-$(basename "$f")"
	done
	dict=""
	[ -f "fuzz/$n.dict" ] && dict="-dict=fuzz/$n.dict"
	echo "fuzz: $n for ${secs}s (log: $log)"
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -max_len=70000 -timeout=5 -print_final_stats=1 \
		${FUZZ_SEED:+-seed=$FUZZ_SEED} -artifact_prefix="$art/" $dict "$corpus" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 | sed 's/^#[0-9]*[[:space:]]*DONE[[:space:]]*//')
	line="$n: ${execs:-?} executions (${speed:-?}/s), ${done_line:-no DONE line}, exit $rc"
	echo "  $line"
	echo "$line" >>"$summary"
	if [ "$rc" != 0 ]; then
		failed="$failed $n"
		echo "  ---- $n failed; the end of $log:"
		grep -v '^#[0-9]' "$log" | tail -n 40 | sed 's/^/  | /'
		echo "  inputs kept in $art/ (copy them to fuzz/regress/$n/ once understood)"
	fi
done

if [ -n "$failed" ]; then
	echo "fuzz: FAILED:$failed"
	exit 1
fi
echo "fuzz: all harnesses ran ${secs}s without a crash (summary: $summary)"
