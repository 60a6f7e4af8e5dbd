#!/usr/bin/env bash
# 0451-transform_script_e2e.sh — io.ksink.transforms.Script through the
# worker, the JDBC sink and Postgres, with Avro records from the registry
# stand-in:
#  A. one script masks the email, drops orders over 1000 and routes by region
#     (orders_eu / orders_us tables); among the records, one hits a runtime
#     error (a nil index) and one loops forever: with errors.tolerance=all
#     both go to the DLQ with stage TRANSFORMATION, class
#     io.ksink.transforms.Script and a message naming the record and the
#     script line (or the timeout), while every other record is written and
#     the offsets reach the end;
#  B. a syntax error: POST /connectors is a 400 whose message has the Lua
#     line; the validate endpoint reports it on transforms.js.script.
# kafka-tiers: mock
source "$(dirname "$0")/lib/lib.sh"
source "$(dirname "$0")/lib/worker.sh"
source "$(dirname "$0")/lib/faults.sh"
w_init 0451
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }
S=shop.orders_$$
EU=orders_eu_$$
US=orders_us_$$
DLQ=dlq0451_$$
w_kafka "$S:1" "$DLQ:1"
w_props "$W/w.properties" \
	"value.converter=io.confluent.connect.avro.AvroConverter" \
	"value.converter.schema.registry.url=$KSINK_REGISTRY_URL"
start_ok "worker starts" "$W/w.properties" || finish
psql_q "DROP TABLE IF EXISTS \"$EU\", \"$US\"" >/dev/null

cat >"$W/o.avsc" <<'EOF'
{"type":"record","name":"Order","namespace":"t0451","fields":[
 {"name":"id","type":"int"},{"name":"email","type":"string"},
 {"name":"region","type":"string"},{"name":"amount","type":"long"}]}
EOF
# 20 orders: every 5th over 1000 (dropped); id 7 region "boom" (runtime
# error), id 13 region "spin" (runaway loop); even ids eu, odd ids us
{
	for i in $(seq 1 20); do
		region=$([ $((i % 2)) -eq 0 ] && echo eu || echo us)
		[ "$i" -eq 7 ] && region=boom
		[ "$i" -eq 13 ] && region=spin
		amount=$([ $((i % 5)) -eq 0 ] && echo 5000 || echo $((i * 10)))
		printf '{"id":%d,"email":"user%d@example.com","region":"%s","amount":%d}\n' \
			"$i" "$i" "$region" "$amount"
	done
} >"$W/o.lines"
"$BUILD/ksink-produce" --bootstrap "$BS" --registry "$KSINK_REGISTRY_URL" --topic "$S" \
	--value-schema "$W/o.avsc" --partition 0 <"$W/o.lines" 2>>"$W/produce.log"
check_eq "A: orders produced" "$?" 0

SCRIPT="function transform(r)
  local v = r.value
  if v.amount > 1000 then return nil end
  if v.region == 'spin' then while true do end end
  if v.region == 'boom' then return v.nothing.here end
  v.email = v.email:gsub('^[^@]+', '***')
  r.topic = 'orders_' .. v.region .. '_$$'
  return r
end"
api POST /connectors "$(f_jdbc cs "$S" batch.size=50 transforms=js \
	transforms.js.type=io.ksink.transforms.Script "transforms.js.script=$SCRIPT" \
	transforms.js.timeout.ms=300 errors.tolerance=all \
	"errors.deadletterqueue.topic.name=$DLQ" errors.deadletterqueue.context.headers.enable=true)"
check_eq "A: connector created" "$CODE" 201
# expected: ids 1..20 minus 5,10,15,20 (dropped) minus 7,13 (DLQ)
both_done() { f_has_rows "$EU" 8 && f_has_rows "$US" 6; }
check "A: routed tables filled" wait_for 60 both_done
check_eq "A: eu rows (even ids, not over 1000)" \
	"$(psql_q "SELECT string_agg(id::text, ',' ORDER BY id) FROM \"$EU\"")" "2,4,6,8,12,14,16,18"
check_eq "A: us rows (odd ids, without the error and the loop)" \
	"$(psql_q "SELECT string_agg(id::text, ',' ORDER BY id) FROM \"$US\"")" "1,3,9,11,17,19"
check_eq "A: emails masked" \
	"$(psql_q "SELECT count(*) FROM (SELECT email FROM \"$EU\" UNION ALL SELECT email FROM \"$US\") e WHERE email = '***@example.com'")" 14
check_eq "A: nothing over 1000 written" \
	"$(psql_q "SELECT count(*) FROM (SELECT amount FROM \"$EU\" UNION ALL SELECT amount FROM \"$US\") e WHERE amount > 1000")" 0
offsets_end() {
	curl -s "$URL/connectors/cs/offsets" |
		jq -e --arg t "$S" '[.offsets[] | select(.partition.kafka_topic==$t) | .offset.kafka_offset] | add == 20' >/dev/null
}
check "A: offsets reach the end" wait_for 30 offsets_end
dlq_n() { kcat -C -b "$BS" -t "$DLQ" -p 0 -o beginning -e -q -f '%o\n' 2>/dev/null | wc -l; }
dlq_has() { [ "$(dlq_n)" -ge 2 ]; }
check "A: two records in the DLQ" wait_for 30 dlq_has
check_eq "A: exactly two" "$(dlq_n)" 2
for n in 0 1; do
	kcat -C -b "$BS" -t "$DLQ" -p 0 -o $n -c 1 -e -q -f '%h' >"$W/dlq$n.h" 2>/dev/null
done
hdr() { tr ',' '\n' <"$W/dlq$1.h" | sed -n "s/^$2=//p" | head -1; }
for n in 0 1; do
	check_eq "A: DLQ $n stage" "$(hdr $n __connect.errors.stage)" TRANSFORMATION
	check_eq "A: DLQ $n class" "$(hdr $n __connect.errors.class.name)" io.ksink.transforms.Script
	check_eq "A: DLQ $n topic" "$(hdr $n __connect.errors.topic)" "$S"
done
check_eq "A: DLQ offsets: the error (id 7) then the loop (id 13)" \
	"$(hdr 0 __connect.errors.offset),$(hdr 1 __connect.errors.offset)" "6,12"
echo "# DLQ 0: $(hdr 0 __connect.errors.exception.message)"
echo "# DLQ 1: $(hdr 1 __connect.errors.exception.message)"
check "A: runtime error names the record and the script line" \
	grep -q "exception.message=script failed on $S\[0\]@6: script:5: attempt to index a nil value (field 'nothing')" "$W/dlq0.h"
check "A: the runaway loop timed out at its line" \
	grep -q "exception.message=script failed on $S\[0\]@12: script:4: timed out after 300 ms" "$W/dlq1.h"
check_jq_status() { curl -s "$URL/connectors/cs/status" | jq -e '.tasks[0].state=="RUNNING"' >/dev/null; }
check "A: the task is still RUNNING" check_jq_status

# ---------------- B: a syntax error ----------------
BAD="function transform(r)
  local v = r.value
  v.x = = 1
  return r
end"
api POST /connectors "$(f_jdbc cbad "$S" transforms=js transforms.js.type=Script "transforms.js.script=$BAD")"
check_eq "B: syntax error: 400" "$CODE" 400
echo "# POST /connectors: $(jq -r .message <<<"$BODY" | tr '\n' ' ')"
check_jq "B: the message has the key and the Lua line" \
	'.message | test("transforms.js.script.*Lua syntax error: script:3: unexpected symbol near \u0027=\u0027")'
api GET /connectors/cbad
check_eq "B: nothing created" "$CODE" 404
cfg=$(f_jdbc cbad "$S" transforms=js transforms.js.type=io.ksink.transforms.Script \
	"transforms.js.script=$BAD" | jq -c '.config + {"name":"cbad"}')
api PUT /connector-plugins/io.confluent.connect.jdbc.JdbcSinkConnector/config/validate "$cfg"
check_eq "B: validate answers" "$CODE" 200
check_jq "B: validate: the error on transforms.js.script with the line" \
	'[.configs[] | select(.value.name=="transforms.js.script") | .value.errors[] | select(test("script:3: unexpected symbol"))] | length == 1'
check_jq "B: validate: error_count" '.error_count == 1'

w_stop
check_eq "exit 0" "$KRC" 0
psql_q "DROP TABLE IF EXISTS \"$EU\", \"$US\"" >/dev/null
finish
