/*
 * ddl.c — makes the database fit the plan, before the data transaction and
 * in autocommit statements of their own: auto.create (CREATE TABLE in
 * Java's column order), auto.evolve (ALTER TABLE ADD), the races with other
 * tasks doing the same (23505/42710/42P07/42701), table.types, and the
 * session-private TEMP staging tables of layouts that do not COPY straight
 * into their table, and whether an upsert layout may COPY first (write.c:
 * a unique index on its keys). A CREATE/ALTER the database refuses is the
 * problem of the records needing it (record-level, as Java's
 * TableAlterOrCreateException).
 */
#include "sink.h"

#include <stdlib.h>
#include <string.h>

/* --- DDL: auto.create / auto.evolve, staging tables --- */

static int col_optional(const jcol_t *c)
{
	return !c->is_key && c->schema && c->schema->optional;
}

static void col_spec(ks_sink_task_t *t, ks_buf_t *b, const jcol_t *c)
{
	ks_jdbc_quote_ident(b, c->name);
	ks_buf_putc(b, ' ');
	ks_buf_puts(b, c->pt.ddl);
	if (c->schema && c->schema->default_value && !c->schema->default_value->is_null) {
		size_t mark = b->len;
		ks_buf_puts(b, " DEFAULT ");
		if (ks_jdbc_default_literal(t->db.conn, c->schema, c->schema->default_value, b)) {
			b->len = mark; /* no usable literal: no DEFAULT */
			if (b->data)
				b->data[mark] = 0;
		} else {
			if (c->is_key)
				ks_buf_puts(b, " NOT NULL");
			return;
		}
	}
	ks_buf_puts(b, col_optional(c) ? " NULL" : " NOT NULL");
}

static int match_cols(jtable_t *tb, jlayout_t *l)
{
	int missing = 0;

	for (size_t i = 0; i < l->ncols; i++) {
		jcol_t *c = &l->cols[i];
		c->dbi = -1;
		for (size_t k = 0; k < tb->ncols && c->dbi < 0; k++)
			if (!strcmp(tb->cols[k].name, c->name))
				c->dbi = (int)k;
		for (size_t k = 0; k < tb->ncols && c->dbi < 0; k++)
			if (ks_strcaseeq(tb->cols[k].name, c->name))
				c->dbi = (int)k;
		if (c->dbi < 0)
			missing++;
	}
	l->matched_gen = tb->gen;
	return missing;
}

static int create_table(ks_sink_task_t *t, jtable_t *tb, jlayout_t *l)
{
	ks_buf_t *b = &t->sql;
	size_t *order = calloc(l->ncols, sizeof(size_t)), n = 0;
	int rc;

	if (!order) {
		ks_seterr(t->errstr, sizeof(t->errstr), 0, "out of memory");
		return KS_ERR_FATAL;
	}
	/* Java's column order: kafka coordinates, value fields in schema
	 * order, then key-only fields sorted by name */
	for (size_t i = 0; i < l->ncols; i++)
		if (l->cols[i].src <= SRC_KAFKA_OFFSET)
			order[n++] = i;
	if (l->vs)
		for (size_t f = 0; f < l->vs->nfields; f++)
			for (size_t i = 0; i < l->ncols; i++)
				if (l->cols[i].src == SRC_VALUE && l->cols[i].field == (int)f)
					order[n++] = i;
	for (size_t i = 0; i < l->ncols; i++)
		if (l->cols[i].src == SRC_VALUE_WHOLE)
			order[n++] = i;
	size_t rest = n;
	for (size_t i = 0; i < l->ncols; i++)
		if (l->cols[i].src == SRC_KEY || l->cols[i].src == SRC_KEY_FIELD)
			order[n++] = i;
	for (size_t i = rest; i < n; i++) /* insertion sort by name */
		for (size_t k = i;
		     k > rest && strcmp(l->cols[order[k - 1]].name, l->cols[order[k]].name) > 0;
		     k--) {
			size_t x = order[k];
			order[k] = order[k - 1];
			order[k - 1] = x;
		}
	ks_buf_reset(b);
	ks_buf_printf(b, "CREATE TABLE %s (\n", tb->qname);
	for (size_t i = 0; i < n; i++) {
		if (i)
			ks_buf_puts(b, ",\n");
		col_spec(t, b, &l->cols[order[i]]);
	}
	if (l->nkeys) {
		ks_buf_puts(b, ",\nPRIMARY KEY(");
		for (size_t i = 0; i < l->nkeys; i++) {
			if (i)
				ks_buf_putc(b, ',');
			ks_jdbc_quote_ident(b, l->cols[i].name);
		}
		ks_buf_putc(b, ')');
	}
	ks_buf_puts(b, ")");
	free(order);
	KS_INFO(t->ctx, "auto.create: %s", b->data);
	rc = ks_jdbc_exec(t, b->data, "CREATE TABLE");
	/* another task's CREATE of the same table, racing ours in the catalog,
	 * surfaces as 23505 (pg_type/pg_class index) or 42710 (its row type
	 * exists) once it committed: once more, and it is 42P07 */
	if (rc && (!strcmp(t->sqlstate, "23505") || !strcmp(t->sqlstate, "42710")))
		rc = ks_jdbc_exec(t, b->data, "CREATE TABLE");
	if (rc && !strcmp(t->sqlstate, "42P07"))
		rc = 0; /* created concurrently by another task */
	return rc;
}

/* A CREATE/ALTER the database refused (not an outage) is the problem of the
 * records needing it, as Java's TableAlterOrCreateException: record-level. */
static int ddl_failed(ks_sink_task_t *t, int rc, size_t first)
{
	if (rc != KS_ERR_RECORD && rc != KS_ERR_FATAL)
		return rc;
	t->bad_index = first;
	return KS_ERR_RECORD;
}

/* Makes sure table and columns exist for layout l; first = first staged
 * index using it (for record-level errors). */
static int ensure_table(ks_sink_task_t *t, jtable_t *tb, jlayout_t *l, size_t first)
{
	int rc;

	if (!tb->resolved && (rc = ks_jdbc_table_load(t, tb)))
		return rc;
	if (tb->bad) {
		ks_seterr(t->errstr, sizeof(t->errstr), 0, "%s", tb->err);
		t->bad_index = first;
		return KS_ERR_RECORD;
	}
	l->skip = 0;
	if (!tb->exists) {
		if (l->is_delete) {
			l->skip = 1; /* nothing to delete from */
			return 0;
		}
		if (l->schemaless) {
			ks_seterr(t->errstr, sizeof(t->errstr), 0,
			          "Table %s is missing; schemaless (JSON) records are written into "
			          "existing tables only (auto.create needs a schema)",
			          tb->qname);
			t->bad_index = first;
			tb->resolved = 0;
			return KS_ERR_RECORD;
		}
		if (!t->set.auto_create) {
			ks_seterr(t->errstr, sizeof(t->errstr), 0,
			          "Table %s is missing and auto-creation is disabled", tb->qname);
			t->bad_index = first;
			tb->resolved = 0; /* look again next time: someone may create it */
			return KS_ERR_RECORD;
		}
		if ((rc = create_table(t, tb, l)) || (rc = ks_jdbc_table_load(t, tb)))
			return ddl_failed(t, rc, first);
		if (!tb->exists) {
			ks_seterr(t->errstr, sizeof(t->errstr), 0,
			          "Table %s still missing after CREATE", tb->qname);
			return KS_ERR_FATAL;
		}
	}
	if ((tb->relkind == 'r' && !t->set.types_table) ||
	    (tb->relkind == 'p' && !t->set.types_partitioned) ||
	    (tb->relkind == 'v' && !t->set.types_view) ||
	    (tb->relkind != 'r' && tb->relkind != 'p' && tb->relkind != 'v')) {
		ks_seterr(t->errstr, sizeof(t->errstr), 0,
		          "%s is a relation of kind '%c', not allowed by table.types", tb->qname,
		          tb->relkind);
		t->bad_index = first;
		return KS_ERR_RECORD;
	}
	if (l->matched_gen == tb->gen)
		return 0;
	if (!match_cols(tb, l))
		return 0;
	/* missing columns */
	ks_buf_t names = KS_BUF_INIT;
	const char *problem = NULL;
	for (size_t i = 0; i < l->ncols; i++) {
		const jcol_t *c = &l->cols[i];
		if (c->dbi >= 0)
			continue;
		if (names.len)
			ks_buf_puts(&names, ", ");
		ks_buf_puts(&names, c->name);
		if (!problem && !col_optional(c) && !(c->schema && c->schema->default_value))
			problem = c->name;
	}
	if (l->schemaless)
		ks_seterr(t->errstr, sizeof(t->errstr), 0,
		          "Table %s has no columns for fields (%s) of a schemaless (JSON) record "
		          "(auto.evolve needs a schema; fields.whitelist can drop fields)",
		          tb->qname, names.data);
	else if (tb->relkind == 'v')
		ks_seterr(t->errstr, sizeof(t->errstr), 0,
		          "VIEW %s is missing fields (%s) and ALTER VIEW is unsupported", tb->qname,
		          names.data);
	else if (problem)
		ks_seterr(t->errstr, sizeof(t->errstr), 0,
		          "Cannot ALTER TABLE %s to add missing field %s, as the field is not "
		          "optional and does not have a default value",
		          tb->qname, problem);
	else if (!t->set.auto_evolve)
		ks_seterr(t->errstr, sizeof(t->errstr), 0,
		          "Table %s is missing fields (%s) and auto-evolution is disabled",
		          tb->qname, names.data);
	ks_buf_free(&names);
	if (l->schemaless || tb->relkind == 'v' || problem || !t->set.auto_evolve) {
		l->matched_gen = -1;
		tb->resolved = 0; /* look again next time: someone may add them */
		t->bad_index = first;
		return KS_ERR_RECORD;
	}
	ks_buf_t *b = &t->sql;
	int nadd = 0;
	ks_buf_reset(b);
	ks_buf_printf(b, "ALTER TABLE %s", tb->qname);
	for (size_t i = 0; i < l->ncols; i++) {
		if (l->cols[i].dbi >= 0)
			continue;
		ks_buf_puts(b, nadd++ ? ",\nADD " : " \nADD ");
		col_spec(t, b, &l->cols[i]);
	}
	KS_INFO(t->ctx, "auto.evolve: %s", b->data);
	rc = ks_jdbc_exec(t, b->data, "ALTER TABLE");
	if (rc && !strcmp(t->sqlstate, "42701"))
		rc = 0; /* added concurrently */
	if (rc || (rc = ks_jdbc_table_load(t, tb)))
		return ddl_failed(t, rc, first);
	if (match_cols(tb, l)) {
		ks_seterr(t->errstr, sizeof(t->errstr), 0,
		          "columns still missing in %s after ALTER", tb->qname);
		return KS_ERR_FATAL;
	}
	return 0;
}

/* binary COPY of the target column equals our encoding */
static int direct_ok(const ks_sink_task_t *t, const jtable_t *tb, const jcol_t *c)
{
	const dbcol_t *d = &tb->cols[c->dbi];

	if (c->pt.uuid)
		return 0;
	if (d->oid == c->pt.oid)
		return 1;
	if (!c->pt.array && c->pt.kind == KS_PGK_TEXT && d->oid == 1043)
		return 1; /* varchar: same wire format, length checked by the server */
	if (!c->pt.array && c->pt.kind == KS_PGK_TIMESTAMPTZ && d->oid == 1114 && t->db.tz_utc)
		return 1; /* timestamp: UTC wall clock = our instant */
	return 0;
}

/* Upsert (write.c, COPY first): whether a COPY of l straight into the table
 * fails exactly where INSERT .. ON CONFLICT (keys) would arbitrate, i.e. a
 * plain table (or partitioned) with a valid, immediate, non-partial unique
 * index on exactly the key columns; decided once per catalog load. */
static ks_err_t decide_copy(ks_sink_task_t *t, jtable_t *tb, jlayout_t *l, int types_ok)
{
	ks_buf_t names = KS_BUF_INIT;
	char nkeys[16];
	const char *params[3];
	PGresult *res;
	int rc;

	if (l->copy_gen == tb->gen)
		return 0;
	l->copy_ok = 0;
	l->copy_gen = tb->gen;
	if (!types_ok || !l->nkeys || (tb->relkind != 'r' && tb->relkind != 'p'))
		return 0;
	/* the key column names as a text[] literal (a parameter) */
	ks_buf_putc(&names, '{');
	for (size_t i = 0; i < l->nkeys; i++) {
		ks_buf_puts(&names, i ? ",\"" : "\"");
		for (const char *c = tb->cols[l->cols[i].dbi].name; *c; c++) {
			if (*c == '"' || *c == '\\')
				ks_buf_putc(&names, '\\');
			ks_buf_putc(&names, *c);
		}
		ks_buf_putc(&names, '"');
	}
	ks_buf_putc(&names, '}');
	if (ks_buf_failed(&names)) {
		ks_buf_free(&names);
		ks_seterr(t->errstr, sizeof(t->errstr), 0, "out of memory");
		return KS_ERR_FATAL;
	}
	ks_seterr(nkeys, sizeof(nkeys), 0, "%zu", l->nkeys);
	params[0] = tb->qname;
	params[1] = nkeys;
	params[2] = names.data;
	rc = ks_jdbc_exec_params(
	        t,
	        "SELECT 1 FROM pg_catalog.pg_index i "
	        "WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indimmediate "
	        "AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL "
	        "AND i.indnkeyatts = $2::int "
	        "AND (SELECT count(*) FROM generate_series(0, i.indnkeyatts - 1) k "
	        "JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid "
	        "AND a.attnum = i.indkey[k] WHERE a.attname = ANY ($3::text[])) = $2::int "
	        "LIMIT 1",
	        3, params, "unique index lookup", &res);
	ks_buf_free(&names);
	if (rc)
		return rc == KS_ERR_RECORD ? 0 : rc; /* then always the merge */
	l->copy_ok = PQntuples(res) > 0;
	PQclear(res);
	return 0;
}

static int ensure_stage(ks_sink_task_t *t, jtable_t *tb, jlayout_t *l)
{
	ks_buf_t *b = &t->sql;
	int rc, types_ok = !l->is_delete;

	for (size_t i = 0; types_ok && i < l->ncols; i++)
		if (!direct_ok(t, tb, &l->cols[i]))
			types_ok = 0;
	l->direct = !l->is_delete && t->set.insert_mode == KS_JDBC_INSERT && types_ok;
	if (!l->is_delete && t->set.insert_mode == KS_JDBC_UPSERT && t->set.upsert_copy &&
	    (rc = decide_copy(t, tb, l, types_ok)))
		return rc;
	if (l->direct || l->stage_ready)
		return 0;
	ks_buf_reset(b);
	ks_buf_printf(b, "CREATE TEMP TABLE IF NOT EXISTS ks_stage_%d (", l->id);
	for (size_t i = 0; i < (l->is_delete ? l->nkeys : l->ncols); i++) {
		if (i)
			ks_buf_puts(b, ", ");
		ks_jdbc_quote_ident(b, l->cols[i].name);
		ks_buf_putc(b, ' ');
		ks_buf_puts(b, l->cols[i].pt.stage);
	}
	ks_buf_puts(b, ") ON COMMIT DELETE ROWS");
	if ((rc = ks_jdbc_exec(t, b->data, "create staging table")))
		return rc == KS_ERR_RECORD ? KS_ERR_FATAL : rc;
	l->stage_ready = 1;
	return 0;
}

/* DDL and staging tables for the current plan. */
ks_err_t ks_jdbc_prepare(ks_sink_task_t *t)
{
	int rc;

	for (size_t i = 0; i < t->plan.ngroups; i++) {
		jgroup_t *g = &t->plan.groups[i];
		if ((rc = ensure_table(t, g->table, g->layout, g->rows[0])))
			return rc;
	}
	for (size_t i = 0; i < t->plan.ngroups; i++) {
		jgroup_t *g = &t->plan.groups[i];
		if (!g->layout->skip && (rc = ensure_stage(t, g->table, g->layout)))
			return rc;
	}
	return 0;
}
