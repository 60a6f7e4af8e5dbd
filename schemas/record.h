/*
 * record.h — the Connect-like data model between the converters and the
 * connectors: schemas (ks_schema_t), values (ks_value_t) and records
 * (ks_record_t).
 *
 * Ownership:
 * - Schemas are reference counted and immutable once built. Converters intern
 *   them (one ks_schema_t per registry id / per distinct JSON schema), so a
 *   batch of 10k records shares a handful of schemas. A record borrows its
 *   schemas; the converter that produced it keeps them alive for its own
 *   lifetime (its cache is never evicted while the task runs).
 * - Values and everything a record points to (topic, raw bytes, headers,
 *   strings) live in the batch arena (lib/arena.h) and are freed with it.
 *
 * Logical types follow Kafka Connect (org.apache.kafka.connect.data.*):
 *   Decimal   BYTES  unscaled big-endian two's complement, scale in schema
 *   Date      INT32  days since 1970-01-01
 *   Time      INT32  milliseconds since midnight
 *   Timestamp INT64  milliseconds since the epoch
 * plus what the Java AvroData leaves as raw longs and we map properly:
 *   TimeMicros      INT64 microseconds since midnight
 *   TimestampMicros INT64 microseconds since the epoch
 *   Uuid            STRING (Avro "uuid" logical type)
 */
#ifndef KS_RECORD_H
#define KS_RECORD_H

#include "../lib/arena.h"
#include "../lib/ks.h"

#include <stddef.h>
#include <stdint.h>

typedef enum ks_type {
	KS_TYPE_INT8 = 0,
	KS_TYPE_INT16,
	KS_TYPE_INT32,
	KS_TYPE_INT64,
	KS_TYPE_FLOAT32,
	KS_TYPE_FLOAT64,
	KS_TYPE_BOOLEAN,
	KS_TYPE_STRING,
	KS_TYPE_BYTES,
	KS_TYPE_ARRAY,
	KS_TYPE_MAP,
	KS_TYPE_STRUCT,
	KS_TYPE__COUNT
} ks_type_t;

typedef enum ks_logical {
	KS_LOGICAL_NONE = 0,
	KS_LOGICAL_DECIMAL,          /* BYTES */
	KS_LOGICAL_DATE,             /* INT32 days */
	KS_LOGICAL_TIME,             /* INT32 ms */
	KS_LOGICAL_TIMESTAMP,        /* INT64 ms */
	KS_LOGICAL_TIME_MICROS,      /* INT64 us */
	KS_LOGICAL_TIMESTAMP_MICROS, /* INT64 us */
	KS_LOGICAL_UUID,             /* STRING */
} ks_logical_t;

/* Connect logical schema names. */
#define KS_DECIMAL_NAME          "org.apache.kafka.connect.data.Decimal"
#define KS_DATE_NAME             "org.apache.kafka.connect.data.Date"
#define KS_TIME_NAME             "org.apache.kafka.connect.data.Time"
#define KS_TIMESTAMP_NAME        "org.apache.kafka.connect.data.Timestamp"
#define KS_TIME_MICROS_NAME      "io.ksink.data.TimeMicros"
#define KS_TIMESTAMP_MICROS_NAME "io.ksink.data.TimestampMicros"
#define KS_UUID_NAME             "io.ksink.data.Uuid"

typedef struct ks_schema ks_schema_t;
typedef struct ks_value ks_value_t;

typedef struct ks_field {
	char *name;
	int index;
	ks_schema_t *schema; /* owned reference */
} ks_field_t;

typedef struct ks_param {
	char *key, *value;
} ks_param_t;

struct ks_schema {
	ks_type_t type;
	ks_logical_t logical;
	int optional;
	char *name;  /* may be NULL */
	int version; /* 0 = none */
	char *doc;   /* may be NULL */
	ks_param_t *params;
	size_t nparams;
	ks_value_t *default_value; /* owned (heap, not arena); NULL = none */
	int precision;             /* decimal: -1 when unknown */
	int scale;                 /* decimal */
	ks_schema_t *key_schema;   /* MAP */
	ks_schema_t *value_schema; /* ARRAY element, MAP value */
	ks_field_t *fields;        /* STRUCT */
	size_t nfields;
	int refcnt;
};

/*
 * A value. type is the physical type (for schemaless JSON it is all there
 * is). A null is is_null = 1 with the type of its schema (or any type when
 * schemaless). Strings and bytes are not copied out of the arena; strings
 * are also NUL-terminated for convenience (len excludes the NUL).
 */
struct ks_value {
	ks_type_t type;
	int is_null;
	union {
		int64_t i; /* INT8..INT64, BOOLEAN (0/1), Date/Time/Timestamp */
		double d;  /* FLOAT32, FLOAT64 */
		struct {
			const char *ptr;
			size_t len;
		} s; /* STRING, BYTES (Decimal: unscaled bytes) */
		struct {
			ks_value_t *items;
			size_t n;
		} arr; /* ARRAY */
		struct {
			ks_value_t *keys, *vals;
			size_t n;
		} map; /* MAP */
		struct {
			ks_value_t *fields; /* in schema field order */
			size_t n;
			/* schemaless STRUCT (JSON object without schema) keeps names */
			const char **names;
		} st; /* STRUCT */
	} u;
};

typedef struct ks_header {
	const char *key;
	const void *value; /* raw bytes, may be NULL */
	size_t len;
} ks_header_t;

typedef struct ks_record {
	const char *topic;
	int32_t partition;
	int64_t offset;
	int64_t timestamp;    /* ms since epoch, -1 when none */
	ks_header_t *headers; /* filled only when a DLQ or transforms need them */
	size_t nheaders;
	const ks_schema_t *key_schema; /* borrowed; NULL = schemaless or null key */
	ks_value_t *key;               /* NULL = null key */
	const ks_schema_t *value_schema;
	ks_value_t *value;   /* NULL = tombstone */
	const void *raw_key; /* original bytes (for the DLQ); arena */
	size_t raw_key_len;
	const void *raw_value;
	size_t raw_value_len;
	/* The record as consumed, before transforms changed its topic, headers,
	 * key or value (transforms/transform.h); NULL when no transform ran. The
	 * dead letter queue reports the original. Borrowed (arena). */
	const struct ks_record *src;
} ks_record_t;

/* --- schemas (heap, refcounted) --- */

/* A new primitive/container schema with refcnt 1. NULL on allocation failure. */
ks_schema_t *ks_schema_new(ks_type_t type) KS_WUR;
ks_schema_t *ks_schema_ref(ks_schema_t *s);
void ks_schema_unref(ks_schema_t *s); /* accepts NULL */
/* Sets name/doc (copied). 0 ok, -1 allocation. */
int ks_schema_set_name(ks_schema_t *s, const char *name) KS_WUR;
int ks_schema_set_doc(ks_schema_t *s, const char *doc) KS_WUR;
int ks_schema_add_param(ks_schema_t *s, const char *key, const char *value) KS_WUR;
const char *ks_schema_param(const ks_schema_t *s, const char *key);
/* Appends a field; takes over the caller's reference to fs (also on failure). */
int ks_schema_add_field(ks_schema_t *s, const char *name, ks_schema_t *fs) KS_WUR;
const ks_field_t *ks_schema_field(const ks_schema_t *s, const char *name);
/* Logical-type constructors (Connect names and parameters set). */
ks_schema_t *ks_schema_decimal(int precision, int scale) KS_WUR;
ks_schema_t *ks_schema_logical(ks_logical_t logical) KS_WUR; /* not DECIMAL */
/* 1 when name is one of Connect's logical type names (KS_*_NAME). */
int ks_is_logical_name(const char *name);
/* The converters' reading of a logical type: when s's name is a logical
 * type's and s has the type it annotates, sets s->logical (a Decimal also
 * its scale and precision from the "scale" and "connect.decimal.precision"
 * parameters); else leaves s as it is. */
void ks_schema_logical_from_name(ks_schema_t *s);
/* Deep copy of a value into heap memory owned by the schema (default). */
int ks_schema_set_default(ks_schema_t *s, const ks_value_t *v) KS_WUR;
/* Connect type name: "int32", "string", "struct", ... */
const char *ks_type_name(ks_type_t t);
/* Parses a Connect type name (case-insensitive); -1 when unknown. */
int ks_type_parse(const char *name);
/* Structural equality (type, optional, name, fields, params, logical). */
int ks_schema_equal(const ks_schema_t *a, const ks_schema_t *b);

/* --- values (arena) --- */

ks_value_t *ks_value_new(ks_arena_t *a, ks_type_t type) KS_WUR; /* zeroed, not null */
ks_value_t *ks_value_null(ks_arena_t *a, ks_type_t type) KS_WUR;
/* Field of a STRUCT value by schema field name (NULL when absent). */
const ks_value_t *ks_value_field(const ks_schema_t *schema, const ks_value_t *v, const char *name);

#endif
