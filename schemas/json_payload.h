/*
 * json_payload.h — reads a JsonConverter payload straight into a record
 * value, guided by its schema, without building a jansson tree: the
 * JsonConverter's fast path for the common shapes (json_converter.c).
 *
 * It handles only what it can read exactly as jansson + ks_value_from_json
 * would; for anything else (an error of any kind, escapes other than the
 * two-character ones, \u escapes, unknown or repeated object keys, decimals
 * given as numbers, nesting deeper than ks_value_from_json allows) it
 * answers "not handled" and the caller takes the jansson path, which
 * produces the value or the error message. So it never reports an error
 * itself. Thread: any (no state).
 */
#ifndef KS_JSON_PAYLOAD_H
#define KS_JSON_PAYLOAD_H

#include "../lib/arena.h"
#include "record.h"

#include <stddef.h>

/*
 * Reads the JSON value p[0..len) (exactly one value, no surrounding
 * whitespace) for schema s, with JsonConverter's replace.null.with.default
 * rnwd. Returns 1 with *out in arena (strings NUL-terminated), or 0 when
 * not handled (then *out is untouched; arena may hold garbage until its
 * reset). A top-level JSON null is never handled.
 */
int ks_json_payload_read(const ks_schema_t *s, const char *p, size_t len, int rnwd, ks_arena_t *a,
                         ks_value_t **out) KS_WUR;

#endif
