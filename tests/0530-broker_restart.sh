#!/usr/bin/env bash
# 0530-broker_restart.sh — the Kafka broker itself restarts twice while Avro
# records stream into a JDBC sink (insert mode, no key, 2 tasks, 4
# partitions): the worker waits the outage out (tasks RUNNING, the status says
# it waits for Kafka), its consumers reconnect and rejoin the group, and every
# record is in the table exactly once. On the real broker this is a stop
# (controlled shutdown) and a start of the JVM on the same data dir: the
# group coordinator moves to a new incarnation and the topics come back from
# disk. On the mock every broker goes down and comes back (its log lives in
# memory, so a process restart would lose the topic).
# kafka-tiers: mock real (tests/run.sh: also run against the real broker)
source "$(dirname "$0")/lib/worker_test.sh"
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }

N=60000
T=t0530_brestart_$$
w_kafka "$T:4"
f_init
psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null 2>&1
start_ok "worker starts" "$W/w.properties" || finish
api POST /connectors "$(f_jdbc brestart "$T" tasks.max=2)"
check_eq "connector created" "$CODE" 201
check "2 tasks RUNNING" wait_for 30 all_tasks brestart RUNNING 2
check "the group settled" wait_for 60 f_group_settled brestart 2

# slow enough that records are still being produced at the second restart
# (a restart takes 10-15 s on the real broker; the stream lasts ~40 s)
f_trickle "$T" 1 "$N" 500 0.2 &
prod=$!
next=5000
for r in 1 2; do
	check "records arrive before restart $r" wait_for 90 f_has_rows "$T" "$next"
	at=$(f_rows "$T")
	t0=$SECONDS
	check "broker restart $r" w_kafka_restart 2
	check "tasks RUNNING after restart $r" all_tasks brestart RUNNING 2
	more() { [ "$(f_rows "$T")" -gt "$1" ]; }
	check "rows written again after restart $r" wait_for 90 more "$(f_rows "$T")"
	echo "# restart $r: $at rows when the broker went down, back and writing after $((SECONDS - t0)) s"
	next=$(($(f_rows "$T") + 3000))
done
wait "$prod"
check_eq "producer finished" "$?" 0
check "all $N records written" wait_for 120 f_has_rows "$T" "$N"
offsets_at() { [ "$(f_offsets_sum brestart)" = "$1" ]; }
check "offsets in the database reach $N" wait_for 30 offsets_at "$N"
f_exactly "$T" "$N"
f_no_task_failed
w_stop
check_eq "clean exit" "$KRC" 0
[ "$KS_FAILED" = 0 ] && psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
finish
