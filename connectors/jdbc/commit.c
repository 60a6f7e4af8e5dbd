/*
 * commit.c — commit(): writes the staged records and the offsets in ONE
 * transaction (exactly-once: the offsets table is the source of truth).
 *
 * In order: the streamed COPY when one is open (stream.c); else connect
 * lazily (session.c), plan (plan.c), DDL (ddl.c), BEGIN; COPY per group;
 * offsets; COMMIT (write.c).
 * Failures: a lost connection or an outage SQLSTATE is retried here up to
 * max.retries times (retry.backoff.ms apart; reconnects do not wait) and
 * then reported as RETRIABLE; the worker keeps the batch and calls commit
 * again later. Every retry runs on a new connection, so a session-bound
 * error (a role's statement_timeout, a terminated backend, a server-side
 * change) does not outlive its session. Any other error (22xxx, 23xxx,
 * 42xxx, a trigger's P0001, 54000, ...) is decided by behaviour: isolate()
 * writes the planned rows again in one rolled-back transaction, in ranges
 * under savepoints split in halves down to single rows, and every record
 * that fails on its own while the rest goes in is bad, whatever its
 * SQLSTATE. Each goes to the worker's errant-record reporter (errors.tolerance,
 * DLQ), leaves the batch, and the rest is written in the same call (one
 * plan of the rest, no round trip through the worker). An internal error (XX) that outlasts the retry
 * budget is isolated the same way, so one record that always raises it ends
 * in the DLQ instead of stalling its partition. Table-level errors (no
 * unique index for ON CONFLICT, permission denied, login/database) fail the
 * task.
 *
 * A COMMIT whose acknowledgement is lost is resolved on reconnect by reading
 * the offsets table (equal offsets = it committed), so nothing is written
 * twice. A transaction fenced by another task's claim (fence.c) is
 * reported FENCED at once, never retried.
 */
#include "sink.h"

#include <stdlib.h>
#include <string.h>

/* The Connect-level exception of an error: pgjdbc's PSQLException when
 * the database raised it (SQLSTATE in t->sqlstate), Connect's
 * ConnectException for the connector's own checks (a value that does not
 * encode, a missing table, ...). These names go to the DLQ headers
 * (__connect.errors.exception.class.name) as the Java connector's do. */
static const char *exception_of(const char *sqlstate)
{
	return sqlstate[0] ? "org.postgresql.util.PSQLException"
	                   : "org.apache.kafka.connect.errors.ConnectException";
}

/* --- isolating bad records ---
 *
 * The batch failed with an error that may be a record's (or an internal
 * error outlasted the retry budget). isolate() writes the planned rows
 * again in ONE transaction that is rolled back at the end: each range of a
 * group under a savepoint; a range that fails is rolled back to its
 * savepoint and split in halves, ranges of ISO_ROWS rows or fewer row by
 * row, so a few bad records cost O(bad x log n) probes and a batch of bad
 * records about 1.3 probes each, with no back-off between them (they are
 * about data, not outages). The ranges run in batch order and what succeeds
 * stays in the transaction, so every record sees the same rows before it as
 * in the batch. A record whose row fails alone is bad whatever its
 * SQLSTATE; an outage, a lost connection or a table-level error ends the
 * isolation with its class. */

#define ISO_ROWS 8

/* Adds staged record idx to t->iso.bad with the current error (once). */
static int bad_add(ks_sink_task_t *t, size_t idx)
{
	for (size_t i = 0; i < t->iso.nbad; i++)
		if (t->iso.bad[i].index == idx)
			return 0;
	if (t->iso.nbad == t->iso.capbad) {
		size_t nc = t->iso.capbad ? t->iso.capbad * 2 : 16;
		jbad_t *b = realloc(t->iso.bad, nc * sizeof(*b));
		if (!b) {
			ks_seterr(t->errstr, sizeof(t->errstr), 0, "out of memory");
			return KS_ERR_FATAL;
		}
		t->iso.bad = b;
		t->iso.capbad = nc;
	}
	jbad_t *b = &t->iso.bad[t->iso.nbad++];
	b->index = idx;
	ks_seterr(b->errstr, sizeof(b->errstr), 0, "%s", t->errstr);
	ks_seterr(b->sqlstate, sizeof(b->sqlstate), 0, "%s", t->sqlstate);
	return 0;
}

static int cmp_bad(const void *a, const void *b)
{
	const jbad_t *x = a, *y = b;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Rows [from, to) of group g under a savepoint (statements from ks_jdbc_group_sql):
 * 0 written, KS_ERR_RECORD rolled back to the savepoint (t->errstr says why),
 * else the class of an error that ends the isolation. */
static int iso_probe(ks_sink_task_t *t, const jgroup_t *g, const char *copy, const char *merge,
                     size_t from, size_t to, int internal_ok)
{
	const jlayout_t *l = g->layout;
	char sql[64];
	int rc;

	if ((rc = ks_jdbc_exec(t, "SAVEPOINT ks_probe", "SAVEPOINT")))
		return rc == KS_ERR_RECORD ? KS_ERR_FATAL : rc;
	t->sqlstate[0] = 0; /* a value that does not encode has none */
	rc = ks_jdbc_copy_rows(t, copy, g, from, to, l->is_delete ? l->nkeys : l->ncols);
	if (!rc && !l->direct) {
		rc = ks_jdbc_exec(t, merge, l->is_delete ? "DELETE" : "write");
		ks_seterr(sql, sizeof(sql), 0, "DELETE FROM ks_stage_%d", l->id);
		if (!rc && (rc = ks_jdbc_exec(t, sql, "empty staging table")) == KS_ERR_RECORD)
			rc = KS_ERR_FATAL;
	}
	if (!rc) {
		t->iso.good += to - from;
		return ks_jdbc_exec(t, "RELEASE SAVEPOINT ks_probe", "RELEASE") ? KS_ERR_RETRIABLE
		                                                                : 0;
	}
	if (rc == KS_ERR_FATAL || rc == KS_ERR_FENCED)
		return rc;
	/* an outage is not the rows' fault; an internal error only when it
	 * outlasted the retry budget (internal_ok) */
	if (rc == KS_ERR_RETRIABLE &&
	    (ks_jdbc_conn_lost(t) || !(internal_ok && !strncmp(t->sqlstate, "XX", 2))))
		return rc;
	{
		char err[KS_ERRSTR_SIZE], st[6];
		ks_seterr(err, sizeof(err), 0, "%s", t->errstr);
		ks_seterr(st, sizeof(st), 0, "%s", t->sqlstate);
		if (ks_jdbc_exec(t, "ROLLBACK TO SAVEPOINT ks_probe", "ROLLBACK TO"))
			return KS_ERR_RETRIABLE;
		ks_seterr(t->errstr, sizeof(t->errstr), 0, "%s", err);
		ks_seterr(t->sqlstate, sizeof(t->sqlstate), 0, "%s", st);
	}
	return KS_ERR_RECORD;
}

/* Probes rows [from, to) of g, splitting failing ranges: 0 or the class of
 * an error that ends the isolation. */
static int iso_range(ks_sink_task_t *t, const jgroup_t *g, const char *copy, const char *merge,
                     size_t from, size_t to, int internal_ok)
{
	int rc = iso_probe(t, g, copy, merge, from, to, internal_ok);

	if (rc != KS_ERR_RECORD)
		return rc;
	if (to - from == 1)
		return bad_add(t, g->rows[from]);
	if (to - from <= ISO_ROWS) {
		for (size_t i = from; i < to; i++) {
			rc = iso_probe(t, g, copy, merge, i, i + 1, internal_ok);
			if (rc == KS_ERR_RECORD)
				rc = bad_add(t, g->rows[i]);
			if (rc)
				return rc;
		}
		return 0;
	}
	if ((rc = iso_range(t, g, copy, merge, from, from + (to - from) / 2, internal_ok)))
		return rc;
	return iso_range(t, g, copy, merge, from + (to - from) / 2, to, internal_ok);
}

/* Finds every staged record that fails on its own (t->iso.bad, ascending;
 * bad_index, errstr and sqlstate of the first). KS_ERR_RECORD when it found
 * some, KS_ERR_FATAL when the batch fails but no record alone does, else the
 * class of the error that stopped it. internal_ok: the retry budget is
 * spent, so a record raising an internal error (XX) alone is bad too, but
 * only when other rows of the batch go in (else it is an outage). */
static int isolate(ks_sink_task_t *t, int internal_ok)
{
	char err[KS_ERRSTR_SIZE], st[6];
	int rc;

	ks_seterr(err, sizeof(err), 0, "%s", t->errstr);
	ks_seterr(st, sizeof(st), 0, "%s", t->sqlstate);
	t->iso.nbad = 0;
	t->iso.good = 0;
	if ((rc = ks_jdbc_plan(t, 0, t->nstaged)) || (rc = ks_jdbc_prepare(t)))
		return rc;
	/* deferred constraints fire at their row, not at a COMMIT we never run */
	if ((rc = ks_jdbc_exec(t, "BEGIN", "BEGIN")) ||
	    (rc = ks_jdbc_exec(t, "SET CONSTRAINTS ALL IMMEDIATE", "SET CONSTRAINTS")))
		goto out;
	for (size_t i = 0; i < t->plan.ngroups && !rc; i++) {
		const jgroup_t *g = &t->plan.groups[i];
		const jlayout_t *l = g->layout;
		ks_buf_t copy = KS_BUF_INIT, merge = KS_BUF_INIT;

		if (l->skip || !g->n ||
		    (!l->is_delete && t->set.insert_mode == KS_JDBC_UPDATE && l->ncols == l->nkeys))
			continue; /* as write_group */
		ks_jdbc_group_sql(t, g->table, l, &copy, &merge);
		if (ks_buf_failed(&copy) || ks_buf_failed(&merge)) {
			ks_seterr(t->errstr, sizeof(t->errstr), 0, "out of memory");
			rc = KS_ERR_FATAL;
		} else {
			size_t bs = (size_t)t->set.batch_size;
			for (size_t from = 0; from < g->n && !rc; from += bs)
				rc = iso_range(t, g, copy.data, merge.data, from,
				               from + bs < g->n ? from + bs : g->n, internal_ok);
		}
		ks_buf_free(&copy);
		ks_buf_free(&merge);
	}
out:
	ks_jdbc_rollback(t);
	if (rc) {
		t->iso.nbad = 0;
		return rc == KS_ERR_RECORD ? KS_ERR_FATAL : rc;
	}
	/* internal errors while nothing goes in: the server's trouble */
	int outage = !t->iso.nbad && !strncmp(st, "XX", 2);
	for (size_t i = 0; i < t->iso.nbad && !t->iso.good; i++)
		outage |= !strncmp(t->iso.bad[i].sqlstate, "XX", 2);
	if (outage) {
		t->iso.nbad = 0;
		ks_seterr(t->errstr, sizeof(t->errstr), 0, "%s", err);
		ks_seterr(t->sqlstate, sizeof(t->sqlstate), 0, "%s", st);
		return KS_ERR_RETRIABLE;
	}
	if (!t->iso.nbad) {
		ks_seterr(t->errstr, sizeof(t->errstr), 0,
		          "%s (the batch of %zu fails, but no record fails on its own)", err,
		          t->nstaged);
		ks_seterr(t->sqlstate, sizeof(t->sqlstate), 0, "%s", st);
		return KS_ERR_FATAL;
	}
	qsort(t->iso.bad, t->iso.nbad, sizeof(*t->iso.bad), cmp_bad);
	t->bad_index = t->iso.bad[0].index;
	ks_seterr(t->errstr, sizeof(t->errstr), 0, "%s", t->iso.bad[0].errstr);
	ks_seterr(t->sqlstate, sizeof(t->sqlstate), 0, "%s", t->iso.bad[0].sqlstate);
	return KS_ERR_RECORD;
}

static void result_set(ks_sink_task_t *t, ks_commit_result_t *res, ks_err_t err)
{
	res->err = err;
	ks_seterr(res->errstr, sizeof(res->errstr), 0, "%s", t->errstr);
	ks_seterr(res->code, sizeof(res->code), 0, "%s", t->sqlstate);
	ks_seterr(res->exception, sizeof(res->exception), 0, "%s", exception_of(t->sqlstate));
}

/* The bad records found (t->iso.bad, or the one at t->bad_index): each to
 * the errant-record reporter, then out of the batch, then one wait for the
 * reports to be safe before the rest commits past them. KS_OK (write the
 * rest); else what the reporter answered, in *err (t->errstr says why):
 * the caller ends commit() with it. A DLQ outage (RETRIABLE) is not the
 * database's: the session stays. */
static ks_err_t report_bad(ks_sink_task_t *t)
{
	jbad_t one;
	const jbad_t *bad = t->iso.bad;
	size_t nbad = t->iso.nbad;
	ks_err_t err;

	if (!nbad) {
		one.index = t->bad_index;
		ks_seterr(one.errstr, sizeof(one.errstr), 0, "%s", t->errstr);
		ks_seterr(one.sqlstate, sizeof(one.sqlstate), 0, "%s", t->sqlstate);
		bad = &one;
		nbad = 1;
	}
	if (nbad > 1)
		KS_WARN(t->ctx, "%zu records of the batch of %zu fail on their own; first %zu: %s",
		        nbad, t->nstaged, bad[0].index, bad[0].errstr);
	else
		KS_WARN(t->ctx, "record %zu of the batch is bad: %s", bad[0].index, bad[0].errstr);
	if (!t->rep)
		return KS_ERR_RECORD; /* no reporter: t->errstr names the first */
	for (size_t i = 0; i < nbad; i++) {
		if (bad[i].index >= t->nstaged) {
			ks_seterr(t->errstr, sizeof(t->errstr), 0,
			          "internal: bad record %zu of a batch of %zu", bad[i].index,
			          t->nstaged);
			return KS_ERR_FATAL;
		}
		err = t->rep->report(t->rep, t->staged[bad[i].index], exception_of(bad[i].sqlstate),
		                     bad[i].errstr);
		if (err != KS_OK) {
			ks_seterr(t->errstr, sizeof(t->errstr), 0, "%s", bad[i].errstr);
			ks_seterr(t->sqlstate, sizeof(t->sqlstate), 0, "%s", bad[i].sqlstate);
			return err;
		}
	}
	for (size_t i = nbad; i-- > 0;)
		ks_jdbc_staged_remove(t, bad[i].index);
	t->iso.nbad = 0;
	t->sqlstate[0] = 0;
	return t->rep->flush(t->rep, t->errstr, sizeof(t->errstr));
}

/* After a failed attempt with a RETRIABLE error, as it left the session: a
 * vanished table reloads the catalog; anything else retries on a new
 * session, after retry.backoff.ms unless the connection was lost. Returns
 * whether the next attempt backs off. */
static int retry_prepare(ks_sink_task_t *t, ks_err_t rc)
{
	int backoff;

	if (rc != KS_ERR_RETRIABLE)
		return 0;
	if (ks_jdbc_stale(t)) {
		for (jtable_t *tb = t->cat.tables; tb; tb = tb->next)
			tb->resolved = 0;
		return 0;
	}
	backoff = !ks_jdbc_conn_lost(t);
	ks_jdbc_conn_drop(t); /* retries run on a new session */
	return backoff;
}

/* Whether the batch went into a stream that commit() ends first. */
static int stream_open(const ks_sink_task_t *t)
{
	return t->st.state == ST_ON || t->st.state == ST_STOPPED || t->st.state == ST_BROKEN;
}

/* The rest of commit() once the stream was ended with rc (tried), or
 * without a stream (!tried): the retries, isolation, and res. */
static void commit_end(ks_sink_task_t *t, const ks_tp_offset_t *offs, size_t n,
                       ks_commit_result_t *res, int tried, ks_err_t rc)
{
	ks_err_t rerr = KS_OK;
	int first = 0, streamed = 0, backoff = 0;

	if (tried) {
		if (rc == KS_OK) {
			streamed = t->st.n == t->nstaged ? 2 : 1; /* 2: no rest */
			t->hooks.streamed_commits++;
			goto done;
		}
		if (rc == KS_ERR_FENCED)
			goto fail;
		if (rc != KS_ERR_RECORD) { /* RECORD: rolled back, the usual way */
			KS_WARN(t->ctx, "commit attempt 1 of %d failed: %s", t->set.max_retries + 1,
			        t->errstr);
			first = 1; /* that was the first attempt */
			backoff = retry_prepare(t, rc);
		}
	}
	t->st.state = ST_OFF;
	for (int attempt = first; attempt <= t->set.max_retries; attempt++) {
		t->errstr[0] = 0;
		t->sqlstate[0] = 0;
		if (attempt && backoff)
			ks_jdbc_sleep_ms(t->set.retry_backoff_ms);
		backoff = 0;
		if ((rc = ks_jdbc_conn_ensure(t)))
			goto fail; /* unreachable after connection.attempts: RETRIABLE */
		if (t->db.commit_unknown && n) {
			/* did the last COMMIT happen? The offsets say so exactly
			 * when they equal what we were writing. */
			int same = 0;
			if ((rc = ks_jdbc_offsets_equal(t, offs, n, &same))) {
				int lost = rc == KS_ERR_RETRIABLE && ks_jdbc_conn_lost(t);
				backoff = rc == KS_ERR_RETRIABLE && !lost && !ks_jdbc_stale(t);
				if (lost)
					ks_jdbc_conn_drop(t);
				continue;
			}
			t->db.commit_unknown = 0;
			if (same) {
				KS_INFO(t->ctx, "the COMMIT whose acknowledgement was lost did "
				                "happen (offsets match): not writing again");
				break;
			}
		}
		if ((rc = ks_jdbc_plan(t, 0, t->nstaged)) || (rc = ks_jdbc_prepare(t)) ||
		    (rc = ks_jdbc_run_tx(t, offs, n, 1))) {
			/* an internal error that outlasted the retry budget may be
			 * one record's, as a data error may */
			int last = attempt == t->set.max_retries;
			if ((rc == KS_ERR_RECORD && t->bad_index == KS_JDBC_UNPINNED) ||
			    (rc == KS_ERR_RETRIABLE && last && !ks_jdbc_conn_lost(t) &&
			     !strncmp(t->sqlstate, "XX", 2))) {
				KS_WARN(t->ctx,
				        "batch of %zu failed (%s); isolating the bad records",
				        t->nstaged, t->errstr);
				rc = isolate(t, last);
				if (rc == KS_ERR_FATAL)
					goto fail;
			}
			if (rc == KS_ERR_RECORD) {
				/* reported and out of the batch: write the rest
				 * (not an attempt: every pass removes a record) */
				ks_jdbc_groups_clear(t);
				if ((rerr = report_bad(t)) != KS_OK)
					goto fail;
				attempt--;
				continue;
			}
			if (rc == KS_ERR_FATAL || rc == KS_ERR_FENCED)
				goto fail;
			backoff = retry_prepare(t, rc);
			KS_WARN(t->ctx, "commit attempt %d of %d failed: %s", attempt + 1,
			        t->set.max_retries + 1, t->errstr);
			continue;
		}
		rc = KS_OK;
		break;
	}
done:
	if (rc == KS_OK) {
		KS_DEBUG(t->ctx, "committed %zu records, %zu offsets%s", t->nstaged, n,
		         streamed ? " (streamed)" : "");
		/* the next batch streams when this one was that simple */
		if (streamed != 2) {
			t->st.warm_tb = NULL;
			t->st.warm_l = NULL;
			if (t->plan.ngroups == 1 && !t->plan.groups[0].layout->is_delete) {
				t->st.warm_tb = t->plan.groups[0].table;
				t->st.warm_l = t->plan.groups[0].layout;
			}
		}
		t->nstaged = 0;
		t->st.state = ST_OFF;
		ks_jdbc_groups_clear(t);
		return;
	}
fail:
	t->st.state = ST_OFF;
	ks_jdbc_groups_clear(t);
	if (rerr != KS_OK) {
		/* the reporter refused a record (errors.tolerance=none), or the
		 * DLQ could not take the reports yet (RETRIABLE: the records
		 * reported are out of the batch, the rest waits) */
		result_set(t, res, rerr);
	} else if (rc == KS_ERR_FENCED) {
		/* a zombie's batch: never retried (the new owner writes it) */
		KS_WARN(t->ctx, "%s", t->errstr);
		result_set(t, res, KS_ERR_FENCED);
		res->fenced = t->off.fenced;
		res->nfenced = t->off.nfenced;
	} else if (rc == KS_ERR_FATAL || rc == KS_ERR_RECORD) {
		KS_ERROR(t->ctx, "commit failed: %s", t->errstr);
		result_set(t, res, KS_ERR_FATAL);
	} else {
		/* the next call starts on a new session (a role's settings, a
		 * server-side change take effect) */
		ks_jdbc_conn_drop(t);
		result_set(t, res, KS_ERR_RETRIABLE);
	}
}

void ks_jdbc_commit(ks_sink_task_t *t, const ks_tp_offset_t *offs, size_t n,
                    ks_commit_result_t *res)
{
	memset(res, 0, sizeof(*res));
	t->iso.nbad = 0;
	if (!t->nstaged && !n) {
		ks_jdbc_stream_abort(t);
		return;
	}
	if (stream_open(t))
		commit_end(t, offs, n, res, 1, ks_jdbc_stream_finish(t, offs, n));
	else
		commit_end(t, offs, n, res, 0, KS_OK);
}

/* The overlap (connector.h, commit_send): only the streamed path splits,
 * at the one statement that is both long and the last before the offsets,
 * the merge of the staging table into the table (profile.md: most of an
 * upsert's time in Postgres). The offsets with their fence check and the
 * COMMIT stay in commit_wait, in the same transaction, so exactly-once is
 * commit()'s; a failed merge is rolled back and handed to commit()'s own
 * fallback (the batch written the usual way, isolation), so the result is
 * what commit() would have returned. */
int ks_jdbc_commit_send(ks_sink_task_t *t, const ks_tp_offset_t *offs, size_t n,
                        ks_commit_result_t *res)
{
	int sent = 0;
	ks_err_t rc;

	if (!stream_open(t) || (!t->nstaged && !n)) {
		ks_jdbc_commit(t, offs, n, res);
		return 0;
	}
	memset(res, 0, sizeof(*res));
	t->iso.nbad = 0;
	rc = ks_jdbc_stream_send(t, &sent);
	if (rc == KS_OK && sent) {
		t->fl_offs = offs;
		t->fl_n = n;
		t->in_flight = 1;
		return 1;
	}
	if (rc == KS_OK)
		rc = ks_jdbc_commit_tx(t, offs, n);
	commit_end(t, offs, n, res, 1, rc);
	return 0;
}

int ks_jdbc_commit_ready(ks_sink_task_t *t)
{
	return !t->in_flight || ks_jdbc_stream_ready(t);
}

void ks_jdbc_commit_wait(ks_sink_task_t *t, ks_commit_result_t *res)
{
	ks_err_t rc;

	memset(res, 0, sizeof(*res));
	if (!t->in_flight)
		return;
	t->in_flight = 0;
	rc = ks_jdbc_stream_merge_wait(t);
	if (rc != KS_OK)
		KS_INFO(t->ctx, "the merge in flight failed (%s): as commit() from here: %s",
		        ks_err_name(rc), t->errstr);
	else
		rc = ks_jdbc_commit_tx(t, t->fl_offs, t->fl_n);
	commit_end(t, t->fl_offs, t->fl_n, res, 1, rc);
	t->fl_offs = NULL;
	t->fl_n = 0;
}
