#!/usr/bin/env bash
# 0524-rebalance.sh — consumer-group rebalances in the middle of batches
# while Avro records stream into a JDBC sink (insert mode, no key):
#   1. a foreign consumer (kcat) joins the group connect-<name>, takes some
#      partitions away, reads and commits records there, then leaves: the
#      task gets its partitions back and resumes from the offsets in the
#      database (ahead of nothing, behind kcat's commits), so the records kcat
#      took are still written, once;
#   2. tasks.max changes 1 -> 3 -> 2 mid-stream (tasks stopped and started,
#      partitions moved between them).
# Every record lands exactly once.
# kafka-tiers: mock real (tests/run.sh: also run against the real broker)
source "$(dirname "$0")/lib/worker_test.sh"
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }

N1=30000 N=60000
T=t0524_rb_$$
KCAT=""
trap '[ -n "$KCAT" ] && kill "$KCAT" 2>/dev/null; w_cleanup' EXIT
w_kafka "$T:4"
f_init
psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
start_ok "worker starts" "$W/w.properties" || finish
api POST /connectors "$(f_jdbc rb "$T" tasks.max=1 batch.size=1000)"
check_eq "connector created" "$CODE" 201
check "task RUNNING" wait_for 30 all_tasks rb RUNNING 1
assigns() { grep -c 'assigned ' "$W/ksink.log"; }
more_assigns() { [ "$(assigns)" -gt "$1" ]; }
check "4 partitions assigned" wait_for 30 more_assigns 3

# --- 1: kcat joins the group mid-stream, then leaves ---
f_trickle "$T" 1 "$N1" 1000 0.3 &
prod=$!
check "records arrive" wait_for 60 f_has_rows "$T" 2000
a=$(assigns)
kcat -b "$BS" -G connect-rb "$T" -q -f '%t %p %o\n' -X session.timeout.ms=6000 \
	-X heartbeat.interval.ms=500 -X auto.commit.interval.ms=200 >"$W/kcat.out" 2>"$W/kcat.err" &
KCAT=$!
kcat_reads() { [ -s "$W/kcat.out" ]; }
check "kcat got partitions of the group and reads records" wait_for 30 kcat_reads
check "the task was rebalanced (partitions assigned again)" wait_for 30 more_assigns "$a"
sleep 2 # kcat keeps reading its share for a while
kill -TERM "$KCAT"
wait "$KCAT" 2>/dev/null
KCAT=""
taken=$(wc -l <"$W/kcat.out")
echo "# kcat read $taken records of the group's partitions before leaving"
check "kcat read records" test "$taken" -gt 0
a=$(assigns)
all4() { [ "$(assigns)" -ge $((a + 4)) ]; }
check "the task gets all 4 partitions back" wait_for 30 all4
wait "$prod"
check_eq "producer finished" "$?" 0
check "all $N1 records written (also those kcat read)" wait_for 90 f_has_rows "$T" "$N1"
offsets_at() { [ "$(f_offsets_sum rb)" = "$1" ]; }
check "offsets reach $N1" wait_for 30 offsets_at "$N1"
f_exactly "$T" "$N1"

# --- 2: tasks.max 1 -> 3 -> 2 mid-stream ---
cfg() { curl -s "$URL/connectors/rb/config" | jq -c --arg n "$1" '. + {"tasks.max":$n}'; }
# slower than the first stream (about 30 s): both tasks.max changes, each a
# rebalance of the group, must land while it is still being produced
f_trickle "$T" $((N1 + 1)) "$N" 500 0.5 &
prod=$!
check "the stream goes on" wait_for 60 f_has_rows "$T" $((N1 + 2000))
api PUT /connectors/rb/config "$(cfg 3)"
check_eq "tasks.max=3 accepted" "$CODE" 200
check "3 tasks RUNNING" wait_for 30 all_tasks rb RUNNING 3
r=$(f_rows "$T")
check "records arrive with 3 tasks" wait_for 60 f_has_rows "$T" $((r + 2000))
api PUT /connectors/rb/config "$(cfg 2)"
check_eq "tasks.max=2 accepted" "$CODE" 200
check "2 tasks RUNNING" wait_for 30 all_tasks rb RUNNING 2
r=$(f_rows "$T")
echo "# tasks.max 3 -> 2 with $r rows in the table"
check "the last change hit the stream ($r < $N)" test "$r" -lt "$N"
wait "$prod"
check_eq "producer finished" "$?" 0
check "all $N records written" wait_for 90 f_has_rows "$T" "$N"
check "offsets reach $N" wait_for 30 offsets_at "$N"
f_exactly "$T" "$N"
f_no_task_failed
w_stop
check_eq "clean exit" "$KRC" 0
[ "$KS_FAILED" = 0 ] && psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
finish
