/*
 * registry/store.c — the schema store of build/ksink-registry (store.h): a
 * handful of arrays behind one mutex, rewritten to the --data file (FILE.tmp,
 * then rename) after every mutation so a restart keeps ids and versions.
 */
#include "store.h"

#include "../../lib/grow.h"
#include "../../lib/ks.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

reg_state_t reg = {.lock = PTHREAD_MUTEX_INITIALIZER, .next_id = 1, .compat = "BACKWARD"};

static const char *const compat_levels[] = {
        "NONE", "BACKWARD",        "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE",
        "FULL", "FULL_TRANSITIVE",
};

/* -------------------------------------------------------------------------- */
/* State (callers hold reg.lock) */

reg_schema_t *reg_schema_by_id(int id)
{
	for (size_t i = 0; i < reg.nschemas; i++)
		if (reg.schemas[i].id == id)
			return &reg.schemas[i];
	return NULL;
}

reg_schema_t *reg_schema_by_canon(const char *canon)
{
	for (size_t i = 0; i < reg.nschemas; i++)
		if (!strcmp(reg.schemas[i].canon, canon))
			return &reg.schemas[i];
	return NULL;
}

reg_subject_t *reg_subject_find(const char *name)
{
	for (size_t i = 0; i < reg.nsubjects; i++)
		if (!strcmp(reg.subjects[i].name, name))
			return &reg.subjects[i];
	return NULL;
}

reg_subject_t *reg_subject_add(const char *name)
{
	reg_subject_t *s;

	if (!(s = ks_grow(reg.subjects, &reg.subjects_cap, reg.nsubjects, sizeof(*s), 16)))
		return NULL;
	reg.subjects = s;
	s = &reg.subjects[reg.nsubjects];
	memset(s, 0, sizeof(*s));
	if (!(s->name = ks_strdup(name)))
		return NULL;
	reg.nsubjects++;
	return s;
}

void reg_subject_remove(reg_subject_t *s)
{
	size_t i = (size_t)(s - reg.subjects);

	free(s->name);
	free(s->versions);
	free(s->compat);
	memmove(&reg.subjects[i], &reg.subjects[i + 1], (reg.nsubjects - i - 1) * sizeof(*s));
	reg.nsubjects--;
}

reg_version_t *reg_version_add(reg_subject_t *s, int version, int id, int deleted)
{
	reg_version_t *v = ks_grow(s->versions, &s->cap, s->nversions, sizeof(*v), 4);

	if (!v)
		return NULL;
	s->versions = v;
	s->versions[s->nversions] = (reg_version_t){version, id, deleted};
	return &s->versions[s->nversions++];
}

reg_schema_t *reg_schema_add(int id, const char *schema, const char *canon)
{
	reg_schema_t *sc;

	if (!(sc = ks_grow(reg.schemas, &reg.schemas_cap, reg.nschemas, sizeof(*sc), 16)))
		return NULL;
	reg.schemas = sc;
	sc = &reg.schemas[reg.nschemas];
	sc->id = id;
	sc->schema = ks_strdup(schema);
	sc->canon = ks_strdup(canon);
	if (!sc->schema || !sc->canon) {
		free(sc->schema);
		free(sc->canon);
		return NULL;
	}
	reg.nschemas++;
	if (id >= reg.next_id)
		reg.next_id = id + 1;
	return sc;
}

size_t reg_live_versions(const reg_subject_t *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nversions; i++)
		n += !s->versions[i].deleted;
	return n;
}

/* The newest version (live only unless include_deleted), or NULL. */
reg_version_t *reg_version_latest(reg_subject_t *s, int include_deleted)
{
	for (size_t i = s->nversions; i-- > 0;)
		if (include_deleted || !s->versions[i].deleted)
			return &s->versions[i];
	return NULL;
}

reg_version_t *reg_version_find(reg_subject_t *s, int version, int include_deleted)
{
	for (size_t i = 0; i < s->nversions; i++)
		if (s->versions[i].version == version &&
		    (include_deleted || !s->versions[i].deleted))
			return &s->versions[i];
	return NULL;
}

void reg_state_free(void)
{
	for (size_t i = 0; i < reg.nschemas; i++) {
		free(reg.schemas[i].schema);
		free(reg.schemas[i].canon);
	}
	for (size_t i = 0; i < reg.nsubjects; i++) {
		free(reg.subjects[i].name);
		free(reg.subjects[i].versions);
		free(reg.subjects[i].compat);
	}
	free(reg.schemas);
	free(reg.subjects);
}

/* -------------------------------------------------------------------------- */
/* Persistence: {"next_id":N,"compatibility":"…","schemas":[{"id","schema"}],
 * "subjects":[{"name","compatibility"?,"versions":[{"version","id","deleted"}]}]} */

int reg_state_save(char *errstr, size_t errlen)
{
	json_t *root, *schemas, *subjects;
	char tmp[PATH_MAX];
	int rc = 0;

	if (!reg.data_path)
		return 0;
	root = json_object();
	schemas = json_array();
	subjects = json_array();
	if (!root || !schemas || !subjects) {
		json_decref(root);
		json_decref(schemas);
		json_decref(subjects);
		return ks_seterr(errstr, errlen, -1, "out of memory");
	}
	json_object_set_new(root, "next_id", json_integer(reg.next_id));
	json_object_set_new(root, "compatibility", json_string(reg.compat));
	for (size_t i = 0; i < reg.nschemas; i++)
		json_array_append_new(schemas, json_pack("{s:i,s:s}", "id", reg.schemas[i].id,
		                                         "schema", reg.schemas[i].schema));
	for (size_t i = 0; i < reg.nsubjects; i++) {
		reg_subject_t *s = &reg.subjects[i];
		json_t *vs = json_array(), *o = json_pack("{s:s}", "name", s->name);
		for (size_t j = 0; j < s->nversions; j++)
			json_array_append_new(vs, json_pack("{s:i,s:i,s:b}", "version",
			                                    s->versions[j].version, "id",
			                                    s->versions[j].id, "deleted",
			                                    s->versions[j].deleted));
		if (s->compat)
			json_object_set_new(o, "compatibility", json_string(s->compat));
		json_object_set_new(o, "versions", vs);
		json_array_append_new(subjects, o);
	}
	json_object_set_new(root, "schemas", schemas);
	json_object_set_new(root, "subjects", subjects);
	snprintf(tmp, sizeof(tmp), "%s.tmp", reg.data_path);
	if (json_dump_file(root, tmp, JSON_INDENT(1)) != 0 || rename(tmp, reg.data_path) != 0)
		rc = ks_seterr(errstr, errlen, -1, "cannot write %s: %s", reg.data_path,
		               strerror(errno));
	json_decref(root);
	return rc;
}

int reg_state_load(char *errstr, size_t errlen)
{
	json_error_t jerr;
	json_t *root, *v, *w;
	size_t i, j;

	if (access(reg.data_path, F_OK) != 0)
		return 0; /* first start */
	if (!(root = json_load_file(reg.data_path, 0, &jerr)))
		return ks_seterr(errstr, errlen, -1, "%s: line %d: %s", reg.data_path, jerr.line,
		                 jerr.text);
	json_array_foreach(json_object_get(root, "schemas"), i, v)
	{
		const char *text = json_string_value(json_object_get(v, "schema"));
		char *schema = NULL, *canon = NULL;
		int id = (int)json_integer_value(json_object_get(v, "id"));
		if (!text || id <= 0 || reg_canon_of(text, &schema, &canon, errstr, errlen) != 0) {
			json_decref(root);
			return ks_seterr(errstr, errlen, -1, "%s: bad schema entry %zu",
			                 reg.data_path, i);
		}
		reg_schema_t *sc = reg_schema_add(id, schema, canon);
		free(schema);
		free(canon);
		if (!sc) {
			json_decref(root);
			return ks_seterr(errstr, errlen, -1, "out of memory");
		}
	}
	json_array_foreach(json_object_get(root, "subjects"), i, v)
	{
		const char *name = json_string_value(json_object_get(v, "name"));
		const char *compat = json_string_value(json_object_get(v, "compatibility"));
		reg_subject_t *s;
		if (!name || !(s = reg_subject_add(name))) {
			json_decref(root);
			return ks_seterr(errstr, errlen, -1, "%s: bad subject entry %zu",
			                 reg.data_path, i);
		}
		if (compat && !(s->compat = ks_strdup(compat))) {
			json_decref(root);
			return ks_seterr(errstr, errlen, -1, "out of memory");
		}
		json_array_foreach(json_object_get(v, "versions"), j, w)
		{
			if (!reg_version_add(s,
			                     (int)json_integer_value(json_object_get(w, "version")),
			                     (int)json_integer_value(json_object_get(w, "id")),
			                     json_is_true(json_object_get(w, "deleted")))) {
				json_decref(root);
				return ks_seterr(errstr, errlen, -1, "out of memory");
			}
		}
	}
	if (json_is_integer(json_object_get(root, "next_id")) &&
	    json_integer_value(json_object_get(root, "next_id")) > reg.next_id)
		reg.next_id = (int)json_integer_value(json_object_get(root, "next_id"));
	if (json_is_string(json_object_get(root, "compatibility")))
		snprintf(reg.compat, sizeof(reg.compat), "%s",
		         json_string_value(json_object_get(root, "compatibility")));
	json_decref(root);
	return 0;
}

/* -------------------------------------------------------------------------- */
/* Schemas */

/*
 * reg_canon_of() parses schema_json as JSON and returns two compact renderings
 * (caller frees both): *schema_out keeps the key order (what GET returns),
 * *canon_out sorts the keys (what identity compares).
 */
int reg_canon_of(const char *schema_json, char **schema_out, char **canon_out, char *errstr,
                 size_t errlen)
{
	json_error_t jerr;
	json_t *j = json_loads(schema_json, JSON_DECODE_ANY, &jerr);

	*schema_out = *canon_out = NULL;
	if (!j)
		return ks_seterr(errstr, errlen, -1, "Invalid schema: %s at line %d column %d",
		                 jerr.text, jerr.line, jerr.column);
	*schema_out = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	*canon_out = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
	json_decref(j);
	if (!*schema_out || !*canon_out) {
		free(*schema_out);
		free(*canon_out);
		*schema_out = *canon_out = NULL;
		return ks_seterr(errstr, errlen, -1, "out of memory");
	}
	return 0;
}

const char *reg_compat_parse(const char *s)
{
	for (size_t i = 0; i < KS_ARRAY_SIZE(compat_levels); i++)
		if (s && ks_strcaseeq(s, compat_levels[i]))
			return compat_levels[i];
	return NULL;
}