/*
 * transform_debezium.c — io.debezium.transforms.ExtractNewRecordState:
 * turns a Debezium change event (a STRUCT value whose schema name ends in
 * ".Envelope", with before / after / source / op / ts_ms) into the row
 * state, so a JDBC sink can write it.
 *
 *   c / r / u     the "after" struct (+ add.fields, + __deleted=false in the
 *                 rewrite modes)
 *   d             per delete.tombstone.handling.mode: dropped (drop), a
 *                 tombstone (tombstone, delete-to-tombstone) or the "before"
 *                 struct with __deleted=true (rewrite, rewrite-with-tombstone)
 *   tombstone     kept only with rewrite-with-tombstone
 *   truncate      (before and after null) dropped
 *   not an envelope (schemaless, heartbeats, ...) passes unchanged
 *
 * The deprecated drop.tombstones / delete.handling.mode are honoured when
 * set and delete.tombstone.handling.mode is not; with none of them set the
 * default is delete.tombstone.handling.mode=tombstone (Debezium 3).
 */
#include "transform_impl.h"

#include <stdlib.h>
#include <string.h>

#define OOM(errstr, errlen) ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory")

enum { M_DROP, M_TOMBSTONE, M_REWRITE, M_REWRITE_WITH_TOMBSTONE, M_DELETE_TO_TOMBSTONE };

static const char *const modes[] = {
        "drop", "tombstone", "rewrite", "rewrite-with-tombstone", "delete-to-tombstone", NULL};
static const char *const legacy_modes[] = {"drop", "rewrite", "none", NULL};

/* One add.fields / add.headers entry. */
typedef struct fref {
	char *strct; /* NULL: the envelope itself */
	char *field;
	char *out; /* output field / header name */
} fref_t;

typedef struct unwrap {
	int keep_tombstones;
	int on_delete; /* M_DROP, M_TOMBSTONE (after schema), M_DELETE_TO_TOMBSTONE, M_REWRITE */
	int rewrite;   /* adds __deleted */
	fref_t *fields, *headers;
	size_t nfields, nheaders;
	char *route;
} unwrap_t;

static const ks_cfg_def_t unwrap_defs[] = {
        {.name = "delete.tombstone.handling.mode",
         .type = KS_CFG_STRING,
         .allowed = modes,
         .importance = KS_IMP_MEDIUM,
         .doc = "How to handle delete events and tombstones: drop, tombstone (the default), "
                "rewrite (__deleted field), rewrite-with-tombstone, delete-to-tombstone."},
        {.name = "drop.tombstones",
         .type = KS_CFG_BOOLEAN,
         .default_value = "true",
         .importance = KS_IMP_LOW,
         .doc = "Deprecated (use delete.tombstone.handling.mode): drop tombstone records."},
        {.name = "delete.handling.mode",
         .type = KS_CFG_STRING,
         .default_value = "drop",
         .allowed = legacy_modes,
         .importance = KS_IMP_MEDIUM,
         .doc = "Deprecated (use delete.tombstone.handling.mode): drop, rewrite or none."},
        {.name = "route.by.field",
         .type = KS_CFG_STRING,
         .default_value = "",
         .importance = KS_IMP_LOW,
         .doc = "The column which determines how the events will be routed, the value will "
                "replace the topic name."},
        {.name = "add.fields.prefix",
         .type = KS_CFG_STRING,
         .default_value = "__",
         .importance = KS_IMP_LOW,
         .doc = "Adds this prefix to each field listed."},
        {.name = "add.fields",
         .type = KS_CFG_LIST,
         .default_value = "",
         .importance = KS_IMP_LOW,
         .doc = "Adds each field listed, prefixed with __ (or __<struct>_ if the struct is "
                "specified), e.g. op,table,source.ts_ms; field:newName renames."},
        {.name = "add.headers.prefix",
         .type = KS_CFG_STRING,
         .default_value = "__",
         .importance = KS_IMP_LOW,
         .doc = "Adds this prefix listed to each header."},
        {.name = "add.headers",
         .type = KS_CFG_LIST,
         .default_value = "",
         .importance = KS_IMP_LOW,
         .doc = "Adds each field listed to the headers (as text), named like add.fields."},
        {.name = "replace.null.with.default",
         .type = KS_CFG_BOOLEAN,
         .default_value = "true",
         .importance = KS_IMP_LOW,
         .doc = "Accepted for compatibility: null values are kept as they are."},
        {.name = "drop.fields.header.name",
         .type = KS_CFG_STRING,
         .importance = KS_IMP_LOW,
         .doc = "Not supported by ksink (setting it is an error)."},
        KS_CFG_END,
};

/* Debezium's FieldReference: which struct hosts a field named alone. */
static const char *host_struct(const char *f)
{
	if (!strcmp(f, "op") || !strcmp(f, "ts_ms") || !strcmp(f, "ts_us") || !strcmp(f, "ts_ns"))
		return NULL;
	if (!strcmp(f, "id") || !strcmp(f, "total_order") || !strcmp(f, "data_collection_order"))
		return "transaction";
	return "source";
}

static int frefs_load(fref_t **out, size_t *nout, const ks_config_t *cfg, const char *key,
                      const char *prefix, const char **bad, char *errstr, size_t errlen)
{
	const char *const *items;
	size_t n = ks_config_list(cfg, key, &items);
	fref_t *v = calloc(n ? n : 1, sizeof(*v));

	*out = v;
	*nout = 0;
	if (!v)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *spec = items[i], *colon = strchr(spec, ':');
		size_t sl = colon ? (size_t)(colon - spec) : strlen(spec);
		const char *dot = memchr(spec, '.', sl);
		const char *hs;
		if (!sl || (colon && (strchr(colon + 1, ':') || !colon[1]))) {
			*bad = key;
			return ks_seterr(errstr, errlen, -1, "Unexpected field name: %s", spec);
		}
		if (dot) {
			v[i].strct = ks_strndup(spec, (size_t)(dot - spec));
			v[i].field = ks_strndup(dot + 1, sl - (size_t)(dot - spec) - 1);
		} else {
			v[i].field = ks_strndup(spec, sl);
			hs = v[i].field ? host_struct(v[i].field) : NULL;
			v[i].strct = hs ? ks_strdup(hs) : NULL;
			if (hs && !v[i].strct)
				return ks_seterr(errstr, errlen, -1, "out of memory");
		}
		if ((colon ? asprintf(&v[i].out, "%s%s", prefix, colon + 1)
		     : dot ? asprintf(&v[i].out, "%s%s_%s", prefix, v[i].strct ? v[i].strct : "",
		                      v[i].field ? v[i].field : "")
		           : asprintf(&v[i].out, "%s%s", prefix, v[i].field ? v[i].field : "")) < 0)
			v[i].out = NULL;
		*nout = i + 1;
		if (!v[i].field || !v[i].out || (dot && !v[i].strct))
			return ks_seterr(errstr, errlen, -1, "out of memory");
	}
	return 0;
}

static void frefs_free(fref_t *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].strct);
		free(v[i].field);
		free(v[i].out);
	}
	free(v);
}

static int unwrap_init(ks_tf_t *tf, const ks_config_t *cfg, const char **bad, char *errstr,
                       size_t errlen)
{
	unwrap_t *s = ks_tf_state_new(tf, sizeof(*s), errstr, errlen);
	const char *mode = ks_config_string(cfg, "delete.tombstone.handling.mode");
	const char *route = ks_config_string(cfg, "route.by.field");

	if (!s)
		return -1;
	if (ks_config_string(cfg, "drop.fields.header.name")) {
		*bad = "drop.fields.header.name";
		return ks_seterr(errstr, errlen, -1,
		                 "drop.fields.header.name is not supported by ksink");
	}
	if ((!mode || !*mode) && (ks_config_is_set(cfg, "drop.tombstones") ||
	                          ks_config_is_set(cfg, "delete.handling.mode"))) {
		const char *hd = ks_config_string(cfg, "delete.handling.mode");
		s->keep_tombstones = !ks_config_bool(cfg, "drop.tombstones");
		if (ks_strcaseeq(hd, "rewrite"))
			s->on_delete = M_REWRITE, s->rewrite = 1;
		else if (ks_strcaseeq(hd, "none"))
			s->on_delete = M_TOMBSTONE;
		else
			s->on_delete = M_DROP;
	} else {
		int m = M_TOMBSTONE;
		for (int i = 0; mode && modes[i]; i++)
			if (ks_strcaseeq(mode, modes[i]))
				m = i;
		s->keep_tombstones = m == M_REWRITE_WITH_TOMBSTONE;
		s->rewrite = m == M_REWRITE || m == M_REWRITE_WITH_TOMBSTONE;
		s->on_delete = s->rewrite ? M_REWRITE : m;
	}
	if (route && *route && !(s->route = ks_strdup(route)))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	if (frefs_load(&s->fields, &s->nfields, cfg, "add.fields",
	               ks_config_string(cfg, "add.fields.prefix"), bad, errstr, errlen) ||
	    frefs_load(&s->headers, &s->nheaders, cfg, "add.headers",
	               ks_config_string(cfg, "add.headers.prefix"), bad, errstr, errlen))
		return -1;
	return 0;
}

static void unwrap_destroy(ks_tf_t *tf)
{
	unwrap_t *s = tf->state;
	frefs_free(s->fields, s->nfields);
	frefs_free(s->headers, s->nheaders);
	free(s->route);
	free(s);
}

static int is_envelope(const ks_schema_t *s, const ks_value_t *v)
{
	size_t nl, sl = strlen(".Envelope");

	if (!s || s->type != KS_TYPE_STRUCT || !s->name || !v || v->type != KS_TYPE_STRUCT)
		return 0;
	nl = strlen(s->name);
	return nl >= sl && !strcmp(s->name + nl - sl, ".Envelope");
}

/* The schema of a referenced field (NULL: not in this envelope). */
static const ks_schema_t *fref_schema(const fref_t *r, const ks_schema_t *env)
{
	const ks_field_t *host = r->strct ? ks_schema_field(env, r->strct) : NULL;
	const ks_schema_t *parent = r->strct ? (host ? host->schema : NULL) : env;
	const ks_field_t *f = parent ? ks_schema_field(parent, r->field) : NULL;

	if (!f)
		f = ks_schema_field(env, r->field); /* added to the payload by another SMT */
	return f ? f->schema : NULL;
}

static const ks_value_t *fref_value(const fref_t *r, const ks_schema_t *env, const ks_value_t *v)
{
	const ks_field_t *host = r->strct ? ks_schema_field(env, r->strct) : NULL;
	const ks_value_t *pv = r->strct ? ks_value_field(env, v, r->strct) : v;
	const ks_schema_t *ps = r->strct ? (host ? host->schema : NULL) : env;

	if (!pv || pv->is_null)
		return NULL;
	if (ps && ks_schema_field(ps, r->field))
		return ks_value_field(ps, pv, r->field);
	return ks_value_field(env, v, r->field);
}

static ks_err_t add_headers(const unwrap_t *st, ks_record_t *rec, const ks_schema_t *env,
                            const ks_value_t *v, ks_arena_t *a, char *errstr, size_t errlen)
{
	ks_header_t *h;
	size_t n = rec->nheaders;

	if (!st->nheaders)
		return KS_OK;
	if (!(h = ks_arena_calloc(a, n + st->nheaders, sizeof(*h))))
		return OOM(errstr, errlen);
	if (n)
		memcpy(h, rec->headers, n * sizeof(*h));
	for (size_t i = 0; i < st->nheaders; i++) {
		const fref_t *r = &st->headers[i];
		ks_buf_t b = KS_BUF_INIT;
		const ks_value_t *fv;
		if (!env) { /* a tombstone: only op, as "d" */
			if (strcmp(r->field, "op"))
				continue;
			h[n].key = r->out;
			h[n].value = "d";
			h[n++].len = 1;
			continue;
		}
		if (!fref_schema(r, env))
			continue;
		fv = fref_value(r, env, v);
		h[n].key = r->out;
		if (fv && !fv->is_null && !ks_tf_value_text(NULL, fv, &b)) {
			if (ks_buf_failed(&b) ||
			    !(h[n].value = ks_arena_memdup(a, b.data ? b.data : "", b.len))) {
				ks_buf_free(&b);
				return OOM(errstr, errlen);
			}
			h[n].len = b.len;
		}
		ks_buf_free(&b);
		n++;
	}
	rec->headers = h;
	rec->nheaders = n;
	return KS_OK;
}

/* The row schema with the added fields (and __deleted), cached. */
static ks_schema_t *row_schema(ks_tf_t *tf, const unwrap_t *st, const ks_schema_t *row,
                               const ks_schema_t *env)
{
	ks_schema_t *os = ks_tf_cache_get(&tf->cache, row, env, 0);

	if (os)
		return os;
	if (!(os = ks_tf_schema_basics(row, KS_TYPE_STRUCT)))
		return NULL;
	for (size_t i = 0; i < row->nfields; i++)
		if (ks_tf_add_field_ref(os, row->fields[i].name, row->fields[i].schema))
			goto fail;
	for (size_t i = 0; i < st->nfields; i++) {
		const ks_schema_t *fs = fref_schema(&st->fields[i], env);
		if (!fs || ks_schema_field(os, st->fields[i].out))
			continue;
		if (ks_schema_add_field(os, st->fields[i].out, ks_tf_schema_optional(fs, 1)))
			goto fail;
	}
	if (st->rewrite && !ks_schema_field(os, "__deleted") &&
	    ks_schema_add_field(os, "__deleted",
	                        ks_tf_schema_prim(KS_TYPE_STRING, KS_LOGICAL_NONE, 1)))
		goto fail;
	return ks_tf_cache_put(&tf->cache, row, env, 0, os);
fail:
	ks_schema_unref(os);
	return NULL;
}

static ks_err_t unwrap_apply(ks_tf_t *tf, ks_record_t *rec, ks_arena_t *a, int *drop, char *errstr,
                             size_t errlen)
{
	unwrap_t *st = tf->state;
	const ks_schema_t *env = rec->value_schema, *rs;
	const ks_value_t *v = rec->value, *after, *before, *row;
	const ks_field_t *fa, *fb;
	ks_schema_t *os;
	ks_value_t *ov;
	ks_err_t err;
	int is_delete;

	if (!v || v->is_null) {
		if (!st->keep_tombstones) {
			*drop = 1;
			return KS_OK;
		}
		return add_headers(st, rec, NULL, NULL, a, errstr, errlen);
	}
	if (!is_envelope(env, v))
		return KS_OK;
	if ((err = add_headers(st, rec, env, v, a, errstr, errlen)))
		return err;
	fa = ks_schema_field(env, "after");
	fb = ks_schema_field(env, "before");
	after = ks_value_field(env, v, "after");
	before = ks_value_field(env, v, "before");
	if (after && after->is_null)
		after = NULL;
	if (before && before->is_null)
		before = NULL;
	if (!after && !before) { /* truncate */
		*drop = 1;
		return KS_OK;
	}
	is_delete = !after;
	row = is_delete ? before : after;
	rs = is_delete ? (fb ? fb->schema : NULL) : (fa ? fa->schema : NULL);
	if (!rs || rs->type != KS_TYPE_STRUCT || row->type != KS_TYPE_STRUCT)
		return ks_tf_need_struct(rs, row, "source field insertion", errstr, errlen);
	if (st->route) {
		const ks_value_t *tv = ks_value_field(rs, row, st->route);
		if (tv && !tv->is_null) {
			char *topic;
			if (tv->type != KS_TYPE_STRING)
				return ks_seterr(
				        errstr, errlen, KS_ERR_RECORD,
				        "Field '%s' is not of type STRING (route.by.field)",
				        st->route);
			if (!(topic = ks_arena_memdup(a, tv->u.s.ptr, tv->u.s.len)))
				return OOM(errstr, errlen);
			rec->topic = topic;
		}
	}
	if (is_delete && st->on_delete != M_REWRITE) {
		if (st->on_delete == M_DROP) {
			*drop = 1;
			return KS_OK;
		}
		rec->value_schema = st->on_delete == M_TOMBSTONE && fa ? fa->schema : NULL;
		rec->value = NULL;
		return KS_OK;
	}
	if (!(os = row_schema(tf, st, rs, env)))
		return OOM(errstr, errlen);
	if (!(ov = ks_tf_struct_new(a, os->nfields, 0)))
		return OOM(errstr, errlen);
	for (size_t i = 0; i < rs->nfields; i++)
		ov->u.st.fields[i] = row->u.st.fields[i];
	for (size_t i = rs->nfields; i < os->nfields; i++) {
		const char *name = os->fields[i].name;
		const ks_value_t *fv = NULL;
		memset(&ov->u.st.fields[i], 0, sizeof(ks_value_t));
		ov->u.st.fields[i].type = os->fields[i].schema->type;
		ov->u.st.fields[i].is_null = 1;
		if (st->rewrite && !strcmp(name, "__deleted")) {
			ov->u.st.fields[i].is_null = 0;
			ov->u.st.fields[i].u.s.ptr = is_delete ? "true" : "false";
			ov->u.st.fields[i].u.s.len = is_delete ? 4 : 5;
			continue;
		}
		for (size_t k = 0; k < st->nfields; k++)
			if (!strcmp(st->fields[k].out, name)) {
				fv = fref_value(&st->fields[k], env, v);
				break;
			}
		if (fv)
			ov->u.st.fields[i] = *fv;
	}
	rec->value_schema = os;
	rec->value = ov;
	return KS_OK;
}

const ks_tf_class_t ks_tf_extract_new_record_state = {
        .name = "io.debezium.transforms.ExtractNewRecordState",
        .defs = unwrap_defs,
        .init = unwrap_init,
        .apply = unwrap_apply,
        .destroy = unwrap_destroy,
};
