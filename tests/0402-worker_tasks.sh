#!/usr/bin/env bash
# 0402-worker_tasks.sh — tasks.max=3 over a 6-partition topic: three task
# threads, each with its own consumer in group connect-<name>, each owning
# two partitions; every record arrives exactly once (no restarts here).
# kafka-tiers: mock real (tests/run.sh: also run against the real broker)
source "$(dirname "$0")/lib/worker_test.sh" --test-sink
w_kafka six:6
w_props "$W/w.properties"
start_ok "worker starts" "$W/w.properties" || finish

api POST /connectors "$(memsink tm six tasks.max=3)"
check_eq "created" "$CODE" 201
check "three tasks RUNNING" wait_for 20 all_tasks tm RUNNING 3
# all three tasks in the group before records flow (a task that joins late
# makes the first one hand its partitions over mid-stream; the MemorySink
# keeps no offsets of its own, so a Kafka commit refused by that rebalance
# would replay a batch: at-least-once, as Connect, not what this test is about)
all_assigned() { for i in 0 1 2; do grep -q "\[task|tm-$i\] assigned six\[" "$W/ksink.log" || return 1; done; }
check "each task got its partitions" wait_for 30 all_assigned

N=600
for i in $(seq 1 $N); do echo "key$i:value$i"; done | produce six
check "all $N records arrive" wait_for 60 sink_has tm $N
sleep 1 # a late duplicate would show now
check_eq "each record exactly once" "$(cut -f5 "$W/tm.out" | sort -u | wc -l)" "$N"
check_eq "no duplicates" "$(sink_count tm)" "$N"
check_eq "all six partitions consumed" "$(cut -f2 "$W/tm.out" | sort -u | wc -l)" 6
check_eq "three tasks wrote" "$(cut -f6 "$W/tm.out" | sort -u | wc -l)" 3
owners=$(cut -f2,6 "$W/tm.out" | sort -u | cut -f1 | uniq -d | wc -l)
check_eq "a partition is owned by one task" "$owners" 0
per_task=$(cut -f2,6 "$W/tm.out" | sort -u | cut -f2 | sort | uniq -c | awk '{print $1}' | sort -u | tr '\n' ' ')
check_eq "two partitions per task" "$per_task" "2 "
# offsets within a partition are in order
check "offsets ascend per partition" bash -c \
	"sort -s -k2,2n '$W/tm.out' | awk -F'\t' '{ if (NR>1 && \$2==p && \$3<=o) exit 1; p=\$2; o=\$3 }'"

api GET /connectors/tm/offsets
check_jq "committed offsets cover all records" \
	"([.offsets[] | select(.partition.kafka_topic==\"six\") | .offset.kafka_offset] | add) == $N"
m=$(curl -s "$URL/metrics")
written=$(grep '^ksink_task_records_written_total{connector="tm"' <<<"$m" | awk '{s+=$2} END {print s}')
check_eq "metrics count every record" "$written" "$N"
lagsum=$(grep '^ksink_partition_lag{connector="tm"' <<<"$m" | awk '{s+=$2} END {print s+0}')
check_eq "lag is zero once caught up" "$lagsum" 0
check "consumer client ids per task" grep -q "task|tm-2" "$W/ksink.log"
w_stop
check_eq "exit 0" "$KRC" 0
finish
