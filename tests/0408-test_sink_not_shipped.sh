#!/usr/bin/env bash
# 0408-test_sink_not_shipped.sh — the test-only MemorySink connector
# (tests/lib/memory_sink.c) is not in the shipped worker: build/ksink has
# neither its class name nor its symbols, while build/ksink-test (the same
# worker main and libksink.a plus the memory sink, which the shell tests
# start) has both. No stack needed.
# needs: none (no server: tests/run.sh starts no stack for it)
source "$(dirname "$0")/lib/lib.sh"

for bin in "$BUILD/ksink" "$BUILD/ksink-test"; do
	[ -x "$bin" ] || { not_ok "$bin built" "missing (run make)"; finish; }
done
n=$(strings "$BUILD/ksink" | grep -c MemorySink)
check_eq "strings build/ksink | grep -c MemorySink" "$n" 0
n=$(nm "$BUILD/ksink" | grep -ci memory_sink)
check_eq "nm build/ksink | grep -ci memory_sink" "$n" 0
n=$(strings "$BUILD/ksink-test" | grep -c MemorySink)
check "build/ksink-test has the MemorySink class ($n strings)" test "$n" -gt 0
check "build/ksink-test has ks_test_memory_sink_plugin" \
	sh -c "nm '$BUILD/ksink-test' | grep -q ' ks_test_memory_sink_plugin$'"
check "the JDBC sink is in build/ksink" sh -c "strings '$BUILD/ksink' | grep -q JdbcSinkConnector"
echo "# build/ksink: $(stat -c %s "$BUILD/ksink") bytes, build/ksink-test: $(stat -c %s "$BUILD/ksink-test") bytes"
finish
