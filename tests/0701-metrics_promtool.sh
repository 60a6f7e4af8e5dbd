#!/usr/bin/env bash
# 0701-metrics_promtool.sh — /metrics as Prometheus' own tools read it: a
# worker with two connectors (two tasks each, records flowing) is scraped and
# `promtool check metrics` (Debian's prometheus package) must accept the
# exposition: HELP and TYPE for every family, each family's samples
# together, counters ending in _total. The standard process_* families are
# there with plausible values.
source "$(dirname "$0")/lib/worker_test.sh" --test-sink

KSINK_DEPS_PROM=1 "$ROOT/scripts/deps.sh" >/dev/null 2>&1
check "promtool installed (scripts/deps.sh KSINK_DEPS_PROM=1)" command -v promtool
command -v promtool >/dev/null || finish

w_kafka ma:2 mb:2
w_props "$W/w.properties"
start_ok "worker starts" "$W/w.properties" || finish
api POST /connectors "$(memsink ca ma tasks.max=2)"
check_eq "connector ca created" "$CODE" 201
api POST /connectors "$(memsink cb mb tasks.max=2)"
check_eq "connector cb created" "$CODE" 201
check "four tasks RUNNING" wait_for 30 bash -c \
	"[ \"\$(curl -s '$URL/connectors?expand=status' | jq '[.[].status.tasks[] | select(.state == \"RUNNING\")] | length')\" = 4 ]"
for i in $(seq 1 50); do echo "k$i:v$i"; done | produce ma
for i in $(seq 1 50); do echo "k$i:v$i"; done | produce mb
check "records arrive in ca" wait_for 30 sink_has ca 50
check "records arrive in cb" wait_for 30 sink_has cb 50
# lag samples appear once a partition has a committed offset and a watermark
has_lag() { [ "$(curl -s "$URL/metrics" | grep -c '^ksink_partition_lag{')" -ge 4 ]; }
check "lag samples for every partition" wait_for 30 has_lag

curl -s "$URL/metrics" >"$W/metrics.txt"
echo "# /metrics: $(wc -l <"$W/metrics.txt") lines, $(grep -c '^# TYPE' "$W/metrics.txt") families"
if out=$(promtool check metrics <"$W/metrics.txt" 2>&1); then
	ok "promtool check metrics accepts /metrics"
else
	not_ok "promtool check metrics accepts /metrics" "$(head -5 <<<"$out" | tr '\n' ' ')"
fi
echo "# promtool: ${out:-no findings}"

# every sample's family has one HELP and one TYPE, and a family's samples
# are contiguous
bad=$(awk '/^# TYPE /{ if (seen[$3]++) print "second TYPE " $3; fam = $3; next }
	/^#/ { next }
	{ n = $1; sub(/\{.*/, "", n); b = n; sub(/_(sum|count|bucket)$/, "", b)
	  if (n != fam && b != fam) print "sample " n " outside its family (in " fam ")" }' \
	"$W/metrics.txt" | head -3)
check_eq "each family once, its samples together" "$bad" ""
for f in process_resident_memory_bytes process_virtual_memory_bytes process_start_time_seconds \
	process_open_fds process_max_fds process_cpu_seconds_total; do
	check "$f present" grep -q "^$f [0-9]" "$W/metrics.txt"
done
rss=$(awk '$1 == "process_resident_memory_bytes" { print $2 }' "$W/metrics.txt")
start=$(awk '$1 == "process_start_time_seconds" { printf "%d", $2 }' "$W/metrics.txt")
fds=$(awk '$1 == "process_open_fds" { print $2 }' "$W/metrics.txt")
real_fds=$(ls /proc/"$KPID"/fd | wc -l)
pstart=$(date -d "$(ps -o lstart= -p "$KPID")" +%s)
echo "# rss $rss bytes, open fds $fds (ls /proc/PID/fd: $real_fds), start $start (ps: $pstart)"
check "resident memory is between 1 MB and 4 GB" test "${rss:-0}" -gt 1000000 -a "${rss:-0}" -lt 4000000000
check "start time within 2 s of ps's" test $((start - pstart)) -le 2 -a $((pstart - start)) -le 2
check "open fds near the count in /proc" test "${fds:-0}" -gt 5 -a $((fds - real_fds)) -le 5 -a $((real_fds - fds)) -le 5
written=$(grep '^ksink_task_records_written_total{connector="ca"' "$W/metrics.txt" | awk '{s+=$2} END {print s+0}')
check_eq "records_written_total counts ca's records" "$written" 50
w_stop
check_eq "exit 0" "$KRC" 0
finish
