#!/usr/bin/env bash
# 0405-task_errors.sh — how tasks fail and recover: a record the connector
# refuses (errors.tolerance none -> task FAILED with trace; all -> skipped),
# a record the converter cannot read (same two ways), a retriable outage
# (task stays RUNNING with a message, retries, then delivers everything), a
# task that cannot start. The worker and other connectors keep running.
# needs: none (starts its own mock cluster: tests/run.sh starts no stack for it)
source "$(dirname "$0")/lib/worker_test.sh" --test-sink
w_mock
w_props "$W/w.properties"
start_ok "worker starts" "$W/w.properties" || finish

failed_with() { # NAME REGEX
	local s
	s=$(curl -s "$URL/connectors/$1/status")
	jq -e --arg re "$2" '.tasks[0].state=="FAILED" and (.tasks[0].trace|test($re))' <<<"$s" >/dev/null
}

# --- record refused by the connector ---
api POST /connectors "$(memsink none1 et fail.value=POISON)"
api POST /connectors "$(memsink all1 et fail.value=POISON errors.tolerance=all)"
api POST /connectors "$(memsink plain1 et)"
check "tasks running" wait_for 20 all_tasks plain1 RUNNING 1
printf 'a:ok1\nb:POISON\nc:ok2\n' | produce et
check "tolerance none: task FAILED with a trace" wait_for 40 failed_with none1 'Tolerance exceeded.*POISON'
check_eq "tolerance none: connector itself still RUNNING" "$(conn_state none1)" RUNNING
check "tolerance all: the good records arrive" wait_for 40 sink_has all1 2
check_eq "tolerance all: the bad one skipped" "$(grep -c POISON "$W/all1.out")" 0
check "other connectors unaffected" wait_for 40 sink_has plain1 3
api GET /connectors/none1/tasks/0/status
check_jq "task status carries the trace" '.state=="FAILED" and (.trace|type)=="string"'
m=$(curl -s "$URL/metrics")
check_eq "metrics count the skipped record" \
	"$(grep '^ksink_task_records_failed_total{connector="all1",task="0"}' <<<"$m" | tr '\n' ' ')" \
	'ksink_task_records_failed_total{connector="all1",task="0"} 1 '
api POST "/connectors/none1/restart?includeTasks=true&onlyFailed=true"
check_eq "restart failed tasks 202" "$CODE" 202
check_jq "failed task marked RESTARTING" '.tasks[0].state=="RESTARTING" and .connector.state=="RUNNING"'
check "restarted task meets the poison again: FAILED" wait_for 40 failed_with none1 'POISON'
api PATCH /connectors/none1/config '{"errors.tolerance":"all"}'
check "reconfigured with tolerance all: delivers" wait_for 40 sink_has none1 2

# --- record the converter cannot read ---
api POST /connectors "$(memsink jn je value.converter=org.apache.kafka.connect.json.JsonConverter value.converter.schemas.enable=false)"
api POST /connectors "$(memsink ja je value.converter=org.apache.kafka.connect.json.JsonConverter value.converter.schemas.enable=false errors.tolerance=all)"
check "json tasks running" wait_for 20 all_tasks ja RUNNING 1
printf 'k1:"good1"\nk2:{not json\nk3:"good2"\n' | produce je
check "bad JSON, tolerance none: FAILED naming the record" wait_for 40 failed_with jn 'converting value of je\[[0-9]\]@'
check "bad JSON, tolerance all: good records arrive" wait_for 40 sink_has ja 2

# --- retriable outage ---
touch "$W/down"
api POST /connectors "$(memsink rt1 rt retriable.file=$W/down)"
check "retry: task RUNNING" wait_for 20 all_tasks rt1 RUNNING 1
printf 'a:1\nb:2\n' | produce rt
retrying() { curl -s "$URL/connectors/rt1/status" | jq -e '.tasks[0].state=="RUNNING" and (.tasks[0].trace // "" | test("retrying"))' >/dev/null; }
check "outage: RUNNING with a retry message" wait_for 40 retrying
check_eq "outage: nothing written" "$(sink_count rt1)" 0
rm -f "$W/down"
check "outage over: records delivered" wait_for 60 sink_has rt1 2
check "message cleared" wait_for 20 bash -c "curl -s $URL/connectors/rt1/status | jq -e '.tasks[0] | has(\"trace\") | not'"
m=$(curl -s "$URL/metrics")
check "metrics count retries" grep -qE '^ksink_task_commit_retries_total\{connector="rt1",task="0"\} [1-9]' <<<"$m"

# --- errors.retry.timeout: an outage outlasting it fails the task ---
touch "$W/down2"
api POST /connectors "$(memsink rt2 rt2 retriable.file=$W/down2 errors.retry.timeout=3000 errors.retry.delay.max.ms=500)"
check "retry timeout: task RUNNING" wait_for 20 all_tasks rt2 RUNNING 1
printf 'a:1\n' | produce rt2
check "outage longer than errors.retry.timeout: FAILED naming it" wait_for 60 failed_with rt2 'errors.retry.timeout=3000 ms'
check_eq "retry timeout: nothing written" "$(sink_count rt2)" 0
rm -f "$W/down2"

# --- a task that cannot start ---
api POST /connectors "$(memsink fs1 fs fail.start=true)"
check_eq "created" "$CODE" 201
check "task FAILED at start" wait_for 20 failed_with fs1 'fail.start'
api GET /health
check_eq "worker still healthy" "$CODE" 200
w_stop
check_eq "exit 0 with failed tasks" "$KRC" 0
finish
