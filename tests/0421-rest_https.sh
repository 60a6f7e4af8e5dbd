#!/usr/bin/env bash
# 0421-rest_https.sh — HTTPS REST listeners with Connect's keys, on
# certificates made here with openssl (a CA, a server certificate for
# 127.0.0.1/localhost, a client certificate from the CA and one from nowhere):
#   A. PEM key store (chain + key), an https and an http listener side by side;
#      plain HTTP to the TLS port fails; a client without the CA fails;
#   B. PKCS12 key store and trust store through listeners.https.ssl.* (the
#      unprefixed ssl.* keys, pointing nowhere, are ignored: all or nothing),
#      ssl.client.auth=required, ssl.enabled.protocols=TLSv1.3;
#   C. encrypted PEM key (ssl.key.password), ssl.client.auth=requested;
#   D. start-up refusals naming the key: wrong key password, a JKS file, no
#      key store, client auth without a trust store, unsupported store type.
# Passwords never reach the log. Runs the ASan build when present.
# needs: none (starts its own mock cluster: tests/run.sh starts no stack for it)
source "$(dirname "$0")/lib/worker_test.sh" --test-sink
w_asan
command -v openssl >/dev/null || { not_ok "openssl" "not installed (scripts/deps.sh)"; finish; }
w_mock
C=$W/certs
mkdir -p "$C"
KEYPW=k3y-pass-0421
STOREPW=st0re-pass-0421
TRUSTPW=tru5t-pass-0421

# --- certificates ---
gen() {
	set -e
	cd "$C"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key \
		-out ca.pem -days 2 -subj "/CN=ksink test CA"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout srv.key \
		-out srv.csr -subj "/CN=localhost"
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.cnf
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 \
		-extfile san.cnf
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout cli.key \
		-out cli.csr -subj "/CN=client"
	openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cli.pem -days 2
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout evil.key \
		-out evil.pem -days 2 -subj "/CN=client"
	cat srv.pem ca.pem srv.key >keystore.pem
	openssl pkcs12 -export -in srv.pem -inkey srv.key -certfile ca.pem -out keystore.p12 \
		-passout "pass:$STOREPW"
	openssl pkcs12 -export -nokeys -in ca.pem -out truststore.p12 -passout "pass:$TRUSTPW"
	openssl pkcs8 -topk8 -in srv.key -out srv-enc.key -passout "pass:$KEYPW" -v2 aes-256-cbc
	cat srv.pem srv-enc.key >keystore-enc.pem
	printf '\xfe\xed\xfe\xed\x00\x00\x00\x02\x00\x00\x00\x00' >keystore.jks
}
check "certificates generated" bash -c "$(declare -f gen); C='$C' STOREPW='$STOREPW' TRUSTPW='$TRUSTPW' KEYPW='$KEYPW' gen"

TPORT=$(w_free_port)
# props FILE LINES...: the usual worker props plus https + http listeners
props() {
	local f=$1
	shift
	w_props "$f" "$@"
	echo "listeners=https://127.0.0.1:$TPORT,http://127.0.0.1:$PORT" >>"$f" # the last line wins
}
TURL=https://127.0.0.1:$TPORT
# tcurl ARGS...: curl to the TLS port, prints the status code (000 = failed)
tcurl() { curl -s -o "$W/t.out" -w '%{http_code}' --max-time 10 "$@" 2>/dev/null; }
# tls_start FILE CURL-ARGS...: start and wait until /health answers over TLS
tls_start() {
	local f=$1
	shift
	"$KSINK" standalone "$f" >>"$W/ksink.log" 2>&1 &
	KPID=$!
	wait_for 30 bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 $* $TURL/health)\" = 200 ]"
}
# refuses NAME PATTERN LINES...: the worker exits 1 at start-up with PATTERN in stderr
refuses() {
	local name=$1 pat=$2 rc
	shift 2
	props "$W/bad.properties" "$@"
	timeout 30 "$KSINK" standalone "$W/bad.properties" >"$W/bad.log" 2>&1
	rc=$?
	cat "$W/bad.log" >>"$W/ksink.log"
	check_eq "refused: $name (exit 1)" "$rc" 1
	check "refused: $name: says '$pat'" grep -qE "$pat" "$W/bad.log"
}

# --- A: PEM key store, https + http listeners ---
props "$W/a.properties" "ssl.keystore.type=PEM" "ssl.keystore.location=$C/keystore.pem"
if tls_start "$W/a.properties" --cacert "$C/ca.pem"; then ok "A: worker serves HTTPS"; else not_ok "A: worker serves HTTPS" "$(tail -3 "$W/ksink.log")"; fi
check_eq "A: GET /connectors over TLS" "$(tcurl --cacert "$C/ca.pem" "$TURL/connectors")" 200
check_eq "A: certificate valid for localhost" \
	"$(tcurl --cacert "$C/ca.pem" "https://localhost:$TPORT/")" 200
check_eq "A: a client without the CA fails" "$(tcurl "$TURL/connectors")" 000
check_eq "A: plain HTTP to the TLS port fails" "$(tcurl "http://127.0.0.1:$TPORT/connectors")" 000
URL=http://127.0.0.1:$PORT
api GET /connectors
check_eq "A: the http listener serves too" "$CODE" 200
code=$(curl -s -o "$W/t.out" -w '%{http_code}' --cacert "$C/ca.pem" -X POST \
	-H 'Content-Type: application/json' --data-binary "$(memsink tlsc tt)" "$TURL/connectors")
check_eq "A: POST over TLS 201" "$code" 201
api GET /connectors
check_jq "A: one herder behind both listeners" '. == ["tlsc"]'
w_stop
check_eq "A: exits 0" "$KRC" 0

# --- B: PKCS12 via listeners.https.*, client auth required, TLS 1.3 only ---
props "$W/b.properties" \
	"ssl.keystore.location=$C/nowhere.p12" "ssl.truststore.location=$C/nowhere.pem" \
	"listeners.https.ssl.keystore.type=PKCS12" \
	"listeners.https.ssl.keystore.location=$C/keystore.p12" \
	"listeners.https.ssl.keystore.password=$STOREPW" \
	"listeners.https.ssl.truststore.type=PKCS12" \
	"listeners.https.ssl.truststore.location=$C/truststore.p12" \
	"listeners.https.ssl.truststore.password=$TRUSTPW" \
	"listeners.https.ssl.client.auth=required" \
	"listeners.https.ssl.enabled.protocols=TLSv1.3"
CLI=(--cacert "$C/ca.pem" --cert "$C/cli.pem" --key "$C/cli.key")
if tls_start "$W/b.properties" "${CLI[@]}"; then ok "B: worker serves HTTPS with PKCS12"; else not_ok "B: worker serves HTTPS with PKCS12" "$(tail -3 "$W/ksink.log")"; fi
check_eq "B: trusted client certificate: 200" "$(tcurl "${CLI[@]}" "$TURL/connectors")" 200
check_eq "B: no client certificate: fails" "$(tcurl --cacert "$C/ca.pem" "$TURL/connectors")" 000
check_eq "B: untrusted client certificate: fails" \
	"$(tcurl --cacert "$C/ca.pem" --cert "$C/evil.pem" --key "$C/evil.key" "$TURL/connectors")" 000
check_eq "B: TLS 1.2 refused (TLSv1.3 only)" "$(tcurl "${CLI[@]}" --tls-max 1.2 "$TURL/connectors")" 000
check_eq "B: TLS 1.3 accepted" "$(tcurl "${CLI[@]}" --tlsv1.3 "$TURL/connectors")" 200
w_stop
check_eq "B: exits 0" "$KRC" 0

# --- C: encrypted PEM key, client auth requested ---
props "$W/c.properties" "ssl.keystore.type=PEM" "ssl.keystore.location=$C/keystore-enc.pem" \
	"ssl.key.password=$KEYPW" "ssl.truststore.type=PEM" "ssl.truststore.location=$C/ca.pem" \
	"ssl.client.auth=requested"
if tls_start "$W/c.properties" --cacert "$C/ca.pem"; then ok "C: worker serves HTTPS with an encrypted key"; else not_ok "C: worker serves HTTPS with an encrypted key" "$(tail -3 "$W/ksink.log")"; fi
check_eq "C: requested: no client certificate is fine" "$(tcurl --cacert "$C/ca.pem" "$TURL/")" 200
check_eq "C: requested: trusted certificate" "$(tcurl "${CLI[@]}" "$TURL/")" 200
check_eq "C: requested: untrusted certificate fails" \
	"$(tcurl --cacert "$C/ca.pem" --cert "$C/evil.pem" --key "$C/evil.key" "$TURL/")" 000
w_stop
check_eq "C: exits 0" "$KRC" 0

# --- D: refusals ---
refuses "wrong key password" "ssl.key.password" "ssl.keystore.type=PEM" \
	"ssl.keystore.location=$C/keystore-enc.pem" "ssl.key.password=wrong"
refuses "encrypted key without a password" "encrypted: set ssl.key.password" \
	"ssl.keystore.location=$C/keystore-enc.pem"
refuses "JKS key store" "JKS.*keytool -importkeystore" "ssl.keystore.location=$C/keystore.jks"
refuses "wrong PKCS12 password" "ssl.keystore.password is wrong" \
	"ssl.keystore.type=PKCS12" "ssl.keystore.location=$C/keystore.p12" "ssl.keystore.password=nope"
refuses "no key store" "needs ssl.keystore.location"
refuses "client auth without a trust store" "needs a trust store" \
	"ssl.keystore.location=$C/keystore.pem" "ssl.client.auth=required"
refuses "unsupported store type" "BCFKS is not supported" \
	"ssl.keystore.type=BCFKS" "ssl.keystore.location=$C/keystore.pem"
refuses "a prefixed key hides the unprefixed ones" "listeners.https.ssl.keystore.location" \
	"ssl.keystore.location=$C/keystore.pem" "listeners.https.ssl.client.auth=none"
refuses "bad ssl.client.auth" "ssl.client.auth" "ssl.keystore.location=$C/keystore.pem" \
	"ssl.client.auth=sometimes"

# --- secrets and sanitizers ---
for pw in "$KEYPW" "$STOREPW" "$TRUSTPW"; do
	check "password $pw not in the log" bash -c "! grep -qF -- '$pw' '$W/ksink.log'"
done
check "no sanitizer report" bash -c "! grep -qE 'ERROR: AddressSanitizer|LeakSanitizer|runtime error:' '$W/ksink.log'"
finish
