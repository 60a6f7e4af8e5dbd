# tests/lib/faults.sh — helpers for the fault tests (0500-0549), sourced after
# lib.sh and worker.sh. Records are Confluent-framed Avro {ID: long, PAYLOAD:
# string} with IDs 1..N, produced with ksink-produce through the stack's
# registry; the JDBC sink writes them in insert mode without a key, so a
# record written twice shows as a duplicate ID and a lost one as a gap.
#
#   f_init                      schema file ($W/rec.avsc), worker props ($W/w.properties)
#   f_produce TOPIC FROM TO [ksink-produce args]  records FROM..TO to TOPIC on $BS
#   f_trickle TOPIC FROM TO STEP PAUSE            the same in slices of STEP, PAUSE s apart
#   f_jdbc NAME TOPIC [k=v ...]  JDBC sink connector JSON (insert, no pk, auto.create)
#   f_rows TABLE                 row count (0 when the table is missing)
#   f_has_rows TABLE N           at least N rows
#   f_exactly TABLE N            prints "# produced N / in table … / duplicates … /
#                                missing …" and checks rows == N, no duplicate,
#                                no gap; sets F_DUPS F_MISSING F_ROWS
#   f_offsets_sum NAME           sum of next offsets in __ksink_offsets for NAME
#   f_task_msg NAME              the status traces of the RUNNING tasks (retry messages)
#   f_no_task_failed             checks that no task went FAILED in $W/ksink.log
#   f_group_settled NAME N       each of the N tasks of NAME got partitions (the
#                                group's first rebalances are over)
#   f_metric NAME METRIC         sum of a /metrics counter over the tasks of NAME

F_DUPS="" F_MISSING="" F_ROWS=""

f_init() {
	cat >"$W/rec.avsc" <<'EOF'
{"type":"record","name":"FaultRec","namespace":"io.ksink.test",
 "fields":[{"name":"ID","type":"long"},{"name":"PAYLOAD","type":"string"}]}
EOF
	w_props "$W/w.properties" \
		"value.converter=io.confluent.connect.avro.AvroConverter" \
		"value.converter.schema.registry.url=$KSINK_REGISTRY_URL" "$@"
}

f_lines() {
	awk -v a="$1" -v b="$2" 'BEGIN { for (i = a; i <= b; i++)
		printf "{\"ID\":%d,\"PAYLOAD\":\"rec-%d\"}\n", i, i }'
}

f_produce() {
	local topic=$1 from=$2 to=$3
	shift 3
	f_lines "$from" "$to" | "$BUILD/ksink-produce" --bootstrap "$BS" \
		--registry "$KSINK_REGISTRY_URL" --topic "$topic" --value-schema "$W/rec.avsc" \
		"$@" 2>>"$W/produce.log"
}

# records f_produce has produced so far (its "produced N records" lines)
f_produced() {
	[ -f "$W/produce.log" ] || { echo 0; return; }
	awk '/^produced / { n += $2 } END { print n + 0 }' "$W/produce.log"
}

f_trickle() {
	local topic=$1 from=$2 to=$3 step=$4 pause=$5 a
	for ((a = from; a <= to; a += step)); do
		f_produce "$topic" "$a" $((a + step - 1 > to ? to : a + step - 1)) || return 1
		sleep "$pause"
	done
}

f_jdbc() {
	local name=$1 topic=$2 cfg
	shift 2
	cfg=$(jq -nc --arg url "$KSINK_PG_JDBC_URL" --arg t "$topic" '{
		"connector.class":"io.confluent.connect.jdbc.JdbcSinkConnector",
		"connection.url":$url, "connection.user":"postgres", "topics":$t,
		"auto.create":"true", "insert.mode":"insert", "pk.mode":"none",
		"tasks.max":"1", "connection.backoff.ms":"300", "retry.backoff.ms":"300"}')
	for kv in "$@"; do
		cfg=$(jq -c --arg k "${kv%%=*}" --arg v "${kv#*=}" '. + {($k):$v}' <<<"$cfg")
	done
	jq -nc --arg n "$name" --argjson c "$cfg" '{"name":$n,"config":$c}'
}

f_rows() { psql_q "SELECT count(*) FROM \"$1\"" 2>/dev/null || echo 0; }
f_has_rows() { [ "$(f_rows "$1")" -ge "$2" ]; }

f_exactly() {
	local t=$1 n=$2 r
	r=$(psql_q "SELECT count(*), count(*) - count(DISTINCT \"ID\"),
		$n - count(DISTINCT \"ID\") FILTER (WHERE \"ID\" BETWEEN 1 AND $n),
		count(*) FILTER (WHERE \"ID\" NOT BETWEEN 1 AND $n) FROM \"$t\"" 2>/dev/null)
	IFS='|' read -r F_ROWS F_DUPS F_MISSING strays <<<"${r:-0|0|$n|0}"
	echo "# produced $n / in table $F_ROWS / duplicates $F_DUPS / missing $F_MISSING"
	check_eq "exactly once: $n rows in $t" "$F_ROWS" "$n"
	check_eq "exactly once: 0 duplicates" "$F_DUPS" 0
	check_eq "exactly once: 0 missing" "$F_MISSING" 0
	check_eq "exactly once: no stray IDs" "$strays" 0
}

f_offsets_sum() {
	psql_q "SELECT coalesce(sum(next_offset), 0) FROM \"__ksink_offsets\" WHERE connector = '$1' AND next_offset >= 0"
}

f_task_msg() {
	curl -s "$URL/connectors/$1/status" |
		jq -r '[.tasks[] | select(.state == "RUNNING") | .trace // empty] | join(" | ")'
}

f_no_task_failed() {
	local n
	n=$(grep -c 'task failed' "$W/ksink.log")
	if [ "$n" = 0 ]; then ok "no task failed"; else
		not_ok "no task failed" "$(grep -m1 'task failed' "$W/ksink.log" | cut -c1-300)"
	fi
}

f_metric() {
	curl -s "$URL/metrics" | awk -v m="$2" -v c="connector=\"$1\"" \
		'index($0, m "{") == 1 && index($0, c) { s += $NF } END { print s + 0 }'
}

f_group_settled() {
	local i
	for ((i = 0; i < $2; i++)); do
		grep -q "task|$1-$i\] assigned " "$W/ksink.log" || return 1
	done
}
