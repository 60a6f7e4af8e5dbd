#!/usr/bin/env bash
# 0526-idle_task_connections.sh — a task holds a Postgres connection only
# while it has partitions: tasks.max=8 on a 2-partition topic gives 8 tasks,
# 6 of them idle, and about 2 backends (counted in pg_stat_activity by the
# connector's ApplicationName). A task whose partitions are revoked closes its
# connection (checked in the log on the eager revoke of a rebalance): after
# a rebalance (one task restarted) the count settles at the
# tasks that hold partitions again, records still land exactly once, and
# deleting the connector leaves no backend.
source "$(dirname "$0")/lib/worker_test.sh"
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }

T=t0526_idle_$$
APP=ks0526_$$
N1=2000 N=4000
w_mock "$T:2"
f_init
psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
start_ok "worker starts" "$W/w.properties" || finish
api POST /connectors "$(f_jdbc ic "$T" tasks.max=8 \
	connection.url="$KSINK_PG_JDBC_URL?ApplicationName=$APP")"
check_eq "connector created" "$CODE" 201
check "8 tasks RUNNING" wait_for 30 all_tasks ic RUNNING 8

backends() { psql_q "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$APP'"; }
backends_in() { local n; n=$(backends); [ "$n" -ge "$1" ] && [ "$n" -le "$2" ]; }
# the tasks whose last assignment in the log gave them partitions
holder_ids() {
	local i l
	for ((i = 0; i < 8; i++)); do
		l=$(grep -E "task\|ic-$i\] (assigned |partitions revoked)" "$W/ksink.log" | tail -1)
		[[ $l == *"assigned "* ]] && echo "$i"
	done
}
holders() { holder_ids | wc -l; }

f_produce "$T" 1 "$N1"
check "first $N1 records written" wait_for 60 f_has_rows "$T" "$N1"
# the group's first rebalances may still be going on: poll, the idle tasks
# close their connection once they end up without partitions
check "at most 2 backends for 8 tasks on 2 partitions" wait_for 60 backends_in 1 2
echo "# 8 tasks, 2 partitions: $(backends) backends, $(holders) tasks hold partitions ($(holder_ids | xargs))"
check_eq "backends = tasks holding partitions" "$(backends)" "$(holders)"

# a rebalance: the restarted task leaves and joins again, every task's
# partitions are revoked and the two are assigned again (maybe elsewhere)
before=$(grep -c 'partitions revoked' "$W/ksink.log")
lines=$(wc -l <"$W/ksink.log")
api POST /connectors/ic/tasks/0/restart
check_eq "task 0 restarted" "$CODE" 204
revoked() { [ "$(grep -c 'partitions revoked' "$W/ksink.log")" -gt "$before" ]; }
check "a rebalance revoked partitions" wait_for 60 revoked
# eager rebalancing revokes every partition: a holder that was not restarted
# (at least one of the two) closes its connection then, and opens another
# only if it gets partitions again
closed() { sed -n "$((lines + 1)),\$p" "$W/ksink.log" | grep -vE '\|ic-0\]' |
	grep -q 'no partitions left: closing the connection'; }
check "a task that was not restarted closed its connection on revoke" wait_for 30 closed
f_produce "$T" $((N1 + 1)) "$N"
check "all $N records written" wait_for 90 f_has_rows "$T" "$N"
check "8 tasks RUNNING after the rebalance" all_tasks ic RUNNING 8
check "at most 2 backends after the rebalance" wait_for 60 backends_in 1 2
echo "# after the rebalance: $(backends) backends, $(holders) tasks hold partitions ($(holder_ids | xargs))"
f_exactly "$T" "$N"

api DELETE /connectors/ic
check_eq "connector deleted" "$CODE" 204
check "no backend left after the delete" wait_for 30 backends_in 0 0
echo "# after the delete: $(backends) backends"
f_no_task_failed
w_stop
check_eq "clean exit" "$KRC" 0
[ "$KS_FAILED" = 0 ] && psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
finish
