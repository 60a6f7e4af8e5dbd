/*
 * plan.c — turns the staged records of a batch into groups (one per table
 * and layout, tables in first-use order, a table's deletes before its
 * writes), reducing to the last change per key when pk.mode is record_key
 * or record_value (upsert/update/delete need it: ON CONFLICT cannot touch a
 * row twice). Also the per-record checks and the encoding of a record as a
 * binary COPY tuple (keys for the reduction, rows for write.c/stream.c).
 */
#include "sink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* --- row encoding --- */

/* timestamp.fields.list: an INT64 or numeric STRING of epoch micros (or
 * nanos) as a TimestampMicros value in *tmp. */
static int epoch_value(const jcol_t *c, const ks_value_t *v, ks_value_t *tmp, const ks_schema_t **s,
                       char *err, size_t errlen)
{
	static const ks_schema_t ts_us = {.type = KS_TYPE_INT64,
	                                  .logical = KS_LOGICAL_TIMESTAMP_MICROS};
	int64_t x;

	if (v->type == KS_TYPE_STRING) {
		char buf[32], *end;
		if (!v->u.s.len || v->u.s.len >= sizeof(buf))
			return ks_seterr(err, errlen, -1, "not an epoch number");
		memcpy(buf, v->u.s.ptr, v->u.s.len);
		buf[v->u.s.len] = 0;
		errno = 0;
		x = strtoll(buf, &end, 10);
		if (errno || *end)
			return ks_seterr(err, errlen, -1, "'%s' is not an epoch number", buf);
	} else {
		x = v->u.i;
	}
	memset(tmp, 0, sizeof(*tmp));
	tmp->type = KS_TYPE_INT64;
	/* floor division: instants before 1970 stay in their microsecond */
	tmp->u.i = x / c->epoch_div - (x % c->epoch_div < 0);
	*s = &ts_us;
	return 0;
}

static void col_value(const ks_sink_task_t *t, const jcol_t *c, const ks_record_t *r,
                      ks_value_t *tmp, const ks_schema_t **s, const ks_value_t **v)
{
	const ks_value_t *st = NULL;

	*s = c->schema;
	*v = NULL;
	switch (c->src) {
	case SRC_KAFKA_TOPIC:
		memset(tmp, 0, sizeof(*tmp));
		tmp->type = KS_TYPE_STRING;
		tmp->u.s.ptr = r->topic;
		tmp->u.s.len = strlen(r->topic);
		*v = tmp;
		return;
	case SRC_KAFKA_PARTITION:
	case SRC_KAFKA_OFFSET:
		memset(tmp, 0, sizeof(*tmp));
		tmp->type = c->src == SRC_KAFKA_PARTITION ? KS_TYPE_INT32 : KS_TYPE_INT64;
		tmp->u.i = c->src == SRC_KAFKA_PARTITION ? r->partition : r->offset;
		*v = tmp;
		return;
	case SRC_KEY:
		*v = r->key;
		break;
	case SRC_KEY_FIELD:
		st = r->key;
		break;
	case SRC_VALUE:
		st = r->value;
		break;
	case SRC_VALUE_WHOLE:
		*v = r->value;
		break;
	}
	if (st && !st->is_null && st->type == KS_TYPE_STRUCT && c->field >= 0 &&
	    (size_t)c->field < st->u.st.n)
		*v = &st->u.st.fields[c->field];
	if ((!*v || (*v)->is_null) && t->set.replace_null_with_default && c->schema &&
	    c->schema->default_value)
		*v = c->schema->default_value;
}

/* Appends the binary COPY tuple of r (columns [from, to) of l). */
int ks_jdbc_encode_row(ks_sink_task_t *t, ks_buf_t *b, const jlayout_t *l, size_t from, size_t to,
                       const ks_record_t *r)
{
	unsigned char nf[2] = {(unsigned char)((to - from) >> 8), (unsigned char)(to - from)};
	ks_value_t tmp;

	ks_buf_append(b, nf, 2);
	for (size_t i = from; i < to; i++) {
		const jcol_t *c = &l->cols[i];
		const ks_schema_t *s;
		const ks_value_t *v;
		char err[KS_ERRSTR_SIZE];

		col_value(t, c, r, &tmp, &s, &v);
		int bad = 0;
		if (c->epoch_div && v && !v->is_null) {
			bad = epoch_value(c, v, &tmp, &s, err, sizeof(err));
			v = &tmp;
		}
		if (bad || ks_jdbc_encode(b, s, v, &c->pt, err, sizeof(err))) {
			ks_seterr(t->errstr, sizeof(t->errstr), 0, "%s[%d]@%lld column \"%s\": %s",
			          r->topic, (int)r->partition, (long long)r->offset, c->name, err);
			return -1;
		}
	}
	return 0;
}

/* --- plan: group, reduce --- */

typedef struct rentry {
	uint64_t hash;
	jtable_t *table;
	size_t koff, klen;
	size_t last;
	int last_delete, need_delete;
	int used;
} rentry_t;

uint64_t ks_jdbc_fnv(const void *p, size_t n, uint64_t h)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 1099511628211ULL;
	return h;
}

static jgroup_t *group_get(ks_sink_task_t *t, jtable_t *tb, jlayout_t *l, int tord)
{
	for (size_t i = 0; i < t->plan.ngroups; i++)
		if (t->plan.groups[i].layout == l)
			return &t->plan.groups[i];
	if (t->plan.ngroups == t->plan.capgroups) {
		size_t nc = t->plan.capgroups ? t->plan.capgroups * 2 : 8;
		jgroup_t *g = realloc(t->plan.groups, nc * sizeof(*g));
		if (!g)
			return NULL;
		t->plan.groups = g;
		t->plan.capgroups = nc;
	}
	jgroup_t *g = &t->plan.groups[t->plan.ngroups++];
	memset(g, 0, sizeof(*g));
	g->table = tb;
	g->layout = l;
	g->tord = tord;
	return g;
}

static int group_add(jgroup_t *g, size_t idx)
{
	if (g->n == g->cap) {
		size_t nc = g->cap ? g->cap * 2 : 64;
		size_t *r = realloc(g->rows, nc * sizeof(*r));
		if (!r)
			return -1;
		g->rows = r;
		g->cap = nc;
	}
	g->rows[g->n++] = idx;
	return 0;
}

void ks_jdbc_groups_clear(ks_sink_task_t *t)
{
	for (size_t i = 0; i < t->plan.ngroups; i++)
		free(t->plan.groups[i].rows);
	t->plan.ngroups = 0;
}

static int cmp_group(const void *a, const void *b)
{
	const jgroup_t *x = a, *y = b;
	if (x->tord != y->tord)
		return x->tord - y->tord;
	/* deletes of a table first (they only touch keys whose final state is
	 * "deleted" or that are re-written afterwards) */
	return (y->layout->is_delete) - (x->layout->is_delete);
}

/* Validates one record for the write path; 0 ok, else fills t->errstr.
 * (Runs for every record: the location text is only formatted on error.) */
#define BAD_RECORD(fmt, ...)                                                                       \
	(ks_seterr(t->errstr, sizeof(t->errstr), 0, "%s[%d]@%lld: " fmt, r->topic,                 \
	           (int)r->partition, (long long)r->offset, __VA_ARGS__),                          \
	 -1)
int ks_jdbc_record_check(ks_sink_task_t *t, const ks_record_t *r)
{
	if (!r->value) {
		if (!t->set.delete_enabled)
			return BAD_RECORD("%s", "null value (tombstone) but delete.enabled=false");
		if (!r->key || r->key->is_null)
			return BAD_RECORD("%s", "tombstone without a key");
		return 0;
	}
	/* a Struct with its schema, or a schemaless JSON object (names kept) */
	if (r->value_schema && r->value_schema->type == KS_TYPE_STRING &&
	    r->value->type == KS_TYPE_STRING && t->set.pk_mode != KS_JDBC_PK_RECORD_VALUE) {
		/* string.output.value.column.name */
	} else if (r->value->type != KS_TYPE_STRUCT ||
	           (r->value_schema ? r->value_schema->type != KS_TYPE_STRUCT
	                            : !r->value->u.st.names)) {
		return BAD_RECORD(
		        "Sink connector '%s' is configured with 'delete.enabled=%s' and "
		        "'pk.mode=%s' and therefore requires records with a non-null Struct value "
		        "and non-null Struct schema (or a schemaless JSON object)",
		        t->connector, t->set.delete_enabled ? "true" : "false",
		        t->set.pk_mode == KS_JDBC_PK_NONE         ? "none"
		        : t->set.pk_mode == KS_JDBC_PK_KAFKA      ? "kafka"
		        : t->set.pk_mode == KS_JDBC_PK_RECORD_KEY ? "record_key"
		                                                  : "record_value");
	}
	if (t->set.pk_mode == KS_JDBC_PK_RECORD_KEY && (!r->key || r->key->is_null))
		return BAD_RECORD("%s", "pk.mode=record_key but the key is null");
	return 0;
}
#undef BAD_RECORD

/* Builds the groups for staged[from, limit). KS_OK, KS_ERR_RECORD (t->bad_index
 * set), KS_ERR_FATAL. */
ks_err_t ks_jdbc_plan(ks_sink_task_t *t, size_t from, size_t limit)
{
	int reduce = t->set.pk_mode == KS_JDBC_PK_RECORD_KEY ||
	             t->set.pk_mode == KS_JDBC_PK_RECORD_VALUE;
	rentry_t *ht = NULL;
	size_t *slot = NULL; /* reduce: the hash slot of each staged record */
	size_t hcap = 16;
	jtable_t **tord = NULL;
	size_t ntord = 0;
	int rc = KS_ERR_FATAL;

	ks_jdbc_groups_clear(t);
	ks_buf_reset(&t->plan.keys);
	while (hcap < (limit - from) * 2)
		hcap *= 2;
	if (reduce && (!(ht = calloc(hcap, sizeof(*ht))) ||
	               !(slot = malloc((limit - from + 1) * sizeof(*slot)))))
		goto oom;
	if (!(tord = calloc(limit - from + 1, sizeof(*tord))))
		goto oom;
	for (size_t i = from; i < limit; i++) {
		const ks_record_t *r = t->staged[i];
		int is_delete = r->value == NULL;
		jtable_t *tb;
		jlayout_t *l;
		int to = -1;

		if (ks_jdbc_record_check(t, r)) {
			t->bad_index = i;
			rc = KS_ERR_RECORD;
			goto out;
		}
		if (!(tb = ks_jdbc_table_for_topic(t, r->topic)))
			goto oom;
		if (tb->bad) {
			ks_seterr(t->errstr, sizeof(t->errstr), 0, "%s", tb->err);
			t->bad_index = i;
			rc = KS_ERR_RECORD;
			goto out;
		}
		for (size_t k = 0; k < ntord; k++)
			if (tord[k] == tb)
				to = (int)k;
		if (to < 0) {
			to = (int)ntord;
			tord[ntord++] = tb;
		}
		if (!(l = ks_jdbc_layout_get(t, tb, r, is_delete)))
			goto oom;
		if (l->failed) {
			ks_seterr(t->errstr, sizeof(t->errstr), 0, "%s[%d]@%lld: %s", r->topic,
			          (int)r->partition, (long long)r->offset, l->err);
			t->bad_index = i;
			rc = KS_ERR_RECORD;
			goto out;
		}
		if (!reduce) {
			jgroup_t *g = group_get(t, tb, l, to);
			if (!g || group_add(g, i))
				goto oom;
			continue;
		}
		/* identity of the key: the encoded key columns */
		size_t koff = t->plan.keys.len;
		if (ks_jdbc_encode_row(t, &t->plan.keys, l, 0, l->nkeys, r)) {
			t->bad_index = i;
			rc = KS_ERR_RECORD;
			goto out;
		}
		if (ks_buf_failed(&t->plan.keys))
			goto oom;
		size_t klen = t->plan.keys.len - koff;
		uint64_t h = ks_jdbc_fnv(t->plan.keys.data + koff, klen,
		                         ks_jdbc_fnv(&tb, sizeof(tb), 14695981039346656037ULL));
		size_t pos = (size_t)h & (hcap - 1);
		while (ht[pos].used &&
		       !(ht[pos].hash == h && ht[pos].table == tb && ht[pos].klen == klen &&
		         !memcmp(t->plan.keys.data + ht[pos].koff, t->plan.keys.data + koff, klen)))
			pos = (pos + 1) & (hcap - 1);
		if (!ht[pos].used) {
			ht[pos].used = 1;
			ht[pos].hash = h;
			ht[pos].table = tb;
			ht[pos].koff = koff;
			ht[pos].klen = klen;
		} else {
			t->plan.keys.len = koff; /* key bytes already stored */
		}
		slot[i - from] = pos;
		ht[pos].last = i;
		ht[pos].last_delete = is_delete;
		if (is_delete)
			ht[pos].need_delete = 1;
	}
	/* in staged order, so every group's rows come out sorted */
	for (size_t i = from; reduce && i < limit; i++) {
		rentry_t *e = &ht[slot[i - from]];
		const ks_record_t *r;
		int to = 0;

		if (e->last != i)
			continue; /* a later change of the key wins */
		r = t->staged[e->last];
		for (size_t k = 0; k < ntord; k++)
			if (tord[k] == e->table)
				to = (int)k;
		if (e->need_delete) {
			jlayout_t *dl = ks_jdbc_layout_get(t, e->table, r, 1);
			jgroup_t *g;
			if (!dl)
				goto oom;
			if (dl->failed) {
				ks_seterr(t->errstr, sizeof(t->errstr), 0, "%s", dl->err);
				t->bad_index = e->last;
				rc = KS_ERR_RECORD;
				goto out;
			}
			if (!(g = group_get(t, e->table, dl, to)) || group_add(g, e->last))
				goto oom;
		}
		if (!e->last_delete) {
			jlayout_t *wl = ks_jdbc_layout_get(t, e->table, r, 0);
			jgroup_t *g;
			if (!wl || !(g = group_get(t, e->table, wl, to)) || group_add(g, e->last))
				goto oom;
		}
	}
	if (t->plan.ngroups > 1)
		qsort(t->plan.groups, t->plan.ngroups, sizeof(*t->plan.groups), cmp_group);
	rc = KS_OK;
	goto out;
oom:
	ks_seterr(t->errstr, sizeof(t->errstr), 0, "out of memory");
	rc = KS_ERR_FATAL;
out:
	free(ht);
	free(slot);
	free(tord);
	return rc;
}
