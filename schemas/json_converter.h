/*
 * json_converter.h — what the JsonConverter (json_converter.c) offers beyond
 * the converter interface: a switch for tests and benchmarks.
 */
#ifndef KS_JSON_CONVERTER_H
#define KS_JSON_CONVERTER_H

#include "../lib/ks.h"
#include "converter.h"

/*
 * Turns the JsonConverter's fast path (reuse of a schema whose text was seen
 * before, payload parsed alone) on (default) or off, so tests can compare
 * both paths and benchmarks measure each. Thread: the converter's owner.
 * Returns 0, or -1 when c is not a JsonConverter.
 */
int ks_json_converter_set_fast(ks_converter_t *c, int on) KS_WUR;

#endif
