#!/usr/bin/env bash
# 0601-compose_static.sh — compose/ cannot run here (no Docker engine), so it
# is checked statically: the YAML parses, the services and ports are there,
# Kafka runs KRaft without ZooKeeper, the worker config points at the right
# services, and the Dockerfile builds with the packages scripts/deps.sh uses.
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
PY
)
echo "$out"
KS_FAILED=$(echo "$out" | grep -c '^not ok' || true)
if echo "$out" | grep -q Traceback; then KS_FAILED=1; fi
if docker compose version >/dev/null 2>&1; then
	check "docker compose config accepts the file" docker compose -f docker-compose.yml config -q
fi
finish
