/*
 * registry/store.h — the schema store of build/ksink-registry: schemas by
 * global id, subjects and their versions, the compatibility levels, and their
 * persistence in the --data file. registry/routes.c reads and changes it;
 * tools/registry.c serves it over HTTP.
 */
#ifndef KSINK_TOOLS_REGISTRY_STORE_H
#define KSINK_TOOLS_REGISTRY_STORE_H

#include <pthread.h>
#include <stddef.h>

typedef struct reg_schema {
	int id;
	char *schema; /* compact JSON, key order as first registered */
	char *canon;  /* compact JSON with sorted keys: the identity */
} reg_schema_t;

typedef struct reg_version {
	int version;
	int id;
	int deleted; /* soft-deleted */
} reg_version_t;

typedef struct reg_subject {
	char *name;
	reg_version_t *versions;
	size_t nversions, cap;
	char *compat; /* subject-level compatibility, NULL when unset */
} reg_subject_t;

typedef struct reg_state {
	pthread_mutex_t lock;
	reg_schema_t *schemas;
	size_t nschemas, schemas_cap;
	reg_subject_t *subjects;
	size_t nsubjects, subjects_cap;
	int next_id;
	char compat[32];
	const char *data_path;
} reg_state_t;
/* The one registry, behind reg.lock (callers hold it around every use). */
extern reg_state_t reg;

/* Lookups: NULL when absent. */
reg_schema_t *reg_schema_by_id(int id);
reg_schema_t *reg_schema_by_canon(const char *canon);
reg_subject_t *reg_subject_find(const char *name);
/* Mutations: NULL (or -1) on allocation failure. */
reg_subject_t *reg_subject_add(const char *name);
void reg_subject_remove(reg_subject_t *s);
reg_version_t *reg_version_add(reg_subject_t *s, int version, int id, int deleted);
reg_schema_t *reg_schema_add(int id, const char *schema, const char *canon);
size_t reg_live_versions(const reg_subject_t *s);
reg_version_t *reg_version_latest(reg_subject_t *s, int include_deleted);
reg_version_t *reg_version_find(reg_subject_t *s, int version, int include_deleted);
void reg_state_free(void);

/* Persistence in reg.data_path (no-op when NULL). 0 ok; -1 with errstr. */
int reg_state_save(char *errstr, size_t errlen);
int reg_state_load(char *errstr, size_t errlen);

/* Parses schema_json; two compact renderings (caller frees both): *schema_out
 * keeps the key order, *canon_out sorts the keys (the identity). 0 or -1. */
int reg_canon_of(const char *schema_json, char **schema_out, char **canon_out, char *errstr,
                 size_t errlen);
/* The canonical spelling of a compatibility level, NULL when unknown. */
const char *reg_compat_parse(const char *s);

#endif
