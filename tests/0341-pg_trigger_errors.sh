#!/usr/bin/env bash
# 0341-pg_trigger_errors.sh — record errors the database raises outside the
# data classes 22/23/42: a BEFORE INSERT trigger that RAISEs (P0001) on some
# rows, and one that raises an internal error (XX000) on some rows every
# time. With errors.tolerance=all and a dead letter queue the good records
# of each batch are written, the raising ones are in the DLQ with the
# trigger's message, and the task stays RUNNING (the XX000 ones only after
# the in-commit retry budget, max.retries). With errors.tolerance=none the
# task goes FAILED with the trigger's message.
source "$(dirname "$0")/lib/lib.sh"
source "$(dirname "$0")/lib/worker.sh"
w_init 0341
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }
TA=t0341a_$$ TN=t0341n_$$ TX=t0341x_$$
w_mock trg:1 trgdlq:1 trgn:1 trgx:1 trgxdlq:1
w_props "$W/w.properties" \
	"value.converter=io.confluent.connect.avro.AvroConverter" \
	"value.converter.schema.registry.url=$KSINK_REGISTRY_URL"
start_ok "worker starts" "$W/w.properties" || finish

cat >"$W/bet.avsc" <<'EOF'
{"type":"record","name":"TriggerBet","fields":[
 {"name":"id","type":"int"},{"name":"name","type":"string"},{"name":"amount","type":"double"}]}
EOF
psql_q "DROP TABLE IF EXISTS \"$TA\", \"$TN\", \"$TX\"" >/dev/null
psql_q "CREATE OR REPLACE FUNCTION ks0341_refuse() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
	IF NEW.name LIKE 'refuse%' THEN
		RAISE EXCEPTION 'ks0341 trigger refuses bet %', NEW.id;
	END IF;
	IF NEW.name LIKE 'internal%' THEN
		RAISE EXCEPTION 'ks0341 internal failure on bet %', NEW.id USING ERRCODE = 'XX000';
	END IF;
	RETURN NEW;
END \$\$" >/dev/null
for tb in "$TA" "$TN" "$TX"; do
	psql_q "CREATE TABLE \"$tb\" (id int NOT NULL, name text, amount double precision)" >/dev/null
	psql_q "CREATE TRIGGER refuse BEFORE INSERT ON \"$tb\" FOR EACH ROW EXECUTE FUNCTION ks0341_refuse()" >/dev/null
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
		--value-schema "$W/bet.avsc" --key-field id --partition 0 2>>"$W/produce.log"
}
rows() { psql_q "SELECT count(*) FROM \"$1\"" 2>/dev/null || echo 0; }
has_rows() { [ "$(rows "$1")" -ge "$2" ]; }
dlq_count() { kcat -C -b "$BS" -t "$1" -p 0 -o beginning -e -q -f '%o\n' 2>/dev/null | wc -l; }
dlq_has() { [ "$(dlq_count "$1")" -ge "$2" ]; }
offsets_at() { # NAME TOPIC N
	curl -s "$URL/connectors/$1/offsets" |
		jq -e "[.offsets[] | select(.partition.kafka_topic==\"$2\") | .offset.kafka_offset] | add == $3" >/dev/null
}
mix() { # BADWORD: 60 bets, every 7th one named BADWORD-<id>
	for i in $(seq 1 60); do
		if [ $((i % 7)) = 0 ]; then echo "{\"id\":$i,\"name\":\"$1-$i\",\"amount\":1}"
		else echo "{\"id\":$i,\"name\":\"ok$i\",\"amount\":$i.5}"; fi
	done
}
N=60 BAD=8 GOOD=52

# --- P0001, tolerance=all: good rows in the table, the refused ones in the DLQ ---
mix refuse | prod trg
api POST /connectors "$(jdbc ta trg "$TA" errors.tolerance=all \
	errors.deadletterqueue.topic.name=trgdlq errors.deadletterqueue.context.headers.enable=true)"
check_eq "P0001 connector created" "$CODE" 201
check "P0001: every good record in the table" wait_for 60 has_rows "$TA" "$GOOD"
check "P0001: offsets reach the end of the partition" wait_for 60 offsets_at ta trg "$N"
check "P0001: the refused records in the DLQ" wait_for 30 dlq_has trgdlq "$BAD"
inrows=$(rows "$TA") indlq=$(dlq_count trgdlq)
echo "# P0001: produced $N (refused $BAD) / in table $inrows / in DLQ $indlq"
check_eq "P0001: table holds the $GOOD good records" "$inrows" "$GOOD"
check_eq "P0001: no refused record in the table" "$(psql_q "SELECT count(*) FROM \"$TA\" WHERE name LIKE 'refuse%'")" 0
check_eq "P0001: DLQ holds the $BAD refused records" "$indlq" "$BAD"
kcat -C -b "$BS" -t trgdlq -p 0 -o beginning -e -q -f '%h\n' >"$W/trgdlq.h" 2>/dev/null
check "P0001: DLQ message carries the trigger's text" grep -q 'exception.message=[^,]*ks0341 trigger refuses bet' "$W/trgdlq.h"
check_eq "P0001: DLQ offsets are the refused ones" \
	"$(grep -o '__connect.errors.offset=[0-9]*' "$W/trgdlq.h" | cut -d= -f2 | sort -n | tr '\n' ' ')" \
	"6 13 20 27 34 41 48 55 "
api GET /connectors/ta/status
check_jq "P0001: task RUNNING" '.tasks[0].state=="RUNNING"'

# --- P0001, tolerance=none: FAILED with the trigger's message ---
mix refuse | prod trgn
api POST /connectors "$(jdbc tn trgn "$TN")"
check_eq "tolerance none connector created" "$CODE" 201
failed() { curl -s "$URL/connectors/tn/status" | jq -e '.tasks[0].state=="FAILED" and (.tasks[0].trace | test("ks0341 trigger refuses bet 7"))' >/dev/null; }
check "P0001, tolerance none: FAILED with the trigger's message" wait_for 60 failed
echo "# tolerance none trace: $(curl -s "$URL/connectors/tn/status" | jq -r '.tasks[0].trace' | head -1 | cut -c1-200)"
check_eq "P0001, tolerance none: nothing from the bad record on written" "$(psql_q "SELECT count(*) FROM \"$TN\" WHERE id >= 7")" 0

# --- XX000 on the same rows every time: DLQ after the retry budget ---
mix internal | prod trgx
api POST /connectors "$(jdbc tx trgx "$TX" errors.tolerance=all max.retries=2 retry.backoff.ms=100 \
	errors.deadletterqueue.topic.name=trgxdlq errors.deadletterqueue.context.headers.enable=true)"
check_eq "XX000 connector created" "$CODE" 201
check "XX000: every good record in the table" wait_for 90 has_rows "$TX" "$GOOD"
check "XX000: offsets reach the end of the partition" wait_for 60 offsets_at tx trgx "$N"
check "XX000: the failing records in the DLQ" wait_for 30 dlq_has trgxdlq "$BAD"
inrows=$(rows "$TX") indlq=$(dlq_count trgxdlq)
echo "# XX000: produced $N (raising $BAD) / in table $inrows / in DLQ $indlq"
check_eq "XX000: table holds the $GOOD good records" "$inrows" "$GOOD"
check_eq "XX000: DLQ holds the $BAD raising records" "$indlq" "$BAD"
kcat -C -b "$BS" -t trgxdlq -p 0 -o beginning -e -q -f '%h\n' >"$W/trgxdlq.h" 2>/dev/null
check "XX000: DLQ message carries the error" grep -q 'exception.message=[^,]*ks0341 internal failure' "$W/trgxdlq.h"
api GET /connectors/tx/status
check_jq "XX000: task RUNNING" '.tasks[0].state=="RUNNING"'

w_stop
check_eq "exit 0" "$KRC" 0
psql_q "DROP TABLE IF EXISTS \"$TA\", \"$TN\", \"$TX\"" >/dev/null
psql_q "DROP FUNCTION IF EXISTS ks0341_refuse()" >/dev/null
finish
