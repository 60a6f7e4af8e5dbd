# tests/lib/worker.sh — helpers for the worker/REST shell tests (0400-0499),
# sourced after lib.sh. Each test gets its own temp dir ($W), its own mock
# Kafka when it asks for one, and ksink workers on free ports; everything is
# stopped by the EXIT trap, whatever happens.
#
#   w_init NAME                 temp dir $W, EXIT trap
#   w_test_sink                 start build/ksink-test (with the MemorySink)
#   w_asan [--say]              use build-asan/ when it was built
#   w_mock [--brokers N] [TOPIC:N ...]  own mock cluster, sets $BS and $MOCKCTL
#   w_kafka [--brokers N] [TOPIC:N ...] the Kafka of this test's tier: its own
#                               mock (as w_mock) in the mock tier; in the real
#                               tier (KSINK_KAFKA_KIND=real) the stack's real
#                               broker, with the topics created through the
#                               admin API ($BS, no $MOCKCTL)
#   w_kafka_restart SECS        the broker down for SECS seconds, then back:
#                               the real one stopped and started on its data
#                               dir; the mock's brokers down and up
#   is_real                     true in the real-broker tier
#   mock_ctl COMMAND [ARG ...]  fault injection on $MOCKCTL (or the stack's
#                               $KSINK_KAFKA_CONTROL); prints the answer, 0 on "ok"
#   w_props FILE [k=v ...]      worker.properties for $BS on a free port ($PORT)
#   w_start FILE [CONN...]      start $KSINK in the background ($KPID, $URL)
#   w_stop [SIGNAL] [SECS]      stop it (default TERM) within SECS; sets $KRC
#   api METHOD PATH [JSON]      curl; sets $CODE and $BODY
#   produce TOPIC               key:value lines on stdin -> kcat
#   memsink NAME TOPICS [k=v]   a MemorySink connector JSON ({"name","config"})

# The worker binary the helpers start: the shipped build/ksink, or with
# w_test_sink build/ksink-test, the same worker plus the test-only
# MemorySink connector (tests/lib/memory_sink.c; memsink below).
KSINK=$BUILD/ksink
w_test_sink() { KSINK=$BUILD/ksink-test; }

# w_asan [--say]: the ASan build (build-asan/) when it exists, for the
# workers and the mock cluster; --say prints an ok line saying so.
w_asan() {
	if [ -x "$ROOT/build-asan/ksink" ] && [ -x "$ROOT/build-asan/ksink-mock-kafka" ]; then
		BUILD=$ROOT/build-asan
		KSINK=$BUILD/$(basename "$KSINK")
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
		[ "${1:-}" = --say ] && ok "using the ASan build"
	fi
	return 0
}

W=""
BS=${KSINK_BOOTSTRAP:-}
KPID=""
MOCKPID=""
MOCKCTL=""
PORT=""
URL=""
CODE=""
BODY=""
KRC=""

w_cleanup() {
	[ -n "$KPID" ] && kill -TERM "$KPID" 2>/dev/null && wait "$KPID" 2>/dev/null
	[ -n "$MOCKPID" ] && kill -TERM "$MOCKPID" 2>/dev/null && wait "$MOCKPID" 2>/dev/null
	if [ -n "$W" ] && [ -z "${KSINK_KEEP:-}" ]; then rm -rf "$W"; fi
}

w_init() {
	W=$(mktemp -d "/tmp/ksink-$1.XXXXXX")
	trap w_cleanup EXIT
}

w_free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 12000)) # below the ephemeral range
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

w_mock() {
	local args=()
	if [ "${1:-}" = --brokers ]; then
		args+=(--brokers "$2")
		shift 2
	fi
	for t in "$@"; do args+=(--topic "$t"); done
	MOCKCTL=$W/mock.ctl
	"$BUILD/ksink-mock-kafka" --bootstrap-file "$W/mock.bs" --control "$MOCKCTL" "${args[@]}" \
		</dev/null >"$W/mock.log" 2>&1 &
	MOCKPID=$!
	wait_for 10 test -s "$W/mock.bs" || { echo "mock kafka did not start" >&2; return 1; }
	BS=$(cat "$W/mock.bs")
}

is_real() { [ "${KSINK_KAFKA_KIND:-mock}" = real ]; }

w_kafka() {
	if ! is_real; then
		w_mock "$@"
		return
	fi
	[ "${1:-}" = --brokers ] && shift 2 # one real broker serves every partition
	BS=${KSINK_BOOTSTRAP:?the real-broker tier needs KSINK_BOOTSTRAP}
	local t
	for t in "$@"; do
		"$BUILD/ksink-kafka-admin" -b "$BS" create "${t%%:*}" "${t##*:}" ||
			{ echo "creating topic $t on the real broker failed" >&2; return 1; }
	done
}

w_kafka_restart() {
	local secs=$1
	if is_real; then
		"$ROOT/tests/stack.sh" stop kafka --dir "$KSINK_STACK_DIR" || return 1
		sleep "$secs"
		"$ROOT/tests/stack.sh" start kafka --dir "$KSINK_STACK_DIR" >/dev/null || return 1
	else
		# the mock keeps its log in memory: its brokers go down (connections
		# closed, new ones refused) and come back, the nearest it has to a restart
		mock_ctl broker-down -1 >/dev/null || return 1
		sleep "$secs"
		mock_ctl broker-up -1 >/dev/null || return 1
	fi
}

mock_ctl() {
	"$BUILD/ksink-mock-kafka" --ctl "${MOCKCTL:-${KSINK_KAFKA_CONTROL:-}}" "$@"
}

w_props() {
	local f=$1; shift
	PORT=$(w_free_port)
	{
		echo "bootstrap.servers=$BS"
		echo "listeners=http://127.0.0.1:$PORT"
		echo "key.converter=org.apache.kafka.connect.storage.StringConverter"
		echo "value.converter=org.apache.kafka.connect.storage.StringConverter"
		echo "consumer.session.timeout.ms=6000"
		echo "consumer.heartbeat.interval.ms=500"
		echo "consumer.topic.metadata.refresh.interval.ms=1000"
		echo "config.storage.file=$W/connectors.json"
		for kv in "$@"; do echo "$kv"; done
	} >"$f"
	URL=http://127.0.0.1:$PORT
}

w_healthy() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/health")" = 200 ]; }

w_start() {
	local try
	for try in 1 2 3; do
		"$KSINK" standalone "$@" >>"$W/ksink.log" 2>&1 &
		KPID=$!
		wait_for 15 w_healthy && return 0
		# the port was taken meanwhile: pick another one and try again
		if ! w_running "$KPID" && tail -2 "$W/ksink.log" | grep -q "cannot listen"; then
			wait "$KPID" 2>/dev/null
			KPID=""
			PORT=$(w_free_port)
			sed -i "s|^listeners=http://\([^:]*\):[0-9]*|listeners=http://\1:$PORT|" "$1"
			URL=http://127.0.0.1:$PORT
			continue
		fi
		return 1
	done
	return 1
}

w_running() { # pid alive and not a zombie
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[[ $st != Z* ]]
}

# w_stop [SIGNAL] [SECS]: signal the worker, wait at most SECS (default 30)
# for it to end (else kill -9 and KRC=timeout), reap it, KRC = exit status.
w_stop() {
	local sig=${1:-TERM} secs=${2:-30} deadline
	KRC=""
	[ -z "$KPID" ] && return 0
	kill -"$sig" "$KPID" 2>/dev/null
	deadline=$((SECONDS + secs))
	while w_running "$KPID" && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
	if w_running "$KPID"; then
		kill -9 "$KPID" 2>/dev/null
		wait "$KPID" 2>/dev/null
		KRC=timeout
	else
		wait "$KPID"
		KRC=$?
	fi
	KPID=""
}

api() {
	local m=$1 p=$2 d=${3:-} out
	if [ -n "$d" ]; then
		out=$(curl -s -X "$m" -H 'Content-Type: application/json' --data-binary "$d" \
			-w '\n%{http_code}' "$URL$p")
	else
		out=$(curl -s -X "$m" -w '\n%{http_code}' "$URL$p")
	fi
	CODE=${out##*$'\n'}
	BODY=${out%$'\n'*}
	[ "$BODY" = "$CODE" ] && BODY=""
	return 0
}

# jq test on $BODY: check_jq NAME FILTER (FILTER must yield true)
check_jq() {
	local r
	r=$(printf '%s' "$BODY" | jq -e "$2" 2>&1)
	if [ "$r" = true ]; then ok "$1"; else not_ok "$1" "jq '$2' on: ${BODY:0:300}"; fi
}

produce() { kcat -P -b "$BS" -t "$1" -K: 2>/dev/null; }

memsink() {
	local name=$1 topics=$2; shift 2
	local cfg
	cfg=$(jq -nc --arg n "$name" --arg t "$topics" --arg f "$W/$name.out" \
		'{"connector.class":"io.ksink.test.MemorySink","tasks.max":"1","file":$f} +
		 (if ($t|startswith("re:")) then {"topics.regex":($t|ltrimstr("re:"))} else {"topics":$t} end)')
	for kv in "$@"; do
		cfg=$(jq -c --arg k "${kv%%=*}" --arg v "${kv#*=}" '. + {($k):$v}' <<<"$cfg")
	done
	jq -nc --arg n "$name" --argjson c "$cfg" '{"name":$n,"config":$c}'
}

# lines in the memory sink's file for connector NAME
sink_count() { [ -f "$W/$1.out" ] && wc -l <"$W/$1.out" || echo 0; }
sink_has() { [ "$(sink_count "$1")" -ge "$2" ]; }
task_state() { curl -s "$URL/connectors/$1/status" | jq -r ".tasks[$2].state"; }
conn_state() { curl -s "$URL/connectors/$1/status" | jq -r ".connector.state"; }
all_tasks() { # NAME STATE N: N tasks, all in STATE
	local s
	s=$(curl -s "$URL/connectors/$1/status")
	[ "$(jq -r "[.tasks[] | select(.state == \"$2\")] | length" <<<"$s")" = "$3" ]
}

# start_ok NAME ARGS...: w_start in this shell (check would run it in a subshell)
start_ok() {
	local name=$1; shift
	if w_start "$@"; then ok "$name"; else not_ok "$name" "$(tail -3 "$W/ksink.log" | tr '\n' ' ')"; return 1; fi
}
