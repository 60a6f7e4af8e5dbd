#!/usr/bin/env bash
# bench/bench.sh BUILD_DIR — the benchmark suite behind `make bench`.
# Every ksink figure is paired with baselines measured in the same run on the
# same rows (the machine is shared and noisy: read the ratios). Prints a
# Markdown table and writes it to bench/results/latest.md.
#
# BENCH_RECORDS (default 1000000) rows per throughput scenario;
# BENCH_REPEAT (default 3) rounds of the throughput scenarios (medians);
# BENCH_PARTITIONS (default 32) partitions per topic (the mock broker keeps
# ~5 MiB per partition, so the rows are spread wide enough to all be kept).
#
# How ksink is timed: every scenario's rows are in Kafka before its
# connector is created, one connector runs at a time and is deleted when it
# is done. "Committed in Postgres" is read from the connector's offsets
# table (written in the same transaction as the rows) by ksink-bench-wait,
# one connection polling every 20 ms; the clock starts at the first commit
# seen (the mock's ~3 s group join is not ksink's speed). Peak RSS is the
# worker's VmHWM, reset before each scenario (/proc/PID/clear_refs).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
N=${BENCH_RECORDS:-1000000}
PARTS=${BENCH_PARTITIONS:-32}
SCALE_N=$(( N < 400000 ? N : 400000 ))
REPEAT=${BENCH_REPEAT:-3}
LAT_RATE=${BENCH_LATENCY_RATE:-10000}
LAT_SECS=${BENCH_LATENCY_SECONDS:-10}
OUT=$ROOT/bench/results
mkdir -p "$OUT"
T=$(mktemp -d /tmp/ksink-bench.XXXXXX)
chmod 755 "$T"
KSINK_PID=""
cleanup() {
	[ -n "$KSINK_PID" ] && kill "$KSINK_PID" 2>/dev/null && wait "$KSINK_PID" 2>/dev/null
	"$ROOT/tests/stack.sh" down --dir "$T/stack" >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT
log() { echo "bench: $*" >&2; }
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.${2:-0}f\", $1 }"; }

export KSINK_BUILD=$BUILD
KSINK_KAFKA_TOPICS="bench_insert:$PARTS bench_upsert_fresh:$PARTS bench_upsert_update:$PARTS bench_scale:8 bench_latency:4" \
	"$ROOT/tests/stack.sh" up --dir "$T/stack" >"$T/env" 2>"$T/stack.log"
# shellcheck disable=SC1091
. "$T/env"
q() { psql "$KSINK_PG_CONNINFO" -qtAXc "$1"; }
COLS="id, race_id, runner_id, amount, placed_at, channel, customer, odds"
mktable() { # name
	q "DROP TABLE IF EXISTS \"$1\"; CREATE TABLE \"$1\" (id BIGINT PRIMARY KEY, race_id INT NOT NULL,
	   runner_id INT NOT NULL, amount DOUBLE PRECISION NOT NULL, placed_at TIMESTAMP NOT NULL,
	   channel TEXT NOT NULL, customer TEXT NOT NULL, odds DOUBLE PRECISION NOT NULL,
	   ingested_at TIMESTAMPTZ DEFAULT clock_timestamp())"
}
count() { q "SELECT count(*) FROM \"$1\""; }

log "generating $N rows"
"$BUILD/ksink-bench-gen" --count "$N" --format csv >"$T/rows.csv"
"$BUILD/ksink-bench-gen" --count "$N" --format csv --version 1 >"$T/rows_v1.csv"
produce() { # topic gen-args...
	local topic=$1; shift
	"$BUILD/ksink-bench-gen" "$@" | "$BUILD/ksink-produce" --bootstrap "$KSINK_BOOTSTRAP" \
		--registry "$KSINK_REGISTRY_URL" --topic "$topic" --value-schema "$ROOT/bench/bet.avsc" \
		--key-field id 2>>"$T/produce.log"
}

# --- ksink worker ---
PORT=$(( 20000 + RANDOM % 20000 ))
cat >"$T/worker.properties" <<PROPS
bootstrap.servers=$KSINK_BOOTSTRAP
listeners=http://127.0.0.1:$PORT
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=io.confluent.connect.avro.AvroConverter
value.converter.schema.registry.url=$KSINK_REGISTRY_URL
config.storage.file=$T/connectors.json
consumer.session.timeout.ms=6000
consumer.heartbeat.interval.ms=500
PROPS
READY_MS=$("$BUILD/ksink-bench-ready" "$BUILD/ksink" "$T/worker.properties" "$PORT" | sed 's/ready_ms=//')
log "REST ready in $READY_MS ms"
"$BUILD/ksink" standalone "$T/worker.properties" >"$T/ksink.log" 2>&1 &
KSINK_PID=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/" >/dev/null && break; sleep 0.1; done
RSS_PEAK=0
rss_reset() { echo 5 >"/proc/$KSINK_PID/clear_refs" 2>/dev/null || true; }
sample_rss() { # RSS_LAST = peak RSS (kB) since the last rss_reset; RSS_PEAK = max of those
	RSS_LAST=$(awk '/VmHWM/ {print $2}' "/proc/$KSINK_PID/status" 2>/dev/null || echo 0)
	[ "${RSS_LAST:-0}" -gt "$RSS_PEAK" ] && RSS_PEAK=$RSS_LAST
	return 0
}
connector() { # name topics table mode pkmode [tasks]
	curl -fs -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$PORT/connectors" --data @- >/dev/null <<JSON
{"name":"$1","config":{"connector.class":"io.confluent.connect.jdbc.JdbcSinkConnector",
 "connection.url":"$KSINK_PG_JDBC_URL","connection.user":"postgres","topics":"$2",
 "table.name.format":"$3","insert.mode":"$4","pk.mode":"$5","pk.fields":"id",
 "auto.create":"false","auto.evolve":"false","batch.size":"10000","tasks.max":"${6:-1}"${CONN_EXTRA:-}}}
JSON
}
drop_connector() { curl -fs -X DELETE "http://127.0.0.1:$PORT/connectors/$1" >/dev/null || true; }
# rows/s of connector $1 until its committed offsets reach $2 (from its first commit)
wait_committed() { # connector target
	"$BUILD/ksink-bench-wait" "$KSINK_PG_CONNINFO" \
		"SELECT coalesce(sum(next_offset), 0) FROM __ksink_offsets WHERE connector = '$1' AND next_offset >= 0" "$2" 900 |
		sed 's/.*rows_per_s=//'
}
# one connector over rows already in Kafka, then deleted: rows/s on stdout
run_connector() { # name topics table mode pkmode tasks target
	local rate
	rss_reset
	connector "$1" "$2" "$3" "$4" "$5" "$6"
	rate=$(wait_committed "$1" "$7")
	drop_connector "$1"
	echo "$rate"
}

# --- throughput: every baseline and ksink scenario BENCH_REPEAT times,
# interleaved, on the same rows; the table shows medians and the range of
# the per-round ratios (a baseline and ksink of one round ran minutes apart
# at most, on a machine whose speed drifts with other jobs) ---
log "producing $N rows to bench_insert, bench_upsert_fresh and (version 1) bench_upsert_update"
produce bench_insert --count "$N"
produce bench_upsert_fresh --count "$N"
produce bench_upsert_update --count "$N" --version 1
declare -a R_A R_I R_S R_BF R_BU R_CF R_CU R_UF R_UU
# the Script transform (transforms/script.c) scenario: the insert pipeline
# with a small masking script, against the same pipeline without it (R_I)
SCRIPT_EXTRA=',"transforms":"mask","transforms.mask.type":"io.ksink.transforms.Script",
 "transforms.mask.script":"function transform(r) local v = r.value; v.customer = v.customer:sub(1, 2) .. \u0027***\u0027; return r end"'
for ((rep = 1; rep <= REPEAT; rep++)); do
	log "round $rep of $REPEAT"
	# (a) psql \copy, then ksink insert
	mktable bench_a
	t0=$(now); psql "$KSINK_PG_CONNINFO" -qX -c "\\copy bench_a ($COLS) FROM '$T/rows.csv' (FORMAT csv)"; t1=$(now)
	R_A[rep]=$(calc "$N / ($t1 - $t0)")
	mktable bench_insert
	R_I[rep]=$(run_connector "bench-insert-$rep" bench_insert bench_insert insert none 1 "$N")
	sample_rss
	log "(a) psql \\copy ${R_A[rep]}, ksink insert ${R_I[rep]} rows/s (peak RSS $RSS_LAST kB)"
	mktable bench_script
	R_S[rep]=$(CONN_EXTRA=$SCRIPT_EXTRA run_connector "bench-script-$rep" bench_insert bench_script insert none 1 "$N")
	sample_rss
	SCRIPT_MASKED=$(q "SELECT count(*) = $N AND bool_and(customer LIKE '%***') FROM bench_script")
	log "(s) ksink insert + Script ${R_S[rep]} rows/s (masked: $SCRIPT_MASKED)"
	INSERT_EXACT=$(q "SELECT count(*) = $N AND count(DISTINCT id) = $N FROM bench_insert")
	# (b) COPY + INSERT ON CONFLICT, fresh keys then updates
	mktable bench_b
	R_BF[rep]=$("$BUILD/ksink-bench-pgbase" upsert-sql "$KSINK_PG_CONNINFO" bench_b "$T/rows.csv" | sed 's/.*rows_per_s=//')
	R_BU[rep]=$("$BUILD/ksink-bench-pgbase" upsert-sql "$KSINK_PG_CONNINFO" bench_b "$T/rows_v1.csv" | sed 's/.*rows_per_s=//')
	# (c) the JDBC sink's per-row pattern
	mktable bench_c
	R_CF[rep]=$("$BUILD/ksink-bench-pgbase" jdbc-rows "$KSINK_PG_CONNINFO" bench_c "$T/rows.csv" | sed 's/.*rows_per_s=//')
	R_CU[rep]=$("$BUILD/ksink-bench-pgbase" jdbc-rows "$KSINK_PG_CONNINFO" bench_c "$T/rows_v1.csv" | sed 's/.*rows_per_s=//')
	# ksink upsert: fresh keys, then the same keys again: two connectors on
	# one table, one after the other, each over rows already in Kafka
	mktable bench_upsert
	R_UF[rep]=$(run_connector "bench-upsert-fresh-$rep" bench_upsert_fresh bench_upsert upsert record_value 1 "$N")
	sample_rss
	R_UU[rep]=$(run_connector "bench-upsert-update-$rep" bench_upsert_update bench_upsert upsert record_value 1 "$N")
	sample_rss
	log "(b) fresh ${R_BF[rep]} updates ${R_BU[rep]}, (c) fresh ${R_CF[rep]} updates ${R_CU[rep]}," \
		"ksink upsert fresh ${R_UF[rep]} updates ${R_UU[rep]} rows/s (peak RSS $RSS_LAST kB)"
	UPSERT_EXACT=$(q "SELECT count(*) = $N AND sum(amount) = (SELECT sum(amount) FROM bench_b) FROM bench_upsert")
done
RSS_MB=$(calc "$RSS_PEAK / 1024" 1)
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { printf "%.0f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# "min–max" of the per-round ratios ksink/baseline
ratio_range() { # name-of-ksink-array name-of-baseline-array
	local -n ks=$1 base=$2
	local r
	for ((r = 1; r <= REPEAT; r++)); do calc "${ks[r]} / ${base[r]}" 2; echo; done |
		sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (lo == hi) print lo; else printf "%s–%s", lo, hi }'
}
KS_INSERT=$(median "${R_I[@]}"); BASE_A=$(median "${R_A[@]}")
KS_UPSERT_FRESH=$(median "${R_UF[@]}"); KS_UPSERT_UPD=$(median "${R_UU[@]}")
BASE_B_FRESH=$(median "${R_BF[@]}"); BASE_B_UPD=$(median "${R_BU[@]}")
BASE_C_FRESH=$(median "${R_CF[@]}"); BASE_C_UPD=$(median "${R_CU[@]}")
RANGE_IA=$(ratio_range R_I R_A)
KS_SCRIPT=$(median "${R_S[@]}"); RANGE_SI=$(ratio_range R_S R_I)
RANGE_FB=$(ratio_range R_UF R_BF); RANGE_UB=$(ratio_range R_UU R_BU)
RANGE_FC=$(ratio_range R_UF R_CF); RANGE_UC=$(ratio_range R_UU R_CU)

# --- (d) consume + decode only ---
BASE_D=$("$BUILD/ksink-bench-decode" "$KSINK_BOOTSTRAP" "$KSINK_REGISTRY_URL" bench_insert "$N" | sed 's/.*rows_per_s=//')
log "(d) consume+decode: $BASE_D rows/s"

# --- latency at a fixed rate ---
mktable bench_latency
connector bench-latency bench_latency bench_latency insert none
sleep 5 # let the group join before the clock starts
LAT_N=$((LAT_RATE * LAT_SECS))
produce bench_latency --count "$LAT_N" --rate "$LAT_RATE"
wait_committed bench-latency "$LAT_N" >/dev/null
drop_connector bench-latency
read -r P50 P99 <<<"$(q "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1),
	round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 1)
	FROM (SELECT extract(epoch FROM (ingested_at - (placed_at AT TIME ZONE 'UTC'))) * 1000 AS ms
	FROM bench_latency) s" | tr '|' ' ')"
log "latency p50 $P50 ms, p99 $P99 ms"

# --- scaling over 8 partitions ---
produce bench_scale --count "$SCALE_N"
declare -A SCALE SCALE_RSS
for tasks in 1 2 4; do
	mktable "bench_scale_$tasks"
	SCALE[$tasks]=$(run_connector "bench-scale-$tasks" bench_scale "bench_scale_$tasks" insert none "$tasks" "$SCALE_N")
	SCALE_RSS[$tasks]=$(awk '/VmHWM/ {print $2}' "/proc/$KSINK_PID/status")
	log "scaling tasks.max=$tasks: ${SCALE[$tasks]} rows/s, peak RSS ${SCALE_RSS[$tasks]} kB"
done

ratio() { [ "${2:-0}" = 0 ] && echo "n/a" || calc "$1 / $2" 2; }
{
	echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"), PostgreSQL $(q 'SHOW server_version' | cut -d' ' -f1) (fsync off), librdkafka mock cluster; $N rows of 8 columns per throughput run, medians of $REPEAT rounds."
	echo
	echo "| Scenario | ksink rows/s | Baseline | Baseline rows/s | Ratio | Ratio per round | Goal |"
	echo "|---|---:|---|---:|---:|---:|---:|"
	echo "| insert | $KS_INSERT | (a) psql \\copy | $BASE_A | $(ratio "$KS_INSERT" "$BASE_A") | $RANGE_IA | ≥ 0.8 |"
	echo "| insert | $KS_INSERT | (d) consume + decode only | $BASE_D | $(ratio "$KS_INSERT" "$BASE_D") | – | – |"
	echo "| insert + Script transform (mask a field, Lua) | $KS_SCRIPT | ksink insert, no transform | $KS_INSERT | $(ratio "$KS_SCRIPT" "$KS_INSERT") | $RANGE_SI | – |"
	echo "| upsert, fresh keys | $KS_UPSERT_FRESH | (b) COPY + INSERT … ON CONFLICT | $BASE_B_FRESH | $(ratio "$KS_UPSERT_FRESH" "$BASE_B_FRESH") | $RANGE_FB | ≥ 0.9 |"
	echo "| upsert, fresh keys | $KS_UPSERT_FRESH | (c) JDBC sink pattern | $BASE_C_FRESH | $(ratio "$KS_UPSERT_FRESH" "$BASE_C_FRESH") | $RANGE_FC | ≥ 2.5 |"
	echo "| upsert, updates | $KS_UPSERT_UPD | (b) COPY + INSERT … ON CONFLICT | $BASE_B_UPD | $(ratio "$KS_UPSERT_UPD" "$BASE_B_UPD") | $RANGE_UB | ≥ 0.9 |"
	echo "| upsert, updates | $KS_UPSERT_UPD | (c) JDBC sink pattern | $BASE_C_UPD | $(ratio "$KS_UPSERT_UPD" "$BASE_C_UPD") | $RANGE_UC | ≥ 2.5 |"
	echo "| scaling, tasks.max=1 (8 partitions) | ${SCALE[1]} | tasks.max=1 | ${SCALE[1]} | 1.00 | – | – |"
	echo "| scaling, tasks.max=2 | ${SCALE[2]} | tasks.max=1 | ${SCALE[1]} | $(ratio "${SCALE[2]}" "${SCALE[1]}") | – | – |"
	echo "| scaling, tasks.max=4 | ${SCALE[4]} | tasks.max=1 | ${SCALE[1]} | $(ratio "${SCALE[4]}" "${SCALE[1]}") | – | – |"
	echo
	echo "| Measure | Value | Goal |"
	echo "|---|---:|---:|"
	echo "| latency p50 at $LAT_RATE rows/s (produce → committed in Postgres) | $P50 ms | – |"
	echo "| latency p99 | $P99 ms | – |"
	echo "| peak RSS of the worker, one connector at full speed (tasks.max=1) | $RSS_MB MB | < 64 MB |"
	echo "| peak RSS with tasks.max=4 (four consumers) | $(calc "${SCALE_RSS[4]} / 1024" 1) MB | – |"
	echo "| start to REST answering | $READY_MS ms | < 100 ms |"
	echo "| every row arrived exactly once (insert / upsert) | $INSERT_EXACT / $UPSERT_EXACT | t / t |"
	echo "| every row masked by the script, exactly once | $SCRIPT_MASKED | t |"
} | tee "$OUT/latest.md"
