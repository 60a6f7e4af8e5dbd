#!/usr/bin/env bash
# 0041-mock_kafka_tool.sh — ksink-mock-kafka's flags: --brokers, --topic
# NAME:PARTITIONS, --bootstrap-file, exit on stdin close and on SIGTERM.
# needs: none (no server: tests/run.sh starts no stack for it)
source "$(dirname "$0")/lib/lib.sh"

T=$(mktemp -d /tmp/ksink-0041.XXXXXX)
trap 'kill $pid 2>/dev/null; rm -rf "$T"' EXIT

"$BUILD/ksink-mock-kafka" --brokers 3 --topic pre:6 --bootstrap-file "$T/bs" </dev/null >"$T/out" 2>&1 &
pid=$!
check "bootstrap file written" wait_for 10 test -s "$T/bs"
check_eq "three brokers listed" "$(tr ',' '\n' <"$T/bs" | grep -c 127.0.0.1)" "3"
check "BROKERS= line printed" grep -q "^BROKERS=$(cat "$T/bs")$" "$T/out"
check_eq "pre-created topic has 6 partitions" \
	"$(kcat -L -b "$(cat "$T/bs")" -t pre -J 2>/dev/null | jq '.topics[0].partitions | length')" "6"
kill -TERM $pid
if wait $pid; then ok "exits 0 on SIGTERM"; else not_ok "exits 0 on SIGTERM" "status $?"; fi

# stdin is a pipe: closing it stops the daemon
coproc MK { "$BUILD/ksink-mock-kafka" --bootstrap-file "$T/bs2" 2>&1; }
pid=$MK_PID
check "started with a pipe on stdin" wait_for 10 test -s "$T/bs2"
exec {MK[1]}>&-
check "exits when stdin closes" wait_for 10 bash -c "! kill -0 $pid 2>/dev/null"

if "$BUILD/ksink-mock-kafka" --topic bad: </dev/null >/dev/null 2>&1; then
	not_ok "bad --topic rejected" "exit 0"
else
	ok "bad --topic rejected"
fi
finish
