#!/usr/bin/env bash
# 0420-rest_bad_input.sh — hostile input to the REST API, against the ASan
# build of the worker when it exists (build-asan/ksink): malformed and deeply
# nested JSON, bodies over the limit (sized and chunked), invalid UTF-8 in
# bodies and paths, %00, unknown connectors, names with / and .., wrong
# types in the config, odd methods and queries, and concurrent create/delete
# of one connector. Every answer must be a JSON error with Connect's code;
# the worker must stay up, exit 0 on SIGTERM, and its log must hold no
# sanitizer report (LeakSanitizer runs at exit).
# needs: none (starts its own mock cluster: tests/run.sh starts no stack for it)
source "$(dirname "$0")/lib/worker_test.sh" --test-sink
w_asan --say
w_mock
w_props "$W/w.properties" "task.shutdown.graceful.timeout.ms=3000"
start_ok "worker starts" "$W/w.properties" || finish

# a MemorySink that writes nowhere (names here are not file names)
msink() { memsink "$@" | jq -c '.config.file="/dev/null"'; }
# err NAME CODE: the last answer is CODE with {"error_code":CODE,"message":string}
err() {
	check_eq "$1: $2" "$CODE" "$2"
	check_jq "$1: JSON error body" ".error_code==$2 and (.message|type)==\"string\" and (keys|length)==2"
}
# raw METHOD PATH FILE [curl args]: body from a file, sets CODE and BODY
raw() {
	local m=$1 p=$2 f=$3 out
	shift 3
	out=$(curl -s -X "$m" -H 'Content-Type: application/json' --data-binary @"$f" "$@" \
		-w '\n%{http_code}' "$URL$p")
	CODE=${out##*$'\n'}
	BODY=${out%$'\n'*}
}

# --- malformed JSON: 500, as Connect (Jackson's parse error is not mapped) ---
i=0
for b in '{' '{"name":' '[1,2' 'nul' '{"a":1}}' '{"name":"x",}' "{'name':'x'}" \
	'{"name":"\ud800","config":{}}' '{"name":"x","config":{"a":"\u0000"}}' '1e999999' \
	'{"name":"x" "config":{}}' ' '; do
	i=$((i + 1))
	api POST /connectors "$b"
	err "malformed JSON #$i" 500
done
printf '{"name":"\xff\xfe","config":{}}' >"$W/badutf8.json"
raw POST /connectors "$W/badutf8.json"
err "invalid UTF-8 in the body" 500
head -c 200000 /dev/zero | tr '\0' '[' >"$W/deep.json"
raw POST /connectors "$W/deep.json"
err "200000 nested arrays" 500
check_jq "nesting: message says why" '.message|test("depth|nest")'
{ printf '{"name":"deepcfg","config":{"connector.class":"MemorySink","topics":"t","x":'
  head -c 1000 /dev/zero | tr '\0' '['; head -c 1000 /dev/zero | tr '\0' ']'; printf '}}'; } >"$W/deepcfg.json"
raw POST /connectors "$W/deepcfg.json"
err "nested arrays as a config value" 400

# --- sizes ---
head -c 1100000 /dev/zero | tr '\0' 'a' >"$W/big"
raw POST /connectors "$W/big"
err "body over 1 MiB" 413
raw POST /connectors "$W/big" -H 'Transfer-Encoding: chunked'
err "chunked body over 1 MiB" 413
code=$(head -c 20000000 /dev/zero | curl -s -o "$W/huge.out" -w '%{http_code}' -X POST \
	-H 'Content-Type: application/json' --data-binary @- "$URL/connectors")
check_eq "20 MB body: 413 (refused on Content-Length)" "$code" 413
check "20 MB body: JSON error" jq -e '.error_code==413' "$W/huge.out"
api PUT /connectors/x/config ''
err "PUT config without a body" 400

# --- paths ---
api GET /connectors/%FF%FEx/status
err "invalid UTF-8 in the path" 400
check "error message is valid UTF-8 JSON" jq -e . <<<"$BODY"
api GET /connectors/a%00b
err "%00 in the path" 400
api GET /connectors/%C0%AF
err "overlong UTF-8 in the path" 400
for p in /connectors/nope /connectors/nope/status /connectors/nope/config /connectors/nope/tasks \
	/connectors/nope/offsets /connectors/nope/topics /connectors/nope/tasks/0/status; do
	api GET "$p"
	err "GET $p" 404
done
api DELETE /connectors/nope
err "DELETE unknown" 404
api PUT /connectors/nope/pause
err "pause unknown" 404
api POST /connectors/nope/restart
err "restart unknown" 404
api PATCH /connectors/nope/config '{"a":"b"}'
err "PATCH unknown" 404
api GET /a/b/c/d/e/f/g/h/i/j/k
err "too many segments" 404
api GET "/connectors/$(head -c 3000 /dev/zero | tr '\0' 'n')"
err "3000-byte name" 404
code=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$URL/connectors/../connectors")
check_eq "unnormalised /connectors/../connectors is no route: 404" "$code" 404

# --- names with / and .. are names, nothing more ---
for n in 'a/b' '..' '../../etc/passwd' 'dot./.dot' 'sp ace' 'ünï/cødé'; do
	enc=$(jq -rn --arg n "$n" '$n|@uri|gsub("[.]";"%2E")') # dots too: curl folds /../
	api POST /connectors "$(msink "$n" nt)"
	check_eq "create '$n': 201" "$CODE" 201
	api GET "/connectors/$enc/config"
	check_jq "'$n' addressed as /connectors/$enc" ".name==$(jq -n --arg n "$n" '$n')"
	api DELETE "/connectors/$enc"
	check_eq "delete '$n': 204" "$CODE" 204
done
api POST /connectors "$(msink 'ctl
name' nt)"
err "a newline in the name" 400
api POST /connectors "$(msink '   ' nt | jq -c '.config.name="   "')"
err "a blank name" 400

# --- wrong types ---
api POST /connectors '{"name":1,"config":{"connector.class":"MemorySink","topics":"t"}}'
err "name is a number" 400
api POST /connectors '{"name":"w","config":[]}'
err "config is an array" 400
api POST /connectors '{"name":"w","config":"x"}'
err "config is a string" 400
api POST /connectors '{"name":"w","config":{"connector.class":"MemorySink","topics":["t"]}}'
err "config value is an array" 400
api POST /connectors '{"name":"w","config":{"connector.class":"MemorySink","topics":{"a":1}}}'
err "config value is an object" 400
api POST /connectors '{"name":"w","config":{"connector.class":"MemorySink","topics":"t","tasks.max":"many"}}'
err "tasks.max not a number" 400
api POST /connectors '{"name":"w","config":{"connector.class":"MemorySink","topics":"t","tasks.max":1.5}}'
err "tasks.max a fraction" 400
api POST /connectors '{"name":"w","config":{"connector.class":"MemorySink","topics":"t"},"initial_state":7}'
err "initial_state a number" 400
api POST /connectors '[]'
err "body is an array" 400
api POST /connectors 'null'
err "body is null" 400
api POST /connectors '"str"'
err "body is a string" 400
api PUT /connectors/w/config '[1]'
err "PUT config with an array" 400
api PATCH /connectors/w/config '"x"'
err "PATCH config with a string" 400
api PUT /admin/loggers/task '{"level":5}'
err "logger level a number" 400
api PUT /connector-plugins/MemorySink/config/validate '{"connector.class":"MemorySink","topics":["x"]}'
err "validate with an array value" 400
api POST /connectors '{"name":"w","config":{"connector.class":42,"topics":"t"}}'
check "connector.class a number: an error code" test "$CODE" -ge 400
check_jq "connector.class a number: JSON error" ".error_code==$CODE"

# --- methods, media types, queries ---
for m in OPTIONS TRACE FOO; do
	code=$(curl -s -o "$W/m.out" -w '%{http_code}' -X "$m" "$URL/connectors")
	check_eq "method $m: 405" "$code" 405
	check "method $m: JSON error" jq -e '.error_code==405' "$W/m.out"
done
code=$(curl -s -o "$W/ct.out" -w '%{http_code}' -X POST -H 'Content-Type: text/plain' \
	--data '{}' "$URL/connectors")
check_eq "text/plain body: 415" "$code" 415
api GET "/connectors?expand=%ZZ&expand&=&&expand=status%00"
check_eq "odd query: 200" "$CODE" 200
check_jq "odd query: still the list" 'type=="array"'

# --- concurrent create / delete of one connector ---
race() { # writes "CODE BODY" lines
	local j out
	for j in $(seq 1 15); do
		out=$(curl -s -X POST -H 'Content-Type: application/json' \
			--data-binary "$(msink race nt)" -w '\n%{http_code}' "$URL/connectors")
		echo "${out##*$'\n'} ${out%$'\n'*}"
		out=$(curl -s -X DELETE -w '\n%{http_code}' "$URL/connectors/race")
		echo "${out##*$'\n'} ${out%$'\n'*}"
		out=$(curl -s -X PUT -H 'Content-Type: application/json' \
			--data-binary "$(msink race nt | jq -c .config)" -w '\n%{http_code}' \
			"$URL/connectors/race/config")
		echo "${out##*$'\n'} ${out%$'\n'*}"
	done
}
pids=()
for k in 1 2 3 4; do
	race >"$W/race.$k" &
	pids+=($!)
done
wait "${pids[@]}"
cat "$W"/race.* >"$W/race.all"
check_eq "race: 180 answers" "$(wc -l <"$W/race.all")" 180
check "race: only 200/201/204/404/409" bash -c "! grep -vE '^(200|201|204|404|409) ' '$W/race.all'"
check "race: every error is Connect's JSON error" bash -c \
	"grep -E '^(404|409) ' '$W/race.all' | while read -r c b; do jq -e --argjson c \$c '.error_code==\$c and (.message|type)==\"string\"' <<<\"\$b\" >/dev/null || exit 1; done"
check "race: created at least once" grep -qE '^201 ' "$W/race.all"
api DELETE /connectors/race
check "race: final delete 204 or 404" test "$CODE" = 204 -o "$CODE" = 404
api GET /connectors
check_jq "race: the connector is gone" 'index("race")==null'
check "worker still healthy" w_healthy

w_stop
check_eq "worker exits 0" "$KRC" 0
check "no AddressSanitizer report" bash -c "! grep -q 'ERROR: AddressSanitizer' '$W/ksink.log'"
check "no LeakSanitizer report" bash -c "! grep -q 'LeakSanitizer' '$W/ksink.log'"
check "no UBSan report" bash -c "! grep -q 'runtime error:' '$W/ksink.log'"
finish
