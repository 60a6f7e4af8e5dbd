#!/usr/bin/env bash
# 0550-dlq_poison.sh — a poison mix on one partition: valid Avro records
# interleaved with records that cannot be converted (bad magic byte, unknown
# schema id, truncated Avro) and valid records the database refuses (too long
# for varchar(8): 22001; negative amount vs a CHECK: 23514). With
# errors.tolerance=all and a dead letter queue, every valid record is in the
# table exactly once, every bad one is in the DLQ exactly once with its
# original bytes and Connect's __connect.errors.* headers, and the counts add
# up. With errors.tolerance=none the task goes FAILED naming the record and
# the offsets stay at the last committed batch.
# kafka-tiers: mock real (tests/run.sh: also run against the real broker)
source "$(dirname "$0")/lib/worker_test.sh"
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }
T=t0550_$$
TN=t0550n_$$
w_kafka poison:1 pdlq:1 pnone:1
w_props "$W/w.properties" \
	"value.converter=io.confluent.connect.avro.AvroConverter" \
	"value.converter.schema.registry.url=$KSINK_REGISTRY_URL"
start_ok "worker starts" "$W/w.properties" || finish

cat >"$W/bet.avsc" <<'EOF'
{"type":"record","name":"PoisonBet","fields":[
 {"name":"id","type":"int"},{"name":"name","type":"string"},{"name":"amount","type":"double"}]}
EOF
psql_q "DROP TABLE IF EXISTS \"$T\", \"$TN\"" >/dev/null
psql_q "CREATE TABLE \"$T\" (id int NOT NULL, name varchar(8), amount double precision CHECK (amount >= 0))" >/dev/null
psql_q "CREATE TABLE \"$TN\" (id int NOT NULL, name varchar(8), amount double precision)" >/dev/null

jdbc() { # NAME TOPIC TABLE [k=v ...]
	local name=$1 topic=$2 table=$3 cfg; shift 3
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

# --- the mix: 10 rounds of 20 valid, 2 SQL-violating, 3 unconvertible ---
ROUNDS=10
: >"$W/expect_bad" # offset<TAB>stage<TAB>file with the original value bytes
off=0 valid=0 sqlbad=0 convbad=0
echo '{"id":0,"name":"seed","amount":0}' | prod poison
off=1 valid=1
SID=$(curl -s "$KSINK_REGISTRY_URL/subjects/poison-value/versions/latest" | jq -r .id)
check "schema registered" test -n "$SID" -a "$SID" != null
for r in $(seq 1 $ROUNDS); do
	{
		for i in $(seq 1 10); do echo "{\"id\":$((r * 100 + i)),\"name\":\"ok$i\",\"amount\":$i.5}"; done
		echo "{\"id\":$((r * 100 + 50)),\"name\":\"far-too-long-for-eight\",\"amount\":1}"
		for i in $(seq 11 20); do echo "{\"id\":$((r * 100 + i)),\"name\":\"ok$i\",\"amount\":$i.5}"; done
		echo "{\"id\":$((r * 100 + 60)),\"name\":\"neg\",\"amount\":-$r}"
	} | prod poison
	# offsets of the two SQL-violating records in this round
	printf '%s\tTASK_PUT\t\n' $((off + 10)) >>"$W/expect_bad"
	printf '%s\tTASK_PUT\t\n' $((off + 21)) >>"$W/expect_bad"
	off=$((off + 22)) valid=$((valid + 20)) sqlbad=$((sqlbad + 2))
	# three records the converter refuses, as raw bytes (one message per file)
	printf 'not avro at all %d' "$r" >"$W/bad.$r.magic"
	printf '\x00\x00\x01\x86\x9f\x02\x06abc' >"$W/bad.$r.unknown"  # schema id 99999
	printf "\\x00$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' 0 0 $((SID / 256)) $((SID % 256)))\\x02\\x10ab" >"$W/bad.$r.trunc"
	kcat -P -b "$BS" -t poison -p 0 -k "bad$r" "$W/bad.$r.magic" "$W/bad.$r.unknown" "$W/bad.$r.trunc" 2>>"$W/produce.log"
	for f in magic unknown trunc; do
		printf '%s\tVALUE_CONVERTER\t%s\n' "$off" "$W/bad.$r.$f" >>"$W/expect_bad"
		off=$((off + 1)) convbad=$((convbad + 1))
	done
done
N=$off
BAD=$((sqlbad + convbad))

api POST /connectors "$(jdbc pz poison "$T" errors.tolerance=all \
	errors.deadletterqueue.topic.name=pdlq errors.deadletterqueue.context.headers.enable=true \
	errors.log.enable=true errors.log.include.messages=true)"
check_eq "connector with DLQ created" "$CODE" 201
check "every valid record in the table" wait_for 90 has_rows "$T" "$valid"
lastoff() { curl -s "$URL/connectors/pz/offsets" | jq -e "[.offsets[] | select(.partition.kafka_topic==\"poison\") | .offset.kafka_offset] | add == $N" >/dev/null; }
check "offsets reach the end of the partition" wait_for 60 lastoff
inrows=$(rows "$T")
dups=$(psql_q "SELECT count(*) - count(DISTINCT id) FROM \"$T\"")
check_eq "table: $valid valid records" "$inrows" "$valid"
check_eq "table: no duplicates" "$dups" 0
check_eq "table: no refused record" "$(psql_q "SELECT count(*) FROM \"$T\" WHERE amount < 0 OR id % 100 IN (50, 60)")" 0

# the DLQ: one record per bad record, with headers and original bytes. The
# stack trace header holds a newline, so each record is read on its own.
kcat -C -b "$BS" -t pdlq -p 0 -o beginning -e -q -f '%o\n' >"$W/dlq.offs" 2>/dev/null
indlq=$(wc -l <"$W/dlq.offs")
mkdir -p "$W/dlq"
while read -r d; do
	kcat -C -b "$BS" -t pdlq -p 0 -o "$d" -c 1 -e -q -f '%h' >"$W/dlq/$d.h" 2>/dev/null
	kcat -C -b "$BS" -t pdlq -p 0 -o "$d" -c 1 -e -q -f '%k' >"$W/dlq/$d.k" 2>/dev/null
	kcat -C -b "$BS" -t pdlq -p 0 -o "$d" -c 1 -e -q -f '%s' >"$W/dlq/$d.v" 2>/dev/null
	o=$(grep -o '__connect.errors.offset=[0-9]*' "$W/dlq/$d.h" | cut -d= -f2)
	echo "$o $d" >>"$W/dlq.map"
done <"$W/dlq.offs"
dlqdups=$(cut -d' ' -f1 "$W/dlq.map" | sort | uniq -d | wc -l)
echo "# produced $N (valid $valid, SQL-violating $sqlbad, unconvertible $convbad) / in table $inrows / in DLQ $indlq / duplicates $dups in table, $dlqdups in DLQ"
check_eq "DLQ: $BAD records" "$indlq" "$BAD"
check_eq "DLQ: no duplicates" "$dlqdups" 0
check_eq "counts add up: table + DLQ = produced" $((inrows + indlq)) "$N"
hdr() { # DLQ-OFFSET NAME: a header value from kcat's %h (name=value,...)
	tr ',' '\n' <"$W/dlq/$1.h" | sed -n "s/^$2=//p" | head -1
}
hdr_bad=0 bytes_bad=0 first_err=""
while IFS=$'\t' read -r o stage file; do
	d=$(awk -v o="$o" '$1 == o { print $2; exit }' "$W/dlq.map")
	if [ -z "$d" ]; then
		hdr_bad=$((hdr_bad + 1)) bytes_bad=$((bytes_bad + 1))
		[ -n "$first_err" ] || first_err="poison[0]@$o not in the DLQ"
		continue
	fi
	got_stage=$(hdr "$d" __connect.errors.stage)
	exc=$(hdr "$d" __connect.errors.exception.class.name)
	want_exc=org.apache.kafka.connect.errors.DataException
	[ "$stage" = TASK_PUT ] && want_exc=org.postgresql.util.PSQLException
	if [ "$got_stage" != "$stage" ] || [ "$exc" != "$want_exc" ] ||
		[ "$(hdr "$d" __connect.errors.topic)" != poison ] ||
		[ "$(hdr "$d" __connect.errors.partition)" != 0 ] ||
		[ "$(hdr "$d" __connect.errors.connector.name)" != pz ] ||
		[ "$(hdr "$d" __connect.errors.task.id)" != 0 ] ||
		[ -z "$(hdr "$d" __connect.errors.exception.message)" ] ||
		! grep -q '__connect.errors.exception.stacktrace=.' "$W/dlq/$d.h"; then
		hdr_bad=$((hdr_bad + 1))
		[ -n "$first_err" ] || first_err="@$o: want $stage/$want_exc got $got_stage/$exc"
	fi
	if [ -n "$file" ]; then
		want=$file
	else
		kcat -C -b "$BS" -t poison -p 0 -o "$o" -c 1 -e -q -f '%s' >"$W/src.val" 2>/dev/null
		want=$W/src.val
	fi
	cmp -s "$W/dlq/$d.v" "$want" || bytes_bad=$((bytes_bad + 1))
done <"$W/expect_bad"
check_eq "DLQ headers: topic, partition, offset, connector, task, stage, exception ${first_err:+($first_err)}" "$hdr_bad" 0
check_eq "DLQ values: the original bytes" "$bytes_bad" 0
check "DLQ keeps the original key" bash -c "cat '$W'/dlq/*.k | grep -q bad3"
check "class.name names the converter" bash -c "cat '$W'/dlq/*.h | grep -q '__connect.errors.class.name=io.confluent.connect.avro.AvroConverter'"
check "class.name names the sink task" bash -c "cat '$W'/dlq/*.h | grep -q '__connect.errors.class.name=io.confluent.connect.jdbc.sink.JdbcSinkTask'"
check "SQL error message carried (22001)" bash -c "cat '$W'/dlq/*.h | grep -q 'exception.message=[^,]*too long'"
m=$(curl -s "$URL/metrics")
check "metrics: DLQ records counted" grep -q "^ksink_task_dlq_records_total{connector=\"pz\",task=\"0\"} $BAD\$" <<<"$m"
check "metrics: failed records counted" grep -q "^ksink_task_records_failed_total{connector=\"pz\",task=\"0\"} $BAD\$" <<<"$m"
check "errors.log.enable: a line per failure with its position" \
	grep -q "Executing stage 'VALUE_CONVERTER' with class 'io.confluent.connect.avro.AvroConverter', where consumed record is poison\[0\]@" "$W/ksink.log"
check "errors.log.include.messages: the value in the log" grep -q "value=not avro at all" "$W/ksink.log"
api GET /connectors/pz/status
check_jq "task still RUNNING" '.tasks[0].state=="RUNNING"'

# --- restart: nothing read again into the DLQ or the table ---
w_stop
start_ok "worker restarts" "$W/w.properties"
check "connector back" wait_for 30 all_tasks pz RUNNING 1
echo '{"id":9999,"name":"after","amount":1}' | prod poison
check "a record after the restart arrives" wait_for 60 has_rows "$T" $((valid + 1))
check_eq "restart: DLQ unchanged" "$(kcat -C -b "$BS" -t pdlq -p 0 -o beginning -e -q -f '%o\n' 2>/dev/null | wc -l)" "$BAD"

# --- errors.tolerance=none: FAILED with a trace, offsets at the last commit ---
api POST /connectors "$(jdbc pn pnone "$TN")"
check_eq "tolerance none connector created" "$CODE" 201
for i in $(seq 1 30); do echo "{\"id\":$i,\"name\":\"ok\",\"amount\":1}"; done | prod pnone
check "first 30 written" wait_for 60 has_rows "$TN" 30
{
	for i in $(seq 31 35); do echo "{\"id\":$i,\"name\":\"ok\",\"amount\":1}"; done
	echo '{"id":36,"name":"far-too-long-for-eight","amount":1}'
	for i in $(seq 37 40); do echo "{\"id\":$i,\"name\":\"ok\",\"amount\":1}"; done
} | prod pnone
failed() { curl -s "$URL/connectors/pn/status" | jq -e '.tasks[0].state=="FAILED" and (.tasks[0].trace | test("Tolerance exceeded.*pnone\\[0\\]@35"))' >/dev/null; }
check "tolerance none: FAILED naming pnone[0]@35" wait_for 60 failed
check_eq "tolerance none: the failed batch is not written" "$(rows "$TN")" 30
api GET /connectors/pn/offsets
check_jq "tolerance none: offsets stay at the last committed batch (30)" \
	'[.offsets[] | select(.partition.kafka_topic=="pnone") | .offset.kafka_offset] | add == 30'
w_stop
check_eq "exit 0" "$KRC" 0
psql_q "DROP TABLE IF EXISTS \"$T\", \"$TN\"" >/dev/null
finish
