#!/usr/bin/env bash
# tests/run.sh — runs the whole suite against one local stack and ends with
# the line "N passed, N failed" (exit 1 when anything failed).
#
#   tests/run.sh [PATTERN]
#
# Tests are the numbered files in tests/: NNNN-name.c (built into
# build-asan/tests/NNNN-name when the ASan build exists, else build/tests/)
# and NNNN-name.sh. Each prints "ok - …" / "not ok - …" lines (and "# …" lines
# with the figures it checked, shown too); a test that
# exits non-zero without a "not ok" line counts as one failure. The stack
# (tests/stack.sh: Postgres, mock Kafka, registry) is started once, before
# the first selected test that needs it, and stopped on exit, whatever
# happens. A test that needs no stack (a pure unit test, or one that starts
# its own mock cluster) says so with a line "needs: none"; every other test
# gets the stack. So `tests/run.sh 0001` starts nothing and takes seconds.
# tests/README.md describes the numbering and how to run one test.
#
# Two Kafka tiers. A test runs in the tiers its line "kafka-tiers: ..."
# names, and in the mock tier (librdkafka's mock cluster) when it has none.
# The tests whose meaning depends on the broker carry "kafka-tiers: mock real"
# and run a second time, as "[real] NAME", against a second stack with a real
# Apache Kafka broker (tests/stack.sh --kafka real: its own Postgres, registry
# and broker, so tables and topics start empty); a test that the mock cannot
# serve at all (distributed mode: 0560-0569) carries "kafka-tiers: real" and
# runs in the real tier only.
# KSINK_KAFKA_TIERS=mock (or real) runs one tier only; a skipped tier is said
# in the line before the totals. Under CI=true both tiers always run: a real
# broker that cannot be fetched or started is a failure, never a skip.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PATTERN=${1:-}
export KSINK_BUILD=${KSINK_BUILD:-$ROOT/build}
CBUILD=$KSINK_BUILD
[ -d "$ROOT/build-asan/tests" ] && [ -z "${KSINK_NO_ASAN:-}" ] && CBUILD=$ROOT/build-asan
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

TIERS=${KSINK_KAFKA_TIERS:-mock,real}
if [ "${CI:-}" = true ] && [ "$TIERS" != mock,real ]; then
	echo "# CI=true: KSINK_KAFKA_TIERS=$TIERS ignored, both tiers run"
	TIERS=mock,real
fi
OUT=$(mktemp -d /tmp/ksink-tests.XXXXXX)
chmod 755 "$OUT"
export KSINK_TEST_OUT=$OUT
export KSINK_STACK_DIR=$OUT/stack
cleanup() {
	"$ROOT/tests/stack.sh" down --dir "$OUT/stack" >/dev/null 2>&1
	"$ROOT/tests/stack.sh" down --dir "$OUT/stack-real" >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0 failed=0
failures=()

# stack_up KIND DIR TAG: starts a tier's stack and exports its environment;
# a stack that does not start is one failure (and its tests do not run)
stack_up() {
	local kind=$1 sdir=$2 tag=$3
	if ! "$ROOT/tests/stack.sh" up --dir "$sdir" --kafka "$kind" >"$OUT/stack-$kind.env" 2>"$OUT/stack-$kind.log"; then
		cat "$OUT/stack-$kind.log"
		[ -f "$sdir/kafka.log" ] && cp "$sdir/kafka.log" "$OUT/kafka-$kind.log"
		echo "not ok - the $kind Kafka tier's stack did not start (log above)"
		failed=$((failed + 1))
		failures+=("${tag}stack")
		return 1
	fi
	cat "$OUT/stack-$kind.log" | sed 's/^/# /'
	# shellcheck disable=SC1090
	. "$OUT/stack-$kind.env"
}

# test_tiers FILE: the Kafka tiers a test runs in, from its line
# "kafka-tiers: ..." ("mock" when it has none)
test_tiers() {
	local line
	line=$(grep -m1 -o 'kafka-tiers:[a-z ]*' "$1")
	if [ -n "$line" ]; then echo " ${line#kafka-tiers:} "; else echo " mock "; fi
}

# run_tier KIND: runs the tier's tests in number order, C and shell tests
# interleaved, with the tier's stack started before the first that needs it
run_tier() {
	local kind=$1 sdir=$OUT/stack tag="" t name log start rc p f bin
	[ "$kind" = real ] && sdir=$OUT/stack-real tag="[real] "
	export KSINK_STACK_DIR=$sdir
	local tests=()
	for t in $(ls tests/[0-9][0-9][0-9][0-9]-*.c tests/[0-9][0-9][0-9][0-9]-*.sh 2>/dev/null | sort); do
		[ -e "$t" ] || continue
		name=$(basename "$t")
		[ -n "$PATTERN" ] && [[ $name != *$PATTERN* ]] && continue
		[[ $(test_tiers "$t") == *" $kind "* ]] || continue
		tests+=("$t")
	done
	[ ${#tests[@]} -eq 0 ] && return 0
	echo "# --- ${kind} Kafka tier: ${#tests[@]} test files ---"
	local stack=none # none | up | failed
	for t in "${tests[@]}"; do
		name=$(basename "$t")
		if ! grep -q 'needs: none' "$t"; then
			[ "$stack" = none ] && stack_up "$kind" "$sdir" "$tag" && stack=up
			[ "$stack" = none ] && stack=failed
			[ "$stack" = failed ] && continue
		fi
		echo "# $tag$name"
		log="$OUT/${name%.*}${tag:+.real}.log"
		start=$SECONDS
		case $t in
		*.c) bin="$CBUILD/tests/${name%.c}"
		     [ -x "$bin" ] || bin="$KSINK_BUILD/tests/${name%.c}"
		     timeout -k 10 600 "$bin" >"$log" 2>"$log.err"; rc=$? ;;
		*.sh) timeout -k 10 900 bash "$t" >"$log" 2>"$log.err"; rc=$? ;;
		esac
		p=$(grep -c '^ok ' "$log")
		f=$(grep -c '^not ok ' "$log")
		grep -E '^(ok|not ok|#) ' "$log" | sed 's/^/  /'
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1
			echo "  not ok - $name exited with status $rc"
		fi
		if [ "$f" -gt 0 ]; then
			echo "  --- stderr of $name (last 30 lines) ---"
			tail -30 "$log.err" | sed 's/^/  | /'
			if [ "$kind" = real ] && [ -f "$sdir/kafka.log" ]; then
				echo "  --- the real broker's log ($sdir/kafka.log, last 30 lines) ---"
				tail -30 "$sdir/kafka.log" | sed 's/^/  | /'
			fi
			failures+=("$tag$name")
		fi
		echo "  ($((SECONDS - start)) s)"
		passed=$((passed + p))
		failed=$((failed + f))
	done
}

skipped=""
for kind in mock real; do
	if [[ ",$TIERS," == *",$kind,"* ]]; then
		run_tier "$kind"
	else
		skipped="$skipped $kind"
	fi
done

[ ${#failures[@]} -gt 0 ] && echo "failed tests: ${failures[*]} (logs in $OUT)"
[ -n "$skipped" ] && echo "# Kafka tier(s) skipped:$skipped (KSINK_KAFKA_TIERS=$TIERS)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
