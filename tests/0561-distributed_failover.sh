#!/usr/bin/env bash
# 0561-distributed_failover.sh — the failover of issue 14's "must show":
# three distributed workers, one JDBC sink with tasks.max=3 over a
# 12-partition topic (insert mode, no key: a record written twice is a
# duplicate ID). 60 000 records stream in; once about a quarter are in the
# table, a worker that runs a task is killed with kill -9. Its tasks must be
# RUNNING on the other workers within session.timeout.ms + 5 s (the line
# "# failover: N.N s" is the time from the kill until the status shows every
# task RUNNING on a live worker), and every record must be in the table
# exactly once.
# kafka-tiers: real (distributed mode: tests/run.sh runs it on the real broker only)
source "$(dirname "$0")/lib/worker_test.sh"
source "$(dirname "$0")/lib/cluster.sh"
c_init
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }

N=60000
T=t0561_fo_$$
w_kafka "$T:12"
f_init # the record schema ($W/rec.avsc)
psql_q "DROP TABLE IF EXISTS \"$T\"; DELETE FROM \"__ksink_offsets\" WHERE connector = 'fo'" \
	>/dev/null 2>&1
c_start_all_ok "3 workers healthy" 3 \
	"value.converter=io.confluent.connect.avro.AvroConverter" \
	"value.converter.schema.registry.url=$KSINK_REGISTRY_URL"
check "all healthy" wait_for 60 c_all_healthy 1 2 3; [ "$KS_FAILED" = 0 ] || finish

api_on_retry 1 POST /connectors "$(f_jdbc fo "$T" tasks.max=3 batch.size=1000)"
check_eq "connector created on worker 1" "$CODE" 201
check "3 tasks RUNNING" wait_for 60 c_tasks_in 2 fo RUNNING 3
check "each task was assigned partitions" wait_for 60 c_group_settled fo 3
ids=$(c_task_ids 2 fo)
echo "# tasks on: $(echo $ids)"
check "tasks on >= 2 workers" test "$(sort -u <<<"$ids" | wc -l)" -ge 2

# the stream: 2000 records every ~0.3 s
c_trickle "$T" 1 "$N" 2000 0.3 &
prod=$!
check "records stream in (15 000 in the table)" wait_for 90 f_has_rows "$T" 15000

# the victim: a worker that runs a task, the leader only if no other does
L=$(c_leader) || L=""
V=""
for id in $ids; do
	i=$(c_index "$id")
	[ -n "$i" ] && [ "$i" != "$L" ] && V=$i && break
done
[ -z "$V" ] && V=$(c_index "$(head -1 <<<"$ids")")
S=$((V % 3 + 1)) # a survivor to ask
echo "# kill -9 worker $V ($(c_id "$V"), leader: ${L:-unknown}), $(f_rows "$T") rows in the table"
t0=$(date +%s.%N)
c_kill "$V"
moved() { c_tasks_off "$S" fo RUNNING 3 "$V"; }
if wait_for 120 moved; then
	t1=$(date +%s.%N)
	fo=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	echo "# failover: $fo s (session.timeout.ms=$C_SESSION_MS)"
	ok "every task RUNNING on a live worker after the kill"
	check "failover within session.timeout.ms + 5 s ($fo s)" \
		awk -v f="$fo" -v s="$C_SESSION_MS" 'BEGIN { exit !(f <= s / 1000 + 5) }'
else
	not_ok "every task RUNNING on a live worker after the kill" "$(c_status "$S" fo | head -c 400)"
fi
echo "# tasks now on: $(c_task_ids "$S" fo | tr '\n' ' ')"

wait "$prod"
check_eq "producer sent all $N records" "$?" 0
check "all $N records written" wait_for 120 f_has_rows "$T" "$N"
offsets_done() { [ "$(f_offsets_sum fo)" = "$N" ]; }
check "offsets table: next offsets add up to $N" wait_for 30 offsets_done
f_exactly "$T" "$N"
r=$(psql_q "SELECT count(*), count(DISTINCT \"ID\") FROM \"$T\"")
echo "# count / count distinct: ${r/|/ / }"
c_no_task_failed
for i in 1 2 3; do
	[ "$i" = "$V" ] && continue
	c_stop "$i"
	check_eq "worker $i: clean exit on SIGTERM" "$KRC" 0
done
[ "$KS_FAILED" = 0 ] && psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
finish
