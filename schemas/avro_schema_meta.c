/*
 * avro_schema_meta.c — what an Avro definition adds to the Connect schema
 * of its plan node beyond the type: field defaults (Avro JSON default ->
 * ks_value_t), and the connect.name / connect.version / connect.doc /
 * connect.parameters / connect.default properties and logical types
 * AvroData reads back. Called by avro_schema.c while compiling.
 */
#include "avro_plan.h"

#include "../lib/log.h"
#include "value_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int avro_default(const av_node_t *n, const json_t *j, ks_arena_t *a, ks_value_t *v,
                        int depth)
{
	memset(v, 0, sizeof(*v));
	v->type = n->schema ? n->schema->type : KS_TYPE_STRING;
	if (depth > 64)
		return -1;
	switch (n->kind) {
	case AV_NULL:
		v->is_null = 1;
		return json_is_null(j) ? 0 : -1;
	case AV_BOOLEAN:
		v->u.i = json_is_true(j);
		return json_is_boolean(j) ? 0 : -1;
	case AV_INT:
	case AV_LONG:
		if (!json_is_integer(j))
			return -1;
		v->u.i = json_integer_value(j);
		if (v->type == KS_TYPE_INT8)
			v->u.i = (int8_t)v->u.i;
		else if (v->type == KS_TYPE_INT16)
			v->u.i = (int16_t)v->u.i;
		else if (n->kind == AV_INT)
			v->u.i = (int32_t)v->u.i;
		return 0;
	case AV_FLOAT:
	case AV_DOUBLE:
		if (!json_is_number(j))
			return -1;
		v->u.d = json_number_value(j);
		if (n->kind == AV_FLOAT)
			v->u.d = (float)v->u.d;
		return 0;
	case AV_STRING:
	case AV_ENUM:
		if (!json_is_string(j))
			return -1;
		v->u.s.len = json_string_length(j);
		return (v->u.s.ptr = ks_arena_memdup(a, json_string_value(j), v->u.s.len)) ? 0 : -1;
	case AV_BYTES:
	case AV_FIXED: { /* ISO-8859-1: each code point is one byte */
		const unsigned char *s = (const unsigned char *)json_string_value(j);
		size_t len = json_string_length(j), o = 0;
		char *d;
		if (!s || !(d = ks_arena_alloc(a, len + 1)))
			return -1;
		for (size_t i = 0; i < len; i++) {
			unsigned cp = s[i];
			if (cp >= 0x80) {
				if ((cp & 0xe0) != 0xc0 || i + 1 >= len)
					return -1;
				cp = (cp & 0x1f) << 6 | (s[++i] & 0x3f);
				if (cp > 0xff)
					return -1;
			}
			d[o++] = (char)cp;
		}
		d[o] = '\0';
		v->u.s.ptr = d, v->u.s.len = o;
		return 0;
	}
	case AV_ARRAY: {
		size_t cnt = json_array_size(j);
		if (!json_is_array(j))
			return -1;
		if (n->map_entries) {
			const av_node_t *e = n->kids[0];
			v->u.map.keys = ks_arena_calloc(a, cnt + 1, sizeof(ks_value_t));
			v->u.map.vals = ks_arena_calloc(a, cnt + 1, sizeof(ks_value_t));
			if (!v->u.map.keys || !v->u.map.vals)
				return -1;
			v->u.map.n = cnt;
			for (size_t i = 0; i < cnt; i++) {
				const json_t *it = json_array_get(j, i);
				if (avro_default(e->kids[0], json_object_get(it, "key"), a,
				                 &v->u.map.keys[i], depth + 1) ||
				    avro_default(e->kids[1], json_object_get(it, "value"), a,
				                 &v->u.map.vals[i], depth + 1))
					return -1;
			}
			return 0;
		}
		if (!(v->u.arr.items = ks_arena_calloc(a, cnt + 1, sizeof(ks_value_t))))
			return -1;
		v->u.arr.n = cnt;
		for (size_t i = 0; i < cnt; i++)
			if (avro_default(n->kids[0], json_array_get(j, i), a, &v->u.arr.items[i],
			                 depth + 1))
				return -1;
		return 0;
	}
	case AV_MAP: {
		size_t cnt = json_object_size(j), i = 0;
		const char *k;
		json_t *val;
		if (!json_is_object(j))
			return -1;
		v->u.map.keys = ks_arena_calloc(a, cnt + 1, sizeof(ks_value_t));
		v->u.map.vals = ks_arena_calloc(a, cnt + 1, sizeof(ks_value_t));
		if (!v->u.map.keys || !v->u.map.vals)
			return -1;
		v->u.map.n = cnt;
		json_object_foreach((json_t *)j, k, val)
		{
			v->u.map.keys[i].type = KS_TYPE_STRING;
			v->u.map.keys[i].u.s.len = strlen(k);
			if (!(v->u.map.keys[i].u.s.ptr = ks_arena_strdup(a, k)) ||
			    avro_default(n->kids[0], val, a, &v->u.map.vals[i], depth + 1))
				return -1;
			i++;
		}
		return 0;
	}
	case AV_RECORD:
		if (!json_is_object(j))
			return -1;
		if (!(v->u.st.fields = ks_arena_calloc(a, n->nkids + 1, sizeof(ks_value_t))))
			return -1;
		v->u.st.n = n->nkids;
		for (size_t i = 0; i < n->nkids; i++) {
			const json_t *fj = json_object_get(j, n->schema->fields[i].name);
			const ks_schema_t *fs = n->kids[i]->schema;
			if (fj) {
				if (avro_default(n->kids[i], fj, a, &v->u.st.fields[i], depth + 1))
					return -1;
			} else if (fs && fs->default_value) {
				v->u.st.fields[i] = *fs->default_value;
			} else if (fs && fs->optional) {
				v->u.st.fields[i].type = fs->type;
				v->u.st.fields[i].is_null = 1;
			} else {
				return -1;
			}
		}
		return 0;
	case AV_UNION: {
		const av_node_t *b = n->kids[0]; /* a union default is for its first branch */
		int f;
		if (n->union_mode != U_STRUCT || b->kind == AV_NULL) {
			if (b->kind == AV_NULL) {
				v->is_null = 1;
				return json_is_null(j) ? 0 : -1;
			}
			return avro_default(b, j, a, v, depth + 1);
		}
		f = n->branch_field[0];
		if (!(v->u.st.fields =
		              ks_arena_calloc(a, n->schema->nfields + 1, sizeof(ks_value_t))))
			return -1;
		v->u.st.n = n->schema->nfields;
		for (size_t i = 0; i < n->schema->nfields; i++) {
			v->u.st.fields[i].type = n->schema->fields[i].schema->type;
			v->u.st.fields[i].is_null = 1;
		}
		return avro_default(b, j, a, &v->u.st.fields[f], depth + 1);
	}
	}
	return -1;
}

/* Sets schema->default_value from a converted value; 0 ok / ignored. */
int ks_av_set_default_value(ks_schema_t *s, const av_node_t *n, const json_t *j, int *used)
{
	ks_arena_t *a = ks_arena_new(4096);
	ks_value_t v;
	int rc = 0;

	*used = 0;
	if (!a)
		return -1;
	if (avro_default(n, j, a, &v, 0) == 0) {
		rc = ks_schema_set_default(s, &v);
		*used = !rc;
	} else {
		KS_WARN("avro-converter", "ignoring invalid default value for schema %s",
		        s->name ? s->name : ks_type_name(s->type));
	}
	ks_arena_destroy(a);
	return rc;
}

/*
 * Applies the connect.* properties of obj (NULL = none) to s, then the
 * logical type implied by the resulting name.
 */
int ks_av_finish_schema(cctx_t *cx, ks_schema_t *s, const json_t *obj)
{
	const char *cname = json_string_value(json_object_get(obj, "connect.name"));
	const char *cdoc = json_string_value(json_object_get(obj, "connect.doc"));
	const json_t *cver = json_object_get(obj, "connect.version");
	const json_t *cparams = json_object_get(obj, "connect.parameters");
	const json_t *cdef = json_object_get(obj, "connect.default");
	const char *k;
	json_t *v;

	if (cname && (s->logical == KS_LOGICAL_NONE || ks_is_logical_name(cname)) &&
	    ks_schema_set_name(s, cname))
		return ks_av_cerr_oom(cx);
	if (s->name && !strncmp(s->name, "io.confluent.connect.avro.ConnectDefault", 40) &&
	    ks_schema_set_name(s, NULL))
		return ks_av_cerr_oom(cx);
	if (cdoc && ks_schema_set_doc(s, cdoc))
		return ks_av_cerr_oom(cx);
	if (json_is_integer(cver))
		s->version = (int)json_integer_value(cver);
	if (cparams) {
		if (!json_is_object(cparams))
			return ks_av_cerr(cx, "connect.parameters is not an object%s", NULL);
		json_object_foreach((json_t *)cparams, k, v)
		{
			if (!json_is_string(v))
				return ks_av_cerr(
				        cx, "connect.parameters value of \"%s\" is not a string",
				        k);
			if (!ks_schema_param(s, k) &&
			    ks_schema_add_param(s, k, json_string_value(v)))
				return ks_av_cerr_oom(cx);
		}
	}
	json_object_foreach((json_t *)obj, k, v)
	{
		char *txt;
		int rc;
		if (strncmp(k, "avro", 4) || ks_schema_param(s, k))
			continue;
		if (json_is_string(v)) {
			if (ks_schema_add_param(s, k, json_string_value(v)))
				return ks_av_cerr_oom(cx);
			continue;
		}
		/* other JSON values keep their text, as AvroData's toString() */
		if (!(txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)))
			return ks_av_cerr_oom(cx);
		rc = ks_schema_add_param(s, k, txt);
		free(txt);
		if (rc)
			return ks_av_cerr_oom(cx);
	}
	/* logical types named by connect.name (Connect-written schemas) */
	if (s->logical == KS_LOGICAL_NONE)
		ks_schema_logical_from_name(s);
	if (cdef && !json_is_null(cdef)) {
		ks_arena_t *a = ks_arena_new(4096);
		ks_value_t *dv;
		char e[256];
		if (!a)
			return ks_av_cerr_oom(cx);
		if (ks_value_from_json(s, cdef, a, &dv, e, sizeof(e)) == KS_OK) {
			if (ks_schema_set_default(s, dv)) {
				ks_arena_destroy(a);
				return ks_av_cerr_oom(cx);
			}
		} else {
			KS_WARN("avro-converter", "ignoring invalid connect.default: %s", e);
		}
		ks_arena_destroy(a);
	}
	return 0;
}

/* Primitive (or fixed) with the properties of obj: logical types, connect.type. */
