#!/usr/bin/env bash
# demo/demo.sh — the tote-pool demo with ksink in place of the Java Connect
# worker, on the embedded local stack (no Docker):
#
#   up      (make demo)  start everything, register the connector, play the bets,
#                        wait for both tables, print them with the final odds
#   start   (make start) start the stack, ksink and adminer only
#   build   register the connector (POST connect-jdbc-sink.json)
#   play    (make play)  send the bets again (insert mode appends, as in the seed)
#   status  print the tables and the odds
#   down    (make down)  stop every process of the demo
#   prune   (make prune) down, then delete the demo's state
#
# Kafka: KAFKA=mock (default: librdkafka's mock cluster, no JVM) or KAFKA=real
# (make demo KAFKA=real: a real Apache Kafka broker, KRaft, from Maven Central;
# its data stays in the demo's folder across down/up, as Postgres' does).
#
# Ports: ksink REST 8083, adminer 8080, registry 8081, Postgres 5432 — each
# taken only when free, else a free port is used and printed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
RUN=${KSINK_DEMO_DIR:-$ROOT/.run/demo}
BUILD=${KSINK_BUILD:-$ROOT/build}
DATA=$ROOT/demo/data
BETS_TOPIC=tote_win_bets
ODDS_TOPIC=tote_win_bet_race_runners_odds
KAFKA=${KAFKA:-${KSINK_KAFKA:-mock}}
case $KAFKA in mock | real) ;; *) echo "demo: KAFKA must be mock or real, not $KAFKA" >&2; exit 2 ;; esac
export KSINK_BUILD=$BUILD KSINK_PG_DB=totebets KSINK_PG_PASSWORD=example KSINK_PG_DURABLE=1

say() { echo "demo: $*" >&2; }
die() { echo "demo: error: $*" >&2; exit 1; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() { # preferred-port
	if port_free "$1"; then echo "$1"; return; fi
	local p
	for _ in $(seq 1 100); do
		p=$((20000 + RANDOM % 30000))
		port_free "$p" && { echo "$p"; return; }
	done
	die "no free port"
}
alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }
wait_until() { # seconds cmd...
	local deadline=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.2
	done
}
load_env() { # shellcheck disable=SC1091
	. "$RUN/env"
	KSINK_URL=http://127.0.0.1:$(cat "$RUN/ksink.port")
	ADMINER_PORT=$(cat "$RUN/adminer.port")
}
psql_demo() { PGPASSWORD=example psql -h 127.0.0.1 -p "$KSINK_PG_PORT" -U postgres -d totebets -X "$@"; }

start_stack() {
	mkdir -p "$RUN"
	if [ -f "$RUN/env" ] && alive kafka; then
		say "stack already running ($RUN)"
	else
		"$ROOT/tests/stack.sh" down --dir "$RUN" --keep >/dev/null 2>&1 || true
		# a real broker's log survives down/up (same data dir): its topics and
		# offsets are still valid; the mock's, or a new broker's, start empty
		local fresh=1
		if [ "$KAFKA" = real ] && [ "$(cat "$RUN/kafka.kind" 2>/dev/null)" = real ] &&
			[ -f "$RUN/kafka-real/data/meta.properties" ]; then
			fresh=0
		fi
		[ "$fresh" = 1 ] && rm -rf "$RUN/kafka-real"
		rm -f "$RUN/env" "$RUN/kafka.bootstrap"
		[ "$KAFKA" = real ] && say "starting a real Apache Kafka broker (first run fetches its jars from Maven Central)"
		KSINK_STACK_PG_PORT=$(pick_port 5432) KSINK_STACK_REGISTRY_PORT=$(pick_port 8081) \
		KSINK_KAFKA_TOPICS="$BETS_TOPIC:1 $ODDS_TOPIC:1" \
			"$ROOT/tests/stack.sh" up --dir "$RUN" --kafka "$KAFKA" >/dev/null
		load_env_stack
		if [ "$fresh" = 1 ]; then
			rm -f "$RUN/pools" # a new Kafka cluster starts with empty pools
			# the sink keeps its offsets in Postgres; a new Kafka cluster
			# starts at offset 0 again, so forget the old cluster's offsets
			psql_demo -qtAc 'DO $$ BEGIN IF to_regclass($q$"__ksink_offsets"$q$) IS NOT NULL THEN DELETE FROM "__ksink_offsets"; END IF; END $$' >/dev/null
		fi
		say "Kafka ($KAFKA) on $KSINK_BOOTSTRAP"
	fi
	load_env_stack
}
load_env_stack() { # shellcheck disable=SC1091
	. "$RUN/env"
}

start_ksink() {
	local port
	if alive ksink; then
		say "ksink already running"
		return
	fi
	port=$(pick_port 8083)
	echo "$port" >"$RUN/ksink.port"
	{
		echo "# written by demo/demo.sh"
		avro_worker_props "$port" "$RUN/connectors.json"
		echo "offset.flush.interval.ms=1000"
	} >"$RUN/worker.properties"
	setsid "$BUILD/ksink" standalone "$RUN/worker.properties" </dev/null >"$RUN/ksink.log" 2>&1 &
	echo $! >"$RUN/ksink.pid"
	wait_until 20 curl -fs "http://127.0.0.1:$port/" || { tail -20 "$RUN/ksink.log" >&2; die "ksink did not start"; }
	say "ksink REST on http://127.0.0.1:$port"
}

start_adminer() {
	local port
	if alive adminer; then return; fi
	[ -f /etc/adminer/conf.php ] || { say "adminer not installed: skipped"; echo 0 >"$RUN/adminer.port"; return; }
	port=$(pick_port 8080)
	echo "$port" >"$RUN/adminer.port"
	# served as Debian's apache conf does (Alias /adminer /etc/adminer,
	# DirectoryIndex conf.php): conf.php loads the compiled adminer.php, which
	# serves its own stylesheet and scripts (?file=default.css); as the router
	# script, it answers every path
	setsid php -S "127.0.0.1:$port" -t /etc/adminer /etc/adminer/conf.php </dev/null >"$RUN/adminer.log" 2>&1 &
	echo $! >"$RUN/adminer.pid"
	wait_until 10 curl -fs -o /dev/null "http://127.0.0.1:$port/" || die "adminer did not start"
}

register() {
	local body code
	body=$(sed -e "s|@PG_PORT@|$KSINK_PG_PORT|" -e "s|@REGISTRY_URL@|$KSINK_REGISTRY_URL|" \
		"$ROOT/demo/connect-jdbc-sink.json")
	code=$(curl -s -o "$RUN/post.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data "$body" "$KSINK_URL/connectors")
	case $code in
	201) say "connector jdbc-sink-connector created" ;;
	409) say "connector jdbc-sink-connector already exists" ;;
	*) cat "$RUN/post.out" >&2; die "POST /connectors answered $code" ;;
	esac
	wait_until 30 bash -c "curl -fs '$KSINK_URL/connectors/jdbc-sink-connector/status' | grep -q '\"RUNNING\"'" ||
		die "connector not RUNNING: $(curl -s "$KSINK_URL/connectors/jdbc-sink-connector/status")"
}

count() { psql_demo -tAc "SELECT count(*) FROM \"$1\"" 2>/dev/null || echo 0; }

play() {
	local before_bets before_odds n=0 f
	before_bets=$(count "$BETS_TOPIC")
	before_odds=$(count "$ODDS_TOPIC")
	for f in post_bets post_bets_large; do
		"$BUILD/ksink-produce" --bootstrap "$KSINK_BOOTSTRAP" --registry "$KSINK_REGISTRY_URL" \
			--topic "$BETS_TOPIC" --value-schema "$DATA/$BETS_TOPIC-value.avsc" <"$DATA/$f.jsonl"
		"$BUILD/ksink-demo-odds" --key --state "$RUN/pools" <"$DATA/$f.jsonl" |
			"$BUILD/ksink-produce" --bootstrap "$KSINK_BOOTSTRAP" --registry "$KSINK_REGISTRY_URL" \
				--topic "$ODDS_TOPIC" --value-schema "$DATA/$ODDS_TOPIC-value.avsc" --key-string
		n=$((n + $(wc -l <"$DATA/$f.jsonl")))
	done
	say "played $n bets; waiting for the sink"
	filled() { [ "$(count "$BETS_TOPIC")" -ge $((before_bets + n)) ] &&
		[ "$(count "$ODDS_TOPIC")" -ge $((before_odds + n)) ]; }
	wait_until 60 filled ||
		die "tables not filled in 60 s (bets $(count "$BETS_TOPIC"), odds $(count "$ODDS_TOPIC")); see $RUN/ksink.log"
}

status() {
	echo
	echo "== table $BETS_TOPIC"
	psql_demo -c "SELECT * FROM \"$BETS_TOPIC\""
	echo "== table $ODDS_TOPIC"
	psql_demo -c "SELECT \"RUNNER_ID\", \"RUNNER_POOL_AMOUNT\", \"RACE_POOL_AMOUNT\", round(\"ODDS\"::numeric, 3) AS \"ODDS\" FROM \"$ODDS_TOPIC\""
	echo "== final odds (race pool / runner pool)"
	psql_demo -c "SELECT DISTINCT ON (\"RUNNER_ID\") \"RUNNER_ID\" AS runner, \"RUNNER_POOL_AMOUNT\" AS runner_pool, \"RACE_POOL_AMOUNT\" AS race_pool, round(\"ODDS\"::numeric, 3) AS odds FROM \"$ODDS_TOPIC\" ORDER BY \"RUNNER_ID\", ctid DESC"
	echo "Connector status: $KSINK_URL/connectors/jdbc-sink-connector/status"
	if [ "$ADMINER_PORT" != 0 ]; then
		echo "Adminer:          http://127.0.0.1:$ADMINER_PORT/?pgsql=127.0.0.1:$KSINK_PG_PORT&username=postgres&db=totebets"
		echo "                  (System PostgreSQL, server 127.0.0.1:$KSINK_PG_PORT, user postgres, password example, database totebets)"
	fi
	echo "Stop everything:  make down"
}

stop_proc() {
	local pid
	alive "$1" || { rm -f "$RUN/$1.pid"; return 0; }
	pid=$(cat "$RUN/$1.pid")
	kill -TERM "$pid" 2>/dev/null || true
	wait_until 15 bash -c "! kill -0 $pid 2>/dev/null" || kill -KILL "$pid" 2>/dev/null || true
	rm -f "$RUN/$1.pid"
}

case ${1:-up} in
up)
	KSINK_DEPS_DEMO=1 "$ROOT/scripts/deps.sh"
	start_stack; start_ksink; start_adminer; load_env
	register
	play
	status
	;;
start)
	KSINK_DEPS_DEMO=1 "$ROOT/scripts/deps.sh"
	start_stack; start_ksink; start_adminer; load_env
	status_line="ksink $KSINK_URL"; say "$status_line"
	;;
build) load_env; register ;;
play) [ -f "$RUN/env" ] || die "the demo is not running (make demo)"; load_env; play; status ;;
status) load_env; status ;;
down)
	[ -d "$RUN" ] || exit 0
	stop_proc adminer
	stop_proc ksink
	"$ROOT/tests/stack.sh" down --dir "$RUN" --keep >/dev/null 2>&1 || true
	rm -f "$RUN/env"
	say "stopped"
	;;
prune) "$0" down; rm -rf "$RUN"; say "state removed" ;;
*) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
