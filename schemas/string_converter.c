/*
 * string_converter.c — StringConverter (bytes → optional STRING, UTF-8 only)
 * and ByteArrayConverter (bytes → optional BYTES, passed through). Both have
 * one fixed schema, owned by the converter.
 */
#include "converter_impl.h"
#include "utf8.h"

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

int ks_string_converter_init(ks_converter_t *c, const ks_props_t *props, char *errstr,
                             size_t errlen)
{
	const char *enc = ks_props_get(props, "converter.encoding");

	if (enc && *enc && !ks_strcaseeq(enc, "UTF-8") && !ks_strcaseeq(enc, "UTF8"))
		return ks_seterr(
		        errstr, errlen, -1,
		        "Invalid value %s for configuration converter.encoding (only UTF-8 "
		        "is supported)",
		        enc);
	return raw_init(c, KS_TYPE_STRING, errstr, errlen);
}

int ks_bytearray_converter_init(ks_converter_t *c, const ks_props_t *props, char *errstr,
                                size_t errlen)
{
	(void)props;
	return raw_init(c, KS_TYPE_BYTES, errstr, errlen);
}
