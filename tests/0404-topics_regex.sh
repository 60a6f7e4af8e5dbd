#!/usr/bin/env bash
# 0404-topics_regex.sh — a topics.regex connector picks up a topic created
# after it started (the mock auto-creates it on first produce), and topics
# that do not match stay unread. /topics lists what was actually consumed.
# kafka-tiers: mock real (tests/run.sh: also run against the real broker)
source "$(dirname "$0")/lib/worker_test.sh" --test-sink
w_kafka
w_props "$W/w.properties"
start_ok "worker starts" "$W/w.properties" || finish

printf 'a:1\n' | produce orders.eu
api POST /connectors "$(memsink rx 're:orders\..*')"
check_eq "regex connector created" "$CODE" 201
check "task RUNNING" wait_for 20 all_tasks rx RUNNING 1
check "existing matching topic read" wait_for 30 sink_has rx 1
printf 'b:2\nc:3\n' | produce orders.us   # created now, after the subscription
printf 'x:9\n' | produce returns.eu         # does not match
check "topic created later is picked up" wait_for 60 sink_has rx 3
check "its records arrived" grep -q $'^orders.us\t' "$W/rx.out"
sleep 1
check_eq "non-matching topic not read" "$(grep -c '^returns' "$W/rx.out")" 0
api GET /connectors/rx/topics
check_jq "active topics" '.rx.topics == ["orders.eu","orders.us"]'
api GET /connectors/rx/offsets
check_jq "offsets for regex topics" '[.offsets[].partition.kafka_topic] | unique == ["orders.eu","orders.us"]'
w_stop
check_eq "exit 0" "$KRC" 0
finish
