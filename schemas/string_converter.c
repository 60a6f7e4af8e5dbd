/*
 * string_converter.c — StringConverter (bytes → optional STRING, UTF-8 only)
 * and ByteArrayConverter (bytes → optional BYTES, passed through). Both have
 * one fixed schema, owned by the converter.
 */
#include "../lib/utf8.h"
#include "converter_impl.h"

#include "../config/config.h"
#include "../lib/ks.h"

#include <stdlib.h>

static ks_err_t raw_to_connect(ks_converter_t *c, const char *topic, const void *data, size_t len,
                               ks_arena_t *arena, const ks_schema_t **schema, ks_value_t **value,
                               char *errstr, size_t errlen)
{
	ks_schema_t *s = c->impl;
	ks_value_t *v = ks_value_new(arena, s->type);

	(void)topic;
	if (!v)
		return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
	/* StringConverter decodes with replacement, as Java's new String(bytes, UTF_8) */
	v->u.s.ptr = s->type == KS_TYPE_STRING ? ks_utf8_copy(arena, data, len, &v->u.s.len)
	                                       : ks_arena_memdup(arena, data, v->u.s.len = len);
	if (!v->u.s.ptr)
		return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
	*schema = s;
	*value = v;
	return KS_OK;
}

static void raw_destroy(ks_converter_t *c)
{
	ks_schema_unref(c->impl);
}

static int raw_init(ks_converter_t *c, ks_type_t type, char *errstr, size_t errlen)
{
	ks_schema_t *s = ks_schema_new(type);

	if (!s)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	s->optional = 1;
	c->impl = s;
	c->to_connect = raw_to_connect;
	c->destroy = raw_destroy;
	return 0;
}

static int valid_encoding(const ks_cfg_def_t *def, const char *v, char *errstr, size_t errlen)
{
	(void)def;
	if (v && *v && !ks_strcaseeq(v, "UTF-8") && !ks_strcaseeq(v, "UTF8"))
		return ks_seterr(errstr, errlen, -1, "only UTF-8 is supported");
	return 0;
}

const ks_cfg_def_t ks_string_converter_config_defs[] = {
        {.name = "converter.encoding",
         .type = KS_CFG_STRING,
         .default_value = "UTF-8",
         .validate = valid_encoding,
         .importance = KS_IMP_HIGH,
         .display_name = "Encoding",
         .doc = "The character encoding of the bytes (UTF-8 only)."},
        KS_CFG_END,
};

const ks_cfg_def_t ks_bytearray_converter_config_defs[] = {KS_CFG_END};

int ks_string_converter_init(ks_converter_t *c, const ks_props_t *props, char *errstr,
                             size_t errlen)
{
	const ks_cfg_def_t *const defs[] = {ks_string_converter_config_defs, NULL};
	ks_config_t *cfg = ks_config_new(defs, props);
	int bad;

	if (!cfg)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	if ((bad = ks_config_error_count(cfg) > 0))
		ks_seterr(errstr, errlen, -1, "%s", ks_config_errors_text(cfg));
	ks_config_destroy(cfg);
	return bad ? -1 : raw_init(c, KS_TYPE_STRING, errstr, errlen);
}

int ks_bytearray_converter_init(ks_converter_t *c, const ks_props_t *props, char *errstr,
                                size_t errlen)
{
	(void)props;
	return raw_init(c, KS_TYPE_BYTES, errstr, errlen);
}
