# tests/lib/lib.sh — sourced by the shell tests. Prints the same lines as the
# C harness (ok - NAME / not ok - NAME: why), which tests/run.sh counts.
#
#   check "name" cmd args...     ok when the command succeeds
#   check_eq "name" actual expected
#   wait_for SECONDS cmd args... polls every 0.1 s until cmd succeeds
#   psql_q "SQL"                 one value from the test Postgres (-tA)
#
# The stack's variables (tests/stack.sh env) are in the environment.

KS_FAILED=0
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${KSINK_BUILD:-$ROOT/build}

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1: $2"; KS_FAILED=$((KS_FAILED + 1)); }

check() {
	local name=$1; shift
	local out
	if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$(echo "$out" | tail -3 | tr '\n' ' ')"; fi
}

check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got '$2', expected '$3'"; fi
}

wait_for() {
	local secs=$1; shift
	local deadline=$((SECONDS + secs))
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge "$deadline" ] && return 1
		sleep 0.1
	done
	return 0
}

psql_q() {
	psql "$KSINK_PG_CONNINFO" -v ON_ERROR_STOP=1 -tAX -c "$1"
}

# Exit status of a shell test: non-zero when any check failed.
finish() { [ "$KS_FAILED" -eq 0 ]; exit $?; }
