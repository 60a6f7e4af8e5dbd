#!/usr/bin/env bash
# 0461-commit_overlap.sh — the task reads and decodes the next batch while
# the database finishes the last one (issue 15: commit_send / commit_wait,
# worker/pipeline.c), and that keeps exactly-once. An upsert goes through
# the staging table here (ksink.upsert.copy=false), and its merge is what
# the JDBC sink leaves in flight. Triggers on the table make it observable:
#   - a counting trigger logs every committed row write (rolled-back
#     attempts and isolation probes leave nothing), so "exactly once" is
#     one write per record, read back per ID;
#   - one key's update sleeps (armed once) inside the merge: while that
#     commit is in flight, records produced meanwhile are decoded
#     (ksink_task_overlapped_records_total grows while the backend still
#     sleeps); then the backend is terminated mid-commit and the batch is
#     written again on a new session, once;
#   - one key's update is refused (P0001): the failed merge in flight falls
#     back to isolation, that record goes to the DLQ alone, the rest of
#     its batch is written;
#   - the worker is killed (kill -9) while another merge sleeps in flight:
#     after the restart that batch is written once.
# kafka-tiers: mock real (tests/run.sh: also run against the real broker)
source "$(dirname "$0")/lib/worker_test.sh"
[ -n "${KSINK_REGISTRY_URL:-}" ] || { not_ok "registry in the stack" "KSINK_REGISTRY_URL unset"; finish; }

N=12000 MORE=300 BAD=9000 SLOW=$((N - 40)) MAXREC=2000 K=2000 SLOW2=1990
T=t0461_ov_$$ DLQ=t0461_dlq_$$
w_kafka "$T:1" "$DLQ:1"
f_init consumer.fetch.wait.max.ms=10
psql_q "DROP TABLE IF EXISTS \"$T\", \"${T}_w\", \"${T}_arm\";
	DELETE FROM \"__ksink_offsets\" WHERE connector = 'ov'" >/dev/null 2>&1
psql_q "CREATE TABLE \"$T\" (\"ID\" BIGINT PRIMARY KEY, \"PAYLOAD\" TEXT NOT NULL);
	CREATE TABLE \"${T}_w\" (id BIGINT NOT NULL, op TEXT NOT NULL);
	CREATE TABLE \"${T}_arm\" (armed BOOLEAN NOT NULL, id BIGINT NOT NULL);
	INSERT INTO \"${T}_arm\" VALUES (false, $SLOW);
	CREATE FUNCTION ks0461_count() RETURNS trigger LANGUAGE plpgsql AS \$\$
	BEGIN INSERT INTO \"${T}_w\" VALUES (NEW.\"ID\", TG_OP); RETURN NEW; END \$\$;
	CREATE FUNCTION ks0461_upd() RETURNS trigger LANGUAGE plpgsql AS \$\$
	BEGIN
		IF NEW.\"ID\" = $BAD THEN RAISE EXCEPTION 'ks0461 refuses %', NEW.\"ID\"; END IF;
		IF (SELECT armed AND id = NEW.\"ID\" FROM \"${T}_arm\") THEN
			PERFORM pg_sleep(8);
		END IF;
		RETURN NEW;
	END \$\$;
	CREATE TRIGGER c AFTER INSERT OR UPDATE ON \"$T\" FOR EACH ROW EXECUTE FUNCTION ks0461_count();
	CREATE TRIGGER u BEFORE UPDATE ON \"$T\" FOR EACH ROW EXECUTE FUNCTION ks0461_upd();" \
	>/dev/null
check_eq "tables and triggers" "$(psql_q "SELECT count(*) FROM \"$T\"")" 0

# --- the first writes: inserts ---
f_produce "$T" 1 "$N"
check_eq "$N records produced" "$?" 0
start_ok "worker starts" "$W/w.properties" || finish
api POST /connectors "$(f_jdbc ov "$T" table.name.format="$T" insert.mode=upsert \
	pk.mode=record_value pk.fields=ID auto.create=false ksink.transaction.max.records=$MAXREC \
	ksink.upsert.copy=false \
	errors.tolerance=all errors.deadletterqueue.topic.name="$DLQ")"
check_eq "connector created" "$CODE" 201
check "the inserts are written" wait_for 90 f_has_rows "$T" "$N"
offsets_at() { [ "$(f_offsets_sum ov)" = "$1" ]; }
check "offsets reach $N" wait_for 30 offsets_at "$N"

# --- the same keys again: updates through the stage, merges in flight ---
psql_q "UPDATE \"${T}_arm\" SET armed = true" >/dev/null
f_produce "$T" 1 "$N"
check_eq "$N updates produced" "$?" 0
sleeper() {
	SLEEPER=$(psql_q "SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep'
		AND datname = current_database() AND pid <> pg_backend_pid() LIMIT 1")
	[ -n "$SLEEPER" ]
}
check "the merge of key $SLOW sleeps in the database" wait_for 90 sleeper
sleeper
in_flight=$(psql_q "SELECT count(*) FROM pg_stat_activity WHERE pid = $SLEEPER AND state = 'active'")
check_eq "its backend is busy in the merge" "$in_flight" 1
m0=$(f_metric ov ksink_task_overlapped_records_total)
f_produce "$T" $((N + 1)) $((N + MORE))
check_eq "$MORE more records produced during the merge" "$?" 0
grown() { [ "$(f_metric ov ksink_task_overlapped_records_total)" -ge $((m0 + MORE)) ]; }
check "the $MORE records are decoded while the commit is in flight" wait_for 6 grown
m1=$(f_metric ov ksink_task_overlapped_records_total)
still=$(psql_q "SELECT count(*) FROM pg_stat_activity WHERE pid = $SLEEPER AND wait_event = 'PgSleep'")
echo "# overlapped records: $m0 before the $MORE, $m1 after; backend $SLEEPER still asleep: $still"
check_eq "... while the merge still sleeps" "$still" 1
# disarm, then kill the backend in the middle of the commit
psql_q "UPDATE \"${T}_arm\" SET armed = false" >/dev/null
check_eq "backend terminated mid-commit" "$(psql_q "SELECT pg_terminate_backend($SLEEPER)")" t

check "every record is written" wait_for 90 f_has_rows "$T" $((N + MORE))
check "offsets reach $((2 * N + MORE))" wait_for 60 offsets_at $((2 * N + MORE))

ov=$(f_metric ov ksink_task_overlapped_records_total)
echo "# ksink_task_overlapped_records_total: $ov"
check "records were decoded while commits were in flight ($ov > $MORE)" test "$ov" -gt "$MORE"

# --- kill -9 while a merge is in flight ---
psql_q "UPDATE \"${T}_arm\" SET armed = true, id = $SLOW2" >/dev/null
f_produce "$T" 1 "$K"
check_eq "$K more updates produced" "$?" 0
check "the merge of key $SLOW2 sleeps in the database" wait_for 90 sleeper
sleeper
kill -9 "$KPID"
wait "$KPID" 2>/dev/null
KPID=""
psql_q "UPDATE \"${T}_arm\" SET armed = false" >/dev/null
psql_q "SELECT pg_terminate_backend($SLEEPER)" >/dev/null # the dead worker's session
start_ok "worker restarts after kill -9" "$W/w.properties" || finish
TOTAL=$((2 * N + MORE + K))
check "offsets reach $TOTAL" wait_for 90 offsets_at $TOTAL
dlq_count() { kcat -C -b "$BS" -t "$DLQ" -p 0 -o beginning -e -q -f '%o\n' 2>/dev/null | wc -l; }
dlq_has() { [ "$(dlq_count)" -ge 1 ]; }
check "the refused update in the DLQ" wait_for 30 dlq_has
check_eq "the DLQ holds that record alone" "$(dlq_count)" 1
r=$(psql_q "SELECT count(*) FILTER (WHERE op = 'INSERT'),
	count(*) FILTER (WHERE op = 'UPDATE'),
	(SELECT count(*) FROM (SELECT id FROM \"${T}_w\" GROUP BY id, op
		HAVING count(*) > CASE WHEN op = 'UPDATE' AND id <= $K THEN 2 ELSE 1 END) d),
	count(*) FILTER (WHERE op = 'UPDATE' AND id = $BAD),
	count(*) FILTER (WHERE op = 'UPDATE' AND id = $SLOW),
	count(*) FILTER (WHERE op = 'UPDATE' AND id = $SLOW2) FROM \"${T}_w\"")
IFS='|' read -r ins upd dups bad slow slow2 <<<"$r"
echo "# committed writes: $ins inserts, $upd updates, $dups keys written more than once a round; key $BAD updated $bad, key $SLOW updated $slow, key $SLOW2 $slow2"
check_eq "exactly once: one insert per new key" "$ins" $((N + MORE))
check_eq "exactly once: one update per key but the refused one, two for keys 1..$K" "$upd" $((N - 1 + K))
check_eq "exactly once: no key written twice in a round" "$dups" 0
check_eq "the refused key is not updated" "$bad" 0
check_eq "the key whose commit was killed is updated once" "$slow" 1
check_eq "the key in flight at the kill -9 is updated twice (two rounds)" "$slow2" 2
f_exactly "$T" $((N + MORE))
grep 'the merge in flight failed' "$W/ksink.log" | cut -c1-200 | sed 's/^/# /'
check "the killed commit failed in flight" grep -q "merge in flight failed (RETRIABLE)" "$W/ksink.log"
check "the killed commit was retried" grep -q "commit attempt 1 of" "$W/ksink.log"
check "the refused record was isolated" grep -q "isolating the bad records" "$W/ksink.log"
f_no_task_failed
finish
