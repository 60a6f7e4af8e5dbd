#!/usr/bin/env bash
# 0700-deb_install.sh — ksink shipped like a daemon. `make deb`'s script
# (scripts/mkdeb.sh: dpkg-buildpackage -b on a copy of the tree under the
# test's dir, then lintian) builds the package; lintian finds no error; the
# package declares its shared libraries (dh_shlibdeps) and its conffile; it is
# unpacked into a scratch root (dpkg -x) and the installed /usr/bin/ksink,
# started with the installed /etc/ksink/worker.properties (plus this stack's
# addresses), runs the JDBC sink end to end: 300 Avro records, exactly once
# in Postgres; SIGTERM stops it with exit 0. The unit passes
# `systemd-analyze verify` and has the hardening asked for; the man page
# renders with `man -l` and lists the modes `ksink --help` lists, and every
# worker key. `make install DESTDIR=…` lays out the FHS paths and keeps an
# edited worker.properties.
source "$(dirname "$0")/lib/lib.sh"
source "$(dirname "$0")/lib/worker.sh"
source "$(dirname "$0")/lib/faults.sh"
w_init 0700

KSINK_DEPS_DEB=1 "$ROOT/scripts/deps.sh" >/dev/null 2>&1
check "debhelper, dpkg-dev and lintian installed (KSINK_DEPS_DEB=1)" \
	command -v dpkg-buildpackage dh lintian man

# --- build ---
t0=$SECONDS
if deb=$("$ROOT/scripts/mkdeb.sh" "$W/deb" 2>"$W/mkdeb.log"); then
	ok "the package builds (dpkg-buildpackage -b -us -uc)"
else
	not_ok "the package builds (dpkg-buildpackage -b -us -uc)" "$(tail -5 "$W/mkdeb.log" | tr '\n' ' ')"
	finish
fi
echo "# package built and linted in $((SECONDS - t0)) s: $(basename "$deb"), $(stat -c %s "$deb") bytes"
sed 's/^/# /' "$W/mkdeb.log"
check "lintian: no errors" grep -q "lintian: no errors" "$W/mkdeb.log"
check_eq "nothing written next to the source tree" \
	"$(ls "$W"/deb | grep -v '^src$' | grep -c '^ksink_.*\.deb$')" 1
check "the tree's root has no build artifacts" \
	bash -c "! ls '$ROOT'/../*.deb '$ROOT'/*.deb '$ROOT'/debian/ksink 2>/dev/null | grep -q ."
depends=$(dpkg-deb -f "$deb" Depends)
echo "# Depends: $depends"
for lib in libpq5 librdkafka1 libcurl4 libjansson4 libmicrohttpd12 libgnutls30 adduser; do
	check "Depends names $lib" grep -q "\b$lib\b" <<<"$depends"
done
check_eq "conffile /etc/ksink/worker.properties" \
	"$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles)" /etc/ksink/worker.properties
dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./postinst >"$W/postinst"
check "postinst creates the system user ksink" \
	bash -c "tr -d '\\\\\n' <'$W/postinst' | grep -q 'adduser --system --group.* ksink'"
check "postinst enables and starts ksink.service" grep -q "deb-systemd-helper.*enable.*ksink.service" "$W/postinst"

# --- unpacked into a scratch root ---
R=$W/root
mkdir -p "$R"
check "dpkg -x unpacks it" dpkg -x "$deb" "$R"
for f in usr/bin/ksink usr/share/man/man1/ksink.1.gz etc/ksink/worker.properties \
	lib/systemd/system/ksink.service; do
	check "installs /$f" test -s "$R/$f"
done
check "every library of /usr/bin/ksink resolves" bash -c "! ldd '$R/usr/bin/ksink' | grep -q 'not found'"

# --- the unit ---
U=$R/lib/systemd/system/ksink.service
unit() { sed -n "s/^$1=//p" "$U"; }
check_eq "ExecStart" "$(unit ExecStart)" "/usr/bin/ksink standalone /etc/ksink/worker.properties"
check_eq "User" "$(unit User)" ksink
check_eq "ProtectSystem" "$(unit ProtectSystem)" strict
check_eq "NoNewPrivileges" "$(unit NoNewPrivileges)" yes
check_eq "StateDirectory" "$(unit StateDirectory)" ksink
check_eq "Restart" "$(unit Restart)" on-failure
check_eq "config.storage.file in the StateDirectory" \
	"$(sed -n 's/^config.storage.file=//p' "$R/etc/ksink/worker.properties")" /var/lib/ksink/connectors.json
grace=$(sed -n 's/^#task.shutdown.graceful.timeout.ms=//p' "$R/etc/ksink/worker.properties")
stop=$(unit TimeoutStopSec)
check "TimeoutStopSec ($stop s) leaves room for task.shutdown.graceful.timeout.ms ($grace ms)" \
	test $((stop * 1000)) -ge $((grace * 3))
if command -v systemd-analyze >/dev/null; then
	# verify checks ExecStart's binary and the Documentation= page: the copy
	# points at the unpacked binary and MANPATH at the unpacked man pages
	mkdir -p "$W/unit"
	sed "s|^ExecStart=/usr/bin/ksink|ExecStart=$R/usr/bin/ksink|" "$U" >"$W/unit/ksink.service"
	if out=$(MANPATH=$R/usr/share/man systemd-analyze verify "$W/unit/ksink.service" 2>&1); then
		ok "systemd-analyze verify accepts ksink.service"
	else
		not_ok "systemd-analyze verify accepts ksink.service" "$(tr '\n' ' ' <<<"$out")"
	fi
	exposure=$(systemd-analyze security --offline=yes "$W/unit/ksink.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for ksink.service: \([0-9.]*\).*/\1/p')
	echo "# systemd-analyze security: exposure ${exposure:-?} (0 = locked down, 10 = unprotected)"
else
	echo "# skipped: systemd-analyze verify (systemd is not installed on this machine)"
fi

# --- the man page ---
man=$(MANWIDTH=100 man --warnings -l "$R/usr/share/man/man1/ksink.1.gz" 2>"$W/man.err")
check "man -l renders ksink(1)" test -n "$man"
check_eq "man: no groff warnings" "$(cat "$W/man.err")" ""
echo "# man -l: $(wc -l <<<"$man") lines; sections: $(grep -E '^[A-Z][A-Z ]+$' <<<"$man" | tr '\n' ' ')"
help=$("$R/usr/bin/ksink" --help)
help_modes=$(awk '/^usage: ksink |^       ksink / { for (i = 1; i <= NF; i++) if ($i == "ksink") { print $(i + 1); break } }
	/^$/ { exit }' <<<"$help" | sort | tr '\n' ' ')
syn_modes=$(awk '/^SYNOPSIS/ { f = 1; next } /^[A-Z]/ { f = 0 } f && $1 == "ksink" { print $2 }' <<<"$man" | sort | tr '\n' ' ')
modes=$(awk '/^MODES/ { f = 1; next } /^[A-Z]/ { f = 0 } f && /^       [^ ]/ { print $1 }' <<<"$man" | sort | tr '\n' ' ')
echo "# modes: --help: $help_modes/ man SYNOPSIS: $syn_modes/ man MODES: $modes"
check "--help lists modes" test -n "$help_modes"
check_eq "man SYNOPSIS lists the modes of --help" "$syn_modes" "$help_modes"
check_eq "man MODES describes the modes of --help" "$modes" "$help_modes"
for s in SIGNALS "EXIT STATUS" FILES EXAMPLES "WORKER KEYS"; do
	check "man has $s" grep -qx "$s" <<<"$man"
done
keys=$(sed -n 's/^#\{0,1\}\([a-z][a-z.]*\)=.*/\1/p' "$R/etc/ksink/worker.properties")
missing=$(for k in $keys; do grep -q "^       $k\$" <<<"$man" || echo "$k"; done | tr '\n' ' ')
echo "# worker keys in worker.properties: $(wc -w <<<"$keys"), missing from the man page: ${missing:-none}"
check_eq "every worker key of worker.properties is in the man page" "$missing" ""
check "worker.properties lists task.shutdown.graceful.timeout.ms with its default" \
	grep -qx "#task.shutdown.graceful.timeout.ms=5000" "$R/etc/ksink/worker.properties"

# --- the installed ksink, end to end ---
# the installed worker.properties as shipped, then this stack's addresses
# (a later key wins)
w_kafka pkg:2
f_init # $W/w.properties for this stack (Avro values through the registry)
{
	cat "$R/etc/ksink/worker.properties"
	echo
	echo "# --- 0700: the test stack"
	grep -v '^key.converter=\|^config.storage.file=' "$W/w.properties"
	echo "config.storage.file=$W/state/connectors.json"
} >"$W/pkg.properties"
mkdir -p "$W/state"
KSINK=$R/usr/bin/ksink start_ok "the installed ksink starts with the installed worker.properties" \
	"$W/pkg.properties" || finish
check "it is the installed binary" grep -q "$R/usr/bin/ksink" "/proc/$KPID/cmdline"
check "--version" bash -c "'$R/usr/bin/ksink' --version | grep -q '^ksink 0.1.0'"
api POST /connectors "$(f_jdbc pkg_jdbc pkg "pk.mode=none")"
check_eq "JDBC sink created" "$CODE" 201
f_produce pkg 1 300
check "300 rows arrive" wait_for 60 f_has_rows pkg 300
f_exactly pkg 300
check "the connector is stored in config.storage.file" grep -q pkg_jdbc "$W/state/connectors.json"
t0=$(date +%s%N)
w_stop TERM 30
echo "# SIGTERM to exit: $((($(date +%s%N) - t0) / 1000000)) ms (task.shutdown.graceful.timeout.ms $grace)"
check_eq "SIGTERM: exit 0" "$KRC" 0
check "SIGTERM: the worker logs a clean stop" grep -q "worker stopped" "$W/ksink.log"

# --- make install ---
D=$W/dest
if out=$(make -s -C "$ROOT" install DESTDIR="$D" 2>&1); then ok "make install DESTDIR=…"; else
	not_ok "make install DESTDIR=…" "$(tail -3 <<<"$out" | tr '\n' ' ')"; fi
for f in usr/local/bin/ksink usr/local/share/man/man1/ksink.1 usr/local/etc/ksink/worker.properties \
	usr/local/lib/systemd/system/ksink.service usr/local/lib/sysusers.d/ksink.conf; do
	check "make install: /$f" test -s "$D/$f"
done
check_eq "make install: the unit runs /usr/local/bin/ksink" \
	"$(sed -n 's/^ExecStart=//p' "$D/usr/local/lib/systemd/system/ksink.service")" \
	"/usr/local/bin/ksink standalone /usr/local/etc/ksink/worker.properties"
echo "bootstrap.servers=edited:9092" >>"$D/usr/local/etc/ksink/worker.properties"
make -s -C "$ROOT" install DESTDIR="$D" >/dev/null 2>&1
check "make install again keeps an edited worker.properties" \
	grep -q "^bootstrap.servers=edited:9092" "$D/usr/local/etc/ksink/worker.properties"
finish
