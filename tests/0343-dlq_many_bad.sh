#!/usr/bin/env bash
# 0343-dlq_many_bad.sh — isolating many bad records is fast: 3,000 records
# that all violate a CHECK (upsert through the staging table,
# errors.tolerance=all, a dead letter queue), waiting as a backlog while the
# connector is paused, are all routed to the DLQ within a generous deadline
# after it resumes (the time is printed; bisecting one record at a time
# re-copies the batch prefix for each and took minutes), nothing reaches
# the table; then a mostly-good stream (2,000 records, 10 of them
# violating the CHECK) still lands: 1,990 rows, 10 more in the DLQ, the task
# RUNNING throughout.
source "$(dirname "$0")/lib/lib.sh"
source "$(dirname "$0")/lib/worker.sh"
w_init 0343
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }
T=t0343_$$
w_mock many:1 manydlq:1
w_props "$W/w.properties" \
	"value.converter=io.confluent.connect.avro.AvroConverter" \
	"value.converter.schema.registry.url=$KSINK_REGISTRY_URL"
start_ok "worker starts" "$W/w.properties" || finish

cat >"$W/bet.avsc" <<'EOF'
{"type":"record","name":"ManyBet","fields":[{"name":"id","type":"int"},{"name":"amount","type":"double"}]}
EOF
psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
psql_q "CREATE TABLE \"$T\" (id int PRIMARY KEY, amount double precision CHECK (amount >= 0))" >/dev/null
prod() {
	"$BUILD/ksink-produce" --bootstrap "$BS" --registry "$KSINK_REGISTRY_URL" --topic many \
		--value-schema "$W/bet.avsc" --partition 0 2>>"$W/produce.log"
}
rows() { psql_q "SELECT count(*) FROM \"$T\"" 2>/dev/null || echo 0; }
has_rows() { [ "$(rows)" -ge "$1" ]; }
dlq_count() { kcat -C -b "$BS" -t manydlq -p 0 -o beginning -e -q -f '%o\n' 2>/dev/null | wc -l; }
dlq_has() { [ "$(dlq_count)" -ge "$1" ]; }
offsets_at() {
	curl -s "$URL/connectors/many/offsets" |
		jq -e "[.offsets[] | select(.partition.kafka_topic==\"many\") | .offset.kafka_offset] | add == $1" >/dev/null
}
cfg=$(jq -nc --arg url "$KSINK_PG_JDBC_URL" --arg t "$T" '{"name":"many","config":{
	"connector.class":"io.confluent.connect.jdbc.JdbcSinkConnector",
	"connection.url":$url, "connection.user":"postgres", "connection.password":"example",
	"topics":"many", "table.name.format":$t, "insert.mode":"upsert", "pk.mode":"record_value",
	"pk.fields":"id", "batch.size":"3000",
	"errors.tolerance":"all", "errors.deadletterqueue.topic.name":"manydlq",
	"errors.deadletterqueue.context.headers.enable":"true"}}')
api POST /connectors "$cfg"
check_eq "connector created" "$CODE" 201
# warm up: group joined, DLQ producer and topic ready (the mock cluster does
# not answer the DLQ's CreateTopics: its first flush waits 10 s)
echo '{"id":0,"amount":-0.5}' | prod
check "a first bad record reaches the DLQ" wait_for 60 dlq_has 1
# the 3,000 bad records wait while the connector is paused, so the task
# meets them as one backlog when it resumes
api PUT /connectors/many/pause
check_eq "connector paused" "$CODE" 202
paused() { all_tasks many PAUSED 1; }
check "task PAUSED" wait_for 30 paused
NB=3000
awk -v n=$NB 'BEGIN { for (i = 1; i <= n; i++) printf "{\"id\":%d,\"amount\":-%d}\n", i, i }' | prod
t0=$(date +%s%3N)
api PUT /connectors/many/resume
check_eq "connector resumed" "$CODE" 202
check "all $NB bad records in the DLQ within 60 s" wait_for 60 dlq_has $((NB + 1))
t1=$(date +%s%3N)
echo "# $NB records violating a CHECK routed to the DLQ in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1000 }') s (from resume)"
NB=$((NB + 1))
check "offsets reach $NB" wait_for 30 offsets_at $NB
indlq=$(dlq_count)
echo "# produced $NB (all bad) / in table $(rows) / in DLQ $indlq"
check_eq "DLQ: $NB records" "$indlq" $NB
kcat -C -b "$BS" -t manydlq -p 0 -o beginning -e -q -f '%h\n' 2>/dev/null |
	grep -o '__connect.errors.offset=[0-9]*' | sort | uniq -d >"$W/dups"
check_eq "DLQ: no duplicates" "$(wc -l <"$W/dups")" 0
check_eq "table: empty" "$(rows)" 0
api GET /connectors/many/status
check_jq "task RUNNING" '.tasks[0].state=="RUNNING"'

# --- mostly good: 2,000 records, every 200th violates the CHECK ---
NG=2000
awk -v n=$NG 'BEGIN { for (i = 1; i <= n; i++)
	printf "{\"id\":%d,\"amount\":%s%d}\n", 10000 + i, i % 200 == 0 ? "-" : "", i }' | prod
t0=$(date +%s%3N)
check "mostly good: 1990 rows in the table" wait_for 60 has_rows 1990
check "mostly good: offsets reach $((NB + NG))" wait_for 30 offsets_at $((NB + NG))
t1=$(date +%s%3N)
echo "# $NG records with 10 bad written in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1000 }') s; in table $(rows) / in DLQ $(dlq_count)"
check_eq "mostly good: table holds 1990" "$(rows)" 1990
check_eq "mostly good: DLQ holds $((NB + 10))" "$(dlq_count)" $((NB + 10))
check_eq "mostly good: no bad record in the table" "$(psql_q "SELECT count(*) FROM \"$T\" WHERE amount < 0")" 0
api GET /connectors/many/status
check_jq "task RUNNING" '.tasks[0].state=="RUNNING"'

w_stop
check_eq "exit 0" "$KRC" 0
psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
finish
