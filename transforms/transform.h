/*
 * transform.h — Kafka Connect Single Message Transforms (SMTs) over the
 * record model (record.h): the chain a connector config declares with
 *
 *   transforms=a,b
 *   transforms.a.type=org.apache.kafka.connect.transforms.RegexRouter
 *   transforms.a.<key>=...            the transform's own settings
 *   transforms.a.predicate=p          optional: apply only when p matches
 *   transforms.a.negate=true          ... or only when it does not
 *   predicates=p
 *   predicates.p.type=org.apache.kafka.connect.transforms.predicates.RecordIsTombstone
 *   predicates.p.<key>=...
 *
 * Flow: Kafka -> converters -> ks_transform_apply (this) -> connector put.
 * The worker's task builds one chain per task (ks_transform_chain_new) and
 * applies it to every converted record; the herder validates the same keys
 * before a connector is created (ks_transform_defs_new +
 * ks_transform_validate), so a bad transform config is a 400 with per-key
 * errors, as in Connect. An unknown or unsupported class is always an error,
 * never silently ignored.
 *
 * Ownership: a chain owns the schemas its transforms build (one per distinct
 * input schema, cached for the chain's lifetime, so records of a batch can
 * borrow them like they borrow the converters' schemas). Values a transform
 * builds live in the batch arena. Transforms never modify the values they
 * are given in place: they build new ones, sharing unchanged parts.
 *
 * Thread: a chain is used by one task thread; the defs/validate functions
 * are stateless and may run on any thread.
 */
#ifndef KS_TRANSFORM_H
#define KS_TRANSFORM_H

#include "../config/config.h"
#include "../config/props.h"
#include "../lib/arena.h"
#include "../lib/ks.h"
#include "../schemas/record.h"

typedef struct ks_transform_chain ks_transform_chain_t;

/*
 * Builds the chain declared by a connector config (all keys, unprefixed:
 * "transforms", "transforms.a.type", ...). No transforms: an empty chain
 * (ks_transform_apply is then a no-op). NULL with a Connect-like message in
 * errstr on a bad config (unknown class, missing required key, bad regex,
 * undefined predicate alias, ...) or allocation failure.
 */
ks_transform_chain_t *ks_transform_chain_new(const ks_props_t *connector_config, char *errstr,
                                             size_t errlen) KS_WUR;
void ks_transform_chain_destroy(ks_transform_chain_t *c); /* accepts NULL */
/* Number of transforms (0 for an empty chain or NULL). */
size_t ks_transform_chain_size(const ks_transform_chain_t *c);

/*
 * Applies the chain to rec in place (topic, key, value, schemas, headers
 * may change). New values live in arena.
 *   KS_OK            *drop = 1 when a transform filtered the record out
 *   KS_ERR_RECORD    a transform cannot handle this record (ExtractField on
 *                    a missing field, Cast of "abc" to int32, ...):
 *                    *failed_class = that transform's class name (static),
 *                    errstr the reason; rec is restored as it was consumed
 *   KS_ERR_FATAL     allocation failure
 * When the chain is not empty, rec->src is set to a copy (arena) of the
 * record as consumed, so the dead letter queue can name the original topic
 * and headers after a RegexRouter / header transform.
 */
ks_err_t ks_transform_apply(ks_transform_chain_t *c, ks_record_t *rec, ks_arena_t *arena, int *drop,
                            const char **failed_class, char *errstr, size_t errlen) KS_WUR;

/*
 * Validation (Connect's ConnectorConfig.enrich): the config keys the declared
 * transforms and predicates add — transforms.<alias>.type / .predicate /
 * .negate and the transform's own keys, predicates.<alias>.type and the
 * predicate's keys — as a definition table for ks_config_new(), so the
 * ConfigInfos of the validate endpoint list them with their errors.
 */
typedef struct ks_transform_defs ks_transform_defs_t;
ks_transform_defs_t *ks_transform_defs_new(const ks_props_t *connector_config) KS_WUR;
/* KS_CFG_END-terminated table, valid until ks_transform_defs_destroy(). */
const ks_cfg_def_t *ks_transform_defs_table(const ks_transform_defs_t *d);
void ks_transform_defs_destroy(ks_transform_defs_t *d); /* accepts NULL */

/*
 * Cross-key checks after the per-key ones: duplicate aliases, undefined
 * predicate aliases and each transform's own checks (regex compiles, cast
 * spec parses, ...), added to cfg as errors on the transforms.<alias>.<key>
 * (or "transforms" / "predicates") keys. cfg must have been built with the
 * table from ks_transform_defs_new() for the same props.
 */
void ks_transform_validate(ks_config_t *cfg);

/* 1 when class_name is a transform (or predicate) class ksink implements. */
int ks_transform_known(const char *class_name);
int ks_predicate_known(const char *class_name);

/* The i-th transform / predicate class (full Connect class names, for the
 * plugin listing); NULL past the end. */
const char *ks_transform_class(size_t i);
const char *ks_predicate_class(size_t i);
/* A class's own keys (unprefixed, KS_CFG_END-terminated, static) for
 * GET /connector-plugins/{plugin}/config; NULL for an unknown class. */
const ks_cfg_def_t *ks_transform_config_defs(const char *class_name);
const ks_cfg_def_t *ks_predicate_config_defs(const char *class_name);

#endif
