#!/usr/bin/env bash
# scripts/mkdeb.sh OUTDIR — builds the Debian package of this tree with
# Debian's own tools: the tracked files (plus uncommitted changes) are copied
# to OUTDIR/src, dpkg-buildpackage -b runs there (its clean step and the
# ../*.deb it writes stay inside OUTDIR), then lintian checks the package.
# Prints the .deb's path last. Needs debhelper, dpkg-dev, lintian
# (KSINK_DEPS_DEB=1 scripts/deps.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)
cd "$ROOT"
rm -rf "$out/src" "$out"/ksink_* "$out"/ksink-dbgsym_*
mkdir -p "$out/src"
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard | grep -zv '^debian/ksink/' |
		xargs -0 cp --parents -t "$out/src" 2>/dev/null || true
else
	tar --exclude='./build*' --exclude=./.run --exclude=./.git -cf - . | tar -xf - -C "$out/src"
fi
cd "$out/src"
start=$SECONDS
dpkg-buildpackage -b -us -uc -j"$(nproc)" >"$out/build.log" 2>&1 ||
	{ tail -30 "$out/build.log" >&2; echo "mkdeb: dpkg-buildpackage failed ($out/build.log)" >&2; exit 1; }
echo "mkdeb: dpkg-buildpackage -b -us -uc: $((SECONDS - start)) s" >&2
deb=$(ls "$out"/ksink_*.deb)
# lintian: errors fail the build; warnings are shown
if lintian --fail-on error --info "$deb" "$out"/ksink_*.changes >"$out/lintian.log" 2>&1; then
	echo "mkdeb: lintian: no errors ($(grep -c '^W:' "$out/lintian.log" || true) warnings)" >&2
else
	cat "$out/lintian.log" >&2
	echo "mkdeb: lintian found errors" >&2
	exit 1
fi
sed 's/^/mkdeb: lintian: /' "$out/lintian.log" >&2
echo "$deb"
