#!/usr/bin/env bash
# 0500-mock_kafka_control.sh — the fault-injection channel of ksink-mock-kafka
# (--control PATH / --ctl PATH COMMAND): every command answers ok or error,
# and the faults it injects really happen, as seen by kcat: a broker taken
# down refuses clients until it is up again, pushed request errors are used
# up by real requests (and a non-retriable one fails a delivery), leaders and
# topics set over the channel show in the metadata. The stack exposes its own
# mock's socket as KSINK_KAFKA_CONTROL.
source "$(dirname "$0")/lib/worker_test.sh"

if [ -n "${KSINK_KAFKA_CONTROL:-}" ]; then
	check "the stack's mock answers on KSINK_KAFKA_CONTROL" \
		"$BUILD/ksink-mock-kafka" --ctl "$KSINK_KAFKA_CONTROL" ping
	check "stack.sh env prints KSINK_KAFKA_CONTROL" \
		bash -c "'$ROOT/tests/stack.sh' env --dir '$KSINK_STACK_DIR' | grep -q KSINK_KAFKA_CONTROL"
else
	not_ok "stack exposes KSINK_KAFKA_CONTROL" "unset"
fi

w_mock --brokers 3 ctl:2
check_eq "ping" "$(mock_ctl ping)" "ok"
check_eq "brokers lists the bootstrap servers" "$(mock_ctl brokers)" "ok $BS"
out=$(mock_ctl fly-away 1)
rc=$?
check_eq "unknown command: exit 1" "$rc" 1
check "unknown command: error answer" grep -q '^error: unknown command' <<<"$out"
check_eq "bad error name refused" "$(mock_ctl request-errors Fetch NO_SUCH_ERROR)" \
	"error: usage: request-errors API ERR [COUNT]"
check_eq "bad api refused" "$(mock_ctl error-count 1 Nope)" "error: usage: error-count BROKER API"
check "unknown broker refused" bash -c "! '$BUILD/ksink-mock-kafka' --ctl '$MOCKCTL' broker-down 9"
check "client without a server: exit 2" \
	bash -c "'$BUILD/ksink-mock-kafka' --ctl '$W/none.ctl' ping; [ \$? = 2 ]"

# leader and topic-create are visible in the metadata
meta() { kcat -L -b "$BS" -m 5 -J 2>/dev/null; }
check_eq "leader ctl 0 2" "$(mock_ctl leader ctl 0 2)" ok
check_eq "metadata shows leader 2" \
	"$(meta | jq '.topics[] | select(.topic=="ctl") | .partitions[] | select(.partition==0) | .leader')" 2
check_eq "topic-create made 5" "$(mock_ctl topic-create made 5 3)" ok
check_eq "metadata shows 5 partitions" \
	"$(meta | jq '.topics[] | select(.topic=="made") | .partitions | length')" 5

# broker down: a client bootstrapped on that broker alone gets nowhere
b2=$(cut -d, -f2 <<<"$BS")
meta2() {
	local j
	j=$(kcat -L -b "$b2" -m 3 -J 2>/dev/null) && jq -e '.brokers | length == 3' <<<"$j"
}
check "broker 2 answers before" meta2
check_eq "broker-down 2" "$(mock_ctl broker-down 2)" ok
no_meta2() { ! meta2; }
check "broker 2 refuses while down" no_meta2
check_eq "broker-up 2" "$(mock_ctl broker-up 2)" ok
check "broker 2 answers again" wait_for 10 meta2

# broker-level errors are used up by real requests; a retriable one is
# retried by the producer and the record still arrives
check_eq "broker-errors 1 Produce x3" \
	"$(mock_ctl broker-errors 1 Produce NOT_ENOUGH_REPLICAS 3 10)" ok
check_eq "error-count 1 Produce = 3" "$(mock_ctl error-count 1 Produce)" "ok 3"
check_eq "leader ctl 1 1" "$(mock_ctl leader ctl 1 1)" ok
check "produce through retriable errors" bash -c "echo hello | kcat -P -b '$BS' -t ctl -p 1 -X retry.backoff.ms=50"
check_eq "the 3 errors were used up" "$(mock_ctl error-count 1 Produce)" "ok 0"
check_eq "record arrived" "$(kcat -C -b "$BS" -t ctl -p 1 -o beginning -c 1 -e -q 2>/dev/null)" hello

# cluster-level: a non-retriable produce error fails the delivery (to
# partition 0 on broker 2: once a broker has its own error stack for an api,
# the mock no longer looks at the cluster's)
check_eq "request-errors Produce TOPIC_AUTHORIZATION_FAILED" \
	"$(mock_ctl request-errors Produce TOPIC_AUTHORIZATION_FAILED 1)" ok
check "the delivery fails" bash -c "echo x | kcat -P -b '$BS' -t ctl -p 0 2>&1 | grep -qi 'authoriz'"
check "the next one goes through" bash -c "echo y | kcat -P -b '$BS' -t ctl -p 0"
check_eq "clear-errors" "$(mock_ctl clear-errors Produce)" ok
check_eq "rtt all 0" "$(mock_ctl rtt -1 0)" ok
check_eq "coordinator group" "$(mock_ctl coordinator group g 3)" ok
check "commands are logged" grep -q "control: broker-down 2 -> ok" "$W/mock.log"
kill -TERM "$MOCKPID"
wait "$MOCKPID"
check_eq "exits 0" "$?" 0
MOCKPID=""
check "socket removed on exit" test ! -e "$MOCKCTL"
finish
