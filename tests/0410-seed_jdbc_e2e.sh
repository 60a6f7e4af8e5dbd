#!/usr/bin/env bash
# 0410-seed_jdbc_e2e.sh — the seed project's connector JSON
# (demo/connect-jdbc-sink.json = the seed's file, hosts pointed at the test
# stack) POSTed with curl to a ksink worker configured like the seed's Connect
# worker (StringConverter keys, AvroConverter values): Avro records produced
# with ksink-produce to both topics land in two auto-created tables. Then a
# second connector is killed with kill -9 while records stream in; after the
# restart every record is in its table exactly once (offsets live in the
# database, written in the same transaction as the rows).
# kafka-tiers: mock real (tests/run.sh: also run against the real broker)
source "$(dirname "$0")/lib/worker_test.sh"
SEED=$ROOT/demo/data
BETS=tote_win_bets
ODDS=tote_win_bet_race_runners_odds
EO=t0410_eo_$$
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }

psql_q "DROP TABLE IF EXISTS \"$BETS\", \"$ODDS\", \"$EO\"" >/dev/null
w_props "$W/w.properties" \
	"value.converter=io.confluent.connect.avro.AvroConverter" \
	"value.converter.schema.registry.url=$KSINK_REGISTRY_URL" \
	"consumer.topic.metadata.refresh.interval.ms=1000"
# the seed's worker: StringConverter keys, AvroConverter values (later lines win)
start_ok "worker starts" "$W/w.properties" || finish

# the seed connector JSON with db and schema-registry pointed at the stack
# (demo/connect-jdbc-sink.json is the seed's file with the two hosts templated)
body=$(sed -e "s|@PG_PORT@|$KSINK_PG_PORT|" -e "s|@REGISTRY_URL@|$KSINK_REGISTRY_URL|" \
	-e "s|/totebets\"|/${PGDATABASE:-postgres}\"|" "$ROOT/demo/connect-jdbc-sink.json")
code=$(curl -s -o "$W/post.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data "$body" "$URL/connectors")
check_eq "POST seed connector: 201" "$code" 201
check "connector and task RUNNING" wait_for 30 all_tasks jdbc-sink-connector RUNNING 1

cat "$SEED/post_bets.jsonl" "$SEED/post_bets_large.jsonl" >"$W/bets.jsonl"
N=$(wc -l <"$W/bets.jsonl")
"$BUILD/ksink-produce" --bootstrap "$BS" --registry "$KSINK_REGISTRY_URL" --topic "$BETS" \
	--value-schema "$SEED/$BETS-value.avsc" <"$W/bets.jsonl" 2>>"$W/produce.log"
check_eq "bets produced" "$?" 0
"$BUILD/ksink-demo-odds" --key --state "$W/pools" <"$W/bets.jsonl" |
	"$BUILD/ksink-produce" --bootstrap "$BS" --registry "$KSINK_REGISTRY_URL" --topic "$ODDS" \
		--value-schema "$SEED/$ODDS-value.avsc" --key-string 2>>"$W/produce.log"
check_eq "odds produced" "$?" 0
rows() { psql_q "SELECT count(*) FROM \"$1\"" 2>/dev/null || echo 0; }
has_rows() { [ "$(rows "$1")" -ge "$2" ]; }
check "table $BETS auto-created and filled" wait_for 60 has_rows "$BETS" "$N"
check "table $ODDS auto-created and filled" wait_for 60 has_rows "$ODDS" "$N"
check_eq "$BETS: $N rows" "$(rows "$BETS")" "$N"
check_eq "$ODDS: $N rows" "$(rows "$ODDS")" "$N"
check_eq "bet amounts as produced" \
	"$(psql_q "SELECT sum(\"AMOUNT\") FROM \"$BETS\"")" \
	"$(jq -s 'map(.AMOUNT.double) | add' "$W/bets.jsonl" | sed 's/\.0$//')"
api GET /connectors/jdbc-sink-connector/topics
check_jq "both topics active" ".\"jdbc-sink-connector\".topics == [\"$ODDS\",\"$BETS\"] or .\"jdbc-sink-connector\".topics == [\"$BETS\",\"$ODDS\"]"
api GET /connectors/jdbc-sink-connector/config
check_jq "GET config returns the config as given" '.["connection.password"]=="example" and .["table.name.format"]=="${topic}"'

# --- kill -9 while records stream in, restart: exactly once ---
M=20000
api POST /connectors "$(jq -nc --arg url "$KSINK_PG_JDBC_URL" --arg reg "$KSINK_REGISTRY_URL" --arg t "$EO" '{
	name:"eo", config:{"connector.class":"io.confluent.connect.jdbc.JdbcSinkConnector",
	"connection.url":$url, "connection.user":"postgres", "connection.password":"example",
	"topics":$t, "auto.create":"true", "insert.mode":"insert", "tasks.max":"2",
	"batch.size":"500", "value.converter.schema.registry.url":$reg}}')"
check_eq "eo connector created" "$CODE" 201
check "eo tasks RUNNING" wait_for 30 all_tasks eo RUNNING 2
awk -v m=$M 'BEGIN { for (i = 1; i <= m; i++) printf "{\"RUNNER_ID\": {\"int\": %d}, \"RACE_ID\": {\"int\": 0}, \"AMOUNT\": {\"double\": %d.0}}\n", i % 7, i }' >"$W/eo.jsonl"
(
	# in slices, so records are still arriving when the worker is killed
	split -l 2000 "$W/eo.jsonl" "$W/eo.part."
	for f in "$W"/eo.part.*; do
		"$BUILD/ksink-produce" --bootstrap "$BS" --registry "$KSINK_REGISTRY_URL" --topic "$EO" \
			--value-schema "$SEED/$BETS-value.avsc" <"$f" 2>>"$W/produce.log" || exit 1
		sleep 1 # slower than the sink, so the kill lands mid-stream
	done
) &
prod=$!
check "some records written before the kill" wait_for 60 has_rows "$EO" 1000
kill -9 "$KPID"
wait "$KPID" 2>/dev/null
KPID=""
before=$(rows "$EO")
check "killed mid-stream (not all written yet)" test "$before" -lt "$M"
start_ok "worker restarts after kill -9" "$W/w.properties"
wait "$prod"
check_eq "producer finished" "$?" 0
check "every record written after the restart" wait_for 120 has_rows "$EO" "$M"
sleep 2 # a duplicate from a replay would land now
check_eq "exactly once: $M rows" "$(rows "$EO")" "$M"
check_eq "exactly once: $M distinct records" \
	"$(psql_q "SELECT count(DISTINCT \"AMOUNT\") FROM \"$EO\"")" "$M"
api GET /connectors/eo/status
check_jq "eo still RUNNING" '.connector.state=="RUNNING" and all(.tasks[]; .state=="RUNNING")'

# --- KIP-875 offsets on the JDBC connector (its offsets table + the group) ---
api GET /connectors/eo/offsets
check_jq "GET offsets: sum of next offsets = $M" "([.offsets[].offset.kafka_offset] | add) == $M"
api PUT /connectors/eo/stop
check_eq "stop eo" "$CODE" 204
api DELETE /connectors/eo/offsets
check_eq "reset offsets 200" "$CODE" 200
check_jq "connector-managed offsets reset too" '.message == "The offsets for this connector have been reset successfully"'
api GET /connectors/eo/offsets
check_jq "offsets back to 0" 'all(.offsets[]; .offset.kafka_offset == 0)'
api PATCH /connectors/eo/offsets "{\"offsets\":[{\"partition\":{\"kafka_topic\":\"$EO\",\"kafka_partition\":0},\"offset\":{\"kafka_offset\":1}}]}"
check_eq "alter one partition 200" "$CODE" 200
api GET /connectors/eo/offsets
check_jq "altered offset visible" "any(.offsets[]; .partition.kafka_partition==0 and .offset.kafka_offset==1)"
api PUT /connectors/eo/resume
check_eq "resume eo" "$CODE" 202
check "after the reset the topic is read again (insert mode: twice)" wait_for 120 has_rows "$EO" $((2 * M - 1))
sleep 2
check_eq "re-read from the altered/reset offsets, nothing more" "$(rows "$EO")" $((2 * M - 1))
w_stop
check_eq "exit 0" "$KRC" 0
psql_q "DROP TABLE IF EXISTS \"$BETS\", \"$ODDS\", \"$EO\"" >/dev/null
finish
