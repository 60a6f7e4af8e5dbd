#!/usr/bin/env bash
# 0434-pit_runbook_jdbc.sh — the README's point-in-time runbook with the
# JDBC sink and a real database restore: a backup of the table is taken
# after 10 rows, with the connector's rows of __ksink_offsets (written in the
# same transactions as the data, so they are the backup's own position).
# Later a bad record is applied live among good ones. Runbook: stop, restore
# the backup (table and offsets rows), set ksink.apply.until just before the
# bad record, resume: rows up to the bad record come back and the task holds
# at it; stop, PATCH its partition to offset + 1, remove the key, resume:
# every good record is in the table exactly once, the bad one is not.
# kafka-tiers: mock real (tests/run.sh: also run against the real broker)
source "$(dirname "$0")/lib/worker_test.sh"
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }
TB=t0434_$$ TOPIC=t0434_$$ NAME=rbj_$$
w_kafka "$TOPIC:1"
f_init
psql_q "DROP TABLE IF EXISTS \"$TB\", \"${TB}_bk\", \"${TB}_bk_off\"" >/dev/null
start_ok "worker starts" "$W/w.properties" || finish
api POST /connectors "$(f_jdbc "$NAME" "$TOPIC" "table.name.format=$TB")"
check_eq "JDBC connector created" "$CODE" 201
check "task RUNNING" wait_for 30 all_tasks "$NAME" RUNNING 1

f_produce "$TOPIC" 1 10
check "10 rows applied" wait_for 60 f_has_rows "$TB" 10
sleep 1 # nothing more comes: the backup is taken at a quiet point
psql_q "CREATE TABLE \"${TB}_bk\" AS SELECT * FROM \"$TB\";
	CREATE TABLE \"${TB}_bk_off\" AS SELECT * FROM __ksink_offsets WHERE connector = '$NAME'" >/dev/null
check_eq "backup: 10 rows" "$(f_rows "${TB}_bk")" 10
check_eq "backup: its offsets row says 10" "$(psql_q "SELECT sum(next_offset) FROM \"${TB}_bk_off\"")" 10

f_produce "$TOPIC" 11 20
check "20 rows applied" wait_for 60 f_has_rows "$TB" 20
sleep 0.3
cut_ms=$(date +%s%3N) # just before the bad record
sleep 0.3
f_produce "$TOPIC" 999 999 # the bad record, offset 20
f_produce "$TOPIC" 21 40
check "the bad record and the rest applied live" wait_for 60 f_has_rows "$TB" 41
check_eq "the bad record is in the table" "$(psql_q "SELECT count(*) FROM \"$TB\" WHERE \"ID\" = 999")" 1

stopped() { [ "$(conn_state "$NAME")" = STOPPED ]; }
api PUT "/connectors/$NAME/stop"
check_eq "stop: 204" "$CODE" 204
check "STOPPED" wait_for 20 stopped
# restore the backup: the table and the connector's offsets rows
psql_q "BEGIN; DELETE FROM \"$TB\"; INSERT INTO \"$TB\" SELECT * FROM \"${TB}_bk\";
	DELETE FROM __ksink_offsets WHERE connector = '$NAME';
	INSERT INTO __ksink_offsets SELECT * FROM \"${TB}_bk_off\"; COMMIT" >/dev/null
check_eq "restored: 10 rows" "$(f_rows "$TB")" 10
api GET "/connectors/$NAME/offsets"
check_jq "the connector's offsets are the backup's" 'any(.offsets[]; .offset.kafka_offset == 10)'
cfg=$(curl -s "$URL/connectors/$NAME/config" | jq -c --arg u "$cut_ms" '. + {"ksink.apply.until": $u}')
api PUT "/connectors/$NAME/config" "$cfg"
check_eq "PUT config with ksink.apply.until: 200" "$CODE" 200
api PUT "/connectors/$NAME/resume"
check_eq "resume: 202" "$CODE" 202
check "replayed up to the bad record: 20 rows" wait_for 60 f_has_rows "$TB" 20
held() { curl -s "$URL/connectors/$NAME/status" | jq -e ".tasks[0].state==\"RUNNING\" and (.tasks[0].trace // \"\" | test(\"ksink.apply.until.*\\\\[0\\\\]@20 \"))"; }
check "holding at the bad record ([0]@20) in the status" wait_for 20 held
sleep 1
check_eq "nothing past it" "$(f_rows "$TB")" 20
check_eq "the bad record is not applied again" "$(psql_q "SELECT count(*) FROM \"$TB\" WHERE \"ID\" = 999")" 0

api PUT "/connectors/$NAME/stop"
check "STOPPED" wait_for 20 stopped
api PATCH "/connectors/$NAME/offsets" "{\"offsets\":[{\"partition\":{\"kafka_topic\":\"$TOPIC\",\"kafka_partition\":0},\"offset\":{\"kafka_offset\":21}}]}"
check_eq "PATCH offsets past the bad record: 200" "$CODE" 200
cfg=$(curl -s "$URL/connectors/$NAME/config" | jq -c 'del(.["ksink.apply.until"])')
api PUT "/connectors/$NAME/config" "$cfg"
check_eq "PUT config without ksink.apply.until: 200" "$CODE" 200
api PUT "/connectors/$NAME/resume"
check_eq "resume: 202" "$CODE" 202
check "the records after the bad one applied" wait_for 60 f_has_rows "$TB" 40
sleep 1
f_exactly "$TB" 40
check_eq "the bad record is not in the table" "$(psql_q "SELECT count(*) FROM \"$TB\" WHERE \"ID\" = 999")" 0
api GET "/connectors/$NAME/status"
check_jq "RUNNING, no hold" '.tasks[0].state=="RUNNING" and (.tasks[0].trace == null)'
w_stop
check_eq "exit 0" "$KRC" 0
psql_q "DROP TABLE IF EXISTS \"$TB\", \"${TB}_bk\", \"${TB}_bk_off\"; DELETE FROM __ksink_offsets WHERE connector = '$NAME'" >/dev/null
finish
