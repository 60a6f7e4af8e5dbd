/*
 * catalog.c — what the JDBC sink task knows about its destination tables:
 * table names (table.name.format, [catalog.][schema.]table), columns and
 * relkind from pg_catalog, and layouts: the columns one (key schema, value
 * schema) pair writes under pk.mode / pk.fields / fields.whitelist, built
 * once per pair and cached on the table. Schemaless (JSON) values get an
 * inferred schema here. plan.c asks for a record's table and layout; ddl.c
 * makes the database match them.
 */
#include "sink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* --- table names and catalog --- */

/* [catalog.][schema.]table -> schema, table and the quoted qualified name. */
int ks_jdbc_qualified_name(ks_sink_task_t *t, const char *spec, char **schema, char **name,
                           char **qname)
{
	char *cat = NULL;
	ks_buf_t b = KS_BUF_INIT;

	*schema = *name = *qname = NULL;
	if (ks_jdbc_parse_table(spec, t->set.quote_never, &cat, schema, name, t->errstr,
	                        sizeof(t->errstr)))
		return -1;
	if (cat && t->db.cur_db && strcmp(cat, t->db.cur_db)) {
		ks_seterr(t->errstr, sizeof(t->errstr), 0,
		          "table name '%s' names database '%s' but the connection is to '%s' "
		          "(cross-database references are not supported by Postgres)",
		          spec, cat, t->db.cur_db);
		free(cat);
		return -1;
	}
	free(cat);
	if (!*schema && !(*schema = strdup(t->db.cur_schema ? t->db.cur_schema : "public")))
		goto oom;
	ks_jdbc_quote_ident(&b, *schema);
	ks_buf_putc(&b, '.');
	ks_jdbc_quote_ident(&b, *name);
	if (!(*qname = ks_buf_steal(&b)))
		goto oom;
	return 0;
oom:
	ks_seterr(t->errstr, sizeof(t->errstr), 0, "out of memory");
	return -1;
}

static void table_free_cols(jtable_t *tb)
{
	for (size_t i = 0; i < tb->ncols; i++) {
		free(tb->cols[i].name);
		free(tb->cols[i].type);
	}
	free(tb->cols);
	tb->cols = NULL;
	tb->ncols = 0;
}

/* Loads relkind and columns of tb from pg_catalog (exact names, no LIKE). */
ks_err_t ks_jdbc_table_load(ks_sink_task_t *t, jtable_t *tb)
{
	const char *params[2];
	PGresult *res;
	int rc;

	if (tb->bad)
		return 0;
	if (!tb->qname) {
		if (ks_jdbc_qualified_name(t, tb->spec, &tb->schema, &tb->name, &tb->qname)) {
			tb->bad = 1;
			ks_seterr(tb->err, sizeof(tb->err), 0, "%s", t->errstr);
			return 0;
		}
	}
	params[0] = tb->schema;
	params[1] = tb->name;
	if ((rc = ks_jdbc_exec_params(
	             t,
	             "SELECT c.relkind, a.attname, a.atttypid, "
	             "pg_catalog.format_type(a.atttypid, a.atttypmod), ty.typcategory "
	             "FROM pg_catalog.pg_class c "
	             "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	             "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid "
	             "AND a.attnum > 0 AND NOT a.attisdropped "
	             "LEFT JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid "
	             "WHERE n.nspname = $1 AND c.relname = $2 "
	             "AND c.relkind IN ('r', 'p', 'v', 'f', 'm') ORDER BY a.attnum",
	             2, params, "catalog lookup", &res)))
		return rc;
	table_free_cols(tb);
	tb->exists = PQntuples(res) > 0;
	tb->relkind = tb->exists ? PQgetvalue(res, 0, 0)[0] : 0;
	if (tb->exists && !PQgetisnull(res, 0, 1)) {
		int n = PQntuples(res);
		if (!(tb->cols = calloc((size_t)n, sizeof(*tb->cols)))) {
			PQclear(res);
			ks_seterr(t->errstr, sizeof(t->errstr), 0, "out of memory");
			return KS_ERR_FATAL;
		}
		for (int i = 0; i < n; i++) {
			dbcol_t *c = &tb->cols[tb->ncols];
			c->name = strdup(PQgetvalue(res, i, 1));
			c->oid = (unsigned)strtoul(PQgetvalue(res, i, 2), NULL, 10);
			c->type = strdup(PQgetvalue(res, i, 3));
			c->cat = PQgetvalue(res, i, 4)[0];
			tb->ncols++;
			if (!c->name || !c->type) {
				PQclear(res);
				ks_seterr(t->errstr, sizeof(t->errstr), 0, "out of memory");
				return KS_ERR_FATAL;
			}
		}
	}
	PQclear(res);
	tb->resolved = 1;
	tb->gen++;
	return 0;
}

jtable_t *ks_jdbc_table_for_topic(ks_sink_task_t *t, const char *topic)
{
	ks_buf_t b = KS_BUF_INIT;
	const char *f = t->set.table_format, *p;
	jtable_t *tb;
	char *spec;

	for (size_t i = 0; i < t->cat.ntopics; i++)
		if (!strcmp(t->cat.topics[i].topic, topic))
			return t->cat.topics[i].table;
	while ((p = strstr(f, "${topic}"))) {
		ks_buf_append(&b, f, (size_t)(p - f));
		ks_buf_puts(&b, topic);
		f = p + 8;
	}
	ks_buf_puts(&b, f);
	if (!(spec = ks_buf_steal(&b)))
		return NULL;
	for (tb = t->cat.tables; tb; tb = tb->next)
		if (!strcmp(tb->spec, spec))
			break;
	if (!tb) {
		if (!(tb = calloc(1, sizeof(*tb)))) {
			free(spec);
			return NULL;
		}
		tb->spec = spec;
		spec = NULL;
		tb->next = t->cat.tables;
		t->cat.tables = tb;
	}
	free(spec);
	topicmap_t *tm = realloc(t->cat.topics, (t->cat.ntopics + 1) * sizeof(*tm));
	if (!tm)
		return NULL;
	t->cat.topics = tm;
	if (!(tm[t->cat.ntopics].topic = strdup(topic)))
		return NULL;
	tm[t->cat.ntopics++].table = tb;
	return tb;
}

/* --- layouts: the columns a (key schema, value schema) pair writes --- */

static int name_in(char **list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], name))
			return 1;
	return 0;
}

static int layout_add(jlayout_t *l, ks_sink_task_t *t, const char *name, int src, int field,
                      const ks_schema_t *schema, int is_key)
{
	jcol_t *c;
	jcol_t *nc = realloc(l->cols, (l->ncols + 1) * sizeof(*nc));

	if (!nc)
		return -1;
	l->cols = nc;
	c = &l->cols[l->ncols];
	memset(c, 0, sizeof(*c));
	c->dbi = -1;
	c->src = src;
	c->field = field;
	c->schema = schema;
	c->is_key = is_key;
	if (!(c->name = ks_jdbc_ident_norm(name, t->set.quote_never)))
		return -1;
	l->ncols++;
	for (size_t i = 0; i + 1 < l->ncols; i++)
		if (!strcmp(l->cols[i].name, c->name)) {
			ks_seterr(l->err, sizeof(l->err), 0, "two fields map to column \"%s\"",
			          c->name);
			return -2;
		}
	if (src == SRC_KAFKA_TOPIC) {
		c->pt.kind = KS_PGK_TEXT;
		ks_seterr(c->pt.ddl, sizeof(c->pt.ddl), 0, "TEXT");
		ks_seterr(c->pt.stage, sizeof(c->pt.stage), 0, "text");
		c->pt.oid = 25;
	} else if (src == SRC_KAFKA_PARTITION) {
		c->pt.kind = KS_PGK_INT4;
		ks_seterr(c->pt.ddl, sizeof(c->pt.ddl), 0, "INT");
		ks_seterr(c->pt.stage, sizeof(c->pt.stage), 0, "int4");
		c->pt.oid = 23;
	} else if (src == SRC_KAFKA_OFFSET) {
		c->pt.kind = KS_PGK_INT8;
		ks_seterr(c->pt.ddl, sizeof(c->pt.ddl), 0, "BIGINT");
		ks_seterr(c->pt.stage, sizeof(c->pt.stage), 0, "int8");
		c->pt.oid = 20;
	} else if (src == SRC_VALUE && schema->logical == KS_LOGICAL_NONE &&
	           (schema->type == KS_TYPE_INT64 || schema->type == KS_TYPE_STRING) &&
	           name_in(t->set.ts_fields, t->set.nts_fields, name)) {
		/* timestamp.fields.list (Java 10.8.3): epoch micros/nanos */
		c->epoch_div = t->set.ts_nanos ? 1000 : 1;
		c->pt.kind = KS_PGK_TIMESTAMPTZ;
		ks_seterr(c->pt.ddl, sizeof(c->pt.ddl), 0, "%s",
		          t->set.timestamptz ? "TIMESTAMPTZ" : "TIMESTAMP");
		ks_seterr(c->pt.stage, sizeof(c->pt.stage), 0, "timestamptz");
		c->pt.oid = 1184;
	} else if (l->schemaless &&
	           (schema->type == KS_TYPE_ARRAY || schema->type == KS_TYPE_STRUCT ||
	            schema->type == KS_TYPE_MAP)) {
		/* schemaless objects and arrays: their JSON, into json/jsonb */
		c->pt.kind = KS_PGK_JSONB;
		ks_seterr(c->pt.ddl, sizeof(c->pt.ddl), 0, "JSONB");
		ks_seterr(c->pt.stage, sizeof(c->pt.stage), 0, "jsonb");
		c->pt.oid = 3802;
	} else if (ks_jdbc_pgtype(schema, t->set.timestamptz, t->set.struct_jsonb, &c->pt, l->err,
	                          sizeof(l->err))) {
		char tmp[KS_ERRSTR_SIZE];
		ks_seterr(tmp, sizeof(tmp), 0, "field '%s': %s", name, l->err);
		ks_seterr(l->err, sizeof(l->err), 0, "%s", tmp);
		return -2;
	}
	return 0;
}

static int layout_build(ks_sink_task_t *t, jtable_t *tb, jlayout_t *l, const ks_record_t *r)
{
	const ks_jdbc_settings_t *s = &t->set;
	const ks_schema_t *ks = l->ks, *vs = l->vs;
	int rc = 0;

	(void)r;
	switch (s->pk_mode) {
	case KS_JDBC_PK_NONE:
		break;
	case KS_JDBC_PK_KAFKA: {
		static const char *const defs[3] = {"__connect_topic", "__connect_partition",
		                                    "__connect_offset"};
		const char *const *n =
		        s->npk_fields == 3 ? (const char *const *)s->pk_fields : defs;
		if (s->npk_fields != 0 && s->npk_fields != 3) {
			ks_seterr(l->err, sizeof(l->err), 0,
			          "pk.mode=kafka needs no pk.fields or exactly 3, got %zu",
			          s->npk_fields);
			return -2;
		}
		for (int i = 0; i < 3 && !rc; i++)
			rc = layout_add(l, t, n[i], SRC_KAFKA_TOPIC + i, -1, NULL, 1);
		break;
	}
	case KS_JDBC_PK_RECORD_KEY:
		if (!ks) {
			ks_seterr(l->err, sizeof(l->err), 0,
			          "pk.mode=record_key needs a key schema, the record has none");
			return -2;
		}
		if (ks->type == KS_TYPE_STRUCT) {
			if (s->npk_fields) {
				for (size_t i = 0; i < s->npk_fields && !rc; i++) {
					const ks_field_t *f = ks_schema_field(ks, s->pk_fields[i]);
					if (!f) {
						ks_seterr(
						        l->err, sizeof(l->err), 0,
						        "PK mode for table '%s' is RECORD_KEY with "
						        "configured PK fields, but record key "
						        "schema "
						        "does not contain field: %s",
						        tb->spec, s->pk_fields[i]);
						return -2;
					}
					rc = layout_add(l, t, f->name, SRC_KEY_FIELD, f->index,
					                f->schema, 1);
				}
			} else {
				for (size_t i = 0; i < ks->nfields && !rc; i++)
					rc = layout_add(l, t, ks->fields[i].name, SRC_KEY_FIELD,
					                (int)i, ks->fields[i].schema, 1);
			}
		} else if (ks->type == KS_TYPE_MAP || ks->type == KS_TYPE_ARRAY) {
			ks_seterr(l->err, sizeof(l->err), 0,
			          "key schema must be primitive or Struct, "
			          "was %s",
			          ks_type_name(ks->type));
			return -2;
		} else {
			if (s->npk_fields != 1) {
				ks_seterr(l->err, sizeof(l->err), 0,
				          "Need exactly one PK column defined since the key schema "
				          "for "
				          "records is a primitive type, defined columns are: %zu "
				          "(set pk.fields to the column name)",
				          s->npk_fields);
				return -2;
			}
			rc = layout_add(l, t, s->pk_fields[0], SRC_KEY, -1, ks, 1);
		}
		break;
	case KS_JDBC_PK_RECORD_VALUE:
		if (!vs) {
			ks_seterr(l->err, sizeof(l->err), 0, "pk.mode=record_value needs a value");
			return -2;
		}
		if (s->npk_fields) {
			for (size_t i = 0; i < s->npk_fields && !rc; i++) {
				const ks_field_t *f = ks_schema_field(vs, s->pk_fields[i]);
				if (!f) {
					ks_seterr(l->err, sizeof(l->err), 0,
					          "PK mode for table '%s' is RECORD_VALUE with "
					          "configured PK fields, but record value schema "
					          "does "
					          "not contain field: %s",
					          tb->spec, s->pk_fields[i]);
					return -2;
				}
				rc = layout_add(l, t, f->name, SRC_VALUE, f->index, f->schema, 1);
			}
		} else {
			for (size_t i = 0; i < vs->nfields && !rc; i++)
				rc = layout_add(l, t, vs->fields[i].name, SRC_VALUE, (int)i,
				                vs->fields[i].schema, 1);
		}
		break;
	}
	if (rc)
		return rc;
	l->nkeys = l->ncols;
	if (vs && vs->type == KS_TYPE_STRING) {
		/* StringConverter values (Java 10.9.4): one column */
		if ((rc = layout_add(l, t, s->string_col, SRC_VALUE_WHOLE, -1, vs, 0)))
			return rc;
		vs = NULL;
	}
	for (size_t i = 0; vs && i < vs->nfields && !rc; i++) {
		const char *fn = vs->fields[i].name;
		int dup = 0;
		if (s->pk_mode == KS_JDBC_PK_RECORD_VALUE) {
			for (size_t k = 0; k < l->nkeys; k++)
				if (l->cols[k].src == SRC_VALUE && l->cols[k].field == (int)i)
					dup = 1;
		} else {
			char *nn = ks_jdbc_ident_norm(fn, s->quote_never);
			if (!nn)
				return -1;
			for (size_t k = 0; k < l->nkeys; k++)
				if (!strcmp(l->cols[k].name, nn))
					dup = 1; /* the key wins */
			free(nn);
		}
		if (dup || (s->nwhitelist && !name_in(s->whitelist, s->nwhitelist, fn)))
			continue;
		rc = layout_add(l, t, fn, SRC_VALUE, (int)i, vs->fields[i].schema, 0);
	}
	if (rc)
		return rc;
	if (!l->ncols) {
		ks_seterr(l->err, sizeof(l->err), 0,
		          "No fields found using key and value schemas for table: %s", tb->spec);
		return -2;
	}
	if (!l->is_delete && !l->nkeys && s->insert_mode != KS_JDBC_INSERT) {
		ks_seterr(l->err, sizeof(l->err), 0,
		          "Write to table '%s' in %s mode requires key field names to be known, "
		          "check the primary key configuration",
		          tb->spec, s->insert_mode == KS_JDBC_UPSERT ? "UPSERT" : "UPDATE");
		return -2;
	}
	return 0;
}

static void layout_free(jlayout_t *l)
{
	for (size_t i = 0; i < l->ncols; i++)
		free(l->cols[i].name);
	free(l->cols);
	ks_schema_unref((ks_schema_t *)l->ks);
	ks_schema_unref((ks_schema_t *)l->vs);
	free(l);
}

static int schema_same(const ks_schema_t *a, const ks_schema_t *b)
{
	return a == b || (a && b && ks_schema_equal(a, b));
}

/* A schema for a schemaless value (JSON without schemas.enable): objects
 * become STRUCTs with their member names, every field optional, nulls
 * STRING; arrays and maps stay untyped (written as JSON). NULL on OOM. */
static ks_schema_t *infer_schema(const ks_value_t *v)
{
	ks_schema_t *s = ks_schema_new(v->is_null ? KS_TYPE_STRING : v->type);

	if (!s)
		return NULL;
	s->optional = 1;
	if (!v->is_null && v->type == KS_TYPE_STRUCT && v->u.st.names)
		for (size_t i = 0; i < v->u.st.n; i++) {
			ks_schema_t *f = infer_schema(&v->u.st.fields[i]);
			if (!f || ks_schema_add_field(s, v->u.st.names[i], f)) {
				ks_schema_unref(s);
				return NULL;
			}
		}
	return s;
}

static jlayout_t *layout_find(jtable_t *tb, const ks_schema_t *ks, const ks_schema_t *vs,
                              int is_delete)
{
	jlayout_t *l;

	for (l = tb->layouts; l; l = l->next)
		if (l->is_delete == is_delete && l->ks == ks && l->vs == vs)
			return l;
	/* converters intern schemas, but equal schemas from different
	 * objects (and inferred ones) must not grow the cache */
	for (l = tb->layouts; l; l = l->next)
		if (l->is_delete == is_delete && schema_same(l->ks, ks) && schema_same(l->vs, vs))
			return l;
	return NULL;
}

jlayout_t *ks_jdbc_layout_get(ks_sink_task_t *t, jtable_t *tb, const ks_record_t *r, int is_delete)
{
	const ks_schema_t *ks = r->key_schema, *vs = is_delete ? NULL : r->value_schema;
	ks_schema_t *sk = NULL, *sv = NULL;
	jlayout_t *l;

	if ((l = layout_find(tb, ks, vs, is_delete)))
		return l;
	if (!ks && t->set.pk_mode == KS_JDBC_PK_RECORD_KEY && r->key && !r->key->is_null) {
		if (!(ks = sk = infer_schema(r->key)))
			return NULL;
	}
	if (!is_delete && !vs && r->value) {
		if (!(vs = sv = infer_schema(r->value))) {
			ks_schema_unref(sk);
			return NULL;
		}
	}
	if ((sk || sv) && (l = layout_find(tb, ks, vs, is_delete)))
		goto out;
	if (!(l = calloc(1, sizeof(*l))))
		goto out;
	/* the layout keeps its schemas alive: column schemas point into them */
	l->ks = ks_schema_ref((ks_schema_t *)ks);
	l->vs = ks_schema_ref((ks_schema_t *)vs);
	l->is_delete = is_delete;
	l->schemaless = sk || sv;
	l->id = ++t->cat.next_layout_id;
	l->matched_gen = -1;
	int rc = layout_build(t, tb, l, r);
	if (rc == -1) {
		layout_free(l);
		l = NULL;
		goto out;
	}
	if (rc)
		l->failed = 1;
	l->next = tb->layouts;
	tb->layouts = l;
out:
	ks_schema_unref(sk);
	ks_schema_unref(sv);
	return l;
}

void ks_jdbc_catalog_clear(ks_sink_task_t *t)
{
	while (t->cat.tables) {
		jtable_t *tb = t->cat.tables;
		t->cat.tables = tb->next;
		while (tb->layouts) {
			jlayout_t *l = tb->layouts;
			tb->layouts = l->next;
			layout_free(l);
		}
		table_free_cols(tb);
		free(tb->spec);
		free(tb->schema);
		free(tb->name);
		free(tb->qname);
		free(tb);
	}
	for (size_t i = 0; i < t->cat.ntopics; i++)
		free(t->cat.topics[i].topic);
	free(t->cat.topics);
	t->cat.topics = NULL;
	t->cat.ntopics = 0;
}
