#!/usr/bin/env bash
# 0565-distributed_kafka_down.sh — the config topic cannot be reached
# (issue 14): two distributed workers with a MemorySink connector; the
# broker stops. Both workers' /health turns 503 and names the config topic,
# a change asked of the leader answers 500 with the producer's reason (not a
# hang, not a 200), the tasks are not stopped (still RUNNING in the status,
# no "task stopped" in the logs). The broker comes back: /health is 200
# again, the same change now succeeds, and records produced afterwards
# reach the sink.
# kafka-tiers: real (distributed mode: tests/run.sh runs it on the real broker only)
source "$(dirname "$0")/lib/worker_test.sh" --test-sink
source "$(dirname "$0")/lib/cluster.sh"
c_init
STACK=$ROOT/tests/stack.sh
trap '"$STACK" start kafka --dir "$KSINK_STACK_DIR" >/dev/null 2>&1 </dev/null; c_cleanup' EXIT

T=t0565_kd_$$
w_kafka "$T:2"
c_start_all_ok "2 workers healthy" 2
check "all healthy" wait_for 60 c_all_healthy 1 2; [ "$KS_FAILED" = 0 ] || finish
c_leader_settled 60 || { not_ok "a leader" "none settled"; finish; }
L=$C_LEADER
F=$((L % 2 + 1))
api_on_retry "$L" POST /connectors "$(memsink kd "$T" tasks.max=2)"
check_eq "connector created" "$CODE" 201
check "2 tasks RUNNING" wait_for 60 c_tasks_in "$F" kd RUNNING 2
printf 'k:v%s\n' 1 2 3 4 | produce "$T"
check "4 records in the sink" wait_for 30 sink_has kd 4
stopped0=$(cat "$W"/c*.log | grep -c 'task stopped')

"$STACK" stop kafka --dir "$KSINK_STACK_DIR" >/dev/null 2>&1 </dev/null
check "the broker is down" bash -c "! $BUILD/ksink-kafka-admin -b $BS wait 2 2>/dev/null"
unhealthy() {
	[ "$(curl -s -m 5 -o "$W/h.json" -w '%{http_code}' "$(c_url "$1")/health")" = 503 ] &&
		grep -q 'config topic' "$W/h.json"
}
check "worker $L (leader): /health 503 naming the config topic" wait_for 30 unhealthy "$L"
check "worker $F: /health 503 naming the config topic" wait_for 30 unhealthy "$F"
echo "# /health: $(cat "$W/h.json")"

NEW=$(memsink kd "$T" tasks.max=2 flag=1 | jq -c .config)
t0=$SECONDS
api_on "$L" PUT /connectors/kd/config "$NEW"
echo "# PUT on the leader with the broker down: $CODE after $((SECONDS - t0)) s: $BODY"
check_eq "a change answers 500" "$CODE" 500
check "with a message about the config topic" grep -q 'config topic' <<<"$BODY"
check "the tasks were not stopped" test "$(cat "$W"/c*.log | grep -c 'task stopped')" = "$stopped0"
check "status: tasks still RUNNING" c_tasks_in "$F" kd RUNNING 2

"$STACK" start kafka --dir "$KSINK_STACK_DIR" >/dev/null 2>&1 </dev/null
check "the broker is back" "$BUILD/ksink-kafka-admin" -b "$BS" wait 60
check "worker $L: /health 200 again" wait_for 60 c_healthy "$L"
check "worker $F: /health 200 again" wait_for 60 c_healthy "$F"
api_on_retry "$F" PUT /connectors/kd/config "$NEW"
check_eq "the change succeeds (through the follower)" "$CODE" 200
flag_seen() { curl -s -m 5 "$(c_url "$1")/connectors/kd/config" | jq -e '.flag == "1"' >/dev/null; }
check "the new config is seen on worker $L" wait_for 30 flag_seen "$L"
check "tasks RUNNING after the change" wait_for 60 c_tasks_in "$L" kd RUNNING 2
printf 'k:w%s\n' 1 2 3 4 | produce "$T"
check "records produced after the outage reach the sink" wait_for 60 sink_has kd 8
finish
