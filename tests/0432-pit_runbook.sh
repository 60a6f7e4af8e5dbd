#!/usr/bin/env bash
# 0432-pit_runbook.sh — the point-in-time runbook of the README ("Kafka as a
# transaction buffer"), end to end: a stream is applied live, a bad record
# among it. The operator restores a backup taken before the bad record (here
# the sink's file cut back to its first rows), stops the connector, sets its
# offsets to the backup's position (PATCH /offsets), sets ksink.apply.until
# just before the bad record and resumes: the rows up to the bad record are
# applied again and the task holds there. Then the bad record is skipped
# (PATCH its partition to offset + 1) and ksink.apply.until removed: every
# record except the bad one is in the sink exactly once.
# kafka-tiers: mock real (tests/run.sh: also run against the real broker)
source "$(dirname "$0")/lib/worker_test.sh" --test-sink
w_kafka rb:1
w_props "$W/w.properties"
start_ok "worker starts" "$W/w.properties" || finish

A=20 C=20 BACKUP=10
api POST /connectors "$(memsink rb rb)"
check_eq "created" "$CODE" 201
check "task RUNNING" wait_for 20 all_tasks rb RUNNING 1
for i in $(seq 1 $A); do echo "k$i:good$i"; done | produce rb
check "the first $A records applied live" wait_for 90 sink_has rb $A
sleep 0.3
cut_ms=$(date +%s%3N) # just before the bad record
sleep 0.3
echo "kbad:BAD" | produce rb # offset $A
for i in $(seq 1 $C); do echo "k$((A + i)):good$((A + i))"; done | produce rb
check "the bad record and the rest applied live" wait_for 90 sink_has rb $((A + 1 + C))
check_eq "the bad record is in the sink" "$(cut -f5 "$W/rb.out" | grep -c '^BAD$')" 1
check_eq "it is at offset $A" "$(awk -F'\t' '$5 == "BAD" { print $3 }' "$W/rb.out")" $A

# 1. stop, restore the backup (its position: offset $BACKUP), set the offsets there
api PUT /connectors/rb/stop
check_eq "stop: 204" "$CODE" 204
check "connector STOPPED" wait_for 10 bash -c "[ \"\$(curl -s $URL/connectors/rb/status | jq -r .connector.state)\" = STOPPED ]"
awk -F'\t' -v b=$BACKUP '$3 < b' "$W/rb.out" >"$W/rb.backup" && mv "$W/rb.backup" "$W/rb.out"
check_eq "restored backup: $BACKUP rows" "$(sink_count rb)" $BACKUP
api PATCH /connectors/rb/offsets "{\"offsets\":[{\"partition\":{\"kafka_topic\":\"rb\",\"kafka_partition\":0},\"offset\":{\"kafka_offset\":$BACKUP}}]}"
check_eq "PATCH offsets to the backup's position: 200" "$CODE" 200
# 2. ksink.apply.until just before the bad record, resume
cfg=$(curl -s "$URL/connectors/rb/config" | jq -c --arg u "$cut_ms" '. + {"ksink.apply.until": $u}')
api PUT /connectors/rb/config "$cfg"
check_eq "PUT config with ksink.apply.until: 200" "$CODE" 200
api PUT /connectors/rb/resume
check_eq "resume: 202" "$CODE" 202
check "replayed up to the bad record" wait_for 90 sink_has rb $A
held() { curl -s "$URL/connectors/rb/status" | jq -e ".tasks[0].state==\"RUNNING\" and (.tasks[0].trace // \"\" | test(\"ksink.apply.until.*rb\\\\[0\\\\]@$A .*Held at rb\\\\[0\\\\]@$A$\"))"; }
check "holding at the bad record (rb[0]@$A) in the status" wait_for 10 held
sleep 1
check_eq "nothing past it" "$(sink_count rb)" $A
check_eq "the bad record not applied again" "$(cut -f5 "$W/rb.out" | grep -c '^BAD$')" 0
# 3. skip the bad record: stop, PATCH its partition to offset + 1, remove the key, resume
api PUT /connectors/rb/stop
check_eq "stop: 204" "$CODE" 204
check "connector STOPPED" wait_for 10 bash -c "[ \"\$(curl -s $URL/connectors/rb/status | jq -r .connector.state)\" = STOPPED ]"
api GET /connectors/rb/offsets
check_jq "the committed offset is the bad record's" "any(.offsets[]; .offset.kafka_offset == $A)"
api PATCH /connectors/rb/offsets "{\"offsets\":[{\"partition\":{\"kafka_topic\":\"rb\",\"kafka_partition\":0},\"offset\":{\"kafka_offset\":$((A + 1))}}]}"
check_eq "PATCH offsets past the bad record: 200" "$CODE" 200
cfg=$(curl -s "$URL/connectors/rb/config" | jq -c 'del(.["ksink.apply.until"])')
api PUT /connectors/rb/config "$cfg"
check_eq "PUT config without ksink.apply.until: 200" "$CODE" 200
api PUT /connectors/rb/resume
check_eq "resume: 202" "$CODE" 202
check "the records after the bad one applied" wait_for 90 sink_has rb $((A + C))
sleep 1
check_eq "every record except the bad one: $((A + C)) rows" "$(sink_count rb)" $((A + C))
check_eq "each good record exactly once" "$(cut -f5 "$W/rb.out" | grep '^good' | sort -u | wc -l)" $((A + C))
check_eq "the bad record is not there" "$(cut -f5 "$W/rb.out" | grep -c '^BAD$')" 0
api GET /connectors/rb/status
check_jq "RUNNING, no hold" '.tasks[0].state=="RUNNING" and (.tasks[0].trace == null)'
w_stop
check_eq "exit 0" "$KRC" 0
finish
