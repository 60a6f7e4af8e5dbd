/*
 * converter.h — Kafka Connect converters: bytes from Kafka to the record
 * model (record.h). Chosen by class name as Connect does:
 *   io.confluent.connect.avro.AvroConverter        (Confluent wire format + registry)
 *   org.apache.kafka.connect.json.JsonConverter    (schemas.enable)
 *   org.apache.kafka.connect.storage.StringConverter
 *   org.apache.kafka.connect.converters.ByteArrayConverter
 *
 * A converter is used by one task thread; it owns its schema cache, so the
 * schemas of the records it produced stay valid until it is destroyed.
 */
#ifndef KS_CONVERTER_H
#define KS_CONVERTER_H

#include "../config/props.h"
#include "../lib/arena.h"
#include "../lib/ks.h"
#include "record.h"

typedef struct ks_converter ks_converter_t;

/*
 * class_name: one of the names above.
 * props: the converter's settings with the "key.converter." /
 *   "value.converter." prefix already stripped (schema.registry.url,
 *   schemas.enable, basic.auth.*, ...).
 * is_key: converts record keys (affects TopicNameStrategy subject names).
 * Returns NULL and fills errstr for an unknown class or a bad setting.
 */
ks_converter_t *ks_converter_new(const char *class_name, const ks_props_t *props, int is_key,
                                 char *errstr, size_t errlen) KS_WUR;
void ks_converter_destroy(ks_converter_t *c); /* accepts NULL */

/* 1 when the class name is a known converter. */
int ks_converter_known(const char *class_name);
/* The i-th converter class of the table (listings); NULL past the end. */
const char *ks_converter_class(size_t i);

struct ks_cfg_def;
/* The class's settings as config.h tables (NULL-terminated list, static),
 * for validation and listings; NULL for an unknown class. */
const struct ks_cfg_def *const *ks_converter_config_defs(const char *class_name);

/*
 * Bytes -> Connect data. data == NULL means a null key / tombstone value:
 * *schema = NULL, *value = NULL, KS_OK.
 * Values are allocated in arena; *schema is borrowed from the converter.
 * Returns KS_OK, KS_ERR_RECORD (bad magic byte, unknown schema id, truncated
 * or corrupt payload, bad JSON: errstr says exactly what), or
 * KS_ERR_RETRIABLE (registry unreachable after the converter's own retries:
 * the caller waits and tries again, the record is not lost).
 */
ks_err_t ks_converter_to_connect(ks_converter_t *c, const char *topic, const void *data, size_t len,
                                 ks_arena_t *arena, const ks_schema_t **schema, ks_value_t **value,
                                 char *errstr, size_t errlen) KS_WUR;

#endif
