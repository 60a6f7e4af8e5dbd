/*
 * avro_schema.c — Avro schema (JSON) -> decode plan and Connect schema, as
 * Confluent's AvroData maps them (connect-rest.md §4): primitives and
 * logical types, records, enums, fixed, arrays, maps (and arrays of
 * MapEntry records), unions (optional / io.confluent.connect.avro.Union),
 * named types and references across registry schemas. Named types are
 * expanded per use, bounded in depth and total nodes, so a hostile schema
 * costs an error. Defaults and connect.* metadata: avro_schema_meta.c.
 */
#include "avro_converter.h"
#include "avro_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ks_av_node_free(av_node_t *n)
{
	if (!n)
		return;
	ks_schema_unref(n->schema);
	for (size_t i = 0; i < n->nkids; i++)
		ks_av_node_free(n->kids[i]);
	free(n->kids);
	ks_strv_free(n->symbols, n->nsymbols);
	free(n->symlens);
	free(n->fullname);
	free(n->branch_field);
	free(n);
}

static av_node_t *node_new(av_kind_t kind)
{
	av_node_t *n = calloc(1, sizeof(*n));
	if (n)
		n->kind = kind;
	return n;
}

static int add_kid(av_node_t *n, av_node_t *k)
{
	av_node_t **kids = realloc(n->kids, (n->nkids + 1) * sizeof(*kids));
	if (!kids) {
		ks_av_node_free(k);
		return -1;
	}
	n->kids = kids;
	kids[n->nkids++] = k;
	return 0;
}

int ks_av_cerr(cctx_t *cx, const char *fmt, const char *arg)
{
	char msg[KS_ERRSTR_SIZE];
	snprintf(msg, sizeof(msg), fmt, arg ? arg : "");
	ks_seterr(cx->errstr, cx->errlen, -1, "invalid Avro schema: %s", msg);
	return -1;
}

int ks_av_cerr_oom(cctx_t *cx)
{
	return ks_seterr(cx->errstr, cx->errlen, -1, "out of memory");
}

static const char *primitive_names[] = {"null",  "boolean", "int",   "long",
                                        "float", "double",  "bytes", "string"};

static int primitive_kind(const char *t)
{
	for (size_t i = 0; i < KS_ARRAY_SIZE(primitive_names); i++)
		if (!strcmp(t, primitive_names[i]))
			return (int)i; /* AV_NULL..AV_STRING share the order */
	return -1;
}

static char *make_fullname(const char *name, const char *ns)
{
	size_t n;
	char *f;

	if (strchr(name, '.') || !ns || !*ns)
		return ks_strdup(name);
	n = strlen(ns) + strlen(name) + 2;
	if ((f = malloc(n)))
		snprintf(f, n, "%s.%s", ns, name);
	return f;
}

/* Namespace of a full name ("a.b.C" -> "a.b"), heap; "" when none. */
static char *namespace_of(const char *fullname)
{
	const char *dot = strrchr(fullname, '.');
	return dot ? ks_strndup(fullname, (size_t)(dot - fullname)) : ks_strdup("");
}

static named_t *find_named(cctx_t *cx, const char *fullname)
{
	for (named_t *n = cx->names; n; n = n->next)
		if (!strcmp(n->fullname, fullname))
			return n;
	return NULL;
}

static av_node_t *compile(cctx_t *cx, const json_t *j, const char *ns, int optional);

/* Avro field default (JSON) -> value of node n (heap via the arena). */
static av_node_t *compile_primitive(cctx_t *cx, av_kind_t kind, const json_t *obj, int optional)
{
	static const ks_type_t ktype[] = {KS_TYPE_STRING, KS_TYPE_BOOLEAN, KS_TYPE_INT32,
	                                  KS_TYPE_INT64,  KS_TYPE_FLOAT32, KS_TYPE_FLOAT64,
	                                  KS_TYPE_BYTES,  KS_TYPE_STRING};
	const char *lt = json_string_value(json_object_get(obj, "logicalType"));
	const char *ct = json_string_value(json_object_get(obj, "connect.type"));
	av_node_t *n;
	ks_schema_t *s = NULL;
	static const size_t minsz[] = {0, 1, 1, 1, 4, 8, 1, 1};

	if (kind == AV_NULL) {
		ks_av_cerr(cx, "%s", "Standalone null schemas are not supported by this converter");
		return NULL;
	}
	if (!(n = node_new(kind))) {
		ks_av_cerr_oom(cx);
		return NULL;
	}
	n->min_size = minsz[kind];
	if (lt && kind == AV_BYTES && !strcmp(lt, "decimal")) {
		const json_t *p = json_object_get(obj, "precision");
		const json_t *sc = json_object_get(obj, "scale");
		int prec = json_is_integer(p) ? (int)json_integer_value(p) : 64;
		s = ks_schema_decimal(prec == 64 ? -1 : prec,
		                      json_is_integer(sc) ? (int)json_integer_value(sc) : 0);
		if (s)
			s->precision = prec;
	} else if (lt && kind == AV_INT && !strcmp(lt, "date")) {
		s = ks_schema_logical(KS_LOGICAL_DATE);
	} else if (lt && kind == AV_INT && !strcmp(lt, "time-millis")) {
		s = ks_schema_logical(KS_LOGICAL_TIME);
	} else if (lt && kind == AV_LONG && !strcmp(lt, "timestamp-millis")) {
		s = ks_schema_logical(KS_LOGICAL_TIMESTAMP);
	} else if (lt && kind == AV_LONG && !strcmp(lt, "time-micros")) {
		s = ks_schema_logical(KS_LOGICAL_TIME_MICROS);
	} else if (lt && kind == AV_LONG && !strcmp(lt, "timestamp-micros")) {
		s = ks_schema_logical(KS_LOGICAL_TIMESTAMP_MICROS);
	} else if (lt && kind == AV_STRING && !strcmp(lt, "uuid")) {
		s = ks_schema_logical(KS_LOGICAL_UUID);
	} else {
		ks_type_t t = ktype[kind];
		if (kind == AV_INT && ct && !strcmp(ct, "int8"))
			t = KS_TYPE_INT8;
		else if (kind == AV_INT && ct && !strcmp(ct, "int16"))
			t = KS_TYPE_INT16;
		s = ks_schema_new(t);
	}
	if (!s) {
		ks_av_node_free(n);
		ks_av_cerr_oom(cx);
		return NULL;
	}
	n->schema = s;
	s->optional = optional;
	if (ks_av_finish_schema(cx, s, obj)) {
		ks_av_node_free(n);
		return NULL;
	}
	return n;
}

static int register_named(cctx_t *cx, const char *fullname, const json_t *def, named_t **out)
{
	named_t *nm = find_named(cx, fullname);

	if (nm) {
		if (nm->def != def)
			return ks_av_cerr(cx, "type %s is defined twice", fullname);
		*out = nm;
		return 0;
	}
	if (!(nm = calloc(1, sizeof(*nm))) || !(nm->fullname = ks_strdup(fullname)) ||
	    !(nm->ns = namespace_of(fullname))) {
		if (nm)
			free(nm->fullname);
		free(nm);
		return ks_av_cerr_oom(cx);
	}
	nm->def = def;
	nm->next = cx->names;
	cx->names = nm;
	*out = nm;
	return 0;
}

static const char *simple_name(const char *fullname)
{
	const char *dot = strrchr(fullname, '.');
	return dot ? dot + 1 : fullname;
}

static av_node_t *compile_union(cctx_t *cx, const json_t *j, const char *ns, int optional)
{
	size_t nb = json_array_size(j), nnull = 0, i;
	av_node_t *n = node_new(AV_UNION), *b;
	json_t *bj;

	if (!n) {
		ks_av_cerr_oom(cx);
		return NULL;
	}
	n->min_size = 1;
	json_array_foreach(j, i, bj)
	{
		if (json_is_string(bj) && !strcmp(json_string_value(bj), "null"))
			nnull++;
		else if (json_is_array(bj)) {
			ks_av_cerr(cx, "%s", "a union may not directly contain a union");
			goto fail;
		}
	}
	if (nb == 0 || nnull == nb) {
		ks_av_cerr(cx, "%s",
		           nb ? "Standalone null schemas are not supported by this converter"
		              : "empty union");
		goto fail;
	}
	if (nnull > 1) {
		ks_av_cerr(cx, "%s", "duplicate null in union");
		goto fail;
	}
	if (nb == 1 || (nb == 2 && nnull == 1)) {
		n->union_mode = nb == 1 ? U_SINGLE : U_OPTIONAL;
		json_array_foreach(j, i, bj)
		{
			if (json_is_string(bj) && !strcmp(json_string_value(bj), "null"))
				b = node_new(AV_NULL);
			else
				b = compile(cx, bj, ns, n->union_mode == U_OPTIONAL || optional);
			if (!b) {
				if (!cx->errstr[0])
					ks_av_cerr_oom(cx);
				goto fail;
			}
			if (b->kind == AV_UNION) {
				ks_av_node_free(b);
				ks_av_cerr(cx, "%s", "a union may not directly contain a union");
				goto fail;
			}
			if (b->schema)
				n->schema = ks_schema_ref(b->schema);
			if (add_kid(n, b)) {
				ks_av_cerr_oom(cx);
				goto fail;
			}
		}
		return n;
	}
	n->union_mode = U_STRUCT;
	if (!(n->branch_field = calloc(nb, sizeof(int))) ||
	    !(n->schema = ks_schema_new(KS_TYPE_STRUCT)) ||
	    ks_schema_set_name(n->schema, UNION_NAME)) {
		ks_av_cerr_oom(cx);
		goto fail;
	}
	n->schema->optional = optional || nnull;
	json_array_foreach(j, i, bj)
	{
		const char *fname;
		if (json_is_string(bj) && !strcmp(json_string_value(bj), "null")) {
			if (!(b = node_new(AV_NULL)) || add_kid(n, b)) {
				ks_av_cerr_oom(cx);
				goto fail;
			}
			n->branch_field[i] = -1;
			continue;
		}
		if (!(b = compile(cx, bj, ns, 1)))
			goto fail;
		if (add_kid(n, b)) {
			ks_av_cerr_oom(cx);
			goto fail;
		}
		if (b->kind == AV_UNION) {
			ks_av_cerr(cx, "%s", "a union may not directly contain a union");
			goto fail;
		}
		if (b->fullname)
			fname = simple_name(b->fullname);
		else if (b->kind == AV_ARRAY)
			fname = "array";
		else if (b->kind == AV_MAP)
			fname = "map";
		else
			fname = primitive_names[b->kind];
		if (ks_schema_field(n->schema, fname)) {
			ks_av_cerr(cx, "union has two branches mapping to field \"%s\"", fname);
			goto fail;
		}
		n->branch_field[i] = (int)n->schema->nfields;
		if (ks_schema_add_field(n->schema, fname, ks_schema_ref(b->schema))) {
			ks_av_cerr_oom(cx);
			goto fail;
		}
	}
	return n;
fail:
	ks_av_node_free(n);
	return NULL;
}

static av_node_t *compile_record(cctx_t *cx, const json_t *j, const char *fullname, int optional)
{
	const json_t *fields = json_object_get(j, "fields");
	const char *doc = json_string_value(json_object_get(j, "doc"));
	char *ns = namespace_of(fullname);
	av_node_t *n = node_new(AV_RECORD);
	size_t i;
	json_t *fj;

	if (!n || !ns || !(n->fullname = ks_strdup(fullname)) ||
	    !(n->schema = ks_schema_new(KS_TYPE_STRUCT)) ||
	    ks_schema_set_name(n->schema, fullname) ||
	    (doc && ks_schema_add_param(n->schema, P_RECORD_DOC, doc))) {
		ks_av_cerr_oom(cx);
		goto fail;
	}
	n->schema->optional = optional;
	if (!json_is_array(fields)) {
		ks_av_cerr(cx, "record %s has no \"fields\" array", fullname);
		goto fail;
	}
	json_array_foreach(fields, i, fj)
	{
		const char *fname = json_string_value(json_object_get(fj, "name"));
		const char *fdoc = json_string_value(json_object_get(fj, "doc"));
		const json_t *fdef = json_object_get(fj, "default");
		av_node_t *f;
		ks_schema_t *fs;

		if (!fname) {
			ks_av_cerr(cx, "record %s has a field without a name", fullname);
			goto fail;
		}
		if (ks_schema_field(n->schema, fname)) {
			ks_av_cerr(cx, "duplicate field \"%s\"", fname);
			goto fail;
		}
		if (!(f = compile(cx, json_object_get(fj, "type"), ns, 0)))
			goto fail;
		if (add_kid(n, f)) {
			ks_av_cerr_oom(cx);
			goto fail;
		}
		fs = f->schema;
		n->min_size += f->min_size;
		/* a nullable union drops the Avro field default (AvroData, §4.1) */
		if (fdef && !(f->kind == AV_UNION && f->union_mode == U_OPTIONAL)) {
			int had_cdef = json_object_get(json_is_object(json_object_get(fj, "type"))
			                                       ? json_object_get(fj, "type")
			                                       : NULL,
			                               "connect.default") != NULL;
			int used;
			if (ks_av_set_default_value(fs, f, fdef, &used)) {
				ks_av_cerr_oom(cx);
				goto fail;
			}
			if (used && !had_cdef && !ks_schema_param(fs, P_FIELD_DEFAULT) &&
			    ks_schema_add_param(fs, P_FIELD_DEFAULT, "true")) {
				ks_av_cerr_oom(cx);
				goto fail;
			}
		}
		if (fdoc) {
			char key[512];
			snprintf(key, sizeof(key), "%s%s", P_FIELD_DOC, fname);
			if (ks_schema_add_param(n->schema, key, fdoc)) {
				ks_av_cerr_oom(cx);
				goto fail;
			}
		}
		if (ks_schema_add_field(n->schema, fname, ks_schema_ref(fs))) {
			ks_av_cerr_oom(cx);
			goto fail;
		}
	}
	if (ks_av_finish_schema(cx, n->schema, j))
		goto fail;
	free(ns);
	return n;
fail:
	free(ns);
	ks_av_node_free(n);
	return NULL;
}

static av_node_t *compile_enum(cctx_t *cx, const json_t *j, const char *fullname, int optional)
{
	const json_t *syms = json_object_get(j, "symbols");
	av_node_t *n = node_new(AV_ENUM);
	size_t i;
	json_t *sj;
	char key[512];

	if (!n || !(n->fullname = ks_strdup(fullname)) ||
	    !(n->schema = ks_schema_new(KS_TYPE_STRING)) ||
	    ks_schema_set_name(n->schema, fullname) ||
	    ks_schema_add_param(n->schema, P_ENUM, fullname)) {
		ks_av_cerr_oom(cx);
		goto fail;
	}
	n->min_size = 1;
	n->schema->optional = optional;
	if (!json_is_array(syms) || !json_array_size(syms)) {
		ks_av_cerr(cx, "enum %s has no symbols", fullname);
		goto fail;
	}
	n->symbols = calloc(json_array_size(syms), sizeof(char *));
	n->symlens = calloc(json_array_size(syms), sizeof(size_t));
	if (!n->symbols || !n->symlens) {
		ks_av_cerr_oom(cx);
		goto fail;
	}
	json_array_foreach(syms, i, sj)
	{
		if (!json_is_string(sj)) {
			ks_av_cerr(cx, "enum %s has a non-string symbol", fullname);
			goto fail;
		}
		if (!(n->symbols[i] = ks_strdup(json_string_value(sj)))) {
			ks_av_cerr_oom(cx);
			goto fail;
		}
		n->symlens[i] = strlen(n->symbols[i]);
		n->nsymbols++;
		snprintf(key, sizeof(key), "%s.%s", P_ENUM, n->symbols[i]);
		if (ks_schema_add_param(n->schema, key, n->symbols[i])) {
			ks_av_cerr_oom(cx);
			goto fail;
		}
	}
	{ /* AvroData keeps the enum doc and default under the simple name */
		const char *edoc = json_string_value(json_object_get(j, "doc"));
		const char *edef = json_string_value(json_object_get(j, "default"));
		if (edoc) {
			snprintf(key, sizeof(key), "io.confluent.connect.avro.enum.doc.%s",
			         simple_name(fullname));
			if (ks_schema_add_param(n->schema, key, edoc)) {
				ks_av_cerr_oom(cx);
				goto fail;
			}
		}
		if (edef) {
			snprintf(key, sizeof(key), "io.confluent.connect.avro.enum.default.%s",
			         simple_name(fullname));
			if (ks_schema_add_param(n->schema, key, edef)) {
				ks_av_cerr_oom(cx);
				goto fail;
			}
		}
	}
	if (ks_av_finish_schema(cx, n->schema, j))
		goto fail;
	return n;
fail:
	ks_av_node_free(n);
	return NULL;
}

static av_node_t *compile_fixed(cctx_t *cx, const json_t *j, const char *fullname, int optional)
{
	const json_t *size = json_object_get(j, "size");
	const char *lt = json_string_value(json_object_get(j, "logicalType"));
	av_node_t *n;
	char buf[32];

	if (!json_is_integer(size) || json_integer_value(size) < 0 ||
	    json_integer_value(size) > (1 << 24)) {
		ks_av_cerr(cx, "fixed %s needs a valid \"size\"", fullname);
		return NULL;
	}
	if (lt && !strcmp(lt, "decimal")) { /* Decimal on fixed: the fixed name is dropped */
		if (!(n = compile_primitive(cx, AV_BYTES, j, optional)))
			return NULL;
		n->kind = AV_FIXED;
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(size));
		if (ks_schema_add_param(n->schema, "connect.fixed.size", buf)) {
			ks_av_node_free(n);
			ks_av_cerr_oom(cx);
			return NULL;
		}
	} else {
		if (!(n = node_new(AV_FIXED)) || !(n->schema = ks_schema_new(KS_TYPE_BYTES)) ||
		    ks_schema_set_name(n->schema, fullname)) {
			ks_av_node_free(n);
			ks_av_cerr_oom(cx);
			return NULL;
		}
		n->schema->optional = optional;
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(size));
		if (ks_schema_add_param(n->schema, "connect.fixed.size", buf)) {
			ks_av_node_free(n);
			ks_av_cerr_oom(cx);
			return NULL;
		}
		if (ks_av_finish_schema(cx, n->schema, j)) {
			ks_av_node_free(n);
			return NULL;
		}
	}
	n->fixed_size = json_integer_value(size);
	n->min_size = (size_t)n->fixed_size;
	if (!(n->fullname = ks_strdup(fullname))) {
		ks_av_node_free(n);
		ks_av_cerr_oom(cx);
		return NULL;
	}
	return n;
}

static av_node_t *compile_named_def(cctx_t *cx, const json_t *j, const char *type, const char *ns,
                                    int optional)
{
	const char *name = json_string_value(json_object_get(j, "name"));
	const char *jns = json_string_value(json_object_get(j, "namespace"));
	char *fullname;
	named_t *nm = NULL;
	av_node_t *n = NULL;

	if (!name) {
		ks_av_cerr(cx, "a %s needs a \"name\"", type);
		return NULL;
	}
	if (!(fullname = make_fullname(name, jns ? jns : ns))) {
		ks_av_cerr_oom(cx);
		return NULL;
	}
	if (register_named(cx, fullname, j, &nm)) {
		free(fullname);
		return NULL;
	}
	if (nm->busy) {
		ks_av_cerr(cx,
		           "recursive type %s is not supported (Connect schemas cannot recurse)",
		           fullname);
		free(fullname);
		return NULL;
	}
	nm->busy = 1;
	if (!strcmp(type, "record") || !strcmp(type, "error"))
		n = compile_record(cx, j, fullname, optional);
	else if (!strcmp(type, "enum"))
		n = compile_enum(cx, j, fullname, optional);
	else
		n = compile_fixed(cx, j, fullname, optional);
	nm->busy = 0;
	free(fullname);
	return n;
}

static av_node_t *compile(cctx_t *cx, const json_t *j, const char *ns, int optional)
{
	av_node_t *n = NULL;
	const char *t;
	int pk;

	if (++cx->depth > 64) {
		ks_av_cerr(cx, "%s", "schema nested too deeply");
		goto out;
	}
	if (++cx->nodes > 100000) {
		ks_av_cerr(cx, "%s",
		           "schema too large (more than 100000 types after expanding named types)");
		goto out;
	}
	if (json_is_array(j)) {
		n = compile_union(cx, j, ns, optional);
		goto out;
	}
	if (json_is_string(j)) {
		named_t *nm;
		char *full;
		t = json_string_value(j);
		if ((pk = primitive_kind(t)) >= 0) {
			n = compile_primitive(cx, (av_kind_t)pk, NULL, optional);
			goto out;
		}
		if (!(full = make_fullname(t, ns))) {
			ks_av_cerr_oom(cx);
			goto out;
		}
		nm = find_named(cx, full);
		if (!nm)
			nm = find_named(cx, t);
		free(full);
		if (!nm) {
			ks_av_cerr(cx, "unknown type \"%s\"", t);
			goto out;
		}
		{
			const char *dt = json_string_value(json_object_get(nm->def, "type"));
			n = compile_named_def(cx, nm->def, dt, nm->ns, optional);
		}
		goto out;
	}
	if (!json_is_object(j)) {
		ks_av_cerr(cx, "%s", "a schema must be a string, an object or an array");
		goto out;
	}
	{
		const json_t *tj = json_object_get(j, "type");
		if (json_is_object(tj) || json_is_array(tj)) {
			n = compile(cx, tj, ns, optional);
			goto out;
		}
		if (!(t = json_string_value(tj))) {
			ks_av_cerr(cx, "%s", "\"type\" missing");
			goto out;
		}
	}
	if ((pk = primitive_kind(t)) >= 0) {
		n = compile_primitive(cx, (av_kind_t)pk, j, optional);
	} else if (!strcmp(t, "record") || !strcmp(t, "error") || !strcmp(t, "enum") ||
	           !strcmp(t, "fixed")) {
		n = compile_named_def(cx, j, t, ns, optional);
	} else if (!strcmp(t, "array")) {
		av_node_t *it = compile(cx, json_object_get(j, "items"), ns, 0);
		if (!it)
			goto out;
		if (!(n = node_new(AV_ARRAY)) || add_kid(n, it)) {
			if (!n)
				ks_av_node_free(it);
			ks_av_node_free(n);
			n = NULL;
			ks_av_cerr_oom(cx);
			goto out;
		}
		n->min_size = 1;
		const char *cit = json_string_value(
		        json_object_get(json_object_get(j, "items"), "connect.internal.type"));
		if (it->kind == AV_RECORD && it->nkids == 2 && it->fullname &&
		    ((cit && !strcmp(cit, "MapEntry")) ||
		     !strcmp(it->fullname, "io.confluent.connect.avro.MapEntry") ||
		     (it->schema->name &&
		      !strcmp(it->schema->name, "io.confluent.connect.avro.MapEntry"))) &&
		    !strcmp(it->schema->fields[0].name, "key") &&
		    !strcmp(it->schema->fields[1].name, "value")) {
			n->map_entries = 1;
			n->schema = ks_schema_new(KS_TYPE_MAP);
			if (n->schema) {
				n->schema->key_schema = ks_schema_ref(it->kids[0]->schema);
				n->schema->value_schema = ks_schema_ref(it->kids[1]->schema);
			}
		} else {
			n->schema = ks_schema_new(KS_TYPE_ARRAY);
			if (n->schema)
				n->schema->value_schema = ks_schema_ref(it->schema);
		}
		if (!n->schema) {
			ks_av_node_free(n);
			n = NULL;
			ks_av_cerr_oom(cx);
			goto out;
		}
		n->schema->optional = optional;
		if (ks_av_finish_schema(cx, n->schema, j)) {
			ks_av_node_free(n);
			n = NULL;
		}
	} else if (!strcmp(t, "map")) {
		av_node_t *vn = compile(cx, json_object_get(j, "values"), ns, 0);
		if (!vn)
			goto out;
		if (!(n = node_new(AV_MAP)) || add_kid(n, vn)) {
			if (!n)
				ks_av_node_free(vn);
			ks_av_node_free(n);
			n = NULL;
			ks_av_cerr_oom(cx);
			goto out;
		}
		n->min_size = 1;
		if (!(n->schema = ks_schema_new(KS_TYPE_MAP)) ||
		    !(n->schema->key_schema = ks_schema_new(KS_TYPE_STRING))) {
			ks_av_node_free(n);
			n = NULL;
			ks_av_cerr_oom(cx);
			goto out;
		}
		n->schema->value_schema = ks_schema_ref(vn->schema);
		n->schema->optional = optional;
		if (ks_av_finish_schema(cx, n->schema, j)) {
			ks_av_node_free(n);
			n = NULL;
		}
	} else {
		named_t *nm;
		char *full = make_fullname(t, ns);
		nm = full ? find_named(cx, full) : NULL;
		if (!nm)
			nm = find_named(cx, t);
		free(full);
		if (!nm)
			ks_av_cerr(cx, "unknown type \"%s\"", t);
		else
			n = compile_named_def(cx, nm->def,
			                      json_string_value(json_object_get(nm->def, "type")),
			                      nm->ns, optional);
	}
out:
	cx->depth--;
	return n;
}

/* Compiles schema text into a plan; NULL with errstr. */

/*
 * Compiles schema text into a plan; NULL with errstr. refs: the texts of the
 * referenced schemas (dependencies first); their named types are defined
 * before the main schema is compiled.
 */
av_node_t *ks_av_plan_compile(const char *text, const char *const *refs, size_t nrefs, char *errstr,
                              size_t errlen)
{
	json_error_t jerr;
	json_t *j = NULL, *rj[MAX_REFS];
	cctx_t cx = {NULL, errstr, errlen, 0, 0};
	av_node_t *n = NULL;
	size_t nr = 0;

	errstr[0] = '\0';
	for (; nr < nrefs && nr < MAX_REFS; nr++) {
		av_node_t *rn;
		if (!(rj[nr] = json_loads(refs[nr], JSON_DECODE_ANY, &jerr))) {
			ks_seterr(errstr, errlen, -1,
			          "invalid Avro schema: a referenced schema is not JSON (%s)",
			          jerr.text);
			goto out;
		}
		if (!(rn = compile(&cx, rj[nr], "", 0))) {
			nr++;
			goto out;
		}
		ks_av_node_free(rn);
	}
	if (!(j = json_loads(text, JSON_DECODE_ANY, &jerr))) {
		ks_seterr(errstr, errlen, -1, "invalid Avro schema: not JSON (%s)", jerr.text);
		goto out;
	}
	n = compile(&cx, j, "", 0);
	if (!n && !errstr[0])
		ks_av_cerr(&cx, "%s", "could not compile");
out:
	while (cx.names) {
		named_t *nm = cx.names;
		cx.names = nm->next;
		free(nm->fullname);
		free(nm->ns);
		free(nm);
	}
	json_decref(j);
	while (nr-- > 0)
		json_decref(rj[nr]);
	return n;
}

ks_schema_t *ks_avro_schema_to_connect(const char *avro_json, char *errstr, size_t errlen)
{
	char e[KS_ERRSTR_SIZE];
	av_node_t *n = ks_av_plan_compile(avro_json, NULL, 0, e, sizeof(e));
	ks_schema_t *s;

	if (!n) {
		ks_seterr(errstr, errlen, -1, "%s", e);
		return NULL;
	}
	s = ks_schema_ref(n->schema);
	ks_av_node_free(n);
	return s;
}
