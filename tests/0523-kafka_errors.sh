#!/usr/bin/env bash
# 0523-kafka_errors.sh — the mock broker answers requests of the sink's
# consumers with errors (pushed over the mock's control socket, each one
# used up by a real request: the test waits until the broker's error stack
# for that request type is empty), while Avro records stream into a JDBC sink
# (insert mode, no key, 2 tasks):
#   JoinGroup, SyncGroup and OffsetFetch errors while the group forms,
#   Fetch errors and forced disconnects mid-stream,
#   OffsetCommit errors (the Kafka commit is a mirror: the offsets that count
#   are in the database), and Heartbeat REBALANCE_IN_PROGRESS / a fatal
#   ILLEGAL_GENERATION on commit, which make the consumers rejoin (rebalances
#   mid-stream).
# The tasks stay RUNNING throughout and every record lands exactly once.
source "$(dirname "$0")/lib/worker_test.sh"
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }

T=t0523_kerr_$$
w_mock "$T:4"
f_init
psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
# inject: push COUNT errors ERR for API on broker 1 (the only broker)
inject() { # API ERR COUNT
	local out
	out=$(mock_ctl broker-errors 1 "$1" "$2" "$3")
	if [ "$out" = ok ]; then ok "inject $3 x $1 $2"; else not_ok "inject $3 x $1 $2" "$out"; fi
}
left() { mock_ctl error-count 1 "$1" | awk '{ print $2 }'; }
used_up() { [ "$(left "$1")" = 0 ]; }
joins() { grep -c 'assigned .*\[0\]' "$W/ksink.log"; }
more_joins() { [ "$(joins)" -gt "$1" ]; }

# --- the group forms through errors ---
inject JoinGroup COORDINATOR_LOAD_IN_PROGRESS 2
inject SyncGroup REBALANCE_IN_PROGRESS 1
inject OffsetFetch COORDINATOR_LOAD_IN_PROGRESS 2
start_ok "worker starts" "$W/w.properties" || finish
api POST /connectors "$(f_jdbc kerr "$T" tasks.max=2 batch.size=1000)"
check_eq "connector created" "$CODE" 201
check "JoinGroup errors used up" wait_for 30 used_up JoinGroup
check "SyncGroup error used up" wait_for 30 used_up SyncGroup
check "OffsetFetch errors used up" wait_for 30 used_up OffsetFetch
check "partitions assigned" wait_for 30 more_joins 0
check "2 tasks RUNNING" all_tasks kerr RUNNING 2

# one stream of 1000 records every ~0.3 s for the whole test, stopped at
# the end (a file), so that records and commits flow while each kind of
# error is injected, however long the steps before took
stream() {
	local a=1
	while [ ! -e "$W/stop" ]; do
		f_produce "$T" "$a" $((a + 999)) || return 1
		a=$((a + 1000))
		sleep 0.3
	done
}
stream &
prod=$!
check "records arrive" wait_for 60 f_has_rows "$T" 2000

# --- fetch errors and disconnects mid-stream ---
inject Fetch NOT_LEADER_FOR_PARTITION 3
inject Fetch UNKNOWN 2
inject Fetch _TRANSPORT 2
check "Fetch errors used up" wait_for 30 used_up Fetch
r=$(f_rows "$T")
check "records still arrive after the fetch errors" wait_for 30 f_has_rows "$T" $((r + 1000))

# --- Kafka offset commits fail (retriable, then not) ---
inject OffsetCommit COORDINATOR_NOT_AVAILABLE 2
inject OffsetCommit REQUEST_TIMED_OUT 2
inject OffsetCommit UNKNOWN_TOPIC_OR_PART 2
check "OffsetCommit errors used up" wait_for 30 used_up OffsetCommit
r=$(f_rows "$T")
check "records still arrive after the commit errors" wait_for 30 f_has_rows "$T" $((r + 1000))

# --- rebalances forced by the coordinator ---
j=$(joins)
inject Heartbeat REBALANCE_IN_PROGRESS 2
check "Heartbeat errors used up" wait_for 30 used_up Heartbeat
check "rejoined after REBALANCE_IN_PROGRESS (partition 0 assigned again)" wait_for 30 more_joins "$j"
j=$(joins)
inject OffsetCommit ILLEGAL_GENERATION 1
check "ILLEGAL_GENERATION used up" wait_for 30 used_up OffsetCommit
check "rejoined after ILLEGAL_GENERATION" wait_for 30 more_joins "$j"
# (librdkafka retries the retriable commit errors above itself; the fatal
# one reaches the commit callback)
check "the failed commit was logged as a warning" \
	wait_for 15 grep -q "Kafka offset commit failed" "$W/ksink.log"
echo "# partition 0 assigned $(joins) times"

touch "$W/stop"
wait "$prod"
check_eq "producer finished" "$?" 0
N=$(f_produced)
echo "# $N records produced"
check "all $N records written" wait_for 90 f_has_rows "$T" "$N"
offsets_done() { [ "$(f_offsets_sum kerr)" = "$N" ]; }
check "offsets reach $N" wait_for 30 offsets_done
f_exactly "$T" "$N"
check "tasks RUNNING" all_tasks kerr RUNNING 2
f_no_task_failed
w_stop
check_eq "clean exit" "$KRC" 0
[ "$KS_FAILED" = 0 ] && psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
finish
