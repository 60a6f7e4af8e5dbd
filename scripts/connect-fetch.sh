#!/usr/bin/env bash
# scripts/connect-fetch.sh — puts the jars of the Java peer `make bench` runs
# (Apache Kafka Connect and the PostgreSQL JDBC driver, as
# bench/connect/pom.xml names them) into a cache outside the work tree, once,
# compiles the bench's sink connector (bench/connect/BenchJdbcSink.java)
# against them, and prints that folder (CONNECT_HOME: lib/ is the classpath,
# plugins/ the plugin.path).
#
#   scripts/connect-fetch.sh            fetch when missing, print the folder
#   scripts/connect-fetch.sh --version  print the Connect version only
#
# The cache is ${KSINK_CACHE:-$HOME/.cache/ksink}/connect-VERSION; the jars
# are complete only when its .complete marker exists (a fetch cut half-way is
# done again); the sink is recompiled when its source is newer than its jar.
# Needs Java >= 17 and Maven (scripts/deps.sh installs both), and javac:
# scripts/deps.sh installs a JRE only, so when javac is missing this script
# installs Debian's openjdk-17-jdk-headless (root, or sudo), as deps.sh would.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
POM=$ROOT/bench/connect/pom.xml
SRC=$ROOT/bench/connect/BenchJdbcSink.java
die() { echo "connect-fetch: error: $*" >&2; exit 1; }

VERSION=$(pom_version connect.version "$POM")
[ "${1:-}" = --version ] && { echo "$VERSION"; exit 0; }

HOME_DIR=$(jar_cache "connect-$VERSION")
need_java "Kafka Connect $VERSION"

maven_fetch "$POM" "$HOME_DIR" "connect-runtime-$VERSION.jar" "Apache Kafka Connect $VERSION"

JAR=$HOME_DIR/plugins/ksink-bench-sink/ksink-bench-sink.jar
if [ ! -f "$JAR" ] || [ "$SRC" -nt "$JAR" ]; then
	if ! command -v javac >/dev/null; then
		command -v apt-get >/dev/null || die "no javac: install a JDK >= 17"
		echo "connect-fetch: installing openjdk-17-jdk-headless (javac)" >&2
		SUDO=""
		[ "$(id -u)" = 0 ] || SUDO=sudo
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
			openjdk-17-jdk-headless >/dev/null || die "could not install openjdk-17-jdk-headless (javac)"
	fi
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	javac -nowarn -d "$tmp/classes" -cp "$HOME_DIR/lib/*" "$SRC" >&2 || die "javac failed on $SRC"
	# a service manifest: Connect's plugin.discovery=service_load finds it
	mkdir -p "$tmp/classes/META-INF/services" "$(dirname "$JAR")"
	echo io.ksink.bench.BenchJdbcSink >"$tmp/classes/META-INF/services/org.apache.kafka.connect.sink.SinkConnector"
	jar cf "$JAR.tmp" -C "$tmp/classes" . || die "jar failed"
	mv "$JAR.tmp" "$JAR"
fi
echo "$HOME_DIR"
