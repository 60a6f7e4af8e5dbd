/*
 * produce.c — build/ksink-produce: loads records into Kafka the way a
 * Confluent producer would, one record per line of stdin.
 *
 *   ksink-produce --bootstrap B --registry URL --topic T --value-schema FILE.avsc
 *                 [--key-schema FILE.avsc | --key-field NAME | --key-string]
 *                 [--format avro-json|json] [--partition N] [--count-only]
 *                 [-X librdkafka.prop=value]...
 *
 * avro-json (default): each line is a value in the Avro JSON encoding
 * (unions tagged {"int":1}, bytes as "\u00XX" strings, "\u0000" included: jansson
 * reads with JSON_ALLOW_NUL; enums as symbols). It is
 * walked with jansson into one reused avro-c generic value, written as Avro
 * binary and framed the Confluent way (0x00, 4-byte big-endian schema id);
 * the schema is registered under <topic>-value (and <topic>-key), the
 * TopicNameStrategy. json: each line is sent as it is (JsonConverter tests).
 * Keys, tombstones and the exact line formats: tools/README.md.
 *
 * Flow: read line -> parse -> encode -> rd_kafka_produce (copying) -> poll
 * delivery reports; on a full queue poll and retry; flush at the end. Any bad
 * line or failed delivery ends with a message naming the line and exit 1.
 */
#include "../lib/buf.h"
#include "../lib/file.h"
#include "../lib/ks.h"

#include <avro.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG "ksink-produce"

typedef enum key_mode { KEY_NONE, KEY_FIELD, KEY_STRING, KEY_AVRO } key_mode_t;

/* One Avro schema in use: parsed schema, its id and a reusable value. */
typedef struct avro_ser {
	avro_schema_t schema;
	avro_value_iface_t *iface;
	avro_value_t value;
	int id;
	int raw_bytes; /* top-level "bytes": Confluent writes the bytes without a length */
	ks_buf_t out;  /* framed message */
	avro_writer_t writer;
	json_t *defaults; /* {"<record full name>":{"<field>":<default>}} from the .avsc */
} avro_ser_t;

/* The field defaults of the schema being encoded (avro-c does not keep them). */
static json_t *cur_defaults;

static struct {
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
	int64_t delivered, failed;
	long first_failed_line;
	char first_error[256];
} P;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: " PROG " --bootstrap BROKERS --topic TOPIC\n"
	        "       [--registry URL --value-schema FILE.avsc] [--format avro-json|json]\n"
	        "       [--key-schema FILE.avsc | --key-field NAME | --key-string]\n"
	        "       [--partition N] [--count-only] [-X prop=value]...\n"
	        "Reads one record per line from stdin. See tools/README.md.\n");
}

/* -------------------------------------------------------------------------- */
/* Registry */

static size_t curl_sink(char *ptr, size_t size, size_t n, void *opaque)
{
	ks_buf_append(opaque, ptr, size * n);
	return size * n;
}

/*
 * register_schema() POSTs the schema text to URL/subjects/SUBJECT/versions and
 * returns the id (> 0), or -1 with errstr filled. Retries for ~10 s when the
 * registry is unreachable or answers 5xx (it may be restarting).
 */
static int register_schema(const char *url, const char *subject, const char *schema_text,
                           char *errstr, size_t errlen)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	ks_buf_t resp = KS_BUF_INIT, full = KS_BUF_INIT;
	char *esc = NULL, *body = NULL;
	json_t *req = NULL, *res = NULL;
	size_t ulen;
	int id = -1;

	if (!curl || !(esc = curl_easy_escape(curl, subject, 0)) ||
	    !(req = json_pack("{s:s}", "schema", schema_text)) ||
	    !(body = json_dumps(req, JSON_COMPACT))) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		goto out;
	}
	ulen = strcspn(url, ","); /* a list of URLs: the first one */
	while (ulen > 0 && url[ulen - 1] == '/')
		ulen--;
	ks_buf_printf(&full, "%.*s/subjects/%s/versions", (int)ulen, url, esc);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/vnd.schemaregistry.v1+json");
	hdrs = curl_slist_append(hdrs, "Accept: application/vnd.schemaregistry.v1+json");
	curl_easy_setopt(curl, CURLOPT_URL, full.data);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, curl_sink);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	for (int attempt = 0; attempt < 40; attempt++) {
		long status = 0;
		CURLcode cc;

		ks_buf_reset(&resp);
		cc = curl_easy_perform(curl);
		if (cc == CURLE_OK)
			curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		if (cc == CURLE_OK && status == 200) {
			json_error_t jerr;
			json_decref(res);
			res = resp.data ? json_loads(resp.data, 0, &jerr) : NULL;
			if (!json_is_integer(json_object_get(res, "id"))) {
				ks_seterr(errstr, errlen, -1, "registry %s: unexpected answer: %s",
				          full.data, resp.data ? resp.data : "(empty)");
				goto out;
			}
			id = (int)json_integer_value(json_object_get(res, "id"));
			goto out;
		}
		if (cc == CURLE_OK && status < 500) {
			ks_seterr(errstr, errlen, -1, "registry %s: HTTP %ld: %s", full.data,
			          status, resp.data ? resp.data : "");
			goto out;
		}
		if (cc != CURLE_OK)
			ks_seterr(errstr, errlen, -1, "registry %s: %s", full.data,
			          curl_easy_strerror(cc));
		else
			ks_seterr(errstr, errlen, -1, "registry %s: HTTP %ld: %s", full.data,
			          status, resp.data ? resp.data : "");
		usleep(250 * 1000);
	}
out:
	json_decref(req);
	json_decref(res);
	free(body);
	curl_free(esc);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(curl);
	ks_buf_free(&resp);
	ks_buf_free(&full);
	return id;
}

/* -------------------------------------------------------------------------- */
/* Avro JSON encoding -> avro-c generic value */

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
 * collect_defaults() walks a parsed .avsc and records every field default
 * under its record's full name (namespaces inherited as the spec says).
 */
static void collect_defaults(json_t *node, const char *ns, json_t *out)
{
	json_t *type, *f;
	size_t i;

	if (json_is_array(node)) {
		json_array_foreach(node, i, f) collect_defaults(f, ns, out);
		return;
	}
	if (!json_is_object(node))
		return;
	type = json_object_get(node, "type");
	if (!json_is_string(type)) {
		collect_defaults(type, ns, out);
		return;
	}
	if (!strcmp(json_string_value(type), "array")) {
		collect_defaults(json_object_get(node, "items"), ns, out);
	} else if (!strcmp(json_string_value(type), "map")) {
		collect_defaults(json_object_get(node, "values"), ns, out);
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
			collect_defaults(json_object_get(field, "type"), childns, out);
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

/* -------------------------------------------------------------------------- */
/* Serializer */

static char *read_file(const char *path, char *errstr, size_t errlen)
{
	ks_buf_t b = KS_BUF_INIT;

	if (ks_file_read(path, &b, errstr, errlen)) {
		ks_buf_free(&b);
		return NULL;
	}
	if (!b.data) {
		ks_seterr(errstr, errlen, -1, "%s: empty file", path);
		return NULL;
	}
	return ks_buf_steal(&b);
}

/*
 * ser_init() loads an .avsc file, registers it under subject (unless
 * registry is NULL: id 0) and prepares the reusable value.
 */
static int ser_init(avro_ser_t *s, const char *path, const char *registry, const char *subject,
                    char *errstr, size_t errlen)
{
	char *text = read_file(path, errstr, errlen);
	json_error_t jerr;
	json_t *j;
	char *compact;

	memset(s, 0, sizeof(*s));
	if (!text)
		return -1;
	/* Register the compact form: what serializers send (Schema.toString()). */
	if (!(j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr))) {
		free(text);
		return ks_seterr(errstr, errlen, -1, "%s: line %d: %s", path, jerr.line, jerr.text);
	}
	compact = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	if ((s->defaults = json_object()))
		collect_defaults(j, NULL, s->defaults);
	json_decref(j);
	free(text);
	if (!compact)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	if (avro_schema_from_json_length(compact, strlen(compact), &s->schema)) {
		ks_seterr(errstr, errlen, -1, "%s: invalid Avro schema: %s", path, avro_strerror());
		free(compact);
		return -1;
	}
	s->id = registry ? register_schema(registry, subject, compact, errstr, errlen) : 0;
	free(compact);
	if (s->id < 0)
		return -1;
	s->raw_bytes = is_avro_bytes(s->schema);
	if (!(s->iface = avro_generic_class_from_schema(s->schema)) ||
	    avro_generic_value_new(s->iface, &s->value) || !(s->writer = avro_writer_memory("", 0)))
		return ks_seterr(errstr, errlen, -1, "%s: %s", path, avro_strerror());
	return 0;
}

static void ser_destroy(avro_ser_t *s)
{
	json_decref(s->defaults);
	if (s->iface) {
		avro_value_decref(&s->value);
		avro_value_iface_decref(s->iface);
	}
	if (s->writer)
		avro_writer_free(s->writer);
	if (s->schema)
		avro_schema_decref(s->schema);
	ks_buf_free(&s->out);
}

/* Encodes j into s->out: 0x00, id (BE), Avro binary. */
static int ser_encode(avro_ser_t *s, json_t *j, char *errstr, size_t errlen)
{
	size_t size;
	unsigned char hdr[5] = {0, (unsigned char)(s->id >> 24), (unsigned char)(s->id >> 16),
	                        (unsigned char)(s->id >> 8), (unsigned char)s->id};

	avro_value_reset(&s->value);
	cur_defaults = s->defaults;
	if (set_value(&s->value, j, NULL, errstr, errlen))
		return -1;
	ks_buf_reset(&s->out);
	ks_buf_append(&s->out, hdr, sizeof(hdr));
	if (s->raw_bytes) {
		const void *p;
		avro_value_get_bytes(&s->value, &p, &size);
		ks_buf_append(&s->out, p, size);
		return ks_buf_failed(&s->out) ? ks_seterr(errstr, errlen, -1, "out of memory") : 0;
	}
	if (avro_value_sizeof(&s->value, &size))
		return ks_seterr(errstr, errlen, -1, "%s", avro_strerror());
	if (ks_buf_reserve(&s->out, size + 1))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	avro_writer_memory_set_dest(s->writer, s->out.data + s->out.len, (int64_t)size);
	if (avro_value_write(s->writer, &s->value))
		return ks_seterr(errstr, errlen, -1, "%s", avro_strerror());
	s->out.len += size;
	return 0;
}

/* -------------------------------------------------------------------------- */
/* Kafka */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
	(void)rk;
	(void)opaque;
	if (rkm->err) {
		if (!P.failed++) {
			P.first_failed_line = (long)(intptr_t)rkm->_private;
			snprintf(P.first_error, sizeof(P.first_error), "%s",
			         rd_kafka_err2str(rkm->err));
		}
	} else {
		P.delivered++;
	}
}

static int kafka_init(const char *bootstrap, const char *topic, char **props, int nprops)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[512];
	static const char *const defaults[][2] = {
	        {"linger.ms", "20"},
	        {"batch.num.messages", "10000"},
	        {"queue.buffering.max.messages", "1000000"},
	        {"queue.buffering.max.kbytes", "1048576"},
	        /* the Java clients' default partitioner: equal keys, equal partitions */
	        {"partitioner", "murmur2_random"},
	        {"message.timeout.ms", "60000"},
	};

	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)))
		goto fail;
	for (size_t i = 0; i < KS_ARRAY_SIZE(defaults); i++)
		if (rd_kafka_conf_set(conf, defaults[i][0], defaults[i][1], errstr, sizeof(errstr)))
			goto fail;
	for (int i = 0; i < nprops; i++) {
		char *eq = strchr(props[i], '=');
		if (!eq) {
			snprintf(errstr, sizeof(errstr), "-X %s: expected prop=value", props[i]);
			goto fail;
		}
		*eq = '\0';
		if (rd_kafka_conf_set(conf, props[i], eq + 1, errstr, sizeof(errstr)))
			goto fail;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	if (!(P.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr)))) {
		fprintf(stderr, PROG ": %s\n", errstr);
		return -1;
	}
	if (!(P.rkt = rd_kafka_topic_new(P.rk, topic, NULL))) {
		fprintf(stderr, PROG ": topic %s: %s\n", topic,
		        rd_kafka_err2str(rd_kafka_last_error()));
		return -1;
	}
	return 0;
fail:
	fprintf(stderr, PROG ": %s\n", errstr);
	rd_kafka_conf_destroy(conf);
	return -1;
}

static int kafka_send(int32_t partition, const void *key, size_t klen, const void *val, size_t vlen,
                      long lineno)
{
	for (;;) {
		if (rd_kafka_produce(P.rkt, partition, RD_KAFKA_MSG_F_COPY, (void *)val, vlen, key,
		                     klen, (void *)(intptr_t)lineno) == 0)
			return 0;
		if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			fprintf(stderr, PROG ": line %ld: produce failed: %s\n", lineno,
			        rd_kafka_err2str(rd_kafka_last_error()));
			return -1;
		}
		rd_kafka_poll(P.rk, 50);
		if (stop)
			return -1;
	}
}

/* -------------------------------------------------------------------------- */
/* Keys */

/* Renders a JSON scalar (a union tag {"int":1} unwrapped) as the key text. */
static int key_text(json_t *j, ks_buf_t *out)
{
	if (json_is_object(j) && json_object_size(j) == 1)
		j = json_object_iter_value(json_object_iter(j));
	ks_buf_reset(out);
	switch (json_typeof(j)) {
	case JSON_STRING:
		ks_buf_append(out, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		ks_buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		break;
	case JSON_REAL:
		ks_buf_printf(out, "%.17g", json_real_value(j));
		break;
	case JSON_TRUE:
		ks_buf_puts(out, "true");
		break;
	case JSON_FALSE:
		ks_buf_puts(out, "false");
		break;
	case JSON_NULL:
		return 1; /* no key */
	default:
		return -1;
	}
	return 0;
}

/* -------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	const char *bootstrap = NULL, *registry = NULL, *topic = NULL;
	const char *value_schema = NULL, *key_schema = NULL, *key_field = NULL;
	char *props[64];
	int nprops = 0, format_json = 0, count_only = 0, rc = 1;
	int32_t partition = RD_KAFKA_PARTITION_UA;
	key_mode_t key_mode = KEY_NONE;
	avro_ser_t vser = {0}, kser = {0};
	char errstr[KS_ERRSTR_SIZE], subject[512];
	ks_buf_t keybuf = KS_BUF_INIT;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0, produced = 0;
	int64_t t0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--bootstrap") && next) {
			bootstrap = argv[++i];
		} else if (!strcmp(a, "--registry") && next) {
			registry = argv[++i];
		} else if (!strcmp(a, "--topic") && next) {
			topic = argv[++i];
		} else if (!strcmp(a, "--value-schema") && next) {
			value_schema = argv[++i];
		} else if (!strcmp(a, "--key-schema") && next && key_mode == KEY_NONE) {
			key_schema = argv[++i];
			key_mode = KEY_AVRO;
		} else if (!strcmp(a, "--key-field") && next && key_mode == KEY_NONE) {
			key_field = argv[++i];
			key_mode = KEY_FIELD;
		} else if (!strcmp(a, "--key-string") && key_mode == KEY_NONE) {
			key_mode = KEY_STRING;
		} else if (!strcmp(a, "--format") && next) {
			i++;
			if (!strcmp(next, "json"))
				format_json = 1;
			else if (strcmp(next, "avro-json") != 0) {
				usage();
				return 2;
			}
		} else if (!strcmp(a, "--partition") && next) {
			char *end;
			long n = strtol(argv[++i], &end, 10);
			if (*end || end == argv[i] || n < 0 || n > INT32_MAX) {
				fprintf(stderr, PROG ": --partition needs a partition number\n");
				return 2;
			}
			partition = (int32_t)n;
		} else if (!strcmp(a, "--count-only")) {
			count_only = 1;
		} else if (!strcmp(a, "-X") && next && nprops < (int)KS_ARRAY_SIZE(props)) {
			props[nprops++] = argv[++i];
		} else {
			usage();
			return 2;
		}
	}
	if (!topic || (!bootstrap && !count_only) ||
	    (!format_json && (!value_schema || (!registry && !count_only))) ||
	    (format_json && key_mode == KEY_AVRO)) {
		usage();
		return 2;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!format_json) {
		snprintf(subject, sizeof(subject), "%s-value", topic);
		if (ser_init(&vser, value_schema, count_only ? NULL : registry, subject, errstr,
		             sizeof(errstr))) {
			fprintf(stderr, PROG ": value schema: %s\n", errstr);
			goto out;
		}
	}
	if (key_mode == KEY_AVRO) {
		snprintf(subject, sizeof(subject), "%s-key", topic);
		if (ser_init(&kser, key_schema, count_only ? NULL : registry, subject, errstr,
		             sizeof(errstr))) {
			fprintf(stderr, PROG ": key schema: %s\n", errstr);
			goto out;
		}
	}
	if (!count_only && kafka_init(bootstrap, topic, props, nprops))
		goto out;

	t0 = ks_now_ms();
	while (!stop && (len = getline(&line, &cap, stdin)) >= 0) {
		const char *vtext = line, *kptr = NULL;
		size_t vlen, klen = 0;
		json_t *doc = NULL, *jv, *jk = NULL;
		json_error_t jerr;
		const void *vptr = NULL;
		int bad = 0;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		vlen = (size_t)len;
		if (key_mode == KEY_STRING) {
			char *tab = memchr(line, '\t', vlen);
			if (!tab) {
				fprintf(stderr, PROG ": line %ld: expected KEY<TAB>VALUE\n",
				        lineno);
				goto out;
			}
			kptr = line;
			klen = (size_t)(tab - line);
			vtext = tab + 1;
			vlen -= klen + 1;
		}
		if (!(doc = json_loadb(vtext, vlen, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr))) {
			fprintf(stderr, PROG ": line %ld: bad JSON: %s (column %d)\n", lineno,
			        jerr.text, jerr.column);
			goto out;
		}
		jv = doc;
		if (key_mode == KEY_AVRO) {
			if (!json_is_object(doc) || !(jk = json_object_get(doc, "key")) ||
			    !(jv = json_object_get(doc, "value"))) {
				fprintf(stderr,
				        PROG ": line %ld: expected {\"key\":…,\"value\":…}\n",
				        lineno);
				json_decref(doc);
				goto out;
			}
			if (json_is_null(jk)) {
				kptr = NULL;
			} else if (ser_encode(&kser, jk, errstr, sizeof(errstr))) {
				fprintf(stderr, PROG ": line %ld: key: %s\n", lineno, errstr);
				bad = 1;
			} else {
				kptr = kser.out.data;
				klen = kser.out.len;
			}
		} else if (key_mode == KEY_FIELD) {
			json_t *f = json_object_get(jv, key_field);
			int kr = f ? key_text(f, &keybuf) : -2;
			if (kr == -2 || kr < 0) {
				fprintf(stderr, PROG ": line %ld: key field \"%s\" %s\n", lineno,
				        key_field,
				        kr == -2 ? "missing (a tombstone needs --key-string or "
				                   "--key-schema)"
				                 : "is not a scalar");
				bad = 1;
			} else if (kr == 0) {
				kptr = keybuf.data ? keybuf.data : "";
				klen = keybuf.len;
			}
		}
		if (!bad) {
			if (json_is_null(jv)) {
				if (!kptr) {
					fprintf(stderr,
					        PROG ": line %ld: a null value (tombstone) needs a "
					             "key\n",
					        lineno);
					bad = 1;
				}
			} else if (format_json) {
				vptr = vtext;
				if (key_mode == KEY_AVRO) /* not reached: rejected above */
					bad = 1;
			} else if (ser_encode(&vser, jv, errstr, sizeof(errstr))) {
				fprintf(stderr, PROG ": line %ld: %s\n", lineno, errstr);
				bad = 1;
			} else {
				vptr = vser.out.data;
				vlen = vser.out.len;
			}
		}
		if (bad) {
			json_decref(doc);
			goto out;
		}
		if (!vptr)
			vlen = 0;
		if (!count_only && kafka_send(partition, kptr, klen, vptr, vlen, lineno)) {
			json_decref(doc);
			goto out;
		}
		json_decref(doc);
		produced++;
		if (!count_only && (produced & 1023) == 0)
			rd_kafka_poll(P.rk, 0);
	}
	if (stop) {
		fprintf(stderr, PROG ": interrupted after %ld lines\n", lineno);
		goto out;
	}
	if (!count_only) {
		rd_kafka_resp_err_t ferr;
		while ((ferr = rd_kafka_flush(P.rk, 1000)) == RD_KAFKA_RESP_ERR__TIMED_OUT && !stop)
			;
		if (ferr || P.failed) {
			fprintf(stderr,
			        PROG ": %" PRId64
			             " of %ld records not delivered (first: line %ld: %s)\n",
			        P.failed ? P.failed : produced - P.delivered, produced,
			        P.first_failed_line,
			        P.failed ? P.first_error : rd_kafka_err2str(ferr));
			goto out;
		}
	}
	{
		int64_t ms = ks_now_ms() - t0;
		double rate = ms > 0 ? (double)produced * 1000.0 / (double)ms : (double)produced;
		fprintf(stderr, "%s %ld records to %s (%.0f records/s)\n",
		        count_only ? "encoded" : "produced", produced, topic, rate);
	}
	rc = 0;
out:
	free(line);
	ks_buf_free(&keybuf);
	if (P.rkt)
		rd_kafka_topic_destroy(P.rkt);
	if (P.rk) {
		if (rc)
			rd_kafka_purge(P.rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_flush(P.rk, rc ? 0 : 1000);
		rd_kafka_destroy(P.rk);
	}
	ser_destroy(&vser);
	ser_destroy(&kser);
	curl_global_cleanup();
	return rc;
}
