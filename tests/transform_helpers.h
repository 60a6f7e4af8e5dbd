/*
 * transform_helpers.h — shared by the transform tests (0150-0169): chains
 * from .properties text, records from JsonConverter input (an envelope
 * {"schema":…,"payload":…} gives a record with a schema, any other JSON a
 * schemaless one), and compact renderings of schemas and values to compare
 * with. Header-only (static functions), included by each test file.
 */
#ifndef KS_TRANSFORM_HELPERS_H
#define KS_TRANSFORM_HELPERS_H

#include "../config/config.h"
#include "../lib/buf.h"
#include "../schemas/converter.h"
#include "../schemas/value_json.h"
#include "../transforms/transform.h"
#include "lib/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ks_arena_t *tt_arena;
static ks_converter_t *tt_env_conv, *tt_plain_conv;
static char tt_err[KS_ERRSTR_SIZE];
static int tt_drop;
static const char *tt_class;

static inline ks_props_t *tt_props(const char *text)
{
	ks_props_t *p = ks_props_new();
	KS_CHECK(p, "alloc");
	KS_CHECK(!ks_properties_parse(text, strlen(text), p, tt_err, sizeof(tt_err)), "%s", tt_err);
	return p;
}

/* A chain from properties text; NULL (and tt_err) when the config is bad. */
static inline ks_transform_chain_t *tt_chain(const char *text)
{
	ks_props_t *p = tt_props(text);
	ks_transform_chain_t *c;

	tt_err[0] = '\0';
	c = ks_transform_chain_new(p, tt_err, sizeof(tt_err));
	ks_props_destroy(p);
	return c;
}

static inline ks_converter_t *tt_conv(int envelope)
{
	ks_converter_t **c = envelope ? &tt_env_conv : &tt_plain_conv;
	if (!*c) {
		ks_props_t *p = ks_props_new();
		KS_CHECK(p && !ks_props_set(p, "schemas.enable", envelope ? "true" : "false"),
		         "props");
		*c = ks_converter_new("org.apache.kafka.connect.json.JsonConverter", p, 0, tt_err,
		                      sizeof(tt_err));
		ks_props_destroy(p);
		KS_CHECK(*c, "%s", tt_err);
	}
	return *c;
}

static inline void tt_decode(const char *json, const ks_schema_t **s, ks_value_t **v)
{
	int env = json && !strncmp(json, "{\"schema\"", 9);
	*s = NULL;
	*v = NULL;
	if (!json)
		return;
	KS_CHECK(ks_converter_to_connect(tt_conv(env), "t", json, strlen(json), tt_arena, s, v,
	                                 tt_err, sizeof(tt_err)) == KS_OK,
	         "decode %s: %s", json, tt_err);
}

/* A record on topic[0]@42 with timestamp 1700000000123 (2023-11-14T22:13:20.123Z). */
static inline ks_record_t *tt_rec(const char *topic, const char *key, const char *value)
{
	ks_record_t *r;
	if (!tt_arena)
		tt_arena = ks_arena_new(0);
	r = ks_arena_calloc(tt_arena, 1, sizeof(*r));
	KS_CHECK(r, "alloc");
	r->topic = ks_arena_strdup(tt_arena, topic);
	r->partition = 3;
	r->offset = 42;
	r->timestamp = 1700000000123LL;
	tt_decode(key, &r->key_schema, &r->key);
	tt_decode(value, &r->value_schema, &r->value);
	if (key) {
		r->raw_key = key;
		r->raw_key_len = strlen(key);
	}
	if (value) {
		r->raw_value = value;
		r->raw_value_len = strlen(value);
	}
	return r;
}

static inline ks_err_t tt_apply(ks_transform_chain_t *c, ks_record_t *r)
{
	ks_err_t err;
	tt_err[0] = '\0';
	err = ks_transform_apply(c, r, tt_arena, &tt_drop, &tt_class, tt_err, sizeof(tt_err));
	return err;
}

static inline void tt_schema_to(ks_buf_t *b, const ks_schema_t *s)
{
	if (!s) {
		ks_buf_puts(b, "-");
		return;
	}
	switch (s->logical) {
	case KS_LOGICAL_DECIMAL:
		ks_buf_printf(b, "Decimal(%d)", s->scale);
		break;
	case KS_LOGICAL_DATE:
		ks_buf_puts(b, "Date");
		break;
	case KS_LOGICAL_TIME:
		ks_buf_puts(b, "Time");
		break;
	case KS_LOGICAL_TIMESTAMP:
		ks_buf_puts(b, "Timestamp");
		break;
	default:
		if (s->type == KS_TYPE_STRUCT) {
			ks_buf_putc(b, '{');
			for (size_t i = 0; i < s->nfields; i++) {
				ks_buf_printf(b, "%s%s:", i ? "," : "", s->fields[i].name);
				tt_schema_to(b, s->fields[i].schema);
			}
			ks_buf_putc(b, '}');
		} else if (s->type == KS_TYPE_ARRAY) {
			ks_buf_putc(b, '[');
			tt_schema_to(b, s->value_schema);
			ks_buf_putc(b, ']');
		} else {
			ks_buf_puts(b, ks_type_name(s->type));
		}
	}
	if (s->optional)
		ks_buf_putc(b, '?');
}

/* "{id:int32,name:string?}", "Timestamp?", "-" for none. */
static inline const char *tt_schema(const ks_schema_t *s)
{
	static ks_buf_t b[4];
	static int i;
	ks_buf_t *o = &b[i++ % 4];
	ks_buf_reset(o);
	tt_schema_to(o, s);
	return o->data;
}

/* ks_value_to_json; "null" for NULL. */
static inline const char *tt_value(const ks_schema_t *s, const ks_value_t *v)
{
	static ks_buf_t b[4];
	static int i;
	ks_buf_t *o = &b[i++ % 4];
	ks_buf_reset(o);
	KS_CHECK(!ks_value_to_json(s, v, o), "render");
	return o->data;
}

#define TT_VALUE(r) tt_value((r)->value_schema, (r)->value)
#define TT_KEY(r)   tt_value((r)->key_schema, (r)->key)

/* "a b c" contains every space-separated word? */
static inline int tt_has(const char *text, const char *needle)
{
	return text && strstr(text, needle) != NULL;
}

#endif
