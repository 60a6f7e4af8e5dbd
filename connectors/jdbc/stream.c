/*
 * stream.c — the JDBC sink task's streamed COPY (see the comment below):
 * the data transaction starts while the batch is still being put.
 */
#include "sink.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

/* --- streaming: the COPY runs while the batch is still being read ---
 *
 * Without it the worker and Postgres take turns: the task polls and
 * decodes a whole batch while the database idles, then the database
 * writes it while the task waits (profile: bench/results/profile.md).
 * When the last batch went to one table through one layout that needs no
 * DDL (the "warm" layout), the next one most likely does too: the first
 * put() of a batch then opens the data transaction and the COPY (into the
 * table, or into the layout's staging table; an upsert into the table when
 * write.c's COPY-first says so), and every put() sends its
 * records' rows without waiting (libpq nonblocking), so Postgres parses and
 * stores them while the worker reads on.
 *
 * The stream takes the leading records that fit; the first that does not
 * (another table or layout, a tombstone, a key the stream already has, a
 * value that does not encode) ends it. commit() ends the COPY, applies the
 * staging table, writes the remaining records the usual way in the same
 * transaction when their layouts need no DDL, then offsets and COMMIT. If
 * anything goes wrong (or the rest needs DDL) it rolls back and writes the
 * batch the usual way, which also pins bad records. */

#define STREAM_SEND_BYTES (64u << 10)

/* table and columns known, staging table created, on this connection */
static int layout_ready(const jtable_t *tb, const jlayout_t *l)
{
	return tb && l && tb->resolved && tb->exists && !tb->bad && !l->failed && !l->skip &&
	       l->matched_gen == tb->gen && (l->direct || l->stage_ready);
}

static int layout_warm(const ks_sink_task_t *t, const jtable_t *tb, const jlayout_t *l)
{
	return t->db.conn && PQstatus(t->db.conn) == CONNECTION_OK && layout_ready(tb, l) &&
	       !l->is_delete && !(t->set.insert_mode == KS_JDBC_UPDATE && l->ncols == l->nkeys);
}

/* Sends everything libpq holds, waiting for the socket as needed. */
static int flush_blocking(PGconn *conn)
{
	int r;

	while ((r = PQflush(conn)) == 1) {
		struct pollfd p = {PQsocket(conn), POLLIN | POLLOUT, 0};
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return -1;
		if ((p.revents & POLLIN) && !PQconsumeInput(conn))
			return -1;
	}
	return r;
}

/* Back to a blocking connection with the COPY ended (error text kept). */
static int stream_end_copy(ks_sink_task_t *t, const char *abort_msg)
{
	if (flush_blocking(t->db.conn) || PQsetnonblocking(t->db.conn, 0) ||
	    PQputCopyEnd(t->db.conn, abort_msg) != 1)
		return -1;
	return 0;
}

/* Drops an open stream: its transaction is rolled back. */
void ks_jdbc_stream_abort(ks_sink_task_t *t)
{
	PGresult *res;
	int st = t->st.state;

	t->st.state = ST_OFF;
	if (st == ST_OFF || st == ST_NONE || !t->db.conn)
		return;
	if (stream_end_copy(t, "batch dropped")) {
		ks_jdbc_conn_drop(t);
		return;
	}
	while ((res = PQgetResult(t->db.conn)))
		PQclear(res);
	PQclear(PQexec(t->db.conn, "ROLLBACK"));
}

/* Hands the rows gathered so far to libpq (sends what the socket takes). */
static void stream_send(ks_sink_task_t *t)
{
	if (!t->st.buf.len || t->st.state == ST_BROKEN)
		return;
	if (ks_buf_failed(&t->st.buf) ||
	    PQputCopyData(t->db.conn, t->st.buf.data, (int)t->st.buf.len) != 1 ||
	    PQflush(t->db.conn) < 0)
		t->st.state = ST_BROKEN;
	ks_buf_reset(&t->st.buf);
}

static int stream_start(ks_sink_task_t *t)
{
	ks_buf_t copy = KS_BUF_INIT, merge = KS_BUF_INIT;
	PGresult *res;
	int ok;

	if (t->db.commit_unknown || PQtransactionStatus(t->db.conn) != PQTRANS_IDLE)
		return -1;
	/* upsert, COPY first (write.c): no savepoint needed, a conflict rolls
	 * the stream back and the batch is redone with the merge */
	t->st.into_table = ks_jdbc_copy_first(t, t->st.warm_tb, t->st.warm_l);
	if (t->st.into_table)
		ks_jdbc_copy_sql(t->st.warm_tb, t->st.warm_l, 1, &copy);
	else
		ks_jdbc_group_sql(t, t->st.warm_tb, t->st.warm_l, &copy, &merge);
	ok = !ks_buf_failed(&copy) && !ks_jdbc_exec(t, "BEGIN", "BEGIN");
	if (ok) {
		res = PQexec(t->db.conn, copy.data);
		ok = PQresultStatus(res) == PGRES_COPY_IN;
		PQclear(res);
		t->st.state = ST_ON;
		if (!ok || PQsetnonblocking(t->db.conn, 1)) {
			ks_jdbc_stream_abort(t);
			ok = 0;
		}
	}
	ks_buf_free(&copy);
	ks_buf_free(&merge);
	if (!ok)
		return -1;
	ks_buf_reset(&t->st.buf);
	ks_buf_reset(&t->st.keys);
	ks_buf_append(&t->st.buf, ks_jdbc_copy_header, sizeof(ks_jdbc_copy_header));
	if (t->st.cnt)
		memset(t->st.set, 0, t->st.cap * sizeof(*t->st.set));
	t->st.cnt = 0;
	t->st.n = 0;
	return 0;
}

/* Adds the key stored at st_keys[off, +len) to the stream's key set: 1
 * added, 0 already there, -1 out of memory. */
static int stream_key_add(ks_sink_task_t *t, size_t off, size_t len)
{
	uint64_t h = ks_jdbc_fnv(t->st.keys.data + off, len, 14695981039346656037ULL);
	size_t pos;

	if ((t->st.cnt + 1) * 2 > t->st.cap) {
		size_t nc = t->st.cap ? t->st.cap * 2 : 1024;
		kslot_t *ns = calloc(nc, sizeof(*ns));
		if (!ns)
			return -1;
		for (size_t i = 0; i < t->st.cap; i++) {
			if (!t->st.set[i].used)
				continue;
			pos = (size_t)t->st.set[i].h & (nc - 1);
			while (ns[pos].used)
				pos = (pos + 1) & (nc - 1);
			ns[pos] = t->st.set[i];
		}
		free(t->st.set);
		t->st.set = ns;
		t->st.cap = nc;
	}
	pos = (size_t)h & (t->st.cap - 1);
	while (t->st.set[pos].used) {
		kslot_t *k = &t->st.set[pos];
		if (k->h == h && k->len == len &&
		    !memcmp(t->st.keys.data + k->off, t->st.keys.data + off, len))
			return 0;
		pos = (pos + 1) & (t->st.cap - 1);
	}
	t->st.set[pos] = (kslot_t){.h = h, .off = off, .len = len, .used = 1};
	t->st.cnt++;
	return 1;
}

/* 1 when r goes into the stream (its row appended to st_buf), 0 when the
 * stream ends before r. */
static int stream_take(ks_sink_task_t *t, const ks_record_t *r)
{
	jlayout_t *l = t->st.warm_l;
	size_t mark = t->st.buf.len;

	if (!r->value || ks_jdbc_record_check(t, r))
		return 0;
	if (r->topic != t->st.topic) { /* topics are per-partition strings of the worker */
		if (ks_jdbc_table_for_topic(t, r->topic) != t->st.warm_tb)
			return 0;
		t->st.topic = r->topic;
	}
	if ((l->ks != r->key_schema || l->vs != r->value_schema) &&
	    ks_jdbc_layout_get(t, t->st.warm_tb, r, 0) != l)
		return 0;
	if (t->set.pk_mode == KS_JDBC_PK_RECORD_KEY || t->set.pk_mode == KS_JDBC_PK_RECORD_VALUE) {
		/* ON CONFLICT cannot touch a row twice: a repeated key ends it */
		size_t koff = t->st.keys.len;
		if (ks_jdbc_encode_row(t, &t->st.keys, l, 0, l->nkeys, r) ||
		    ks_buf_failed(&t->st.keys) ||
		    stream_key_add(t, koff, t->st.keys.len - koff) != 1) {
			t->st.keys.len = koff;
			return 0;
		}
	}
	if (ks_jdbc_encode_row(t, &t->st.buf, l, 0, l->ncols, r)) {
		t->st.buf.len = mark;
		return 0;
	}
	return 1;
}

/* put(): staged[from, to) were just added. */
void ks_jdbc_stream_feed(ks_sink_task_t *t, size_t from, size_t to)
{
	if (t->st.state == ST_OFF) {
		t->st.state = ST_NONE;
		t->st.topic = NULL;
		if (from != 0 || !layout_warm(t, t->st.warm_tb, t->st.warm_l) || stream_start(t))
			return;
	}
	if (t->st.state != ST_ON)
		return;
	for (size_t i = from; i < to; i++) {
		if (!stream_take(t, t->staged[i])) {
			t->st.state = ST_STOPPED;
			break;
		}
		t->st.n = i + 1;
	}
	if (t->st.buf.len >= STREAM_SEND_BYTES)
		stream_send(t);
}

/* commit() with a stream open: see above. KS_OK; KS_ERR_RECORD (rolled
 * back: write the batch the usual way, which isolates a record's error);
 * or the error (rolled back unless the COMMIT's fate is unknown). */
/* The stream's transaction up to the offsets: COPY ended, the stage
 * merged, the rest written. With send and the merge the last statement
 * before the offsets, the merge is sent without waiting (*sent = 1: its
 * result is for stream_merge_wait). Errors as ks_jdbc_stream_finish, with
 * the transaction rolled back. */
static ks_err_t stream_close(ks_sink_task_t *t, int send, int *sent)
{
	jlayout_t *l = t->st.warm_l;
	ks_buf_t copy = KS_BUF_INIT, merge = KS_BUF_INIT;
	PGresult *res;
	int rc = 0;

	ks_buf_append(&t->st.buf, "\377\377", 2);
	stream_send(t);
	if (t->st.state == ST_BROKEN) {
		ks_jdbc_stream_abort(t);
		return KS_ERR_RECORD;
	}
	t->st.state = ST_OFF;
	if (stream_end_copy(t, NULL)) {
		rc = ks_jdbc_sql_error(t, NULL, "COPY data");
		goto fail;
	}
	while ((res = PQgetResult(t->db.conn))) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && !rc)
			rc = ks_jdbc_sql_error(t, res, "COPY");
		PQclear(res);
	}
	if (rc) {
		if (t->st.into_table && !strcmp(t->sqlstate, "23505"))
			ks_jdbc_copy_conflict(t, l, 1); /* the redo merges too */
		goto fail;
	}
	if (t->st.into_table) {
		l->merge_span = 1;
		t->hooks.upsert_copied++;
	} else if (!l->direct) {
		ks_jdbc_group_sql(t, t->st.warm_tb, l, &copy, &merge);
		if (ks_buf_failed(&merge)) {
			rc = KS_ERR_RECORD;
			goto fail;
		}
		if (send && t->st.n == t->nstaged) {
			/* the last statement before the offsets: in flight while
			 * the worker reads the next batch */
			if (PQsendQuery(t->db.conn, merge.data) != 1) {
				rc = ks_jdbc_sql_error(t, NULL, "write");
				goto fail;
			}
			*sent = 1;
		} else if ((rc = ks_jdbc_exec(t, merge.data, "write")))
			goto fail;
	}
	if (t->st.n < t->nstaged) {
		/* the rest, the usual way, when that needs no DDL */
		if (ks_jdbc_plan(t, t->st.n, t->nstaged)) {
			rc = KS_ERR_RECORD;
			goto fail;
		}
		for (size_t i = 0; i < t->plan.ngroups; i++)
			if (!layout_ready(t->plan.groups[i].table, t->plan.groups[i].layout)) {
				rc = KS_ERR_RECORD;
				goto fail;
			}
		if (!l->direct && !t->st.into_table) {
			char trunc[64];
			ks_seterr(trunc, sizeof(trunc), 0, "TRUNCATE ks_stage_%d", l->id);
			if ((rc = ks_jdbc_exec(t, trunc, "TRUNCATE")))
				goto fail;
		}
		for (size_t i = 0; i < t->plan.ngroups && !rc; i++)
			rc = ks_jdbc_write_group(t, &t->plan.groups[i]);
		if (rc)
			goto fail;
	}
	ks_buf_free(&copy);
	ks_buf_free(&merge);
	return KS_OK;
fail:
	ks_buf_free(&copy);
	ks_buf_free(&merge);
	if (t->db.conn && PQstatus(t->db.conn) == CONNECTION_OK) {
		while ((res = PQgetResult(t->db.conn)))
			PQclear(res);
		PQclear(PQexec(t->db.conn, "ROLLBACK"));
	}
	return rc; /* KS_ERR_RECORD: write the batch the usual way */
}

ks_err_t ks_jdbc_stream_finish(ks_sink_task_t *t, const ks_tp_offset_t *offs, size_t noffs)
{
	int sent = 0;
	ks_err_t rc = stream_close(t, 0, &sent);

	return rc ? rc : ks_jdbc_commit_tx(t, offs, noffs);
}

ks_err_t ks_jdbc_stream_send(ks_sink_task_t *t, int *sent)
{
	*sent = 0;
	return stream_close(t, 1, sent);
}

int ks_jdbc_stream_ready(ks_sink_task_t *t)
{
	/* a broken connection is "ready": the wait reads its error */
	return !PQconsumeInput(t->db.conn) || !PQisBusy(t->db.conn);
}

ks_err_t ks_jdbc_stream_merge_wait(ks_sink_task_t *t)
{
	PGresult *res;
	int rc = 0, any = 0;

	while ((res = PQgetResult(t->db.conn))) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && !rc)
			rc = ks_jdbc_sql_error(t, res, "write");
		any = 1;
		PQclear(res);
	}
	if (!any && !rc) /* the connection went away before an answer */
		rc = ks_jdbc_sql_error(t, NULL, "write");
	if (rc && t->db.conn && PQstatus(t->db.conn) == CONNECTION_OK)
		PQclear(PQexec(t->db.conn, "ROLLBACK"));
	return rc;
}
