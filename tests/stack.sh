#!/usr/bin/env bash
# tests/stack.sh — the local stack for tests and the demo: PostgreSQL 15 (run
# as the postgres user), the librdkafka mock cluster (build/ksink-mock-kafka)
# and the schema-registry stand-in (build/ksink-registry), each on a free
# loopback port, all state in one run directory.
#
#   tests/stack.sh up    [--dir DIR] [--only pg,kafka,registry] [--kafka mock|real]
#                                                                  start, print env
#   tests/stack.sh env   [--dir DIR]                               print env (sh syntax)
#   tests/stack.sh down  [--dir DIR] [--keep]                      stop all, remove DIR
#   tests/stack.sh start|stop|restart COMPONENT [--dir DIR]        one component
#
# --kafka real runs a real Apache Kafka broker (KRaft, broker+controller in one
# JVM, jars from Maven Central via scripts/kafka-fetch.sh) instead of the mock;
# its data stays in DIR/kafka-real, so `restart kafka` keeps topics and
# committed offsets, and its log is DIR/kafka.log. The kind chosen at `up` is
# remembered for start/stop/restart. Default: $KSINK_KAFKA or mock.
# DIR defaults to $KSINK_STACK_DIR or /tmp/ksink-stack. Environment read:
#   KSINK_BUILD        build dir with the tools (default ./build)
#   KSINK_PG_PASSWORD  if set, TCP logins need this password (scram); else trust
#   KSINK_PG_DB        extra database to create (e.g. totebets)
#   KSINK_STACK_PG_PORT, KSINK_STACK_REGISTRY_PORT  fixed ports instead of free ones
#   KSINK_KAFKA_BROKERS (default 1), KSINK_KAFKA_TOPICS "t1:3 t2:1" to pre-create
#   KSINK_PG_DURABLE=1 keeps fsync on (tests turn it off for speed)
#   KSINK_KAFKA_HEAP (real broker's -Xmx, default 512m)
# The env printed: KSINK_KAFKA_KIND (mock|real) KSINK_STACK_DIR KSINK_PG_HOST KSINK_PG_PORT KSINK_PG_CONNINFO
#   KSINK_PG_JDBC_URL PGHOST PGPORT PGUSER PGDATABASE KSINK_BOOTSTRAP
#   KSINK_KAFKA_CONTROL (the mock's fault-injection socket, see tools/README.md)
#   KSINK_REGISTRY_URL (when the registry runs).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${KSINK_BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
PGBIN=${KSINK_PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}

cmd=${1:-}
[ -n "$cmd" ] && shift
comp=""
case $cmd in start|stop|restart) comp=${1:?component}; shift ;; esac
DIR=${KSINK_STACK_DIR:-/tmp/ksink-stack}
ONLY="pg,kafka,registry"
KEEP=0
KIND=${KSINK_KAFKA:-}
while [ $# -gt 0 ]; do
	case $1 in
	--dir) DIR=$2; shift 2 ;;
	--only) ONLY=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	--kafka) KIND=$2; shift 2 ;;
	*) echo "stack.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

log() { echo "stack: $*" >&2; }
# the Kafka kind: --kafka, else what `up` chose for this DIR, else mock
if [ -z "$KIND" ]; then
	KIND=$(cat "$DIR/kafka.kind" 2>/dev/null || echo mock)
fi
case $KIND in mock | real) ;; *) echo "stack.sh: --kafka must be mock or real, not $KIND" >&2; exit 2 ;; esac
die() { echo "stack: error: $*" >&2; exit 1; }

free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	die "no free port found"
}

# run a command as the postgres user when we are root (PostgreSQL refuses root)
as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

wait_until() { # seconds cmd...
	local deadline=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
}

pg_port() { cat "$DIR/pg.port"; }

start_pg() {
	[ -x "$PGBIN/initdb" ] || die "PostgreSQL server not found (run scripts/deps.sh)"
	local port=${KSINK_STACK_PG_PORT:-$(free_port)}
	mkdir -p "$DIR/pg"
	if [ "$(id -u)" = 0 ]; then chown postgres: "$DIR/pg"; fi
	if [ ! -s "$DIR/pg/data/PG_VERSION" ]; then
		local auth=(--auth-local=trust --auth-host=trust)
		if [ -n "${KSINK_PG_PASSWORD:-}" ]; then
			echo "$KSINK_PG_PASSWORD" >"$DIR/pg/pwfile"
			[ "$(id -u)" = 0 ] && chown postgres: "$DIR/pg/pwfile"
			auth=(--auth-local=trust --auth-host=scram-sha-256 --pwfile="$DIR/pg/pwfile")
		fi
		as_pg "$PGBIN/initdb" -D "$DIR/pg/data" -U postgres -E UTF8 --locale=C.UTF-8 \
			"${auth[@]}" --no-sync >"$DIR/pg/initdb.log" 2>&1 ||
			{ cat "$DIR/pg/initdb.log" >&2; die "initdb failed"; }
		rm -f "$DIR/pg/pwfile"
	fi
	local opts="-c listen_addresses=127.0.0.1 -p $port -k $DIR/pg -c max_connections=200"
	if [ "${KSINK_PG_DURABLE:-0}" != 1 ]; then
		opts="$opts -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
	fi
	local try
	for try in 1 2 3 4 5; do
		if as_pg "$PGBIN/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/server.log" -o "$opts" -w -t 60 \
			start >/dev/null; then
			break
		fi
		# the free port was taken meanwhile (parallel runs): another one, unless fixed
		if [ -z "${KSINK_STACK_PG_PORT:-}" ] && [ "$try" -lt 5 ] &&
			tail -5 "$DIR/pg/server.log" | grep -q "Address already in use"; then
			local old=$port
			port=$(free_port)
			opts=${opts/ -p $old / -p $port }
			continue
		fi
		tail -20 "$DIR/pg/server.log" >&2
		die "postgres did not start"
	done
	echo "$port" >"$DIR/pg.port"
	if [ -n "${KSINK_PG_DB:-}" ]; then
		as_pg "$PGBIN/psql" -h "$DIR/pg" -p "$port" -U postgres -d postgres -tAXq -c \
			"SELECT 1 FROM pg_database WHERE datname = '$KSINK_PG_DB'" | grep -q 1 ||
			as_pg "$PGBIN/createdb" -h "$DIR/pg" -p "$port" -U postgres "$KSINK_PG_DB"
	fi
	log "postgres on 127.0.0.1:$port (data $DIR/pg/data)"
}

stop_pg() {
	[ -f "$DIR/pg/data/postmaster.pid" ] || return 0
	as_pg "$PGBIN/pg_ctl" -D "$DIR/pg/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
		as_pg "$PGBIN/pg_ctl" -D "$DIR/pg/data" -m immediate stop >/dev/null 2>&1 || true
}

start_bg() { # name cmd... : runs in its own session, pid in DIR/name.pid
	local name=$1; shift
	if [ "$name" = kafka ] && [ "$KIND" = real ]; then
		# the real broker's log is kept across restarts (a failed start stays readable)
		echo "=== stack.sh: broker start $(date -u +%FT%TZ)" >>"$DIR/$name.log"
		setsid "$@" </dev/null >>"$DIR/$name.log" 2>&1 &
		echo $! >"$DIR/$name.pid"
		return
	fi
	setsid "$@" </dev/null >"$DIR/$name.log" 2>&1 &
	echo $! >"$DIR/$name.pid"
}

stop_bg() {
	local name=$1 pid
	[ -f "$DIR/$name.pid" ] || return 0
	pid=$(cat "$DIR/$name.pid")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait_until "${KSINK_STOP_GRACE:-10}" bash -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$DIR/$name.pid"
}

start_kafka() {
	echo "$KIND" >"$DIR/kafka.kind"
	if [ "$KIND" = real ]; then start_kafka_real; else start_kafka_mock; fi
}

stop_kafka() {
	# a real broker shuts down in a few seconds (controlled shutdown); the
	# stop_bg grace of 10 s would kill -9 it under load and cost a log recovery
	if [ "$KIND" = real ]; then KSINK_STOP_GRACE=60 stop_bg kafka; else stop_bg kafka; fi
}

# The real broker: one JVM, broker and controller (KRaft), ports chosen once
# per DIR and kept across restarts (clients keep their bootstrap list).
start_kafka_real() {
	local kh kd=$DIR/kafka-real port cport
	[ -x "$BUILD/ksink-kafka-admin" ] || die "$BUILD/ksink-kafka-admin not built (run make)"
	kh=$("$ROOT/scripts/kafka-fetch.sh") || die "the real Kafka broker is not available (see above; run scripts/deps.sh, then scripts/kafka-fetch.sh)"
	mkdir -p "$kd"
	rm -f "$DIR/kafka.bootstrap"
	if [ -f "$kd/ports" ]; then
		read -r port cport <"$kd/ports"
	else
		port=$(free_port)
		cport=$(free_port)
		while [ "$cport" = "$port" ]; do cport=$(free_port); done
		echo "$port $cport" >"$kd/ports"
	fi
	cat >"$kd/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$kd/data
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# the tests evict killed workers sooner than the 6 s minimum a broker allows by default
group.min.session.timeout.ms=1000
PROPS
	local java=(java "-Xms128m" "-Xmx${KSINK_KAFKA_HEAP:-512m}" -XX:+UseSerialGC
		-XX:TieredStopAtLevel=1 -Djava.awt.headless=true -cp "$kh/lib/*")
	if [ ! -f "$kd/data/meta.properties" ]; then
		"${java[@]}" kafka.tools.StorageTool format -t "$("${java[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null)" 			-c "$kd/server.properties" >"$kd/format.log" 2>&1 ||
			{ cat "$kd/format.log" >&2; die "formatting the KRaft storage failed"; }
	fi
	start_bg kafka "${java[@]}" kafka.Kafka "$kd/server.properties"
	if ! "$BUILD/ksink-kafka-admin" -b "127.0.0.1:$port" wait 180 2>/dev/null; then
		sed -n '/^=== stack.sh: broker start/h; /^=== stack.sh: broker start/!H; ${x;p}' "$DIR/kafka.log" |
			grep -m 10 -E 'ERROR|FATAL|Exception|Address already' >&2
		tail -15 "$DIR/kafka.log" >&2
		if ! kill -0 "$(cat "$DIR/kafka.pid" 2>/dev/null)" 2>/dev/null; then
			die "the real Kafka broker exited while starting (log: $DIR/kafka.log)"
		fi
		die "the real Kafka broker did not answer within 180 s (log: $DIR/kafka.log)"
	fi
	local t
	for t in ${KSINK_KAFKA_TOPICS:-}; do
		"$BUILD/ksink-kafka-admin" -b "127.0.0.1:$port" create "${t%%:*}" "${t##*:}" ||
			die "creating topic $t failed"
	done
	echo "127.0.0.1:$port" >"$DIR/kafka.bootstrap"
	log "real kafka $(basename "$kh") on 127.0.0.1:$port (data $kd/data, log $DIR/kafka.log)"
}

start_kafka_mock() {
	[ -x "$BUILD/ksink-mock-kafka" ] || die "$BUILD/ksink-mock-kafka not built (run make)"
	rm -f "$DIR/kafka.bootstrap"
	local topics=() t
	for t in ${KSINK_KAFKA_TOPICS:-}; do topics+=(--topic "$t"); done
	# the control socket (fault injection); a unix socket path has ~107 bytes
	local ctl=()
	rm -f "$DIR/kafka.control"
	[ ${#DIR} -lt 90 ] && ctl=(--control "$DIR/kafka.control")
	start_bg kafka "$BUILD/ksink-mock-kafka" --brokers "${KSINK_KAFKA_BROKERS:-1}" \
		--bootstrap-file "$DIR/kafka.bootstrap" "${topics[@]}" "${ctl[@]}"
	wait_until 10 test -s "$DIR/kafka.bootstrap" || { cat "$DIR/kafka.log" >&2; die "mock kafka did not start"; }
	log "mock kafka on $(cat "$DIR/kafka.bootstrap")"
}

start_registry() {
	[ -x "$BUILD/ksink-registry" ] || { log "no $BUILD/ksink-registry: registry not started"; return 0; }
	local port
	local try fixed=${KSINK_STACK_REGISTRY_PORT:-$( [ -f "$DIR/registry.port" ] && cat "$DIR/registry.port")}
	port=${fixed:-$(free_port)}
	for try in 1 2 3 4 5; do
		start_bg registry "$BUILD/ksink-registry" --listen "127.0.0.1:$port" --data "$DIR/registry.json"
		wait_until 10 curl -sf "http://127.0.0.1:$port/subjects" && break
		# the free port was taken meanwhile (parallel runs): another one, unless fixed
		if [ -z "$fixed" ] && [ "$try" -lt 5 ] && grep -q "Address already in use" "$DIR/registry.log"; then
			port=$(free_port)
			continue
		fi
		cat "$DIR/registry.log" >&2
		die "registry did not start"
	done
	echo "$port" >"$DIR/registry.port"
	log "schema registry on http://127.0.0.1:$port"
}

print_env() {
	[ -d "$DIR" ] || die "no stack in $DIR"
	echo "export KSINK_STACK_DIR='$DIR'"
	echo "export KSINK_BUILD='$BUILD'"
	[ -f "$DIR/kafka.kind" ] && echo "export KSINK_KAFKA_KIND='$(cat "$DIR/kafka.kind")'"
	if [ -f "$DIR/pg.port" ]; then
		local port db=${KSINK_PG_DB:-postgres}
		port=$(pg_port)
		echo "export KSINK_PG_HOST=127.0.0.1 KSINK_PG_PORT=$port"
		echo "export KSINK_PG_CONNINFO='host=127.0.0.1 port=$port user=postgres dbname=$db'"
		echo "export KSINK_PG_JDBC_URL='jdbc:postgresql://127.0.0.1:$port/$db'"
		echo "export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=$db"
	fi
	[ -s "$DIR/kafka.bootstrap" ] && echo "export KSINK_BOOTSTRAP='$(cat "$DIR/kafka.bootstrap")'"
	[ -S "$DIR/kafka.control" ] && echo "export KSINK_KAFKA_CONTROL='$DIR/kafka.control'"
	[ -f "$DIR/registry.port" ] && echo "export KSINK_REGISTRY_URL='http://127.0.0.1:$(cat "$DIR/registry.port")'"
	return 0
}

has() { [[ ",$ONLY," == *",$1,"* ]]; }

case $cmd in
up)
	mkdir -p "$DIR"
	chmod 755 "$DIR"
	has pg && start_pg
	has kafka && start_kafka
	has registry && start_registry
	print_env >"$DIR/env"
	cat "$DIR/env"
	;;
env) print_env ;;
down)
	[ -d "$DIR" ] || exit 0
	stop_bg registry
	stop_kafka
	stop_pg
	[ "$KEEP" = 1 ] || rm -rf "$DIR"
	;;
start | stop | restart)
	case $comp in pg | kafka | registry) ;; *) die "unknown component $comp" ;; esac
	if [ "$cmd" != start ]; then
		case $comp in pg) stop_pg ;; kafka) stop_kafka ;; *) stop_bg "$comp" ;; esac
	fi
	if [ "$cmd" != stop ]; then
		if [ "$comp" = pg ]; then KSINK_STACK_PG_PORT=$(pg_port) start_pg; else "start_$comp"; fi
		print_env >"$DIR/env"
	fi
	;;
*)
	sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
