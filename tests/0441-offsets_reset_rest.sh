#!/usr/bin/env bash
# 0441-offsets_reset_rest.sh — KIP-875 offsets of a JDBC sink tell the truth:
#   - PATCH a partition with "offset": null removes that partition (GET no
#     longer lists it), as Connect deletes its group offset;
#   - after DELETE /offsets, GET answers {"offsets":[]} (not every partition
#     at 0), and a resume replays the topic from its start;
#   - GET /offsets of a connector whose database is unreachable answers 500
#     with the reason, never 200 {"offsets":[]}.
# kafka-tiers: mock real (tests/run.sh: also run against the real broker)
source "$(dirname "$0")/lib/worker_test.sh"
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }
T=t0441_$$
w_kafka "$T:2"
f_init
psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
start_ok "worker starts" "$W/w.properties" || finish

N=200
api POST /connectors "$(f_jdbc off "$T")"
check_eq "connector created" "$CODE" 201
check "task RUNNING" wait_for 30 all_tasks off RUNNING 1
f_produce "$T" 1 "$N" -X sticky.partitioning.linger.ms=0 # both partitions get records
check_eq "$N records produced" "$?" 0
check "all $N records written" wait_for 60 f_has_rows "$T" "$N"
sum_is() { [ "$(curl -s "$URL/connectors/off/offsets" | jq '[.offsets[].offset.kafka_offset] | add')" = "$1" ]; }
check "GET offsets: both partitions, $N in all" wait_for 30 sum_is "$N"
api GET /connectors/off/offsets
check_jq "GET offsets: two partitions" '.offsets | length == 2'
p1=$(jq '[.offsets[] | select(.partition.kafka_partition == 1)][0].offset.kafka_offset' <<<"$BODY")

api PUT /connectors/off/stop
check_eq "stop: 204" "$CODE" 204
stopped() { [ "$(conn_state off)" = STOPPED ]; }
check "connector STOPPED" wait_for 30 stopped

# --- PATCH one partition to null: it is gone ---
api PATCH /connectors/off/offsets "{\"offsets\":[{\"partition\":{\"kafka_topic\":\"$T\",\"kafka_partition\":0},\"offset\":null}]}"
check_eq "PATCH partition 0 to null: 200" "$CODE" 200
api GET /connectors/off/offsets
check_eq "GET after PATCH null: 200" "$CODE" 200
check_jq "GET after PATCH null: partition 0 is gone" \
	"[.offsets[] | select(.partition.kafka_partition == 0)] | length == 0"
check_jq "GET after PATCH null: partition 1 kept its offset" \
	"[.offsets[] | select(.partition.kafka_partition == 1)][0].offset.kafka_offset == $p1"
check_eq "the store: partition 0 deleted" \
	"$(psql_q "SELECT count(*) FROM __ksink_offsets WHERE connector = 'off' AND \"partition\" = 0")" 0

# --- DELETE: no offsets at all ---
api DELETE /connectors/off/offsets
check_eq "DELETE offsets: 200" "$CODE" 200
api GET /connectors/off/offsets
check_eq "GET after DELETE: 200" "$CODE" 200
check_eq "GET after DELETE: {\"offsets\":[]}" "$(jq -c . <<<"$BODY")" '{"offsets":[]}'
check_eq "the store: no row of the connector" \
	"$(psql_q "SELECT count(*) FROM __ksink_offsets WHERE connector = 'off'")" 0

# --- resume: the whole topic again (insert mode: every ID twice) ---
api PUT /connectors/off/resume
check_eq "resume: 202" "$CODE" 202
check "task RUNNING again" wait_for 30 all_tasks off RUNNING 1
check "replayed from the start: $((2 * N)) rows" wait_for 60 f_has_rows "$T" $((2 * N))
check "GET offsets: $N in all again" wait_for 30 sum_is "$N"
check_eq "each ID exactly twice" \
	"$(psql_q "SELECT count(*) FROM (SELECT \"ID\" FROM \"$T\" GROUP BY 1 HAVING count(*) = 2) s")" "$N"

# --- the database unreachable: GET answers 500 with the reason ---
dead=$(w_free_port)
api POST /connectors "$(f_jdbc gone "$T" connection.url="jdbc:postgresql://127.0.0.1:$dead/postgres" \
	connection.attempts=1)"
check_eq "connector with an unreachable database: 201" "$CODE" 201
api PUT /connectors/gone/stop
api GET /connectors/gone/offsets
check_eq "GET offsets, database unreachable: 500" "$CODE" 500
check_jq "the 500 says why" '.message | test("could not connect")'
echo "# message: $(jq -r .message <<<"$BODY" | head -c 200)"
w_stop
check_eq "clean exit" "$KRC" 0
[ "$KS_FAILED" = 0 ] && psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
finish
