#!/usr/bin/env bash
# 0210-produce_bets.sh — ksink-produce against mock Kafka and the registry
# stand-in: the seed tote-pool bets arrive Confluent-framed with the id the
# registry gave <topic>-value and byte-exact Avro; keys (--key-field,
# --key-string, --key-schema), tombstones, --format json, and the errors.
source "$(dirname "$0")/lib/lib.sh"

SEED=$ROOT/demo/data
BETS_AVSC=$SEED/tote_win_bets-value.avsc
PROD=$BUILD/ksink-produce
B=$KSINK_BOOTSTRAP
R=$KSINK_REGISTRY_URL
T=t0210_$$
TMP=$KSINK_TEST_OUT/0210
mkdir -p "$TMP"
# the 9 bets the seed demo posts: post_bets.sh, then post_bets_large.sh
cat "$SEED/post_bets.jsonl" "$SEED/post_bets_large.jsonl" >"$TMP/bets.jsonl"

hex() { od -An -v -tx1 | tr -d ' \n'; }
consume() { kcat -C -b "$B" -q -e -o beginning "$@"; }

# --- the seed bets, into partition 0 ---
"$PROD" --bootstrap "$B" --registry "$R" --topic "$T" --value-schema "$BETS_AVSC" --partition 0 \
	<"$TMP/bets.jsonl" 2>"$TMP/bets.err"
check_eq "produce exits 0" "$?" 0
check_eq "summary line" "$(grep -o '^produced [0-9]* records to [^ ]*' "$TMP/bets.err")" "produced 9 records to $T"
check_eq "9 records" "$(consume -t "$T" -f '%p|%k|%S\n' | wc -l)" 9
check_eq "no key, 18-byte values, partition 0" "$(consume -t "$T" -f '%p|%K|%S\n' | sort -u)" "0|-1|18"
ID=$(curl -s "$R/subjects/$T-value/versions/latest" | jq -r .id)
check "registered under $T-value" test "$ID" -gt 0
first=$(consume -t "$T" -p 0 -c 1 -f '%s' | hex)
check_eq "magic byte 0" "${first:0:2}" 00
check_eq "schema id bytes" "${first:2:8}" "$(printf '%08x' "$ID")"
# RUNNER_ID ["null","int"] branch 1 (02) int 1 (02); RACE_ID 02 00; AMOUNT 02 + 25.0 LE
check_eq "first bet body byte-exact" "${first:10}" "02020200020000000000003940"
last=$(consume -t "$T" -p 0 -o 8 -c 1 -f '%s' | hex)
# runner 2 (04), race 0, amount 0.0
check_eq "last bet body byte-exact" "${last:10}" "02040200020000000000000000"
neg=$(consume -t "$T" -p 0 -o 6 -c 1 -f '%s' | hex)
check_eq "negative double (-20.0)" "${neg:10}" "020402000200000000000034c0"

# --- the same schema again: same id, one version ---
"$PROD" --bootstrap "$B" --registry "$R" --topic "$T" --value-schema "$BETS_AVSC" \
	<"$TMP/bets.jsonl" 2>/dev/null
check_eq "second run keeps one version" "$(curl -s "$R/subjects/$T-value/versions")" "[1]"
check_eq "18 records after the second run" "$(consume -t "$T" -f '%S\n' | wc -l)" 18

# --- a registry restart mid-stream: the next run frames with the same id ---
"$ROOT/tests/stack.sh" restart registry --dir "$KSINK_STACK_DIR" >/dev/null 2>&1
check "registry back" wait_for 10 curl -sf "$R/subjects"
"$PROD" --bootstrap "$B" --registry "$R" --topic "$T" --value-schema "$BETS_AVSC" --partition 0 \
	<"$TMP/bets.jsonl" 2>/dev/null
check_eq "produce after the restart exits 0" "$?" 0
after=$(consume -t "$T" -p 0 -o -1 -c 1 -f '%s' | hex)
check_eq "same schema id after the restart" "${after:0:10}" "00$(printf '%08x' "$ID")"

# --- --key-field: keys are the field's text, equal keys on equal partitions ---
T2=${T}_keyed
awk 'BEGIN { for (i = 0; i < 200; i++)
	printf "{\"RUNNER_ID\":{\"int\":%d},\"RACE_ID\":{\"int\":%d},\"AMOUNT\":{\"double\":%d.5}}\n", i % 9, i, i }' \
	>"$TMP/keyed.jsonl"
"$PROD" --bootstrap "$B" --registry "$R" --topic "$T2" --value-schema "$BETS_AVSC" \
	--key-field RUNNER_ID <"$TMP/keyed.jsonl" 2>"$TMP/keyed.err"
check_eq "keyed produce exits 0" "$?" 0
consume -t "$T2" -f '%k %p\n' | sort -u >"$TMP/keyed.kp"
check_eq "9 distinct keys" "$(cut -d' ' -f1 "$TMP/keyed.kp" | sort -u | tr '\n' ,)" "0,1,2,3,4,5,6,7,8,"
check_eq "each key on exactly one partition" "$(wc -l <"$TMP/keyed.kp")" 9
check "keys spread over more than one partition" test "$(cut -d' ' -f2 "$TMP/keyed.kp" | sort -u | wc -l)" -gt 1

# --- --key-string: KEY<TAB>VALUE, and "null" values are tombstones ---
T3=${T}_tomb
printf 'bet-1\t{"RUNNER_ID":{"int":1},"RACE_ID":null,"AMOUNT":{"double":1.0}}\nbet-1\tnull\n' |
	"$PROD" --bootstrap "$B" --registry "$R" --topic "$T3" --value-schema "$BETS_AVSC" --key-string \
		2>"$TMP/tomb.err"
check_eq "key-string produce exits 0" "$?" 0
check_eq "record then tombstone, same key" "$(consume -t "$T3" -Z -f '%k|%S\n')" "$(printf 'bet-1|17\nbet-1|-1')"
check_eq "RACE_ID null is union branch 0" \
	"$(consume -t "$T3" -c 1 -f '%s' | hex | cut -c11-)" "02020002000000000000f03f"

# --- --key-schema: Avro keys under <topic>-key ---
T4=${T}_avrokey
echo '"string"' >"$TMP/key.avsc"
printf '{"key":"abc","value":{"RUNNER_ID":{"int":3},"RACE_ID":{"int":4},"AMOUNT":{"double":2.0}}}\n{"key":"abc","value":null}\n' |
	"$PROD" --bootstrap "$B" --registry "$R" --topic "$T4" --value-schema "$BETS_AVSC" \
		--key-schema "$TMP/key.avsc" 2>"$TMP/avrokey.err"
check_eq "key-schema produce exits 0" "$?" 0
KID=$(curl -s "$R/subjects/$T4-key/versions/latest" | jq -r .id)
check "key schema registered under $T4-key" test "$KID" -gt 0
check_eq "Avro key bytes" "$(consume -t "$T4" -c 1 -f '%k' | hex)" "00$(printf '%08x' "$KID")06616263"
check_eq "tombstone with an Avro key" "$(consume -t "$T4" -Z -f '%S\n' | tr '\n' ,)" "18,-1,"

# --- other Avro types: enum, bytes, array, map, nested record, long, string ---
T5=${T}_types
cat >"$TMP/types.avsc" <<'EOF'
{"type":"record","name":"Everything","namespace":"ks.test","fields":[
 {"name":"e","type":{"type":"enum","name":"Colour","symbols":["RED","GREEN"]}},
 {"name":"b","type":"bytes"},
 {"name":"a","type":{"type":"array","items":"long"}},
 {"name":"m","type":{"type":"map","values":"string"}},
 {"name":"r","type":["null",{"type":"record","name":"Inner","fields":[{"name":"x","type":"boolean"}]}]},
 {"name":"s","type":"string"}]}
EOF
echo '{"e":"GREEN","b":"\u0001\u00ff","a":[1,-1],"m":{"k":"v"},"r":{"ks.test.Inner":{"x":true}},"s":"hé"}' |
	"$PROD" --bootstrap "$B" --registry "$R" --topic "$T5" --value-schema "$TMP/types.avsc" --partition 0 \
		2>"$TMP/types.err"
check_eq "types produce exits 0" "$?" 0
# enum 1 -> 02; bytes len 2 (04) 01 ff; array: block 2 (04) 02 01, end 00;
# map: block 1 (02) "k" (02 6b) "v" (02 76), end 00; union 1 (02) true (01); "hé" (06 68 c3 a9)
check_eq "types byte-exact" "$(consume -t "$T5" -c 1 -f '%s' | hex | cut -c11-)" \
	"020401ff0402010002026b02760002010668c3a9"

# --- missing fields take their declared defaults (nested, namespaced records too) ---
T7=${T}_defaults
cat >"$TMP/defaults.avsc" <<'EOF'
{"type":"record","name":"D","namespace":"n1","fields":[
 {"name":"a","type":"int","default":7},
 {"name":"b","type":["string","null"],"default":"x"},
 {"name":"c","type":{"type":"record","name":"Sub","fields":[{"name":"z","type":"long","default":-1}]}},
 {"name":"d","type":{"type":"array","items":{"type":"record","name":"o.El","fields":[{"name":"q","type":"boolean","default":true}]}}},
 {"name":"e","type":"string"}]}
EOF
echo '{"e":"E","d":[{}],"c":{}}' |
	"$PROD" --bootstrap "$B" --registry "$R" --topic "$T7" --value-schema "$TMP/defaults.avsc" 2>"$TMP/defaults.err"
check_eq "defaults produce exits 0" "$?" 0
# a=7 (0e); b branch 0 "x" (00 02 78); c.z=-1 (01); d: 1 item (02) q=true (01), end 00; e "E" (02 45)
check_eq "defaults byte-exact" "$(consume -t "$T7" -c 1 -f '%s' | hex | cut -c11-)" "0e000278010201000245"
echo '{"d":[]}' | "$PROD" --count-only --topic "$T7" --value-schema "$TMP/defaults.avsc" 2>"$TMP/defaults2.err"
check "a missing field without default is an error" grep -q 'line 1: \$.c: missing field' "$TMP/defaults2.err"

# --- --format json: lines as they are, no registry ---
T6=${T}_json
printf '{"id":1,"name":"x"}\n{"id":2,"name":"y"}\n' |
	"$PROD" --bootstrap "$B" --topic "$T6" --format json --key-field id 2>"$TMP/json.err"
check_eq "json produce exits 0" "$?" 0
check_eq "json values as sent" "$(consume -t "$T6" -f '%k=%s\n' | sort)" \
	"$(printf '1={"id":1,"name":"x"}\n2={"id":2,"name":"y"}')"
check_eq "json mode registers nothing" "$(curl -s -o /dev/null -w '%{http_code}' "$R/subjects/$T6-value/versions")" 404

# --- errors name the line and exit non-zero ---
printf '{"RUNNER_ID":{"int":1},"RACE_ID":null,"AMOUNT":null}\n\n{"RUNNER_ID":"one"}\n' |
	"$PROD" --bootstrap "$B" --registry "$R" --topic "${T}_bad" --value-schema "$BETS_AVSC" 2>"$TMP/bad.err"
check_eq "bad value exits 1" "$?" 1
check "bad value names line 3 and the field" grep -q 'line 3: \$.RUNNER_ID' "$TMP/bad.err"
printf '{"RUNNER_ID":{"int":1}}\n{oops\n' |
	"$PROD" --bootstrap "$B" --registry "$R" --topic "${T}_bad" --value-schema "$BETS_AVSC" 2>"$TMP/bad2.err"
check_eq "bad JSON exits 1" "$?" 1
check "bad JSON names line 2" grep -q 'line 2: bad JSON' "$TMP/bad2.err"
printf '{"RUNNER_ID":{"int":1},"EXTRA":1}\n' |
	"$PROD" --bootstrap "$B" --registry "$R" --topic "${T}_bad" --value-schema "$BETS_AVSC" 2>"$TMP/bad3.err"
check "unknown field is an error" grep -q 'unknown field "EXTRA"' "$TMP/bad3.err"
echo null | "$PROD" --bootstrap "$B" --registry "$R" --topic "${T}_bad" --value-schema "$BETS_AVSC" \
	2>"$TMP/bad4.err"
check "tombstone without a key is an error" grep -q 'needs a key' "$TMP/bad4.err"
echo '{"type":"record"}' >"$TMP/broken.avsc"
echo '{}' | "$PROD" --bootstrap "$B" --registry "$R" --topic "${T}_bad" --value-schema "$TMP/broken.avsc" \
	2>"$TMP/bad5.err"
check_eq "invalid schema file exits 1" "$?" 1
echo '{"RUNNER_ID":{"int":1}}' | "$PROD" --bootstrap 127.0.0.1:1 --registry "$R" --topic "${T}_bad" \
	--value-schema "$BETS_AVSC" -X message.timeout.ms=1500 2>"$TMP/bad6.err"
check_eq "undeliverable exits 1" "$?" 1
check "undeliverable names the line" grep -q 'not delivered (first: line 1' "$TMP/bad6.err"
echo '{}' | "$PROD" --bootstrap "$B" --registry http://127.0.0.1:1 --topic "${T}_bad" \
	--value-schema "$BETS_AVSC" 2>"$TMP/bad7.err" &
pid=$!
check "registry down: waits then fails" wait_for 30 bash -c "! kill -0 $pid"
wait $pid
check_eq "registry down exits 1" "$?" 1

finish
