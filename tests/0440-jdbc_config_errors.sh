#!/usr/bin/env bash
# 0440-jdbc_config_errors.sh — a JDBC sink whose login cannot work is a
# configuration error, not an outage: the task goes FAILED with the reason
# (no endless RUNNING-and-retrying), and a restart after the config is fixed
# writes every record:
#   - an unknown role (28000), on the stack's Postgres: FAILED, then PUT config
#     with the right user: RUNNING, records written;
#   - an unknown database (3D000): FAILED; the database created, POST restart:
#     RUNNING, records written;
#   - a wrong password (28P01), on a Postgres of our own that demands one
#     (scram): FAILED, without the password in the trace;
#   - Postgres merely down (nothing listens): the task stays RUNNING and
#     retries (an outage is waited out, as 0520 and 0525 check at length).
source "$(dirname "$0")/lib/worker_test.sh"
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }
T=t0440_$$
DB=ksink0440_$$
WRONG="wr0ng-0440-$$"
PGD=$(mktemp -d /tmp/ksink-0440-pg.XXXXXX)
chmod 755 "$PGD"
cleanup() {
	w_cleanup
	"$ROOT/tests/stack.sh" down --dir "$PGD" >/dev/null 2>&1
	rm -rf "$PGD"
	psql_q "DROP DATABASE IF EXISTS \"$DB\"" >/dev/null 2>&1
}
trap cleanup EXIT

w_mock "$T:2"
f_init
psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
start_ok "worker starts" "$W/w.properties" || finish

trace() { curl -s "$URL/connectors/$1/status" | jq -r '.tasks[0].trace // ""'; }
failed_with() { [ "$(task_state "$1" 0)" = FAILED ] && trace "$1" | grep -q "$2"; }

# --- an unknown role ---
f_produce "$T" 1 100
check_eq "100 records produced" "$?" 0
api POST /connectors "$(f_jdbc badrole "$T" connection.user=nosuchrole_0440)"
check_eq "connector with an unknown role: 201" "$CODE" 201
check "unknown role: task FAILED with the reason" wait_for 30 failed_with badrole 'role "nosuchrole_0440" does not exist'
echo "# trace: $(trace badrole | head -c 240)"
check "the connector itself stays RUNNING (as Connect)" test "$(conn_state badrole)" = RUNNING
cfg=$(f_jdbc badrole "$T" | jq -c .config)
api PUT /connectors/badrole/config "$cfg"
check_eq "PUT the fixed config: 200" "$CODE" 200
check "fixed config: task RUNNING" wait_for 30 all_tasks badrole RUNNING 1
check "fixed config: the 100 records written" wait_for 60 f_has_rows "$T" 100
f_exactly "$T" 100
api DELETE /connectors/badrole
psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null

# --- an unknown database ---
url="jdbc:postgresql://127.0.0.1:$KSINK_PG_PORT/$DB"
api POST /connectors "$(f_jdbc baddb "$T" connection.url="$url")"
check_eq "connector with an unknown database: 201" "$CODE" 201
check "unknown database: task FAILED with the reason" wait_for 30 failed_with baddb "database \"$DB\" does not exist"
echo "# trace: $(trace baddb | head -c 240)"
psql_q "CREATE DATABASE \"$DB\"" >/dev/null
api POST "/connectors/baddb/restart?includeTasks=true&onlyFailed=true"
check "POST restart: accepted" test "$CODE" = 202 -o "$CODE" = 204
check "database created, restarted: task RUNNING" wait_for 30 all_tasks baddb RUNNING 1
indb() { psql "host=127.0.0.1 port=$KSINK_PG_PORT user=postgres dbname=$DB" -tAXc "SELECT count(*) FROM \"$T\"" 2>/dev/null; }
has100() { [ "$(indb)" = 100 ]; }
check "the 100 records written to the new database" wait_for 60 has100
api DELETE /connectors/baddb

# --- Postgres down (nothing listens): an outage, RUNNING and retrying ---
dead=$(w_free_port)
api POST /connectors "$(f_jdbc down "$T" connection.url="jdbc:postgresql://127.0.0.1:$dead/postgres")"
check_eq "connector to a Postgres that is down: 201" "$CODE" 201
retrying() { [ "$(task_state down 0)" = RUNNING ] && trace down | grep -q 'could not connect'; }
check "Postgres down: RUNNING with the retry message" wait_for 30 retrying
# a refused connection is retried: many attempts later the task still runs
attempts() { grep -c 'down-0\].*could not connect' "$W/ksink.log"; }
many() { [ "$(attempts)" -ge 8 ]; }
check "Postgres down: connection attempts go on" wait_for 60 many
echo "# connection attempts so far: $(attempts)"
check "Postgres down: still RUNNING after retries" retrying
api DELETE /connectors/down

# --- a wrong password, on our own Postgres that demands one ---
SECRET="pg-0440-$$"
if KSINK_PG_PASSWORD=$SECRET "$ROOT/tests/stack.sh" up --dir "$PGD" --only pg >"$PGD/env.out" 2>"$PGD/up.log"; then
	ok "own Postgres with scram"
else
	not_ok "own Postgres with scram" "$(tail -3 "$PGD/up.log")"
	finish
fi
PGP=$(cat "$PGD/pg.port")
api POST /connectors "$(f_jdbc badpw "$T" connection.url="jdbc:postgresql://127.0.0.1:$PGP/postgres" \
	connection.password="$WRONG")"
check_eq "connector with a wrong password: 201" "$CODE" 201
check "wrong password: task FAILED with the reason" wait_for 30 failed_with badpw 'password authentication failed'
check "the trace has no password" bash -c "! grep -qF -- '$WRONG' <<<\"\$1\"" _ "$(trace badpw)"
cfg=$(f_jdbc badpw "$T" connection.url="jdbc:postgresql://127.0.0.1:$PGP/postgres" \
	connection.password="$SECRET" | jq -c .config)
api PUT /connectors/badpw/config "$cfg"
check_eq "PUT the right password: 200" "$CODE" 200
check "right password: task RUNNING" wait_for 30 all_tasks badpw RUNNING 1
own() { PGPASSWORD=$SECRET psql -h 127.0.0.1 -p "$PGP" -U postgres -d postgres -tAXc "SELECT count(*) FROM \"$T\"" 2>/dev/null; }
own100() { [ "$(own)" = 100 ]; }
check "right password: the 100 records written" wait_for 60 own100
w_stop
check_eq "clean exit" "$KRC" 0
[ "$KS_FAILED" = 0 ] && psql_q "DROP TABLE IF EXISTS \"$T\"" >/dev/null
finish
