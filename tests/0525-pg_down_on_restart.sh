#!/usr/bin/env bash
# 0525-pg_down_on_restart.sh — the worker is killed (kill -9) while Postgres
# is down and comes back before the database does, as after a machine
# restart: its tasks get their partitions but cannot read their offsets
# (open() needs the database). They wait: RUNNING with the connection error
# in their status, for longer than 30 open attempts, and when Postgres is
# back they start from the offsets in the database. Every record lands
# exactly once.
source "$(dirname "$0")/lib/worker_test.sh"
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }
STACK=$ROOT/tests/stack.sh
pg_up() { psql_q "SELECT 1" >/dev/null 2>&1; }
trap '"$STACK" start pg --dir "$KSINK_STACK_DIR" >/dev/null 2>&1 </dev/null; w_cleanup' EXIT

N1=10000 N=20000
T=t0525_pgr_$$
w_mock "$T:4"
f_init
psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
start_ok "worker starts" "$W/w.properties" || finish
# one connection attempt per open(): each open attempt fails fast
api POST /connectors "$(f_jdbc pgr "$T" tasks.max=2 connection.attempts=1)"
check_eq "connector created" "$CODE" 201
check "2 tasks RUNNING" wait_for 30 all_tasks pgr RUNNING 2
check "the group settled (both tasks have partitions)" wait_for 30 f_group_settled pgr 2
f_produce "$T" 1 "$N1"
check "first $N1 records written" wait_for 60 f_has_rows "$T" "$N1"

"$STACK" stop pg --dir "$KSINK_STACK_DIR" >/dev/null 2>&1 </dev/null
check "Postgres is down" bash -c "! psql '$KSINK_PG_CONNINFO' -c 'SELECT 1' >/dev/null 2>&1"
f_produce "$T" $((N1 + 1)) "$N"
check_eq "more records produced during the outage" "$?" 0
kill -9 "$KPID"
wait "$KPID" 2>/dev/null
KPID=""
start_ok "worker restarts while Postgres is down" "$W/w.properties" || finish
opening() { f_task_msg pgr | grep -q 'connect'; }
check "status: RUNNING with the connection error" wait_for 60 opening
echo "# status message: $(f_task_msg pgr | cut -c1-200)"
# longer than 30 attempts of open() 1 s apart (the old limit): they keep waiting
deadline=$((SECONDS + 35))
while [ $SECONDS -lt $deadline ] && all_tasks pgr RUNNING 2; do sleep 1; done
check "tasks still RUNNING after 35 s without Postgres" all_tasks pgr RUNNING 2
echo "# status after 35 s: $(curl -s "$URL/connectors/pgr/status" | jq -c '[.tasks[] | .state]')"
"$STACK" start pg --dir "$KSINK_STACK_DIR" >/dev/null 2>&1 </dev/null
check "Postgres is back" wait_for 30 pg_up
check "all $N records written" wait_for 90 f_has_rows "$T" "$N"
offsets_done() { [ "$(f_offsets_sum pgr)" = "$N" ]; }
check "offsets reach $N" wait_for 30 offsets_done
f_exactly "$T" "$N"
check "tasks RUNNING" all_tasks pgr RUNNING 2
f_no_task_failed
w_stop
check_eq "clean exit" "$KRC" 0
[ "$KS_FAILED" = 0 ] && psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
finish
