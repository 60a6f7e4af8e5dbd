#!/usr/bin/env bash
# 0522-broker_down.sh — a 3-broker mock cluster loses brokers while records
# stream into a JDBC sink (insert mode, no key, 2 tasks, 6 partitions):
#   1. broker 2 — the group coordinator and leader of partitions 0 and 1 —
#      is down for longer than the session timeout: the tasks lose the group
#      and their partitions, stay RUNNING, and when it is back they rejoin
#      (a rebalance mid-stream) and go on from the offsets in the database;
#   2. every broker is down for a few seconds (the status shows the Kafka
#      error) while more records are produced: they land once it is back.
# Every record lands exactly once.
source "$(dirname "$0")/lib/worker_test.sh"
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }

N1=20000 N=30000
T=t0522_bd_$$
w_mock --brokers 3 "$T:6"
check_eq "coordinator of connect-bdown: broker 2" "$(mock_ctl coordinator group connect-bdown 2)" ok
check_eq "partition 0 led by broker 2" "$(mock_ctl leader "$T" 0 2)" ok
check_eq "partition 1 led by broker 2" "$(mock_ctl leader "$T" 1 2)" ok
f_init
psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
start_ok "worker starts" "$W/w.properties" || finish
api POST /connectors "$(f_jdbc bdown "$T" tasks.max=2 batch.size=1000)"
check_eq "connector created" "$CODE" 201
check "2 tasks RUNNING" wait_for 30 all_tasks bdown RUNNING 2
joins() { grep -c 'assigned .*\[0\]' "$W/ksink.log"; }
assigned() { [ "$(joins)" -ge 1 ]; }
check "partitions assigned" wait_for 30 assigned

# --- 1: the coordinator (and a leader) down for 10 s mid-stream ---
f_trickle "$T" 1 "$N1" 1000 0.3 &
prod=$!
check "records arrive" wait_for 60 f_has_rows "$T" 3000
j0=$(joins)
check_eq "broker-down 2" "$(mock_ctl broker-down 2)" ok
at=$(f_rows "$T")
sleep 10 # the fault itself: longer than the 6 s session timeout
check "tasks RUNNING while broker 2 is down" all_tasks bdown RUNNING 2
mid=$(f_rows "$T")
echo "# broker 2 down for 10 s: $at rows when it went down, $mid when it came back"
check_eq "broker-up 2" "$(mock_ctl broker-up 2)" ok
wait "$prod"
check_eq "producer finished" "$?" 0
check "all $N1 records written" wait_for 90 f_has_rows "$T" "$N1"
rejoined() { [ "$(joins)" -gt "$j0" ]; }
check "partition 0 assigned again after the outage (a rebalance)" wait_for 30 rejoined
offsets_at() { [ "$(f_offsets_sum bdown)" = "$1" ]; }
check "offsets reach $N1" wait_for 30 offsets_at "$N1"
f_exactly "$T" "$N1"

# --- 2: every broker down while the sink is idle, records produced meanwhile ---
# (idle: no commit clears the status message while we look at it)
check_eq "broker-down all" "$(mock_ctl broker-down -1)" ok
kafka_msg() { f_task_msg bdown | grep -q 'waiting for Kafka'; }
check "status: RUNNING with the Kafka error" wait_for 20 kafka_msg
echo "# status message: $(f_task_msg bdown | cut -c1-200)"
# the producer buffers until the brokers are back
f_trickle "$T" $((N1 + 1)) "$N" 1000 0.3 &
prod=$!
sleep 3 # the rest of the fault
check "tasks RUNNING while the cluster is down" all_tasks bdown RUNNING 2
check_eq "nothing new written while the cluster is down" "$(f_rows "$T")" "$N1"
check_eq "broker-up all" "$(mock_ctl broker-up -1)" ok
wait "$prod"
check_eq "producer finished" "$?" 0
check "all $N records written" wait_for 90 f_has_rows "$T" "$N"
check "offsets reach $N" wait_for 30 offsets_at "$N"
f_exactly "$T" "$N"
no_msg() { [ -z "$(f_task_msg bdown)" ]; }
check "status message cleared once Kafka answers" wait_for 30 no_msg
check "tasks RUNNING" all_tasks bdown RUNNING 2
f_no_task_failed
w_stop
check_eq "clean exit" "$KRC" 0
[ "$KS_FAILED" = 0 ] && psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
finish
