#!/usr/bin/env bash
# 0562-distributed_zombie.sh — a zombie worker (issue 14's "must show"):
# three distributed workers, one JDBC sink with tasks.max=3 over 12
# partitions (insert mode, no key). The test holds an EXCLUSIVE lock on the
# table, so that every task's next batch waits inside its data transaction;
# then it freezes (SIGSTOP) a worker whose task waits there, and releases
# the lock. The frozen worker's session times out, its task is started on
# another worker, which claims the partitions and writes the same records;
# more records are written after that. Then the frozen worker is thawed
# (SIGCONT): its transaction, still open with the batch in it, must not
# commit (fenced by the owner epochs, or dropped because the partitions were
# lost). Every record exactly once in the table.
# kafka-tiers: real (distributed mode: tests/run.sh runs it on the real broker only)
source "$(dirname "$0")/lib/worker_test.sh"
source "$(dirname "$0")/lib/cluster.sh"
c_init
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }

T=t0562_zb_$$
w_kafka "$T:12"
f_init
psql_q "DROP TABLE IF EXISTS \"$T\"; DELETE FROM \"__ksink_offsets\" WHERE connector = 'zb'" \
	>/dev/null 2>&1
c_start_all_ok "3 workers healthy" 3 \
	"value.converter=io.confluent.connect.avro.AvroConverter" \
	"value.converter.schema.registry.url=$KSINK_REGISTRY_URL"
check "all healthy" wait_for 60 c_all_healthy 1 2 3; [ "$KS_FAILED" = 0 ] || finish
api_on_retry 1 POST /connectors "$(f_jdbc zb "$T" tasks.max=3 batch.size=500)"
check_eq "connector created" "$CODE" 201
check "3 tasks RUNNING" wait_for 60 c_tasks_in 1 zb RUNNING 3
check "each task was assigned partitions" wait_for 60 c_group_settled zb 3
c_produce "$T" 1 3000
check "3000 rows written" wait_for 60 f_has_rows "$T" 3000

# the lock: a psql session fed through a fifo, holding it until COMMIT
mkfifo "$W/lock.fifo"
psql "$KSINK_PG_CONNINFO" -v ON_ERROR_STOP=1 -qX <"$W/lock.fifo" >"$W/lock.log" 2>&1 &
lockpid=$!
exec 7>"$W/lock.fifo"
echo "BEGIN; LOCK TABLE \"$T\" IN EXCLUSIVE MODE; SELECT 'locked';" >&7
locked() { grep -q locked "$W/lock.log"; }
check "the table is locked" wait_for 20 locked
c_produce "$T" 3001 4200
# the backends of the tasks' data transactions, waiting for the lock
waiting() {
	[ "$(psql_q "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
		AND query ILIKE '%$T%' AND pid <> pg_backend_pid()")" -ge 3 ]
}
check "all 3 tasks wait inside their data transaction" wait_for 30 waiting
ids=$(c_task_ids 1 zb)
V=$(c_index "$(head -1 <<<"$ids")")
S=$((V % 3 + 1))
f0=$(c_metric "$V" ksink_worker_fenced_total)
c_freeze "$V"
echo "# SIGSTOP worker $V ($(c_id "$V")); tasks on: $(echo $ids)"
echo "COMMIT;" >&7
exec 7>&-
wait "$lockpid"
# the frozen worker's backends: still in their transaction once the others committed
others_done() {
	[ "$(psql_q "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
		AND query ILIKE '%$T%'")" = 0 ]
}
wait_for 20 others_done
zpids=$(psql_q "SELECT pid FROM pg_stat_activity WHERE state <> 'idle' AND xact_start IS NOT NULL
	AND query ILIKE '%$T%' AND pid <> pg_backend_pid()" | tr '\n' ' ')
echo "# backends in a transaction while worker $V is frozen: ${zpids:-none}"
check "the frozen worker holds an open transaction with its batch" test -n "$zpids"

moved() { c_tasks_off "$S" zb RUNNING 3 "$V"; }
check "the frozen worker's task RUNNING on a live worker" wait_for 60 moved
check "its records written by the new owner (4200 rows)" wait_for 60 f_has_rows "$T" 4200
c_produce "$T" 4201 5000
check "new rows after the move (5000 rows)" wait_for 60 f_has_rows "$T" 5000
c_thaw "$V"
echo "# SIGCONT worker $V"
# the zombie has had its chance once its transactions have ended
zdone() {
	local p
	for p in $zpids; do
		[ "$(psql_q "SELECT count(*) FROM pg_stat_activity WHERE pid = $p AND xact_start IS NOT NULL")" = 0 ] ||
			return 1
	done
}
check "the frozen worker's transactions ended after SIGCONT" wait_for 60 zdone
check "the thawed worker is healthy" wait_for 60 c_healthy "$V"
check "3 tasks RUNNING after the thaw" wait_for 60 c_tasks_in "$S" zb RUNNING 3
f1=$(c_metric "$V" ksink_worker_fenced_total)
echo "# worker $V: ksink_worker_fenced_total $f0 -> $f1, ksink_task_fenced_total $(c_metric "$V" ksink_task_fenced_total zb)"
c_produce "$T" 5001 6000
check "6000 rows" wait_for 60 f_has_rows "$T" 6000
offsets_done() { [ "$(f_offsets_sum zb)" = 6000 ]; }
check "offsets table: next offsets add up to 6000" wait_for 30 offsets_done
f_exactly "$T" 6000
c_no_task_failed
for i in 1 2 3; do
	c_stop "$i"
	check_eq "worker $i: clean exit on SIGTERM" "$KRC" 0
done
[ "$KS_FAILED" = 0 ] && psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
finish
