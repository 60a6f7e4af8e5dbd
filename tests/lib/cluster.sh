# tests/lib/cluster.sh — helpers for the distributed-mode tests (0560-0569),
# sourced after worker_test.sh. They start N `ksink distributed` workers on
# the stack's real broker ($KSINK_BOOTSTRAP, through w_kafka), numbered 1..N,
# each on its own port with its own log ($W/cI.log) and properties
# ($W/cI.properties). Every test gets its own group.id and its own config,
# status and offset topics (c_init), so tests never share cluster state.
# The EXIT trap stops every worker the test started (SIGCONT first, for a
# frozen one) and, when a check failed, copies the workers' logs next to the
# runner's log of the test.
#
#   c_init                      unique $C_GROUP (and its topics), EXIT trap
#   c_props I [k=v ...]         $W/cI.properties: a distributed worker on a free
#                               port, advertised as 127.0.0.1:PORT; k=v lines
#                               are added to (and so override) the defaults
#   c_start I                   start worker I (c_props first), wait until its
#                               /health is 200; 1 when it does not come up
#   c_start_all N [k=v ...]     c_props + start of workers 1..N: worker 1 first
#                               (it creates the topics), then the others at once
#   c_start_together N [k=v ...]  the same, all N at once on missing topics
#   c_start_ok NAME I / c_start_all_ok NAME N [k=v ...]  the same as checks
#                               (`check` would run them in a subshell, which
#                               loses the pids and ports)
#   c_stop I [SIGNAL] [SECS]    signal it (TERM), wait SECS (30) for its end,
#                               then kill -9; $KRC = exit status or "timeout"
#   c_kill I                    kill -9 and reap
#   c_freeze I / c_thaw I       SIGSTOP / SIGCONT
#   c_alive I                   its process runs (a frozen one counts)
#   c_healthy I                 GET /health answers 200
#   c_all_healthy I...          every worker named is healthy
#   c_url I / c_id I            http://127.0.0.1:PORT / its worker id 127.0.0.1:PORT
#   c_index ID                  the I of worker id ID (empty if none)
#   api_on I METHOD PATH [JSON] the REST client `api` on worker I: $CODE, $BODY
#   api_on_retry I METHOD PATH [JSON]  api_on, again every 0.2 s for 30 s
#                               while it answers Connect's transient 409
#                               ("Cannot complete request momentarily ...", "...
#                               no longer the leader": a worker is healthy
#                               before its group has formed, a rejoining worker
#                               moves the leadership; what a Connect client
#                               does); $C_RETRIED = s
#   c_status I NAME             GET /connectors/NAME/status on worker I
#   c_tasks_in I NAME STATE N   worker I sees N tasks of NAME, all in STATE
#   c_task_ids I NAME           the worker_id of each task of NAME, one a line
#   c_tasks_off I NAME STATE N DEAD  N tasks in STATE, none on worker DEAD
#   c_leader                    the I of the live worker that logged "became the
#                               leader" last, and not "no longer the leader" or
#                               "fenced as the leader" since (fails when none)
#   c_leader_view I             the I of the leader worker I last read of
#                               ("leader is ID" in its log)
#   c_leader_agreed             c_leader is named by every live worker's view
#   c_leader_settled SECS       c_leader_agreed on one worker for 3 s in a row;
#                               $C_LEADER (run it outside `check`)
#   c_metric I METRIC [CONN]    sum of a /metrics series on worker I (over the
#                               tasks of connector CONN when given)
#   c_produce TOPIC FROM TO     f_produce with records spread over every
#                               partition (no sticky partitioning of null keys,
#                               which puts a whole slice on one partition)
#   c_trickle TOPIC FROM TO STEP PAUSE  the same in slices (f_trickle)
#   c_no_task_failed            no worker logged "task failed"
#   c_group_settled NAME N      each of the N tasks of NAME was assigned
#                               partitions (in whichever worker's log)

C_GROUP=""
C_SESSION_MS=6000
C_N=0
declare -a C_PID C_PORT

c_init() {
	is_real || { not_ok "distributed mode runs on the real broker" \
		"KSINK_KAFKA_KIND=${KSINK_KAFKA_KIND:-mock} (this test is kafka-tiers: real)"; finish; }
	C_GROUP=ksink-$(basename "$W" | tr . -)-$$
	trap c_cleanup EXIT
}

c_cleanup() {
	local i deadline
	for i in "${!C_PID[@]}"; do
		[ -n "${C_PID[$i]}" ] || continue
		kill -CONT "${C_PID[$i]}" 2>/dev/null
		kill -TERM "${C_PID[$i]}" 2>/dev/null
	done
	deadline=$((SECONDS + 20))
	for i in "${!C_PID[@]}"; do
		[ -n "${C_PID[$i]}" ] || continue
		while w_running "${C_PID[$i]}" && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
		kill -9 "${C_PID[$i]}" 2>/dev/null
		wait "${C_PID[$i]}" 2>/dev/null
	done
	if [ "$KS_FAILED" -gt 0 ] && [ -n "${KSINK_TEST_OUT:-}" ]; then
		for i in "${!C_PORT[@]}"; do
			[ -f "$W/c$i.log" ] && cp "$W/c$i.log" "$KSINK_TEST_OUT/$(basename "$0" .sh)-c$i.log"
		done
	fi
	w_cleanup
}

c_props() {
	local i=$1 port kv j taken
	shift
	port=${C_PORT[$i]:-}
	while [ -z "$port" ]; do
		port=$(w_free_port) || return 1
		taken=0
		for j in "${!C_PORT[@]}"; do [ "${C_PORT[$j]}" = "$port" ] && taken=1; done
		[ "$taken" = 1 ] && port=""
	done
	C_PORT[$i]=$port
	[ "$i" -gt "$C_N" ] && C_N=$i
	{
		echo "bootstrap.servers=$BS"
		echo "listeners=http://127.0.0.1:$port"
		echo "rest.advertised.host.name=127.0.0.1"
		echo "rest.advertised.port=$port"
		echo "group.id=$C_GROUP"
		echo "config.storage.topic=$C_GROUP-configs"
		echo "offset.storage.topic=$C_GROUP-offsets"
		echo "status.storage.topic=$C_GROUP-status"
		echo "config.storage.replication.factor=1"
		echo "offset.storage.replication.factor=1"
		echo "status.storage.replication.factor=1"
		echo "session.timeout.ms=$C_SESSION_MS"
		echo "heartbeat.interval.ms=1000"
		echo "key.converter=org.apache.kafka.connect.storage.StringConverter"
		echo "value.converter=org.apache.kafka.connect.storage.StringConverter"
		echo "consumer.topic.metadata.refresh.interval.ms=1000"
		for kv in "$@"; do echo "$kv"; done
	} >"$W/c$i.properties"
}

c_url() { echo "http://127.0.0.1:${C_PORT[$1]}"; }
c_id() { echo "127.0.0.1:${C_PORT[$1]}"; }
c_index() {
	local i
	for i in "${!C_PORT[@]}"; do [ "127.0.0.1:${C_PORT[$i]}" = "$1" ] && echo "$i"; done
	return 0
}
c_alive() { [ -n "${C_PID[$1]:-}" ] && w_running "${C_PID[$1]}"; }
c_healthy() { [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$(c_url "$1")/health")" = 200 ]; }
c_all_healthy() {
	local i
	for i in "$@"; do c_healthy "$i" || return 1; done
}

# c_launch I: the process only (c_start waits for it)
c_launch() {
	echo "=== $(date -u +%FT%T) start" >>"$W/c$1.log"
	"$KSINK" distributed "$W/c$1.properties" >>"$W/c$1.log" 2>&1 &
	C_PID[$1]=$!
}

# c_up I: healthy within 60 s, and not dead meanwhile; C_WHY says why not
c_up_or_dead() { c_healthy "$1" || ! c_alive "$1"; }
c_up() {
	C_WHY=""
	wait_for 60 c_up_or_dead "$1" && c_healthy "$1" && return 0
	C_WHY="worker $1 did not become healthy ($(c_alive "$1" && echo running || echo exited)): $(tail -3 "$W/c$1.log" | tr '\n' ' ' | cut -c1-400)"
	echo "$C_WHY" >&2
	return 1
}

c_start() {
	local i=$1
	[ -f "$W/c$i.properties" ] || c_props "$i" || return 1
	c_launch "$i"
	c_up "$i"
}

# c_start_all N [k=v ...]: worker 1 first (it creates the topics), then the
# others at once; c_start_together N: all at once (0564 tries that alone)
c_start_all() {
	local n=$1 i
	shift
	c_props 1 "$@" || return 1
	c_launch 1
	c_up 1 || return 1
	for ((i = 2; i <= n; i++)); do
		c_props "$i" "$@" || return 1
		c_launch "$i"
	done
	for ((i = 2; i <= n; i++)); do c_up "$i" || return 1; done
}

c_start_together() {
	local n=$1 i
	shift
	for ((i = 1; i <= n; i++)); do
		c_props "$i" "$@" || return 1
		c_launch "$i"
	done
	for ((i = 1; i <= n; i++)); do c_up "$i" || return 1; done
}

c_start_ok() {
	if c_start "$2"; then ok "$1"; else not_ok "$1" "$C_WHY"; return 1; fi
}
c_start_all_ok() {
	local name=$1
	shift
	if c_start_all "$@"; then ok "$name"; else not_ok "$name" "$C_WHY"; return 1; fi
}

c_stop() {
	local i=$1 sig=${2:-TERM} secs=${3:-30} deadline pid=${C_PID[$1]:-}
	KRC=""
	[ -z "$pid" ] && return 0
	kill -CONT "$pid" 2>/dev/null
	kill -"$sig" "$pid" 2>/dev/null
	deadline=$((SECONDS + secs))
	while w_running "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
	if w_running "$pid"; then
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		KRC=timeout
	else
		wait "$pid"
		KRC=$?
	fi
	C_PID[$i]=""
}

c_kill() {
	local pid=${C_PID[$1]:-}
	[ -z "$pid" ] && return 0
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	C_PID[$1]=""
	echo "=== $(date -u +%FT%T) kill -9" >>"$W/c$1.log"
}

c_freeze() { kill -STOP "${C_PID[$1]}"; }
c_thaw() { kill -CONT "${C_PID[$1]}"; }

api_on() {
	local saved=$URL
	URL=$(c_url "$1")
	shift
	api "$@"
	URL=$saved
}

api_on_retry() {
	local t0=$SECONDS
	while :; do
		api_on "$@"
		[ "$CODE" = 409 ] && [[ $BODY == *momentarily* || $BODY == *"no known leader"* ||
			$BODY == *"no longer the leader"* ]] &&
			[ $SECONDS -lt $((t0 + 30)) ] || break
		sleep 0.2
	done
	C_RETRIED=$((SECONDS - t0))
	[ "$C_RETRIED" -gt 0 ] && echo "# $2 $3 on worker $1: a transient 409 for ${C_RETRIED} s before $CODE"
	return 0
}

c_status() { curl -s -m 5 "$(c_url "$1")/connectors/$2/status"; }
c_tasks_in() {
	local s
	s=$(c_status "$1" "$2")
	[ "$(jq -r "[.tasks[] | select(.state == \"$3\")] | length" <<<"$s")" = "$4" ] &&
		[ "$(jq -r '.tasks | length' <<<"$s")" = "$4" ]
}
c_task_ids() { c_status "$1" "$2" | jq -r '.tasks[].worker_id'; }
c_tasks_off() {
	local s dead
	dead=$(c_id "$5")
	s=$(c_status "$1" "$2")
	[ "$(jq -r --arg d "$dead" --arg st "$3" \
		'[.tasks[] | select(.state == $st and .worker_id != $d)] | length' <<<"$s")" = "$4" ] &&
		[ "$(jq -r '.tasks | length' <<<"$s")" = "$4" ]
}

c_leader() {
	local i ts line best="" who=""
	for i in "${!C_PORT[@]}"; do
		c_alive "$i" || continue
		# the last leadership line of the worker's current run
		line=$(awk '/^=== .* start$/ { l = "" }
			/became the leader|no longer the leader|fenced as the leader/ { l = $0 }
			END { print l }' "$W/c$i.log" 2>/dev/null)
		[[ $line == *"became the leader"* ]] || continue
		ts=${line%% *}
		if [ -z "$best" ] || [[ $ts > $best ]]; then best=$ts who=$i; fi
	done
	[ -n "$who" ] && echo "$who"
	[ -n "$who" ]
}

# c_leader_view I: the I of the leader worker I last read about ("leader is
# ID" in its current run's log)
c_leader_view() {
	local id
	id=$(awk '/^=== .* start$/ { l = "" } /\[cluster\] leader is / { l = $NF } END { print l }' \
		"$W/c$1.log" 2>/dev/null)
	[ -n "$id" ] && c_index "$id"
}

# c_leader_agreed: one live worker says it became the leader and every live
# worker's view names it
c_leader_agreed() {
	local l i
	l=$(c_leader) || return 1
	for i in "${!C_PORT[@]}"; do
		c_alive "$i" || continue
		[ "$(c_leader_view "$i")" = "$l" ] || return 1
	done
}

# c_leader_settled SECS: waits up to SECS until c_leader_agreed has named the
# same worker for 3 s in a row (the group's first rebalances are over); sets
# C_LEADER (empty when it never settled)
c_leader_settled() {
	local deadline=$((SECONDS + $1)) l since="" prev=""
	C_LEADER=""
	while [ $SECONDS -lt "$deadline" ]; do
		if c_leader_agreed && l=$(c_leader); then
			[ "$l" != "$prev" ] && since=$SECONDS prev=$l
			[ $((SECONDS - since)) -ge 3 ] && { C_LEADER=$l; return 0; }
		else
			prev="" since=""
		fi
		sleep 0.2
	done
	return 1
}

c_metric() {
	local c=""
	[ -n "${3:-}" ] && c="connector=\"$3\""
	curl -s -m 5 "$(c_url "$1")/metrics" | awk -v m="$2" -v c="$c" \
		'(index($0, m "{") == 1 || index($0, m " ") == 1) && (c == "" || index($0, c)) { s += $NF }
		 END { print s + 0 }'
}

c_no_task_failed() {
	local n
	n=$(cat "$W"/c*.log 2>/dev/null | grep -c 'task failed')
	if [ "$n" = 0 ]; then ok "no task failed on any worker"; else
		not_ok "no task failed on any worker" "$(cat "$W"/c*.log | grep -m1 'task failed' | cut -c1-300)"
	fi
}

c_group_settled() {
	local i
	for ((i = 0; i < $2; i++)); do
		cat "$W"/c*.log 2>/dev/null | grep -q "task|$1-$i\] assigned " || return 1
	done
}

c_produce() { f_produce "$1" "$2" "$3" -X sticky.partitioning.linger.ms=0; }
c_trickle() {
	local topic=$1 from=$2 to=$3 step=$4 pause=$5 a
	for ((a = from; a <= to; a += step)); do
		c_produce "$topic" "$a" $((a + step - 1 > to ? to : a + step - 1)) || return 1
		sleep "$pause"
	done
}
