#!/usr/bin/env bash
# 0344-pg_session_reset.sh — a session-bound error goes away with a new
# session: the sink's role gets statement_timeout='1ms' (ALTER ROLE … SET),
# its backend is terminated, so the reconnected session times out every
# write (57014; a statement trigger sleeps 50 ms). The task stays RUNNING
# with the timeout in its trace. Then the setting is RESET: the task must
# recover by itself (retries reconnect, so the role setting is read again),
# without a restart, and every record lands exactly once.
source "$(dirname "$0")/lib/lib.sh"
source "$(dirname "$0")/lib/worker.sh"
source "$(dirname "$0")/lib/faults.sh"
w_init 0344
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }
T=t0344_$$
ROLE=ks0344_$$
cleanup_role() {
	psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null 2>&1
	psql_q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '$ROLE'" >/dev/null 2>&1
	psql_q "DROP ROLE IF EXISTS \"$ROLE\"" >/dev/null 2>&1
}
trap 'w_cleanup; cleanup_role' EXIT
w_mock "$T:1"
f_init
psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
psql_q "CREATE ROLE \"$ROLE\" LOGIN SUPERUSER PASSWORD 'ks0344pw'" >/dev/null
psql_q "CREATE TABLE \"$T\" (\"ID\" bigint NOT NULL, \"PAYLOAD\" text)" >/dev/null
psql_q "CREATE OR REPLACE FUNCTION ks0344_slow() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN PERFORM pg_sleep(0.05); RETURN NULL; END \$\$" >/dev/null
psql_q "CREATE TRIGGER slow BEFORE INSERT ON \"$T\" FOR EACH STATEMENT EXECUTE FUNCTION ks0344_slow()" >/dev/null
start_ok "worker starts" "$W/w.properties" || finish
api POST /connectors "$(f_jdbc sr "$T" connection.user="$ROLE" connection.password=ks0344pw \
	errors.retry.delay.max.ms=1000 max.retries=2)"
check_eq "connector created" "$CODE" 201
f_produce "$T" 1 100
check "first 100 records written" wait_for 60 f_has_rows "$T" 100

psql_q "ALTER ROLE \"$ROLE\" SET statement_timeout = '1ms'" >/dev/null
killed=$(psql_q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = '$ROLE'")
echo "# backends of the role terminated: $killed"
f_produce "$T" 101 200
timing_out() { f_task_msg sr | grep -q 'statement timeout\|57014'; }
check "status: RUNNING with the statement timeout in the trace" wait_for 60 timing_out
echo "# status message: $(f_task_msg sr | cut -c1-200)"
check_eq "nothing written while every statement times out" "$(f_rows "$T")" 100

psql_q "ALTER ROLE \"$ROLE\" RESET statement_timeout" >/dev/null
t0=$SECONDS
check "after RESET the task recovers by itself: 200 rows" wait_for 60 f_has_rows "$T" 200
echo "# recovered $((SECONDS - t0)) s after the RESET (no restart)"
no_msg() { [ -z "$(f_task_msg sr)" ] && all_tasks sr RUNNING 1; }
check "status message cleared, task RUNNING" wait_for 30 no_msg
f_exactly "$T" 200
f_no_task_failed

w_stop
check_eq "exit 0" "$KRC" 0
finish
