#!/usr/bin/env bash
# 0527-retention_skip.sh — records deleted by retention before the sink read
# them are reported, not silently skipped. A connector is STOPPED at offset
# 200 of a one-partition topic; then more than 5 MiB are produced, which the
# mock cluster's retention (5 MiB per partition) answers by deleting the
# oldest message sets, the unread records 201.. among them. On resume the
# stored offset is below the log start: librdkafka resets to the earliest
# offset (auto.offset.reset=earliest, as Connect) and the task must log a
# WARN naming the partition and the number of skipped offsets, count them in
# ksink_task_offsets_skipped_total and show them in the task's status trace.
# First a normal stop / resume (nothing deleted) must report nothing. Last,
# the same while the connector is PAUSED (the task keeps its partitions and
# seeks back to its position on resume, which is gone then).
#
# On a real broker the same happens with a topic created with a small
# retention (retention.bytes / segment.bytes, or DeleteRecords): only the
# way records are deleted differs.
source "$(dirname "$0")/lib/worker_test.sh"
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }

T=t0527_ret_$$
w_mock "$T:1"
f_init
psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
start_ok "worker starts" "$W/w.properties" || finish
api POST /connectors "$(f_jdbc rs "$T")"
check_eq "connector created" "$CODE" 201
check "task RUNNING" wait_for 30 all_tasks rs RUNNING 1

offsets_at() { [ "$(f_offsets_sum rs)" = "$1" ]; }
warns() { grep -c 'lost to retention' "$W/ksink.log"; }
stop_resume() { # FROM TO: stop, produce FROM..TO (big PAYLOADs with a 3rd arg), resume
	api PUT /connectors/rs/stop
	check_eq "stop 204" "$CODE" 204
	check "STOPPED" wait_for 30 bash -c "[ \"\$(curl -s '$URL/connectors/rs/status' | jq -r .connector.state)\" = STOPPED ]"
	if [ -n "${3:-}" ]; then
		awk -v a="$1" -v b="$2" 'BEGIN { pad = sprintf("%1000s", ""); gsub(/ /, "x", pad)
			for (i = a; i <= b; i++) printf "{\"ID\":%d,\"PAYLOAD\":\"rec-%d-%s\"}\n", i, i, pad }' |
			"$BUILD/ksink-produce" --bootstrap "$BS" --registry "$KSINK_REGISTRY_URL" \
				--topic "$T" --value-schema "$W/rec.avsc" 2>>"$W/produce.log"
	else
		f_produce "$T" "$1" "$2"
	fi
	check_eq "records $1..$2 produced while STOPPED" "$?" 0
	api PUT /connectors/rs/resume
	check_eq "resume 202" "$CODE" 202
	check "task RUNNING again" wait_for 30 all_tasks rs RUNNING 1
}

f_produce "$T" 1 100
check "records 1..100 written" wait_for 60 f_has_rows "$T" 100
check "offset 100 stored" wait_for 30 offsets_at 100

# --- a normal stop / resume: nothing lost, nothing reported ---
stop_resume 101 200
check "records 101..200 written" wait_for 60 f_has_rows "$T" 200
check "offset 200 stored" wait_for 30 offsets_at 200
f_exactly "$T" 200
check_eq "normal resume: no WARN" "$(warns)" 0
check_eq "normal resume: skipped-offsets metric 0" "$(f_metric rs ksink_task_offsets_skipped_total)" 0
check_eq "normal resume: no trace" "$(f_task_msg rs)" ""

# --- stopped while retention deletes unread records ---
N=6200 N1=6200
stop_resume 201 "$N" big
last_written() { [ "$(psql_q "SELECT coalesce(max(\"ID\"), 0) FROM \"$T\"")" = "$N" ]; }
check "the newest record ($N) is written" wait_for 90 last_written
check "offset $N stored" wait_for 30 offsets_at "$N"
lost=$(psql_q "SELECT $N - 200 - count(*) FROM \"$T\" WHERE \"ID\" > 200")
first=$(psql_q "SELECT min(\"ID\") FROM \"$T\" WHERE \"ID\" > 200")
gaps=$(psql_q "SELECT count(*) FROM \"$T\" WHERE \"ID\" > $first")
echo "# retention deleted records 201..$((first - 1)): $lost offsets (offsets 200..$((first - 2)))"
check "the mock's retention deleted unread records" test "$lost" -gt 0
check_eq "after the log start every record is written" "$gaps" $((N - first))
check "a WARN about the lost records" wait_for 10 bash -c "[ \"\$(grep -c 'lost to retention' '$W/ksink.log')\" -ge 1 ]"
line=$(grep -m1 'lost to retention' "$W/ksink.log")
echo "# log: ${line:0:300}"
check "the WARN is a WARN" grep -q 'WARN' <<<"$line"
check "the WARN names connector and task" grep -q 'rs-0' <<<"$line"
check "the WARN names the partition" grep -qF "$T[0]" <<<"$line"
check "the WARN counts $lost skipped offsets" grep -qE "(^|[^0-9])$lost offsets" <<<"$line"
check_eq "one WARN" "$(warns)" 1
m=$(f_metric rs ksink_task_offsets_skipped_total)
echo "# ksink_task_offsets_skipped_total = $m"
check_eq "metric counts the $lost skipped offsets" "$m" "$lost"
tr=$(f_task_msg rs)
echo "# status trace: ${tr:0:300}"
check "the status trace reports the skip" grep -q 'lost to retention' <<<"$tr"
check "the status trace names the partition and count" grep -qF "$T[0]" <<<"$tr"

# --- PAUSED (the task keeps its partitions) while retention deletes more:
# on resume the task seeks to its position, which is gone now ---
api PUT /connectors/rs/pause
check_eq "pause 202" "$CODE" 202
check "PAUSED" wait_for 30 all_tasks rs PAUSED 1
N2=12200
awk -v a=$((N + 1)) -v b="$N2" 'BEGIN { pad = sprintf("%1000s", ""); gsub(/ /, "x", pad)
	for (i = a; i <= b; i++) printf "{\"ID\":%d,\"PAYLOAD\":\"rec-%d-%s\"}\n", i, i, pad }' |
	"$BUILD/ksink-produce" --bootstrap "$BS" --registry "$KSINK_REGISTRY_URL" \
		--topic "$T" --value-schema "$W/rec.avsc" 2>>"$W/produce.log"
check_eq "records $((N + 1))..$N2 produced while PAUSED" "$?" 0
api PUT /connectors/rs/resume
check_eq "resume 202" "$CODE" 202
N=$N2
check "the newest record ($N) is written" wait_for 90 last_written
lost2=$(psql_q "SELECT $N - $N1 - count(*) FROM \"$T\" WHERE \"ID\" > $N1")
echo "# paused: retention deleted $lost2 more unread offsets"
check "the mock's retention deleted unread records" test "$lost2" -gt 0
check "a second WARN" wait_for 10 bash -c "[ \"\$(grep -c 'lost to retention' '$W/ksink.log')\" = 2 ]"
check "the second WARN counts $lost2 skipped offsets" \
	grep -qE "(^|[^0-9])$lost2 offsets" <<<"$(grep 'lost to retention' "$W/ksink.log" | tail -1)"
m=$(f_metric rs ksink_task_offsets_skipped_total)
echo "# ksink_task_offsets_skipped_total = $m"
check_eq "metric counts both: $lost + $lost2" "$m" $((lost + lost2))
tr=$(f_task_msg rs)
echo "# status trace: ${tr:0:300}"
check "the status trace has the last skip and the total" \
	grep -qE "skipped $lost2 offsets.* $((lost + lost2)) offsets in all" <<<"$tr"
f_no_task_failed
w_stop
check_eq "clean exit" "$KRC" 0
[ "$KS_FAILED" = 0 ] && psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
finish
