/*
 * converter_impl.h — private to schemas/: the converter vtable behind the
 * opaque ks_converter_t of converter.h, and the constructors of each class.
 */
#ifndef KS_CONVERTER_IMPL_H
#define KS_CONVERTER_IMPL_H

#include "../config/config.h"
#include "converter.h"

struct ks_converter {
	const char *class_name;
	int is_key;
	ks_err_t (*to_connect)(ks_converter_t *c, const char *topic, const void *data, size_t len,
	                       ks_arena_t *arena, const ks_schema_t **schema, ks_value_t **value,
	                       char *errstr, size_t errlen);
	void (*destroy)(ks_converter_t *c); /* frees c->impl (not c) */
	void *impl;
};

/* Each fills c->to_connect, c->destroy and c->impl; 0 ok, -1 with errstr. */
int ks_avro_converter_init(ks_converter_t *c, const ks_props_t *props, char *errstr,
                           size_t errlen) KS_WUR;
int ks_json_converter_init(ks_converter_t *c, const ks_props_t *props, char *errstr,
                           size_t errlen) KS_WUR;
int ks_string_converter_init(ks_converter_t *c, const ks_props_t *props, char *errstr,
                             size_t errlen) KS_WUR;
int ks_bytearray_converter_init(ks_converter_t *c, const ks_props_t *props, char *errstr,
                                size_t errlen) KS_WUR;

/* Each class's settings (config.h tables). The AvroConverter's are
 * ks_registry_config_defs (registry_client.h). */
extern const ks_cfg_def_t ks_json_converter_config_defs[];
extern const ks_cfg_def_t ks_string_converter_config_defs[];
extern const ks_cfg_def_t ks_bytearray_converter_config_defs[];

#endif
