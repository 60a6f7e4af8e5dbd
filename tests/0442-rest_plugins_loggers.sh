#!/usr/bin/env bash
# 0442-rest_plugins_loggers.sh — the REST plugin and logger endpoints are as
# complete as Connect 3.9's:
#   - GET /connector-plugins?connectorsOnly=false lists, after the connectors,
#     the converters, the header converter, the transformations (SMTs) and
#     the predicates ksink has, with Connect's type names and a version, in
#     Connect's order; never a class ksink refuses (HeaderFrom);
#   - GET /connector-plugins/{plugin}/config answers the keys of each kind
#     (a converter's, an SMT's, a predicate's), by full or simple class name;
#   - PUT /admin/loggers/{name} with a Connect-length class name, then GET
#     /admin/loggers lists it with its level; a namespace sets the loggers
#     below it too and answers them all, as Connect's Loggers.setLevel.
# ASan build when present.
# needs: none
source "$(dirname "$0")/lib/worker_test.sh"
w_asan --say
w_mock
w_props "$W/w.properties"
start_ok "worker starts" "$W/w.properties" || finish

api GET "/connector-plugins?connectorsOnly=false"
check_eq "connectorsOnly=false: 200" "$CODE" 200
check_jq "every entry has class, type and version" \
	'all(.[]; (.class|type)=="string" and (.type|type)=="string" and (.version|type)=="string")'
check_jq "Connect's order: connectors, converters, header converters, transformations, predicates" \
	'[.[].type | {"sink":0,"source":0,"converter":1,"header_converter":2,"transformation":3,"predicate":4}[.]] as $o | $o == ($o | sort)'
for c in 'org.apache.kafka.connect.json.JsonConverter converter' \
	'io.confluent.connect.avro.AvroConverter converter' \
	'org.apache.kafka.connect.storage.SimpleHeaderConverter header_converter' \
	'org.apache.kafka.connect.transforms.Cast$Value transformation' \
	'org.apache.kafka.connect.transforms.RegexRouter transformation' \
	'org.apache.kafka.connect.transforms.Filter transformation' \
	'io.debezium.transforms.ExtractNewRecordState transformation' \
	'org.apache.kafka.connect.transforms.predicates.TopicNameMatches predicate' \
	'org.apache.kafka.connect.transforms.predicates.RecordIsTombstone predicate'; do
	set -- $c
	check_jq "lists $1 as $2" "any(.[]; .class==\"$1\" and .type==\"$2\" and .version==\"3.9.0\")"
done
check_jq "no class ksink refuses (HeaderFrom)" 'all(.[]; .class | test("HeaderFrom") | not)'
check_jq "no duplicate" '(map(.class) | length) == (map(.class) | unique | length)'
api GET /connector-plugins
check_jq "connectorsOnly defaults to true: connectors only" 'all(.[]; .type=="sink" or .type=="source")'

# plugin config for each kind
keys() { jq -c '[.[].name]' <<<"$BODY"; }
api GET '/connector-plugins/org.apache.kafka.connect.transforms.Cast$Value/config'
check_eq "Cast\$Value config: 200" "$CODE" 200
check_jq "Cast\$Value config: its spec key, as a ConfigKeyInfo" \
	'any(.[]; .name=="spec" and .type=="LIST" and .required==true)'
api GET /connector-plugins/RegexRouter/config
check_eq "RegexRouter (simple name) config: 200" "$CODE" 200
check_eq "RegexRouter config: regex, replacement" "$(keys)" '["regex","replacement"]'
api GET /connector-plugins/org.apache.kafka.connect.transforms.predicates.TopicNameMatches/config
check_eq "TopicNameMatches config: 200" "$CODE" 200
check_eq "TopicNameMatches config: pattern" "$(keys)" '["pattern"]'
api GET /connector-plugins/org.apache.kafka.connect.json.JsonConverter/config
check_eq "JsonConverter config: 200" "$CODE" 200
check_jq "JsonConverter config: schemas.enable and converter.type" \
	'any(.[]; .name=="schemas.enable") and any(.[]; .name=="converter.type")'
api GET /connector-plugins/org.apache.kafka.connect.storage.SimpleHeaderConverter/config
check_eq "SimpleHeaderConverter config: 200 (no keys)" "$CODE:$BODY" '200:[]'
api GET '/connector-plugins/org.apache.kafka.connect.transforms.HeaderFrom$Key/config'
check_eq "a refused SMT: 404" "$CODE" 404
api GET /connector-plugins/com.example.Nope/config
check_eq "unknown plugin: 404" "$CODE" 404

# loggers: Connect's names are class names
L=org.apache.kafka.connect.runtime.distributed.DistributedHerder.with.a.longer.tail.than.ninety.six.characters
api PUT "/admin/loggers/$L" '{"level":"DEBUG"}'
check_eq "PUT a long logger name: 200" "$CODE" 200
check_jq "PUT answers the affected logger" ". == [\"$L\"]"
api PUT /admin/loggers/io.confluent.connect.jdbc '{"level":"TRACE"}'
check_eq "PUT io.confluent.connect.jdbc: 200" "$CODE" 200
api GET /admin/loggers
check_jq "GET lists the long name with its level" ".[\"$L\"].level == \"DEBUG\" and (.[\"$L\"].last_modified | type) == \"number\""
check_jq "GET lists io.confluent.connect.jdbc TRACE" '.["io.confluent.connect.jdbc"].level == "TRACE"'
check_jq "root is still there" '.root.level == "INFO"'
api GET "/admin/loggers/$L"
check_eq "GET the one logger: DEBUG" "$(jq -r .level <<<"$BODY")" DEBUG
# a namespace takes the loggers below it along (Connect's Loggers.setLevel)
api PUT /admin/loggers/io.confluent.connect.j '{"level":"WARN"}'
check_jq "io.confluent.connect.j is not a parent of io.confluent.connect.jdbc" '. == ["io.confluent.connect.j"]'
api PUT /admin/loggers/io.confluent '{"level":"DEBUG"}'
check_eq "PUT a parent namespace: 200" "$CODE" 200
check_jq "PUT a parent: the affected loggers, sorted" \
	'. == ["io.confluent","io.confluent.connect.j","io.confluent.connect.jdbc"]'
api GET /admin/loggers
check_jq "the child took the parent's level" '.["io.confluent.connect.jdbc"].level == "DEBUG"'
check_jq "a logger elsewhere kept its own" ".[\"$L\"].level == \"DEBUG\" and .root.level == \"INFO\""
api PUT "/admin/loggers/x$(printf 'y%.0s' $(seq 1 300))" '{"level":"DEBUG"}'
check_eq "a 300-character name: 400, not a 500" "$CODE" 400
w_stop
check_eq "clean exit" "$KRC" 0
finish
