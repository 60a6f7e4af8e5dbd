#!/usr/bin/env bash
# bench/hold_memory.sh [BUILD_DIR] — the memory of a delayed replica. A
# connector with ksink.apply.delay.ms=600000 (10 minutes) over a topic that
# receives ~1M records: every record waits, in Kafka (its partition paused
# at the head record), not in the worker. The worker's RSS is sampled before,
# during and after the produce and must stay flat; at the end the lag shows
# every record waiting and nothing was written. Not part of `make test`
# (it takes minutes and a lot of the machine); run it by hand:
#
#   bench/hold_memory.sh            # HOLD_RECORDS=1000000 HOLD_WATCH_SECONDS=180
#
# Prints one "# rss ..." line per sample and a summary line.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
N=${HOLD_RECORDS:-1000000}
DELAY_MS=${HOLD_DELAY_MS:-600000}
WATCH=${HOLD_WATCH_SECONDS:-180}
# the mock broker keeps ~5 MiB per partition (older records are dropped, and
# would not be waiting any more): keyed records spread evenly over 64
PARTS=${HOLD_PARTITIONS:-64}
T=$(mktemp -d /tmp/ksink-hold.XXXXXX)
MOCK="" KS=""
cleanup() {
	[ -n "$KS" ] && kill "$KS" 2>/dev/null && wait "$KS" 2>/dev/null
	[ -n "$MOCK" ] && kill "$MOCK" 2>/dev/null && wait "$MOCK" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$KS/status"; } # kB
metric() { curl -s "$URL/metrics" | awk -v m="$1" 'index($0, m"{connector=\"hold\"") == 1 { s += $2 } END { print s + 0 }'; }
wait_until() { # SECS CMD...
	local end=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.5
	done
}

"$BUILD/ksink-mock-kafka" --bootstrap-file "$T/bs" --topic "hold:$PARTS" >"$T/mock.log" 2>&1 &
MOCK=$!
wait_until 10 test -s "$T/bs"
BS=$(cat "$T/bs")
PORT=$((20000 + RANDOM % 12000))
URL=http://127.0.0.1:$PORT
cat >"$T/w.properties" <<PROPS
bootstrap.servers=$BS
listeners=$URL
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.storage.StringConverter
config.storage.file=$T/connectors.json
PROPS
"$BUILD/ksink-test" standalone "$T/w.properties" >"$T/ksink.log" 2>&1 &
KS=$!
wait_until 15 curl -sf "$URL/health"
curl -sf -X POST -H 'Content-Type: application/json' "$URL/connectors" --data \
	"{\"name\":\"hold\",\"config\":{\"connector.class\":\"io.ksink.test.MemorySink\",\"topics\":\"hold\",\"file\":\"$T/out\",\"ksink.apply.delay.ms\":\"$DELAY_MS\",\"times\":\"true\"}}" >/dev/null
wait_until 60 grep -q "assigned hold\[" "$T/ksink.log"
sleep 2
base=$(rss)
echo "# rss before the produce: $base kB"

t0=$SECONDS
seq 1 "$N" | awk '{ printf "{\"id\":%d,\"pad\":\"xxxxxxxxxxxxxxxx\"}\n", $1 }' |
	"$BUILD/ksink-produce" --bootstrap "$BS" --topic hold --format json --key-field id >"$T/produce.log" 2>&1 &
prod=$!
max=$base
while kill -0 "$prod" 2>/dev/null; do
	r=$(rss)
	[ "$r" -gt "$max" ] && max=$r
	echo "# rss during the produce ($((SECONDS - t0)) s): $r kB"
	sleep 5
done
wait "$prod"
echo "# produced $N records in $((SECONDS - t0)) s"
after=$(rss)
end=$((SECONDS + WATCH))
min=$after
while [ $SECONDS -lt $end ]; do
	r=$(rss)
	[ "$r" -gt "$max" ] && max=$r
	[ "$r" -lt "$min" ] && min=$r
	echo "# rss while $N records wait ($((SECONDS - t0)) s): $r kB, lag $(metric ksink_partition_lag), hold $(metric ksink_task_hold_seconds) s"
	sleep 10
done
lag=$(metric ksink_partition_lag)
written=$([ -f "$T/out" ] && wc -l <"$T/out" || echo 0)
echo "hold_memory: $N records waiting (lag $lag, written $written) for ${WATCH} s with ksink.apply.delay.ms=$DELAY_MS: RSS before $base kB, after the produce $after kB, max $max kB, range while waiting $min..$max kB"
[ "$lag" -ge "$N" ] && [ "$written" -eq 0 ] || { echo "hold_memory: expected every record waiting" >&2; exit 1; }
# HOLD_DRAIN=1: then wait until every record is written (with a short
# HOLD_DELAY_MS this checks that the releases keep up)
if [ -n "${HOLD_DRAIN:-}" ]; then
	d0=$SECONDS
	while [ "$([ -f "$T/out" ] && wc -l <"$T/out" || echo 0)" -lt "$N" ]; do
		[ $((SECONDS - d0)) -lt $((DELAY_MS / 1000 + 600)) ] || { echo "hold_memory: not drained" >&2; exit 1; }
		sleep 5
	done
	early=$(awk -F'\t' '$8 - $7 < '"$DELAY_MS" "$T/out" | wc -l)
	echo "hold_memory: all $N written $((SECONDS - d0)) s after the watch; written before their delay: $early; max RSS $(awk '/^VmHWM/ { print $2 }' "/proc/$KS/status") kB"
	[ "$early" -eq 0 ]
fi
