#!/usr/bin/env bash
# scripts/kafka-fetch.sh — puts the jars of the real Apache Kafka broker that
# tests/kafka/pom.xml names into a cache outside the work tree, once, and
# prints that folder (KAFKA_HOME: its lib/ holds the classpath).
#
#   scripts/kafka-fetch.sh            fetch when missing, print the folder
#   scripts/kafka-fetch.sh --version  print the Kafka version only
#
# The cache is ${KSINK_CACHE:-$HOME/.cache/ksink}/kafka-VERSION; a folder is
# complete only when its .complete marker exists (a fetch cut half-way is done
# again). Needs a JDK >= 17 and Maven (scripts/deps.sh installs both).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
POM=$ROOT/tests/kafka/pom.xml
die() { echo "kafka-fetch: error: $*" >&2; exit 1; }

VERSION=$(pom_version kafka.version "$POM")
[ "${1:-}" = --version ] && { echo "$VERSION"; exit 0; }

HOME_DIR=$(jar_cache "kafka-$VERSION")
if [ -f "$HOME_DIR/.complete" ]; then
	echo "$HOME_DIR"
	exit 0
fi
need_java "Kafka $VERSION"

maven_fetch "$POM" "$HOME_DIR" "kafka_2.13-$VERSION.jar" "Apache Kafka $VERSION"
echo "$HOME_DIR"
