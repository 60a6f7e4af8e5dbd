/*
 * validate.c — the validation of a connector config, as Connect's herder
 * runs it before a create or update and for PUT
 * /connector-plugins/{plugin}/config/validate: the common sink keys
 * (connectors/common.c), the connector's own table, the keys its transforms
 * and predicates add, the converters, and the worker's
 * connector.client.config.override.policy. The ConfigInfos answer is built
 * by config/config.c; error messages never show secret values.
 */
#include "herder_int.h"

#include "../schemas/converter.h"
#include "../transforms/transform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Could key hold a secret? PASSWORD keys of any plugin, and names that say
 * so (consumer.override.sasl.jaas.config, a converter's basic.auth.user.info). */
static int secret_key(const char *key)
{
	static const char *const words[] = {"password",    "secret", "jaas.config", "user.info",
	                                    "credentials", "token",  NULL};
	for (const ks_connector_plugin_t *const *p = ks_connector_plugins(); *p; p++) {
		const ks_cfg_def_t *defs[] = {(*p)->config_defs, ks_connector_common_defs, NULL};
		if (ks_config_is_password(defs, key))
			return 1;
	}
	for (int i = 0; words[i]; i++)
		if (strcasestr(key, words[i]))
			return 1;
	return 0;
}

/* props_json for error messages: secret values (and URLs carrying a
 * password parameter) show as [hidden]. */
static json_t *props_json_masked(const ks_props_t *p)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < ks_props_count(p); i++) {
		const char *k = ks_props_key(p, i), *v = ks_props_value(p, i);
		int hide = secret_key(k) || strcasestr(v, "password=");
		json_object_set_new(o, k, json_string(hide ? "[hidden]" : v));
	}
	return o;
}

ks_err_t ks_herder_check_config(ks_herder_t *h, const ks_props_t *config, json_t **infos,
                                char *errstr, size_t errlen)
{
	const char *cls = ks_props_get(config, "connector.class");
	const ks_connector_plugin_t *plugin;
	const ks_cfg_def_t *defs[4];
	ks_transform_defs_t *tdefs;
	ks_props_t *resolved;
	ks_config_t *cfg;
	json_t *ci;
	size_t nerr;

	if (!cls || !*cls) {
		json_t *pj = props_json_masked(config);
		char *txt = json_dumps(pj, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(pj);
		ks_seterr(errstr, errlen, -1, "Connector config %s contains no connector type",
		          txt ? txt : "{}");
		free(txt);
		return KS_ERR_INVALID;
	}
	plugin = ks_connector_find(cls);
	if (!plugin) {
		ks_buf_t b = KS_BUF_INIT;
		for (const ks_connector_plugin_t *const *p = ks_connector_plugins(); *p; p++)
			ks_buf_printf(&b, "%s%s", b.len ? ", " : "", (*p)->class_name);
		ks_seterr(errstr, errlen, -1,
		          "Failed to find any class that implements Connector and which name "
		          "matches %s, available connectors are: %s",
		          cls, b.data ? b.data : "");
		ks_buf_free(&b);
		return KS_ERR_FATAL;
	}
	resolved = ks_providers_resolve(h->wc->providers, config);
	if (!resolved)
		return ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
	/* the keys the declared transforms / predicates add (Connect's enrich) */
	if (!(tdefs = ks_transform_defs_new(resolved))) {
		ks_props_destroy(resolved);
		return ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
	}
	defs[0] = ks_connector_common_defs;
	defs[1] = plugin->config_defs;
	defs[2] = ks_transform_defs_table(tdefs);
	defs[3] = NULL;
	cfg = ks_config_new(defs, resolved);
	ks_props_destroy(resolved);
	if (!cfg) {
		ks_transform_defs_destroy(tdefs);
		return ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
	}
	ks_connector_validate_common(cfg);
	ks_transform_validate(cfg);
	if (plugin->validate)
		plugin->validate(cfg);
	for (int k = 0; k < 2; k++) {
		const char *key = k ? "value.converter" : "key.converter";
		const char *v = ks_config_string(cfg, key);
		if (v && *v && !ks_converter_known(v))
			(void)ks_config_add_error(cfg, key, "Class %s could not be found.", v);
	}
	{
		/* connector.client.config.override.policy: All, None or Principal */
		const char *policy =
		        ks_config_string(h->wc->cfg, "connector.client.config.override.policy");
		for (size_t i = 0; policy && i < ks_props_count(config); i++) {
			const char *k = ks_props_key(config, i);
			if (strncmp(k, "consumer.override.", 18) || ks_strcaseeq(policy, "All"))
				continue;
			if (ks_strcaseeq(policy, "Principal") &&
			    (!strcmp(k + 18, "sasl.jaas.config") ||
			     !strcmp(k + 18, "sasl.mechanism") ||
			     !strcmp(k + 18, "security.protocol")))
				continue;
			(void)ks_config_add_error(cfg, "name",
			                          "The '%s' policy does not allow '%s' to be "
			                          "overridden in the connector configuration.",
			                          policy, k + 18);
		}
	}
	nerr = ks_config_error_count(cfg);
	ci = ks_config_infos_json(cfg, cls);
	ks_config_destroy(cfg);
	ks_transform_defs_destroy(tdefs);
	if (!ci)
		return ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
	if (nerr) {
		ks_buf_t b = KS_BUF_INIT;
		json_t *configs = json_object_get(ci, "configs"), *e;
		size_t i, j, count = 0;
		json_array_foreach(configs, i, e)
		{
			json_t *errs = json_object_get(json_object_get(e, "value"), "errors"), *m;
			json_array_foreach(errs, j, m)
			{
				ks_buf_printf(&b, "\n%s", json_string_value(m));
				count++;
			}
		}
		ks_seterr(errstr, errlen, -1,
		          "Connector configuration is invalid and contains the following %zu "
		          "error(s):%s\nYou can also find the above list of errors at the endpoint "
		          "`/connector-plugins/{connectorType}/config/validate`",
		          count, b.data ? b.data : "");
		ks_buf_free(&b);
	}
	if (infos)
		*infos = ci;
	else
		json_decref(ci);
	return nerr ? KS_ERR_INVALID : KS_OK;
}

ks_err_t ks_herder_validate(ks_herder_t *h, const char *plugin, const ks_props_t *config,
                            json_t **out, char *errstr, size_t errlen)
{
	const char *cls = ks_props_get(config, "connector.class");
	const ks_connector_plugin_t *pp = ks_connector_find(plugin);
	ks_err_t r;

	if (cls && pp && ks_connector_find(cls) != pp)
		return ks_seterr(errstr, errlen, KS_ERR_INVALID,
		                 "Included connector type %s does not match request type %s", cls,
		                 plugin);
	if (cls && !pp && strcmp(cls, plugin))
		return ks_seterr(errstr, errlen, KS_ERR_INVALID,
		                 "Included connector type %s does not match request type %s", cls,
		                 plugin);
	r = ks_herder_check_config(h, config, out, errstr, errlen);
	if (r == KS_ERR_INVALID && *out)
		return KS_OK; /* 200 with error_count > 0 */
	if (r == KS_ERR_INVALID || r == KS_ERR_FATAL) {
		char msg[KS_ERRSTR_SIZE];
		snprintf(msg, sizeof(msg), "%s", errstr);
		ks_seterr(errstr, errlen, -1, "%s: %s",
		          r == KS_ERR_INVALID ? "org.apache.kafka.connect.runtime.rest.errors."
		                                "BadRequestException"
		                              : "org.apache.kafka.connect.errors.ConnectException",
		          msg);
		return KS_ERR_FATAL;
	}
	return r;
}
