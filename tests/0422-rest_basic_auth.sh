#!/usr/bin/env bash
# 0422-rest_basic_auth.sh — HTTP basic authentication as Connect's
# BasicAuthSecurityRestExtension: rest.extension.classes plus a JAAS file
# found through -Djava.security.auth.login.config in KAFKA_OPTS (as Connect
# users set it) or through rest.basic.auth.jaas.config.file; credentials in
# `user: password` lines. Without valid credentials every path (also /health
# and /metrics, as in Connect) answers 401 with WWW-Authenticate and a JSON
# error; the passwords never reach the log. Bad set-ups stop the start.
# Runs the ASan build when present.
# needs: none (starts its own mock cluster: tests/run.sh starts no stack for it)
source "$(dirname "$0")/lib/worker_test.sh" --test-sink
w_asan
w_mock
EXT=org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension
MOD=org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule
ADMINPW='s3cr3t-Adm1n:with:colons'
OPSPW='0ps pass'
printf '# users\nadmin: %s\nops = %s\n' "$ADMINPW" "$OPSPW" >"$W/creds.properties"
cat >"$W/jaas.conf" <<EOF
/* the JAAS file as a Connect user writes it */
KafkaClient { org.apache.kafka.common.security.plain.PlainLoginModule required username="x" password="y"; };
KafkaConnect {
  // the only module ksink knows
  $MOD required
  file="$W/creds.properties";
};
EOF

# code USER:PASS PATH [curl args]: the status of a GET (USER:PASS "" = none)
code() {
	local up=$1 p=$2
	shift 2
	if [ -n "$up" ]; then
		curl -s -o "$W/c.out" -D "$W/c.hdr" -w '%{http_code}' -u "$up" "$@" "$URL$p"
	else
		curl -s -o "$W/c.out" -D "$W/c.hdr" -w '%{http_code}' "$@" "$URL$p"
	fi
}
auth_healthy() { [ "$(code "admin:$ADMINPW" /health)" = 200 ]; }
# start FILE: in the background, healthy with credentials
start() {
	"$KSINK" standalone "$1" >>"$W/ksink.log" 2>&1 &
	KPID=$!
	wait_for 30 auth_healthy
}

# --- JAAS through KAFKA_OPTS ---
w_props "$W/w.properties" "rest.extension.classes=$EXT"
export KAFKA_OPTS="-Xmx512m -Djava.security.auth.login.config=$W/jaas.conf -Dfoo=bar"
if start "$W/w.properties"; then ok "worker starts (JAAS from KAFKA_OPTS)"; else not_ok "worker starts (JAAS from KAFKA_OPTS)" "$(tail -3 "$W/ksink.log")"; fi
unset KAFKA_OPTS
check_eq "no credentials: 401" "$(code "" /connectors)" 401
check "401: WWW-Authenticate: Basic" grep -qi '^WWW-Authenticate: Basic realm=' "$W/c.hdr"
check "401: JSON error body" jq -e '.error_code==401 and .message=="User cannot access the resource."' "$W/c.out"
check_eq "admin: 200" "$(code "admin:$ADMINPW" /connectors)" 200
check_eq "ops (key = value line, space in the password): 200" "$(code "ops:$OPSPW" /connectors)" 200
check_eq "wrong password: 401" "$(code "admin:s3cr3t-Adm1n" /connectors)" 401
check_eq "password with a suffix: 401" "$(code "admin:${ADMINPW}x" /connectors)" 401
check_eq "unknown user: 401" "$(code "root:$ADMINPW" /connectors)" 401
check_eq "empty user: 401" "$(code ":$ADMINPW" /connectors)" 401
check_eq "user name is case-sensitive: 401" "$(code "Admin:$ADMINPW" /connectors)" 401
check_eq "/health is protected: 401" "$(code "" /health)" 401
check_eq "/metrics is protected: 401" "$(code "" /metrics)" 401
check_eq "unknown path without credentials: 401" "$(code "" /nope)" 401
check_eq "unknown path with credentials: 404" "$(code "admin:$ADMINPW" /nope)" 404
check_eq "Bearer token: 401" "$(code "" /connectors -H 'Authorization: Bearer abc')" 401
check_eq "malformed base64: 401" "$(code "" /connectors -H 'Authorization: Basic @@@=')" 401
check_eq "base64 without a colon: 401" \
	"$(code "" /connectors -H "Authorization: Basic $(printf admin | base64)")" 401
check_eq "lower-case scheme accepted" \
	"$(code "" /connectors -H "Authorization: basic $(printf 'admin:%s' "$ADMINPW" | base64 -w0)")" 200
c=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data-binary "$(memsink authc at)" "$URL/connectors")
check_eq "POST without credentials: 401" "$c" 401
c=$(curl -s -o /dev/null -w '%{http_code}' -u "admin:$ADMINPW" -X POST \
	-H 'Content-Type: application/json' --data-binary "$(memsink authc at)" "$URL/connectors")
check_eq "POST with credentials: 201" "$c" 201
c=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$URL/connectors/authc")
check_eq "DELETE without credentials: 401" "$c" 401
check_eq "the connector is still there" "$(code "admin:$ADMINPW" /connectors/authc/config)" 200
head -c 2000000 /dev/zero >"$W/big"
c=$(curl -s -o "$W/c.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data-binary @"$W/big" "$URL/connectors")
check_eq "oversized body without credentials: 401 first" "$c" 401
w_stop
check_eq "exits 0" "$KRC" 0

# --- JAAS through rest.basic.auth.jaas.config.file (and over it KAFKA_OPTS) ---
w_props "$W/w2.properties" "rest.extension.classes=$EXT" \
	"rest.basic.auth.jaas.config.file=$W/jaas.conf"
export KAFKA_OPTS="-Djava.security.auth.login.config=$W/missing.conf"
if start "$W/w2.properties"; then ok "worker starts (rest.basic.auth.jaas.config.file wins)"; else not_ok "worker starts (rest.basic.auth.jaas.config.file)" "$(tail -3 "$W/ksink.log")"; fi
unset KAFKA_OPTS
check_eq "key file: no credentials: 401" "$(code "" /connectors)" 401
check_eq "key file: admin: 200" "$(code "admin:$ADMINPW" /connectors)" 200
w_stop
check_eq "key file: exits 0" "$KRC" 0

# --- refusals ---
refuses() { # NAME PATTERN PROPS-LINES...
	local name=$1 pat=$2 rc
	shift 2
	w_props "$W/bad.properties" "$@"
	timeout 30 "$KSINK" standalone "$W/bad.properties" >"$W/bad.log" 2>&1
	rc=$?
	cat "$W/bad.log" >>"$W/ksink.log"
	check_eq "refused: $name (exit 1)" "$rc" 1
	check "refused: $name: says '$pat'" grep -qE "$pat" "$W/bad.log"
}
refuses "no JAAS file anywhere" "needs a JAAS file" "rest.extension.classes=$EXT"
refuses "JAAS file missing" "cannot read" "rest.extension.classes=$EXT" \
	"rest.basic.auth.jaas.config.file=$W/nope.conf"
printf 'KafkaConnect {\n com.example.LdapLoginModule required;\n};\n' >"$W/ldap.conf"
refuses "another login module" "LdapLoginModule is not supported" \
	"rest.extension.classes=$EXT" "rest.basic.auth.jaas.config.file=$W/ldap.conf"
printf 'KafkaConnect {\n %s required;\n};\n' "$MOD" >"$W/nofile.conf"
refuses "no file option" 'needs file=' "rest.extension.classes=$EXT" \
	"rest.basic.auth.jaas.config.file=$W/nofile.conf"
printf 'KafkaConnect {\n %s required file="%s"\n' "$MOD" "$W/creds.properties" >"$W/broken.conf"
refuses "JAAS syntax error" "JAAS configuration: line" "rest.extension.classes=$EXT" \
	"rest.basic.auth.jaas.config.file=$W/broken.conf"
printf '# nobody\n' >"$W/empty.properties"
printf 'KafkaConnect {\n %s required file="%s";\n};\n' "$MOD" "$W/empty.properties" >"$W/empty.conf"
refuses "empty credentials file (Connect would let everyone in)" "no users" \
	"rest.extension.classes=$EXT" "rest.basic.auth.jaas.config.file=$W/empty.conf"
refuses "unknown REST extension" "com.example.OtherExtension is not supported" \
	"rest.extension.classes=com.example.OtherExtension"

# --- secrets and sanitizers ---
check "admin password not in the log" bash -c "! grep -qF -- '$ADMINPW' '$W/ksink.log'"
check "ops password not in the log" bash -c "! grep -qF -- '$OPSPW' '$W/ksink.log'"
b64=$(printf 'admin:%s' "$ADMINPW" | base64 -w0)
check "Authorization header not in the log" bash -c "! grep -qF -- '$b64' '$W/ksink.log'"
check "no sanitizer report" bash -c "! grep -qE 'ERROR: AddressSanitizer|LeakSanitizer|runtime error:' '$W/ksink.log'"
finish
