#!/usr/bin/env bash
# 0540-zombie_fencing.sh — a task restarted during a Postgres outage (issue
# 14): the worker abandons it after task.shutdown.graceful.timeout.ms while
# its thread is still inside a commit that retries; the new task claims the
# partition when Postgres is back and writes the batch, and the abandoned
# one (a zombie) must not write it a second time. Insert mode without a key,
# so a batch written twice shows as duplicate IDs. Twice: PUT of the config,
# then POST /restart?includeTasks=true. Without fencing the first round ends
# with 500 rows for 300 records.
# kafka-tiers: mock real (tests/run.sh: also run against the real broker)
source "$(dirname "$0")/lib/worker_test.sh"
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }
STACK=$ROOT/tests/stack.sh
pg_up() { psql_q "SELECT 1" >/dev/null 2>&1; }
trap '"$STACK" start pg --dir "$KSINK_STACK_DIR" >/dev/null 2>&1 </dev/null; w_cleanup' EXIT

T=t0540_zf_$$
w_kafka "$T:1"
# a consumer that does not poll for max.poll.interval.ms leaves its group:
# the zombie, stuck in its commit, hands the partition over during the
# outage (a real broker's rebalance waits for every member to rejoin, so
# without this the new task would only get it once the zombie is done)
f_init "task.shutdown.graceful.timeout.ms=2000" consumer.session.timeout.ms=6000 \
	consumer.heartbeat.interval.ms=1000 consumer.max.poll.interval.ms=10000
psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
psql_q "DELETE FROM \"__ksink_offsets\" WHERE connector = 'zf'" >/dev/null 2>&1
start_ok "worker starts" "$W/w.properties" || finish
# SLOW: one commit of the task keeps reconnecting for 150 s (connection.attempts
# x connection.backoff.ms, deaf to a stop request): a restart abandons it
# after task.shutdown.graceful.timeout.ms and it lives on as a zombie that
# reconnects up to 5 s after Postgres is back. FAST: the task that replaces
# it reconnects within 100 ms, so it usually claims the partition first and
# the zombie's batch is the one that must not be written again.
SLOW=(tasks.max=1 connection.attempts=30 connection.backoff.ms=5000
	errors.retry.timeout=-1 errors.retry.delay.max.ms=1000)
FAST=(tasks.max=1 connection.attempts=60 connection.backoff.ms=100
	errors.retry.timeout=-1 errors.retry.delay.max.ms=1000)
api POST /connectors "$(f_jdbc zf "$T" "${SLOW[@]}")"
check_eq "connector created" "$CODE" 201
check "task RUNNING" wait_for 30 all_tasks zf RUNNING 1

stopped() { grep -c 'task stopped' "$W/ksink.log"; }
abandoned() { grep -c 'abandoning it' "$W/ksink.log"; }
fenced_total() { curl -s "$URL/metrics" | awk '/^ksink_worker_fenced_total/ { print $2 }'; }

# one round: N0 rows in, Postgres stops, 200 more records, the task is
# replaced by ACTION, Postgres starts 20 s later
round() {
	local n0=$1 action=$2 s0 a0 c0
	c0=$(grep -c 'could not connect' "$W/ksink.log")
	"$STACK" stop pg --dir "$KSINK_STACK_DIR" >/dev/null 2>&1 </dev/null
	check "[$action] Postgres is down" bash -c "! psql '$KSINK_PG_CONNINFO' -c 'SELECT 1' >/dev/null 2>&1"
	f_produce "$T" $((n0 + 1)) $((n0 + 200))
	check_eq "[$action] 200 more records produced" "$?" 0
	in_commit() { [ "$(grep -c 'could not connect' "$W/ksink.log")" -gt "$c0" ]; }
	check "[$action] the task holds the batch and reconnects" wait_for 60 in_commit
	s0=$(stopped) a0=$(abandoned)
	if [ "$action" = restart ]; then
		api POST "/connectors/zf/restart?includeTasks=true"
		check "[$action] restart accepted ($CODE)" test "$CODE" = 202 -o "$CODE" = 204 -o "$CODE" = 200
	else
		api PUT /connectors/zf/config "$(f_jdbc zf "$T" "${FAST[@]}" | jq -c .config)"
		check "[$action] config replaced ($CODE)" test "$CODE" = 200 -o "$CODE" = 201
	fi
	check "[$action] a new task RUNNING" wait_for 30 all_tasks zf RUNNING 1
	[ "$(abandoned)" -gt "$a0" ] && echo "# [$action] the old task was abandoned: a zombie"
	sleep 20 # the outage goes on: the issue's scenario
	"$STACK" start pg --dir "$KSINK_STACK_DIR" >/dev/null 2>&1 </dev/null
	check "[$action] Postgres is back" wait_for 30 pg_up
	check "[$action] $((n0 + 200)) records written" wait_for 90 f_has_rows "$T" $((n0 + 200))
	# the zombie has had its chance once its thread has ended
	zombie_done() { [ "$(stopped)" -gt "$s0" ]; }
	check "[$action] the old task's thread ended" wait_for 150 zombie_done
	echo "# [$action] partitions fenced so far (ksink_worker_fenced_total): $(fenced_total)"
	offsets_at() { [ "$(f_offsets_sum zf)" = "$1" ]; }
	check "[$action] offsets at $((n0 + 200))" wait_for 30 offsets_at $((n0 + 200))
	f_exactly "$T" $((n0 + 200))
}

f_produce "$T" 1 100
check_eq "100 records produced" "$?" 0
check "100 rows written" wait_for 60 f_has_rows "$T" 100
round 100 put-config
# the same with a restart: both tasks are FAST now, a closer race
round 300 restart
# which task got there first is a race (FAST usually wins the first round):
# the zombie was fenced, or it committed first and the new task resumed after it
echo "# zombies fenced in the two rounds: $(fenced_total)"
check "task RUNNING" all_tasks zf RUNNING 1
f_no_task_failed
w_stop
check_eq "clean exit" "$KRC" 0
[ "$KS_FAILED" = 0 ] && psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
finish
