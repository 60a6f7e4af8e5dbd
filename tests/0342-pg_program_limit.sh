#!/usr/bin/env bash
# 0342-pg_program_limit.sh — a record the database cannot index: a ~10 KB
# incompressible text primary key ("index row requires … bytes", SQLSTATE
# 54000, program_limit_exceeded — not one of the data classes 22/23/42).
# With errors.tolerance=all and a dead letter queue the other records of the
# batch are written, the oversized ones are in the DLQ, the task stays
# RUNNING; with errors.tolerance=none the task goes FAILED with the message.
source "$(dirname "$0")/lib/lib.sh"
source "$(dirname "$0")/lib/worker.sh"
w_init 0342
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }
TA=t0342a_$$ TN=t0342n_$$
w_mock big:1 bigdlq:1 bign:1
w_props "$W/w.properties" \
	"value.converter=io.confluent.connect.avro.AvroConverter" \
	"value.converter.schema.registry.url=$KSINK_REGISTRY_URL"
start_ok "worker starts" "$W/w.properties" || finish

cat >"$W/k.avsc" <<'EOF'
{"type":"record","name":"BigKey","fields":[{"name":"k","type":"string"},{"name":"n","type":"int"}]}
EOF
psql_q "DROP TABLE IF EXISTS \"$TA\", \"$TN\"" >/dev/null
for tb in "$TA" "$TN"; do
	psql_q "CREATE TABLE \"$tb\" (k text PRIMARY KEY, n int NOT NULL)" >/dev/null
done
jdbc() { # NAME TOPIC TABLE [k=v ...]
	local name=$1 topic=$2 table=$3 cfg
	shift 3
	cfg=$(jq -nc --arg url "$KSINK_PG_JDBC_URL" --arg t "$topic" --arg tb "$table" '{
		"connector.class":"io.confluent.connect.jdbc.JdbcSinkConnector",
		"connection.url":$url, "connection.user":"postgres", "connection.password":"example",
		"topics":$t, "table.name.format":$tb, "insert.mode":"insert", "batch.size":"50"}')
	for kv in "$@"; do
		cfg=$(jq -c --arg k "${kv%%=*}" --arg v "${kv#*=}" '. + {($k):$v}' <<<"$cfg")
	done
	jq -nc --arg n "$name" --argjson c "$cfg" '{"name":$n,"config":$c}'
}
prod() { # TOPIC < avro-json lines, all to partition 0
	"$BUILD/ksink-produce" --bootstrap "$BS" --registry "$KSINK_REGISTRY_URL" --topic "$1" \
		--value-schema "$W/k.avsc" --partition 0 2>>"$W/produce.log"
}
rows() { psql_q "SELECT count(*) FROM \"$1\"" 2>/dev/null || echo 0; }
has_rows() { [ "$(rows "$1")" -ge "$2" ]; }
dlq_count() { kcat -C -b "$BS" -t "$1" -p 0 -o beginning -e -q -f '%o\n' 2>/dev/null | wc -l; }
dlq_has() { [ "$(dlq_count "$1")" -ge "$2" ]; }
offsets_at() { # NAME TOPIC N
	curl -s "$URL/connectors/$1/offsets" |
		jq -e "[.offsets[] | select(.partition.kafka_topic==\"$2\") | .offset.kafka_offset] | add == $3" >/dev/null
}
# 40 records, numbers 5, 17 and 30 with a ~10 KB random key
for i in $(seq 0 39); do
	case $i in
	5 | 17 | 30) k=$(head -c 7600 /dev/urandom | base64 -w0) ;;
	*) k=key-$i ;;
	esac
	echo "{\"k\":\"$k\",\"n\":$i}"
done >"$W/mix.jsonl"
N=40 BAD=3 GOOD=37
echo "# oversized key length: $(sed -n 6p "$W/mix.jsonl" | jq -r '.k | length') characters"

prod big <"$W/mix.jsonl"
api POST /connectors "$(jdbc ba big "$TA" errors.tolerance=all \
	errors.deadletterqueue.topic.name=bigdlq errors.deadletterqueue.context.headers.enable=true)"
check_eq "connector created" "$CODE" 201
check "every other record in the table" wait_for 60 has_rows "$TA" "$GOOD"
check "offsets reach the end of the partition" wait_for 60 offsets_at ba big "$N"
check "the oversized records in the DLQ" wait_for 30 dlq_has bigdlq "$BAD"
inrows=$(rows "$TA") indlq=$(dlq_count bigdlq)
echo "# produced $N (oversized $BAD) / in table $inrows / in DLQ $indlq"
check_eq "table holds the $GOOD others" "$inrows" "$GOOD"
check_eq "table: none of the oversized" "$(psql_q "SELECT count(*) FROM \"$TA\" WHERE n IN (5, 17, 30)")" 0
check_eq "DLQ holds the $BAD oversized records" "$indlq" "$BAD"
kcat -C -b "$BS" -t bigdlq -p 0 -o beginning -e -q -f '%h\n' >"$W/bigdlq.h" 2>/dev/null
check_eq "DLQ offsets are the oversized ones" \
	"$(grep -o '__connect.errors.offset=[0-9]*' "$W/bigdlq.h" | cut -d= -f2 | sort -n | tr '\n' ' ')" "5 17 30 "
check "DLQ message names the index row limit" grep -q 'exception.message=[^,]*index row' "$W/bigdlq.h"
api GET /connectors/ba/status
check_jq "task RUNNING" '.tasks[0].state=="RUNNING"'

prod bign <"$W/mix.jsonl"
api POST /connectors "$(jdbc bn bign "$TN")"
check_eq "tolerance none connector created" "$CODE" 201
failed() { curl -s "$URL/connectors/bn/status" | jq -e '.tasks[0].state=="FAILED" and (.tasks[0].trace | test("index row"))' >/dev/null; }
check "tolerance none: FAILED with the index row message" wait_for 60 failed
echo "# tolerance none trace: $(curl -s "$URL/connectors/bn/status" | jq -r '.tasks[0].trace' | head -1 | cut -c1-200)"
check_eq "tolerance none: nothing from the bad record on written" "$(psql_q "SELECT count(*) FROM \"$TN\" WHERE n >= 5")" 0

w_stop
check_eq "exit 0" "$KRC" 0
psql_q "DROP TABLE IF EXISTS \"$TA\", \"$TN\"" >/dev/null
finish
