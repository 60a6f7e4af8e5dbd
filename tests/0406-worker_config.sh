#!/usr/bin/env bash
# 0406-worker_config.sh — worker.properties keys that shape connectors:
# config.providers (values resolved when tasks start, GET config shows them
# unresolved, as Connect), rest.advertised.host.name/port in worker_id,
# consumer.override.* applied per connector, and
# connector.client.config.override.policy=None refusing overrides.
# needs: none (starts its own mock cluster: tests/run.sh starts no stack for it)
source "$(dirname "$0")/lib/worker_test.sh" --test-sink
w_mock

echo "secret.path=$W/from-file.out" >"$W/secrets.properties"
w_props "$W/w.properties" \
	"config.providers=env,file" \
	"config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider" \
	"config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider" \
	"rest.advertised.host.name=connect" "rest.advertised.port=9999"
export KSINK_0406_OUT=$W/from-env.out
start_ok "worker starts" "$W/w.properties" || finish

api POST /connectors "$(memsink pe pt | jq -c '.config.file="${env:KSINK_0406_OUT}"')"
check_eq "created with an env reference" "$CODE" 201
api POST /connectors "$(memsink pf pt | jq -c --arg f "\${file:$W/secrets.properties:secret.path}" '.config.file=$f')"
check_eq "created with a file reference" "$CODE" 201
printf 'a:1\nb:2\n' | produce pt
check "env reference resolved for the task" wait_for 40 bash -c "[ \$(wc -l <'$W/from-env.out' 2>/dev/null || echo 0) -ge 2 ]"
check "file reference resolved for the task" wait_for 40 bash -c "[ \$(wc -l <'$W/from-file.out' 2>/dev/null || echo 0) -ge 2 ]"
api GET /connectors/pe/config
check_jq "GET config shows the reference, unresolved" '.file=="${env:KSINK_0406_OUT}"'
api GET /connectors/pe/status
check_jq "worker_id from rest.advertised.*" '.connector.worker_id=="connect:9999" and .tasks[0].worker_id=="connect:9999"'

# consumer.override.*: this connector starts at the end of the topic
printf 'old:1\n' | produce ot
api POST /connectors "$(memsink late ot consumer.override.auto.offset.reset=latest)"
api POST /connectors "$(memsink early ot)"
check "override: both running" wait_for 20 all_tasks late RUNNING 1
check "default connector reads the old record" wait_for 40 sink_has early 1
# "latest" is taken when the partition is assigned: produce only after that
check "override connector assigned" wait_for 30 grep -q "\[task|late-0\] assigned ot\[" "$W/ksink.log"
# (its offset lookup finishes a moment later: new records until one arrives)
new_arrives() { printf 'new:2\n' | produce ot; wait_for 2 sink_has late 1; }
check "override connector reads the new record" wait_for 40 new_arrives
check_eq "override connector skipped the old one (auto.offset.reset=latest)" \
	"$(cut -f4 "$W/late.out" | sort -u | tr '\n' ' ')" "new "
w_stop
check_eq "exit 0" "$KRC" 0

# policy None: overrides are refused at validation
w_props "$W/w2.properties" "connector.client.config.override.policy=None" "admin.listeners="
start_ok "worker with policy None" "$W/w2.properties" || finish
api POST /connectors "$(memsink np ot consumer.override.auto.offset.reset=latest)"
check_eq "override refused 400" "$CODE" 400
check_jq "names the policy and the key" '.message|test("None.*policy does not allow .auto.offset.reset.")'
api POST /connectors "$(memsink np2 ot)"
check_eq "no override: 201" "$CODE" 201
api GET /admin/loggers
check_eq "empty admin.listeners: /admin/loggers 404" "$CODE" 404
w_stop
check_eq "exit 0" "$KRC" 0
finish
