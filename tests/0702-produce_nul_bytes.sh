#!/usr/bin/env bash
# 0702-produce_nul_bytes.sh — ksink-produce sends every byte value, 0x00
# included, in Avro bytes and fixed: the Avro JSON form "\u0000" is one zero
# byte (jansson refuses it unless asked). Positive decimals whose two's
# complement holds zero bytes — a fixed(8) decimal(18,2) and a bytes
# decimal(10,2) — go through the registry, the Avro converter and the JDBC
# sink into NUMERIC columns and come back as the numbers they encode.
source "$(dirname "$0")/lib/lib.sh"
source "$(dirname "$0")/lib/worker.sh"
source "$(dirname "$0")/lib/faults.sh"
w_init 0702
w_kafka nulbytes:1
f_init
cat >"$W/dec.avsc" <<'JSON'
{"type":"record","name":"NulDec","namespace":"io.ksink.test","fields":[
 {"name":"ID","type":"long"},
 {"name":"AMOUNT","type":{"type":"fixed","name":"Amount8","size":8,
   "logicalType":"decimal","precision":18,"scale":2}},
 {"name":"SMALL","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
 {"name":"RAW","type":"bytes"}]}
JSON
# 12345678 = 0x0000000000BC614E -> 123456.78; 256 = 0x0100 -> 2.56;
# 0x000100000000FF00 = 281474976775936 -> 2814749767759.36; 0x00FF -> 2.55
cat >"$W/dec.jsonl" <<'JSON'
{"ID":1,"AMOUNT":"\u0000\u0000\u0000\u0000\u0000\u00bc\u0061\u004e","SMALL":"\u0001\u0000","RAW":"\u0000a\u0000"}
{"ID":2,"AMOUNT":"\u0000\u0001\u0000\u0000\u0000\u0000\u00ff\u0000","SMALL":"\u0000\u00ff","RAW":"\u0000"}
JSON
start_ok "worker starts" "$W/w.properties" || finish
if out=$("$BUILD/ksink-produce" --bootstrap "$BS" --registry "$KSINK_REGISTRY_URL" \
	--topic nulbytes --value-schema "$W/dec.avsc" <"$W/dec.jsonl" 2>&1); then
	ok "ksink-produce accepts \\u0000 in fixed and bytes"
else
	not_ok "ksink-produce accepts \\u0000 in fixed and bytes" "$(tail -2 <<<"$out" | tr '\n' ' ')"
fi
api POST /connectors "$(f_jdbc nuljdbc nulbytes)"
check_eq "JDBC sink created" "$CODE" 201
check "2 rows arrive" wait_for 30 f_has_rows nulbytes 2
rows=$(psql_q 'SELECT "ID", "AMOUNT", "SMALL", encode("RAW", '"'hex'"') FROM nulbytes ORDER BY "ID"' | tr '\n' ' ')
echo "# rows: $rows"
check_eq "decimals with zero bytes decode to their values" "$rows" \
	"1|123456.78|2.56|006100 2|2814749767759.36|2.55|00 "
check_eq "AMOUNT is NUMERIC" \
	"$(psql_q "SELECT data_type FROM information_schema.columns WHERE table_name = 'nulbytes' AND column_name = 'AMOUNT'")" numeric
w_stop
finish
