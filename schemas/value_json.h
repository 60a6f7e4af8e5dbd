/*
 * value_json.h — JSON <-> record model (record.h).
 *
 * ks_value_to_json renders a value for people and JSONB columns:
 *   ints/floats as numbers (NaN/Infinity as strings), booleans, strings;
 *   bytes as base64 strings (as Connect's JsonConverter writes them);
 *   Decimal as an exact JSON number ("12.50" → 12.50);
 *   Date "YYYY-MM-DD", Time "HH:MM:SS.mmm", Timestamp
 *   "YYYY-MM-DDTHH:MM:SS.mmmZ", TimeMicros/TimestampMicros with 6 digits;
 *   STRUCT as an object in field order (schemaless STRUCT: u.st.names);
 *   MAP with string keys as an object, other maps as [[key, value], ...];
 *   null as null.
 *
 * ks_value_from_json reads a value the way Connect's JsonConverter reads an
 * envelope payload (Decimal as base64 of the unscaled bytes or a number,
 * bytes as base64, maps with non-string keys as [[k, v], ...]; a JSON null
 * for a required field takes the schema default, else fails).
 */
#ifndef KS_VALUE_JSON_H
#define KS_VALUE_JSON_H

#include "../lib/arena.h"
#include "../lib/base64.h" /* ks_base64_*: bytes are base64 in JSON */
#include "../lib/buf.h"
#include "../lib/decimal.h"
#include "record.h"

#include <jansson.h>

/*
 * Appends v (described by schema s, NULL = schemaless) as JSON text to out.
 * v == NULL renders null. Returns 0, or -1 when out failed to grow.
 * Thread: any (no shared state).
 */
int ks_value_to_json(const ks_schema_t *s, const ks_value_t *v, ks_buf_t *out) KS_WUR;

/*
 * The same renderer with options; o NULL = ks_value_to_json's.
 *   KS_JSON_PG   for a Postgres json/jsonb column (the JDBC sink's
 *                ks_jdbc_json): Decimal checked against o->decimal and
 *                the schema's precision, Time/Timestamp always with
 *                microseconds (a Time not wrapped into a day; milliseconds
 *                that overflow microseconds are an error), NaN/Infinity as
 *                null, strings escaped with \u00XX only, a schemaless field
 *                name before the schema's, nameless fields and unknown types
 *                are errors, no depth cut.
 * -1 with errstr on such an error or when out failed to grow.
 */
enum { KS_JSON_PG = 1 };
typedef struct ks_json_opts {
	int flags;
	const ks_decimal_limits_t *decimal; /* KS_JSON_PG: what the column stores */
} ks_json_opts_t;
int ks_value_to_json_opts(const ks_schema_t *s, const ks_value_t *v, const ks_json_opts_t *o,
                          ks_buf_t *out, char *errstr, size_t errlen) KS_WUR;

/*
 * JSON -> value for schema s (s != NULL). The value lives in arena.
 * KS_ERR_RECORD (errstr says which field and why) on a mismatch.
 */
ks_err_t ks_value_from_json(const ks_schema_t *s, const json_t *j, ks_arena_t *arena,
                            ks_value_t **out, char *errstr, size_t errlen) KS_WUR;

/* The same with JsonConverter's replace.null.with.default (0: a JSON null
 * for an optional schema stays null even when the schema has a default). */
ks_err_t ks_value_from_json_opts(const ks_schema_t *s, const json_t *j,
                                 int replace_null_with_default, ks_arena_t *arena, ks_value_t **out,
                                 char *errstr, size_t errlen) KS_WUR;

/* Schemaless JSON -> value (objects become STRUCT with u.st.names, integers
 * INT64, other numbers FLOAT64). j JSON null gives *out = NULL. */
ks_err_t ks_value_from_json_schemaless(const json_t *j, ks_arena_t *arena, ks_value_t **out,
                                       char *errstr, size_t errlen) KS_WUR;

#endif
