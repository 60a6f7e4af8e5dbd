#!/usr/bin/env bash
# bench/profile.sh BUILD_DIR MODE — one fixed workload for profiling the
# worker's hot path (not part of `make bench`; bench/results/profile.md says
# what it found). Starts its own stack, produces the rows first, then runs
# one connector over them and reports rows/s, peak RSS and, with a profiler,
# where the time went.
#
#   MODE: insert | upsert | update (upsert over keys already present)
#   PROFILE=perf      perf record -g on the worker (cpu-clock) and on the
#                     Postgres backends (-a, filtered by command) while the
#                     connector runs; reports in $PROFILE_OUT (default /tmp)
#   PROFILE=callgrind the worker under valgrind --tool=callgrind (slow:
#                     use PROFILE_RECORDS=50000)
#   PROFILE_RECORDS (200000), PROFILE_PARTITIONS (16), PROFILE_BATCH
#   (connector batch.size, default 10000), PROFILE_EXTRA (more connector
#   JSON members, e.g. '"consumer.override.max.poll.records":"20000"').
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
BUILD=$(cd "${1:?build dir}" && pwd)
MODE=${2:-insert}
N=${PROFILE_RECORDS:-200000}
PARTS=${PROFILE_PARTITIONS:-16}
BATCH=${PROFILE_BATCH:-10000}
POUT=${PROFILE_OUT:-/tmp}
T=$(mktemp -d /tmp/ksink-prof.XXXXXX)
chmod 755 "$T"
KSINK_PID=""
PERF_PIDS=()
cleanup() {
	for p in "${PERF_PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	[ -n "$KSINK_PID" ] && kill "$KSINK_PID" 2>/dev/null && wait "$KSINK_PID" 2>/dev/null
	cp "$T/ksink.log" "$POUT/ksink.log" 2>/dev/null || true
	cp "$T/stack/pg/server.log" "$POUT/pg-server.log" 2>/dev/null || true
	"$ROOT/tests/stack.sh" down --dir "$T/stack" >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT
log() { echo "profile: $*" >&2; }
now() { date +%s.%N; }

export KSINK_BUILD=$BUILD
KSINK_KAFKA_TOPICS="prof:$PARTS" "$ROOT/tests/stack.sh" up --dir "$T/stack" >"$T/env" 2>"$T/stack.log"
# shellcheck disable=SC1091
. "$T/env"
q() { psql "$KSINK_PG_CONNINFO" -qtAXc "$1"; }
q "$(bet_table prof)"
VERSION=0
if [ "$MODE" = update ]; then
	"$BUILD/ksink-bench-gen" --count "$N" --format csv >"$T/rows.csv"
	q "\\copy prof (id, race_id, runner_id, amount, placed_at, channel, customer, odds) FROM '$T/rows.csv' (FORMAT csv)"
	VERSION=1
fi
log "producing $N rows"
produce_bets prof "$T/produce.log" --count "$N" --version "$VERSION"

PORT=$((20000 + RANDOM % 20000))
avro_worker_props "$PORT" "$T/connectors.json" >"$T/worker.properties"
case ${PROFILE:-} in
callgrind)
	valgrind --tool=callgrind --callgrind-out-file="$POUT/callgrind.ksink.$MODE" \
		"$BUILD/ksink" standalone "$T/worker.properties" >"$T/ksink.log" 2>&1 &
	;;
*) "$BUILD/ksink" standalone "$T/worker.properties" >"$T/ksink.log" 2>&1 & ;;
esac
KSINK_PID=$!
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$PORT/" >/dev/null && break; sleep 0.1; done
case $MODE in insert) IM=insert PK=none ;; *) IM=upsert PK=record_value ;; esac
curl -fs -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$PORT/connectors" --data @- >/dev/null <<JSON
{"name":"prof","config":{"connector.class":"io.confluent.connect.jdbc.JdbcSinkConnector",
 "connection.url":"$KSINK_PG_JDBC_URL","connection.user":"postgres","topics":"prof",
 "table.name.format":"prof","insert.mode":"$IM","pk.mode":"$PK","pk.fields":"id",
 "auto.create":"false","auto.evolve":"false","batch.size":"$BATCH"${PROFILE_EXTRA:+,$PROFILE_EXTRA}}}
JSON
# CPU seconds (user+sys) of the worker and of every Postgres process of
# the stack: with wall time this says whether the two work in turn or overlap
TICK=$(getconf CLK_TCK)
cpu_of() { awk -v t="$TICK" '{ s += $14 + $15 } END { printf "%.2f", s / t }' "$@" 2>/dev/null || echo 0; }
pg_stats() {
	local pm
	pm=$(head -1 "$T/stack/pg/data/postmaster.pid")
	echo "/proc/$pm/stat"
	for f in /proc/[0-9]*/stat; do
		awk -v pm="$pm" '$4 == pm { found = 1 } END { exit !found }' "$f" 2>/dev/null && echo "$f"
	done
}
# committed in Postgres = the connector's offsets, written in the same
# transaction (a count(*) poll over the growing table would cost a core)
SQL="SELECT coalesce(sum(next_offset), 0) FROM __ksink_offsets WHERE connector = 'prof' AND next_offset >= 0"
# the group join takes ~3 s on the mock: wait for the first commit
until [ "$(q "SELECT coalesce(sum(next_offset), 0) FROM __ksink_offsets WHERE connector = 'prof' AND next_offset >= 0" 2>/dev/null || echo 0)" -gt 0 ]; do sleep 0.02; done
mapfile -t PGSTAT < <(pg_stats)
k0=$(cpu_of "/proc/$KSINK_PID/stat")
p0=$(cpu_of "${PGSTAT[@]}")
w0=$(date +%s.%N)
if [ "${PROFILE:-}" = perf ]; then
	perf record -e cpu-clock ${PERF_CG:--g} -p "$KSINK_PID" -o "$POUT/perf.ksink.$MODE" >/dev/null 2>&1 &
	PERF_PIDS+=($!)
	perf record -e cpu-clock -g -a -o "$POUT/perf.all.$MODE" >/dev/null 2>&1 &
	PERF_PIDS+=($!)
fi
RES=$("$BUILD/ksink-bench-wait" "$KSINK_PG_CONNINFO" "$SQL" "$N" 600)
w1=$(date +%s.%N)
k1=$(cpu_of "/proc/$KSINK_PID/stat")
p1=$(cpu_of "${PGSTAT[@]}")
for p in "${PERF_PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
PERF_PIDS=()
RSS=$(awk '/VmHWM/ {print $2}' "/proc/$KSINK_PID/status")
echo "mode=$MODE $RES peak_rss_mb=$(awk -v r="$RSS" 'BEGIN { printf "%.1f", r / 1024 }')" \
	"wall_s=$(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.2f", b - a }')" \
	"worker_cpu_s=$(awk -v a="$k0" -v b="$k1" 'BEGIN { printf "%.2f", b - a }')" \
	"pg_cpu_s=$(awk -v a="$p0" -v b="$p1" 'BEGIN { printf "%.2f", b - a }')"
if [ "${PROFILE:-}" = callgrind ]; then
	kill "$KSINK_PID"
	wait "$KSINK_PID" 2>/dev/null || true
	KSINK_PID=""
fi
