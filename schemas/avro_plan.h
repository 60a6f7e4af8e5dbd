/*
 * avro_plan.h — the decode plan the AvroConverter compiles per writer schema
 * and walks per message, shared by its three parts (private to schemas/):
 *   avro_schema.c       Avro schema JSON -> plan (a tree of av_node_t, each
 *                       holding the Connect schema of its position)
 *   avro_schema_meta.c  defaults, docs, connect.* parameters and logical
 *                       types on those Connect schemas
 *   avro_decode.c       Avro binary bytes + plan -> ks_value_t (arena)
 *   avro_converter.c    the converter glue: wire format, registry, plan cache
 */
#ifndef KS_AVRO_PLAN_H
#define KS_AVRO_PLAN_H

#include "../lib/arena.h"
#include "record.h"

#include <jansson.h>

#define UNION_NAME          "io.confluent.connect.avro.Union"
#define P_RECORD_DOC        "io.confluent.connect.avro.record.doc"
#define P_FIELD_DOC         "io.confluent.connect.avro.field.doc."
#define P_FIELD_DEFAULT     "io.confluent.connect.avro.field.default"
#define P_ENUM              "io.confluent.connect.avro.Enum"
#define ZERO_SIZE_ITEMS_MAX 65536
/* most schemas one registry schema may reference (transitively) */
#define MAX_REFS 64
#define NBUCKETS 64

typedef enum av_kind {
	AV_NULL,
	AV_BOOLEAN,
	AV_INT,
	AV_LONG,
	AV_FLOAT,
	AV_DOUBLE,
	AV_BYTES,
	AV_STRING,
	AV_RECORD,
	AV_ENUM,
	AV_ARRAY,
	AV_MAP,
	AV_UNION,
	AV_FIXED,
} av_kind_t;

enum { U_SINGLE, U_OPTIONAL, U_STRUCT };

typedef struct av_node av_node_t;
struct av_node {
	av_kind_t kind;
	ks_schema_t *schema; /* Connect schema of this position; NULL for AV_NULL */
	av_node_t **kids;    /* record fields, union branches, array item, map value */
	size_t nkids;
	char *fullname; /* record/enum/fixed */
	char **symbols; /* enum */
	size_t *symlens;
	size_t nsymbols;
	int64_t fixed_size;
	int union_mode;
	int *branch_field; /* U_STRUCT: branch -> struct field, -1 for null */
	int map_entries;   /* ARRAY of MapEntry records decoded as a MAP */
	size_t min_size;   /* fewest bytes an encoded value takes */
};

/* compilation state (avro_schema.c, avro_schema_meta.c) */

typedef struct named {
	char *fullname;
	const json_t *def;
	char *ns;
	int busy; /* being compiled: a reference now would be recursive */
	struct named *next;
} named_t;

typedef struct cctx {
	named_t *names;
	char *errstr;
	size_t errlen;
	int depth;
	long nodes; /* named types are expanded per use: bound the total */
} cctx_t;

void ks_av_node_free(av_node_t *n); /* accepts NULL */
/* The plan of an Avro schema (JSON text) whose named types may come from the
 * referenced schemas refs (dependencies first). NULL with errstr. */
av_node_t *ks_av_plan_compile(const char *text, const char *const *refs, size_t nrefs, char *errstr,
                              size_t errlen);
/* "invalid Avro schema: <fmt with arg>" into cx->errstr; returns -1. */
int ks_av_cerr(cctx_t *cx, const char *fmt, const char *arg);
int ks_av_cerr_oom(cctx_t *cx);
/* Sets s->default_value from the Avro default j of node n; 0 ok / ignored
 * (*used says which). */
int ks_av_set_default_value(ks_schema_t *s, const av_node_t *n, const json_t *j, int *used);
/* Connect name, version, doc, parameters and logical type of s from the
 * Avro definition obj (connect.* properties). 0 or -1 (cx error). */
int ks_av_finish_schema(cctx_t *cx, ks_schema_t *s, const json_t *obj);
/* Decodes the Avro binary datum data[0..len) (at offset base of the
 * message, for error positions) with plan root into v (arena); the whole
 * input must be consumed. KS_ERR_RECORD names schema id and byte offset. */
ks_err_t ks_av_decode(const av_node_t *root, int id, const void *data, size_t len, size_t base,
                      ks_arena_t *arena, ks_value_t *v, char *errstr, size_t errlen);

#endif
