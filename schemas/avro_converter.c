/*
 * avro_converter.c — io.confluent.connect.avro.AvroConverter.
 *
 * A message is the Confluent wire format: byte 0 = 0x00, bytes 1-4 = the
 * big-endian registry id of the WRITER schema, then the Avro binary datum.
 *
 * Per schema id we fetch the writer schema once (registry_client.c), then
 * compile it once into a decode plan: a tree of av_node_t, each holding the
 * Connect schema of its position (mapped as Confluent's AvroData does,
 * connect-rest.md §4). The decoder walks plan and bytes together and writes
 * ks_value_t straight into the batch arena — no intermediate Avro datum.
 *
 * Why not avro-c's avro_value_read: the input is untrusted. avro-c allocates
 * what a length prefix says before checking the message holds that many
 * bytes, cannot report the byte position of an error, and does not see
 * trailing garbage. Our decoder bounds every length and block count by the
 * bytes left, so a corrupt record costs an error message, never a crash or
 * a huge allocation, and every error names the schema id and byte offset.
 * It is also one pass with no copies beyond the arena.
 *
 * Layout: this file is the converter glue (wire format, registry, plan
 * cache per schema id); avro_schema.c + avro_schema_meta.c compile a schema
 * into a plan, avro_decode.c decodes bytes with it (avro_plan.h).
 *
 * Schemas are interned per id and live as long as the converter (records
 * borrow them). One converter per task thread; no locking here.
 */
#include "avro_converter.h"

#include "../lib/log.h"
#include "avro_plan.h"
#include "converter_impl.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the converter --- */

typedef struct plan_ent {
	int id;
	av_node_t *root;
	struct plan_ent *next;
} plan_ent_t;

typedef struct avro_conv {
	ks_registry_t *reg;
	plan_ent_t *buckets[NBUCKETS];
} avro_conv_t;

/* Appends the texts of refs (their own references first, no duplicates). */
static ks_err_t collect_refs(avro_conv_t *ac, int id, const ks_registry_ref_t *refs, size_t nrefs,
                             const char **texts, size_t *ntexts, int depth, char *errstr,
                             size_t errlen)
{
	for (size_t i = 0; i < nrefs; i++) {
		const ks_registry_ref_t *sub;
		const char *text;
		size_t nsub, k;
		ks_err_t err;

		if (depth > 16 || *ntexts >= MAX_REFS)
			return ks_seterr(errstr, errlen, KS_ERR_RECORD,
			                 "schema id %d: too many or too deep schema references",
			                 id);
		if ((err = ks_registry_get_version(ac->reg, refs[i].subject, refs[i].version, &text,
		                                   &sub, &nsub, errstr, errlen)))
			return err;
		if ((err = collect_refs(ac, id, sub, nsub, texts, ntexts, depth + 1, errstr,
		                        errlen)))
			return err;
		for (k = 0; k < *ntexts && texts[k] != text; k++)
			;
		if (k == *ntexts)
			texts[(*ntexts)++] = text;
	}
	return KS_OK;
}

static ks_err_t get_plan(avro_conv_t *ac, int id, av_node_t **out, char *errstr, size_t errlen)
{
	plan_ent_t *e;
	const char *text, *type, *texts[MAX_REFS];
	const ks_registry_ref_t *refs;
	size_t nrefs, ntexts = 0;
	char e2[KS_ERRSTR_SIZE];
	ks_err_t err;

	for (e = ac->buckets[(unsigned)id % NBUCKETS]; e; e = e->next)
		if (e->id == id) {
			*out = e->root;
			return KS_OK;
		}
	if ((err = ks_registry_get_schema_refs(ac->reg, id, &text, &type, &refs, &nrefs, errstr,
	                                       errlen)))
		return err;
	if (strcmp(type, "AVRO"))
		return ks_seterr(errstr, errlen, KS_ERR_RECORD,
		                 "schema id %d is a %s schema, not Avro", id, type);
	if ((err = collect_refs(ac, id, refs, nrefs, texts, &ntexts, 0, errstr, errlen))) {
		if (err == KS_ERR_RECORD && !strstr(errstr, "schema id"))
			ks_seterr(e2, sizeof(e2), 0, "schema id %d: reference %s", id, errstr),
			        ks_seterr(errstr, errlen, 0, "%s", e2);
		return err;
	}
	if (!(e = calloc(1, sizeof(*e))))
		return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
	if (!(e->root = ks_av_plan_compile(text, texts, ntexts, e2, sizeof(e2)))) {
		free(e);
		return ks_seterr(errstr, errlen, KS_ERR_RECORD, "schema id %d: %s", id, e2);
	}
	e->id = id;
	e->next = ac->buckets[(unsigned)id % NBUCKETS];
	ac->buckets[(unsigned)id % NBUCKETS] = e;
	*out = e->root;
	return KS_OK;
}

static ks_err_t avro_to_connect(ks_converter_t *c, const char *topic, const void *data, size_t len,
                                ks_arena_t *arena, const ks_schema_t **schema, ks_value_t **value,
                                char *errstr, size_t errlen)
{
	avro_conv_t *ac = c->impl;
	const unsigned char *p = data;
	av_node_t *root = NULL;
	ks_value_t *v;
	int id;
	ks_err_t err;

	(void)topic;
	if (len < 5)
		return ks_seterr(
		        errstr, errlen, KS_ERR_RECORD,
		        "Avro payload too short: %zu byte(s), the Confluent header needs 5", len);
	if (p[0] != 0)
		return ks_seterr(errstr, errlen, KS_ERR_RECORD,
		                 "Unknown magic byte 0x%02x at byte 0 (expected 0x00)%s", p[0],
		                 p[0] == 1 ? ": schema GUIDs are not supported" : "");
	id = (int)((uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4]);
	if ((err = get_plan(ac, id, &root, errstr, errlen)))
		return err;
	if (!(v = ks_arena_alloc(arena, sizeof(*v))))
		return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
	if ((err = ks_av_decode(root, id, p + 5, len - 5, 5, arena, v, errstr, errlen)))
		return err;
	*schema = root->schema;
	/* a top-level null (a union's null branch) is a null value, as in Java:
	 * the sink sees it like a tombstone */
	*value = v->is_null ? NULL : v;
	return KS_OK;
}

static void avro_destroy(ks_converter_t *c)
{
	avro_conv_t *ac = c->impl;

	if (!ac)
		return;
	for (int i = 0; i < NBUCKETS; i++) {
		plan_ent_t *e = ac->buckets[i], *n;
		for (; e; e = n) {
			n = e->next;
			ks_av_node_free(e->root);
			free(e);
		}
	}
	ks_registry_destroy(ac->reg);
	free(ac);
}

int ks_avro_converter_init(ks_converter_t *c, const ks_props_t *props, char *errstr, size_t errlen)
{
	avro_conv_t *ac = calloc(1, sizeof(*ac));

	if (!ac)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	if (!(ac->reg = ks_registry_new(props, errstr, errlen))) {
		free(ac);
		return -1;
	}
	c->impl = ac;
	c->to_connect = avro_to_connect;
	c->destroy = avro_destroy;
	return 0;
}

ks_registry_t *ks_avro_converter_registry(ks_converter_t *c)
{
	return c && c->to_connect == avro_to_connect ? ((avro_conv_t *)c->impl)->reg : NULL;
}
