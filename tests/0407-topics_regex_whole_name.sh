#!/usr/bin/env bash
# 0407-topics_regex_whole_name.sh — topics.regex matches the WHOLE topic
# name, as Kafka's consumer does (Pattern.matcher(topic).matches()):
# topics.regex=rx consumes `rx` but neither `rxtail` (a prefix match) nor
# `pre_rx` (a substring match), and the offsets and topics views agree with
# the subscription (config/topics.c is the one decision).
# kafka-tiers: mock real (tests/run.sh: also run against the real broker)
source "$(dirname "$0")/lib/worker_test.sh" --test-sink
w_kafka
w_props "$W/w.properties"
start_ok "worker starts" "$W/w.properties" || finish

# the near misses exist (with records) before the connector subscribes
printf 't:1\n' | produce rxtail
printf 'p:1\n' | produce pre_rx
printf 'a:1\n' | produce rx
# a list connector reads the near misses: they are there to be read
api POST /connectors "$(memsink ctl 'rxtail,pre_rx')"
check_eq "control connector created" "$CODE" 201
check "control connector read rxtail and pre_rx" wait_for 30 sink_has ctl 2

api POST /connectors "$(memsink rx 're:rx')"
check_eq "regex connector created" "$CODE" 201
check "task RUNNING" wait_for 20 all_tasks rx RUNNING 1
check "rx read" wait_for 30 sink_has rx 1
# more records everywhere; the last rx record arrives after the near misses
printf 't:2\n' | produce rxtail
printf 'p:2\n' | produce pre_rx
printf 'b:2\nc:3\n' | produce rx
check "later rx records read" wait_for 30 sink_has rx 3
check "control connector read the later near misses" wait_for 30 sink_has ctl 4
check_eq "only rx consumed" "$(cut -f1 "$W/rx.out" | sort -u | tr '\n' ' ')" "rx "
check_eq "rxtail not consumed" "$(grep -c '^rxtail' "$W/rx.out")" 0
check_eq "pre_rx not consumed" "$(grep -c '^pre_rx' "$W/rx.out")" 0
api GET /connectors/rx/topics
check_jq "topics view" '.rx.topics == ["rx"]'
api GET /connectors/rx/offsets
check_jq "offsets view matches whole names" '[.offsets[].partition.kafka_topic] | unique == ["rx"]'
w_stop
check_eq "exit 0" "$KRC" 0
finish
