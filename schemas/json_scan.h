/*
 * json_scan.h — a small non-validating JSON scanner for the JsonConverter's
 * fast path: it finds where the "schema" and "payload" values of an envelope
 * start and end without building anything, so a schema whose text is
 * byte-identical to an earlier message's can be reused and only the payload
 * parsed. It never decides what is valid JSON: whatever it does not
 * recognise exactly (other keys, escaped keys, a duplicate key, odd bytes
 * between tokens, trailing bytes) makes it answer "not here", and the caller
 * takes the full jansson path, which gives the errors. Thread: any (no
 * state).
 */
#ifndef KS_JSON_SCAN_H
#define KS_JSON_SCAN_H

#include "../lib/ks.h"

#include <stddef.h>

typedef struct ks_json_span {
	const char *ptr; /* into the scanned buffer */
	size_t len;
} ks_json_span_t;

/*
 * Skips one JSON value starting exactly at p (no leading whitespace):
 * strings by their quotes (a backslash skips the next byte), objects and
 * arrays by their brackets (strings inside skipped as such), anything else
 * up to the next whitespace, ',', ']', '}' or end. Returns the end of the
 * value, or NULL when p is at end, at a delimiter, or a string or bracket is
 * not closed before end, or nesting exceeds max_depth. Reads nothing at or
 * after end.
 */
const char *ks_json_skip_value(const char *p, const char *end, int max_depth);

/*
 * Tells whether the text at p (avail bytes) starts with a known schema
 * text: returns its length, or 0. Used by ks_json_scan_envelope to skip a
 * schema it has seen without scanning it byte by byte.
 */
typedef size_t (*ks_json_known_fn)(void *opaque, const char *p, size_t avail);

/*
 * Finds the values of an envelope {"schema":S,"payload":P} (keys in either
 * order, JSON whitespace anywhere between tokens, nothing else). S must be
 * an object (a null or other schema is left to the full path). known may be
 * NULL. Returns 0 and fills *schema and *payload, or -1 when data is not
 * exactly such an envelope (then nothing is known about it: the caller
 * parses it in full). max_depth bounds the payload's nesting.
 */
int ks_json_scan_envelope(const char *data, size_t len, ks_json_known_fn known, void *opaque,
                          int max_depth, ks_json_span_t *schema, ks_json_span_t *payload) KS_WUR;

#endif
