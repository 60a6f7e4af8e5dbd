#!/usr/bin/env bash
# scripts/mkman.sh KSINK WORKER_DOC TEMPLATE SYSCONFDIR UNITDIR > ksink.1
# Fills the man page template (dist/ksink.1.in): SYNOPSIS and the usage text
# from `KSINK --help`, the worker keys from `WORKER_DOC man` (the worker
# config table), so the page cannot drift from the program. The date is
# SOURCE_DATE_EPOCH's (dpkg-buildpackage sets it from debian/changelog) or
# the template's, for a reproducible page.
set -euo pipefail
ksink=$1 doc=$2 tmpl=$3 sysconfdir=$4 unitdir=$5
help=$("$ksink" --help)
version=$("$ksink" --version | awk '{ print $2 }')
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(stat -c %Y "$tmpl")}" +%Y-%m-%d)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

roff() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\([.']\)/\\\\\&\1/"; }

# usage lines: "usage: ksink MODE ARGS" then "       ksink MODE ARGS"
awk '/^usage: ksink / { sub(/^usage: /, ""); print; next }
     /^       ksink / { sub(/^ +/, ""); print; next }
     /^$/ { exit }' <<<"$help" >"$tmp/usage"
[ -s "$tmp/usage" ] || { echo "mkman: no usage lines in $ksink --help" >&2; exit 1; }
while read -r _ mode args; do
	printf '.B ksink %s\n' "$(roff <<<"$mode")"
	[ -n "$args" ] && printf '%s\n' "$(roff <<<"$args")"
	printf '.br\n'
done <"$tmp/usage" >"$tmp/synopsis"
# the text after the usage lines, as paragraphs
awk 'f { print } /^$/ { f = 1 }' <<<"$help" | roff >"$tmp/help"
"$doc" man >"$tmp/keys"

awk -v syn="$tmp/synopsis" -v hlp="$tmp/help" -v keys="$tmp/keys" \
	-v date="$date" -v version="$version" -v sysconf="$sysconfdir" -v unitdir="$unitdir" '
	function cat(f,   l) { while ((getline l < f) > 0) print l; close(f) }
	/^@SYNOPSIS@$/ { cat(syn); next }
	/^@HELP@$/ { cat(hlp); next }
	/^@WORKER_KEYS@$/ { cat(keys); next }
	{ gsub(/@DATE@/, date); gsub(/@VERSION@/, version)
	  gsub(/@SYSCONFDIR@/, sysconf); gsub(/@UNITDIR@/, unitdir); print }' "$tmpl"
