#!/usr/bin/env bash
# 0403-worker_restart.sh — connectors created or changed over REST live in
# config.storage.file and come back after a restart with their target state
# (running, paused, stopped); a graceful restart (SIGTERM) loses and repeats
# nothing: the last batch is committed before the group is left.
# needs: none (starts its own mock cluster: tests/run.sh starts no stack for it)
source "$(dirname "$0")/lib/worker_test.sh" --test-sink
w_mock
w_props "$W/w.properties"
start_ok "worker starts" "$W/w.properties" || finish

api POST /connectors "$(memsink run1 rs)"
check_eq "run1 created" "$CODE" 201
api POST /connectors "$(memsink pau1 rs)"
api PUT /connectors/pau1/pause
api POST /connectors "$(memsink stop1 rs)"
api PUT /connectors/stop1/stop
api POST /connectors "$(memsink gone1 rs)"
api DELETE /connectors/gone1
api PATCH /connectors/run1/config '{"tasks.max":"2"}'
check_eq "patched" "$CODE" 200
check "store written" test -s "$W/connectors.json"
check "store is JSON with the connectors" jq -e '.connectors | has("run1") and has("pau1") and has("stop1") and (has("gone1")|not)' "$W/connectors.json"
check "run1 running" wait_for 20 all_tasks run1 RUNNING 2

# both tasks in the group before records flow: the MemorySink keeps no
# offsets of its own, so a Kafka commit refused by a rebalance that is still
# going on would replay a batch (at-least-once, as Connect) — not what this
# test is about
both_assigned() { tail -n "+$1" "$W/ksink.log" | grep -q "\[task|run1-1\] assigned rs\["; }
check "both tasks assigned" wait_for 30 both_assigned 1
for i in $(seq 1 200); do echo "k$i:v$i"; done | produce rs
check "first 200 records" wait_for 40 sink_has run1 200
w_stop TERM
check_eq "SIGTERM exit 0" "$KRC" 0

from=$(($(wc -l <"$W/ksink.log") + 1))
start_ok "worker restarts" "$W/w.properties"
api GET /connectors
check_jq "connectors are back" '. == ["pau1","run1","stop1"]'
api GET /connectors/run1/config
check_jq "changed config is back" '.["tasks.max"]=="2"'
check "run1 RUNNING again" wait_for 20 all_tasks run1 RUNNING 2
check "pau1 PAUSED again" wait_for 20 all_tasks pau1 PAUSED 1
check_eq "stop1 STOPPED again" "$(conn_state stop1)" STOPPED
api GET /connectors/stop1/status
check_jq "stop1 has no tasks" '.tasks == []'

check "both tasks assigned again" wait_for 30 both_assigned "$from"
for i in $(seq 201 300); do echo "k$i:v$i"; done | produce rs
check "records after the restart" wait_for 60 sink_has run1 300
sleep 1
check_eq "graceful restart: every record exactly once" \
	"$(cut -f5 "$W/run1.out" | sort | uniq | wc -l) $(sink_count run1)" "300 300"
check_eq "paused connector wrote nothing" "$(sink_count pau1)" 0
api PUT /connectors/pau1/resume
check "resumed after restart catches up" wait_for 60 sink_has pau1 300

# a corrupt store is a clear start-up error
w_stop TERM
cp "$W/connectors.json" "$W/connectors.good"
echo '{"connectors":' >"$W/connectors.json"
out=$(timeout 20 "$KSINK" standalone "$W/w.properties" 2>&1); rc=$?
check_eq "corrupt store: exit 1" "$rc" 1
check "corrupt store: file named" grep -q "connectors.json" <<<"$out"
finish
