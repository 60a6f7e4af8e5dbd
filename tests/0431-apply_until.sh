#!/usr/bin/env bash
# 0431-apply_until.sh — a point-in-time stop: ksink.apply.until. Records
# stamped before the instant are written, the ones at or after it are not:
# the task holds there (RUNNING, the hold in its trace and in /metrics)
# for as long as the key is set. Moving the instant later lets the records
# up to the new one through; a PUT of the config without the key lets the
# rest through from exactly the held records: every record once. A
# value that is not an instant is refused with a message that says what is.
# kafka-tiers: mock real (tests/run.sh: also run against the real broker)
source "$(dirname "$0")/lib/worker_test.sh" --test-sink
w_kafka pit:2
w_props "$W/w.properties"
start_ok "worker starts" "$W/w.properties" || finish

api POST /connectors "$(memsink pu pit ksink.apply.until=yesterday)"
check_eq "a value that is not an instant: 400" "$CODE" 400
check_jq "the message names the key and the forms" \
	'.message | test("ksink.apply.until") and test("ISO-8601") and test("epoch milliseconds")'
api POST /connectors "$(memsink pu pit ksink.apply.until=2026-12-06T18:00:00)"
check_eq "an ISO time without its zone: 400" "$CODE" 400

N=30
for i in $(seq 1 $N); do echo "k$i:before$i"; done | produce pit
sleep 0.3
cut_ms=$(date +%s%3N)
sleep 0.3
for i in $(seq 1 $N); do echo "k$i:between$i"; done | produce pit
sleep 0.3
cut2_ms=$(date +%s%3N)
sleep 0.3
for i in $(seq 1 $N); do echo "k$i:after$i"; done | produce pit
until_iso=$(date -u -d "@$((cut_ms / 1000)).$(printf %03d $((cut_ms % 1000)))" +%Y-%m-%dT%H:%M:%S.%3NZ)
echo "# ksink.apply.until=$until_iso ($cut_ms)"

api POST /connectors "$(memsink pu pit ksink.apply.until="$until_iso")"
check_eq "created with ksink.apply.until (ISO-8601)" "$CODE" 201
check "the $N records before the instant are written" wait_for 90 sink_has pu $N
held() { curl -s "$URL/connectors/pu/status" | jq -e '.tasks[0].state=="RUNNING" and (.tasks[0].trace // "" | test("holding 2 of 2 partitions at ksink.apply.until"))'; }
check "status: RUNNING, both partitions held at the instant" wait_for 10 held
sleep 2 # a record past the instant would be written by now
check_eq "only the records before the instant" "$(sink_count pu)" $N
check_eq "all of them are 'before' records" "$(cut -f5 "$W/pu.out" | grep -c '^before')" $N
metric() { curl -s "$URL/metrics" | awk -v m="$1" 'index($0, m"{connector=\"pu\"") == 1 { s += $2; n++ } END { if (!n) exit 1; print s }'; }
check_eq "ksink_task_held_partitions 2" "$(metric ksink_task_held_partitions)" 2
check_eq "ksink_partition_lag: the $((2 * N)) held records" "$(metric ksink_partition_lag)" $((2 * N))

# the instant in epoch milliseconds holds at the same place
cfg=$(curl -s "$URL/connectors/pu/config" | jq -c --arg u "$cut_ms" '. + {"ksink.apply.until": $u}')
api PUT /connectors/pu/config "$cfg"
check_eq "PUT config with the instant in epoch ms" "$CODE" 200
check "still held after the restart" wait_for 90 held
sleep 1
check_eq "still only the records before the instant" "$(sink_count pu)" $N

# a later instant: the records up to it
cfg=$(curl -s "$URL/connectors/pu/config" | jq -c --arg u "$cut2_ms" '. + {"ksink.apply.until": $u}')
api PUT /connectors/pu/config "$cfg"
check_eq "PUT config with a later instant" "$CODE" 200
check "the records up to the later instant are written" wait_for 90 sink_has pu $((2 * N))
check "held again, at the later instant" wait_for 90 held
sleep 1
check_eq "nothing past the later instant" "$(sink_count pu)" $((2 * N))
check_eq "none of the 'after' records" "$(cut -f5 "$W/pu.out" | grep -c '^after')" 0

cfg=$(curl -s "$URL/connectors/pu/config" | jq -c 'del(.["ksink.apply.until"])')
api PUT /connectors/pu/config "$cfg"
check_eq "PUT config without ksink.apply.until" "$CODE" 200
check "the rest is written" wait_for 90 sink_has pu $((3 * N))
sleep 1
check_eq "every record once" "$(sink_count pu)" $((3 * N))
check_eq "no duplicates" "$(cut -f5 "$W/pu.out" | sort -u | wc -l)" $((3 * N))
check "offsets ascend per partition" bash -c \
	"sort -s -k2,2n '$W/pu.out' | awk -F'\t' '{ if (NR>1 && \$2==p && \$3<=o) exit 1; p=\$2; o=\$3 }'"
api GET /connectors/pu/status
check_jq "RUNNING, no hold" '.tasks[0].state=="RUNNING" and (.tasks[0].trace == null)'
w_stop
check_eq "exit 0" "$KRC" 0
finish
