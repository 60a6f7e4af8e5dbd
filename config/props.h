/*
 * props.h — an ordered string → string map: what a worker.properties file,
 * a connector JSON "config" object or a REST body turns into before it is
 * checked against a definition table (config.h). Keys and values are owned
 * by the map (copied in, freed by ks_props_destroy).
 */
#ifndef KS_PROPS_H
#define KS_PROPS_H

#include "../lib/ks.h"

#include <stddef.h>

typedef struct ks_props ks_props_t;

ks_props_t *ks_props_new(void);
void ks_props_destroy(ks_props_t *p); /* accepts NULL */
ks_props_t *ks_props_dup(const ks_props_t *p);
/* Sets (or replaces, keeping its position) key. 0 ok, -1 allocation failure. */
int ks_props_set(ks_props_t *p, const char *key, const char *value) KS_WUR;
int ks_props_setn(ks_props_t *p, const char *key, size_t klen, const char *value,
                  size_t vlen) KS_WUR;
/* Borrowed value or NULL. */
const char *ks_props_get(const ks_props_t *p, const char *key);
/* Removes key; 1 when it was present. */
int ks_props_remove(ks_props_t *p, const char *key);
size_t ks_props_count(const ks_props_t *p);
/* i-th entry in insertion order (0 <= i < count). Borrowed. */
const char *ks_props_key(const ks_props_t *p, size_t i);
const char *ks_props_value(const ks_props_t *p, size_t i);
/* New map with the entries whose key starts with prefix, prefix removed. */
ks_props_t *ks_props_subset(const ks_props_t *p, const char *prefix);
/* Copies every entry of src into dst (src wins). 0 ok, -1 allocation. */
int ks_props_merge(ks_props_t *dst, const ks_props_t *src) KS_WUR;

#endif
