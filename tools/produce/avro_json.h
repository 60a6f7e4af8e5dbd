/*
 * produce/avro_json.h — Avro JSON encoding -> avro-c generic value, for
 * build/ksink-produce.
 */
#ifndef KSINK_TOOLS_PRODUCE_AVRO_JSON_H
#define KSINK_TOOLS_PRODUCE_AVRO_JSON_H

#include <avro.h>
#include <jansson.h>
#include <stddef.h>

/* Records every field default of the parsed .avsc avsc into out
 * ({"<record full name>":{"<field>":<default>}}; namespaces inherited as the
 * Avro specification says). */
void avro_json_defaults(json_t *avsc, const char *ns, json_t *out);

/* Sets v (reset by the caller) from j, the Avro JSON encoding of a value of
 * v's schema; defaults from avro_json_defaults() fill fields j leaves out
 * (may be NULL). 0, or -1 with errstr naming the place in j. */
int avro_json_set(avro_value_t *v, json_t *j, const json_t *defaults, char *errstr, size_t errlen);

#endif
