#!/usr/bin/env bash
# demo/demo.sh — the tote-pool demo on the embedded local stack.
#   up      start the stack (Postgres db totebets, mock Kafka, registry)
#   down    stop everything
# The full walkthrough (connector, bets, odds, adminer) lands with the demo issue.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=${KSINK_DEMO_DIR:-$ROOT/.run/demo}
export KSINK_PG_DB=totebets KSINK_PG_PASSWORD=example KSINK_PG_DURABLE=1
case ${1:-up} in
up | start)
	if [ -f "$RUN/env" ]; then
		echo "demo: already running (make down to stop)"
	else
		"$ROOT/tests/stack.sh" up --dir "$RUN" >/dev/null
	fi
	cat "$RUN/env"
	;;
down) "$ROOT/tests/stack.sh" down --dir "$RUN" ;;
prune) rm -rf "$RUN" ;;
play) echo "demo: play needs the worker (not yet built)" >&2; exit 1 ;;
*) echo "usage: demo/demo.sh up|down|play|prune" >&2; exit 2 ;;
esac
