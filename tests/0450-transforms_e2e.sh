#!/usr/bin/env bash
# 0450-transforms_e2e.sh — Single Message Transforms through the worker, the
# JDBC sink and Postgres, with Avro records from the registry stand-in:
#  A. RegexRouter + ReplaceField (exclude, renames) + InsertField (topic,
#     offset, static) + Filter on tombstones (RecordIsTombstone predicate):
#     the routed table gets the renamed columns, tombstones are consumed but
#     not written, and the offsets pass them;
#  B. Debezium-style envelopes (Avro Envelope with before/after/source/op)
#     through ExtractNewRecordState (default tombstone mode, add.fields) and
#     a RegexRouter: upsert by the Avro key, deletes remove rows;
#  C. a record a transform cannot handle (Cast of "abc" to int32): with
#     errors.tolerance=all it goes to the DLQ with stage TRANSFORMATION, the
#     Cast class and the ORIGINAL topic (before the router); with none the
#     task is FAILED naming the record and the transform;
#  D. an unknown or unsupported transform class: 400 on POST /connectors
#     and per-key errors from the validate endpoint.
source "$(dirname "$0")/lib/worker_test.sh"
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }
TA=t0450a_$$
TB=t0450b_$$
TC=t0450c_$$
SA=src.public.$TA
SB=dbz.public.$TB
SC=raw.$TC
w_mock "$SA:2" "$SB:1" "$SC:1" "raw.n$TC:1" "dlq$$:1"
w_props "$W/w.properties" \
	"value.converter=io.confluent.connect.avro.AvroConverter" \
	"value.converter.schema.registry.url=$KSINK_REGISTRY_URL"
start_ok "worker starts" "$W/w.properties" || finish
psql_q "DROP TABLE IF EXISTS \"$TA\", \"$TB\", \"$TC\", \"n$TC\"" >/dev/null

# NAME TOPIC [k=v ...]: a JDBC sink connector JSON for the test database
jdbc() {
	local name=$1 topic=$2 cfg; shift 2
	cfg=$(jq -nc --arg url "$KSINK_PG_JDBC_URL" --arg t "$topic" '{
		"connector.class":"io.confluent.connect.jdbc.JdbcSinkConnector",
		"connection.url":$url, "connection.user":"postgres", "connection.password":"example",
		"topics":$t, "auto.create":"true", "batch.size":"50"}')
	for kv in "$@"; do
		cfg=$(jq -c --arg k "${kv%%=*}" --arg v "${kv#*=}" '. + {($k):$v}' <<<"$cfg")
	done
	jq -nc --arg n "$name" --argjson c "$cfg" '{"name":$n,"config":$c}'
}
rows() { psql_q "SELECT count(*) FROM \"$1\"" 2>/dev/null || echo 0; }
has_rows() { [ "$(rows "$1")" -ge "$2" ]; }
offsets_at() { # CONNECTOR TOPIC SUM
	curl -s "$URL/connectors/$1/offsets" |
		jq -e --arg t "$2" "[.offsets[] | select(.partition.kafka_topic==\$t) | .offset.kafka_offset] | add == $3" >/dev/null
}
failed_with() { # NAME REGEX
	curl -s "$URL/connectors/$1/status" |
		jq -e --arg re "$2" '.tasks[0].state=="FAILED" and (.tasks[0].trace|test($re))' >/dev/null
}

# ---------------- A: route, rename, insert, filter tombstones ----------------
cat >"$W/a.avsc" <<'EOF'
{"type":"record","name":"Bet","namespace":"t0450","fields":[
 {"name":"id","type":"int"},{"name":"name","type":"string"},
 {"name":"amount","type":"double"},{"name":"secret","type":"string"}]}
EOF
NA=40
{
	for i in $(seq 1 $NA); do
		printf 'k%d\t{"id":%d,"name":"p%d","amount":%d.5,"secret":"s%d"}\n' "$i" "$i" "$i" "$i" "$i"
		# a tombstone after every 4th record
		[ $((i % 4)) -eq 0 ] && printf 'k%d\tnull\n' "$i"
	done
} >"$W/a.lines"
NTOMB=$((NA / 4))
"$BUILD/ksink-produce" --bootstrap "$BS" --registry "$KSINK_REGISTRY_URL" --topic "$SA" \
	--value-schema "$W/a.avsc" --key-string <"$W/a.lines" 2>>"$W/produce.log"
check_eq "A: records and tombstones produced" "$?" 0

api POST /connectors "$(jdbc ca "$SA" insert.mode=insert tasks.max=2 \
	transforms=dropTomb,route,rename,audit \
	transforms.dropTomb.type=org.apache.kafka.connect.transforms.Filter \
	transforms.dropTomb.predicate=isTomb \
	transforms.route.type=org.apache.kafka.connect.transforms.RegexRouter \
	'transforms.route.regex=([^.]+)\.([^.]+)\.(.*)' \
	'transforms.route.replacement=$3' \
	'transforms.rename.type=org.apache.kafka.connect.transforms.ReplaceField$Value' \
	transforms.rename.exclude=secret \
	transforms.rename.renames=name:player \
	'transforms.audit.type=org.apache.kafka.connect.transforms.InsertField$Value' \
	transforms.audit.topic.field=src_topic \
	transforms.audit.offset.field=kafka_offset \
	transforms.audit.partition.field=kafka_partition \
	transforms.audit.static.field=feed \
	transforms.audit.static.value=e2e \
	predicates=isTomb \
	predicates.isTomb.type=org.apache.kafka.connect.transforms.predicates.RecordIsTombstone)"
check_eq "A: connector created" "$CODE" 201
check "A: routed table $TA filled" wait_for 60 has_rows "$TA" $NA
check_eq "A: $NA rows, no tombstone written" "$(rows "$TA")" $NA
check_eq "A: columns renamed, excluded, inserted" \
	"$(psql_q "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name = '$TA'")" \
	"amount,feed,id,kafka_offset,kafka_partition,player,src_topic"
check_eq "A: values carried over" "$(psql_q "SELECT player || '/' || amount FROM \"$TA\" WHERE id = 7")" "p7/7.5"
check_eq "A: InsertField saw the routed topic and the static value" \
	"$(psql_q "SELECT count(*) FROM \"$TA\" WHERE src_topic = '$TA' AND feed = 'e2e'")" $NA
check_eq "A: partition and offset of every record" \
	"$(psql_q "SELECT count(DISTINCT (kafka_partition, kafka_offset)) FROM \"$TA\" WHERE kafka_offset >= 0")" $NA
check "A: offsets pass the filtered tombstones" wait_for 30 offsets_at ca "$SA" $((NA + NTOMB))
check_eq "A: no table for the unrouted topic" "$(psql_q "SELECT count(*) FROM information_schema.tables WHERE table_name = '$SA'")" 0

# ---------------- B: Debezium envelopes, ExtractNewRecordState ----------------
cat >"$W/b.key.avsc" <<EOF
{"type":"record","name":"Key","namespace":"dbz.public.$TB","fields":[{"name":"id","type":"int"}]}
EOF
cat >"$W/b.avsc" <<EOF
{"type":"record","name":"Envelope","namespace":"dbz.public.$TB","fields":[
 {"name":"before","type":["null",{"type":"record","name":"Value","fields":[
   {"name":"id","type":"int"},{"name":"who","type":["null","string"],"default":null}]}],"default":null},
 {"name":"after","type":["null","Value"],"default":null},
 {"name":"source","type":{"type":"record","name":"Source","namespace":"io.debezium.connector.postgresql",
   "fields":[{"name":"table","type":"string"},{"name":"ts_ms","type":"long"}]}},
 {"name":"op","type":"string"},
 {"name":"ts_ms","type":["null","long"],"default":null}]}
EOF
ev() { # ID OP BEFORE-WHO AFTER-WHO (- = null struct)
	local before=null after=null
	[ "$3" != - ] && before="{\"Value\":{\"id\":$1,\"who\":{\"string\":\"$3\"}}}"
	[ "$4" != - ] && after="{\"Value\":{\"id\":$1,\"who\":{\"string\":\"$4\"}}}"
	printf '{"key":{"id":%d},"value":{"before":%s,"after":%s,"source":{"table":"%s","ts_ms":%d},"op":"%s","ts_ms":{"long":%d}}}\n' \
		"$1" "$before" "$after" "$TB" $((1000 + $1)) "$2" $((2000 + $1))
}
{
	for i in 1 2 3 4 5; do ev $i c - "w$i"; done
	ev 2 u w2 w2b
	ev 1 d w1 -
	printf '{"key":{"id":1},"value":null}\n' # Debezium's tombstone after the delete
	ev 4 d w4 -
	printf '{"key":{"id":4},"value":null}\n'
	ev 6 r - w6
} >"$W/b.lines"
"$BUILD/ksink-produce" --bootstrap "$BS" --registry "$KSINK_REGISTRY_URL" --topic "$SB" \
	--value-schema "$W/b.avsc" --key-schema "$W/b.key.avsc" --partition 0 <"$W/b.lines" 2>>"$W/produce.log"
check_eq "B: change events produced" "$?" 0
api POST /connectors "$(jdbc cb "$SB" insert.mode=upsert pk.mode=record_key delete.enabled=true \
	key.converter=io.confluent.connect.avro.AvroConverter \
	"key.converter.schema.registry.url=$KSINK_REGISTRY_URL" \
	transforms=unwrap,route \
	transforms.unwrap.type=io.debezium.transforms.ExtractNewRecordState \
	transforms.unwrap.add.fields=op,source.ts_ms \
	transforms.route.type=org.apache.kafka.connect.transforms.RegexRouter \
	'transforms.route.regex=dbz\.public\.(.*)' \
	'transforms.route.replacement=$1')"
check_eq "B: connector created" "$CODE" 201
state_b() { psql_q "SELECT string_agg(id || ':' || who || ':' || \"__op\" || ':' || \"__source_ts_ms\", ',' ORDER BY id) FROM \"$TB\"" 2>/dev/null; }
b_done() { [ "$(state_b)" = "2:w2b:u:1002,3:w3:c:1003,5:w5:c:1005,6:w6:r:1006" ]; }
check "B: unwrapped rows upserted, deletes applied" wait_for 60 b_done
check_eq "B: final table state" "$(state_b)" "2:w2b:u:1002,3:w3:c:1003,5:w5:c:1005,6:w6:r:1006"
check "B: offsets reach the end" wait_for 30 offsets_at cb "$SB" 11

# ---------------- C: a transform error, DLQ and tolerance none ----------------
cat >"$W/c.avsc" <<'EOF'
{"type":"record","name":"Coded","namespace":"t0450","fields":[
 {"name":"id","type":"int"},{"name":"code","type":"string"}]}
EOF
printf '{"id":1,"code":"10"}\n{"id":2,"code":"abc"}\n{"id":3,"code":"30"}\n' >"$W/c.lines"
for t in "$SC" "raw.n$TC"; do
	"$BUILD/ksink-produce" --bootstrap "$BS" --registry "$KSINK_REGISTRY_URL" --topic "$t" \
		--value-schema "$W/c.avsc" --partition 0 <"$W/c.lines" 2>>"$W/produce.log"
done
CT=(transforms=route,cast
	transforms.route.type=org.apache.kafka.connect.transforms.RegexRouter
	'transforms.route.regex=raw\.(.*)'
	'transforms.route.replacement=$1'
	'transforms.cast.type=org.apache.kafka.connect.transforms.Cast$Value'
	transforms.cast.spec=code:int32)
api POST /connectors "$(jdbc cc "$SC" insert.mode=insert "${CT[@]}" errors.tolerance=all \
	"errors.deadletterqueue.topic.name=dlq$$" errors.deadletterqueue.context.headers.enable=true)"
check_eq "C: connector with DLQ created" "$CODE" 201
check "C: the good records in the routed table" wait_for 60 has_rows "$TC" 2
check_eq "C: codes cast to integers" "$(psql_q "SELECT string_agg(id || '=' || code, ',' ORDER BY id) FROM \"$TC\"")" "1=10,3=30"
check_eq "C: code column is an integer" \
	"$(psql_q "SELECT data_type FROM information_schema.columns WHERE table_name = '$TC' AND column_name = 'code'")" integer
dlq_has() { [ "$(kcat -C -b "$BS" -t "dlq$$" -p 0 -o beginning -e -q -f '%o\n' 2>/dev/null | wc -l)" -ge 1 ]; }
check "C: the bad record in the DLQ" wait_for 30 dlq_has
kcat -C -b "$BS" -t "dlq$$" -p 0 -o 0 -c 1 -e -q -f '%h' >"$W/dlq.h" 2>/dev/null
hdr() { tr ',' '\n' <"$W/dlq.h" | sed -n "s/^$1=//p" | head -1; }
check_eq "C: DLQ stage" "$(hdr __connect.errors.stage)" TRANSFORMATION
check_eq "C: DLQ class" "$(hdr __connect.errors.class.name)" 'org.apache.kafka.connect.transforms.Cast$Value'
check_eq "C: DLQ original topic (before the router)" "$(hdr __connect.errors.topic)" "$SC"
check_eq "C: DLQ offset" "$(hdr __connect.errors.offset)" 1
check_eq "C: DLQ exception" "$(hdr __connect.errors.exception.class.name)" org.apache.kafka.connect.errors.DataException
check "C: DLQ message" grep -q 'exception.message=Value (abc) was out of range' "$W/dlq.h"
check "C: offsets pass the bad record" wait_for 30 offsets_at cc "$SC" 3
api POST /connectors "$(jdbc cn "raw.n$TC" insert.mode=insert "${CT[@]}")"
check_eq "C: tolerance none connector created" "$CODE" 201
check "C: tolerance none: FAILED naming the record and the transform" wait_for 60 failed_with cn \
	"Tolerance exceeded in error handler: transforming raw.n$TC\\[0\\]@1 with org.apache.kafka.connect.transforms.Cast\\\$Value: Value \\(abc\\)"

# ---------------- D: unknown and unsupported classes ----------------
api POST /connectors "$(jdbc cd "$SC" transforms=x transforms.x.type=com.example.NoSuchTransform)"
check_eq "D: unknown class: 400" "$CODE" 400
check_jq "D: the message names the class and the key" \
	'.message | test("transforms.x.type: Class com.example.NoSuchTransform could not be found")'
api POST /connectors "$(jdbc cd "$SC" transforms=h 'transforms.h.type=org.apache.kafka.connect.transforms.HeaderFrom$Value')"
check_eq "D: unsupported class: 400" "$CODE" 400
check_jq "D: says it is not supported" '.message | test("not supported by ksink")'
api POST /connectors "$(jdbc cd "$SC" transforms=r transforms.r.type=org.apache.kafka.connect.transforms.RegexRouter 'transforms.r.regex=(' transforms.r.replacement=x)"
check_eq "D: bad regex: 400" "$CODE" 400
api GET /connectors/cd
check_eq "D: nothing created" "$CODE" 404
cfg=$(jdbc cd "$SC" transforms=x,c transforms.x.type=com.example.NoSuchTransform \
	'transforms.c.type=org.apache.kafka.connect.transforms.Cast$Value' | jq -c '.config + {"name":"cd"}')
api PUT /connector-plugins/io.confluent.connect.jdbc.JdbcSinkConnector/config/validate "$cfg"
check_eq "D: validate 200" "$CODE" 200
check_jq "D: validate: error on transforms.x.type" \
	'[.configs[] | select(.value.name=="transforms.x.type") | .value.errors[]] | length == 1'
check_jq "D: validate: missing spec on transforms.c.spec" \
	'[.configs[] | select(.value.name=="transforms.c.spec") | .value.errors[] | select(test("Missing required"))] | length == 1'
check_jq "D: validate: error_count" '.error_count == 2'

w_stop
check_eq "exit 0" "$KRC" 0
psql_q "DROP TABLE IF EXISTS \"$TA\", \"$TB\", \"$TC\", \"n$TC\"" >/dev/null
finish
