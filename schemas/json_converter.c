/*
 * json_converter.c — org.apache.kafka.connect.json.JsonConverter.
 *
 * schemas.enable=true (default): every message is {"schema":…,"payload":…}
 * with exactly those two keys. The Connect schema JSON is parsed once per
 * distinct schema text (cache keyed by the compact, key-sorted dump of the
 * "schema" object) so a batch of 10k records shares one ks_schema_t; the
 * cache is never evicted while the converter lives (records borrow schemas).
 *
 * Fast paths (schemas.enable=true): consecutive messages nearly always carry
 * the same schema text byte for byte. json_scan.c finds the spans of the
 * "schema" and "payload" values without parsing; when the schema span equals
 * the raw text of a schema seen before (RAW_SLOTS texts remembered, length +
 * memcmp), its interned ks_schema_t is reused and only the payload is read:
 * by json_payload.c straight into the value for the common shapes, else by
 * jansson on the payload span alone. Anything the scanner does not recognise
 * exactly, an unknown schema text, or a payload jansson rejects takes the
 * full path below, so values and errors are those of the full path
 * (tests/0104 and tests/fuzz/json.c compare the paths: json_converter.h).
 *
 * schemas.enable=false: schemaless values. Deviation from Java, by design:
 * a JSON object becomes a schemaless STRUCT whose field names are in
 * u.st.names (Java builds a Map); integers become INT64, other numbers
 * FLOAT64, arrays ARRAY, strings STRING, booleans BOOLEAN.
 */
#include "json_converter.h"

#include "converter_impl.h"
#include "json_payload.h"
#include "json_scan.h"
#include "value_json.h"

#include "../config/config.h"
#include "../lib/log.h"

#include <jansson.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS  64
#define RAW_SLOTS 8
/* Deeper payloads take the full path: jansson's own depth limit counts the
 * envelope too, and its error must stay the one the user sees. */
#define FAST_MAX_DEPTH 1000

typedef struct sc_ent {
	char *key;
	ks_schema_t *schema;
	struct sc_ent *next;
} sc_ent_t;

/* A schema text exactly as it appeared in a message, and its interned schema
 * (borrowed from the buckets). */
typedef struct raw_ent {
	char *text;
	size_t len;
	const ks_schema_t *schema;
} raw_ent_t;

typedef struct json_conv {
	int schemas_enable;
	int fast;   /* a KS_JSON_PATH_* (tests compare them) */
	int direct; /* payloads read by json_payload.c (jansson's strtod locale) */
	raw_ent_t raw[RAW_SLOTS];
	int raw_last, raw_next; /* last hit; next slot to replace */
	sc_ent_t *buckets[NBUCKETS];
	size_t nschemas;
	long cache_size; /* schemas.cache.size: a warning threshold, see intern() */
	int warned;
	int replace_null_with_default;
} json_conv_t;

static unsigned hash_str(const char *s)
{
	unsigned h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static ks_schema_t *schema_from_json(const json_t *j, const char *path, char *errstr, size_t errlen,
                                     int depth);

static int bad(char *errstr, size_t errlen, const char *path, const char *what)
{
	return ks_seterr(errstr, errlen, -1, "JsonConverter schema%s%s: %s", *path ? " at " : "",
	                 path, what);
}

/* Connect type names in the schema JSON. */
static int parse_type(const char *t)
{
	if (!strcmp(t, "float"))
		return KS_TYPE_FLOAT32;
	if (!strcmp(t, "double"))
		return KS_TYPE_FLOAT64;
	return ks_type_parse(t);
}

static ks_schema_t *schema_from_json(const json_t *j, const char *path, char *errstr, size_t errlen,
                                     int depth)
{
	const char *type, *name, *doc;
	const json_t *params, *ver, *def;
	ks_schema_t *s = NULL;
	int t;
	char sub[256];

	if (depth > 64) {
		bad(errstr, errlen, path, "nested too deeply");
		return NULL;
	}
	if (!json_is_object(j)) {
		bad(errstr, errlen, path, "not a JSON object");
		return NULL;
	}
	type = json_string_value(json_object_get(j, "type"));
	if (!type) {
		bad(errstr, errlen, path, "\"type\" missing");
		return NULL;
	}
	if ((t = parse_type(type)) < 0) {
		ks_seterr(errstr, errlen, -1, "JsonConverter schema%s%s: unknown type \"%s\"",
		          *path ? " at " : "", path, type);
		return NULL;
	}
	if (!(s = ks_schema_new((ks_type_t)t)))
		goto oom;
	s->optional = json_is_true(json_object_get(j, "optional"));
	name = json_string_value(json_object_get(j, "name"));
	doc = json_string_value(json_object_get(j, "doc"));
	ver = json_object_get(j, "version");
	if ((name && ks_schema_set_name(s, name)) || (doc && ks_schema_set_doc(s, doc)))
		goto oom;
	if (json_is_integer(ver))
		s->version = (int)json_integer_value(ver);
	params = json_object_get(j, "parameters");
	if (params) {
		const char *k;
		json_t *v;
		if (!json_is_object(params)) {
			bad(errstr, errlen, path, "\"parameters\" is not an object");
			goto fail;
		}
		json_object_foreach((json_t *)params, k, v)
		{
			if (!json_is_string(v)) {
				bad(errstr, errlen, path, "parameter values must be strings");
				goto fail;
			}
			if (ks_schema_add_param(s, k, json_string_value(v)))
				goto oom;
		}
	}
	switch (s->type) {
	case KS_TYPE_ARRAY:
		snprintf(sub, sizeof(sub), "%s[]", path);
		if (!(s->value_schema = schema_from_json(json_object_get(j, "items"), sub, errstr,
		                                         errlen, depth + 1)))
			goto fail;
		break;
	case KS_TYPE_MAP:
		snprintf(sub, sizeof(sub), "%s{key}", path);
		if (!(s->key_schema = schema_from_json(json_object_get(j, "keys"), sub, errstr,
		                                       errlen, depth + 1)))
			goto fail;
		snprintf(sub, sizeof(sub), "%s{value}", path);
		if (!(s->value_schema = schema_from_json(json_object_get(j, "values"), sub, errstr,
		                                         errlen, depth + 1)))
			goto fail;
		break;
	case KS_TYPE_STRUCT: {
		const json_t *fields = json_object_get(j, "fields");
		size_t i;
		json_t *f;
		if (!json_is_array(fields)) {
			bad(errstr, errlen, path, "struct without a \"fields\" array");
			goto fail;
		}
		json_array_foreach(fields, i, f)
		{
			const char *fname = json_string_value(json_object_get(f, "field"));
			ks_schema_t *fs;
			if (!fname) {
				bad(errstr, errlen, path, "struct field without a \"field\" name");
				goto fail;
			}
			if (ks_schema_field(s, fname)) {
				ks_seterr(errstr, errlen, -1,
				          "JsonConverter schema%s%s: duplicate field \"%s\"",
				          *path ? " at " : "", path, fname);
				goto fail;
			}
			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", fname);
			if (!(fs = schema_from_json(f, sub, errstr, errlen, depth + 1)))
				goto fail;
			if (ks_schema_add_field(s, fname, fs))
				goto oom;
		}
		break;
	}
	default:
		break;
	}
	ks_schema_logical_from_name(s); /* logical types by name */
	def = json_object_get(j, "default");
	if (def && !json_is_null(def)) {
		ks_arena_t *a = ks_arena_new(0);
		ks_value_t *v;
		char e[256];
		int rc;
		if (!a)
			goto oom;
		rc = ks_value_from_json(s, def, a, &v, e, sizeof(e));
		if (!rc)
			rc = ks_schema_set_default(s, v) ? KS_ERR_RETRIABLE : KS_OK;
		ks_arena_destroy(a);
		if (rc) {
			ks_seterr(errstr, errlen, -1, "JsonConverter schema%s%s: bad default: %s",
			          *path ? " at " : "", path, e);
			goto fail;
		}
	}
	return s;
oom:
	ks_seterr(errstr, errlen, -1, "out of memory");
fail:
	ks_schema_unref(s);
	return NULL;
}

/* Interned schema for the "schema" object j (borrowed from the cache). */
static ks_err_t intern(json_conv_t *jc, const json_t *j, const ks_schema_t **out, char *errstr,
                       size_t errlen)
{
	char *key = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	unsigned h;
	sc_ent_t *e;
	char e2[KS_ERRSTR_SIZE];

	if (!key)
		return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
	h = hash_str(key) % NBUCKETS;
	for (e = jc->buckets[h]; e; e = e->next)
		if (!strcmp(e->key, key)) {
			free(key);
			*out = e->schema;
			return KS_OK;
		}
	if (!(e = calloc(1, sizeof(*e)))) {
		free(key);
		return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
	}
	if (!(e->schema = schema_from_json(j, "", e2, sizeof(e2), 0))) {
		free(key);
		free(e);
		return ks_seterr(errstr, errlen, KS_ERR_RECORD, "%s", e2);
	}
	e->key = key;
	e->next = jc->buckets[h];
	jc->buckets[h] = e;
	jc->nschemas++;
	/* Records borrow their schemas, so nothing is evicted while the task
	 * runs; a stream with endless distinct schemas is worth a warning. */
	if (jc->nschemas > (size_t)jc->cache_size && !jc->warned) {
		jc->warned = 1;
		KS_WARN("json-converter",
		        "more than schemas.cache.size=%ld distinct schemas seen; they are all kept",
		        jc->cache_size);
	}
	*out = e->schema;
	return KS_OK;
}

/* ks_json_known_fn over the remembered schema texts, the last hit first. */
static size_t raw_known(void *opaque, const char *p, size_t avail)
{
	json_conv_t *jc = opaque;

	for (int k = 0; k < RAW_SLOTS; k++) {
		int i = (jc->raw_last + k) % RAW_SLOTS;
		const raw_ent_t *r = &jc->raw[i];
		if (r->text && r->len <= avail && !memcmp(r->text, p, r->len)) {
			jc->raw_last = i;
			return r->len;
		}
	}
	return 0;
}

/* Remembers the text of schema span sp for schema (borrowed, interned). An
 * allocation failure only costs the fast path, so it is not an error. */
static void raw_remember(json_conv_t *jc, const ks_json_span_t *sp, const ks_schema_t *schema)
{
	raw_ent_t *r = &jc->raw[jc->raw_next];
	char *t = malloc(sp->len);

	if (!t)
		return;
	memcpy(t, sp->ptr, sp->len);
	free(r->text);
	r->text = t;
	r->len = sp->len;
	r->schema = schema;
	jc->raw_last = jc->raw_next;
	jc->raw_next = (jc->raw_next + 1) % RAW_SLOTS;
}

/* The value of payload (not NULL) for an interned schema. */
static ks_err_t payload_value(json_conv_t *jc, const ks_schema_t *schema, const json_t *payload,
                              ks_arena_t *arena, ks_value_t **value, char *errstr, size_t errlen)
{
	if (json_is_null(payload) && (!schema->default_value || !jc->replace_null_with_default)) {
		/* a null payload is a null value (Java: SchemaAndValue(schema, null)) */
		if (!schema->optional)
			return ks_seterr(errstr, errlen, KS_ERR_RECORD,
			                 "JSON payload is null but the schema is not optional");
		return KS_OK;
	}
	return ks_value_from_json_opts(schema, payload, jc->replace_null_with_default, arena, value,
	                               errstr, errlen);
}

static ks_err_t json_to_connect(ks_converter_t *c, const char *topic, const void *data, size_t len,
                                ks_arena_t *arena, const ks_schema_t **schema, ks_value_t **value,
                                char *errstr, size_t errlen)
{
	json_conv_t *jc = c->impl;
	json_error_t jerr;
	json_t *root, *js, *payload;
	ks_json_span_t ss, ps;
	int scanned = 0;
	ks_err_t err;

	(void)topic;
	if (jc->schemas_enable && jc->fast &&
	    !ks_json_scan_envelope(data, len, raw_known, jc, FAST_MAX_DEPTH, &ss, &ps)) {
		const raw_ent_t *r = &jc->raw[jc->raw_last];
		int known = r->text && r->len == ss.len && !memcmp(r->text, ss.ptr, ss.len);
		scanned = 1;
		if (known && jc->fast == KS_JSON_PATH_DIRECT && jc->direct &&
		    ks_json_payload_read(r->schema, ps.ptr, ps.len, jc->replace_null_with_default,
		                         arena, value)) {
			*schema = r->schema;
			return KS_OK;
		}
		/* what json_payload.c leaves: jansson on the payload alone */
		if (known && (payload = json_loadb(ps.ptr, ps.len, JSON_DECODE_ANY | JSON_ALLOW_NUL,
		                                   &jerr))) {
			*schema = r->schema;
			err = payload_value(jc, r->schema, payload, arena, value, errstr, errlen);
			json_decref(payload);
			if (err)
				*value = NULL;
			return err;
		}
		/* an unknown schema text, or a payload jansson rejects: the full
		 * path below parses everything and reports the error as before */
	}
	root = json_loadb(data, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (!root)
		return ks_seterr(
		        errstr, errlen, KS_ERR_RECORD,
		        "Converting byte[] to Kafka Connect data failed due to serialization "
		        "error: invalid JSON at line %d column %d (byte %d): %s",
		        jerr.line, jerr.column, jerr.position, jerr.text);
	if (!jc->schemas_enable) {
		err = ks_value_from_json_schemaless(root, arena, value, errstr, errlen);
		json_decref(root);
		return err;
	}
	if (!json_is_object(root) || json_object_size(root) != 2 ||
	    !(js = json_object_get(root, "schema")) ||
	    !(payload = json_object_get(root, "payload"))) {
		json_decref(root);
		return ks_seterr(
		        errstr, errlen, KS_ERR_RECORD,
		        "JsonConverter with schemas.enable requires \"schema\" and "
		        "\"payload\" fields and may not contain additional fields. If you "
		        "are trying to deserialize plain JSON data, set schemas.enable=false "
		        "in your converter configuration.");
	}
	if (json_is_null(js)) {
		err = ks_value_from_json_schemaless(payload, arena, value, errstr, errlen);
	} else if (!(err = intern(jc, js, schema, errstr, errlen))) {
		const raw_ent_t *r = &jc->raw[jc->raw_last];
		if (scanned && !(r->text && r->len == ss.len && !memcmp(r->text, ss.ptr, ss.len)))
			raw_remember(jc, &ss, *schema);
		err = payload_value(jc, *schema, payload, arena, value, errstr, errlen);
	}
	json_decref(root);
	if (err)
		*value = NULL;
	return err;
}

int ks_json_converter_set_path(ks_converter_t *c, int path)
{
	json_conv_t *jc;

	if (!c || c->to_connect != json_to_connect || path < KS_JSON_PATH_FULL ||
	    path > KS_JSON_PATH_DIRECT)
		return -1;
	jc = c->impl;
	jc->fast = path;
	return 0;
}

static void json_destroy(ks_converter_t *c)
{
	json_conv_t *jc = c->impl;

	if (!jc)
		return;
	for (int i = 0; i < NBUCKETS; i++) {
		sc_ent_t *e = jc->buckets[i], *n;
		for (; e; e = n) {
			n = e->next;
			free(e->key);
			ks_schema_unref(e->schema);
			free(e);
		}
	}
	for (int i = 0; i < RAW_SLOTS; i++)
		free(jc->raw[i].text);
	free(jc);
}

static const char *const decimal_formats[] = {"BASE64", "NUMERIC", NULL};
static const char *const converter_types[] = {"key", "value", "header", NULL};

const ks_cfg_def_t ks_json_converter_config_defs[] = {
        {.name = "schemas.enable",
         .type = KS_CFG_BOOLEAN,
         .default_value = "true",
         .importance = KS_IMP_HIGH,
         .group = "Schemas",
         .display_name = "Enable Schemas",
         .doc = "Messages are {\"schema\":…,\"payload\":…} envelopes; false: plain JSON "
                "(objects become schemaless structs)."},
        {.name = "schemas.cache.size",
         .type = KS_CFG_INT,
         .default_value = "1000",
         .has_min = 1,
         .min = 0,
         .importance = KS_IMP_HIGH,
         .group = "Schemas",
         .display_name = "Schema Cache Size",
         .doc = "Distinct schemas expected; more are still kept (records borrow them) but "
                "logged once."},
        {.name = "decimal.format",
         .type = KS_CFG_STRING,
         .default_value = "BASE64",
         .allowed = decimal_formats,
         .importance = KS_IMP_LOW,
         .group = "Schemas",
         .display_name = "Decimal Format",
         .doc = "How decimals are written; reading accepts both base64 and numbers."},
        {.name = "replace.null.with.default",
         .type = KS_CFG_BOOLEAN,
         .default_value = "true",
         .importance = KS_IMP_LOW,
         .group = "Schemas",
         .display_name = "Replace null with default",
         .doc = "A null for a field with a default value reads as the default."},
        {.name = "converter.type",
         .type = KS_CFG_STRING,
         .allowed = converter_types,
         .importance = KS_IMP_LOW,
         .group = "Schemas",
         .display_name = "Converter type",
         .doc = "Set by the worker: key, value or header."},
        KS_CFG_END,
};

int ks_json_converter_init(ks_converter_t *c, const ks_props_t *props, char *errstr, size_t errlen)
{
	const ks_cfg_def_t *const defs[] = {ks_json_converter_config_defs, NULL};
	ks_config_t *cfg = ks_config_parse(defs, props, errstr, errlen);
	json_conv_t *jc;

	if (!cfg)
		return -1;
	if (!(jc = calloc(1, sizeof(*jc)))) {
		ks_config_destroy(cfg);
		return ks_seterr(errstr, errlen, -1, "out of memory");
	}
	jc->schemas_enable = ks_config_bool(cfg, "schemas.enable");
	jc->fast = KS_JSON_PATH_DIRECT;
	/* jansson reads reals with strtod after swapping '.' for the locale's
	 * decimal point; json_payload.c only matches it in a '.' locale */
	jc->direct = !strcmp(localeconv()->decimal_point, ".");
	jc->cache_size = ks_config_int(cfg, "schemas.cache.size");
	jc->replace_null_with_default = ks_config_bool(cfg, "replace.null.with.default");
	ks_config_destroy(cfg);
	c->impl = jc;
	c->to_connect = json_to_connect;
	c->destroy = json_destroy;
	return 0;
}
