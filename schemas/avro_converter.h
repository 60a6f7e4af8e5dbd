/*
 * avro_converter.h — extras of io.confluent.connect.avro.AvroConverter beyond
 * the generic converter.h interface: access to its registry client (tests
 * and fuzzers pre-seed schemas through it) and the Avro → Connect schema
 * mapping on its own (tools, tests).
 */
#ifndef KS_AVRO_CONVERTER_H
#define KS_AVRO_CONVERTER_H

#include "converter.h"
#include "registry_client.h"

/* The registry client of an AvroConverter (borrowed); NULL for other classes. */
ks_registry_t *ks_avro_converter_registry(ks_converter_t *c);

/*
 * Maps an Avro schema (JSON text) to a Connect schema as AvroData does
 * (reference: connect-rest.md §4). Returns a new reference (caller unrefs)
 * or NULL with errstr filled.
 */
ks_schema_t *ks_avro_schema_to_connect(const char *avro_json, char *errstr, size_t errlen) KS_WUR;

#endif
