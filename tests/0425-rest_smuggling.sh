#!/usr/bin/env bash
# 0425-rest_smuggling.sh — request smuggling against the REST API (RFC 9112
# section 6): raw requests whose framing is ambiguous, each carrying a
# second request ("DELETE /connectors/victim") after what a server might
# take as the end of the first one: Content-Length with Transfer-Encoding
# (CL.TE and TE.CL), two different Content-Lengths, Transfer-Encoding other
# than chunked or given twice, a space before the colon, obs-fold line
# folding, control characters, Transfer-Encoding in HTTP/1.0. Each must get
# exactly one answer, a 400 JSON error, and the connection must be closed
# after it, so the smuggled bytes never run: the victim connector still
# exists at the end and the log holds no DELETE. Well-framed requests
# (a chunked body, pipelined requests on one connection) still work. Runs
# the ASan build of the worker when it exists.
# needs: none (starts its own mock cluster: tests/run.sh starts no stack for it)
source "$(dirname "$0")/lib/worker_test.sh" --test-sink
w_asan --say
w_mock
w_props "$W/w.properties"
start_ok "worker starts" "$W/w.properties" || finish

api POST /connectors "$(memsink victim nt | jq -c '.config.file="/dev/null"')"
check_eq "victim connector created" "$CODE" 201

# raw.py PORT CASE: sends the case on one connection, reads for at most 3 s;
# prints "STATUS... closed=0|1 body=FIRST-BODY" (every answer's status, and
# whether the server closed the connection).
cat >"$W/raw.py" <<'EOF'
import socket, sys, time
port, case = int(sys.argv[1]), sys.argv[2]
SMUG = b"DELETE /connectors/victim HTTP/1.1\r\nHost: x\r\n\r\n"
CHUNKED = b"0\r\n\r\n" + SMUG  # an empty chunked body, then the smuggled request
H = b"POST /connectors/victim/restart HTTP/1.1\r\nHost: x\r\n"
cases = {
    "CL.TE": H + b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n" % len(CHUNKED) + CHUNKED,
    "TE.CL": H + b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n" + CHUNKED,
    "two Content-Lengths": H + b"Content-Length: 0\r\nContent-Length: %d\r\n\r\n" % len(SMUG) + SMUG,
    "Transfer-Encoding: gzip, chunked": H + b"Transfer-Encoding: gzip, chunked\r\n\r\n" + CHUNKED,
    "Transfer-Encoding: identity": H + b"Transfer-Encoding: identity\r\n\r\n" + SMUG,
    "two Transfer-Encodings": H + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n" + CHUNKED,
    "space before the colon (CL)": H + b"Content-Length : %d\r\n\r\n" % len(SMUG) + SMUG,
    "space before the colon (TE)": H + b"Transfer-Encoding : chunked\r\nContent-Length: 0\r\n\r\n" + CHUNKED,
    "obs-fold Transfer-Encoding": H + b"Content-Length: 0\r\nTransfer-Encoding:\r\n chunked\r\n\r\n" + CHUNKED,
    "control character in a name": H + b"Content\x01Length: 0\r\n\r\n" + SMUG,
    "control character in a value": H + b"X-A: a\x0bb\r\n\r\n" + SMUG,
    "Transfer-Encoding in HTTP/1.0": H.replace(b"HTTP/1.1", b"HTTP/1.0") + b"Transfer-Encoding: chunked\r\n\r\n" + CHUNKED,
    # well framed: must keep working
    "ok: chunked body": b"PUT /connectors/victim/resume HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /connectors/victim HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "ok: pipelined": b"GET /connectors HTTP/1.1\r\nHost: x\r\n\r\nGET /connectors/victim HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
}
s = socket.create_connection(("127.0.0.1", port))
s.sendall(cases[case])
data, closed, deadline = b"", 0, time.time() + 3
while time.time() < deadline:
    s.settimeout(max(0.01, deadline - time.time()))
    try:
        d = s.recv(65536)
    except socket.timeout:
        break
    except ConnectionResetError:
        closed = 1
        break
    if not d:
        closed = 1
        break
    data += d
s.close()
statuses, bodies = [], []
while b"\r\n\r\n" in data:  # responses, one after the other
    head, data = data.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    statuses.append(lines[0].split(b" ")[1].decode() if len(lines[0].split(b" ")) > 1 else "?")
    n = 0
    for l in lines[1:]:
        k, _, v = l.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    bodies.append(data[:n].decode("utf-8", "replace"))
    data = data[n:]
print(" ".join(statuses) or "none", "closed=%d" % closed, "body=" + (bodies[0] if bodies else ""))
EOF

for c in "CL.TE" "TE.CL" "two Content-Lengths" "Transfer-Encoding: gzip, chunked" \
	"Transfer-Encoding: identity" "two Transfer-Encodings" "space before the colon (CL)" \
	"space before the colon (TE)" "obs-fold Transfer-Encoding" "control character in a name" \
	"control character in a value" "Transfer-Encoding in HTTP/1.0"; do
	out=$(python3 "$W/raw.py" "$PORT" "$c")
	echo "# $c: ${out:0:200}"
	check_eq "$c: one answer, 400, connection closed" "${out%% body=*}" "400 closed=1"
	BODY=${out#* body=}
	check_jq "$c: JSON error" '.error_code==400 and (.message|type)=="string"'
	api GET /connectors/victim
	check_eq "$c: the smuggled DELETE did not run" "$CODE" 200
	[ "$CODE" = 404 ] && api POST /connectors "$(memsink victim nt | jq -c '.config.file="/dev/null"')"
done

out=$(python3 "$W/raw.py" "$PORT" "ok: chunked body")
check_eq "a chunked body, then a second request: both answered" "${out%% body=*}" "202 200 closed=1"
out=$(python3 "$W/raw.py" "$PORT" "ok: pipelined")
check_eq "two pipelined GETs: both answered" "${out%% body=*}" "200 200 closed=1"

api GET /connectors/victim
check_eq "victim connector still exists" "$CODE" 200
check "no DELETE reached the handler" bash -c "! grep -q 'DELETE /connectors/victim' '$W/ksink.log'"
check "refusals logged with the reason" grep -q 'Content-Length and Transfer-Encoding; connection closed' "$W/ksink.log"
w_stop
check_eq "worker exits 0" "$KRC" 0
check "no sanitizer report" bash -c "! grep -qE 'ERROR: AddressSanitizer|LeakSanitizer|runtime error' '$W/ksink.log'"
finish
