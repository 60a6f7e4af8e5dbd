#!/usr/bin/env bash
# 0564-distributed_config.sh — `ksink distributed WORKER.properties` and its
# topics (issue 14): a missing required key (group.id and the three storage
# topics) or a bad value ends the worker with status 1 and a message naming
# the key; the worker creates its three topics when they are missing (the
# config topic with 1 partition and compacted, the offsets and status topics
# with offset.storage.partitions / status.storage.partitions), also when three
# workers start at the same moment; it refuses a
# config topic with more than one partition or one that is not compacted
# (status 1, a message naming the topic).
# kafka-tiers: real (distributed mode: tests/run.sh runs it on the real broker only)
source "$(dirname "$0")/lib/worker_test.sh"
source "$(dirname "$0")/lib/cluster.sh"
c_init
ADMIN=$BUILD/ksink-kafka-admin
BS=${KSINK_BOOTSTRAP:?}
G0=$C_GROUP

# run_bad NAME: worker 1's properties must be refused: status 1 within 30 s
run_bad() {
	local rc
	timeout -k 5 30 "$KSINK" distributed "$W/c1.properties" >"$W/bad.out" 2>&1
	rc=$?
	RC=$rc
	MSG=$(tail -2 "$W/bad.out" | tr '\n' ' ' | cut -c1-300)
}

for key in group.id config.storage.topic status.storage.topic offset.storage.topic; do
	c_props 1
	sed -i "/^$key=/d" "$W/c1.properties"
	run_bad
	check_eq "without $key: exit status 1" "$RC" 1
	check "without $key: the message names it ($MSG)" grep -qF "$key" "$W/bad.out"
done
for kv in session.timeout.ms=abc rebalance.timeout.ms=soon offset.storage.partitions=zero \
	config.storage.replication.factor=x; do
	c_props 1 "$kv"
	run_bad
	check_eq "$kv: exit status 1" "$RC" 1
	check "$kv: the message names ${kv%%=*} ($MSG)" grep -qF "${kv%%=*}" "$W/bad.out"
done

# the topics created when missing
C_GROUP=$G0-new
c_props 1 offset.storage.partitions=7 status.storage.partitions=3
c_start_ok "a worker starts on missing topics" 1
d=$("$ADMIN" -b "$BS" describe "$C_GROUP-configs" 2>&1)
echo "# config topic: $(echo $d)"
check_eq "config topic: 1 partition" "$(grep -m1 '^partitions=' <<<"$d")" partitions=1
check "config topic: compacted" grep -qx 'cleanup.policy=compact' <<<"$d"
d=$("$ADMIN" -b "$BS" describe "$C_GROUP-offsets" 2>&1)
echo "# offsets topic: $(echo $d)"
check_eq "offsets topic: offset.storage.partitions=7 partitions" "$(grep -m1 '^partitions=' <<<"$d")" partitions=7
d=$("$ADMIN" -b "$BS" describe "$C_GROUP-status" 2>&1)
echo "# status topic: $(echo $d)"
check_eq "status topic: status.storage.partitions=3 partitions" "$(grep -m1 '^partitions=' <<<"$d")" partitions=3
c_stop 1
check_eq "clean exit on SIGTERM" "$KRC" 0

# three workers started at the same moment on missing topics (as a compose
# file or a deploy starts them): all three come up, three times
for r in 1 2 3; do
	C_GROUP=$G0-together$r
	C_PORT=()
	rm -f "$W"/c[123].properties
	if c_start_together 3; then
		ok "3 workers started together on missing topics come up (round $r)"
	else
		not_ok "3 workers started together on missing topics come up (round $r)" "$C_WHY"
	fi
	for i in 1 2 3; do c_stop "$i" TERM 30; done
done
C_PORT=()

# a config topic with 2 partitions, then one that is not compacted: refused
C_GROUP=$G0-two
"$ADMIN" -b "$BS" create "$C_GROUP-configs" 2 cleanup.policy=compact
check_eq "a compacted config topic with 2 partitions created" "$?" 0
c_props 1
run_bad
check_eq "config topic with 2 partitions: exit status 1" "$RC" 1
check "config topic with 2 partitions: a message names the topic and its partitions ($MSG)" \
	grep -qE "$C_GROUP-configs.*partition|partition.*$C_GROUP-configs" "$W/bad.out"
C_GROUP=$G0-del
"$ADMIN" -b "$BS" create "$C_GROUP-configs" 1 cleanup.policy=delete
check_eq "a config topic with cleanup.policy=delete created" "$?" 0
c_props 1
run_bad
check_eq "config topic not compacted: exit status 1" "$RC" 1
check "config topic not compacted: a message names the topic and says compact ($MSG)" \
	grep -qE "$C_GROUP-configs.*compact|compact.*$C_GROUP-configs" "$W/bad.out"
finish
