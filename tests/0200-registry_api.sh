#!/usr/bin/env bash
# 0200-registry_api.sh — the schema-registry stand-in's REST API with curl:
# ids, versions, lookup, delete, config, every error code and body shape
# Confluent uses, and ids surviving a restart (--data).
source "$(dirname "$0")/lib/lib.sh"

U=$KSINK_REGISTRY_URL
CT='Content-Type: application/vnd.schemaregistry.v1+json'
SEED=$ROOT/demo/data
P=t0200$$ # subject prefix, unique per run

# req METHOD PATH [BODY] [CONTENT-TYPE] -> "STATUS BODY" on stdout
req() {
	local out code ct=${4:-$CT}
	out=$(mktemp)
	if [ -n "${3:-}" ]; then
		code=$(curl -s -o "$out" -w '%{http_code}' -X "$1" -H "$ct" --data-binary "$3" "$U$2")
	else
		code=$(curl -s -o "$out" -w '%{http_code}' -X "$1" "$U$2")
	fi
	echo "$code $(cat "$out")"
	rm -f "$out"
}
# "STATUS BODY" -> "STATUS ERROR_CODE"
ec() { read -r st bd; echo "$st $(echo "$bd" | jq -r .error_code)"; }
body_of() { jq -cn --arg s "$1" '{schema:$s}'; }

BETS=$(jq -c . "$SEED/tote_win_bets-value.avsc")
ODDS=$(jq -c . "$SEED/tote_win_bet_race_runners_odds-value.avsc")
# the same schema, pretty-printed and with keys in another order
BETS_WS=$(jq -S . "$SEED/tote_win_bets-value.avsc")

r=$(req POST "/subjects/$P-bets-value/versions" "$(body_of "$BETS")")
check_eq "register returns 200" "${r%% *}" 200
ID1=$(echo "${r#* }" | jq -r .id)
check "register returns a positive id" test "$ID1" -gt 0

r=$(req POST "/subjects/$P-bets-value/versions" "$(body_of "$BETS")")
check_eq "re-register returns the same id" "$r" "200 {\"id\":$ID1}"
r=$(req POST "/subjects/$P-bets-value/versions" "$(body_of "$BETS_WS")")
check_eq "whitespace and key order do not change the id" "$r" "200 {\"id\":$ID1}"
r=$(req POST "/subjects/$P-other-value/versions" "$(body_of "$BETS")")
check_eq "same schema under another subject, same id" "$r" "200 {\"id\":$ID1}"
r=$(req POST "/subjects/$P-bets-value/versions" "$(jq -cn --arg s "$BETS" '{schema:$s,schemaType:"AVRO"}')")
check_eq "schemaType AVRO accepted" "$r" "200 {\"id\":$ID1}"

r=$(req POST "/subjects/$P-bets-value/versions" "$(body_of "$ODDS")")
ID2=$(echo "${r#* }" | jq -r .id)
check "a new schema gets a new id" test "$ID2" -gt "$ID1"

check_eq "versions" "$(req GET "/subjects/$P-bets-value/versions")" "200 [1,2]"
r=$(req GET "/subjects/$P-bets-value/versions/latest")
check_eq "latest" "$(echo "${r#* }" | jq -c '[.subject,.version,.id]')" "[\"$P-bets-value\",2,$ID2]"
r=$(req GET "/subjects/$P-bets-value/versions/1")
check_eq "version 1 schema is the compact schema" "$(echo "${r#* }" | jq -r .schema)" "$BETS"
check_eq "version -1 is latest" "$(req GET "/subjects/$P-bets-value/versions/-1" | jq -rR 'split(" ")[1:]|join(" ")|fromjson|.version')" 2
check_eq "version schema (raw)" "$(req GET "/subjects/$P-bets-value/versions/1/schema")" "200 $BETS"
check_eq "schema by id" "$(req GET "/schemas/ids/$ID1")" "200 $(jq -cn --arg s "$BETS" '{schema:$s}')"
check_eq "schema by id (raw)" "$(req GET "/schemas/ids/$ID1/schema")" "200 $BETS"
r=$(req GET "/schemas/ids/$ID1/versions")
check_eq "versions of an id" "$(echo "${r#* }" | jq -c "map(select(.subject|startswith(\"$P\")))|sort_by(.subject)")" \
	"[{\"subject\":\"$P-bets-value\",\"version\":1},{\"subject\":\"$P-other-value\",\"version\":1}]"
r=$(req GET /subjects)
check "subjects lists both" bash -c "echo '${r#* }' | jq -e 'index(\"$P-bets-value\") and index(\"$P-other-value\")'"
check "subjects are sorted" bash -c "echo '${r#* }' | jq -e '. == sort'"
check_eq "schema types" "$(req GET /schemas/types)" '200 ["AVRO"]'

r=$(req POST "/subjects/$P-bets-value" "$(body_of "$BETS_WS")")
check_eq "lookup finds subject/version/id" "$(echo "${r#* }" | jq -c '[.subject,.version,.id]')" "[\"$P-bets-value\",1,$ID1]"
check_eq "lookup status" "${r%% *}" 200

# --- errors, exactly as Confluent writes them ---
check_eq "40401 unknown subject (versions)" "$(req GET "/subjects/$P-nope/versions")" \
	"404 {\"error_code\":40401,\"message\":\"Subject '$P-nope' not found.\"}"
check_eq "40401 unknown subject (version)" "$(req GET "/subjects/$P-nope/versions/1")" \
	"404 {\"error_code\":40401,\"message\":\"Subject '$P-nope' not found.\"}"
check_eq "40402 unknown version" "$(req GET "/subjects/$P-bets-value/versions/7")" \
	'404 {"error_code":40402,"message":"Version 7 not found."}'
check_eq "40403 unknown id" "$(req GET /schemas/ids/999999)" \
	'404 {"error_code":40403,"message":"Schema 999999 not found"}'
check_eq "404 for a non-numeric id" "$(req GET /schemas/ids/abc)" '404 {"error_code":404,"message":"HTTP 404 Not Found"}'
check_eq "40403 lookup of an unregistered schema" \
	"$(req POST "/subjects/$P-other-value" "$(body_of '"string"')")" \
	'404 {"error_code":40403,"message":"Schema not found"}'
check_eq "40401 lookup in an unknown subject" "$(req POST "/subjects/$P-nope" "$(body_of "$BETS")")" \
	"404 {\"error_code\":40401,\"message\":\"Subject '$P-nope' not found.\"}"
r=$(req POST "/subjects/$P-x-value/versions" "$(body_of '{"type":"record","name":"R","fields":[{"name":"a","type":"nosuch"}]}')")
check_eq "42201 invalid Avro schema" "$(echo "$r" | ec)" '422 42201'
r=$(req POST "/subjects/$P-x-value/versions" "$(body_of '{"type":')")
check_eq "42201 schema that is not JSON" "$(echo "$r" | ec)" '422 42201'
check_eq "42201 empty schema" "$(req POST "/subjects/$P-x-value/versions" '{}')" \
	'422 {"error_code":42201,"message":"Empty schema"}'
r=$(req POST "/subjects/$P-x-value/versions" "$(jq -cn '{schema:"{}",schemaType:"PROTOBUF"}')")
check_eq "42201 other schema types" "$(echo "$r" | ec)" '422 42201'
check_eq "invalid subject not created" "$(req GET "/subjects/$P-x-value/versions" | cut -c1-3)" 404
for v in abc 0 -2 99999999999; do
	check_eq "42202 invalid version $v" "$(req GET "/subjects/$P-bets-value/versions/$v")" \
		"422 {\"error_code\":42202,\"message\":\"The specified version '$v' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \\\"latest\\\"\"}"
done
check_eq "404 unknown path" "$(req GET /nope)" '404 {"error_code":404,"message":"HTTP 404 Not Found"}'
check_eq "404 unknown sub-path" "$(req GET "/subjects/$P-bets-value/whatever")" \
	'404 {"error_code":404,"message":"HTTP 404 Not Found"}'
check_eq "405 wrong method" "$(req PUT /subjects '{}')" \
	'405 {"error_code":405,"message":"HTTP 405 Method Not Allowed"}'
check_eq "400 malformed JSON body" "$(req POST "/subjects/$P-x-value/versions" '{bad' | cut -c1-29)" \
	'400 {"error_code":400,"messag'
check_eq "415 form content type" \
	"$(req POST "/subjects/$P-x-value/versions" "$(body_of "$BETS")" 'Content-Type: application/x-www-form-urlencoded')" \
	'415 {"error_code":415,"message":"HTTP 415 Unsupported Media Type"}'
check_eq "application/json accepted" \
	"$(req POST "/subjects/$P-bets-value/versions" "$(body_of "$BETS")" 'Content-Type: application/json')" \
	"200 {\"id\":$ID1}"
check_eq "application/octet-stream accepted" \
	"$(req POST "/subjects/$P-bets-value/versions" "$(body_of "$BETS")" 'Content-Type: application/octet-stream')" \
	"200 {\"id\":$ID1}"
big=$(head -c 1100000 /dev/zero | tr '\0' 'a')
check_eq "413 body over 1 MiB" "$(echo "{\"schema\":\"$big\"}" | curl -s -o /dev/null -w '%{http_code}' -H "$CT" --data-binary @- "$U/subjects/$P-x-value/versions")" 413
ctype=$(curl -s -o /dev/null -w '%{content_type}' "$U/subjects")
check_eq "content type" "$ctype" application/vnd.schemaregistry.v1+json

# --- config ---
check_eq "global config" "$(req GET /config)" '200 {"compatibilityLevel":"BACKWARD"}'
check_eq "40408 no subject config" "$(req GET "/config/$P-bets-value")" \
	"404 {\"error_code\":40408,\"message\":\"Subject '$P-bets-value' does not have subject-level compatibility configured\"}"
check_eq "subject config defaultToGlobal" "$(req GET "/config/$P-bets-value?defaultToGlobal=true")" \
	'200 {"compatibilityLevel":"BACKWARD"}'
check_eq "put subject config" "$(req PUT "/config/$P-bets-value" '{"compatibility":"FULL"}')" \
	'200 {"compatibility":"FULL"}'
check_eq "get subject config" "$(req GET "/config/$P-bets-value")" '200 {"compatibilityLevel":"FULL"}'
check_eq "42203 invalid level" "$(req PUT /config '{"compatibility":"SOMETIMES"}' | ec)" \
	'422 42203'
check_eq "put global config" "$(req PUT /config '{"compatibility":"NONE"}')" '200 {"compatibility":"NONE"}'
check_eq "global config changed" "$(req GET /config)" '200 {"compatibilityLevel":"NONE"}'
check_eq "compatibility check" \
	"$(req POST "/compatibility/subjects/$P-bets-value/versions/latest" "$(body_of "$ODDS")")" \
	'200 {"is_compatible":true}'

# --- concurrent registration: one schema, many subjects, one id ---
SCH3='{"type":"record","name":"Conc","fields":[{"name":"x","type":"long"}]}'
for i in $(seq 1 12); do
	curl -s -H "$CT" --data-binary "$(body_of "$SCH3")" "$U/subjects/$P-conc$i-value/versions" &
done >"$KSINK_TEST_OUT/0200-conc.out"
wait
check_eq "concurrent registrations share one id" \
	"$(grep -o '"id":[0-9]*' "$KSINK_TEST_OUT/0200-conc.out" | sort -u | wc -l)" 1
check_eq "concurrent registrations all answered" \
	"$(grep -o '"id":[0-9]*' "$KSINK_TEST_OUT/0200-conc.out" | wc -l)" 12

# --- delete ---
check_eq "delete version" "$(req DELETE "/subjects/$P-bets-value/versions/2")" '200 2'
check_eq "latest after deleting v2" "$(req GET "/subjects/$P-bets-value/versions/latest" | jq -rR 'split(" ")[1:]|join(" ")|fromjson|.version')" 1
check_eq "delete subject returns its versions" "$(req DELETE "/subjects/$P-other-value")" '200 [1]'
check_eq "deleted subject is gone" "$(req GET "/subjects/$P-other-value/versions" | ec)" \
	'404 40401'
check_eq "40404 delete twice" "$(req DELETE "/subjects/$P-other-value" | ec)" \
	'404 40404'
check_eq "40405 permanent before soft" "$(req DELETE "/subjects/$P-bets-value?permanent=true" | ec)" \
	'404 40405'
check_eq "permanent delete" "$(req DELETE "/subjects/$P-other-value?permanent=true")" '200 [1]'
check_eq "schema id survives subject deletion" "$(req GET "/schemas/ids/$ID1" | cut -c1-3)" 200
check_eq "re-register after delete keeps the id" \
	"$(req POST "/subjects/$P-other-value/versions" "$(body_of "$BETS")")" "200 {\"id\":$ID1}"
check_eq "deleted subject starts over at version 1" "$(req GET "/subjects/$P-other-value/versions")" '200 [1]'

# --- restart with --data keeps ids, versions and config ---
"$ROOT/tests/stack.sh" restart registry --dir "$KSINK_STACK_DIR" >/dev/null 2>&1
check "registry back after restart" wait_for 10 curl -sf "$U/subjects"
check_eq "id after restart" "$(req POST "/subjects/$P-bets-value/versions" "$(body_of "$BETS")")" "200 {\"id\":$ID1}"
check_eq "schema by id after restart" "$(req GET "/schemas/ids/$ID2/schema")" "200 $ODDS"
check_eq "versions after restart" "$(req GET "/subjects/$P-bets-value/versions")" '200 [1]'
check_eq "config after restart" "$(req GET "/config/$P-bets-value")" '200 {"compatibilityLevel":"FULL"}'
r=$(req POST "/subjects/$P-new-value/versions" "$(body_of '{"type":"enum","name":"E","symbols":["A","B"]}')")
check "new ids continue after restart" test "$(echo "${r#* }" | jq -r .id)" -gt "$ID2"
req PUT /config '{"compatibility":"BACKWARD"}' >/dev/null

finish
