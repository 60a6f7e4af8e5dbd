#!/usr/bin/env bash
# 0323-config_scale_names.sh — issue 12, item 10: a connector config with
# 60,000 keys is created, read back and reloaded at a restart in linear time
# (it took 51 s of CPU to create and 22 s before a restarted worker answered
# REST, both from a linear key lookup run once per key); the bounds asserted
# here (10 s each) are generous on purpose, the figures are printed. And
# connector names with an ISO control character (Character.isISOControl:
# U+0000-U+001F, U+007F-U+009F) are refused with 400, as Connect does,
# C1 (U+0085 = UTF-8 C2 85) included; U+00A0 is not a control character.
# needs: none (starts its own mock cluster: tests/run.sh starts no stack for it)
source "$(dirname "$0")/lib/lib.sh"
source "$(dirname "$0")/lib/worker.sh"
w_init 0323
w_test_sink
w_mock
w_props "$W/w.properties"
start_ok "worker starts" "$W/w.properties" || finish

NKEYS=60000
jq -nc --argjson n "$NKEYS" --argjson base "$(memsink big bigt | jq -c .config)" \
	'{"name":"big","config":($base + ([range($n)] | map({key:"k\(.)", value:"v"}) | from_entries))}' \
	>"$W/big.json"
echo "# request body: $(wc -c <"$W/big.json") bytes, $NKEYS extra keys (the REST limit is 1 MiB)"

t0=$(date +%s.%N)
out=$(curl -s -o "$W/big.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data-binary "@$W/big.json" --max-time 120 "$URL/connectors")
t1=$(date +%s.%N)
secs=$(echo "$t1 - $t0" | bc)
echo "# create with $NKEYS keys: $secs s"
check_eq "created (201)" "$out" 201
check "create under 10 s" test "$(echo "$secs < 10" | bc)" = 1

t0=$(date +%s.%N)
api GET /connectors/big/config
t1=$(date +%s.%N)
echo "# GET config: $(echo "$t1 - $t0" | bc) s"
check_jq "config has every key" "length >= $NKEYS and .k59999 == \"v\""
check "store has the keys" jq -e ".connectors.big.config | length >= $NKEYS" "$W/connectors.json"

w_stop TERM 60
check_eq "SIGTERM exit 0" "$KRC" 0
t0=$(date +%s.%N)
"$KSINK" standalone "$W/w.properties" >>"$W/ksink.log" 2>&1 &
KPID=$!
has_big() { [ "$(curl -s --max-time 5 "$URL/connectors")" = '["big"]' ]; }
wait_for 60 has_big
rc=$?
t1=$(date +%s.%N)
secs=$(echo "$t1 - $t0" | bc)
echo "# restart until REST lists the connector: $secs s"
check_eq "restarted worker lists it" "$rc" 0
check "restart under 10 s" test "$(echo "$secs < 10" | bc)" = 1
api GET /connectors/big/config
check_jq "reloaded config has every key" "length >= $NKEYS"

# --- names with control characters: 400 on create and on PUT ---
mk() { # JSON-escaped name: POST /connectors, sets $CODE and $BODY
	api POST /connectors "$(memsink x nt | jq -c --argjson n "\"$1\"" '.name = $n | .config.name = $n')"
}
mk 'bad\u0085name'
check_eq "U+0085 (NEL, C1) in a name: 400" "$CODE" 400
check_jq "says why" '.message | test("control characters")'
mk 'a\u0080'
check_eq "U+0080 in a name: 400" "$CODE" 400
mk '\u009fz'
check_eq "U+009F in a name: 400" "$CODE" 400
mk 'a\u0001b'
check_eq "U+0001 in a name: 400" "$CODE" 400
mk 'a\u007fb'
check_eq "U+007F in a name: 400" "$CODE" 400
api PUT /connectors/put%C2%85name/config "$(memsink x nt | jq -c '.config')"
check_eq "U+0085 in PUT /connectors/{name}/config: 400" "$CODE" 400
mk 'nb\u00a0sp'
check_eq "U+00A0 (not a control character): 201" "$CODE" 201
mk 'caf\u00e9'
check_eq "U+00E9: 201" "$CODE" 201
api GET /connectors
check_jq "only the valid names exist" 'sort == (["big", "caf\u00e9", "nb\u00a0sp"] | sort)'
finish
