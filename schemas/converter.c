/*
 * converter.c — picks the converter implementation by its Connect class name
 * and forwards calls through the vtable (converter_impl.h).
 */
#include "converter_impl.h"
#include "registry_client.h"

#include <stdlib.h>
#include <string.h>

static const ks_cfg_def_t *const avro_defs[] = {ks_registry_config_defs, NULL};
static const ks_cfg_def_t *const json_defs[] = {ks_json_converter_config_defs, NULL};
static const ks_cfg_def_t *const string_defs[] = {ks_string_converter_config_defs, NULL};
static const ks_cfg_def_t *const bytearray_defs[] = {ks_bytearray_converter_config_defs, NULL};

static const struct {
	const char *name;
	int (*init)(ks_converter_t *c, const ks_props_t *props, char *errstr, size_t errlen);
	const ks_cfg_def_t *const *defs;
} classes[] = {
        {"io.confluent.connect.avro.AvroConverter", ks_avro_converter_init, avro_defs},
        {"org.apache.kafka.connect.json.JsonConverter", ks_json_converter_init, json_defs},
        {"org.apache.kafka.connect.storage.StringConverter", ks_string_converter_init, string_defs},
        {"org.apache.kafka.connect.converters.ByteArrayConverter", ks_bytearray_converter_init,
         bytearray_defs},
};

const ks_cfg_def_t *const *ks_converter_config_defs(const char *class_name)
{
	for (size_t i = 0; class_name && i < KS_ARRAY_SIZE(classes); i++)
		if (!strcmp(classes[i].name, class_name))
			return classes[i].defs;
	return NULL;
}

int ks_converter_known(const char *class_name)
{
	for (size_t i = 0; class_name && i < KS_ARRAY_SIZE(classes); i++)
		if (!strcmp(classes[i].name, class_name))
			return 1;
	return 0;
}

const char *ks_converter_class(size_t i)
{
	return i < KS_ARRAY_SIZE(classes) ? classes[i].name : NULL;
}

ks_converter_t *ks_converter_new(const char *class_name, const ks_props_t *props, int is_key,
                                 char *errstr, size_t errlen)
{
	ks_props_t *empty = NULL;
	ks_converter_t *c;

	for (size_t i = 0; class_name && i < KS_ARRAY_SIZE(classes); i++) {
		if (strcmp(classes[i].name, class_name))
			continue;
		if (!(c = calloc(1, sizeof(*c)))) {
			ks_seterr(errstr, errlen, -1, "out of memory");
			return NULL;
		}
		c->class_name = classes[i].name;
		c->is_key = is_key;
		if (!props && !(props = empty = ks_props_new())) {
			free(c);
			ks_seterr(errstr, errlen, -1, "out of memory");
			return NULL;
		}
		if (classes[i].init(c, props, errstr, errlen)) {
			ks_props_destroy(empty);
			free(c);
			return NULL;
		}
		ks_props_destroy(empty);
		return c;
	}
	ks_seterr(errstr, errlen, -1, "Class %s could not be found (unknown converter)",
	          class_name ? class_name : "(null)");
	return NULL;
}

void ks_converter_destroy(ks_converter_t *c)
{
	if (!c)
		return;
	if (c->destroy)
		c->destroy(c);
	free(c);
}

ks_err_t ks_converter_to_connect(ks_converter_t *c, const char *topic, const void *data, size_t len,
                                 ks_arena_t *arena, const ks_schema_t **schema, ks_value_t **value,
                                 char *errstr, size_t errlen)
{
	*schema = NULL;
	*value = NULL;
	if (!data)
		return KS_OK;
	return c->to_connect(c, topic, data, len, arena, schema, value, errstr, errlen);
}
