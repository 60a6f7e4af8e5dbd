#!/usr/bin/env bash
# 0510-kill9_exactly_once.sh — 100 000 Avro records stream into a JDBC sink
# (insert mode, no primary key, 2 tasks over 4 partitions) while the worker is
# killed with kill -9 at random moments, 10 times, and restarted each time.
# Every round waits until the restarted worker has written something new, so
# each kill lands in a running stream (mid-batch, mid-COPY, mid-commit or
# mid-rebalance, wherever the random delay falls). At the end every record is
# in the table exactly once: the offsets are written in the same transaction
# as the rows, so a batch is either fully there with its offsets or not at all.
# (A worker patched to resume from Kafka's committed offsets instead of the
# database's fails this test with about 1700 duplicates.)
# kafka-tiers: mock real (tests/run.sh: also run against the real broker)
source "$(dirname "$0")/lib/worker_test.sh"
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }

N=100000
ROUNDS=10
T=t0510_kill9_$$
w_kafka "$T:4"
# every Kafka offset commit answered 150 ms late: a kill right after a batch
# shows up in the table often lands between the database commit and the
# Kafka commit, the window in which a sink trusting Kafka's offsets would
# write the batch twice
# (the mock's fault injection; the real broker answers at its own pace)
is_real || check_eq "OffsetCommit answers delayed" "$(mock_ctl broker-errors 1 OffsetCommit NO_ERROR 1000 150)" ok
# a dead worker's group members are evicted after the session timeout:
# shorter than the usual 6 s so that ten rounds fit the budget
# On the real broker the sink rejoins at once (no 3 s first join as on the
# mock) and keeps up with the stream, so a kill would mostly find nothing in
# flight: there its fetches wait for 1 MB or 400 ms, which keeps each slice
# of records in Kafka for a while before it is written.
slow_fetch=()
is_real && slow_fetch=(consumer.fetch.min.bytes=1000000 consumer.fetch.wait.max.ms=400)
f_init consumer.session.timeout.ms=3000 consumer.heartbeat.interval.ms=300 "${slow_fetch[@]}"
psql_q "DROP TABLE IF EXISTS \"$T\"; DELETE FROM \"__ksink_offsets\" WHERE connector = 'k9'" \
	>/dev/null 2>&1
start_ok "worker starts" "$W/w.properties" || finish
api POST /connectors "$(f_jdbc k9 "$T" tasks.max=2 batch.size=2000)"
check_eq "connector created" "$CODE" 201
check "2 tasks RUNNING" wait_for 30 all_tasks k9 RUNNING 2

# one stream of N records, 1000 every ~0.7 s, while the worker is killed
f_trickle "$T" 1 "$N" 1000 0.6 &
prod=$!
midstream=0 progressed=0
for round in $(seq 1 $ROUNDS); do
	before=$(f_rows "$T")
	p=$(f_produced)
	if [ $((p - before)) -gt 2000 ]; then
		# a backlog: die at a random point of it (first batch, COPY, commit...)
		target=$((before + 1 + RANDOM % (p - before - 1000)))
		wait_for 60 f_has_rows "$T" "$target" && progressed=$((progressed + 1))
	else
		# caught up: die at a random moment after the next write, at the
		# first moment after that at which a produced slice is not yet
		# written, the sink being busy fetching or writing it (a task that
		# starts fast catches up within a slice's 0.6 s)
		wait_for 60 f_has_rows "$T" $((before + 1)) && progressed=$((progressed + 1))
		sleep "0.$((RANDOM % 10))"
		inflight() { [ "$(f_produced)" -gt "$(f_rows "$T")" ]; }
		wait_for 5 inflight
	fi
	kill -9 "$KPID"
	wait "$KPID" 2>/dev/null
	KPID=""
	at=$(f_rows "$T")
	p=$(f_produced)
	[ "$at" -lt "$p" ] && midstream=$((midstream + 1))
	echo "# round $round: kill -9 with $at rows in the table, $p records produced so far"
	w_start "$W/w.properties" || { not_ok "round $round: restart" "$(tail -3 "$W/ksink.log")"; finish; }
done
wait "$prod"
check_eq "producer sent all $N records" "$?/$(f_produced)" "0/$N"
check_eq "the worker made progress before each of the $ROUNDS kills" "$progressed" "$ROUNDS"
echo "# $midstream of $ROUNDS kills left produced records not yet written"
check "most kills hit records in flight (>= $((ROUNDS / 2)) of $ROUNDS)" \
	test "$midstream" -ge $((ROUNDS / 2))
check "all $N records written after the last restart" wait_for 120 f_has_rows "$T" "$N"
check "tasks RUNNING after the last restart" wait_for 30 all_tasks k9 RUNNING 2
# rows and offsets commit together: once the offsets reach the end of every
# partition, the table holds everything that will ever be written
offsets_done() { [ "$(f_offsets_sum k9)" = "$N" ]; }
check "offsets table: next offsets add up to $N" wait_for 30 offsets_done
f_exactly "$T" "$N"
f_no_task_failed
w_stop
check_eq "clean exit" "$KRC" 0
[ "$KS_FAILED" = 0 ] && psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
finish
