#!/usr/bin/env bash
# scripts/connect-fetch.sh — puts the jars of the Java peer `make bench` runs
# into a cache outside the work tree, once, and prints that folder
# (CONNECT_HOME: lib/ is the classpath, plugins/ the plugin.path):
#   lib/                      Apache Kafka Connect (bench/connect/pom.xml)
#   plugins/debezium-jdbc/    Debezium's JDBC sink connector and its
#                             dependencies (bench/connect/debezium-pom.xml),
#                             without what the runtime provides
#
#   scripts/connect-fetch.sh            fetch when missing, print the folder
#   scripts/connect-fetch.sh --version  print the Connect version only
#   scripts/connect-fetch.sh --debezium-version
#
# The cache is ${KSINK_CACHE:-$HOME/.cache/ksink}/connect-VERSION; each part
# is complete only when its .complete marker exists (a fetch cut half-way is
# done again). Needs Java >= 17 and Maven (scripts/deps.sh installs both).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
POM=$ROOT/bench/connect/pom.xml
DBZ_POM=$ROOT/bench/connect/debezium-pom.xml
die() { echo "connect-fetch: error: $*" >&2; exit 1; }

VERSION=$(pom_version connect.version "$POM")
DBZ_VERSION=$(pom_version debezium.version "$DBZ_POM")
[ "${1:-}" = --version ] && { echo "$VERSION"; exit 0; }
[ "${1:-}" = --debezium-version ] && { echo "$DBZ_VERSION"; exit 0; }

HOME_DIR=$(jar_cache "connect-$VERSION")
need_java "Kafka Connect $VERSION"

maven_fetch "$POM" "$HOME_DIR" "connect-runtime-$VERSION.jar" "Apache Kafka Connect $VERSION"
# the plugin leaves out what the runtime has: Kafka's jars, slf4j, Jackson
# and the compression codecs
mkdir -p "$HOME_DIR/plugins"
maven_fetch "$DBZ_POM" "$HOME_DIR/plugins/debezium-jdbc" \
	"debezium-connector-jdbc-$DBZ_VERSION.jar" "Debezium JDBC sink $DBZ_VERSION" \
	"-DexcludeGroupIds=org.apache.kafka,org.slf4j,com.fasterxml.jackson.core,com.fasterxml.jackson.datatype,com.fasterxml.jackson.module,org.lz4,org.xerial.snappy,com.github.luben"
echo "$HOME_DIR"
