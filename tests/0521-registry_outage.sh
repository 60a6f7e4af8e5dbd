#!/usr/bin/env bash
# 0521-registry_outage.sh — the schema registry is stopped while records
# with a schema id the worker has not seen yet stream in (a new version of
# the value schema, adding an optional field). The task cannot convert them:
# it stays RUNNING with the registry error in its status, writes nothing
# out of order, goes through a rebalance meanwhile, and once the registry is
# back it resumes by itself (the new column is added by auto.evolve) with
# every record exactly once.
# The records are produced during the outage through a second registry
# started on a copy of the stack registry's data, so their ids are the ids
# the stack registry hands out when it is back.
source "$(dirname "$0")/lib/worker_test.sh"
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }
STACK=$ROOT/tests/stack.sh
REGPID=""
reg_up() { curl -sf "$KSINK_REGISTRY_URL/subjects" >/dev/null; }
trap 'reg_up || "$STACK" start registry --dir "$KSINK_STACK_DIR" >/dev/null 2>&1 </dev/null
	[ -n "$REGPID" ] && kill "$REGPID" 2>/dev/null; w_cleanup' EXIT

N1=5000 N=15000
T=t0521_reg_$$
w_mock "$T:4"
f_init
psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
start_ok "worker starts" "$W/w.properties" || finish
api POST /connectors "$(f_jdbc rego "$T" tasks.max=2 auto.evolve=true)"
check_eq "connector created" "$CODE" 201
check "2 tasks RUNNING" wait_for 30 all_tasks rego RUNNING 2
check "the group settled (both tasks have partitions)" wait_for 30 f_group_settled rego 2
f_produce "$T" 1 "$N1"
check_eq "v1 records produced" "$?" 0
check "v1 records written" wait_for 60 f_has_rows "$T" "$N1"

# v2 of the value schema, registered now; no record uses it yet
jq -c '.fields += [{"name":"NOTE","type":["null","string"],"default":null}]' "$W/rec.avsc" \
	>"$W/rec2.avsc"
v2id=$(jq -n --rawfile s "$W/rec2.avsc" '{schema:$s}' |
	curl -sf -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
		--data-binary @- "$KSINK_REGISTRY_URL/subjects/$T-value/versions" | jq .id)
check "v2 registered (id $v2id)" test "${v2id:-0}" -gt 0

"$STACK" stop registry --dir "$KSINK_STACK_DIR" >/dev/null 2>&1 </dev/null
check "registry is down" bash -c "! curl -sf '$KSINK_REGISTRY_URL/subjects'"
# the producer's registry: a copy of the stack registry's state
cp "$KSINK_STACK_DIR/registry.json" "$W/registry.json"
rport=$(w_free_port)
"$BUILD/ksink-registry" --listen "127.0.0.1:$rport" --data "$W/registry.json" \
	>"$W/registry2.log" 2>&1 &
REGPID=$!
check "second registry up" wait_for 10 curl -sf "http://127.0.0.1:$rport/subjects"
lines2() { awk -v a="$1" -v b="$2" 'BEGIN { for (i = a; i <= b; i++)
	printf "{\"ID\":%d,\"PAYLOAD\":\"rec-%d\",\"NOTE\":{\"string\":\"v2\"}}\n", i, i }'; }
lines2 $((N1 + 1)) "$N" | "$BUILD/ksink-produce" --bootstrap "$BS" \
	--registry "http://127.0.0.1:$rport" --topic "$T" --value-schema "$W/rec2.avsc" \
	2>>"$W/produce.log"
check_eq "v2 records produced during the outage" "$?" 0
kill "$REGPID"
wait "$REGPID" 2>/dev/null
REGPID=""
# the schema id in the frame of the last record of each partition
last_ids() {
	local p
	for p in 0 1 2 3; do
		kcat -C -b "$BS" -t "$T" -p "$p" -o -1 -c 1 -e -q -f '%s' 2>/dev/null |
			od -An -tx1 -j1 -N4 | tr -d ' \n'
		echo
	done
}
check "v2 records carry id $v2id" grep -qx "$(printf '%08x' "$v2id")" <<<"$(last_ids)"

reg_msg() { f_task_msg rego | grep -qi 'registry\|schema'; }
check "status: RUNNING with the registry error" wait_for 60 reg_msg
echo "# status message: $(f_task_msg rego | cut -c1-200)"
check "both tasks still RUNNING" all_tasks rego RUNNING 2
check_eq "nothing written past the unreadable records" "$(f_rows "$T")" "$N1"
# a rebalance while the tasks wait for the registry (partitions held paused,
# a record in hand that now belongs to another generation)
revokes() { grep -c 'partitions revoked' "$W/ksink.log"; }
rv=$(revokes)
check_eq "inject a rebalance (Heartbeat REBALANCE_IN_PROGRESS)" \
	"$(mock_ctl broker-errors 1 Heartbeat REBALANCE_IN_PROGRESS 1)" ok
more_revokes() { [ "$(revokes)" -gt "$rv" ]; }
check "partitions revoked during the outage" wait_for 30 more_revokes
settled() { [ "$(grep -c 'assigned ' "$W/ksink.log")" -ge "$1" ]; }
as=$(grep -c 'assigned ' "$W/ksink.log")
check "and assigned again" wait_for 30 settled $((as + 4))
"$STACK" start registry --dir "$KSINK_STACK_DIR" >/dev/null 2>&1 </dev/null
check "registry is back" wait_for 10 reg_up
check "all $N records written after the outage" wait_for 90 f_has_rows "$T" "$N"
offsets_done() { [ "$(f_offsets_sum rego)" = "$N" ]; }
check "offsets reach $N" wait_for 30 offsets_done
f_exactly "$T" "$N"
check_eq "v2 records have the new column" \
	"$(psql_q "SELECT count(*) FROM \"$T\" WHERE \"NOTE\" = 'v2'")" $((N - N1))
no_msg() { [ -z "$(f_task_msg rego)" ] && all_tasks rego RUNNING 2; }
check "status message cleared" wait_for 30 no_msg
f_no_task_failed
w_stop
check_eq "clean exit" "$KRC" 0
[ "$KS_FAILED" = 0 ] && psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
finish
