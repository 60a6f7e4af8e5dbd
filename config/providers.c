/*
 * providers.c — Kafka's config providers: ${env:NAME} (EnvVarConfigProvider),
 * ${file:/path/file.properties:key} (FileConfigProvider) and
 * ${dir:/path:filename} (DirectoryConfigProvider). Declared in the worker
 * config (config.providers=...), applied to worker and connector values so
 * secrets stay out of connector JSON. A reference to an unknown provider or
 * a missing key is left unchanged, as Kafka's ConfigTransformer does.
 */
#include "config.h"

#include "../lib/buf.h"
#include "../lib/file.h"
#include "../lib/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { PROV_ENV, PROV_FILE, PROV_DIR } prov_kind_t;

typedef struct provider {
	char *name;
	prov_kind_t kind;
} provider_t;

struct ks_providers {
	provider_t *p;
	size_t n;
};

static const struct {
	const char *cls;
	prov_kind_t kind;
} known[] = {
        {"org.apache.kafka.common.config.provider.EnvVarConfigProvider", PROV_ENV},
        {"EnvVarConfigProvider", PROV_ENV},
        {"org.apache.kafka.common.config.provider.FileConfigProvider", PROV_FILE},
        {"FileConfigProvider", PROV_FILE},
        {"org.apache.kafka.common.config.provider.DirectoryConfigProvider", PROV_DIR},
        {"DirectoryConfigProvider", PROV_DIR},
};

void ks_providers_destroy(ks_providers_t *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->p[i].name);
	free(p->p);
	free(p);
}

ks_providers_t *ks_providers_new(const ks_props_t *worker, char *errstr, size_t errlen)
{
	ks_providers_t *ps = calloc(1, sizeof(*ps));
	const ks_cfg_def_t defs[] = {
	        {.name = "config.providers", .type = KS_CFG_LIST, .default_value = ""}, KS_CFG_END};
	const ks_cfg_def_t *tables[] = {defs, NULL};
	ks_config_t *cfg = NULL;
	const char *const *names;
	size_t n;

	if (!ps)
		goto oom;
	cfg = ks_config_new(tables, worker);
	if (!cfg)
		goto oom;
	n = ks_config_list(cfg, "config.providers", &names);
	ps->p = calloc(n ? n : 1, sizeof(provider_t));
	if (!ps->p)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		char key[512];
		const char *cls;
		size_t k;

		if (!*names[i])
			continue;
		snprintf(key, sizeof(key), "config.providers.%s.class", names[i]);
		cls = ks_props_get(worker, key);
		if (!cls) {
			ks_seterr(errstr, errlen, -1, "config provider \"%s\" has no %s", names[i],
			          key);
			goto fail;
		}
		for (k = 0; k < KS_ARRAY_SIZE(known); k++)
			if (!strcmp(known[k].cls, cls))
				break;
		if (k == KS_ARRAY_SIZE(known)) {
			ks_seterr(errstr, errlen, -1,
			          "%s: unsupported config provider class %s (supported: "
			          "EnvVarConfigProvider, FileConfigProvider, "
			          "DirectoryConfigProvider)",
			          key, cls);
			goto fail;
		}
		if (!(ps->p[ps->n].name = strdup(names[i])))
			goto oom;
		ps->p[ps->n++].kind = known[k].kind;
	}
	ks_config_destroy(cfg);
	return ps;
oom:
	ks_seterr(errstr, errlen, -1, "out of memory");
fail:
	ks_config_destroy(cfg);
	ks_providers_destroy(ps);
	return NULL;
}

/* Looks one reference up; returns a malloc'd value or NULL (leave as is). */
static char *lookup(const provider_t *pv, const char *path, const char *key)
{
	char errstr[KS_ERRSTR_SIZE];

	switch (pv->kind) {
	case PROV_ENV: {
		const char *v = getenv(key);
		return v ? strdup(v) : NULL;
	}
	case PROV_FILE: {
		ks_props_t *fp;
		char *v = NULL;
		if (!path)
			return NULL;
		fp = ks_props_new();
		if (fp && ks_properties_load(path, fp, errstr, sizeof(errstr)) == 0)
			v = ks_strdup(ks_props_get(fp, key));
		else
			KS_WARN("config", "config provider %s: %s", pv->name, errstr);
		ks_props_destroy(fp);
		return v;
	}
	case PROV_DIR: {
		char full[4096];
		ks_buf_t b = KS_BUF_INIT;
		if (!path || strstr(key, "..") || strchr(key, '/'))
			return NULL;
		snprintf(full, sizeof(full), "%s/%s", path, key);
		if (ks_file_read(full, &b, NULL, 0)) {
			ks_buf_free(&b);
			return NULL;
		}
		return ks_buf_steal(&b);
	}
	}
	return NULL;
}

/* Resolves every ${provider:[path:]key} in one value. */
static char *resolve_value(const ks_providers_t *ps, const char *v)
{
	ks_buf_t out = KS_BUF_INIT;
	const char *s = v;

	while (*s) {
		const char *open = strstr(s, "${"), *close, *c1, *c2;
		char *prov = NULL, *path = NULL, *key = NULL, *val = NULL;
		const provider_t *pv = NULL;

		if (!open)
			break;
		close = strchr(open + 2, '}');
		c1 = close ? memchr(open + 2, ':', (size_t)(close - open - 2)) : NULL;
		if (!close || !c1) {
			ks_buf_append(&out, s, (size_t)(open + 2 - s));
			s = open + 2;
			continue;
		}
		ks_buf_append(&out, s, (size_t)(open - s));
		c2 = memchr(c1 + 1, ':', (size_t)(close - c1 - 1));
		prov = strndup(open + 2, (size_t)(c1 - open - 2));
		if (c2) {
			path = strndup(c1 + 1, (size_t)(c2 - c1 - 1));
			key = strndup(c2 + 1, (size_t)(close - c2 - 1));
		} else {
			key = strndup(c1 + 1, (size_t)(close - c1 - 1));
		}
		for (size_t i = 0; prov && i < ps->n; i++)
			if (!strcmp(ps->p[i].name, prov))
				pv = &ps->p[i];
		if (pv && key)
			val = lookup(pv, path, key);
		if (val)
			ks_buf_puts(&out, val);
		else
			ks_buf_append(&out, open, (size_t)(close + 1 - open));
		if (pv && !val)
			KS_WARN("config", "config provider %s: no value for %s%s%s", pv->name,
			        path ? path : "", path ? ":" : "", key ? key : "");
		free(prov);
		free(path);
		free(key);
		free(val);
		s = close + 1;
	}
	ks_buf_puts(&out, s);
	return ks_buf_steal(&out);
}

ks_props_t *ks_providers_resolve(const ks_providers_t *ps, const ks_props_t *in)
{
	ks_props_t *out = ks_props_new();

	if (!out)
		return NULL;
	for (size_t i = 0; i < ks_props_count(in); i++) {
		const char *v = ks_props_value(in, i);
		char *r = ps && ps->n && strstr(v, "${") ? resolve_value(ps, v) : strdup(v);
		int err = !r || ks_props_set(out, ks_props_key(in, i), r);
		free(r);
		if (err) {
			ks_props_destroy(out);
			return NULL;
		}
	}
	return out;
}
