#!/usr/bin/env bash
# 0400-worker_cli.sh — the ksink command line: --version, --help, usage
# errors, bad worker configs named by key, bad connector files, connectors
# given on the command line, listeners on 0.0.0.0, SIGTERM/SIGINT exit 0.
# needs: none (starts its own mock cluster: tests/run.sh starts no stack for it)
source "$(dirname "$0")/lib/worker_test.sh" --test-sink
w_mock

out=$("$BUILD/ksink" --version 2>&1); rc=$?
check_eq "--version exits 0" "$rc" 0
check "--version prints the version" grep -q '^ksink [0-9]' <<<"$out"
out=$("$BUILD/ksink" --help 2>&1); rc=$?
check_eq "--help exits 0" "$rc" 0
check "--help shows usage" grep -q 'ksink standalone WORKER.properties' <<<"$out"
"$BUILD/ksink" >/dev/null 2>&1; check_eq "no arguments: exit 2" "$?" 2
"$BUILD/ksink" frobnicate x >/dev/null 2>&1; check_eq "unknown command: exit 2" "$?" 2

# bad worker configs: exit 1 and the message names the key
bad() { # NAME EXPECTED-KEY props...
	local name=$1 key=$2; shift 2
	printf '%s\n' "$@" >"$W/bad.properties"
	out=$(timeout 20 "$KSINK" standalone "$W/bad.properties" 2>&1); rc=$?
	check_eq "$name: exit 1" "$rc" 1
	check "$name: message names $key" grep -q -- "$key" <<<"$out"
}
bad "missing value.converter" "value.converter" "bootstrap.servers=$BS" \
	"key.converter=org.apache.kafka.connect.storage.StringConverter"
bad "unknown converter" "key.converter" "bootstrap.servers=$BS" \
	"key.converter=com.example.Nope" \
	"value.converter=org.apache.kafka.connect.storage.StringConverter"
bad "bad listeners" "listeners" "bootstrap.servers=$BS" "listeners=ftp://x:1" \
	"key.converter=org.apache.kafka.connect.storage.StringConverter" \
	"value.converter=org.apache.kafka.connect.storage.StringConverter"
bad "non-numeric timeout" "task.shutdown.graceful.timeout.ms" \
	"task.shutdown.graceful.timeout.ms=soon" \
	"key.converter=org.apache.kafka.connect.storage.StringConverter" \
	"value.converter=org.apache.kafka.connect.storage.StringConverter"
out=$("$KSINK" standalone "$W/does-not-exist.properties" 2>&1); rc=$?
check_eq "missing worker file: exit 1" "$rc" 1
check "missing worker file: named" grep -q "does-not-exist.properties" <<<"$out"

# a bad connector file stops start-up with exit 1
w_props "$W/w.properties"
echo '{"name":"x","config":' >"$W/broken.json"
out=$(timeout 20 "$KSINK" standalone "$W/w.properties" "$W/broken.json" 2>&1); rc=$?
check_eq "broken connector JSON: exit 1" "$rc" 1
check "broken connector JSON: file named" grep -q "broken.json" <<<"$out"
printf 'connector.class=io.ksink.test.MemorySink\ntopics=t\n' >"$W/noname.properties"
out=$(timeout 20 "$KSINK" standalone "$W/w.properties" "$W/noname.properties" 2>&1); rc=$?
check_eq "connector without name: exit 1" "$rc" 1

# connectors on the command line: REST shape .json, flat .json, .properties
memsink cli-a cli-t >"$W/a.json"
jq -c '.config + {"name":"cli-b"}' "$W/a.json" >"$W/b.json"
printf 'name=cli-c\nconnector.class=MemorySink\ntopics=cli-t\nfile=%s/cli-c.out\n' "$W" \
	>"$W/c.properties"
w_props "$W/w.properties" "listeners=http://0.0.0.0:PORTX"
sed -i "s/PORTX/$PORT/" "$W/w.properties"
start_ok "starts with three connector files, listening on 0.0.0.0" \
	"$W/w.properties" "$W/a.json" "$W/b.json" "$W/c.properties"
three() { [ "$(curl -s "$URL/connectors" | jq -c .)" = '["cli-a","cli-b","cli-c"]' ]; }
check "the three connectors exist" wait_for 20 three
check "worker_id is host:port" bash -c \
	"curl -s $URL/connectors/cli-a/status | jq -e '.connector.worker_id | endswith(\":$PORT\")'"
printf 'k1:v1\nk2:v2\n' | produce cli-t
check "records reach a command-line connector" wait_for 30 sink_has cli-c 2

# SIGTERM while records stream in: exit 0 within the graceful timeout
# (task.shutdown.graceful.timeout.ms, 5 s by default) plus the group leave
(for i in $(seq 1 20000); do echo "s$i:x$i"; done | produce cli-t) &
wait_for 30 sink_has cli-a 100
w_stop TERM 12
check_eq "SIGTERM: exit 0 promptly" "$KRC" 0
check "SIGTERM: clean stop logged" grep -q "worker stopped" "$W/ksink.log"
check "SIGTERM: tasks left their group" grep -q "task stopped" "$W/ksink.log"

# SIGINT too, and a restart keeps the command-line connectors (stored)
start_ok "restart" "$W/w.properties"
api GET /connectors
check_eq "command-line connectors persisted" "$(jq -c . <<<"$BODY")" '["cli-a","cli-b","cli-c"]'
w_stop INT
check_eq "SIGINT: exit 0" "$KRC" 0

# the port is taken: exit 1 naming listeners
TAKEN=$PORT
python3 -c "import socket,time;s=socket.socket();s.bind(('127.0.0.1',$TAKEN));s.listen();time.sleep(8)" &
holder=$!
wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$TAKEN"
w_props "$W/w2.properties"
sed -i "s/^listeners=.*/listeners=http:\/\/127.0.0.1:$TAKEN/" "$W/w2.properties"
out=$(timeout 20 "$KSINK" standalone "$W/w2.properties" 2>&1); rc=$?
kill $holder 2>/dev/null; wait $holder 2>/dev/null
check_eq "port in use: exit 1" "$rc" 1
check "port in use: names listeners" grep -q "listeners" <<<"$out"
finish
