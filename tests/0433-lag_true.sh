#!/usr/bin/env bash
# 0433-lag_true.sh — ksink_partition_lag tells the truth without a commit:
# the watermarks are asked for on a timer for every assigned partition,
# paused or not. A connector created PAUSED (never read, never committed)
# with 60 records waiting shows lag 60 within seconds; a connector paused
# after it committed 10 shows the 60 produced since; a task stuck in an
# outage (its commits failing) shows its lag grow, and the age of its oldest
# unwritten record (ksink_partition_lag_seconds).
# kafka-tiers: mock real (tests/run.sh: also run against the real broker)
source "$(dirname "$0")/lib/worker_test.sh" --test-sink
w_kafka lagp:2 lagq:1 lago:1
w_props "$W/w.properties"
start_ok "worker starts" "$W/w.properties" || finish
lag() { curl -s "$URL/metrics" | awk -v c="$1" 'index($0, "ksink_partition_lag{connector=\"" c "\"") == 1 { s += $2; n++ } END { if (!n) exit 1; print s }'; }
lag_ge() { local l; l=$(lag "$1") && [ "$l" -ge "$2" ]; }

# --- created PAUSED: never read, never committed ---
api POST /connectors "$(memsink lp lagp | jq -c '. + {"initial_state":"PAUSED"}')"
check_eq "created PAUSED" "$CODE" 201
check "task PAUSED" wait_for 20 all_tasks lp PAUSED 1
check "partitions assigned" wait_for 30 grep -q "\[task|lp-0\] assigned lagp\[1\]" "$W/ksink.log"
for i in $(seq 1 60); do echo "k$i:v$i"; done | produce lagp
t0=$SECONDS
check "paused, never committed: lag >= 60 within 10 s" wait_for 10 lag_ge lp 60
echo "# lag of the paused connector: $(lag lp) after $((SECONDS - t0)) s"
check_eq "nothing written" "$(sink_count lp)" 0
check_eq "two partitions listed" "$(curl -s "$URL/metrics" | grep -c '^ksink_partition_lag{connector="lp"')" 2

# --- paused after a commit ---
api POST /connectors "$(memsink lq lagq)"
check "task RUNNING" wait_for 20 all_tasks lq RUNNING 1
for i in $(seq 1 10); do echo "k$i:v$i"; done | produce lagq
check "10 written" wait_for 30 sink_has lq 10
check "lag 0 once caught up" wait_for 10 bash -c "[ \"\$(curl -s $URL/metrics | awk 'index(\$0, \"ksink_partition_lag{connector=\\\"lq\\\"\") == 1 { print \$2 }')\" = 0 ]"
api PUT /connectors/lq/pause
check "task PAUSED" wait_for 20 all_tasks lq PAUSED 1
for i in $(seq 11 70); do echo "k$i:v$i"; done | produce lagq
check "paused after a commit: lag >= 60 within 10 s" wait_for 10 lag_ge lq 60
check_eq "lag exactly the 60 unread" "$(lag lq)" 60
api PUT /connectors/lq/resume
check "resumed: all 70 written" wait_for 30 sink_has lq 70
check "lag back to 0" wait_for 10 bash -c "[ \"\$(curl -s $URL/metrics | awk 'index(\$0, \"ksink_partition_lag{connector=\\\"lq\\\"\") == 1 { print \$2 }')\" = 0 ]"

# --- an outage: commits fail, the lag and its age grow ---
touch "$W/down"
api POST /connectors "$(memsink lo lago retriable.file="$W/down")"
check "task RUNNING" wait_for 20 all_tasks lo RUNNING 1
for i in $(seq 1 25); do echo "k$i:v$i"; done | produce lago
check "outage: lag >= 25 within 10 s" wait_for 10 lag_ge lo 25
age() { curl -s "$URL/metrics" | awk 'index($0, "ksink_partition_lag_seconds{connector=\"lo\"") == 1 { print $2 }'; }
age_ge() { local a; a=$(age) && [ -n "$a" ] && awk -v a="$a" -v m="$1" 'BEGIN { exit !(a >= m) }'; }
check "outage: the oldest unwritten record is >= 2 s old" wait_for 10 age_ge 2
echo "# lag seconds in the outage: $(age)"
rm -f "$W/down"
check "outage over: all 25 written" wait_for 60 sink_has lo 25
check "lag seconds back to 0" wait_for 10 bash -c "[ \"\$(curl -s $URL/metrics | awk 'index(\$0, \"ksink_partition_lag_seconds{connector=\\\"lo\\\"\") == 1 { print \$2 }')\" = 0 ]"
w_stop
check_eq "exit 0" "$KRC" 0
finish
