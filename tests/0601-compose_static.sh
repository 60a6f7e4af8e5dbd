#!/usr/bin/env bash
# 0601-compose_static.sh — compose/ cannot run here (no Docker engine), so it
# is checked statically: the YAML parses, the services and ports are there,
# Kafka runs KRaft without ZooKeeper, the worker config points at the right
# services, and the Dockerfile builds with the packages scripts/deps.sh uses.
# The build context (the repository root) has a .dockerignore that keeps the
# host's build trees, demo/test state and .git out of the image, and
# connect-jdbc-sink.json is byte for byte the seed's file (as the README says).
# needs: none (no server: tests/run.sh starts no stack for it)
source "$(dirname "$0")/lib/lib.sh"
cd "$ROOT/compose"

out=$(/usr/bin/python3 - <<'PY' 2>&1
import json, re, sys, yaml
doc = yaml.safe_load(open("docker-compose.yml"))
s = doc["services"]
def check(name, cond):
    print(("ok - " if cond else "not ok - ") + name + ("" if cond else ": failed"))
check("compose: services kafka, schema-registry, db, adminer, connect",
      {"kafka", "schema-registry", "db", "adminer", "connect"} <= set(s))
check("compose: no zookeeper service", not any("zookeeper" in k for k in s))
k = s["kafka"]["environment"]
check("compose: kafka image is Confluent's", s["kafka"]["image"].startswith("confluentinc/cp-kafka"))
check("compose: kafka runs KRaft (broker,controller)",
      "controller" in str(k.get("KAFKA_PROCESS_ROLES", "")) and "KAFKA_ZOOKEEPER_CONNECT" not in k)
check("compose: postgres database totebets",
      s["db"]["environment"].get("POSTGRES_DB") == "totebets")
ports = {n: [str(p).split(":")[0] for p in s[n].get("ports", [])] for n in s}
check("compose: ports 9092 8081 5432 8080 8083",
      ports["kafka"] == ["9092"] and ports["schema-registry"] == ["8081"] and
      ports["db"] == ["5432"] and ports["adminer"] == ["8080"] and ports["connect"] == ["8083"])
c = s["connect"]
check("compose: ksink built from compose/Dockerfile",
      c["build"]["dockerfile"] == "compose/Dockerfile" and c["build"]["context"] == "..")
check("compose: worker.properties mounted", any("worker.properties" in v for v in c["volumes"]))
props = {}
for line in open("worker.properties"):
    line = line.strip()
    if line and not line.startswith("#"):
        key, _, val = line.partition("=")
        props[key.strip()] = val.strip()
adv = k["KAFKA_ADVERTISED_LISTENERS"]
check("worker: bootstrap.servers is kafka's internal listener",
      "PLAINTEXT://" + props["bootstrap.servers"] in adv.split(","))
sr = props["value.converter.schema.registry.url"]
check("worker: registry URL names the schema-registry service and port",
      re.fullmatch(r"http://schema-registry:8081", sr) is not None)
check("worker: listens on all interfaces for the port mapping",
      props["listeners"] == "http://0.0.0.0:8083")
conn = json.load(open("connect-jdbc-sink.json"))["config"]
check("connector: connection.url points at db/totebets",
      conn["connection.url"] == "jdbc:postgresql://db:5432/totebets")
check("connector: password matches the db service",
      conn["connection.password"] == s["db"]["environment"]["POSTGRES_PASSWORD"])
df = open("Dockerfile").read()
froms = re.findall(r"^FROM (\S+)", df, re.M)
check("Dockerfile: multi-stage on bookworm",
      len(froms) == 2 and all("bookworm" in f for f in froms))
deps = open("../scripts/deps.sh").read()
devs = set(re.findall(r"lib[a-z0-9-]+-dev", deps)) - {"libclang-rt-14-dev"}
check("Dockerfile: installs the -dev packages of scripts/deps.sh",
      devs and all(d in df for d in devs))
# the build context: what `COPY . .` would send, by .dockerignore's rules
# (Go filepath.Match per pattern, a match on a directory takes its contents,
# "**/" any depth; no "!" exceptions are used)
import fnmatch, os
ign = [l.strip() for l in open("../.dockerignore") if l.strip() and not l.startswith("#")]
check(".dockerignore: no exceptions (!) to reason about", not any(p.startswith("!") for p in ign))
def ignored(path):
    parts = path.split("/")
    for p in ign:
        p = p.rstrip("/")
        for i in range(1, len(parts) + 1):
            sub = "/".join(parts[:i])
            if fnmatch.fnmatchcase(sub, p) and (p.count("/") == sub.count("/") or "**" in p):
                return True
            if p.startswith("**/") and fnmatch.fnmatchcase(parts[i - 1], p[3:]):
                return True
    return False
for f in ["build/ksink", "build/obj/lib/buf.o", "build-asan/ksink", "build-bench/x",
          ".run/demo/pg/data/base/1", ".git/HEAD", "lib/buf.o", "worker/herder.d",
          "tests/browser/node_modules/playwright-core/index.js", "build/libksink.a"]:
    check(".dockerignore: %s stays out of the image" % f, ignored(f))
needed = ["Makefile", "lib/buf.c", "worker/main.c", "compose/worker.properties",
          "tools/produce.c", "connectors/jdbc/sink.c", "scripts/deps.sh"]
check(".dockerignore: the sources the Dockerfile builds are sent",
      all(not ignored(f) for f in needed))
sent = 0
for d, dirs, files in os.walk(".."):
    rel = os.path.relpath(d, "..")
    rel = "" if rel == "." else rel + "/"
    dirs[:] = [x for x in dirs if not ignored(rel + x)]
    sent += sum(os.path.getsize(os.path.join(d, f)) for f in files
                if not ignored(rel + f) and os.path.isfile(os.path.join(d, f)))
print("# build context after .dockerignore: %.1f MB" % (sent / 1e6))
check("build context under 5 MB", sent < 5e6)
PY
)
echo "$out"
KS_FAILED=$(echo "$out" | grep -c '^not ok' || true)
if echo "$out" | grep -q Traceback; then KS_FAILED=1; fi
# the connector JSON is the seed's file, unchanged (its sha256; compared with
# the seed itself too when the reference copy is on this machine)
check_eq "connect-jdbc-sink.json is the seed's file byte for byte" \
	"$(sha256sum <connect-jdbc-sink.json | cut -d' ' -f1)" \
	b3426f8c7fc5ab8c34a6204a1c1916b64df0470ad0a269294d6ef1e8349c0ad6
seed=/work/shared/reference/seed-tote-pool/connect-jdbc-sink.json
[ -f "$seed" ] && check "cmp with the seed's file" cmp connect-jdbc-sink.json "$seed"
if docker compose version >/dev/null 2>&1; then
	check "docker compose config accepts the file" docker compose -f docker-compose.yml config -q
fi
finish
