#!/usr/bin/env bash
# bench/bench.sh BUILD_DIR — the benchmark suite behind `make bench`.
# Every ksink figure is paired with baselines measured in the same run on the
# same rows (the machine is shared and noisy: read the ratios). Prints a
# Markdown table and writes it to bench/results/latest.md.
#
# What users get: every connector runs with the connector defaults (only
# what a user must say: topics, table, insert.mode, pk.mode/pk.fields), and
# PostgreSQL keeps fsync, full_page_writes and synchronous_commit on
# (KSINK_PG_DURABLE=1). Two Kafkas: the librdkafka mock cluster (tests/stack.sh)
# and a real Apache Kafka broker (KRaft, jars from Maven Central via
# scripts/kafka-fetch.sh, as the tests' real tier starts it), both feeding
# the same Postgres. On the real broker ksink runs beside its Java peer:
# Apache Kafka Connect (ConnectStandalone, jars via scripts/connect-fetch.sh)
# with Debezium's JDBC sink connector (its defaults: batch.size 500, no
# reduction buffer, no UNNEST inserts), on the same topic (JsonConverter with
# schemas), into identical tables;
# ksink also reads the same rows as Avro there (mock vs real broker).
#
# BENCH_RECORDS (default 1000000) rows per throughput scenario;
# BENCH_PEER_RECORDS (default min(BENCH_RECORDS, 500000)) rows of the
# ksink/Java comparison (JsonConverter envelopes are ~0.8 kB each);
# BENCH_REPEAT (default 3) rounds of the throughput scenarios (medians);
# BENCH_PARTITIONS (default 32) partitions per topic (the mock broker keeps
# ~5 MiB per partition, so the rows are spread wide enough to all be kept);
# BENCH_RESULT (default bench/results/latest.md) where the table goes;
# BENCH_REAL=0 skips the real broker and the Java peer; BENCH_KEEP=1 keeps
# the run folder (the workers' logs) after the stacks are stopped.
#
# How ksink is timed on the mock: a scenario's rows are in Kafka before its
# connector is created (preloaded), except "produced while running", whose
# connector starts on an empty topic that is then filled at full speed; one
# connector runs at a time and is deleted when it is done. "Committed in Postgres" is read from the connector's offsets
# table (written in the same transaction as the rows) by ksink-bench-wait,
# one connection polling every 20 ms; the clock starts at the first commit
# seen (the mock's ~3 s group join is not ksink's speed). Peak RSS is the
# worker's VmHWM, reset before each scenario (/proc/PID/clear_refs).
# How ksink and Java Connect are timed on the real broker: each run is a
# fresh process given its connector on the command line, over the same
# preloaded topic; start to first row = the first row's ingested_at (a
# column default, clock_timestamp()) minus the exec time; rows/s = rows over
# the span of ingested_at; peak RSS = the process's VmHWM at the end. Latency
# = ingested_at - placed_at (stamped by the generator when it emits the row).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
N=${BENCH_RECORDS:-1000000}
PARTS=${BENCH_PARTITIONS:-32}
PEER_N=${BENCH_PEER_RECORDS:-$(( N < 500000 ? N : 500000 ))}
REAL=${BENCH_REAL:-1}
SCALE_N=$(( N < 400000 ? N : 400000 ))
REPEAT=${BENCH_REPEAT:-3}
LAT_RATE=${BENCH_LATENCY_RATE:-10000}
LAT_SECS=${BENCH_LATENCY_SECONDS:-10}
OUT=$ROOT/bench/results
mkdir -p "$OUT"
T=$(mktemp -d /tmp/ksink-bench.XXXXXX)
chmod 755 "$T"
KSINK_PID=""
PEER_PID=""
cleanup() {
	[ -n "$KSINK_PID" ] && kill "$KSINK_PID" 2>/dev/null && wait "$KSINK_PID" 2>/dev/null
	[ -n "$PEER_PID" ] && kill "$PEER_PID" 2>/dev/null && wait "$PEER_PID" 2>/dev/null
	"$ROOT/tests/stack.sh" down --dir "$T/stack" >/dev/null 2>&1 || true
	"$ROOT/tests/stack.sh" down --dir "$T/real" >/dev/null 2>&1 || true
	if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $T (worker logs)"; else rm -rf "$T"; fi
}
trap cleanup EXIT
log() { echo "bench: $*" >&2; }
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.${2:-0}f\", $1 }"; }

export KSINK_BUILD=$BUILD
LIVE_TOPICS=""
for ((rep = 1; rep <= REPEAT; rep++)); do LIVE_TOPICS="$LIVE_TOPICS bench_live_$rep:$PARTS"; done
KSINK_PG_DURABLE=1 KSINK_KAFKA_TOPICS="bench_insert:$PARTS bench_upsert_fresh:$PARTS bench_upsert_update:$PARTS bench_scale:8 bench_latency:4$LIVE_TOPICS" \
	"$ROOT/tests/stack.sh" up --dir "$T/stack" >"$T/env" 2>"$T/stack.log" || { cat "$T/stack.log" >&2; exit 1; }
# shellcheck disable=SC1091
. "$T/env"
[ "$(psql "$KSINK_PG_CONNINFO" -qtAXc 'SHOW fsync')" = on ] || { log "error: Postgres runs with fsync off"; exit 1; }
# the real broker starts meanwhile (a JVM: seconds); waited for after the mock part
REAL_UP_PID=""
if [ "$REAL" = 1 ]; then
	CONNECT_HOME=$("$ROOT/scripts/connect-fetch.sh") || { log "error: no Java Kafka Connect (BENCH_REAL=0 skips it)"; exit 1; }
	KSINK_KAFKA_TOPICS="bench_peer:16 bench_peer_avro:16 bench_peer_lat_k:4 bench_peer_lat_j:4" \
		"$ROOT/tests/stack.sh" up --dir "$T/real" --only kafka --kafka real >"$T/real.env" 2>"$T/real.log" &
	REAL_UP_PID=$!
fi
q() { psql "$KSINK_PG_CONNINFO" -qtAXc "$1"; }
COLS="id, race_id, runner_id, amount, placed_at, channel, customer, odds"
mktable() { # name
	q "DROP TABLE IF EXISTS \"$1\"; $(bet_table "$1")"
}
count() { q "SELECT count(*) FROM \"$1\""; }

log "generating $N rows"
"$BUILD/ksink-bench-gen" --count "$N" --format csv >"$T/rows.csv"
"$BUILD/ksink-bench-gen" --count "$N" --format csv --version 1 >"$T/rows_v1.csv"
produce() { produce_bets "$1" "$T/produce.log" "${@:2}"; } # topic gen-args...

# --- ksink worker ---
PORT=$(( 20000 + RANDOM % 20000 ))
avro_worker_props "$PORT" "$T/connectors.json" >"$T/worker.properties"
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
 "tasks.max":"${6:-1}"${CONN_EXTRA:-}}}
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
declare -a R_A R_I R_S R_BF R_BU R_CF R_CU R_UF R_UU R_L R_P
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
	# (l) upsert, fresh keys, produced while the connector runs: the
	# connector first commits one warm-up row (its group has joined), then
	# the N rows are produced at full speed beside it; the clock runs from
	# the producer's start to the last row committed. (p) is the producer's
	# own rate meanwhile: ksink cannot be faster than the rows arrive, a
	# ratio of 1.0 means it kept pace.
	mktable bench_live
	rss_reset
	connector "bench-live-$rep" "bench_live_$rep" bench_live upsert record_value
	produce "bench_live_$rep" --count 1 --start $((N * 10))
	wait_committed "bench-live-$rep" 1 >/dev/null
	t0=$(now)
	( produce "bench_live_$rep" --count "$N"; t1=$(now); calc "$N / ($t1 - $t0)" >"$T/live_producer" ) &
	wait_committed "bench-live-$rep" $((N + 1)) >/dev/null
	t1=$(now)
	R_L[rep]=$(calc "$N / ($t1 - $t0)")
	wait $!
	R_P[rep]=$(cat "$T/live_producer")
	drop_connector "bench-live-$rep"
	sample_rss
	LIVE_EXACT=$(q "SELECT count(*) = $N + 1 FROM bench_live")
	log "(l) ksink upsert fresh, produced while running: ${R_L[rep]} rows/s (peak RSS $RSS_LAST kB), (p) producer ${R_P[rep]} rows/s"
done
RSS_MB=$(calc "$RSS_PEAK / 1024" 1)
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { printf "%.0f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# "min–max" of the per-round ratios ksink/baseline
ratio_range() { # name-of-ksink-array name-of-baseline-array
	local -n ks=$1 base=$2
	local r
	for ((r = 1; r <= REPEAT; r++)); do # a failed run (logged above) has no ratio
		[ "${base[r]:-0}" = 0 ] && { echo "n/a"; return 0; }
	done
	for ((r = 1; r <= REPEAT; r++)); do calc "${ks[r]:-0} / ${base[r]}" 2; echo; done |
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
KS_LIVE=$(median "${R_L[@]}"); RANGE_LF=$(ratio_range R_L R_UF); RANGE_LC=$(ratio_range R_L R_CF)
BASE_P=$(median "${R_P[@]}"); RANGE_LP=$(ratio_range R_L R_P)

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

# --- the real broker: ksink and Java Kafka Connect side by side ---
# one run = a fresh process given its connector on the command line (ksink
# standalone / ConnectStandalone), over the preloaded topic bench_peer, into
# its own copy of the table; prints "rows/s first_row_ms peak_rss_kB"
# the connectors: each with its defaults and only what upsert by id needs
peer_props() { # kind name table tasks topic
	cat <<PROPS
name=$2
connection.url=$KSINK_PG_JDBC_URL
topics=$5
table.name.format=$3
insert.mode=upsert
tasks.max=$4
PROPS
	if [ "$1" != java ]; then
		echo "connector.class=io.confluent.connect.jdbc.JdbcSinkConnector"
		echo "connection.user=postgres"
		echo "pk.mode=record_value"
		echo "pk.fields=id"
	else # Debezium's names for the same keys
		echo "connector.class=io.debezium.connector.jdbc.JdbcSinkConnector"
		echo "connection.username=postgres"
		echo "connection.password="
		echo "primary.key.mode=record_value"
		echo "primary.key.fields=id"
	fi
}
# the worker files: the same converters for both (JsonConverter with schemas)
peer_worker() { # kind name
	echo "bootstrap.servers=$REAL_BOOTSTRAP"
	echo "listeners=http://127.0.0.1:$(( 20000 + RANDOM % 20000 ))"
	echo "key.converter=org.apache.kafka.connect.storage.StringConverter"
	if [ "$1" = ksink-avro ]; then
		echo "value.converter=io.confluent.connect.avro.AvroConverter"
		echo "value.converter.schema.registry.url=$KSINK_REGISTRY_URL"
	else
		echo "value.converter=org.apache.kafka.connect.json.JsonConverter"
		echo "value.converter.schemas.enable=true"
	fi
	if [ "$1" != java ]; then
		echo "config.storage.file=$T/peer-$2.json"
	else
		echo "offset.storage.file.filename=$T/peer-$2.offsets"
		echo "plugin.path=$CONNECT_HOME/plugins"
	fi
}
# start a worker with its connector; PEER_PID, PEER_T0 (exec time, s)
peer_start() { # kind name table tasks topic
	peer_worker "$1" "$2" >"$T/peer-$2.worker.properties"
	peer_props "$@" >"$T/peer-$2.properties"
	PEER_T0=$(now)
	if [ "$1" != java ]; then
		"$BUILD/ksink" standalone "$T/peer-$2.worker.properties" "$T/peer-$2.properties" >"$T/peer-$2.log" 2>&1 &
	else
		# connect-standalone.sh's JVM options (KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS)
		java -Xms256M -Xmx2G -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
			-XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
			-Djava.awt.headless=true -Duser.timezone=UTC -cp "$CONNECT_HOME/lib/*" \
			org.apache.kafka.connect.cli.ConnectStandalone \
			"$T/peer-$2.worker.properties" "$T/peer-$2.properties" >"$T/peer-$2.log" 2>&1 &
	fi
	PEER_PID=$!
}
peer_stop() { # prints the process's peak RSS (kB)
	awk '/VmHWM/ {print $2}' "/proc/$PEER_PID/status" 2>/dev/null || echo 0
	kill "$PEER_PID" 2>/dev/null || true
	wait "$PEER_PID" 2>/dev/null || true
	PEER_PID=""
}
# wait until TABLE has TARGET rows (one count a second; 0 on timeout or exit)
peer_wait() { # table target seconds
	local deadline=$(( SECONDS + $3 ))
	while [ $SECONDS -lt $deadline ]; do
		[ "$(q "SELECT count(*) FROM \"$1\"")" -ge "$2" ] && return 0
		kill -0 "$PEER_PID" 2>/dev/null || { log "error: the worker exited (log follows)"; tail -20 "$T/peer-$4.log" >&2; return 1; }
		sleep 1
	done
	log "error: $1 did not reach $2 rows in $3 s"
	return 1
}
peer_run() { # kind name table tasks [topic]
	local rss
	mktable "$3"
	peer_start "$1" "$2" "$3" "$4" "${5:-bench_peer}"
	if ! peer_wait "$3" "$PEER_N" 900 "$2"; then
		peer_stop >/dev/null
		echo "0 0 0"
		return 0
	fi
	rss=$(peer_stop)
	q "SELECT round(($PEER_N - 1) / greatest(extract(epoch FROM max(ingested_at) - min(ingested_at)), 0.001)),
	          round((extract(epoch FROM min(ingested_at)) - $PEER_T0) * 1000), $rss FROM \"$3\"" | tr '|' ' '
}
# latency at LAT_RATE rows/s: the worker runs, one warm-up row is in (its
# group has joined), then LAT_N rows are produced at the rate
peer_latency() { # kind name table topic
	local rss
	mktable "$3"
	peer_start "$1" "$2" "$3" 1 "$4"
	produce_json "$4" --count 1 --start $((LAT_N * 10))
	peer_wait "$3" 1 300 "$2" || { peer_stop >/dev/null; echo "0 0 0"; return 0; }
	produce_json "$4" --count "$LAT_N" --rate "$LAT_RATE"
	peer_wait "$3" $((LAT_N + 1)) 300 "$2" || { peer_stop >/dev/null; echo "0 0 0"; return 0; }
	rss=$(peer_stop)
	q "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1),
		round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 1), $rss
		FROM (SELECT extract(epoch FROM (ingested_at - (placed_at AT TIME ZONE 'UTC'))) * 1000 AS ms
		FROM \"$3\" WHERE id < $LAT_N) s" | tr '|' ' '
}
produce_json() { # topic gen-args...
	local topic=$1; shift
	"$BUILD/ksink-bench-gen" --format connect-json "$@" | "$BUILD/ksink-produce" --bootstrap "$REAL_BOOTSTRAP" \
		--topic "$topic" --format json --key-string 2>>"$T/produce.log" >/dev/null
}
declare -a P_KR P_KF P_KM P_JR P_JF P_JM P_AR P_AF P_AM
if [ "$REAL" = 1 ]; then
	kill "$KSINK_PID" 2>/dev/null && wait "$KSINK_PID" 2>/dev/null
	KSINK_PID=""
	wait "$REAL_UP_PID" || { cat "$T/real.log" >&2; log "error: the real broker did not start"; exit 1; }
	REAL_BOOTSTRAP=$(sed -n "s/^export KSINK_BOOTSTRAP='\(.*\)'/\1/p" "$T/real.env")
	log "real broker on $REAL_BOOTSTRAP; producing $PEER_N JsonConverter rows to bench_peer"
	produce_json bench_peer --count "$PEER_N"
	KSINK_BOOTSTRAP=$REAL_BOOTSTRAP produce bench_peer_avro --count "$PEER_N"
	# a fresh broker creates __consumer_offsets at the first group join (~1 s):
	# one uncounted run takes that, so no round's first run pays it
	peer_run ksink-avro peer-warm-up bench_peer_a 1 bench_peer_avro >/dev/null
	for ((rep = 1; rep <= REPEAT; rep++)); do
		read -r P_AR[rep] P_AF[rep] P_AM[rep] <<<"$(peer_run ksink-avro "peer-ksink-avro-$rep" bench_peer_a 1 bench_peer_avro)"
		read -r P_KR[rep] P_KF[rep] P_KM[rep] <<<"$(peer_run ksink "peer-ksink-$rep" bench_peer_k 1)"
		read -r P_JR[rep] P_JF[rep] P_JM[rep] <<<"$(peer_run java "peer-java-$rep" bench_peer_j 1)"
		log "real broker round $rep: ksink Avro ${P_AR[rep]} rows/s, first row ${P_AF[rep]} ms, RSS ${P_AM[rep]} kB;" \
			"ksink ${P_KR[rep]} rows/s, first row ${P_KF[rep]} ms, RSS ${P_KM[rep]} kB;" \
			"Java Connect ${P_JR[rep]} rows/s, first row ${P_JF[rep]} ms, RSS ${P_JM[rep]} kB"
	done
	PEER_EXACT=$(q "SELECT (SELECT count(*) FROM bench_peer_k) = $PEER_N AND (SELECT count(*) FROM bench_peer_j) = $PEER_N
		AND NOT EXISTS (SELECT id, amount, placed_at, customer, odds FROM bench_peer_k
		                EXCEPT SELECT id, amount, placed_at, customer, odds FROM bench_peer_j)")
	read -r P4_KR P4_KF P4_KM <<<"$(peer_run ksink peer-ksink-t4 bench_peer_k 4)"
	read -r P4_JR P4_JF P4_JM <<<"$(peer_run java peer-java-t4 bench_peer_j 4)"
	log "real broker tasks.max=4: ksink $P4_KR rows/s, RSS $P4_KM kB; Java Connect $P4_JR rows/s, RSS $P4_JM kB"
	read -r PL_K50 PL_K99 PL_KM <<<"$(peer_latency ksink peer-ksink-lat bench_peer_lat_k bench_peer_lat_k)"
	read -r PL_J50 PL_J99 PL_JM <<<"$(peer_latency java peer-java-lat bench_peer_lat_j bench_peer_lat_j)"
	log "real broker latency at $LAT_RATE/s: ksink p50 $PL_K50 p99 $PL_K99 ms; Java Connect p50 $PL_J50 p99 $PL_J99 ms"
	PK_R=$(median "${P_KR[@]}"); PK_F=$(median "${P_KF[@]}"); PK_M=$(median "${P_KM[@]}")
	PJ_R=$(median "${P_JR[@]}"); PJ_F=$(median "${P_JF[@]}"); PJ_M=$(median "${P_JM[@]}")
	RANGE_PR=$(ratio_range P_KR P_JR)
	PA_R=$(median "${P_AR[@]}"); PA_F=$(median "${P_AF[@]}"); PA_M=$(median "${P_AM[@]}")
	RANGE_AJ=$(ratio_range P_AR P_JR)
fi
mb() { calc "${1:-0} / 1024" 1; }

ratio() { [ "${2:-0}" = 0 ] && echo "n/a" || calc "$1 / $2" 2; }
{
	echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), shared with other jobs), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"), PostgreSQL $(q 'SHOW server_version' | cut -d' ' -f1) with fsync=$(q 'SHOW fsync'), synchronous_commit=$(q 'SHOW synchronous_commit'); connector defaults (no batch.size or other tuning); $N rows of 8 columns per throughput run on the librdkafka mock cluster, $PEER_N on the real broker (Apache Kafka $("$ROOT/scripts/kafka-fetch.sh" --version)); medians of $REPEAT rounds."
	echo
	echo "| Scenario (mock cluster, Avro) | ksink rows/s | Baseline | Baseline rows/s | Ratio | Ratio per round | Goal |"
	echo "|---|---:|---|---:|---:|---:|---:|"
	echo "| insert | $KS_INSERT | (a) psql \\copy | $BASE_A | $(ratio "$KS_INSERT" "$BASE_A") | $RANGE_IA | ≥ 0.9 |"
	echo "| insert | $KS_INSERT | (d) consume + decode only | $BASE_D | $(ratio "$KS_INSERT" "$BASE_D") | – | – |"
	echo "| insert + Script transform (mask a field, Lua) | $KS_SCRIPT | ksink insert, no transform | $KS_INSERT | $(ratio "$KS_SCRIPT" "$KS_INSERT") | $RANGE_SI | – |"
	echo "| upsert, fresh keys | $KS_UPSERT_FRESH | (a) psql \\copy | $BASE_A | $(ratio "$KS_UPSERT_FRESH" "$BASE_A") | $(ratio_range R_UF R_A) | ≥ 0.8 |"
	echo "| upsert, fresh keys | $KS_UPSERT_FRESH | (b) COPY + INSERT … ON CONFLICT | $BASE_B_FRESH | $(ratio "$KS_UPSERT_FRESH" "$BASE_B_FRESH") | $RANGE_FB | – |"
	echo "| upsert, fresh keys | $KS_UPSERT_FRESH | (c) JDBC sink pattern | $BASE_C_FRESH | $(ratio "$KS_UPSERT_FRESH" "$BASE_C_FRESH") | $RANGE_FC | ≥ 3 |"
	echo "| upsert, fresh keys, produced while running | $KS_LIVE | ksink upsert, fresh keys, preloaded | $KS_UPSERT_FRESH | $(ratio "$KS_LIVE" "$KS_UPSERT_FRESH") | $RANGE_LF | – |"
	echo "| upsert, fresh keys, produced while running | $KS_LIVE | (p) the producer, meanwhile (ksink-produce, Avro) | $BASE_P | $(ratio "$KS_LIVE" "$BASE_P") | $RANGE_LP | – |"
	echo "| upsert, fresh keys, produced while running | $KS_LIVE | (c) JDBC sink pattern | $BASE_C_FRESH | $(ratio "$KS_LIVE" "$BASE_C_FRESH") | $RANGE_LC | – |"
	echo "| upsert, updates | $KS_UPSERT_UPD | (b) COPY + INSERT … ON CONFLICT | $BASE_B_UPD | $(ratio "$KS_UPSERT_UPD" "$BASE_B_UPD") | $RANGE_UB | ≥ 1.0 |"
	echo "| upsert, updates | $KS_UPSERT_UPD | (c) JDBC sink pattern | $BASE_C_UPD | $(ratio "$KS_UPSERT_UPD" "$BASE_C_UPD") | $RANGE_UC | – |"
	echo "| insert, tasks.max=1 (8 partitions, $SCALE_N rows) | ${SCALE[1]} | tasks.max=1 | ${SCALE[1]} | 1.00 | – | – |"
	echo "| insert, tasks.max=2 | ${SCALE[2]} | tasks.max=1 | ${SCALE[1]} | $(ratio "${SCALE[2]}" "${SCALE[1]}") | – | – |"
	echo "| insert, tasks.max=4 | ${SCALE[4]} | tasks.max=1 | ${SCALE[1]} | $(ratio "${SCALE[4]}" "${SCALE[1]}") | – | – |"
	echo
	echo "| Measure (mock cluster) | Value | Goal |"
	echo "|---|---:|---:|"
	echo "| latency p50 at $LAT_RATE rows/s (produce → committed in Postgres), insert | $P50 ms | – |"
	echo "| latency p99 | $P99 ms | ≤ 50 ms |"
	echo "| peak RSS of the worker, one connector at full speed (tasks.max=1) | $RSS_MB MB | – |"
	echo "| peak RSS with tasks.max=1 / tasks.max=4 (8 partitions) | $(mb "${SCALE_RSS[1]}") / $(mb "${SCALE_RSS[4]}") MB | – / ≤ 64 MB |"
	echo "| start to REST answering | $READY_MS ms | < 100 ms |"
	echo "| every row arrived exactly once (insert / upsert / produced while running) | $INSERT_EXACT / $UPSERT_EXACT / $LIVE_EXACT | t / t / t |"
	echo "| every row masked by the script, exactly once | $SCRIPT_MASKED | t |"
	if [ "$REAL" = 1 ]; then
		echo
		echo "Real broker: ksink against Apache Kafka Connect $("$ROOT/scripts/connect-fetch.sh" --version) (ConnectStandalone, connect-standalone.sh's JVM options: -Xms256M -Xmx2G, G1) running Debezium's JDBC sink connector $("$ROOT/scripts/connect-fetch.sh" --debezium-version) (io.debezium.connector.jdbc.JdbcSinkConnector) with its defaults (batch.size 500, no reduction buffer, no UNNEST inserts), \`insert.mode=upsert\`, \`primary.key.mode=record_value\`. Same topic ($PEER_N rows, 16 partitions, JsonConverter with schemas, ~0.8 kB a record), upsert with fresh keys into identical tables, each run a fresh process started with its connector; medians of $REPEAT rounds."
		echo
		echo "| Measure (real broker, upsert, fresh keys) | ksink | Java Connect + Debezium JDBC sink | ksink ÷ Java | Ratio per round | Goal |"
		echo "|---|---:|---:|---:|---:|---:|"
		echo "| rows/s, tasks.max=1 | $PK_R | $PJ_R | $(ratio "$PK_R" "$PJ_R") | $RANGE_PR | ≥ 3 |"
		echo "| time from start to first row in Postgres | $PK_F ms | $PJ_F ms | $(ratio "$PK_F" "$PJ_F") | – | ≤ 0.02 |"
		echo "| peak RSS, tasks.max=1 | $(mb "$PK_M") MB | $(mb "$PJ_M") MB | $(ratio "$PK_M" "$PJ_M") | – | ≤ 0.1 |"
		echo "| rows/s, tasks.max=4 | $P4_KR | $P4_JR | $(ratio "$P4_KR" "$P4_JR") | – | – |"
		echo "| peak RSS, tasks.max=4 | $(mb "$P4_KM") MB | $(mb "$P4_JM") MB | $(ratio "$P4_KM" "$P4_JM") | – | ksink ≤ 64 MB |"
		echo "| latency p50 at $LAT_RATE rows/s (produce → row in Postgres) | $PL_K50 ms | $PL_J50 ms | $(ratio "$PL_K50" "$PL_J50") | – | – |"
		echo "| latency p99 | $PL_K99 ms | $PL_J99 ms | $(ratio "$PL_K99" "$PL_J99") | – | ksink ≤ 50 ms |"
		echo "| every row in both tables, equal | $PEER_EXACT | | | | t |"
		echo
		echo "The same rows as Confluent-framed Avro (~0.1 kB a record) on the same broker, ksink only (the Java peer has no Avro converter: Confluent's is not on Maven Central):"
		echo
		echo "| Measure (real broker, Avro, upsert, fresh keys, tasks.max=1) | ksink, Avro | Java Connect above (JSON) | Ratio | Ratio per round |"
		echo "|---|---:|---:|---:|---:|"
		echo "| rows/s | $PA_R | $PJ_R | $(ratio "$PA_R" "$PJ_R") | $RANGE_AJ |"
		echo "| time from start to first row | $PA_F ms | $PJ_F ms | $(ratio "$PA_F" "$PJ_F") | – |"
		echo "| peak RSS | $(mb "$PA_M") MB | $(mb "$PJ_M") MB | $(ratio "$PA_M" "$PJ_M") | – |"
	fi
} | tee "${BENCH_RESULT:-$OUT/latest.md}"
