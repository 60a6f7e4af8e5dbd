#!/usr/bin/env bash
# 0443-three_databases.sh — Kafka as the transaction buffer of three
# databases: one keyed stream (3 partitions, key = ID) applied in upsert mode
# by three JDBC connectors, each into its own database of the stack's
# Postgres, each at its own pace:
#   A applies everything as it comes;
#   B is paused while a second round of updates is produced (its table stays
#     frozen at the first round), then resumed;
#   C is stopped, its table damaged (half its rows deleted, as a restored
#     backup that lost them), its offsets rewound (PATCH one partition to 0,
#     DELETE the rest) and resumed: it replays the stream from the start.
# A third round arrives while B is paused and C stopped. At the end the three
# tables are identical (md5 of the rows in key order) and hold the last
# version of every key.
# kafka-tiers: mock real (tests/run.sh: also run against the real broker)
source "$(dirname "$0")/lib/worker_test.sh"
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }
T=t0443_$$
DBS=(k0443a_$$ k0443b_$$ k0443c_$$)
cleanup() {
	w_cleanup
	for d in "${DBS[@]}"; do psql_q "DROP DATABASE IF EXISTS \"$d\"" >/dev/null 2>&1; done
}
trap cleanup EXIT

w_kafka "$T:3"
f_init
for d in "${DBS[@]}"; do psql_q "CREATE DATABASE \"$d\"" >/dev/null; done
check_eq "three databases" "$(psql_q "SELECT count(*) FROM pg_database WHERE datname LIKE 'k0443%\_$$'")" 3
start_ok "worker starts" "$W/w.properties" || finish

# round R: IDs FROM..TO with PAYLOAD "rR-ID", keyed by ID (one ID, one partition)
round() {
	awk -v r="$1" -v a="$2" -v b="$3" 'BEGIN { for (i = a; i <= b; i++)
		printf "{\"ID\":%d,\"PAYLOAD\":\"r%d-%d\"}\n", i, r, i }' |
		"$BUILD/ksink-produce" --bootstrap "$BS" --registry "$KSINK_REGISTRY_URL" \
			--topic "$T" --value-schema "$W/rec.avsc" --key-field ID 2>>"$W/produce.log"
}
db() { psql "host=127.0.0.1 port=$KSINK_PG_PORT user=postgres dbname=$1" -v ON_ERROR_STOP=1 -tAX -c "$2" 2>/dev/null; }
rows() { db "$1" 'SELECT count(*) FROM replica' || echo 0; }
sum() { db "$1" "SELECT md5(coalesce(string_agg(\"ID\"::text || ':' || \"PAYLOAD\", ',' ORDER BY \"ID\"), '')) FROM replica"; }
# the table of database $1 holds exactly: N rows, and the expected payloads
is_state() { # DB N SQL-condition-that-every-row-meets
	[ "$(db "$1" "SELECT count(*) FILTER (WHERE $3) || '/' || count(*) FROM replica")" = "$2/$2" ]
}
names=(ra rb rc)
for i in 0 1 2; do
	api POST /connectors "$(f_jdbc "${names[$i]}" "$T" \
		connection.url="jdbc:postgresql://127.0.0.1:$KSINK_PG_PORT/${DBS[$i]}" \
		insert.mode=upsert pk.mode=record_value pk.fields=ID table.name.format=replica tasks.max=2)"
	check_eq "connector ${names[$i]} into ${DBS[$i]}: 201" "$CODE" 201
done
for n in "${names[@]}"; do check "$n: 2 tasks RUNNING" wait_for 30 all_tasks "$n" RUNNING 2; done

# --- round 1: IDs 1..300 ---
round 1 1 300
check_eq "round 1 produced" "$?" 0
R1="\"PAYLOAD\" = 'r1-' || \"ID\""
for i in 0 1 2; do check "${names[$i]}: round 1 applied (300 rows)" wait_for 60 is_state "${DBS[$i]}" 300 "$R1"; done

# --- B paused; round 2: IDs 1..400 ---
api PUT /connectors/rb/pause
check_eq "pause rb: 202" "$CODE" 202
paused() { all_tasks rb PAUSED 2; }
check "rb: tasks PAUSED" wait_for 30 paused
round 2 1 400
check_eq "round 2 produced" "$?" 0
R2="\"PAYLOAD\" = 'r2-' || \"ID\""
for i in 0 2; do check "${names[$i]}: round 2 applied (400 rows)" wait_for 60 is_state "${DBS[$i]}" 400 "$R2"; done
check "rb (paused): still frozen at round 1" is_state "${DBS[1]}" 300 "$R1"

# --- C stopped, damaged, rewound ---
api PUT /connectors/rc/stop
check_eq "stop rc: 204" "$CODE" 204
stopped() { [ "$(conn_state rc)" = STOPPED ] && [ "$(curl -s "$URL/connectors/rc/status" | jq '.tasks | length')" = 0 ]; }
check "rc: STOPPED" wait_for 30 stopped
db "${DBS[2]}" 'DELETE FROM replica WHERE "ID" % 2 = 0' >/dev/null
check_eq "rc's table damaged: 200 rows left" "$(rows "${DBS[2]}")" 200
api GET /connectors/rc/offsets
check_jq "rc: offsets of the 3 partitions, 700 records in all" \
	'(.offsets | length) == 3 and ([.offsets[].offset.kafka_offset] | add) == 700'
api PATCH /connectors/rc/offsets "{\"offsets\":[{\"partition\":{\"kafka_topic\":\"$T\",\"kafka_partition\":0},\"offset\":{\"kafka_offset\":0}}]}"
check_eq "rc: PATCH partition 0 to offset 0: 200" "$CODE" 200
api GET /connectors/rc/offsets
check_jq "rc: partition 0 at 0" "[.offsets[] | select(.partition.kafka_partition == 0)][0].offset.kafka_offset == 0"
api DELETE /connectors/rc/offsets
check_eq "rc: DELETE offsets: 200" "$CODE" 200
api GET /connectors/rc/offsets
check_eq "rc: no offsets left" "$(jq -c . <<<"$BODY")" '{"offsets":[]}'

# --- round 3 while B is paused and C stopped: IDs 201..500 ---
round 3 201 500
check_eq "round 3 produced" "$?" 0
FINAL="\"PAYLOAD\" = CASE WHEN \"ID\" > 200 THEN 'r3-' WHEN \"ID\" > 0 THEN 'r2-' END || \"ID\""
check "ra: round 3 applied (500 rows)" wait_for 60 is_state "${DBS[0]}" 500 "$FINAL"
check "rb (paused): still frozen at round 1" is_state "${DBS[1]}" 300 "$R1"
check_eq "rc (stopped): still damaged" "$(rows "${DBS[2]}")" 200

# --- resume both ---
api PUT /connectors/rb/resume
check_eq "resume rb: 202" "$CODE" 202
api PUT /connectors/rc/resume
check_eq "resume rc: 202" "$CODE" 202
for i in 1 2; do check "${names[$i]}: caught up (500 rows, last versions)" wait_for 90 is_state "${DBS[$i]}" 500 "$FINAL"; done
sa=$(sum "${DBS[0]}") sb=$(sum "${DBS[1]}") sc=$(sum "${DBS[2]}")
echo "# md5: a=$sa b=$sb c=$sc"
check "a checksum" test -n "$sa"
check_eq "B identical to A (md5)" "$sb" "$sa"
check_eq "C identical to A (md5)" "$sc" "$sa"
api GET /connectors/rc/offsets
check_jq "rc: offsets at the end of the stream again (1000 records)" \
	'([.offsets[].offset.kafka_offset] | add) == 1000'
for n in "${names[@]}"; do check "$n: tasks RUNNING" all_tasks "$n" RUNNING 2; done
f_no_task_failed
w_stop
check_eq "clean exit" "$KRC" 0
finish
