/*
 * produce/avro_json.c — the Avro JSON encoding of ksink-produce's input lines
 * (unions tagged {"int":1}, bytes as "\u00XX" strings) into an avro-c generic
 * value, with the schema's field defaults for fields a line leaves out
 * (avro-c does not keep defaults, so they are read from the .avsc text).
 * Errors name the place in the line: "$.a.b[2]: expected int, got string".
 */
#include "avro_json.h"

#include "../../lib/buf.h"
#include "../../lib/ks.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The field defaults of the schema being encoded: set for the duration of
 * one avro_json_set() (ksink-produce is single-threaded). */
static const json_t *cur_defaults;

/*
 * Where a value sits in the line, for error messages only: built on the
 * stack while walking and rendered ($.a.b[2]["k"]) only when something fails.
 * name NULL: array element `index`; index -1: map key `name`; else field.
 */
typedef struct jpath {
	const struct jpath *up;
	const char *name;
	long index;
} jpath_t;

static void jpath_render(const jpath_t *p, ks_buf_t *out)
{
	if (!p) {
		ks_buf_putc(out, '$');
		return;
	}
	jpath_render(p->up, out);
	if (!p->name)
		ks_buf_printf(out, "[%ld]", p->index);
	else if (p->index < 0)
		ks_buf_printf(out, "[\"%s\"]", p->name);
	else
		ks_buf_printf(out, ".%s", p->name);
}

/* ks_seterr with the rendered path in front: "$.a.b: message"; returns -1. */
static int perr(char *errstr, size_t errlen, const jpath_t *path, const char *fmt, ...)
        KS_PRINTF(4, 5);

static int perr(char *errstr, size_t errlen, const jpath_t *path, const char *fmt, ...)
{
	ks_buf_t b = KS_BUF_INIT;
	char msg[KS_ERRSTR_SIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jpath_render(path, &b);
	ks_seterr(errstr, errlen, -1, "%s: %s", b.data ? b.data : "$", msg);
	ks_buf_free(&b);
	return -1;
}

static int set_value(avro_value_t *v, json_t *j, const jpath_t *path, char *errstr, size_t errlen);

/* Decodes the Avro JSON form of bytes/fixed: each code point 0..255 is one byte. */
static int json_bytes(json_t *j, ks_buf_t *out, const jpath_t *path, char *errstr, size_t errlen)
{
	const unsigned char *s;
	size_t n, i = 0;

	if (!json_is_string(j))
		return perr(errstr, errlen, path, "expected a string of bytes");
	s = (const unsigned char *)json_string_value(j);
	n = json_string_length(j);
	ks_buf_reset(out);
	while (i < n) {
		unsigned c = s[i];
		if (c < 0x80) {
			i++;
		} else if ((c & 0xE0) == 0xC0 && i + 1 < n && c <= 0xC3) {
			c = ((c & 0x1F) << 6) | (s[i + 1] & 0x3F);
			i += 2;
		} else {
			return perr(errstr, errlen, path,
			            "bytes must be code points \\u0000..\\u00ff");
		}
		ks_buf_putc(out, (char)c);
	}
	return ks_buf_failed(out) ? ks_seterr(errstr, errlen, -1, "out of memory") : 0;
}

static const char *json_type_name(json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/* Does union branch b carry the type tag `tag` (type name, full or short name)? */
static int branch_matches(avro_schema_t b, const char *tag)
{
	const char *name = avro_schema_type_name(b);

	if (name && !strcmp(name, tag))
		return 1;
	if (is_avro_named_type(b)) {
		const char *ns = avro_schema_namespace(b);
		size_t nl = ns ? strlen(ns) : 0;
		const char *sn = avro_schema_name(b);
		if (sn && !strcmp(sn, tag))
			return 1;
		if (ns && nl && !strncmp(tag, ns, nl) && tag[nl] == '.' && sn &&
		    !strcmp(tag + nl + 1, sn))
			return 1;
	}
	return 0;
}

static int set_union(avro_value_t *v, json_t *j, const jpath_t *path, char *errstr, size_t errlen)
{
	avro_schema_t us = avro_value_get_schema(v);
	size_t nb = avro_schema_union_size(us);
	avro_value_t branch;

	if (json_is_null(j)) {
		for (size_t i = 0; i < nb; i++)
			if (is_avro_null(avro_schema_union_branch(us, (int)i))) {
				if (avro_value_set_branch(v, (int)i, &branch) ||
				    avro_value_set_null(&branch))
					return perr(errstr, errlen, path, "%s", avro_strerror());
				return 0;
			}
		return perr(errstr, errlen, path, "null is not in the union");
	}
	/* The Avro JSON encoding: {"<type name>": value}. */
	if (json_is_object(j) && json_object_size(j) == 1) {
		const char *tag = json_object_iter_key(json_object_iter(j));
		json_t *inner = json_object_iter_value(json_object_iter(j));
		for (size_t i = 0; i < nb; i++) {
			if (!branch_matches(avro_schema_union_branch(us, (int)i), tag))
				continue;
			if (avro_value_set_branch(v, (int)i, &branch))
				return perr(errstr, errlen, path, "%s", avro_strerror());
			jpath_t sub = {path, tag, 0};
			return set_value(&branch, inner, &sub, errstr, errlen);
		}
	}
	/* Convenience: an untagged value goes to the first non-null branch taking it. */
	for (size_t i = 0; i < nb; i++) {
		avro_schema_t b = avro_schema_union_branch(us, (int)i);
		char ignored[KS_ERRSTR_SIZE];
		if (is_avro_null(b))
			continue;
		if (avro_value_set_branch(v, (int)i, &branch))
			return perr(errstr, errlen, path, "%s", avro_strerror());
		if (set_value(&branch, j, path, ignored, sizeof(ignored)) == 0)
			return 0;
	}
	return perr(errstr, errlen, path, "%s matches no branch of the union", json_type_name(j));
}

/* The declared default of field `name` of record rs, or NULL. */
static json_t *record_default(avro_schema_t rs, const char *name)
{
	const char *ns = avro_schema_namespace(rs);
	char full[512];

	if (!cur_defaults)
		return NULL;
	snprintf(full, sizeof(full), "%s%s%s", ns && *ns ? ns : "", ns && *ns ? "." : "",
	         avro_schema_name(rs));
	return json_object_get(json_object_get(cur_defaults, full), name);
}

/*
 * avro_json_defaults() walks a parsed .avsc and records every field default
 * under its record's full name (namespaces inherited as the spec says).
 */
void avro_json_defaults(json_t *node, const char *ns, json_t *out)
{
	json_t *type, *f;
	size_t i;

	if (json_is_array(node)) {
		json_array_foreach(node, i, f) avro_json_defaults(f, ns, out);
		return;
	}
	if (!json_is_object(node))
		return;
	type = json_object_get(node, "type");
	if (!json_is_string(type)) {
		avro_json_defaults(type, ns, out);
		return;
	}
	if (!strcmp(json_string_value(type), "array")) {
		avro_json_defaults(json_object_get(node, "items"), ns, out);
	} else if (!strcmp(json_string_value(type), "map")) {
		avro_json_defaults(json_object_get(node, "values"), ns, out);
	} else if (!strcmp(json_string_value(type), "record") ||
	           !strcmp(json_string_value(type), "error")) {
		const char *name = json_string_value(json_object_get(node, "name"));
		const char *own = json_string_value(json_object_get(node, "namespace"));
		const char *dot;
		char full[512], childns[512];
		json_t *fields = json_object(), *field;

		if (!name || !fields) {
			json_decref(fields);
			return;
		}
		if ((dot = strrchr(name, '.'))) {
			snprintf(full, sizeof(full), "%s", name);
			snprintf(childns, sizeof(childns), "%.*s", (int)(dot - name), name);
		} else {
			const char *use = own ? own : ns;
			snprintf(full, sizeof(full), "%s%s%s", use && *use ? use : "",
			         use && *use ? "." : "", name);
			snprintf(childns, sizeof(childns), "%s", use ? use : "");
		}
		json_array_foreach(json_object_get(node, "fields"), i, field)
		{
			const char *fname = json_string_value(json_object_get(field, "name"));
			json_t *d = json_object_get(field, "default");
			if (fname && d)
				json_object_set(fields, fname, d);
			avro_json_defaults(json_object_get(field, "type"), childns, out);
		}
		json_object_set_new(out, full, fields);
	}
}

static int set_record(avro_value_t *v, json_t *j, const jpath_t *path, char *errstr, size_t errlen)
{
	avro_schema_t rs = avro_value_get_schema(v);
	size_t n = avro_schema_record_size(rs), used = 0;

	if (!json_is_object(j))
		return perr(errstr, errlen, path, "expected an object for record %s, got %s",
		            avro_schema_name(rs), json_type_name(j));
	for (size_t i = 0; i < n; i++) {
		avro_value_t field;
		const char *name;
		json_t *fj;

		if (avro_value_get_by_index(v, i, &field, &name))
			return perr(errstr, errlen, path, "%s", avro_strerror());
		jpath_t sub = {path, name, 0};
		if (!(fj = json_object_get(j, name))) {
			/* A missing field takes its declared default, else null if allowed. */
			avro_schema_t fs = avro_value_get_schema(&field);
			json_t *dflt = record_default(rs, name);
			int nullable = is_avro_null(fs);
			if (is_avro_union(fs))
				for (size_t b = 0; b < avro_schema_union_size(fs); b++)
					nullable |=
					        is_avro_null(avro_schema_union_branch(fs, (int)b));
			if (!dflt && !nullable)
				return perr(errstr, errlen, &sub, "missing field (and no default)");
			if (set_value(&field, dflt ? dflt : json_null(), &sub, errstr, errlen))
				return -1;
			continue;
		}
		used++;
		if (set_value(&field, fj, &sub, errstr, errlen))
			return -1;
	}
	if (used != json_object_size(j)) {
		const char *key;
		json_t *val;
		json_object_foreach(j, key, val)
		{
			avro_value_t field;
			if (avro_value_get_by_name(v, key, &field, NULL) != 0)
				return perr(errstr, errlen, path, "unknown field \"%s\"", key);
		}
	}
	return 0;
}

static int set_value(avro_value_t *v, json_t *j, const jpath_t *path, char *errstr, size_t errlen)
{
	int rc = 0;

	switch (avro_value_get_type(v)) {
	case AVRO_NULL:
		if (!json_is_null(j))
			goto mismatch;
		rc = avro_value_set_null(v);
		break;
	case AVRO_BOOLEAN:
		if (!json_is_boolean(j))
			goto mismatch;
		rc = avro_value_set_boolean(v, json_is_true(j));
		break;
	case AVRO_INT32: {
		json_int_t n;
		if (!json_is_integer(j))
			goto mismatch;
		n = json_integer_value(j);
		if (n < INT32_MIN || n > INT32_MAX)
			return perr(errstr, errlen, path,
			            "%" JSON_INTEGER_FORMAT " is out of range for int", n);
		rc = avro_value_set_int(v, (int32_t)n);
		break;
	}
	case AVRO_INT64:
		if (!json_is_integer(j))
			goto mismatch;
		rc = avro_value_set_long(v, json_integer_value(j));
		break;
	case AVRO_FLOAT:
		if (!json_is_number(j))
			goto mismatch;
		rc = avro_value_set_float(v, (float)json_number_value(j));
		break;
	case AVRO_DOUBLE:
		if (!json_is_number(j))
			goto mismatch;
		rc = avro_value_set_double(v, json_number_value(j));
		break;
	case AVRO_STRING:
		if (!json_is_string(j))
			goto mismatch;
		rc = avro_value_set_string_len(v, json_string_value(j), json_string_length(j) + 1);
		break;
	case AVRO_BYTES:
	case AVRO_FIXED: {
		ks_buf_t b = KS_BUF_INIT;
		if (json_bytes(j, &b, path, errstr, errlen)) {
			ks_buf_free(&b);
			return -1;
		}
		if (avro_value_get_type(v) == AVRO_FIXED) {
			int64_t size = avro_schema_fixed_size(avro_value_get_schema(v));
			if ((int64_t)b.len != size) {
				ks_buf_free(&b);
				return perr(errstr, errlen, path,
				            "fixed needs %" PRId64 " bytes, got %zu", size, b.len);
			}
			rc = avro_value_set_fixed(v, b.data ? b.data : "", b.len);
		} else {
			rc = avro_value_set_bytes(v, b.data ? b.data : "", b.len);
		}
		ks_buf_free(&b);
		break;
	}
	case AVRO_ENUM: {
		int idx;
		if (!json_is_string(j))
			goto mismatch;
		idx = avro_schema_enum_get_by_name(avro_value_get_schema(v), json_string_value(j));
		if (idx < 0)
			return perr(errstr, errlen, path, "\"%s\" is not a symbol of enum %s",
			            json_string_value(j),
			            avro_schema_name(avro_value_get_schema(v)));
		rc = avro_value_set_enum(v, idx);
		break;
	}
	case AVRO_ARRAY: {
		size_t i;
		json_t *item;
		if (!json_is_array(j))
			goto mismatch;
		json_array_foreach(j, i, item)
		{
			avro_value_t child;
			if (avro_value_append(v, &child, NULL))
				return perr(errstr, errlen, path, "%s", avro_strerror());
			jpath_t sub = {path, NULL, (long)i};
			if (set_value(&child, item, &sub, errstr, errlen))
				return -1;
		}
		break;
	}
	case AVRO_MAP: {
		const char *key;
		json_t *item;
		if (!json_is_object(j))
			goto mismatch;
		json_object_foreach(j, key, item)
		{
			avro_value_t child;
			if (avro_value_add(v, key, &child, NULL, NULL))
				return perr(errstr, errlen, path, "%s", avro_strerror());
			jpath_t sub = {path, key, -1};
			if (set_value(&child, item, &sub, errstr, errlen))
				return -1;
		}
		break;
	}
	case AVRO_RECORD:
		return set_record(v, j, path, errstr, errlen);
	case AVRO_UNION:
		return set_union(v, j, path, errstr, errlen);
	default:
		return perr(errstr, errlen, path, "unsupported Avro type");
	}
	if (rc)
		return perr(errstr, errlen, path, "%s", avro_strerror());
	return 0;

mismatch:
	return perr(errstr, errlen, path, "expected %s, got %s",
	            avro_schema_type_name(avro_value_get_schema(v)), json_type_name(j));
}

int avro_json_set(avro_value_t *v, json_t *j, const json_t *defaults, char *errstr, size_t errlen)
{
	int rc;

	cur_defaults = defaults;
	rc = set_value(v, j, NULL, errstr, errlen);
	cur_defaults = NULL;
	return rc;
}
