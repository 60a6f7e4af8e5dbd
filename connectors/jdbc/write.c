/*
 * write.c — the data transaction: per group a binary COPY (straight into
 * the table for insert mode when every column type matches, else into the
 * layout's staging table, then INSERT .. SELECT [ON CONFLICT .. DO UPDATE] /
 * UPDATE .. FROM / DELETE .. USING), batch.size rows at a time; an upsert
 * first tries COPY straight into the table under a savepoint (below); then the
 * offsets with the fence check (fence.c) and COMMIT, with the test hooks
 * of testhooks.c.
 * Values only travel as COPY data; identifiers are always quoted (sql.c).
 */
#include "sink.h"

#include <stdlib.h>
#include <string.h>

/* --- the data transaction --- */

static void stage_expr(ks_buf_t *b, const jtable_t *tb, const jcol_t *c)
{
	const dbcol_t *d = &tb->cols[c->dbi];
	char scat;
	int cast;

	switch (c->pt.kind) {
	case KS_PGK_BOOL:
		scat = 'B';
		break;
	case KS_PGK_TEXT:
		scat = 'S';
		break;
	case KS_PGK_DATE:
	case KS_PGK_TIME:
	case KS_PGK_TIMESTAMPTZ:
		scat = 'D';
		break;
	case KS_PGK_BYTEA:
	case KS_PGK_JSONB:
		scat = 'U';
		break;
	default:
		scat = 'N';
	}
	if (c->pt.array)
		scat = 'A';
	cast = d->oid != c->pt.oid && (d->cat != scat || scat == 'A' || scat == 'U');
	if (cast)
		ks_buf_puts(b, "CAST(");
	ks_buf_puts(b, "s.");
	ks_jdbc_quote_ident(b, c->name);
	if (cast)
		ks_buf_printf(b, " AS %s)", d->type); /* format_type() output is valid SQL */
}

const char ks_jdbc_copy_header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";

/* Encodes rows [from, to) of g into t->data as one binary COPY stream. */
static ks_err_t copy_encode(ks_sink_task_t *t, const jgroup_t *g, size_t from, size_t to,
                            size_t ncols)
{
	ks_buf_t *d = &t->data;

	ks_buf_reset(d);
	ks_buf_append(d, ks_jdbc_copy_header, sizeof(ks_jdbc_copy_header));
	for (size_t i = from; i < to; i++)
		if (ks_jdbc_encode_row(t, d, g->layout, 0, ncols, t->staged[g->rows[i]])) {
			t->bad_index = g->rows[i];
			return KS_ERR_RECORD;
		}
	ks_buf_append(d, "\377\377", 2);
	if (ks_buf_failed(d)) {
		ks_seterr(t->errstr, sizeof(t->errstr), 0, "out of memory");
		return KS_ERR_FATAL;
	}
	return 0;
}

/* Runs copy_sql with t->data as its data. */
static ks_err_t copy_send(ks_sink_task_t *t, const char *copy_sql)
{
	ks_buf_t *d = &t->data;
	PGresult *res;
	int rc = 0;

	res = PQexec(t->db.conn, copy_sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		rc = ks_jdbc_sql_error(t, res, "COPY");
		PQclear(res);
		return rc;
	}
	PQclear(res);
	if (PQputCopyData(t->db.conn, d->data, (int)d->len) != 1 ||
	    PQputCopyEnd(t->db.conn, NULL) != 1)
		return ks_jdbc_sql_error(t, NULL, "COPY data");
	while ((res = PQgetResult(t->db.conn))) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && !rc)
			rc = ks_jdbc_sql_error(t, res, "COPY");
		PQclear(res);
	}
	return rc;
}

ks_err_t ks_jdbc_copy_rows(ks_sink_task_t *t, const char *copy_sql, const jgroup_t *g, size_t from,
                           size_t to, size_t ncols)
{
	ks_err_t rc = copy_encode(t, g, from, to, ncols);

	return rc != KS_OK ? rc : copy_send(t, copy_sql);
}

void ks_jdbc_copy_sql(const jtable_t *tb, const jlayout_t *l, int into_table, ks_buf_t *copy)
{
	size_t ncols = l->is_delete ? l->nkeys : l->ncols;

	ks_buf_puts(copy, "COPY ");
	if (into_table)
		ks_buf_puts(copy, tb->qname);
	else
		ks_buf_printf(copy, "ks_stage_%d", l->id);
	ks_buf_puts(copy, " (");
	for (size_t i = 0; i < ncols; i++) {
		if (i)
			ks_buf_putc(copy, ',');
		ks_jdbc_quote_ident(copy,
		                    into_table ? tb->cols[l->cols[i].dbi].name : l->cols[i].name);
	}
	ks_buf_puts(copy, ") FROM STDIN (FORMAT binary)");
}

/* The COPY statement of layout l (into the table when l->direct, else into
 * its staging table) and, unless direct, the statement that applies the
 * staged rows to the table. */
void ks_jdbc_group_sql(ks_sink_task_t *t, const jtable_t *tb, const jlayout_t *l, ks_buf_t *copy,
                       ks_buf_t *merge)
{
	ks_jdbc_copy_sql(tb, l, l->direct, copy);
	/* the merge statement */
	if (!l->direct) {
		ks_buf_t *m = merge;
		if (l->is_delete || t->set.insert_mode == KS_JDBC_UPDATE) {
			if (l->is_delete)
				ks_buf_printf(m, "DELETE FROM %s AS t USING ks_stage_%d s WHERE ",
				              tb->qname, l->id);
			else {
				ks_buf_printf(m, "UPDATE %s AS t SET ", tb->qname);
				for (size_t i = l->nkeys; i < l->ncols; i++) {
					if (i > l->nkeys)
						ks_buf_puts(m, ", ");
					ks_jdbc_quote_ident(m, tb->cols[l->cols[i].dbi].name);
					ks_buf_puts(m, " = ");
					stage_expr(m, tb, &l->cols[i]);
				}
				ks_buf_printf(m, " FROM ks_stage_%d s WHERE ", l->id);
			}
			for (size_t i = 0; i < l->nkeys; i++) {
				if (i)
					ks_buf_puts(m, " AND ");
				ks_buf_puts(m, "t.");
				ks_jdbc_quote_ident(m, tb->cols[l->cols[i].dbi].name);
				ks_buf_puts(m, " = ");
				stage_expr(m, tb, &l->cols[i]);
			}
		} else {
			ks_buf_printf(m, "INSERT INTO %s (", tb->qname);
			for (size_t i = 0; i < l->ncols; i++) {
				if (i)
					ks_buf_putc(m, ',');
				ks_jdbc_quote_ident(m, tb->cols[l->cols[i].dbi].name);
			}
			ks_buf_puts(m, ") SELECT ");
			for (size_t i = 0; i < l->ncols; i++) {
				if (i)
					ks_buf_putc(m, ',');
				stage_expr(m, tb, &l->cols[i]);
			}
			ks_buf_printf(m, " FROM ks_stage_%d s", l->id);
			/* rows in key order: tasks upserting the same table then
			 * lock rows in the same order and cannot deadlock */
			for (size_t i = 0; i < l->nkeys; i++) {
				ks_buf_puts(m, i ? ", s." : " ORDER BY s.");
				ks_jdbc_quote_ident(m, l->cols[i].name);
			}
			if (t->set.insert_mode == KS_JDBC_UPSERT) {
				ks_buf_puts(m, " ON CONFLICT (");
				for (size_t i = 0; i < l->nkeys; i++) {
					if (i)
						ks_buf_putc(m, ',');
					ks_jdbc_quote_ident(m, tb->cols[l->cols[i].dbi].name);
				}
				if (l->ncols == l->nkeys) {
					ks_buf_puts(m, ") DO NOTHING");
				} else {
					ks_buf_puts(m, ") DO UPDATE SET ");
					for (size_t i = l->nkeys; i < l->ncols; i++) {
						const char *cn = tb->cols[l->cols[i].dbi].name;
						if (i > l->nkeys)
							ks_buf_putc(m, ',');
						ks_jdbc_quote_ident(m, cn);
						ks_buf_puts(m, "=EXCLUDED.");
						ks_jdbc_quote_ident(m, cn);
					}
				}
			}
		}
	}
}

/* --- upsert: COPY first ---
 *
 * Most upserts bring keys the table does not have yet (append with a
 * primary key), and for those a COPY straight into the table does what the
 * stage + INSERT .. ON CONFLICT merge does at the cost of an insert. So an
 * upsert group (its keys are unique: plan.c reduced the batch to the last
 * change per key, and a key's delete runs before its write) is first
 * COPYed into the table inside a savepoint. A key already there raises a
 * unique violation (23505): the savepoint is rolled back, so no row of the
 * COPY stays, and the group takes the merge. Only when a non-deferrable,
 * non-partial unique index on exactly the key columns exists (ddl.c), so
 * that COPY fails exactly where ON CONFLICT would arbitrate; otherwise, or
 * with ksink.upsert.copy=false, always the merge.
 *
 * A conflict is remembered per layout: the next merge_span writes merge
 * directly, and merge_span doubles up to MERGE_SPAN_MAX while COPY keeps
 * meeting conflicts (a stream of updates pays for one wasted COPY in
 * MERGE_SPAN_MAX batches), back to 1 after a COPY that went in. */

#define MERGE_SPAN_MAX 64

int ks_jdbc_copy_first(ks_sink_task_t *t, const jtable_t *tb, jlayout_t *l)
{
	if (t->set.insert_mode != KS_JDBC_UPSERT || l->is_delete)
		return 0;
	if (!t->set.upsert_copy || !l->copy_ok || l->copy_gen != tb->gen || l->merge_left > 0) {
		if (l->merge_left > 0)
			l->merge_left--;
		t->hooks.upsert_merged++;
		return 0;
	}
	return 1;
}

void ks_jdbc_copy_conflict(ks_sink_task_t *t, jlayout_t *l, int extra)
{
	if (l->merge_span < 1)
		l->merge_span = 1;
	l->merge_left = l->merge_span + extra;
	KS_DEBUG(t->ctx,
	         "upsert: a key of the COPY is already in the table: merging; the next %d "
	         "write(s) of this layout merge directly",
	         l->merge_left);
	if (l->merge_span < MERGE_SPAN_MAX)
		l->merge_span *= 2;
	t->hooks.upsert_fallbacks++;
}

/* COPY of group g into the table under a savepoint: KS_OK with *merge 0
 * (went in) or 1 (rolled back to the savepoint: merge instead; *encoded
 * when t->data still holds the whole group as COPY data), or the error. */
static ks_err_t copy_upsert(ks_sink_task_t *t, const jgroup_t *g, size_t bs, int *encoded,
                            int *merge)
{
	jlayout_t *l = g->layout;
	ks_buf_t copy = KS_BUF_INIT;
	int rc;

	*encoded = 0;
	*merge = 0;
	ks_jdbc_copy_sql(g->table, l, 1, &copy);
	if (ks_buf_failed(&copy)) {
		ks_buf_free(&copy);
		ks_seterr(t->errstr, sizeof(t->errstr), 0, "out of memory");
		return KS_ERR_FATAL;
	}
	if ((rc = ks_jdbc_exec(t, "SAVEPOINT ks_copy", "SAVEPOINT"))) {
		ks_buf_free(&copy);
		return rc == KS_ERR_RECORD ? KS_ERR_FATAL : rc;
	}
	for (size_t from = 0; from < g->n && !rc; from += bs)
		rc = ks_jdbc_copy_rows(t, copy.data, g, from, from + bs < g->n ? from + bs : g->n,
		                       l->ncols);
	ks_buf_free(&copy);
	if (!rc) {
		if ((rc = ks_jdbc_exec(t, "RELEASE SAVEPOINT ks_copy", "RELEASE")))
			return rc == KS_ERR_RECORD ? KS_ERR_FATAL : rc;
		l->merge_span = 1;
		t->hooks.upsert_copied++;
		return 0;
	}
	/* a key already there; any other data error (the merge meets it
	 * again and the usual isolation follows); a deadlock with another
	 * task (COPY is not in key order, the merge is) */
	if ((rc == KS_ERR_RECORD && t->bad_index == KS_JDBC_UNPINNED) ||
	    (rc == KS_ERR_RETRIABLE && !ks_jdbc_conn_lost(t) && !strcmp(t->sqlstate, "40P01"))) {
		int conflict = !strcmp(t->sqlstate, "23505");
		int rc2 =
		        ks_jdbc_exec(t, "ROLLBACK TO SAVEPOINT ks_copy; RELEASE SAVEPOINT ks_copy",
		                     "ROLLBACK TO");
		if (rc2)
			return rc2 == KS_ERR_RECORD ? KS_ERR_FATAL : rc2;
		if (conflict)
			ks_jdbc_copy_conflict(t, l, 0);
		t->errstr[0] = 0;
		t->sqlstate[0] = 0;
		*encoded = g->n <= bs;
		*merge = 1;
		return KS_OK;
	}
	return rc;
}

ks_err_t ks_jdbc_write_group(ks_sink_task_t *t, const jgroup_t *g)
{
	jtable_t *tb = g->table;
	jlayout_t *l = g->layout;
	ks_buf_t copy = KS_BUF_INIT, merge = KS_BUF_INIT;
	size_t ncols = l->is_delete ? l->nkeys : l->ncols;
	size_t bs = (size_t)t->set.batch_size;
	int rc = 0, encoded = 0, merging = 0;

	if (l->skip || !g->n)
		return 0;
	if (!l->is_delete && t->set.insert_mode == KS_JDBC_UPDATE && l->ncols == l->nkeys)
		return 0; /* nothing to update */
	if (ks_jdbc_copy_first(t, tb, l) &&
	    ((rc = copy_upsert(t, g, bs, &encoded, &merging)) || !merging))
		return rc;
	rc = 0;
	ks_jdbc_group_sql(t, tb, l, &copy, &merge);
	if (ks_buf_failed(&copy) || ks_buf_failed(&merge)) {
		ks_seterr(t->errstr, sizeof(t->errstr), 0, "out of memory");
		rc = KS_ERR_FATAL;
		goto out;
	}
	for (size_t from = 0; from < g->n && !rc; from += bs) {
		size_t to = from + bs < g->n ? from + bs : g->n;
		/* after a COPY that met a conflict, t->data may hold the rows */
		if ((rc = encoded ? copy_send(t, copy.data)
		                  : ks_jdbc_copy_rows(t, copy.data, g, from, to, ncols)))
			break;
		encoded = 0;
		if (!l->direct) {
			char trunc[64];
			if ((rc = ks_jdbc_exec(t, merge.data, l->is_delete ? "DELETE" : "write")))
				break;
			if (to < g->n) {
				ks_seterr(trunc, sizeof(trunc), 0, "TRUNCATE ks_stage_%d", l->id);
				rc = ks_jdbc_exec(t, trunc, "TRUNCATE");
			}
		}
	}
out:
	ks_buf_free(&copy);
	ks_buf_free(&merge);
	return rc;
}

/* Ends the data transaction: the offsets with the fence check (fence.c),
 * COMMIT (with the test hooks); rolls back on an error other than a lost
 * connection, and when fenced. */
ks_err_t ks_jdbc_commit_tx(ks_sink_task_t *t, const ks_tp_offset_t *offs, size_t noffs)
{
	int rc;

	if (t->hooks.before_fence)
		t->hooks.before_fence(t->hooks.before_fence_arg);
	rc = ks_jdbc_offsets_commit(t, offs, noffs);
	if (!rc && t->hooks.after_fence)
		t->hooks.after_fence(t->hooks.after_fence_arg);

	if (!rc && t->hooks.fail_commits > 0) {
		t->hooks.fail_commits--;
		ks_seterr(t->errstr, sizeof(t->errstr), 0,
		          "injected failure before COMMIT (test hook)");
		ks_seterr(t->sqlstate, sizeof(t->sqlstate), 0, "08006");
		rc = KS_ERR_RETRIABLE;
	}
	if (!rc) {
		rc = ks_jdbc_exec(t, "COMMIT", "COMMIT");
		if (!rc && t->hooks.lose_acks > 0) {
			t->hooks.lose_acks--;
			ks_seterr(t->errstr, sizeof(t->errstr), 0,
			          "injected loss of the COMMIT acknowledgement (test hook)");
			ks_seterr(t->sqlstate, sizeof(t->sqlstate), 0, "08006");
			rc = KS_ERR_RETRIABLE;
		}
		/* the server may or may not have committed: the offsets table
		 * tells on the next attempt */
		t->db.commit_unknown = rc == KS_ERR_RETRIABLE && ks_jdbc_conn_lost(t);
		if (t->db.commit_unknown) {
			ks_jdbc_offsets_tx_end(t, 0);
			return rc;
		}
	}
	ks_jdbc_offsets_tx_end(t, rc == KS_OK);
	if (rc)
		ks_jdbc_rollback(t);
	return rc;
}

/* One transaction: the planned groups (+ offsets); commit or roll back. */
ks_err_t ks_jdbc_run_tx(ks_sink_task_t *t, const ks_tp_offset_t *offs, size_t noffs, int commit)
{
	int rc;

	if ((rc = ks_jdbc_exec(t, "BEGIN", "BEGIN")))
		return rc;
	for (size_t i = 0; i < t->plan.ngroups && !rc; i++)
		rc = ks_jdbc_write_group(t, &t->plan.groups[i]);
	if (!rc && commit)
		return ks_jdbc_commit_tx(t, offs, noffs);
	ks_jdbc_rollback(t);
	return rc;
}
