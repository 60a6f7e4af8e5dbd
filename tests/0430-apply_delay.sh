#!/usr/bin/env bash
# 0430-apply_delay.sh — a delayed replica: ksink.apply.delay.ms=5000. Records
# wait in Kafka (their partition paused) until their timestamp is 5 s old:
# nothing is written 2.5 s after the produce, every record is written at
# least 5 s after its Kafka timestamp, each exactly once; meanwhile the task
# is RUNNING with the hold in its status trace, /metrics shows the hold and
# the lag (offsets and seconds) without any commit. A bad value is refused.
# kafka-tiers: mock real (tests/run.sh: also run against the real broker)
source "$(dirname "$0")/lib/worker_test.sh" --test-sink
w_kafka delayed:2
w_props "$W/w.properties"
start_ok "worker starts" "$W/w.properties" || finish

api POST /connectors "$(memsink dl delayed times=true ksink.apply.delay.ms=-1)"
check_eq "a negative delay is refused" "$CODE" 400
api PUT /connector-plugins/io.ksink.test.MemorySink/config/validate \
	"$(memsink dl delayed | jq -c '.config')"
check_jq "validate lists ksink.apply.delay.ms with default 0" \
	'any(.configs[]; .definition.name=="ksink.apply.delay.ms" and .definition.default_value=="0")'

api POST /connectors "$(memsink dl delayed times=true ksink.apply.delay.ms=5000)"
check_eq "created" "$CODE" 201
check "task RUNNING" wait_for 20 all_tasks dl RUNNING 1
check "partitions assigned" wait_for 30 grep -q "\[task|dl-0\] assigned delayed\[1\]" "$W/ksink.log"

N=40
t0=$(date +%s%3N)
for i in $(seq 1 $N); do echo "k$i:v$i"; done | produce delayed
held() { curl -s "$URL/connectors/dl/status" | jq -e '.tasks[0].state=="RUNNING" and (.tasks[0].trace // "" | test("holding .*ksink.apply.delay.ms=5000"))'; }
check "status: RUNNING, holding (trace)" wait_for 4 held
metric() { curl -s "$URL/metrics" | awk -v m="$1" 'index($0, m"{connector=\"dl\"") == 1 { s += $2; n++ } END { if (!n) exit 1; print s }'; }
hold_visible() { h=$(metric ksink_task_hold_seconds) && awk -v h="$h" 'BEGIN { exit !(h > 0) }'; }
check "metric ksink_task_hold_seconds > 0" wait_for 4 hold_visible
check "metric ksink_task_held_partitions present" metric ksink_task_held_partitions
lag_all() { [ "$(metric ksink_partition_lag)" -ge $N ]; }
check "ksink_partition_lag counts the waiting records (no commit yet)" wait_for 4 lag_all
check_eq "metric ksink_task_apply_delay_seconds" "$(metric ksink_task_apply_delay_seconds)" 5
# 2.5 s after the produce began: nothing written
left=$((t0 + 2500 - $(date +%s%3N)))
[ "$left" -gt 0 ] && sleep "$(awk -v l="$left" 'BEGIN { printf "%.3f", l / 1000 }')"
check_eq "no record written 2.5 s after produce" "$(sink_count dl)" 0

check "all $N records written" wait_for 30 sink_has dl $N
sleep 1
check_eq "each record exactly once" "$(cut -f5 "$W/dl.out" | sort -u | wc -l)" $N
check_eq "no duplicates" "$(sink_count dl)" $N
early=$(awk -F'\t' '$8 - $7 < 5000' "$W/dl.out" | wc -l)
check_eq "every record written >= 5 s after its timestamp" "$early" 0
check "timestamps known" awk -F'\t' '$7 < 1000000000000 { exit 1 }' "$W/dl.out"
minage=$(awk -F'\t' 'NR == 1 || $8 - $7 < m { m = $8 - $7 } END { print m }' "$W/dl.out")
echo "# the earliest write came $minage ms after its record's timestamp"
no_hold() { [ "$(metric ksink_task_held_partitions)" = 0 ]; }
check "the hold ends once written" wait_for 5 no_hold
api GET /connectors/dl/status
check_jq "RUNNING, no trace once caught up" '.tasks[0].state=="RUNNING" and (.tasks[0].trace == null)'
lag0() { [ "$(metric ksink_partition_lag)" = 0 ]; }
check "lag 0 once caught up" wait_for 5 lag0
w_stop
check_eq "exit 0" "$KRC" 0
finish
