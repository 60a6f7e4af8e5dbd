/*
 * config.c — parse and validate props against definition tables (config.h),
 * typed accessors, and Connect's ConfigInfos / ConfigKeyInfo JSON. Error
 * texts follow Kafka's ConfigDef wording so users see familiar messages.
 */
#include "config.h"

#include "../lib/buf.h"
#include "../lib/log.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
	const ks_cfg_def_t *def;
	char *value; /* effective textual value (given or default); NULL = null */
	int set;     /* given by the user */
	union {
		int64_t l;
		double d;
	} n;
	char **items; /* LIST */
	size_t nitems;
	char **errors;
	size_t nerrors;
} entry_t;

struct ks_config {
	entry_t *entries;
	size_t n;
	ks_props_t *props;
	char *errtext;
};

static const char *type_names[] = {"STRING",  "INT",  "LONG",     "DOUBLE",
                                   "BOOLEAN", "LIST", "PASSWORD", "CLASS"};
static const char *imp_names[] = {"HIGH", "MEDIUM", "LOW"};

const char *ks_cfg_type_name(ks_cfg_type_t t)
{
	return (unsigned)t < KS_ARRAY_SIZE(type_names) ? type_names[t] : "STRING";
}

const char *ks_cfg_importance_name(ks_cfg_importance_t i)
{
	return (unsigned)i < KS_ARRAY_SIZE(imp_names) ? imp_names[i] : "LOW";
}

static int entry_add_error(entry_t *e, const char *msg)
{
	char **p = realloc(e->errors, (e->nerrors + 1) * sizeof(*p));

	if (!p)
		return -1;
	e->errors = p;
	if (!(p[e->nerrors] = strdup(msg)))
		return -1;
	e->nerrors++;
	return 0;
}

static char *trim_dup(const char *s, size_t len)
{
	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return strndup(s, len);
}

static int split_list(entry_t *e)
{
	const char *s = e->value, *comma;

	if (!s || !*s)
		return 0;
	for (;;) {
		char **p;
		comma = strchr(s, ',');
		p = realloc(e->items, (e->nitems + 1) * sizeof(*p));
		if (!p)
			return -1;
		e->items = p;
		if (!(p[e->nitems] = trim_dup(s, comma ? (size_t)(comma - s) : strlen(s))))
			return -1;
		e->nitems++;
		if (!comma)
			break;
		s = comma + 1;
	}
	return 0;
}

static void invalid(entry_t *e, const char *value, const char *why)
{
	char msg[1024];
	/* a URL can carry a password parameter (jdbc:...?password=...) */
	int pw = e->def->type == KS_CFG_PASSWORD || (value && strcasestr(value, "password="));

	snprintf(msg, sizeof(msg), "Invalid value %s for configuration %s: %s",
	         pw ? "[hidden]" : value, e->def->name, why);
	(void)entry_add_error(e, msg);
}

static void fmt_num(char *buf, size_t len, double v)
{
	if (v == floor(v) && fabs(v) < 1e18)
		snprintf(buf, len, "%lld", (long long)v);
	else
		snprintf(buf, len, "%g", v);
}

/* Parses and validates one entry; errors are added to the entry. */
static int parse_entry(entry_t *e)
{
	const ks_cfg_def_t *d = e->def;
	const char *v = e->value;
	char why[512], nb[64];
	double num = 0;
	int numeric = 0;

	if (!v) {
		if (d->required && !e->set) {
			snprintf(
			        why, sizeof(why),
			        "Missing required configuration \"%s\" which has no default value.",
			        d->name);
			return entry_add_error(e, why);
		}
		return 0;
	}
	switch (d->type) {
	case KS_CFG_INT:
	case KS_CFG_LONG: {
		char *end;
		long long l;
		char *t = trim_dup(v, strlen(v));
		if (!t)
			return -1;
		errno = 0;
		l = strtoll(t, &end, 10);
		if (!*t || *end || errno ||
		    (d->type == KS_CFG_INT && (l < INT32_MIN || l > INT32_MAX))) {
			free(t);
			invalid(e, v,
			        d->type == KS_CFG_INT ? "Not a number of type INT"
			                              : "Not a number of type LONG");
			return 0;
		}
		free(t);
		e->n.l = l;
		num = (double)l;
		numeric = 1;
		break;
	}
	case KS_CFG_DOUBLE: {
		char *end;
		double x;
		errno = 0;
		x = strtod(v, &end);
		if (!*v || *end || errno) {
			invalid(e, v, "Not a number of type DOUBLE");
			return 0;
		}
		e->n.d = num = x;
		numeric = 1;
		break;
	}
	case KS_CFG_BOOLEAN: {
		char *t = trim_dup(v, strlen(v));
		if (!t)
			return -1;
		if (ks_strcaseeq(t, "true"))
			e->n.l = 1;
		else if (ks_strcaseeq(t, "false"))
			e->n.l = 0;
		else
			invalid(e, v, "Expected value to be either true or false");
		free(t);
		return 0;
	}
	case KS_CFG_LIST:
		if (split_list(e))
			return -1;
		if (d->non_empty && e->nitems == 0)
			invalid(e, v, "Empty list");
		for (size_t i = 0; d->allowed && i < e->nitems; i++) {
			int ok = 0;
			for (const char *const *a = d->allowed; *a; a++)
				ok |= ks_strcaseeq(*a, e->items[i]);
			if (!ok) {
				snprintf(why, sizeof(why), "Invalid value %s in list", e->items[i]);
				invalid(e, v, why);
				break;
			}
		}
		break;
	default: /* STRING, PASSWORD, CLASS */
		if (d->non_empty && !*v)
			invalid(e, v, "String must be non-empty");
		if (d->allowed && *v) {
			struct ks_buf b = KS_BUF_INIT;
			int ok = 0;
			for (const char *const *a = d->allowed; *a; a++) {
				ok |= ks_strcaseeq(*a, v);
				ks_buf_printf(&b, "%s%s", a == d->allowed ? "" : ", ", *a);
			}
			if (!ok) {
				snprintf(why, sizeof(why),
				         "String must be one of (case insensitive): %s",
				         b.data ? b.data : "");
				invalid(e, v, why);
			}
			ks_buf_free(&b);
		}
		break;
	}
	if (numeric && d->has_min && num < d->min) {
		fmt_num(nb, sizeof(nb), d->min);
		snprintf(why, sizeof(why), "Value must be at least %s", nb);
		invalid(e, v, why);
	} else if (numeric && d->has_max && num > d->max) {
		fmt_num(nb, sizeof(nb), d->max);
		snprintf(why, sizeof(why), "Value must be no more than %s", nb);
		invalid(e, v, why);
	}
	if (d->validate && e->nerrors == 0) {
		why[0] = '\0';
		if (d->validate(d, v, why, sizeof(why)))
			invalid(e, v, why[0] ? why : "invalid value");
	}
	return 0;
}

ks_config_t *ks_config_new(const ks_cfg_def_t *const *defs, const ks_props_t *props)
{
	ks_config_t *cfg = calloc(1, sizeof(*cfg));
	size_t cap = 0;

	if (!cfg)
		return NULL;
	cfg->props = props ? ks_props_dup(props) : ks_props_new();
	if (!cfg->props)
		goto fail;
	for (const ks_cfg_def_t *const *t = defs; t && *t; t++)
		for (const ks_cfg_def_t *d = *t; d->name; d++)
			cap++;
	cfg->entries = calloc(cap ? cap : 1, sizeof(entry_t));
	if (!cfg->entries)
		goto fail;
	for (const ks_cfg_def_t *const *t = defs; t && *t; t++) {
		for (const ks_cfg_def_t *d = *t; d->name; d++) {
			const char *given = ks_props_get(props, d->name);
			entry_t *e;
			int dup = 0;

			for (size_t i = 0; i < cfg->n; i++)
				dup |= !strcmp(cfg->entries[i].def->name, d->name);
			if (dup)
				continue; /* the first table that defines a key wins */
			e = &cfg->entries[cfg->n++];
			e->def = d;
			e->set = given != NULL;
			if (given)
				e->value = strdup(given);
			else if (d->default_value && !d->required)
				e->value = strdup(d->default_value);
			if ((given || (d->default_value && !d->required)) && !e->value)
				goto fail;
			if (parse_entry(e))
				goto fail;
		}
	}
	return cfg;
fail:
	ks_config_destroy(cfg);
	return NULL;
}

void ks_config_destroy(ks_config_t *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n; i++) {
		entry_t *e = &cfg->entries[i];
		free(e->value);
		ks_strv_free(e->items, e->nitems);
		ks_strv_free(e->errors, e->nerrors);
	}
	free(cfg->entries);
	ks_props_destroy(cfg->props);
	free(cfg->errtext);
	free(cfg);
}

static entry_t *find(const ks_config_t *cfg, const char *key)
{
	for (size_t i = 0; i < cfg->n; i++)
		if (!strcmp(cfg->entries[i].def->name, key))
			return &cfg->entries[i];
	KS_ERROR("config", "programming error: configuration key %s is not defined", key);
	return NULL;
}

ks_config_t *ks_config_parse(const ks_cfg_def_t *const *defs, const ks_props_t *props, char *errstr,
                             size_t errlen)
{
	ks_config_t *cfg = ks_config_new(defs, props);

	if (!cfg) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		return NULL;
	}
	if (ks_config_error_count(cfg)) {
		ks_seterr(errstr, errlen, -1, "%s", ks_config_errors_text(cfg));
		ks_config_destroy(cfg);
		return NULL;
	}
	return cfg;
}

size_t ks_config_error_count(const ks_config_t *cfg)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->n; i++)
		n += cfg->entries[i].nerrors ? 1 : 0;
	return n;
}

int ks_config_add_error(ks_config_t *cfg, const char *key, const char *fmt, ...)
{
	entry_t *e = find(cfg, key);
	char msg[1024];
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return entry_add_error(e, msg);
}

const char *ks_config_errors_text(ks_config_t *cfg)
{
	ks_buf_t b = KS_BUF_INIT;

	for (size_t i = 0; i < cfg->n; i++)
		for (size_t j = 0; j < cfg->entries[i].nerrors; j++)
			ks_buf_printf(&b, "%s%s", b.len ? "; " : "", cfg->entries[i].errors[j]);
	free(cfg->errtext);
	cfg->errtext = b.len ? ks_buf_steal(&b) : NULL;
	ks_buf_free(&b);
	return cfg->errtext;
}

const char *ks_config_string(const ks_config_t *cfg, const char *key)
{
	entry_t *e = find(cfg, key);
	return e ? e->value : NULL;
}

int32_t ks_config_int(const ks_config_t *cfg, const char *key)
{
	entry_t *e = find(cfg, key);
	return e && e->value ? (int32_t)e->n.l : 0;
}

int64_t ks_config_long(const ks_config_t *cfg, const char *key)
{
	entry_t *e = find(cfg, key);
	return e && e->value ? e->n.l : 0;
}

double ks_config_double(const ks_config_t *cfg, const char *key)
{
	entry_t *e = find(cfg, key);
	return e && e->value ? e->n.d : 0;
}

int ks_config_bool(const ks_config_t *cfg, const char *key)
{
	entry_t *e = find(cfg, key);
	return e && e->value ? (int)e->n.l : 0;
}

size_t ks_config_list(const ks_config_t *cfg, const char *key, const char *const **items)
{
	entry_t *e = find(cfg, key);

	*items = e ? (const char *const *)e->items : NULL;
	return e ? e->nitems : 0;
}

const ks_props_t *ks_config_props(const ks_config_t *cfg)
{
	return cfg->props;
}

int ks_config_is_set(const ks_config_t *cfg, const char *key)
{
	entry_t *e = find(cfg, key);
	return e ? e->set : 0;
}

int ks_config_is_password(const ks_cfg_def_t *const *defs, const char *key)
{
	for (const ks_cfg_def_t *const *t = defs; t && *t; t++)
		for (const ks_cfg_def_t *d = *t; d->name; d++)
			if (!strcmp(d->name, key))
				return d->type == KS_CFG_PASSWORD;
	return 0;
}

static json_t *def_json(const ks_cfg_def_t *d, int order)
{
	const char *dflt = d->required ? NULL : d->default_value;
	json_t *j = json_object();

	if (!j)
		return NULL;
	json_object_set_new(j, "name", json_string(d->name));
	json_object_set_new(j, "type", json_string(ks_cfg_type_name(d->type)));
	json_object_set_new(j, "required", json_boolean(d->required));
	json_object_set_new(j, "default_value",
	                    dflt ? json_string(d->type == KS_CFG_PASSWORD ? "[hidden]" : dflt)
	                         : json_null());
	json_object_set_new(j, "importance", json_string(ks_cfg_importance_name(d->importance)));
	json_object_set_new(j, "documentation", d->doc ? json_string(d->doc) : json_null());
	json_object_set_new(j, "group", d->group ? json_string(d->group) : json_null());
	json_object_set_new(j, "width", json_string("NONE"));
	json_object_set_new(j, "display_name",
	                    json_string(d->display_name ? d->display_name : d->name));
	json_object_set_new(j, "dependents", json_array());
	json_object_set_new(j, "order", json_integer(order));
	return j;
}

json_t *ks_config_defs_json(const ks_cfg_def_t *const *defs)
{
	json_t *arr = json_array();
	int order = 0;

	if (!arr)
		return NULL;
	for (const ks_cfg_def_t *const *t = defs; t && *t; t++)
		for (const ks_cfg_def_t *d = *t; d->name; d++)
			json_array_append_new(arr, def_json(d, ++order));
	return arr;
}

json_t *ks_config_infos_json(const ks_config_t *cfg, const char *name)
{
	json_t *root = json_object(), *groups = json_array(), *configs = json_array();

	if (!root || !groups || !configs) {
		json_decref(root);
		json_decref(groups);
		json_decref(configs);
		return NULL;
	}
	for (size_t i = 0; i < cfg->n; i++) {
		const entry_t *e = &cfg->entries[i];
		json_t *c = json_object(), *v = json_object(), *errs = json_array(), *rec;
		const char *g = e->def->group;
		int seen = 0;
		size_t k;
		json_t *it;

		if (g) {
			json_array_foreach(groups, k, it) seen |= !strcmp(json_string_value(it), g);
			if (!seen)
				json_array_append_new(groups, json_string(g));
		}
		for (size_t j = 0; j < e->nerrors; j++)
			json_array_append_new(errs, json_string(e->errors[j]));
		rec = json_array();
		for (const char *const *a = e->def->allowed; a && *a; a++)
			json_array_append_new(rec, json_string(*a));
		json_object_set_new(v, "name", json_string(e->def->name));
		json_object_set_new(v, "value",
		                    !e->value                         ? json_null()
		                    : e->def->type == KS_CFG_PASSWORD ? json_string("[hidden]")
		                                                      : json_string(e->value));
		json_object_set_new(v, "recommended_values", rec);
		json_object_set_new(v, "errors", errs);
		json_object_set_new(v, "visible", json_true());
		json_object_set_new(c, "definition", def_json(e->def, (int)i + 1));
		json_object_set_new(c, "value", v);
		json_array_append_new(configs, c);
	}
	json_object_set_new(root, "name", json_string(name ? name : ""));
	json_object_set_new(root, "error_count",
	                    json_integer((json_int_t)ks_config_error_count(cfg)));
	json_object_set_new(root, "groups", groups);
	json_object_set_new(root, "configs", configs);
	return root;
}

int ks_config_from_json(const json_t *obj, ks_props_t *out, char *errstr, size_t errlen)
{
	const char *key;
	json_t *v;
	char num[64];

	if (!json_is_object(obj))
		return ks_seterr(errstr, errlen, -1,
		                 "connector configuration must be a JSON object");
	json_object_foreach((json_t *)obj, key, v)
	{
		const char *text;

		switch (json_typeof(v)) {
		case JSON_STRING:
			if (ks_props_setn(out, key, strlen(key), json_string_value(v),
			                  json_string_length(v)))
				return ks_seterr(errstr, errlen, -1, "out of memory");
			continue;
		case JSON_INTEGER:
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			text = num;
			break;
		case JSON_REAL:
			snprintf(num, sizeof(num), "%.17g", json_real_value(v));
			text = num;
			break;
		case JSON_TRUE:
			text = "true";
			break;
		case JSON_FALSE:
			text = "false";
			break;
		case JSON_NULL:
			continue;
		default:
			return ks_seterr(
			        errstr, errlen, -1,
			        "configuration value of \"%s\" must be a string, number or "
			        "boolean, not an %s",
			        key, json_is_array(v) ? "array" : "object");
		}
		if (ks_props_set(out, key, text))
			return ks_seterr(errstr, errlen, -1, "out of memory");
	}
	return 0;
}
