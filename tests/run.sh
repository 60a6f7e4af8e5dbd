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
# (tests/stack.sh) is started once and stopped on exit, whatever happens.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PATTERN=${1:-}
export KSINK_BUILD=${KSINK_BUILD:-$ROOT/build}
CBUILD=$KSINK_BUILD
[ -d "$ROOT/build-asan/tests" ] && [ -z "${KSINK_NO_ASAN:-}" ] && CBUILD=$ROOT/build-asan
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

OUT=$(mktemp -d /tmp/ksink-tests.XXXXXX)
chmod 755 "$OUT"
export KSINK_TEST_OUT=$OUT
export KSINK_STACK_DIR=$OUT/stack
cleanup() { "$ROOT/tests/stack.sh" down --dir "$KSINK_STACK_DIR" >/dev/null 2>&1; }
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! "$ROOT/tests/stack.sh" up --dir "$KSINK_STACK_DIR" >"$OUT/stack.env" 2>"$OUT/stack.log"; then
	cat "$OUT/stack.log"
	echo "0 passed, 1 failed"
	exit 1
fi
# shellcheck disable=SC1091
. "$OUT/stack.env"

passed=0 failed=0
failures=()
# in number order, C and shell tests interleaved
for t in $(ls tests/[0-9][0-9][0-9][0-9]-*.c tests/[0-9][0-9][0-9][0-9]-*.sh 2>/dev/null | sort); do
	[ -e "$t" ] || continue
	name=$(basename "$t")
	[ -n "$PATTERN" ] && [[ $name != *$PATTERN* ]] && continue
	echo "# $name"
	log="$OUT/${name%.*}.log"
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
		failures+=("$name")
	fi
	echo "  ($((SECONDS - start)) s)"
	passed=$((passed + p))
	failed=$((failed + f))
done

[ ${#failures[@]} -gt 0 ] && echo "failed tests: ${failures[*]} (logs in $OUT)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
