#!/usr/bin/env bash
# 0560-distributed_rest.sh — the REST API of a 3-worker distributed cluster
# (issue 14): a connector created on one worker is seen on the others; a
# follower forwards a PUT of its config to the leader; pause on one worker
# is seen on all; two creates of one name at the same moment on two workers
# give exactly one 201 and one 409 "already exists" (three times, on three
# pairs of workers); GET / on each; /admin/loggers acts on the worker asked;
# the status names the worker of each task
# and a tasks.max=3 connector spreads over >= 2 workers. Then every worker
# is killed with kill -9 and one is started alone: every connector, its
# config and its target state (RUNNING, PAUSED, STOPPED) come back from the
# config topic, and the lone worker takes over every task.
# MemorySink connectors: no Postgres needed.
# kafka-tiers: real (distributed mode: tests/run.sh runs it on the real broker only)
source "$(dirname "$0")/lib/worker_test.sh" --test-sink
source "$(dirname "$0")/lib/cluster.sh"
c_init

T=t0560_$$
w_kafka "$T:6"
c_start_all_ok "3 workers healthy" 3
check "all healthy" wait_for 60 c_all_healthy 1 2 3; [ "$KS_FAILED" = 0 ] || finish

for i in 1 2 3; do
	api_on "$i" GET /
	check_eq "GET / on worker $i" "$CODE" 200
	check_jq "GET / on worker $i: a version" '.version | type == "string"'
done

# a worker-specific endpoint acts on the worker asked
api_on 2 PUT /admin/loggers/task '{"level":"DEBUG"}'
check_eq "PUT /admin/loggers/task on worker 2" "$CODE" 200
api_on 2 GET /admin/loggers/task
check_jq "worker 2's task logger is DEBUG" '.level == "DEBUG"'
for i in 1 3; do
	api_on "$i" GET /admin/loggers/task
	check_jq "worker $i's task logger is not DEBUG" '.level != "DEBUG"'
done
api_on 2 PUT /admin/loggers/task '{"level":"INFO"}'

# created on worker 1, visible everywhere
api_on_retry 1 POST /connectors "$(memsink m1 "$T" tasks.max=3)"
check_eq "m1 created on worker 1" "$CODE" 201
has_m1() { api_on "$1" GET /connectors/m1 && [ "$CODE" = 200 ] && [ "$(jq -r .config.topics <<<"$BODY")" = "$T" ]; }
for i in 2 3; do check "m1 visible on worker $i" wait_for 20 has_m1 "$i"; done
api_on 3 GET /connectors
check_jq "GET /connectors on worker 3 lists m1" 'any(.[]; . == "m1")'

# the status names the worker of each task; 3 tasks over >= 2 workers
check "m1: 3 tasks RUNNING (seen from worker 2)" wait_for 60 c_tasks_in 2 m1 RUNNING 3
ids=$(c_task_ids 2 m1)
echo "# m1 tasks on: $(echo $ids)"
known=0
for id in $ids; do [ -n "$(c_index "$id")" ] && known=$((known + 1)); done
check_eq "every task's worker_id is a worker's host:port" "$known" 3
api_on 2 GET /connectors/m1/status
check_jq "the connector's worker_id is a worker's host:port" \
	".connector.worker_id as \$w | [\"$(c_id 1)\", \"$(c_id 2)\", \"$(c_id 3)\"] | any(.[]; . == \$w)"
# the tasks spread once the three workers are in the group
spread() { [ "$(c_task_ids 2 m1 | sort -u | wc -l)" -ge 2 ] && c_tasks_in 2 m1 RUNNING 3; }
check "tasks.max=3: tasks RUNNING on >= 2 workers" wait_for 30 spread
ids=$(c_task_ids 2 m1)
echo "# m1: tasks on $(sort -u <<<"$ids" | wc -l) distinct workers: $(echo $ids)"
same_view() { # every worker answers the same task placement
	local a b c
	a=$(c_task_ids 1 m1 | tr '\n' ' ') b=$(c_task_ids 2 m1 | tr '\n' ' ') c=$(c_task_ids 3 m1 | tr '\n' ' ')
	[ -n "$a" ] && [ "$a" = "$b" ] && [ "$b" = "$c" ]
}
check "the three workers show the same task placement" wait_for 20 same_view

# a follower forwards a PUT of the config
if c_leader_settled 60; then ok "one leader, named by every worker for 3 s"; else
	not_ok "one leader, named by every worker for 3 s" "self-declared: $(c_leader), views: $(for i in 1 2 3; do printf '%s ' "$(c_leader_view "$i")"; done)"
fi
L=${C_LEADER:-1}
F=$((L % 3 + 1))
echo "# leader: worker $L ($(c_id "$L")); PUT config on follower $F"
api_on "$F" PUT /connectors/m1/config "$(memsink m1 "$T" tasks.max=2 | jq -c .config)"
check_eq "PUT /connectors/m1/config on follower $F" "$CODE" 200
tasks2() { api_on "$1" GET /connectors/m1/config && [ "$(jq -r '."tasks.max"' <<<"$BODY")" = 2 ]; }
for i in 1 2 3; do check "the new config (tasks.max=2) on worker $i" wait_for 20 tasks2 "$i"; done
check "m1: 2 tasks RUNNING after the PUT" wait_for 60 c_tasks_in 3 m1 RUNNING 2

# pause on one worker, seen on all; resume on another
api_on 3 PUT /connectors/m1/pause
check_eq "pause on worker 3" "$CODE" 202
paused_on() { [ "$(c_status "$1" m1 | jq -r '.connector.state')" = PAUSED ] && c_tasks_in "$1" m1 PAUSED 2; }
for i in 1 2 3; do check "m1 PAUSED (connector and tasks) on worker $i" wait_for 30 paused_on "$i"; done
api_on 1 PUT /connectors/m1/resume
check_eq "resume on worker 1" "$CODE" 202
for i in 1 2 3; do check "m1 RUNNING again on worker $i" wait_for 30 c_tasks_in "$i" m1 RUNNING 2; done

# the same name created at the same moment on two workers: one 201, one 409
race() { # NAME A B
	local n=$1 a=$2 b=$3 ra rb ca cb winner cfg pa pb
	ra=$W/race-$n-a rb=$W/race-$n-b
	curl -s -o "$ra" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data-binary "$(memsink "$n" "$T" tasks.max=1)" "$(c_url "$a")/connectors" >"$ra.code" &
	pa=$!
	curl -s -o "$rb" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data-binary "$(memsink "$n" "$T" tasks.max=2)" "$(c_url "$b")/connectors" >"$rb.code" &
	pb=$!
	wait "$pa" "$pb" # not the workers, which are children too
	ca=$(cat "$ra.code") cb=$(cat "$rb.code")
	echo "# race $n: worker $a answered $ca, worker $b answered $cb"
	check_eq "race $n: one 201 and one 409" "$(printf '%s\n' "$ca" "$cb" | sort | tr '\n' ' ')" "201 409 "
	if [ "$ca" = 409 ]; then BODY=$(cat "$ra"); winner=2; else BODY=$(cat "$rb"); winner=1; fi
	check_jq "race $n: the 409 says \"Connector $n already exists\"" \
		"(.message | contains(\"Connector $n already exists\")) and .error_code == 409"
	# the config stored is the winner's (tasks.max 1 from worker a, 2 from b)
	cfg_is() { api_on "$1" GET "/connectors/$n/config" && [ "$(jq -r '."tasks.max"' <<<"$BODY")" = "$winner" ]; }
	for cfg in 1 2 3; do check "race $n: worker $cfg has the winner's config" wait_for 20 cfg_is "$cfg"; done
}
race dup1 1 2
race dup2 2 3
race dup3 3 1

# target states to come back: dup1 STOPPED, dup2 PAUSED, m1 and dup3 RUNNING
api_on 2 PUT /connectors/dup1/stop
check_eq "stop dup1 on worker 2 (204 as Connect)" "$CODE" 204
api_on 1 PUT /connectors/dup2/pause
check_eq "pause dup2 on worker 1" "$CODE" 202
state_on() { [ "$(c_status "$1" "$2" | jq -r '.connector.state')" = "$3" ]; }
check "dup1 STOPPED on worker 3" wait_for 30 state_on 3 dup1 STOPPED
check "dup2 PAUSED on worker 3" wait_for 30 state_on 3 dup2 PAUSED

# every worker killed; one started alone
for i in 1 2 3; do c_kill "$i"; done
c_start_ok "worker 2 alone starts again" 2
api_on 2 GET /connectors
check_eq "after kill -9 of all: GET /connectors" "$(jq -c 'sort' <<<"$BODY")" '["dup1","dup2","dup3","m1"]'
api_on 2 GET /connectors/m1/config
check_jq "m1's config came back (tasks.max=2, topics)" ".\"tasks.max\" == \"2\" and .topics == \"$T\""
check "m1 RUNNING, 2 tasks on worker 2" wait_for 60 c_tasks_off 2 m1 RUNNING 2 1
lone() { [ "$(c_task_ids 2 m1 | sort -u)" = "$(c_id 2)" ]; }
check "m1's tasks are all on the lone worker 2" wait_for 30 lone
check "dup1 STOPPED after the restart" wait_for 30 state_on 2 dup1 STOPPED
check "dup2 PAUSED after the restart" wait_for 30 state_on 2 dup2 PAUSED
check "dup3 RUNNING after the restart" wait_for 30 state_on 2 dup3 RUNNING
c_stop 2
check_eq "worker 2: clean exit on SIGTERM" "$KRC" 0
finish
