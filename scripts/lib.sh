# shellcheck shell=bash
# scripts/lib.sh — shell functions more than one script here would otherwise
# write each: a pom's pinned version, the Java check and the Maven fetch into
# the jar cache (scripts/kafka-fetch.sh, scripts/connect-fetch.sh), and for
# the scripts that run a ksink worker over the test stack (bench/bench.sh,
# bench/profile.sh, demo/demo.sh) the worker's properties, the bet table and
# the producer of bet rows.
# Sourced, never run; functions that fail call the caller's die (or exit).

# pom_version PROPERTY POM: the <PROPERTY> POM pins (kafka.version, ...).
pom_version() {
	local v
	v=$(sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$2")
	[ -n "$v" ] || die "no <$1> in $2"
	echo "$v"
}

# jar_cache NAME: NAME's folder in the jar cache outside the work tree.
jar_cache() { echo "${KSINK_CACHE:-${HOME:-/root}/.cache/ksink}/$1"; }

# need_java WHAT: dies unless a Java >= 17 (what WHAT needs) is on PATH.
need_java() {
	local jv
	command -v java >/dev/null || die "no java: run scripts/deps.sh (installs Java 17)"
	jv=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
	[ "${jv:-0}" -ge 17 ] || die "java $jv found, $1 needs 17 or newer (run scripts/deps.sh)"
}

# maven_fetch POM DIR JAR WHAT [MVN-ARGS]: the runtime jars POM names into DIR/lib,
# unless DIR/.complete says an earlier fetch finished; JAR (a file name in
# lib/) must be among them. A fetch cut half-way leaves DIR.tmp, done again.
maven_fetch() {
	local pom=$1 dir=$2 jar=$3 what=$4 extra=${5:-} self
	self=$(basename "$0" .sh)
	[ -f "$dir/.complete" ] && return 0
	command -v mvn >/dev/null || die "no mvn: run scripts/deps.sh (installs maven)"
	echo "$self: fetching $what jars from Maven Central into $dir" >&2
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp"
	# shellcheck disable=SC2086 # extra: more mvn arguments, split on blanks
	if ! mvn -B -q -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
		-DoutputDirectory="$dir.tmp/lib" $extra >"$dir.tmp/mvn.log" 2>&1; then
		tail -20 "$dir.tmp/mvn.log" >&2
		die "mvn could not fetch the $what jars (log above; retry with: $0)"
	fi
	[ -f "$dir.tmp/lib/$jar" ] || die "$jar missing after the fetch"
	touch "$dir.tmp/.complete"
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
}

# avro_worker_props PORT CONFIG-FILE: a standalone worker's properties on
# the stack ($KSINK_BOOTSTRAP, $KSINK_REGISTRY_URL), string keys and Avro
# values, connectors kept in CONFIG-FILE; a quick session timeout so a
# stopped worker's partitions move on soon.
avro_worker_props() {
	cat <<PROPS
bootstrap.servers=$KSINK_BOOTSTRAP
listeners=http://127.0.0.1:$1
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=io.confluent.connect.avro.AvroConverter
value.converter.schema.registry.url=$KSINK_REGISTRY_URL
config.storage.file=$2
consumer.session.timeout.ms=6000
consumer.heartbeat.interval.ms=500
PROPS
}

# bet_table NAME: the CREATE TABLE of bench/bet.avsc's rows, with an
# ingested_at column the database stamps (latency, rows/s).
bet_table() {
	echo "CREATE TABLE \"$1\" (id BIGINT PRIMARY KEY, race_id INT NOT NULL,
	   runner_id INT NOT NULL, amount DOUBLE PRECISION NOT NULL, placed_at TIMESTAMP NOT NULL,
	   channel TEXT NOT NULL, customer TEXT NOT NULL, odds DOUBLE PRECISION NOT NULL,
	   ingested_at TIMESTAMPTZ DEFAULT clock_timestamp())"
}

# produce_bets TOPIC LOG GEN-ARGS...: ksink-bench-gen's rows, Avro through
# the registry, keyed by id, into TOPIC on $KSINK_BOOTSTRAP; stderr to LOG.
produce_bets() {
	local topic=$1 log=$2
	shift 2
	"$BUILD/ksink-bench-gen" "$@" | "$BUILD/ksink-produce" --bootstrap "$KSINK_BOOTSTRAP" \
		--registry "$KSINK_REGISTRY_URL" --topic "$topic" --value-schema "$ROOT/bench/bet.avsc" \
		--key-field id 2>>"$log"
}
