#!/usr/bin/env bash
# 0600-demo.sh — `make demo` end to end on its own run dir: the seed's 9 bets
# and the odds stream land in two auto-created tables, the final odds
# 1.867 / 2.154 are printed; demo works twice in a row, `play` appends (insert
# mode), `down` leaves no process behind, and `up` works again after `down`.
# kafka-tiers: mock real (the real tier runs make demo KAFKA=real: the broker's
# log survives down/up there, so the offsets in Postgres stay valid)
source "$(dirname "$0")/lib/lib.sh"
export KAFKA=${KSINK_KAFKA_KIND:-mock}
export KSINK_DEMO_DIR=$KSINK_TEST_OUT/demo-$KAFKA
DEMO=$ROOT/demo/demo.sh
trap '"$DEMO" down >/dev/null 2>&1' EXIT

rows() { # table
	. "$KSINK_DEMO_DIR/env"
	PGPASSWORD=example psql -h 127.0.0.1 -p "$KSINK_PG_PORT" -U postgres -d totebets -tAXc "SELECT count(*) FROM \"$1\""
}
final_odds() { # output -> "1 1.867|2 2.154"
	sed -n '/== final odds/,$p' <<<"$1" | awk -F'|' '/^ +[0-9]+ +\|/ {gsub(/ /,""); printf "%s %s|", $1, $4}'
}

if out=$("$DEMO" up 2>&1); then ok "demo up exits 0"; else not_ok "demo up exits 0" "$(tail -5 <<<"$out")"; fi
check_eq "bets table has the 9 seed bets" "$(rows tote_win_bets)" "9"
check_eq "odds table has one row per bet" "$(rows tote_win_bet_race_runners_odds)" "9"
check_eq "final odds printed: 140/75 and 140/65" "$(final_odds "$out")" "1 1.867|2 2.154|"
check "status URL printed" grep -q "connectors/jdbc-sink-connector/status" <<<"$out"
check "adminer login details printed" grep -q "password example, database totebets" <<<"$out"
. "$KSINK_DEMO_DIR/env"
ksink_url="http://127.0.0.1:$(cat "$KSINK_DEMO_DIR/ksink.port")"
check_eq "connector RUNNING" "$(curl -s "$ksink_url/connectors/jdbc-sink-connector/status" | jq -r .connector.state)" "RUNNING"
check_eq "tables were auto-created with the Avro field names" \
	"$(PGPASSWORD=example psql -h 127.0.0.1 -p "$KSINK_PG_PORT" -U postgres -d totebets -tAXc \
	"SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'tote_win_bets'")" \
	"RUNNER_ID,RACE_ID,AMOUNT"

if out=$("$DEMO" up 2>&1); then ok "demo up twice in a row"; else not_ok "demo up twice in a row" "$(tail -5 <<<"$out")"; fi
check_eq "second run appended the bets" "$(rows tote_win_bets)" "18"
check_eq "odds unchanged when every pool doubles" "$(final_odds "$out")" "1 1.867|2 2.154|"

if out=$("$DEMO" play 2>&1); then ok "play"; else not_ok "play" "$(tail -5 <<<"$out")"; fi
check_eq "play appends (insert mode)" "$(rows tote_win_bets)" "27"

pids=$(cat "$KSINK_DEMO_DIR"/*.pid 2>/dev/null; head -1 "$KSINK_DEMO_DIR/pg/data/postmaster.pid")
"$DEMO" down >/dev/null 2>&1
# a zombie (exited, not yet reaped by a container init) is not running
running() { local p s; for p in $pids; do s=$(ps -o stat= -p "$p" 2>/dev/null) && [[ $s != Z* ]] && echo "$p"; done; }
if wait_for 15 test -z "$(running)"; then
	ok "down leaves no process behind"
else
	not_ok "down leaves no process behind" "still running: $(running | tr '\n' ' ')"
fi

if out=$("$DEMO" up 2>&1); then ok "demo up after down"; else not_ok "demo up after down" "$(tail -5 <<<"$out")"; fi
check_eq "after down/up the bets are played again" "$(rows tote_win_bets)" "36"
check_eq "final odds after down/up" "$(final_odds "$out")" "1 1.867|2 2.154|"
finish
