#!/usr/bin/env bash
# 0401-rest_api.sh — every route of Connect's REST API (connect_rest.yaml)
# with its status codes, and each response's shape (field names and types)
# checked with jq. Uses the test MemorySink, so no Postgres is needed.
# needs: none (starts its own mock cluster: tests/run.sh starts no stack for it)
source "$(dirname "$0")/lib/worker_test.sh" --test-sink
w_mock
w_props "$W/w.properties" "task.shutdown.graceful.timeout.ms=3000"
start_ok "worker starts" "$W/w.properties" || finish

# --- root, health ---
api GET /
check_eq "GET / 200" "$CODE" 200
check_jq "ServerInfo shape" '(.version|type)=="string" and (.commit|type)=="string" and (.kafka_cluster_id|type)=="string"'
check_jq "kafka_cluster_id from the cluster" '.kafka_cluster_id | length > 0'
api GET /health
check_eq "GET /health 200" "$CODE" 200
check_jq "health shape" '.status=="healthy" and (.message|type)=="string"'
ct=$(curl -s -o /dev/null -w '%{content_type}' "$URL/")
check_eq "JSON content type" "$ct" "application/json"

# --- plugins ---
api GET /connector-plugins
check_eq "GET /connector-plugins 200" "$CODE" 200
check_jq "PluginInfo list" 'type=="array" and all(.[]; (.class|type)=="string" and .type=="sink")'
check_jq "MemorySink listed" 'any(.[]; .class=="io.ksink.test.MemorySink")'
api GET "/connector-plugins?connectorsOnly=false"
check_jq "connectorsOnly=false adds converters" 'any(.[]; .type=="converter" and .class=="org.apache.kafka.connect.storage.StringConverter")'
api GET /connector-plugins/io.ksink.test.MemorySink/config
check_eq "plugin config 200" "$CODE" 200
check_jq "ConfigKeyInfo list" 'type=="array" and all(.[]; (.name|type)=="string" and (.type|type)=="string" and (.required|type)=="boolean" and (.importance|type)=="string" and (.order|type)=="number")'
check_jq "plugin keys first, then the framework's" '.[0].name=="file" and any(.[]; .name=="topics")'
api GET /connector-plugins/MemorySink/config
check_eq "plugin config by alias 200" "$CODE" 200
api GET /connector-plugins/com.example.Nope/config
check_eq "unknown plugin config 404" "$CODE" 404
check_jq "error body shape" '.error_code==404 and (.message|test("Unknown plugin"))'

# validate: 200 even with errors
api PUT /connector-plugins/io.ksink.test.MemorySink/config/validate \
	'{"connector.class":"io.ksink.test.MemorySink","name":"v","tasks.max":"0"}'
check_eq "validate with errors 200" "$CODE" 200
check_jq "ConfigInfos shape" '(.name|type)=="string" and (.error_count|type)=="number" and (.groups|type)=="array" and (.configs|type)=="array"'
check_jq "error_count counts errors (tasks.max, topics)" '.error_count >= 2'
check_jq "ConfigInfo entries" 'all(.configs[]; has("definition") and has("value")) and any(.configs[]; .value.name=="tasks.max" and (.value.errors|length)>0)'
api PUT /connector-plugins/io.ksink.test.MemorySink/config/validate \
	'{"connector.class":"io.ksink.test.MemorySink","name":"v","topics":"a"}'
check_jq "valid config: error_count 0" '.error_count==0'
api PUT /connector-plugins/io.ksink.test.MemorySink/config/validate \
	'{"connector.class":"io.confluent.connect.jdbc.JdbcSinkConnector","name":"v","topics":"a"}'
check_eq "validate: class differs from path 400" "$CODE" 400
api PUT /connector-plugins/io.ksink.test.MemorySink/config/validate '{"name":"v"}'
check_eq "validate: no connector.class 500 (as Connect)" "$CODE" 500

# --- create ---
api GET /connectors
check_eq "GET /connectors 200" "$CODE" 200
check_eq "no connectors yet" "$BODY" "[]"
out=$(curl -s -i -X POST -H 'Content-Type: application/json' --data-binary "$(memsink r1 rt tasks.max=2)" "$URL/connectors")
check "POST 201 Created" grep -q '^HTTP/1.1 201' <<<"$out"
check "POST Location header" grep -qi '^Location: /connectors/r1' <<<"$out"
BODY=$(sed -n '/^\r$/,$p' <<<"$out" | tail -n +2)
check_jq "ConnectorInfo shape" '.name=="r1" and (.config|type)=="object" and .type=="sink" and (.tasks|length)==2 and .tasks[0].connector=="r1" and .tasks[0].task==0'
check_jq "config values are strings, name filled in" '(.config|to_entries|all(.value|type=="string")) and .config.name=="r1"'
api POST /connectors "$(memsink r1 rt)"
check_eq "POST existing 409" "$CODE" 409
check_jq "409 body" '.error_code==409 and (.message|test("already exists"))'
api POST /connectors '{"name":"bad1","config":{"connector.class":"io.ksink.test.MemorySink","tasks.max":"0"}}'
check_eq "POST invalid config 400" "$CODE" 400
check_jq "400 lists the errors" '(.message|test("Connector configuration is invalid and contains the following")) and (.message|test("topics"))'
api POST /connectors '{"name":"bad2","config":{"topics":"x"}}'
check_eq "POST without connector.class 400" "$CODE" 400
api POST /connectors '{"name":"bad3","config":{"connector.class":"com.example.Nope","topics":"x"}}'
check_eq "POST unknown class 500 (as Connect)" "$CODE" 500
api POST /connectors '{"name":"bad4"}'
check_eq "POST without config 400" "$CODE" 400
api POST /connectors '{"name":"bad5","config":{"name":"other","connector.class":"MemorySink","topics":"x"}}'
check_eq "POST name mismatch 400" "$CODE" 400
api POST /connectors '{"name":"bad6",'
check_eq "malformed JSON 500 (as Connect)" "$CODE" 500
check_jq "malformed JSON error body" '.error_code==500'
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d 'a=b' "$URL/connectors")
check_eq "form-encoded body 415" "$code" 415
head -c 1100000 /dev/zero | tr '\0' 'a' >"$W/big"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary @"$W/big" "$URL/connectors")
check_eq "body over 1 MiB 413" "$code" 413
api POST /connectors "$(memsink 'we/ird..name' rt)"
check_eq "name with / and .. accepted" "$CODE" 201
api GET "/connectors/we%2Fird..name/status"
check_eq "addressed with %2F" "$CODE" 200
api POST /connectors "$(memsink r3 rt | jq -c '. + {"initial_state":"PAUSED"}')"
check_eq "POST initial_state PAUSED 201" "$CODE" 201
check "initial_state PAUSED honoured" wait_for 20 all_tasks r3 PAUSED 1

# --- list, expand ---
api GET /connectors
check_jq "list is sorted names" '. == ["r1","r3","we/ird..name"]'
api GET "/connectors?expand=status"
check_jq "expand=status map" '(.r1.status.connector.state|type)=="string" and (.r1|has("info")|not)'
api GET "/connectors?expand=status&expand=info"
check_jq "expand=status&expand=info map" '.r1.info.name=="r1" and .r1.status.name=="r1"'
api GET "/connectors?expand=bogus"
check_jq "unknown expand ignored" 'type=="array"'

# --- connector reads ---
api GET /connectors/r1
check_eq "GET connector 200" "$CODE" 200
check_jq "GET connector shape" '.name=="r1" and .type=="sink" and (.tasks|length)==2'
api GET /connectors/nope
check_eq "GET unknown connector 404" "$CODE" 404
api GET /connectors/r1/config
check_jq "GET config: flat string map" 'type=="object" and .name=="r1" and .topics=="rt" and (to_entries|all(.value|type=="string"))'
api GET /connectors/nope/config
check_eq "GET unknown config 404" "$CODE" 404
check "r1 tasks running" wait_for 20 all_tasks r1 RUNNING 2
api GET /connectors/r1/status
check_jq "ConnectorStateInfo shape" '.name=="r1" and .type=="sink" and .connector.state=="RUNNING" and (.connector.worker_id|type)=="string" and (.connector|has("trace")|not) and (.tasks|length)==2 and all(.tasks[]; (.id|type)=="number" and (.state|type)=="string" and (.worker_id|type)=="string")'
check_jq "tasks sorted by id" '[.tasks[].id] == [0,1]'
api GET /connectors/nope/status
check_eq "status unknown 404" "$CODE" 404
api GET /connectors/r1/tasks/1/status
check_eq "task status 200" "$CODE" 200
check_jq "TaskState shape" '.id==1 and .state=="RUNNING" and (.worker_id|type)=="string"'
api GET /connectors/r1/tasks/7/status
check_eq "unknown task status 404" "$CODE" 404
api GET /connectors/r1/tasks/x/status
check_eq "non-numeric task 404" "$CODE" 404
api GET /connectors/r1/tasks
check_jq "TaskInfo list" '(.|length)==2 and .[0].id.connector=="r1" and .[0].id.task==0 and (.[0].config|type)=="object" and (.[0].config["task.class"]|type)=="string"'
api GET /connectors/r1/tasks-config
check_jq "tasks-config map" 'has("r1-0") and has("r1-1")'
api GET /connectors/nope/tasks
check_eq "tasks unknown 404" "$CODE" 404

# --- records, topics, metrics ---
printf 'a:1\nb:2\nc:3\n' | produce rt
check "records delivered" wait_for 30 sink_has r1 3
api GET /connectors/r1/topics
check_eq "topics 200" "$CODE" 200
check_jq "ActiveTopicsInfo" '.r1.topics == ["rt"]'
api PUT /connectors/r1/topics/reset
check_eq "topics reset 202" "$CODE" 202
api GET /connectors/r1/topics
check_jq "topics empty after reset" '.r1.topics == []'
api GET /connectors/nope/topics
check_eq "topics unknown 404" "$CODE" 404
m=$(curl -s "$URL/metrics")
check "metrics: records written" grep -qE '^ksink_task_records_written_total\{connector="r1",task="[01]"\} [1-9]' <<<"$m"
check "metrics: lag gauge" grep -q '^ksink_partition_lag{connector="r1"' <<<"$m"
check "metrics: commit latency" grep -q '^ksink_task_commit_seconds_count{connector="r1"' <<<"$m"
ct=$(curl -s -o /dev/null -w '%{content_type}' "$URL/metrics")
check "metrics: Prometheus text" grep -q '^text/plain' <<<"$ct"

# --- update ---
api PUT /connectors/r1/config "$(memsink r1 rt tasks.max=1 | jq -c .config)"
check_eq "PUT config existing 200" "$CODE" 200
check_jq "PUT config result" '.name=="r1" and (.tasks|length)==1'
api PUT /connectors/r4/config "$(memsink r4 rt | jq -c .config)"
check_eq "PUT config new 201" "$CODE" 201
api PUT /connectors/r4/config '{"connector.class":"MemorySink","topics":"rt","name":"zzz"}'
check_eq "PUT config name mismatch 400" "$CODE" 400
api PUT /connectors/r4/config '{"connector.class":"MemorySink","tasks.max":"x","topics":"rt"}'
check_eq "PUT invalid config 400" "$CODE" 400
api PATCH /connectors/r4/config '{"tasks.max":"2","fail.value":null,"extra.key":"1"}'
check_eq "PATCH config 200" "$CODE" 200
check_jq "PATCH merged" '.config["tasks.max"]=="2" and .config["extra.key"]=="1" and .config.topics=="rt"'
api PATCH /connectors/r4/config '{"extra.key":null}'
check_jq "PATCH null removes a key" '(.config|has("extra.key"))|not'
api PATCH /connectors/nope/config '{"a":"b"}'
check_eq "PATCH unknown 404" "$CODE" 404
api PATCH /connectors/r4/config '{"tasks.max":"0"}'
check_eq "PATCH invalid result 400" "$CODE" 400

# --- pause, resume, stop, restart ---
api PUT /connectors/r4/pause
check_eq "pause 202" "$CODE" 202
check_eq "pause: no body" "$BODY" ""
check "paused" wait_for 20 all_tasks r4 PAUSED 2
check_eq "connector PAUSED" "$(conn_state r4)" PAUSED
api PUT /connectors/r4/pause
check_eq "pause idempotent 202" "$CODE" 202
api PUT /connectors/r4/resume
check_eq "resume 202" "$CODE" 202
check "resumed" wait_for 20 all_tasks r4 RUNNING 2
api PUT /connectors/nope/pause
check_eq "pause unknown 404" "$CODE" 404
api PUT /connectors/nope/resume
check_eq "resume unknown 404" "$CODE" 404
api POST /connectors/r4/restart
check_eq "plain restart 204" "$CODE" 204
api POST "/connectors/r4/restart?includeTasks=true"
check_eq "restart includeTasks 202" "$CODE" 202
check_jq "restart body marks RESTARTING" '.connector.state=="RESTARTING" and all(.tasks[]; .state=="RESTARTING")'
check "tasks back to RUNNING" wait_for 20 all_tasks r4 RUNNING 2
api POST "/connectors/r4/restart?includeTasks=true&onlyFailed=true"
check_eq "restart onlyFailed 202" "$CODE" 202
check_jq "onlyFailed: nothing failed, nothing restarting" '.connector.state=="RUNNING" and all(.tasks[]; .state!="RESTARTING")'
api POST /connectors/nope/restart
check_eq "restart unknown 404" "$CODE" 404
api POST /connectors/r4/tasks/0/restart
check_eq "task restart 204" "$CODE" 204
api POST /connectors/r4/tasks/9/restart
check_eq "unknown task restart 404" "$CODE" 404
check_jq "unknown task message" '.message=="Unknown task: r4-9"'

# --- offsets ---
api GET /connectors/r1/offsets
check_eq "GET offsets 200" "$CODE" 200
check_jq "ConnectorOffsets shape" '(.offsets|length)>=1 and all(.offsets[]; (.partition.kafka_topic|type)=="string" and (.partition.kafka_partition|type)=="number" and (.offset.kafka_offset|type)=="number")'
api PATCH /connectors/r1/offsets '{"offsets":[{"partition":{"kafka_topic":"rt","kafka_partition":0},"offset":{"kafka_offset":0}}]}'
check_eq "PATCH offsets while running 400" "$CODE" 400
check_jq "not STOPPED message" '.message|test("STOPPED state")'
api DELETE /connectors/r1/offsets
check_eq "DELETE offsets while running 400" "$CODE" 400
api PUT /connectors/r1/stop
check_eq "stop 204" "$CODE" 204
check_eq "connector STOPPED" "$(conn_state r1)" STOPPED
api GET /connectors/r1/status
check_jq "stopped connector has no tasks" '.tasks == []'
api GET /connectors/r1
check_jq "stopped connector info has no tasks" '.tasks == []'
api PUT /connectors/r1/stop
check_eq "stop idempotent 204" "$CODE" 204
api PUT /connectors/nope/stop
check_eq "stop unknown 404" "$CODE" 404
api PATCH /connectors/r1/offsets '{"offsets":[]}'
check_eq "PATCH empty offsets 400" "$CODE" 400
api PATCH /connectors/r1/offsets '{"offsets":[{"partition":{"kafka_topic":"rt"},"offset":{"kafka_offset":1}}]}'
check_eq "PATCH offsets without partition 400" "$CODE" 400
api PATCH /connectors/r1/offsets '{"offsets":[{"partition":{"kafka_topic":"rt","kafka_partition":"0"},"offset":{"kafka_offset":"1"}}]}'
check_eq "PATCH offsets (numeric strings) 200" "$CODE" 200
check_jq "alter message" '.message|test("altered successfully")'
api GET /connectors/r1/offsets
check_jq "offset altered" 'any(.offsets[]; .partition.kafka_topic=="rt" and .partition.kafka_partition==0 and .offset.kafka_offset==1)'
api DELETE /connectors/r1/offsets
check_eq "DELETE offsets 200" "$CODE" 200
check_jq "reset message" '.message|test("reset successfully")'
api GET /connectors/r1/offsets
check_jq "offsets back to the start" 'all(.offsets[]; .offset.kafka_offset==0)'
api GET /connectors/nope/offsets
check_eq "offsets unknown 404" "$CODE" 404
: >"$W/r1.out"
api PUT /connectors/r1/resume
check_eq "resume a STOPPED connector 202" "$CODE" 202
check "after reset every record is read again" wait_for 40 sink_has r1 3

# --- loggers ---
api GET /admin/loggers
check_eq "loggers 200" "$CODE" 200
check_jq "root logger listed" '.root.level=="INFO" and .root.last_modified==null'
api PUT /admin/loggers/task '{"level":"DEBUG"}'
check_eq "set logger 200" "$CODE" 200
check_jq "affected loggers" '. == ["task"]'
api GET /admin/loggers/task
check_jq "LoggerLevel" '.level=="DEBUG" and (.last_modified|type)=="number"'
api GET /admin/loggers
check_jq "logger now listed" '.task.level=="DEBUG"'
api PUT /admin/loggers/task '{"level":"LOUD"}'
check_eq "invalid level 404 (as Connect)" "$CODE" 404
api PUT /admin/loggers/task '{}'
check_eq "missing level 400" "$CODE" 400
api PUT "/admin/loggers/task?scope=cluster" '{"level":"INFO"}'
check_eq "cluster scope 204" "$CODE" 204
api GET /admin/loggers/no.such.logger
check_eq "unknown logger 404" "$CODE" 404

# --- unknown paths and methods ---
api GET /nope
check_eq "unknown path 404" "$CODE" 404
check_jq "unknown path body" '.error_code==404 and .message=="HTTP 404 Not Found"'
api DELETE /connectors
check_eq "wrong method 405" "$CODE" 405
check_jq "405 body" '.error_code==405'
api GET /connectors/r1/pause
check_eq "GET on pause 405" "$CODE" 405
api POST /connectors/r1/nope
check_eq "unknown sub-resource 404" "$CODE" 404

# --- delete ---
api DELETE /connectors/r4
check_eq "DELETE 204" "$CODE" 204
api DELETE /connectors/r4
check_eq "DELETE again 404" "$CODE" 404
api GET /connectors
check_jq "deleted connector gone" 'index("r4") == null'
w_stop
check_eq "worker exits 0" "$KRC" 0

# --- the shipped worker (build/ksink, without the test sink) offers only real connectors ---
KSINK=$BUILD/ksink
start_ok "the shipped worker starts" "$W/w.properties" || finish
api GET /connector-plugins
check_jq "only the JDBC sink listed" '[.[].class] == ["io.confluent.connect.jdbc.JdbcSinkConnector"]'
api POST /connectors "$(memsink prod1 t)"
check_eq "the test sink is unknown, as any unknown class (500, as Connect)" "$CODE" 500
check_jq "message names the missing class" '.message | test("Failed to find any class.*MemorySink")'
w_stop
finish
