/*
 * offsets.c — the connector's offsets store, the table named by
 * ksink.offsets.table (__ksink_offsets): THE one file that knows it.
 * Exactly-once: the offsets are written inside the data transaction
 * (write.c), so the table is the source of truth the worker seeks to on
 * open(). Here: its creation (and migration to owner epochs) at session
 * setup, the read, the comparison that resolves a lost COMMIT
 * acknowledgement (commit.c), and KIP-875 read/alter/reset for the REST
 * GET/PATCH/DELETE offsets of a stopped connector (new epochs: they fence).
 * Its other half, fence.c, claims partitions at open() and writes the
 * offsets in the data transaction only at the task's epochs.
 */
#include "sink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs the DDL in t->sql; once more after a failure other than a lost
 * connection (a concurrent CREATE by another task). */
static ks_err_t exec_ddl(ks_sink_task_t *t, const char *what)
{
	ks_err_t rc = ks_jdbc_exec(t, t->sql.data, what);

	if (rc && !(rc == KS_ERR_RETRIABLE && ks_jdbc_conn_lost(t)))
		rc = ks_jdbc_exec(t, t->sql.data, what);
	return rc;
}

/* Names the offsets table and its epoch sequence and creates / migrates
 * them when needed; at every session setup (session.c). Only what is
 * missing is created: CREATE .. IF NOT EXISTS needs the CREATE privilege on
 * the schema even when the object is there. */
ks_err_t ks_jdbc_offsets_prepare(ks_sink_task_t *t)
{
	char *sch = NULL, *nm = NULL;
	ks_buf_t b = KS_BUF_INIT;
	PGresult *res;
	int rc, has_table, has_cols, has_seq;

	free(t->off.qname);
	free(t->off.seqname);
	t->off.qname = t->off.seqname = NULL;
	if (ks_jdbc_qualified_name(t, t->set.offsets_table, &sch, &nm, &t->off.qname)) {
		free(sch);
		free(nm);
		return KS_ERR_FATAL;
	}
	ks_jdbc_quote_ident(&b, sch);
	ks_buf_putc(&b, '.');
	{
		char seq[256];
		snprintf(seq, sizeof(seq), "%s_epoch_seq", nm);
		ks_jdbc_quote_ident(&b, seq);
	}
	free(sch);
	free(nm);
	if (!(t->off.seqname = ks_buf_steal(&b))) {
		ks_seterr(t->errstr, sizeof(t->errstr), 0, "out of memory");
		return KS_ERR_FATAL;
	}
	if (!t->off.owner[0]) {
		char host[64] = "";
		if (gethostname(host, sizeof(host) - 1))
			host[0] = 0;
		snprintf(t->off.owner, sizeof(t->off.owner), "%s-%d@%s/%ld", t->connector,
		         t->task_id, host, (long)getpid());
	}
	{
		const char *p2[2] = {t->off.qname, t->off.seqname};
		if ((rc = ks_jdbc_exec_params(
		             t,
		             "SELECT to_regclass($1) IS NOT NULL, EXISTS (SELECT 1 FROM "
		             "pg_catalog.pg_attribute WHERE attrelid = to_regclass($1) AND "
		             "attname = 'owner_epoch' AND NOT attisdropped), "
		             "to_regclass($2) IS NOT NULL",
		             2, p2, "offsets table lookup", &res)))
			return rc == KS_ERR_RECORD ? KS_ERR_FATAL : rc;
		has_table = PQgetvalue(res, 0, 0)[0] == 't';
		has_cols = PQgetvalue(res, 0, 1)[0] == 't';
		has_seq = PQgetvalue(res, 0, 2)[0] == 't';
		PQclear(res);
	}
	rc = 0;
	if (!has_seq) {
		ks_buf_reset(&t->sql);
		ks_buf_printf(&t->sql, "CREATE SEQUENCE IF NOT EXISTS %s", t->off.seqname);
		rc = exec_ddl(t, "create epoch sequence");
	}
	if (!rc && !has_table) {
		ks_buf_reset(&t->sql);
		ks_buf_printf(&t->sql,
		              "CREATE TABLE IF NOT EXISTS %s (connector TEXT NOT NULL, topic TEXT "
		              "NOT NULL, \"partition\" INT NOT NULL, next_offset BIGINT NOT NULL, "
		              "updated_at TIMESTAMPTZ NOT NULL DEFAULT now(), owner_epoch BIGINT "
		              "NOT NULL DEFAULT 0, owner TEXT, PRIMARY KEY (connector, topic, "
		              "\"partition\"))",
		              t->off.qname);
		rc = exec_ddl(t, "create offsets table");
	} else if (!rc && !has_cols) {
		/* a table from before fencing: its rows keep their offsets and get
		 * epoch 0, which the first claim replaces */
		ks_buf_reset(&t->sql);
		ks_buf_printf(&t->sql,
		              "ALTER TABLE %s ADD COLUMN IF NOT EXISTS owner_epoch BIGINT NOT NULL "
		              "DEFAULT 0, ADD COLUMN IF NOT EXISTS owner TEXT",
		              t->off.qname);
		rc = exec_ddl(t, "migrate offsets table");
		if (!rc)
			KS_INFO(t->ctx, "offsets table %s migrated: owner epochs added",
			        t->off.qname);
	}
	return rc == KS_ERR_RECORD ? KS_ERR_FATAL : rc;
}

/* A Postgres array literal of the topics (what 0), partitions (1) or
 * offsets (2) of o, for unnest() parameters. */
void ks_jdbc_offsets_array(ks_buf_t *b, const ks_tp_offset_t *o, size_t n, int what)
{
	ks_buf_putc(b, '{');
	for (size_t i = 0; i < n; i++) {
		if (i)
			ks_buf_putc(b, ',');
		if (what == 0) {
			ks_buf_putc(b, '"');
			for (const char *p = o[i].topic; *p; p++) {
				if (*p == '"' || *p == '\\')
					ks_buf_putc(b, '\\');
				ks_buf_putc(b, *p);
			}
			ks_buf_putc(b, '"');
		} else if (what == 1) {
			ks_buf_printf(b, "%d", (int)o[i].partition);
		} else {
			ks_buf_printf(b, "%lld", (long long)o[i].offset);
		}
	}
	ks_buf_putc(b, '}');
}

/* KIP-875 (alter): upserts offsets (offset >= 0) for connector with new
 * epochs, deletes those with offset < 0; either way a task still holding
 * an old epoch of these partitions is fenced. */
ks_err_t ks_jdbc_offsets_write(ks_sink_task_t *t, const char *connector, const ks_tp_offset_t *offs,
                               size_t n)
{
	ks_buf_t a[3] = {KS_BUF_INIT, KS_BUF_INIT, KS_BUF_INIT}, *b = &t->sql;
	ks_tp_offset_t *up = NULL, *del = NULL;
	size_t nup = 0, ndel = 0;
	int rc = 0;

	if (!n)
		return 0;
	up = calloc(n, sizeof(*up));
	del = calloc(n, sizeof(*del));
	if (!up || !del) {
		ks_seterr(t->errstr, sizeof(t->errstr), 0, "out of memory");
		rc = KS_ERR_FATAL;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (offs[i].offset >= 0)
			up[nup++] = offs[i];
		else
			del[ndel++] = offs[i];
	}
	for (int pass = 0; pass < 2 && !rc; pass++) {
		const ks_tp_offset_t *o = pass ? del : up;
		size_t cnt = pass ? ndel : nup;
		const char *params[6];

		if (!cnt)
			continue;
		for (int k = 0; k < 3; k++) {
			ks_buf_reset(&a[k]);
			ks_jdbc_offsets_array(&a[k], o, cnt, k);
		}
		ks_buf_reset(b);
		if (!pass)
			ks_buf_printf(
			        b,
			        "INSERT INTO %s (connector, topic, \"partition\", next_offset, "
			        "updated_at, owner_epoch, owner) SELECT $1, u.t, u.p, u.o, now(), "
			        "nextval($5::regclass), $6 FROM unnest($2::text[], $3::int4[], "
			        "$4::int8[]) AS u(t, p, o) ORDER BY u.t, u.p "
			        "ON CONFLICT (connector, topic, \"partition\") DO UPDATE SET "
			        "next_offset = EXCLUDED.next_offset, updated_at = "
			        "EXCLUDED.updated_at, owner_epoch = EXCLUDED.owner_epoch, owner = "
			        "EXCLUDED.owner",
			        t->off.qname);
		else
			ks_buf_printf(b,
			              "DELETE FROM %s AS o USING unnest($2::text[], $3::int4[], "
			              "$4::int8[]) AS u(t, p, x) WHERE o.connector = $1 AND "
			              "o.topic = u.t AND o.\"partition\" = u.p",
			              t->off.qname);
		if (ks_buf_failed(b) || ks_buf_failed(&a[0]) || ks_buf_failed(&a[1]) ||
		    ks_buf_failed(&a[2])) {
			ks_seterr(t->errstr, sizeof(t->errstr), 0, "out of memory");
			rc = KS_ERR_FATAL;
			break;
		}
		params[0] = connector;
		params[1] = a[0].data;
		params[2] = a[1].data;
		params[3] = a[2].data;
		params[4] = t->off.seqname;
		params[5] = "offsets API (KIP-875)";
		rc = ks_jdbc_exec_params(t, b->data, pass ? 4 : 6, params, "offsets write", NULL);
	}
out:
	for (int k = 0; k < 3; k++)
		ks_buf_free(&a[k]);
	free(up);
	free(del);
	if (rc == KS_ERR_RECORD)
		rc = KS_ERR_FATAL; /* not a record's fault */
	return rc;
}

/* *same = 1 when the store holds exactly offs (offset < 0: no entry). */
ks_err_t ks_jdbc_offsets_equal(ks_sink_task_t *t, const ks_tp_offset_t *offs, size_t n, int *same)
{
	ks_tp_offset_t *all = NULL;
	size_t nall = 0;
	int rc = ks_jdbc_offsets_query(t, t->connector, &all, &nall);

	*same = 0;
	if (!rc) {
		*same = 1;
		for (size_t i = 0; i < n && *same; i++) {
			int64_t stored = -1;
			for (size_t k = 0; k < nall; k++)
				if (all[k].partition == offs[i].partition &&
				    !strcmp(all[k].topic, offs[i].topic))
					stored = all[k].offset;
			*same = stored == (offs[i].offset < 0 ? -1 : offs[i].offset);
		}
	}
	ks_tp_offsets_free(all, nall);
	return rc;
}

/* Reads the stored offsets of connector (a claimed partition without an
 * offset yet, next_offset -1, has none). */
ks_err_t ks_jdbc_offsets_query(ks_sink_task_t *t, const char *connector, ks_tp_offset_t **out,
                               size_t *nout)
{
	const char *params[1] = {connector};
	PGresult *res;
	int rc = 0;

	*out = NULL;
	*nout = 0;
	ks_buf_reset(&t->sql);
	ks_buf_printf(&t->sql,
	              "SELECT topic, \"partition\", next_offset FROM %s WHERE connector = $1 "
	              "AND next_offset >= 0 ORDER BY topic, \"partition\"",
	              t->off.qname);
	if ((rc = ks_jdbc_exec_params(t, t->sql.data, 1, params, "offsets read", &res)))
		return rc;
	int nt = PQntuples(res);
	if (nt && !(*out = calloc((size_t)nt, sizeof(**out)))) {
		PQclear(res);
		ks_seterr(t->errstr, sizeof(t->errstr), 0, "out of memory");
		return KS_ERR_FATAL;
	}
	for (int i = 0; i < nt; i++) {
		ks_tp_offset_t *o = &(*out)[i];
		if (!(o->topic = strdup(PQgetvalue(res, i, 0)))) {
			rc = KS_ERR_FATAL;
			break;
		}
		o->partition = (int32_t)strtol(PQgetvalue(res, i, 1), NULL, 10);
		o->offset = strtoll(PQgetvalue(res, i, 2), NULL, 10);
		(*nout)++;
	}
	PQclear(res);
	return rc;
}

ks_err_t ks_jdbc_offsets_read(const ks_props_t *config, const char *connector, ks_tp_offset_t **out,
                              size_t *n, char *errstr, size_t errlen)
{
	ks_sink_task_t *t = ks_jdbc_task_new(config, connector, -1, errstr, errlen);
	int rc;

	*out = NULL;
	*n = 0;
	if (!t)
		return KS_ERR_FATAL;
	if ((rc = ks_jdbc_conn_ensure(t)) || (rc = ks_jdbc_offsets_query(t, connector, out, n))) {
		ks_seterr(errstr, errlen, 0, "%s", t->errstr);
		ks_tp_offsets_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	ks_jdbc_task_destroy(t);
	return rc == KS_ERR_RECORD ? KS_ERR_FATAL : rc; /* no record involved: the table's */
}

ks_err_t ks_jdbc_offsets_alter(const ks_props_t *config, const char *connector,
                               const ks_tp_offset_t *offs, size_t n, int reset_all, char *errstr,
                               size_t errlen)
{
	ks_sink_task_t *t = ks_jdbc_task_new(config, connector, -1, errstr, errlen);
	int rc;

	if (!t)
		return KS_ERR_FATAL;
	if (!(rc = ks_jdbc_conn_ensure(t)) && !(rc = ks_jdbc_exec(t, "BEGIN", "BEGIN"))) {
		if (reset_all && !n) {
			const char *params[1] = {connector};
			ks_buf_reset(&t->sql);
			ks_buf_printf(&t->sql, "DELETE FROM %s WHERE connector = $1", t->off.qname);
			rc = ks_jdbc_exec_params(t, t->sql.data, 1, params, "offsets reset", NULL);
		} else {
			rc = ks_jdbc_offsets_write(t, connector, offs, n);
		}
		if (!rc)
			rc = ks_jdbc_exec(t, "COMMIT", "COMMIT");
		else
			ks_jdbc_rollback(t);
	}
	if (rc)
		ks_seterr(errstr, errlen, 0, "%s", t->errstr);
	ks_jdbc_task_destroy(t);
	return rc == KS_ERR_RECORD ? KS_ERR_FATAL : rc; /* no record involved: the table's */
}
