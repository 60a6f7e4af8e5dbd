/*
 * avro_converter.c — io.confluent.connect.avro.AvroConverter.
 *
 * A message is the Confluent wire format: byte 0 = 0x00, bytes 1-4 = the
 * big-endian registry id of the WRITER schema, then the Avro binary datum.
 *
 * Per schema id we fetch the writer schema once (registry_client.c), then
 * compile it once into a decode plan: a tree of av_node_t, each holding the
 * Connect schema of its position (mapped as Confluent's AvroData does,
 * connect-rest.md §4). The decoder walks plan and bytes together and writes
 * ks_value_t straight into the batch arena — no intermediate Avro datum.
 *
 * Why not avro-c's avro_value_read: the input is untrusted. avro-c allocates
 * what a length prefix says before checking the message holds that many
 * bytes, cannot report the byte position of an error, and does not see
 * trailing garbage. Our decoder bounds every length and block count by the
 * bytes left, so a corrupt record costs an error message, never a crash or
 * a huge allocation, and every error names the schema id and byte offset.
 * It is also one pass with no copies beyond the arena.
 *
 * Schemas are interned per id and live as long as the converter (records
 * borrow them). One converter per task thread; no locking here.
 */
#include "avro_converter.h"

#include "../lib/log.h"
#include "converter_impl.h"
#include "utf8.h"
#include "value_json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNION_NAME          "io.confluent.connect.avro.Union"
#define P_RECORD_DOC        "io.confluent.connect.avro.record.doc"
#define P_FIELD_DOC         "io.confluent.connect.avro.field.doc."
#define P_FIELD_DEFAULT     "io.confluent.connect.avro.field.default"
#define P_ENUM              "io.confluent.connect.avro.Enum"
#define ZERO_SIZE_ITEMS_MAX 65536
#define NBUCKETS            64

typedef enum av_kind {
	AV_NULL,
	AV_BOOLEAN,
	AV_INT,
	AV_LONG,
	AV_FLOAT,
	AV_DOUBLE,
	AV_BYTES,
	AV_STRING,
	AV_RECORD,
	AV_ENUM,
	AV_ARRAY,
	AV_MAP,
	AV_UNION,
	AV_FIXED,
} av_kind_t;

enum { U_SINGLE, U_OPTIONAL, U_STRUCT };

typedef struct av_node av_node_t;
struct av_node {
	av_kind_t kind;
	ks_schema_t *schema; /* Connect schema of this position; NULL for AV_NULL */
	av_node_t **kids;    /* record fields, union branches, array item, map value */
	size_t nkids;
	char *fullname; /* record/enum/fixed */
	char **symbols; /* enum */
	size_t *symlens;
	size_t nsymbols;
	int64_t fixed_size;
	int union_mode;
	int *branch_field; /* U_STRUCT: branch -> struct field, -1 for null */
	int map_entries;   /* ARRAY of MapEntry records decoded as a MAP */
	size_t min_size;   /* fewest bytes an encoded value takes */
};

/* --- plan compilation --- */

typedef struct named {
	char *fullname;
	const json_t *def;
	char *ns;
	int busy; /* being compiled: a reference now would be recursive */
	struct named *next;
} named_t;

typedef struct cctx {
	named_t *names;
	char *errstr;
	size_t errlen;
	int depth;
	long nodes; /* named types are expanded per use: bound the total */
} cctx_t;

static void node_free(av_node_t *n)
{
	if (!n)
		return;
	ks_schema_unref(n->schema);
	for (size_t i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	for (size_t i = 0; i < n->nsymbols; i++)
		free(n->symbols[i]);
	free(n->symbols);
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
		node_free(k);
		return -1;
	}
	n->kids = kids;
	kids[n->nkids++] = k;
	return 0;
}

static int cerr(cctx_t *cx, const char *fmt, const char *arg)
{
	char msg[KS_ERRSTR_SIZE];
	snprintf(msg, sizeof(msg), fmt, arg ? arg : "");
	ks_seterr(cx->errstr, cx->errlen, -1, "invalid Avro schema: %s", msg);
	return -1;
}

static int cerr_oom(cctx_t *cx)
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
static int set_default_value(ks_schema_t *s, const av_node_t *n, const json_t *j, int *used)
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

static int is_logical_name(const char *name)
{
	return name && (!strcmp(name, KS_DECIMAL_NAME) || !strcmp(name, KS_DATE_NAME) ||
	                !strcmp(name, KS_TIME_NAME) || !strcmp(name, KS_TIMESTAMP_NAME) ||
	                !strcmp(name, KS_TIME_MICROS_NAME) ||
	                !strcmp(name, KS_TIMESTAMP_MICROS_NAME) || !strcmp(name, KS_UUID_NAME));
}

/*
 * Applies the connect.* properties of obj (NULL = none) to s, then the
 * logical type implied by the resulting name.
 */
static int finish_schema(cctx_t *cx, ks_schema_t *s, const json_t *obj)
{
	const char *cname = json_string_value(json_object_get(obj, "connect.name"));
	const char *cdoc = json_string_value(json_object_get(obj, "connect.doc"));
	const json_t *cver = json_object_get(obj, "connect.version");
	const json_t *cparams = json_object_get(obj, "connect.parameters");
	const json_t *cdef = json_object_get(obj, "connect.default");
	const char *k;
	json_t *v;

	if (cname && (s->logical == KS_LOGICAL_NONE || is_logical_name(cname)) &&
	    ks_schema_set_name(s, cname))
		return cerr_oom(cx);
	if (s->name && !strncmp(s->name, "io.confluent.connect.avro.ConnectDefault", 40) &&
	    ks_schema_set_name(s, NULL))
		return cerr_oom(cx);
	if (cdoc && ks_schema_set_doc(s, cdoc))
		return cerr_oom(cx);
	if (json_is_integer(cver))
		s->version = (int)json_integer_value(cver);
	if (cparams) {
		if (!json_is_object(cparams))
			return cerr(cx, "connect.parameters is not an object%s", NULL);
		json_object_foreach((json_t *)cparams, k, v)
		{
			if (!json_is_string(v))
				return cerr(cx,
				            "connect.parameters value of \"%s\" is not a string",
				            k);
			if (!ks_schema_param(s, k) &&
			    ks_schema_add_param(s, k, json_string_value(v)))
				return cerr_oom(cx);
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
				return cerr_oom(cx);
			continue;
		}
		/* other JSON values keep their text, as AvroData's toString() */
		if (!(txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)))
			return cerr_oom(cx);
		rc = ks_schema_add_param(s, k, txt);
		free(txt);
		if (rc)
			return cerr_oom(cx);
	}
	/* logical types named by connect.name (Connect-written schemas) */
	if (s->name && s->logical == KS_LOGICAL_NONE) {
		if (!strcmp(s->name, KS_DECIMAL_NAME) && s->type == KS_TYPE_BYTES) {
			const char *sc = ks_schema_param(s, "scale");
			const char *pr = ks_schema_param(s, "connect.decimal.precision");
			s->logical = KS_LOGICAL_DECIMAL;
			s->scale = sc ? atoi(sc) : 0;
			s->precision = pr ? atoi(pr) : -1;
		} else if (!strcmp(s->name, KS_DATE_NAME) && s->type == KS_TYPE_INT32) {
			s->logical = KS_LOGICAL_DATE;
		} else if (!strcmp(s->name, KS_TIME_NAME) && s->type == KS_TYPE_INT32) {
			s->logical = KS_LOGICAL_TIME;
		} else if (!strcmp(s->name, KS_TIMESTAMP_NAME) && s->type == KS_TYPE_INT64) {
			s->logical = KS_LOGICAL_TIMESTAMP;
		} else if (!strcmp(s->name, KS_TIME_MICROS_NAME) && s->type == KS_TYPE_INT64) {
			s->logical = KS_LOGICAL_TIME_MICROS;
		} else if (!strcmp(s->name, KS_TIMESTAMP_MICROS_NAME) && s->type == KS_TYPE_INT64) {
			s->logical = KS_LOGICAL_TIMESTAMP_MICROS;
		} else if (!strcmp(s->name, KS_UUID_NAME) && s->type == KS_TYPE_STRING) {
			s->logical = KS_LOGICAL_UUID;
		}
	}
	if (cdef && !json_is_null(cdef)) {
		ks_arena_t *a = ks_arena_new(4096);
		ks_value_t *dv;
		char e[256];
		if (!a)
			return cerr_oom(cx);
		if (ks_value_from_json(s, cdef, a, &dv, e, sizeof(e)) == KS_OK) {
			if (ks_schema_set_default(s, dv)) {
				ks_arena_destroy(a);
				return cerr_oom(cx);
			}
		} else {
			KS_WARN("avro-converter", "ignoring invalid connect.default: %s", e);
		}
		ks_arena_destroy(a);
	}
	return 0;
}

/* Primitive (or fixed) with the properties of obj: logical types, connect.type. */
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
		cerr(cx, "%s", "Standalone null schemas are not supported by this converter");
		return NULL;
	}
	if (!(n = node_new(kind))) {
		cerr_oom(cx);
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
		node_free(n);
		cerr_oom(cx);
		return NULL;
	}
	n->schema = s;
	s->optional = optional;
	if (finish_schema(cx, s, obj)) {
		node_free(n);
		return NULL;
	}
	return n;
}

static int register_named(cctx_t *cx, const char *fullname, const json_t *def, named_t **out)
{
	named_t *nm = find_named(cx, fullname);

	if (nm) {
		if (nm->def != def)
			return cerr(cx, "type %s is defined twice", fullname);
		*out = nm;
		return 0;
	}
	if (!(nm = calloc(1, sizeof(*nm))) || !(nm->fullname = ks_strdup(fullname)) ||
	    !(nm->ns = namespace_of(fullname))) {
		if (nm)
			free(nm->fullname);
		free(nm);
		return cerr_oom(cx);
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
		cerr_oom(cx);
		return NULL;
	}
	n->min_size = 1;
	json_array_foreach(j, i, bj)
	{
		if (json_is_string(bj) && !strcmp(json_string_value(bj), "null"))
			nnull++;
		else if (json_is_array(bj)) {
			cerr(cx, "%s", "a union may not directly contain a union");
			goto fail;
		}
	}
	if (nb == 0 || nnull == nb) {
		cerr(cx, "%s",
		     nb ? "Standalone null schemas are not supported by this converter"
		        : "empty union");
		goto fail;
	}
	if (nnull > 1) {
		cerr(cx, "%s", "duplicate null in union");
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
					cerr_oom(cx);
				goto fail;
			}
			if (b->kind == AV_UNION) {
				node_free(b);
				cerr(cx, "%s", "a union may not directly contain a union");
				goto fail;
			}
			if (b->schema)
				n->schema = ks_schema_ref(b->schema);
			if (add_kid(n, b)) {
				cerr_oom(cx);
				goto fail;
			}
		}
		return n;
	}
	n->union_mode = U_STRUCT;
	if (!(n->branch_field = calloc(nb, sizeof(int))) ||
	    !(n->schema = ks_schema_new(KS_TYPE_STRUCT)) ||
	    ks_schema_set_name(n->schema, UNION_NAME)) {
		cerr_oom(cx);
		goto fail;
	}
	n->schema->optional = optional || nnull;
	json_array_foreach(j, i, bj)
	{
		const char *fname;
		if (json_is_string(bj) && !strcmp(json_string_value(bj), "null")) {
			if (!(b = node_new(AV_NULL)) || add_kid(n, b)) {
				cerr_oom(cx);
				goto fail;
			}
			n->branch_field[i] = -1;
			continue;
		}
		if (!(b = compile(cx, bj, ns, 1)))
			goto fail;
		if (add_kid(n, b)) {
			cerr_oom(cx);
			goto fail;
		}
		if (b->kind == AV_UNION) {
			cerr(cx, "%s", "a union may not directly contain a union");
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
			cerr(cx, "union has two branches mapping to field \"%s\"", fname);
			goto fail;
		}
		n->branch_field[i] = (int)n->schema->nfields;
		if (ks_schema_add_field(n->schema, fname, ks_schema_ref(b->schema))) {
			cerr_oom(cx);
			goto fail;
		}
	}
	return n;
fail:
	node_free(n);
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
		cerr_oom(cx);
		goto fail;
	}
	n->schema->optional = optional;
	if (!json_is_array(fields)) {
		cerr(cx, "record %s has no \"fields\" array", fullname);
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
			cerr(cx, "record %s has a field without a name", fullname);
			goto fail;
		}
		if (ks_schema_field(n->schema, fname)) {
			cerr(cx, "duplicate field \"%s\"", fname);
			goto fail;
		}
		if (!(f = compile(cx, json_object_get(fj, "type"), ns, 0)))
			goto fail;
		if (add_kid(n, f)) {
			cerr_oom(cx);
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
			if (set_default_value(fs, f, fdef, &used)) {
				cerr_oom(cx);
				goto fail;
			}
			if (used && !had_cdef && !ks_schema_param(fs, P_FIELD_DEFAULT) &&
			    ks_schema_add_param(fs, P_FIELD_DEFAULT, "true")) {
				cerr_oom(cx);
				goto fail;
			}
		}
		if (fdoc) {
			char key[512];
			snprintf(key, sizeof(key), "%s%s", P_FIELD_DOC, fname);
			if (ks_schema_add_param(n->schema, key, fdoc)) {
				cerr_oom(cx);
				goto fail;
			}
		}
		if (ks_schema_add_field(n->schema, fname, ks_schema_ref(fs))) {
			cerr_oom(cx);
			goto fail;
		}
	}
	if (finish_schema(cx, n->schema, j))
		goto fail;
	free(ns);
	return n;
fail:
	free(ns);
	node_free(n);
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
		cerr_oom(cx);
		goto fail;
	}
	n->min_size = 1;
	n->schema->optional = optional;
	if (!json_is_array(syms) || !json_array_size(syms)) {
		cerr(cx, "enum %s has no symbols", fullname);
		goto fail;
	}
	n->symbols = calloc(json_array_size(syms), sizeof(char *));
	n->symlens = calloc(json_array_size(syms), sizeof(size_t));
	if (!n->symbols || !n->symlens) {
		cerr_oom(cx);
		goto fail;
	}
	json_array_foreach(syms, i, sj)
	{
		if (!json_is_string(sj)) {
			cerr(cx, "enum %s has a non-string symbol", fullname);
			goto fail;
		}
		if (!(n->symbols[i] = ks_strdup(json_string_value(sj)))) {
			cerr_oom(cx);
			goto fail;
		}
		n->symlens[i] = strlen(n->symbols[i]);
		n->nsymbols++;
		snprintf(key, sizeof(key), "%s.%s", P_ENUM, n->symbols[i]);
		if (ks_schema_add_param(n->schema, key, n->symbols[i])) {
			cerr_oom(cx);
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
				cerr_oom(cx);
				goto fail;
			}
		}
		if (edef) {
			snprintf(key, sizeof(key), "io.confluent.connect.avro.enum.default.%s",
			         simple_name(fullname));
			if (ks_schema_add_param(n->schema, key, edef)) {
				cerr_oom(cx);
				goto fail;
			}
		}
	}
	if (finish_schema(cx, n->schema, j))
		goto fail;
	return n;
fail:
	node_free(n);
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
		cerr(cx, "fixed %s needs a valid \"size\"", fullname);
		return NULL;
	}
	if (lt && !strcmp(lt, "decimal")) { /* Decimal on fixed: the fixed name is dropped */
		if (!(n = compile_primitive(cx, AV_BYTES, j, optional)))
			return NULL;
		n->kind = AV_FIXED;
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(size));
		if (ks_schema_add_param(n->schema, "connect.fixed.size", buf)) {
			node_free(n);
			cerr_oom(cx);
			return NULL;
		}
	} else {
		if (!(n = node_new(AV_FIXED)) || !(n->schema = ks_schema_new(KS_TYPE_BYTES)) ||
		    ks_schema_set_name(n->schema, fullname)) {
			node_free(n);
			cerr_oom(cx);
			return NULL;
		}
		n->schema->optional = optional;
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(size));
		if (ks_schema_add_param(n->schema, "connect.fixed.size", buf)) {
			node_free(n);
			cerr_oom(cx);
			return NULL;
		}
		if (finish_schema(cx, n->schema, j)) {
			node_free(n);
			return NULL;
		}
	}
	n->fixed_size = json_integer_value(size);
	n->min_size = (size_t)n->fixed_size;
	if (!(n->fullname = ks_strdup(fullname))) {
		node_free(n);
		cerr_oom(cx);
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
		cerr(cx, "a %s needs a \"name\"", type);
		return NULL;
	}
	if (!(fullname = make_fullname(name, jns ? jns : ns))) {
		cerr_oom(cx);
		return NULL;
	}
	if (register_named(cx, fullname, j, &nm)) {
		free(fullname);
		return NULL;
	}
	if (nm->busy) {
		cerr(cx, "recursive type %s is not supported (Connect schemas cannot recurse)",
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
		cerr(cx, "%s", "schema nested too deeply");
		goto out;
	}
	if (++cx->nodes > 100000) {
		cerr(cx, "%s",
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
			cerr_oom(cx);
			goto out;
		}
		nm = find_named(cx, full);
		if (!nm)
			nm = find_named(cx, t);
		free(full);
		if (!nm) {
			cerr(cx, "unknown type \"%s\"", t);
			goto out;
		}
		{
			const char *dt = json_string_value(json_object_get(nm->def, "type"));
			n = compile_named_def(cx, nm->def, dt, nm->ns, optional);
		}
		goto out;
	}
	if (!json_is_object(j)) {
		cerr(cx, "%s", "a schema must be a string, an object or an array");
		goto out;
	}
	{
		const json_t *tj = json_object_get(j, "type");
		if (json_is_object(tj) || json_is_array(tj)) {
			n = compile(cx, tj, ns, optional);
			goto out;
		}
		if (!(t = json_string_value(tj))) {
			cerr(cx, "%s", "\"type\" missing");
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
				node_free(it);
			node_free(n);
			n = NULL;
			cerr_oom(cx);
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
			node_free(n);
			n = NULL;
			cerr_oom(cx);
			goto out;
		}
		n->schema->optional = optional;
		if (finish_schema(cx, n->schema, j)) {
			node_free(n);
			n = NULL;
		}
	} else if (!strcmp(t, "map")) {
		av_node_t *vn = compile(cx, json_object_get(j, "values"), ns, 0);
		if (!vn)
			goto out;
		if (!(n = node_new(AV_MAP)) || add_kid(n, vn)) {
			if (!n)
				node_free(vn);
			node_free(n);
			n = NULL;
			cerr_oom(cx);
			goto out;
		}
		n->min_size = 1;
		if (!(n->schema = ks_schema_new(KS_TYPE_MAP)) ||
		    !(n->schema->key_schema = ks_schema_new(KS_TYPE_STRING))) {
			node_free(n);
			n = NULL;
			cerr_oom(cx);
			goto out;
		}
		n->schema->value_schema = ks_schema_ref(vn->schema);
		n->schema->optional = optional;
		if (finish_schema(cx, n->schema, j)) {
			node_free(n);
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
			cerr(cx, "unknown type \"%s\"", t);
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
#define MAX_REFS 64

/*
 * Compiles schema text into a plan; NULL with errstr. refs: the texts of the
 * referenced schemas (dependencies first); their named types are defined
 * before the main schema is compiled.
 */
static av_node_t *plan_compile(const char *text, const char *const *refs, size_t nrefs,
                               char *errstr, size_t errlen)
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
		node_free(rn);
	}
	if (!(j = json_loads(text, JSON_DECODE_ANY, &jerr))) {
		ks_seterr(errstr, errlen, -1, "invalid Avro schema: not JSON (%s)", jerr.text);
		goto out;
	}
	n = compile(&cx, j, "", 0);
	if (!n && !errstr[0])
		cerr(&cx, "%s", "could not compile");
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
	av_node_t *n = plan_compile(avro_json, NULL, 0, e, sizeof(e));
	ks_schema_t *s;

	if (!n) {
		ks_seterr(errstr, errlen, -1, "%s", e);
		return NULL;
	}
	s = ks_schema_ref(n->schema);
	node_free(n);
	return s;
}

/* --- decoding --- */

typedef struct rd {
	const unsigned char *start, *p, *end;
	size_t base; /* offset of start within the message */
	int id;
	ks_arena_t *arena;
	char *errstr;
	size_t errlen;
} rd_t;

static size_t pos(const rd_t *r)
{
	return r->base + (size_t)(r->p - r->start);
}

static ks_err_t rd_err(rd_t *r, const char *what)
{
	return ks_seterr(r->errstr, r->errlen, KS_ERR_RECORD,
	                 "Avro payload (schema id %d) is corrupt at byte %zu: %s", r->id, pos(r),
	                 what);
}

static ks_err_t oom(rd_t *r)
{
	return ks_seterr(r->errstr, r->errlen, KS_ERR_RETRIABLE, "out of memory");
}

static ks_err_t read_long(rd_t *r, int64_t *out)
{
	uint64_t u = 0;
	int shift = 0;

	for (;;) {
		unsigned char b;
		if (r->p >= r->end)
			return rd_err(r, "truncated (varint runs past the end)");
		b = *r->p++;
		if (shift == 63 && (b & 0x7e))
			return rd_err(r, "varint overflows 64 bits");
		u |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
		shift += 7;
		if (shift > 63)
			return rd_err(r, "varint longer than 10 bytes");
	}
	*out = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
	return KS_OK;
}

static ks_err_t read_int(rd_t *r, int64_t *out)
{
	ks_err_t err = read_long(r, out);
	if (!err && (*out < INT32_MIN || *out > INT32_MAX))
		return rd_err(r, "int out of 32-bit range");
	return err;
}

static ks_err_t read_len(rd_t *r, size_t *len)
{
	int64_t n;
	ks_err_t err = read_long(r, &n);
	if (err)
		return err;
	if (n < 0)
		return rd_err(r, "negative length");
	if ((uint64_t)n > (size_t)(r->end - r->p)) {
		char msg[128];
		snprintf(msg, sizeof(msg), "truncated (length %lld, %zu bytes left)", (long long)n,
		         (size_t)(r->end - r->p));
		return rd_err(r, msg);
	}
	*len = (size_t)n;
	return KS_OK;
}

static ks_err_t decode(const av_node_t *n, rd_t *r, ks_value_t *v);

/* Block count of an array/map: 0 ends; bounded by the bytes left. */
static ks_err_t read_block(rd_t *r, size_t item_min, size_t total, size_t *count)
{
	int64_t c;
	ks_err_t err = read_long(r, &c);

	if (err)
		return err;
	if (c < 0) {
		int64_t bytes;
		if (c == INT64_MIN)
			return rd_err(r, "invalid block count");
		c = -c;
		if ((err = read_long(r, &bytes)))
			return err;
		if (bytes < 0)
			return rd_err(r, "negative block size");
	}
	if (item_min ? (uint64_t)c > (size_t)(r->end - r->p) / item_min
	             : (uint64_t)c + total > ZERO_SIZE_ITEMS_MAX)
		return rd_err(r, "block count larger than the bytes left");
	*count = (size_t)c;
	return KS_OK;
}

/* Grows an arena array of values to hold need items (copying). */
static ks_value_t *grow(ks_arena_t *a, ks_value_t *old, size_t n, size_t *cap, size_t need)
{
	ks_value_t *nv;
	size_t nc = *cap ? *cap : 4;

	if (need <= *cap)
		return old;
	while (nc < need)
		nc *= 2;
	if (!(nv = ks_arena_alloc(a, nc * sizeof(*nv))))
		return NULL;
	if (n)
		memcpy(nv, old, n * sizeof(*nv));
	*cap = nc;
	return nv;
}

static ks_err_t decode(const av_node_t *n, rd_t *r, ks_value_t *v)
{
	ks_err_t err;
	size_t len;

	v->type = n->schema ? n->schema->type : KS_TYPE_STRING;
	v->is_null = 0;
	switch (n->kind) {
	case AV_NULL:
		v->is_null = 1;
		return KS_OK;
	case AV_BOOLEAN:
		if (r->p >= r->end)
			return rd_err(r, "truncated (boolean)");
		if (*r->p > 1)
			return rd_err(r, "invalid boolean byte");
		v->u.i = *r->p++;
		return KS_OK;
	case AV_INT:
		if ((err = read_int(r, &v->u.i)))
			return err;
		if (v->type == KS_TYPE_INT8)
			v->u.i = (int8_t)v->u.i;
		else if (v->type == KS_TYPE_INT16)
			v->u.i = (int16_t)v->u.i;
		return KS_OK;
	case AV_LONG:
		return read_long(r, &v->u.i);
	case AV_FLOAT: {
		uint32_t u = 0;
		float f;
		if (r->end - r->p < 4)
			return rd_err(r, "truncated (float)");
		for (int i = 3; i >= 0; i--)
			u = u << 8 | r->p[i];
		memcpy(&f, &u, 4);
		v->u.d = f;
		r->p += 4;
		return KS_OK;
	}
	case AV_DOUBLE: {
		uint64_t u = 0;
		if (r->end - r->p < 8)
			return rd_err(r, "truncated (double)");
		for (int i = 7; i >= 0; i--)
			u = u << 8 | r->p[i];
		memcpy(&v->u.d, &u, 8);
		r->p += 8;
		return KS_OK;
	}
	case AV_BYTES:
		if ((err = read_len(r, &len)))
			return err;
		if (!(v->u.s.ptr = ks_arena_memdup(r->arena, r->p, len)))
			return oom(r);
		v->u.s.len = len;
		r->p += len;
		return KS_OK;
	case AV_STRING:
		if ((err = read_len(r, &len)))
			return err;
		if (!(v->u.s.ptr = ks_utf8_copy(r->arena, (const char *)r->p, len, &v->u.s.len)))
			return oom(r);
		r->p += len;
		return KS_OK;
	case AV_FIXED:
		if ((size_t)(r->end - r->p) < (size_t)n->fixed_size)
			return rd_err(r, "truncated (fixed)");
		if (!(v->u.s.ptr = ks_arena_memdup(r->arena, r->p, (size_t)n->fixed_size)))
			return oom(r);
		v->u.s.len = (size_t)n->fixed_size;
		r->p += n->fixed_size;
		return KS_OK;
	case AV_ENUM: {
		int64_t i;
		if ((err = read_int(r, &i)))
			return err;
		if (i < 0 || (size_t)i >= n->nsymbols)
			return rd_err(r, "enum index out of range");
		v->u.s.ptr = n->symbols[i]; /* owned by the plan, lives with the converter */
		v->u.s.len = n->symlens[i];
		return KS_OK;
	}
	case AV_RECORD:
		if (!(v->u.st.fields = ks_arena_alloc(r->arena, (n->nkids ? n->nkids : 1) *
		                                                        sizeof(ks_value_t))))
			return oom(r);
		v->u.st.n = n->nkids;
		v->u.st.names = NULL;
		for (size_t i = 0; i < n->nkids; i++)
			if ((err = decode(n->kids[i], r, &v->u.st.fields[i])))
				return err;
		return KS_OK;
	case AV_ARRAY: {
		const av_node_t *it = n->kids[0];
		size_t total = 0, cap = 0, cnt;
		ks_value_t *items = NULL, *keys = NULL, *vals = NULL;
		size_t kcap = 0;
		for (;;) {
			if ((err = read_block(r, it->min_size, total, &cnt)))
				return err;
			if (!cnt)
				break;
			if (n->map_entries) {
				size_t c2 = cap;
				keys = grow(r->arena, keys, total, &kcap, total + cnt);
				vals = grow(r->arena, vals, total, &c2, total + cnt);
				cap = c2;
				if (!keys || !vals)
					return oom(r);
				for (size_t i = 0; i < cnt; i++, total++)
					if ((err = decode(it->kids[0], r, &keys[total])) ||
					    (err = decode(it->kids[1], r, &vals[total])))
						return err;
			} else {
				if (!(items = grow(r->arena, items, total, &cap, total + cnt)))
					return oom(r);
				for (size_t i = 0; i < cnt; i++, total++)
					if ((err = decode(it, r, &items[total])))
						return err;
			}
		}
		if (n->map_entries) {
			v->u.map.keys = keys, v->u.map.vals = vals, v->u.map.n = total;
		} else {
			v->u.arr.items = items, v->u.arr.n = total;
		}
		return KS_OK;
	}
	case AV_MAP: {
		size_t total = 0, kcap = 0, vcap = 0, cnt;
		ks_value_t *keys = NULL, *vals = NULL;
		for (;;) {
			if ((err = read_block(r, 1 + n->kids[0]->min_size, total, &cnt)))
				return err;
			if (!cnt)
				break;
			keys = grow(r->arena, keys, total, &kcap, total + cnt);
			vals = grow(r->arena, vals, total, &vcap, total + cnt);
			if (!keys || !vals)
				return oom(r);
			for (size_t i = 0; i < cnt; i++, total++) {
				ks_value_t *k = &keys[total];
				k->type = KS_TYPE_STRING;
				k->is_null = 0;
				if ((err = read_len(r, &len)))
					return err;
				if (!(k->u.s.ptr = ks_utf8_copy(r->arena, (const char *)r->p, len,
				                                &k->u.s.len)))
					return oom(r);
				r->p += len;
				if ((err = decode(n->kids[0], r, &vals[total])))
					return err;
			}
		}
		v->u.map.keys = keys, v->u.map.vals = vals, v->u.map.n = total;
		return KS_OK;
	}
	case AV_UNION: {
		int64_t b;
		const ks_schema_t *s = n->schema;
		if ((err = read_long(r, &b)))
			return err;
		if (b < 0 || (size_t)b >= n->nkids)
			return rd_err(r, "union branch index out of range");
		if (n->union_mode != U_STRUCT) {
			if ((err = decode(n->kids[b], r, v)))
				return err;
			v->type = s->type; /* a null branch takes the type of T */
			return KS_OK;
		}
		if (n->kids[b]->kind == AV_NULL) {
			v->is_null = 1;
			return KS_OK;
		}
		if (!(v->u.st.fields = ks_arena_calloc(r->arena, s->nfields, sizeof(ks_value_t))))
			return oom(r);
		v->u.st.n = s->nfields;
		v->u.st.names = NULL;
		for (size_t i = 0; i < s->nfields; i++) {
			v->u.st.fields[i].type = s->fields[i].schema->type;
			v->u.st.fields[i].is_null = 1;
		}
		return decode(n->kids[b], r, &v->u.st.fields[n->branch_field[b]]);
	}
	}
	return rd_err(r, "unknown node");
}

/* --- the converter --- */

typedef struct plan_ent {
	int id;
	av_node_t *root;
	struct plan_ent *next;
} plan_ent_t;

typedef struct avro_conv {
	ks_registry_t *reg;
	plan_ent_t *buckets[NBUCKETS];
} avro_conv_t;

/* Appends the texts of refs (their own references first, no duplicates). */
static ks_err_t collect_refs(avro_conv_t *ac, int id, const ks_registry_ref_t *refs, size_t nrefs,
                             const char **texts, size_t *ntexts, int depth, char *errstr,
                             size_t errlen)
{
	for (size_t i = 0; i < nrefs; i++) {
		const ks_registry_ref_t *sub;
		const char *text;
		size_t nsub, k;
		ks_err_t err;

		if (depth > 16 || *ntexts >= MAX_REFS)
			return ks_seterr(errstr, errlen, KS_ERR_RECORD,
			                 "schema id %d: too many or too deep schema references",
			                 id);
		if ((err = ks_registry_get_version(ac->reg, refs[i].subject, refs[i].version, &text,
		                                   &sub, &nsub, errstr, errlen)))
			return err;
		if ((err = collect_refs(ac, id, sub, nsub, texts, ntexts, depth + 1, errstr,
		                        errlen)))
			return err;
		for (k = 0; k < *ntexts && texts[k] != text; k++)
			;
		if (k == *ntexts)
			texts[(*ntexts)++] = text;
	}
	return KS_OK;
}

static ks_err_t get_plan(avro_conv_t *ac, int id, av_node_t **out, char *errstr, size_t errlen)
{
	plan_ent_t *e;
	const char *text, *type, *texts[MAX_REFS];
	const ks_registry_ref_t *refs;
	size_t nrefs, ntexts = 0;
	char e2[KS_ERRSTR_SIZE];
	ks_err_t err;

	for (e = ac->buckets[(unsigned)id % NBUCKETS]; e; e = e->next)
		if (e->id == id) {
			*out = e->root;
			return KS_OK;
		}
	if ((err = ks_registry_get_schema_refs(ac->reg, id, &text, &type, &refs, &nrefs, errstr,
	                                       errlen)))
		return err;
	if (strcmp(type, "AVRO"))
		return ks_seterr(errstr, errlen, KS_ERR_RECORD,
		                 "schema id %d is a %s schema, not Avro", id, type);
	if ((err = collect_refs(ac, id, refs, nrefs, texts, &ntexts, 0, errstr, errlen))) {
		if (err == KS_ERR_RECORD && !strstr(errstr, "schema id"))
			ks_seterr(e2, sizeof(e2), 0, "schema id %d: reference %s", id, errstr),
			        ks_seterr(errstr, errlen, 0, "%s", e2);
		return err;
	}
	if (!(e = calloc(1, sizeof(*e))))
		return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
	if (!(e->root = plan_compile(text, texts, ntexts, e2, sizeof(e2)))) {
		free(e);
		return ks_seterr(errstr, errlen, KS_ERR_RECORD, "schema id %d: %s", id, e2);
	}
	e->id = id;
	e->next = ac->buckets[(unsigned)id % NBUCKETS];
	ac->buckets[(unsigned)id % NBUCKETS] = e;
	*out = e->root;
	return KS_OK;
}

static ks_err_t avro_to_connect(ks_converter_t *c, const char *topic, const void *data, size_t len,
                                ks_arena_t *arena, const ks_schema_t **schema, ks_value_t **value,
                                char *errstr, size_t errlen)
{
	avro_conv_t *ac = c->impl;
	const unsigned char *p = data;
	av_node_t *root = NULL;
	ks_value_t *v;
	rd_t r;
	int id;
	ks_err_t err;

	(void)topic;
	if (len < 5)
		return ks_seterr(
		        errstr, errlen, KS_ERR_RECORD,
		        "Avro payload too short: %zu byte(s), the Confluent header needs 5", len);
	if (p[0] != 0)
		return ks_seterr(errstr, errlen, KS_ERR_RECORD,
		                 "Unknown magic byte 0x%02x at byte 0 (expected 0x00)%s", p[0],
		                 p[0] == 1 ? ": schema GUIDs are not supported" : "");
	id = (int)((uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4]);
	if ((err = get_plan(ac, id, &root, errstr, errlen)))
		return err;
	if (!(v = ks_arena_alloc(arena, sizeof(*v))))
		return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
	r.start = r.p = p + 5;
	r.end = p + len;
	r.base = 5;
	r.id = id;
	r.arena = arena;
	r.errstr = errstr;
	r.errlen = errlen;
	if (root->kind == AV_BYTES) {
		/* a top-level "bytes" schema is the raw rest, no length (Confluent) */
		v->type = KS_TYPE_BYTES;
		v->is_null = 0;
		v->u.s.len = len - 5;
		if (!(v->u.s.ptr = ks_arena_memdup(arena, r.p, len - 5)))
			return oom(&r);
	} else {
		if ((err = decode(root, &r, v)))
			return err;
		if (r.p != r.end)
			return ks_seterr(
			        errstr, errlen, KS_ERR_RECORD,
			        "Avro payload (schema id %d) has %zu trailing byte(s) after "
			        "the datum at byte %zu",
			        id, (size_t)(r.end - r.p), pos(&r));
	}
	*schema = root->schema;
	/* a top-level null (a union's null branch) is a null value, as in Java:
	 * the sink sees it like a tombstone */
	*value = v->is_null ? NULL : v;
	return KS_OK;
}

static void avro_destroy(ks_converter_t *c)
{
	avro_conv_t *ac = c->impl;

	if (!ac)
		return;
	for (int i = 0; i < NBUCKETS; i++) {
		plan_ent_t *e = ac->buckets[i], *n;
		for (; e; e = n) {
			n = e->next;
			node_free(e->root);
			free(e);
		}
	}
	ks_registry_destroy(ac->reg);
	free(ac);
}

int ks_avro_converter_init(ks_converter_t *c, const ks_props_t *props, char *errstr, size_t errlen)
{
	avro_conv_t *ac = calloc(1, sizeof(*ac));

	if (!ac)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	if (!(ac->reg = ks_registry_new(props, errstr, errlen))) {
		free(ac);
		return -1;
	}
	c->impl = ac;
	c->to_connect = avro_to_connect;
	c->destroy = avro_destroy;
	return 0;
}

ks_registry_t *ks_avro_converter_registry(ks_converter_t *c)
{
	return c && c->to_connect == avro_to_connect ? ((avro_conv_t *)c->impl)->reg : NULL;
}
