#!/usr/bin/env bash
# 0610-adminer_browser.sh — a person's view of the demo: headless Chromium logs
# in to adminer (Debian's adminer served by php -S the way the package's
# apache conf serves it: /etc/adminer/conf.php), checks the page is styled
# (the stylesheet answers 200 and applies), finds both tables and the final
# odds. Screenshots are kept in the test output dir. Skipped (with a
# message) only when Chromium cannot be installed.
source "$(dirname "$0")/lib/lib.sh"
export KSINK_DEMO_DIR=$KSINK_TEST_OUT/demo-browser
DEMO=$ROOT/demo/demo.sh
trap '"$DEMO" down >/dev/null 2>&1' EXIT

KSINK_DEPS_BROWSER=1 "$ROOT/scripts/deps.sh" >/dev/null 2>&1 || true
if [ ! -x /usr/bin/chromium ] || ! command -v node >/dev/null; then
	ok "adminer browser check skipped: Chromium or node could not be installed"
	finish
fi
if [ ! -d "$ROOT/tests/browser/node_modules/playwright-core" ]; then
	(cd "$ROOT/tests/browser" && npm install --no-audit --no-fund --silent) >/dev/null 2>&1
fi
check "playwright-core installed" test -d "$ROOT/tests/browser/node_modules/playwright-core"

if out=$("$DEMO" up 2>&1); then ok "demo up"; else not_ok "demo up" "$(tail -5 <<<"$out")"; fi
. "$KSINK_DEMO_DIR/env"
# the stylesheet, as any client fetches it (the browser checks it is applied)
aurl=http://127.0.0.1:$(cat "$KSINK_DEMO_DIR/adminer.port")/
css=$(curl -s "$aurl" | sed -n 's/.*<link rel="stylesheet" type="text\/css" href="\([^"]*\)".*/\1/p' | head -1)
echo "# adminer stylesheet link: ${css:-none}"
check "adminer's stylesheet answers 200 with text/css" bash -c \
	"curl -s -o /dev/null -w '%{http_code} %{content_type}' '$aurl${css//&amp;/&}' | grep -q '^200 text/css'"
shots=$KSINK_TEST_OUT/screenshots
mkdir -p "$shots"
node "$ROOT/tests/browser/adminer.mjs" "http://127.0.0.1:$(cat "$KSINK_DEMO_DIR/adminer.port")/" \
	"127.0.0.1:$KSINK_PG_PORT" "$shots"
[ $? -eq 0 ] || KS_FAILED=$((KS_FAILED + 1))
check "screenshot kept" test -s "$shots/adminer-odds.png"
echo "# screenshots in $shots" >&2
finish
