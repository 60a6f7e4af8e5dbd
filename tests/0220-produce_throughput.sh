#!/usr/bin/env bash
# 0220-produce_throughput.sh — a smoke run of ksink-produce with 200k
# generated Avro-JSON lines, keyed by a field: all of them must arrive (the
# partition high-water marks add up). Prints the rate; asserts no timing.
source "$(dirname "$0")/lib/lib.sh"

SEED=$ROOT/demo/data
T=t0220_$$
N=200000
TMP=$KSINK_TEST_OUT/0220
mkdir -p "$TMP"

awk -v n=$N 'BEGIN { for (i = 0; i < n; i++)
	printf "{\"RUNNER_ID\":{\"int\":%d},\"RACE_ID\":{\"int\":%d},\"AMOUNT\":{\"double\":%d.25}}\n", i % 13, i % 1000, i }' \
	>"$TMP/lines.jsonl"
start=$(date +%s%N)
"$BUILD/ksink-produce" --bootstrap "$KSINK_BOOTSTRAP" --registry "$KSINK_REGISTRY_URL" --topic "$T" \
	--value-schema "$SEED/tote_win_bets-value.avsc" --key-field RUNNER_ID <"$TMP/lines.jsonl" 2>"$TMP/err"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check_eq "200k lines produce without error" "$rc" 0
check_eq "summary line" "$(grep -o '^produced [0-9]* records to [^ ]*' "$TMP/err")" "produced $N records to $T"
echo "# $N records in $ms ms ($((N * 1000 / (ms > 0 ? ms : 1))) records/s)"

# sum of the high-water marks over all partitions
total=0
for p in $(kcat -L -b "$KSINK_BOOTSTRAP" -t "$T" -J | jq -r '.topics[0].partitions[].partition'); do
	hw=$(kcat -Q -b "$KSINK_BOOTSTRAP" -t "$T:$p:-1" 2>/dev/null | awk '/offset/ {print $NF}')
	total=$((total + ${hw:-0}))
done
check_eq "all records in the topic" "$total" "$N"

finish
