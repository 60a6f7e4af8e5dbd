#!/usr/bin/env bash
# 0563-distributed_leader.sh — the leader and rolling restarts (issue 14):
# 1. three distributed workers; the leader (the live worker that logged
#    "became the leader" last) is killed with kill -9. A write on a survivor
#    (PUT of a connector config) answers 409 until a new leader has caught
#    up, then succeeds; the new config is seen on the other survivor; a
#    write on the old leader, started again, succeeds.
# 2. a JDBC sink (tasks.max=3, 12 partitions, insert mode without a key)
#    while 30 000 records stream in: each worker in turn is stopped with
#    SIGTERM and started again. Its tasks run elsewhere before a session
#    timeout (a clean stop leaves the groups at once), the sink keeps writing
#    during every step (no stall), and at the end every record is in the
#    table exactly once.
# kafka-tiers: real (distributed mode: tests/run.sh runs it on the real broker only)
source "$(dirname "$0")/lib/worker_test.sh"
source "$(dirname "$0")/lib/cluster.sh"
c_init
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }

N=30000
T=t0563_rr_$$
LT=${T}_lw # the leader part's connector reads its own topic
w_kafka "$T:12" "$LT:1"
f_init
psql_q "DROP TABLE IF EXISTS \"$T\"; DELETE FROM \"__ksink_offsets\" WHERE connector = 'rr'" \
	>/dev/null 2>&1
c_start_all_ok "3 workers healthy" 3 \
	"value.converter=io.confluent.connect.avro.AvroConverter" \
	"value.converter.schema.registry.url=$KSINK_REGISTRY_URL"
check "all healthy" wait_for 60 c_all_healthy 1 2 3; [ "$KS_FAILED" = 0 ] || finish

# --- 1. the leader killed
if c_leader_settled 60; then
	ok "one leader, named by every worker for 3 s"
else
	not_ok "one leader, named by every worker for 3 s" "self-declared: $(c_leader), views: $(for i in 1 2 3; do printf '%s ' "$(c_leader_view "$i")"; done)"
	finish
fi
L=$C_LEADER
api_on_retry "$L" POST /connectors "$(f_jdbc lw "$LT" tasks.max=1 batch.size=100)"
check_eq "a connector created on the leader" "$CODE" 201
A=$((L % 3 + 1)) B=$(((L + 1) % 3 + 1))
check_eq "the leader is still worker $L" "$(c_leader)" "$L"
echo "# leader: worker $L ($(c_id "$L")); kill -9; writes on worker $A"
t0=$(date +%s.%N)
c_kill "$L"
codes=() bad=""
deadline=$((SECONDS + 90))
while [ $SECONDS -lt $deadline ]; do
	api_on "$A" PUT /connectors/lw/config "$(f_jdbc lw "$LT" tasks.max=1 batch.size=222 | jq -c .config)"
	codes+=("$CODE")
	[ "$CODE" = 200 ] && break
	[ "$CODE" = 409 ] || [ -n "$bad" ] || bad="$CODE $BODY"
	[ "$CODE" = 409 ] && last409=$BODY
	sleep 0.2
done
t1=$(date +%s.%N)
echo "# after the leader's kill: $(printf '%s\n' "${codes[@]}" | uniq -c | awk '{ printf "%s x%s, ", $2, $1 }')in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
check_eq "a write succeeds once a new leader is there" "${codes[-1]}" 200
# the killed worker was the leader: no write can succeed before the group
# has noticed its death and a new leader has caught up
check "the first write after the kill is not accepted (${codes[0]})" test "${codes[0]}" != 200
check_eq "every answer before it was 409" "${bad:-none}" none
if [ -n "${last409:-}" ]; then
	BODY=$last409
	check_jq "the 409 is Connect's \"no known leader\" answer" \
		'.error_code == 409 and (.message | test("leader"))'
fi
L2=$(c_leader) || L2=""
check "a live worker became the new leader" test -n "$L2" -a "$L2" != "$L"
cfg_on() { api_on "$1" GET /connectors/lw/config && [ "$(jq -r '."batch.size"' <<<"$BODY")" = "$2" ]; }
check "the new config on worker $B" wait_for 20 cfg_on "$B" 222
c_start_ok "the old leader starts again" "$L"
api_on_retry "$L" PUT /connectors/lw/config "$(f_jdbc lw "$LT" tasks.max=1 batch.size=333 | jq -c .config)"
check_eq "a write on the restarted old leader" "$CODE" 200
echo "# after the old leader's restart the leader is worker $(c_leader || echo "(none)")"
check "that config on worker $A" wait_for 20 cfg_on "$A" 333
api_on_retry "$A" DELETE /connectors/lw
check_eq "lw deleted" "$CODE" 204
gone() { api_on "$1" GET /connectors/lw && [ "$CODE" = 404 ]; }
for i in 1 2 3; do check "lw gone on worker $i" wait_for 20 gone "$i"; done
psql_q "DROP TABLE IF EXISTS \"$LT\"; DELETE FROM \"__ksink_offsets\" WHERE connector = 'lw'" >/dev/null 2>&1

# --- 2. rolling restart while records stream
api_on_retry 2 POST /connectors "$(f_jdbc rr "$T" tasks.max=3 batch.size=1000)"
check_eq "connector rr created" "$CODE" 201
check "rr: 3 tasks RUNNING" wait_for 60 c_tasks_in 1 rr RUNNING 3
c_trickle "$T" 1 "$N" 1000 0.5 &
prod=$!
check "records stream in" wait_for 60 f_has_rows "$T" 1000
for i in 1 2 3; do
	before=$(f_rows "$T")
	j=$((i % 3 + 1))
	t0=$(date +%s.%N)
	c_stop "$i"
	check_eq "rolling: worker $i exits cleanly on SIGTERM" "$KRC" 0
	# a clean SIGTERM leaves the groups at once: its tasks run elsewhere
	# before a session timeout could have passed
	if wait_for 60 c_tasks_off "$j" rr RUNNING 3 "$i"; then
		h=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
		echo "# rolling: worker $i's tasks RUNNING elsewhere $h s after its SIGTERM"
		check "rolling: handover after SIGTERM faster than session.timeout.ms ($h s)" \
			awk -v f="$h" -v s="$C_SESSION_MS" 'BEGIN { exit !(f < s / 1000) }'
	else
		not_ok "rolling: worker $i's tasks RUNNING elsewhere after its SIGTERM" "$(c_status "$j" rr | head -c 300)"
	fi
	progressed() { [ "$(f_rows "$T")" -gt "$before" ]; }
	check "rolling: rows written while worker $i is down" wait_for 30 progressed
	c_start_ok "rolling: worker $i starts again" "$i"
	check "rolling: 3 tasks RUNNING after worker $i's restart" wait_for 60 c_tasks_in "$j" rr RUNNING 3
	echo "# rolling: worker $i restarted, $(f_rows "$T") rows; tasks on: $(c_task_ids "$j" rr | tr '\n' ' ')"
done
wait "$prod"
check_eq "producer sent all $N records" "$?" 0
check "no stall: all $N records written within 60 s of the last one produced" \
	wait_for 60 f_has_rows "$T" "$N"
offsets_done() { [ "$(f_offsets_sum rr)" = "$N" ]; }
check "offsets table: next offsets add up to $N" wait_for 30 offsets_done
f_exactly "$T" "$N"
c_no_task_failed
for i in 1 2 3; do
	c_stop "$i"
	check_eq "worker $i: clean exit on SIGTERM" "$KRC" 0
done
[ "$KS_FAILED" = 0 ] && psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
finish
