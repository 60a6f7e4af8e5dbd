#!/usr/bin/env bash
# 0460-transactions_by_backlog.sh — a task's transactions are sized by the
# backlog (worker/task.c), not by batch.size. Each row records the
# transaction that wrote it (a column defaulting to txid_current(), the
# top-level transaction even inside a savepoint), so the test reads the
# transactions back from the table:
#   1. a backlog (records in Kafka before the connector starts) is written
#      in transactions bounded by ksink.transaction.max.records, and far
#      larger than batch.size (which only sizes the statements now);
#      The first transaction is at most batch.size rows (slow start).
#   2. a steady trickle (a record every ~5 ms) is committed as it comes,
#      in transactions of a few records: a task that has caught up commits
#      at once instead of waiting for more (the old loop filled each batch
#      for its 500 ms linger, ~100 records here).
# Every record lands exactly once either way.
# kafka-tiers: mock real (tests/run.sh: also run against the real broker)
source "$(dirname "$0")/lib/worker_test.sh"
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }

N=12000 MAXREC=2500 CHUNK=100 TRICKLE=600 SMALL=50
T=t0460_tx_$$
w_kafka "$T:4"
# short fetch waits: the mock holds an empty fetch for fetch.wait.max.ms
# and answers it late even when records arrive meanwhile, which would put
# trickled records together into one fetch
f_init consumer.session.timeout.ms=6000 consumer.heartbeat.interval.ms=500 \
	consumer.fetch.wait.max.ms=10
psql_q "DROP TABLE IF EXISTS \"$T\"; DELETE FROM \"__ksink_offsets\" WHERE connector = 'tx'" \
	>/dev/null 2>&1
psql_q "CREATE TABLE \"$T\" (\"ID\" BIGINT NOT NULL, \"PAYLOAD\" TEXT NOT NULL,
	tx BIGINT NOT NULL DEFAULT txid_current())" >/dev/null
check_eq "table with a transaction column" "$(psql_q "SELECT count(*) FROM \"$T\"")" 0

# --- 1: a backlog ---
f_produce "$T" 1 "$N"
check_eq "$N records produced" "$?" 0
start_ok "worker starts" "$W/w.properties" || finish
api POST /connectors "$(f_jdbc tx "$T" batch.size=$CHUNK ksink.transaction.max.records=$MAXREC)"
check_eq "connector created" "$CODE" 201
check "the backlog is written" wait_for 90 f_has_rows "$T" "$N"
f_exactly "$T" "$N"
read -r ntx biggest <<<"$(psql_q "SELECT count(*), max(c) FROM (SELECT count(*) AS c FROM \"$T\" GROUP BY tx) s" | tr '|' ' ')"
echo "# backlog of $N: $ntx transactions, the largest $biggest rows (max.records $MAXREC, batch.size $CHUNK)"
check "no transaction above ksink.transaction.max.records ($biggest <= $MAXREC)" test "${biggest:-0}" -le "$MAXREC"
check "transactions span many put() chunks of batch.size ($biggest > $((4 * CHUNK)))" test "${biggest:-0}" -gt $((4 * CHUNK))
# slow start: the first transaction takes at most batch.size rows, so the
# first rows are visible soon after start; the bound doubles from there
first=$(psql_q "SELECT count(*) FROM \"$T\" WHERE tx = (SELECT min(tx) FROM \"$T\")")
echo "# the first transaction: $first rows"
check "slow start: the first transaction holds at most batch.size rows ($first <= $CHUNK)" \
	test "${first:-0}" -ge 1 -a "${first:-0}" -le "$CHUNK"
offsets_at() { [ "$(f_offsets_sum tx)" = "$1" ]; }
check "offsets reach $N" wait_for 30 offsets_at "$N"

# --- 2: a steady trickle, caught up ---
# one producer, a record every ~5 ms, each sent at once (linger.ms=1):
# never a pause of 20 ms, which is what the old loop took for "caught up",
# so it filled each batch for its whole 500 ms linger (~100 rows); a task
# that commits whenever nothing more is queued commits every fetch's few
# records
for ((i = 1; i <= TRICKLE; i++)); do
	f_lines $((N + i)) $((N + i))
	sleep 0.005
done | "$BUILD/ksink-produce" --bootstrap "$BS" --registry "$KSINK_REGISTRY_URL" --topic "$T" \
	--value-schema "$W/rec.avsc" -X linger.ms=1 2>>"$W/produce.log"
check_eq "trickle produced" "$?" 0
check "the trickle is written" wait_for 30 f_has_rows "$T" $((N + TRICKLE))
read -r ntx biggest <<<"$(psql_q "SELECT count(*), max(c) FROM (SELECT count(*) AS c FROM \"$T\"
	WHERE \"ID\" > $N GROUP BY tx) s" | tr '|' ' ')"
echo "# trickle of $TRICKLE records ~5 ms apart: $ntx transactions, the largest $biggest rows"
check "the trickle is committed as it comes (largest transaction $biggest < $SMALL rows)" \
	test "${biggest:-$SMALL}" -lt "$SMALL"
f_exactly "$T" $((N + TRICKLE))
check "offsets reach $((N + TRICKLE))" wait_for 30 offsets_at $((N + TRICKLE))
f_no_task_failed
finish
