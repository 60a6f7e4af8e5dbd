#!/usr/bin/env bash
# scripts/deps.sh — installs the Debian packages ksink needs to build, test and
# run the demo, and does nothing when they are all present. Needs root (or
# sudo) only when something is missing.
set -euo pipefail

PKGS=(
	build-essential pkg-config
	librdkafka-dev libavro-dev libpq-dev libcurl4-openssl-dev libjansson-dev libmicrohttpd-dev
	libgnutls28-dev liblua5.4-dev openssl
	postgresql postgresql-client kcat curl jq clang-format python3 python3-yaml
	clang libclang-rt-14-dev
)
# optional extras, installed by the demo / browser test when wanted
if [ "${KSINK_DEPS_DEMO:-0}" = 1 ]; then
	PKGS+=(adminer php-cli php-pgsql)
fi
# the Debian package (make deb) and its checks
if [ "${KSINK_DEPS_DEB:-0}" = 1 ]; then
	PKGS+=(debhelper dpkg-dev lintian fakeroot man-db groff-base)
fi
# promtool, for the metrics test (Debian's prometheus package ships it)
if [ "${KSINK_DEPS_PROM:-0}" = 1 ]; then
	PKGS+=(prometheus)
fi
if [ "${KSINK_DEPS_BROWSER:-0}" = 1 ]; then
	PKGS+=(chromium)
	command -v node >/dev/null && command -v npm >/dev/null || PKGS+=(nodejs npm)
fi

# the real Apache Kafka broker of the tests (scripts/kafka-fetch.sh): a JDK
# >= 17 and Maven, unless a suitable java/mvn is on the PATH already
jv=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
[ "${jv:-0}" -ge 17 ] || PKGS+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || PKGS+=(maven)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# refresh the package lists when they are missing or older than a day
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
	$SUDO apt-get update -qq
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done" >&2
