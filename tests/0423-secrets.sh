#!/usr/bin/env bash
# 0423-secrets.sh — passwords stay secret, end to end, against a Postgres of
# its own that demands a password over TCP (scram):
#   - a JDBC connector whose connection.password is ${file:...:pg.password}
#     (FileConfigProvider) writes its records, while GET .../config shows the
#     placeholder, as Connect does, and no REST answer nor the config store
#     holds the secret;
#   - a connector with a literal password (and an sslpassword in its URL)
#     works too, and the log shows both masked;
#   - a wrong password fails to connect without the password in log or status;
#   - validate shows PASSWORD values as [hidden]; a 400 that quotes the config
#     masks them.
# Finally no secret appears anywhere in the worker's log. ASan build when
# present.
source "$(dirname "$0")/lib/worker_test.sh"
w_asan
SECRET="pg-Secr3t-0423-$$"
SSLSECRET="ssl-Secr3t-0423-$$"
WRONG="wr0ng-Secr3t-0423-$$"

# our own Postgres: TCP logins need $SECRET
PGD=$(mktemp -d /tmp/ksink-0423-pg.XXXXXX)
chmod 755 "$PGD"
cleanup() {
	w_cleanup
	"$ROOT/tests/stack.sh" down --dir "$PGD" >/dev/null 2>&1
	rm -rf "$PGD"
}
trap cleanup EXIT
if KSINK_PG_PASSWORD=$SECRET "$ROOT/tests/stack.sh" up --dir "$PGD" --only pg >"$PGD/env.out" 2>"$PGD/up.log"; then
	ok "own Postgres with scram"
else
	not_ok "own Postgres with scram" "$(tail -3 "$PGD/up.log")"
	finish
fi
PGP=$(cat "$PGD/pg.port")
JDBC="jdbc:postgresql://127.0.0.1:$PGP/postgres"
q() { PGPASSWORD=$SECRET psql -h 127.0.0.1 -p "$PGP" -U postgres -d postgres -tAXq -c "$1" 2>/dev/null; }
check "TCP login needs the password" bash -c "! PGPASSWORD=nope psql -h 127.0.0.1 -p $PGP -U postgres -d postgres -tAXc 'SELECT 1' >/dev/null 2>&1"
check_eq "TCP login with the password" "$(q 'SELECT 1')" 1

w_mock
printf 'pg.password=%s\n' "$SECRET" >"$W/secrets.properties"
w_props "$W/w.properties" \
	"config.providers=file" \
	"config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider" \
	"value.converter=org.apache.kafka.connect.json.JsonConverter" \
	"value.converter.schemas.enable=true"
start_ok "worker starts" "$W/w.properties" || finish

REF="\${file:$W/secrets.properties:pg.password}"
# jdbc NAME TOPIC PASSWORD [URL-SUFFIX]: a JdbcSinkConnector body
jdbc() {
	jq -nc --arg n "$1" --arg t "$2" --arg pw "$3" --arg url "$JDBC${4:-}" '{name:$n, config:{
		"connector.class":"io.confluent.connect.jdbc.JdbcSinkConnector", "tasks.max":"1",
		"topics":$t, "connection.url":$url, "connection.user":"postgres",
		"connection.password":$pw, "auto.create":"true", "insert.mode":"insert",
		"connection.attempts":"1", "connection.backoff.ms":"100",
		"table.name.format":"secret_${topic}"}}'
}
rec() { # ID NOTE -> a key:value line with a JsonConverter envelope
	printf 'k%s:{"schema":{"type":"struct","optional":false,"fields":[{"field":"id","type":"int32"},{"field":"note","type":"string"}]},"payload":{"id":%s,"note":"%s"}}\n' "$1" "$1" "$2"
}
rows() { [ "$(q "SELECT count(*) FROM $1")" = "$2" ]; }

# --- password through the file config provider ---
api POST /connectors "$(jdbc viafile s1 "$REF")"
check_eq "connector with \${file:...} password: 201" "$CODE" 201
check "POST answer has no secret" bash -c "! grep -qF -- '$SECRET' <<<\"\$1\"" _ "$BODY"
{ rec 1 a; rec 2 b; rec 3 c; } | produce s1
check "records written with the provided password" wait_for 60 rows secret_s1 3
check_eq "rows as produced" "$(q "SELECT string_agg(id || note, ',' ORDER BY id) FROM secret_s1")" "1a,2b,3c"
api GET /connectors/viafile/config
check_jq "GET config shows the placeholder, as Connect" ".[\"connection.password\"]==\"$REF\""
for p in /connectors/viafile /connectors/viafile/config /connectors/viafile/status \
	/connectors/viafile/tasks /connectors/viafile/tasks-config "/connectors?expand=info&expand=status"; do
	api GET "$p"
	check "GET $p: no secret" bash -c "[ -n \"\$1\" ] && ! grep -qF -- '$SECRET' <<<\"\$1\"" _ "$BODY"
done
check "config store: no secret" bash -c "grep -qF 'secrets.properties' '$W/connectors.json' && ! grep -qF -- '$SECRET' '$W/connectors.json'"

# --- a literal password, and an sslpassword in the URL ---
api POST /connectors "$(jdbc literal s2 "$SECRET" "?sslpassword=$SSLSECRET&ApplicationName=k0423")"
check_eq "connector with a literal password: 201" "$CODE" 201
rec 7 z | produce s2
check "literal password works" wait_for 60 rows secret_s2 1
line=$(grep 'literal-0\] connected to' "$W/ksink.log" | head -1)
check "the log shows the connection, password masked" grep -q ' password=\*\*\*\*\*\*\*\*' <<<"$line"
check "the log shows the connection, sslpassword masked" grep -q ' sslpassword=\*\*\*\*\*\*\*\*' <<<"$line"

# --- a wrong password ---
api POST /connectors "$(jdbc wrongpw s3 "$WRONG")"
check_eq "connector with a wrong password: 201" "$CODE" 201
rec 9 w | produce s3
check "the wrong password is refused by Postgres" wait_for 60 grep -q 'password authentication failed' "$W/ksink.log"
api GET /connectors/wrongpw/status
check "status has no password" bash -c "! grep -qF -- '$WRONG' <<<\"\$1\"" _ "$BODY"

# --- validate and error messages ---
api PUT /connector-plugins/JdbcSinkConnector/config/validate "$(jdbc v s9 "$SECRET" | jq -c .config)"
check_eq "validate: 200" "$CODE" 200
check_jq "validate: connection.password is [hidden]" \
	'any(.configs[]; .value.name=="connection.password" and .value.value=="[hidden]")'
check "validate: no secret in the answer" bash -c "! grep -qF -- '$SECRET' <<<\"\$1\"" _ "$BODY"
api PUT /connector-plugins/JdbcSinkConnector/config/validate \
	"$(jdbc v s9 "$SECRET" | jq -c '.config + {"connection.attempts":"x"}')"
check_jq "validate with an error: still [hidden]" \
	'.error_count>0 and any(.configs[]; .value.name=="connection.password" and .value.value=="[hidden]")'
api POST /connectors "$(jdbc noclass s9 "$SECRET" | jq -c 'del(.config["connector.class"]) | .config["basic.auth.user.info"]="u:'"$SECRET"'"')"
check_eq "no connector.class: 400" "$CODE" 400
check_jq "400 quotes the config with secrets [hidden]" '.message|test("contains no connector type") and test("\\[hidden\\]")'
check "400 has no secret" bash -c "! grep -qF -- '$SECRET' <<<\"\$1\"" _ "$BODY"
api POST /connectors "$(jdbc badurl s9 "$SECRET" | jq -c '.config["connection.url"]="jdbc:mysql://h/db?password='"$SECRET"'"')"
check_eq "bad URL with a password in it: 400" "$CODE" 400
check "bad URL: no secret in the 400" bash -c "! grep -qF -- '$SECRET' <<<\"\$1\"" _ "$BODY"

w_stop
check_eq "worker exits 0" "$KRC" 0
for s in "$SECRET" "$SSLSECRET" "$WRONG"; do
	check "log: no $s" bash -c "! grep -qF -- '$s' '$W/ksink.log'"
done
check "no sanitizer report" bash -c "! grep -qE 'ERROR: AddressSanitizer|LeakSanitizer|runtime error:' '$W/ksink.log'"
finish
