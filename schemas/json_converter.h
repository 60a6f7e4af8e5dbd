/*
 * json_converter.h — what the JsonConverter (json_converter.c) offers beyond
 * the converter interface: a switch for tests and benchmarks.
 */
#ifndef KS_JSON_CONVERTER_H
#define KS_JSON_CONVERTER_H

#include "../lib/ks.h"
#include "converter.h"

/* How a schemas.enable=true envelope is read; each level falls back to the
 * one before it for whatever it does not handle, and all give the same
 * values and errors. */
enum {
	KS_JSON_PATH_FULL = 0,   /* jansson on the whole message (the reference) */
	KS_JSON_PATH_REUSE = 1,  /* a schema text seen before reused; jansson on the payload */
	KS_JSON_PATH_DIRECT = 2, /* REUSE, the payload read by json_payload.c (default) */
};

/*
 * Sets the path (KS_JSON_PATH_*) so tests can compare them and benchmarks
 * measure each. Thread: the converter's owner. Returns 0, or -1 when c is
 * not a JsonConverter or path is unknown.
 */
int ks_json_converter_set_path(ks_converter_t *c, int path) KS_WUR;

#endif
