#!/usr/bin/env bash
# 0040-stack_lifecycle.sh — tests/stack.sh on its own run dir: Postgres runs
# as the postgres user on a free port and a unix socket, survives a restart
# with its data, and `down` leaves no process and no directory behind.
source "$(dirname "$0")/lib/lib.sh"

D=$(mktemp -d /tmp/ksink-0040.XXXXXX)
trap '"$ROOT/tests/stack.sh" down --dir "$D" >/dev/null 2>&1' EXIT

check "stack up (pg + kafka)" "$ROOT/tests/stack.sh" up --dir "$D" --only pg,kafka
eval "$("$ROOT/tests/stack.sh" env --dir "$D")"
check "postgres answers over TCP" psql "$KSINK_PG_CONNINFO" -tAXc "SELECT 1"
check "postgres answers on its unix socket" psql -h "$D/pg" -p "$KSINK_PG_PORT" -U postgres -d postgres -tAXc "SELECT 1"
owner=$(psql "$KSINK_PG_CONNINFO" -tAXc "SELECT 1" >/dev/null && stat -c %U "$D/pg/data")
check_eq "data dir owned by postgres" "$owner" "$( [ "$(id -u)" = 0 ] && echo postgres || id -un)"
psql "$KSINK_PG_CONNINFO" -qtAXc "CREATE TABLE keep(x int); INSERT INTO keep VALUES (42)"
check "mock kafka metadata" kcat -L -b "$KSINK_BOOTSTRAP" -m 5

"$ROOT/tests/stack.sh" stop pg --dir "$D" 2>/dev/null
if psql "$KSINK_PG_CONNINFO" -tAXc "SELECT 1" >/dev/null 2>&1; then
	not_ok "stopped postgres refuses connections" "still answering"
else
	ok "stopped postgres refuses connections"
fi
"$ROOT/tests/stack.sh" start pg --dir "$D" 2>/dev/null
check_eq "restarted postgres keeps data on the same port" \
	"$(psql "$KSINK_PG_CONNINFO" -tAXc "SELECT x FROM keep")" "42"

pg_pid=$(head -1 "$D/pg/data/postmaster.pid")
kafka_pid=$(cat "$D/kafka.pid")
"$ROOT/tests/stack.sh" down --dir "$D" 2>/dev/null
wait_for 10 bash -c "! kill -0 $pg_pid 2>/dev/null && ! kill -0 $kafka_pid 2>/dev/null"
if kill -0 "$pg_pid" 2>/dev/null || kill -0 "$kafka_pid" 2>/dev/null; then
	not_ok "down stops every process" "pg $pg_pid or kafka $kafka_pid alive"
else
	ok "down stops every process"
fi
check "down removes the run dir" test ! -e "$D"
finish
