#!/usr/bin/env bash
# 0520-pg_outage.sh — Postgres goes away while Avro records stream into a
# JDBC sink (insert mode, no key, 2 tasks): first stopped for a while (the
# tasks stay RUNNING, their status carries the retry message, the retry
# counter grows), then restarted quickly mid-stream, then stopped again while
# a rebalance moves the partitions the tasks hold paused. Each time the tasks
# resume by themselves and every record lands exactly once.
source "$(dirname "$0")/lib/worker_test.sh"
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }
STACK=$ROOT/tests/stack.sh
pg_up() { psql_q "SELECT 1" >/dev/null 2>&1; }
# whatever happens, Postgres runs again when we leave (the next tests need it)
trap '"$STACK" start pg --dir "$KSINK_STACK_DIR" >/dev/null 2>&1 </dev/null; w_cleanup' EXIT

N1=20000 N=40000
T=t0520_pg_$$
w_mock "$T:4"
f_init
psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
start_ok "worker starts" "$W/w.properties" || finish
api POST /connectors "$(f_jdbc pgo "$T" tasks.max=2 batch.size=1000)"
check_eq "connector created" "$CODE" 201
check "2 tasks RUNNING" wait_for 30 all_tasks pgo RUNNING 2
check "the group settled (both tasks have partitions)" wait_for 30 f_group_settled pgo 2

# --- 1: Postgres stopped for a while in the middle of the stream ---
f_trickle "$T" 1 "$N1" 1000 0.2 &
prod=$!
check "records arrive" wait_for 60 f_has_rows "$T" 3000
"$STACK" stop pg --dir "$KSINK_STACK_DIR" >/dev/null 2>&1 </dev/null
check "Postgres is down" bash -c "! psql '$KSINK_PG_CONNINFO' -c 'SELECT 1' >/dev/null 2>&1"
retrying() { f_task_msg pgo | grep -q 'retrying\|could not connect'; }
check "status: RUNNING with a retry message while Postgres is down" wait_for 30 retrying
echo "# status message: $(f_task_msg pgo | cut -c1-200)"
check "both tasks still RUNNING" all_tasks pgo RUNNING 2
wait "$prod"
check_eq "producer finished during the outage" "$?" 0
retries=$(f_metric pgo ksink_task_commit_retries_total)
echo "# commit retries during the outage: $retries"
check "retries counted in /metrics" test "$retries" -gt 0
"$STACK" start pg --dir "$KSINK_STACK_DIR" >/dev/null 2>&1 </dev/null
check "Postgres is back" wait_for 30 pg_up
check "all $N1 records written after the outage" wait_for 90 f_has_rows "$T" "$N1"
no_msg() { [ -z "$(f_task_msg pgo)" ] && all_tasks pgo RUNNING 2; }
check "status message cleared after the next commit" wait_for 30 no_msg
offsets_at() { [ "$(f_offsets_sum pgo)" = "$1" ]; }
check "offsets reach $N1" wait_for 30 offsets_at "$N1"
f_exactly "$T" "$N1"

# --- 2: a quick restart (pg_ctl stop -m fast, start) mid-stream ---
f_trickle "$T" $((N1 + 1)) "$N" 1000 0.2 &
prod=$!
check "the stream goes on" wait_for 60 f_has_rows "$T" $((N1 + 3000))
before=$(f_rows "$T")
"$STACK" restart pg --dir "$KSINK_STACK_DIR" >/dev/null 2>&1 </dev/null
check "Postgres restarted" wait_for 30 pg_up
wait "$prod"
check_eq "producer finished" "$?" 0
echo "# restarted with $before rows in the table"
check "the restart hit the stream ($before < $N)" test "$before" -lt "$N"
check "all $N records written after the restart" wait_for 90 f_has_rows "$T" "$N"
check "offsets reach $N" wait_for 30 offsets_at "$N"
f_exactly "$T" "$N"

# --- 3: a rebalance during an outage: the tasks lose the partitions they held
# paused (the batch in hand cannot be written) and get them back just after
# Postgres is back ---
N3=50000
f_produce "$T" $((N + 1)) "$N3"
check_eq "more records produced" "$?" 0
"$STACK" stop pg --dir "$KSINK_STACK_DIR" >/dev/null 2>&1 </dev/null
check "status: retrying while Postgres is down" wait_for 30 retrying
revokes() { grep -c 'partitions revoked' "$W/ksink.log"; }
rv=$(revokes)
check_eq "inject a rebalance (Heartbeat REBALANCE_IN_PROGRESS)" \
	"$(mock_ctl broker-errors 1 Heartbeat REBALANCE_IN_PROGRESS 1)" ok
more_revokes() { [ "$(revokes)" -gt "$rv" ]; }
check "partitions revoked during the outage" wait_for 30 more_revokes
"$STACK" start pg --dir "$KSINK_STACK_DIR" >/dev/null 2>&1 </dev/null
check "Postgres is back" wait_for 30 pg_up
check "all $N3 records written after the outage" wait_for 90 f_has_rows "$T" "$N3"
check "offsets reach $N3" wait_for 30 offsets_at "$N3"
f_exactly "$T" "$N3"
check "tasks RUNNING" all_tasks pgo RUNNING 2
f_no_task_failed
w_stop
check_eq "clean exit" "$KRC" 0
[ "$KS_FAILED" = 0 ] && psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
finish
