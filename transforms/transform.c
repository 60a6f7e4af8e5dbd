/*
 * transform.c — the transform chain: which classes exist, how the
 * transforms / predicates keys of a connector config become a chain
 * (ks_transform_chain_new), how the chain runs over a record
 * (ks_transform_apply), and the same keys as config definitions and checks
 * for the validate endpoint (ks_transform_defs_new, ks_transform_validate).
 * The transforms themselves live in transform_*.c (see transform_impl.h).
 *
 * Building a chain and validating share one walk over the aliases
 * (build()), which reports each problem with the key it belongs to; the
 * chain keeps the first, validation adds them all to the ConfigInfos.
 */
#include "transform_impl.h"

#include "../lib/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const ks_tf_class_t *const tf_classes[] = {
        &ks_tf_regex_router,
        &ks_tf_timestamp_router,
        &ks_tf_value_to_key,
        &ks_tf_extract_field_key,
        &ks_tf_extract_field_value,
        &ks_tf_replace_field_key,
        &ks_tf_replace_field_value,
        &ks_tf_insert_field_key,
        &ks_tf_insert_field_value,
        &ks_tf_cast_key,
        &ks_tf_cast_value,
        &ks_tf_ts_converter_key,
        &ks_tf_ts_converter_value,
        &ks_tf_flatten_key,
        &ks_tf_flatten_value,
        &ks_tf_hoist_field_key,
        &ks_tf_hoist_field_value,
        &ks_tf_mask_field_key,
        &ks_tf_mask_field_value,
        &ks_tf_set_schema_key,
        &ks_tf_set_schema_value,
        &ks_tf_filter,
        &ks_tf_drop_headers,
        &ks_tf_insert_header,
        &ks_tf_header_from_key,
        &ks_tf_header_from_value,
        &ks_tf_extract_new_record_state,
        &ks_tf_script,
        &ks_tf_script_alias,
};

static const ks_pred_class_t *const pred_classes[] = {
        &ks_pred_topic_name_matches,
        &ks_pred_has_header_key,
        &ks_pred_record_is_tombstone,
};

static const ks_tf_class_t *tf_find(const char *name)
{
	for (size_t i = 0; name && i < KS_ARRAY_SIZE(tf_classes); i++)
		if (!strcmp(tf_classes[i]->name, name))
			return tf_classes[i];
	return NULL;
}

static const ks_pred_class_t *pred_find(const char *name)
{
	for (size_t i = 0; name && i < KS_ARRAY_SIZE(pred_classes); i++)
		if (!strcmp(pred_classes[i]->name, name))
			return pred_classes[i];
	return NULL;
}

int ks_transform_known(const char *class_name)
{
	const ks_tf_class_t *c = tf_find(class_name);
	return c && !c->unsupported;
}

int ks_predicate_known(const char *class_name)
{
	return pred_find(class_name) != NULL;
}

/* The listing of GET /connector-plugins?connectorsOnly=false: full class
 * names only (not the short Script alias) and none that ksink refuses. */
const char *ks_transform_class(size_t i)
{
	for (size_t k = 0; k < KS_ARRAY_SIZE(tf_classes); k++) {
		const ks_tf_class_t *c = tf_classes[k];
		if (c->unsupported || !strchr(c->name, '.'))
			continue;
		if (!i--)
			return c->name;
	}
	return NULL;
}

const char *ks_predicate_class(size_t i)
{
	return i < KS_ARRAY_SIZE(pred_classes) ? pred_classes[i]->name : NULL;
}

const ks_cfg_def_t *ks_transform_config_defs(const char *class_name)
{
	const ks_tf_class_t *c = tf_find(class_name);
	return c && !c->unsupported ? c->defs : NULL;
}

const ks_cfg_def_t *ks_predicate_config_defs(const char *class_name)
{
	const ks_pred_class_t *c = pred_find(class_name);
	return c ? c->defs : NULL;
}

/* ---------------- the chain ---------------- */

struct ks_transform_chain {
	ks_tf_t **tfs;
	size_t n;
	ks_pred_t **preds;
	size_t npreds;
};

static void tf_free(ks_tf_t *tf)
{
	if (!tf)
		return;
	if (tf->cls && tf->cls->destroy && tf->state)
		tf->cls->destroy(tf);
	ks_tf_cache_clear(&tf->cache);
	free(tf->alias);
	free(tf);
}

static void pred_free(ks_pred_t *p)
{
	if (!p)
		return;
	if (p->cls && p->cls->destroy && p->state)
		p->cls->destroy(p);
	free(p->alias);
	free(p);
}

void ks_transform_chain_destroy(ks_transform_chain_t *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		tf_free(c->tfs[i]);
	free(c->tfs);
	for (size_t i = 0; i < c->npreds; i++)
		pred_free(c->preds[i]);
	free(c->preds);
	free(c);
}

size_t ks_transform_chain_size(const ks_transform_chain_t *c)
{
	return c ? c->n : 0;
}

ks_err_t ks_transform_apply(ks_transform_chain_t *c, ks_record_t *rec, ks_arena_t *arena, int *drop,
                            const char **failed_class, char *errstr, size_t errlen)
{
	ks_record_t saved;
	ks_record_t *src;

	*drop = 0;
	*failed_class = NULL;
	if (!c || !c->n)
		return KS_OK;
	saved = *rec;
	if (!rec->src) {
		if (!(src = ks_arena_alloc(arena, sizeof(*src))))
			return ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
		*src = *rec;
		rec->src = src;
	}
	for (size_t i = 0; i < c->n; i++) {
		ks_tf_t *tf = c->tfs[i];
		ks_err_t err;
		int d = 0;

		/* Connect: apply when there is no predicate or test != negate */
		if (tf->pred && tf->pred->cls->test(tf->pred, rec) == tf->negate)
			continue;
		errstr[0] = '\0';
		err = tf->cls->apply
		              ? tf->cls->apply(tf, rec, arena, &d, errstr, errlen)
		              : ks_tf_apply_struct(tf, tf->cls->ops, rec, arena, errstr, errlen);
		if (err != KS_OK) {
			*rec = saved;
			*failed_class = tf->cls->name;
			return err;
		}
		if (d) {
			*drop = 1;
			return KS_OK;
		}
	}
	return KS_OK;
}

/* ---------------- building: one walk for the chain and for validation ---------------- */

/* Where build() sends problems: the chain keeps the first one, validation
 * adds each to its key. */
typedef struct reporter {
	void (*report)(struct reporter *r, const char *key, const char *msg);
	/* validation: per-key errors were already added by ks_config_new */
	int validating;
	int count;
	char *errstr;
	size_t errlen;
	ks_config_t *cfg;
} reporter_t;

static void report(reporter_t *r, const char *key, const char *fmt, ...) KS_PRINTF(3, 4);
static void report(reporter_t *r, const char *key, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->count++;
	r->report(r, key, msg);
}

static void chain_report(reporter_t *r, const char *key, const char *msg)
{
	(void)key;
	if (r->count == 1)
		snprintf(r->errstr, r->errlen, "%s", msg);
}

static void validate_report(reporter_t *r, const char *key, const char *msg)
{
	(void)ks_config_add_error(r->cfg, key, "%s", msg);
}

/* The comma-separated aliases of a LIST value (trimmed; empty entries kept
 * as "" so they are reported). Caller frees with ks_strv_free. */
static char **list_split(const char *v, size_t *n)
{
	char **items = NULL;
	size_t cnt = 0;

	*n = 0;
	if (!v)
		return NULL;
	while (*v == ' ' || *v == '\t')
		v++;
	if (!*v)
		return NULL;
	for (;;) {
		const char *e = strchr(v, ',');
		size_t len = e ? (size_t)(e - v) : strlen(v);
		const char *s = v;
		char **ni;
		while (len && (*s == ' ' || *s == '\t'))
			s++, len--;
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (!(ni = realloc(items, (cnt + 1) * sizeof(*ni))))
			goto oom;
		items = ni;
		if (!(items[cnt] = ks_strndup(s, len)))
			goto oom;
		cnt++;
		if (!e)
			break;
		v = e + 1;
	}
	*n = cnt;
	return items;
oom:
	ks_strv_free(items, cnt);
	*n = (size_t)-1;
	return NULL;
}

/* One alias' keys with their full names ("transforms.a.regex"), for
 * ks_config_new: strings owned here, docs borrowed from the static tables. */
typedef struct defs_builder {
	ks_cfg_def_t *defs;
	size_t n, cap;
	char **strs;
	size_t nstrs, capstrs;
	int oom;
} defs_builder_t;

static char *db_str(defs_builder_t *b, const char *fmt, ...) KS_PRINTF(2, 3);
static char *db_str(defs_builder_t *b, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (b->oom)
		return NULL;
	if (b->nstrs == b->capstrs) {
		size_t cap = b->capstrs ? b->capstrs * 2 : 16;
		char **n = realloc(b->strs, cap * sizeof(*n));
		if (!n) {
			b->oom = 1;
			return NULL;
		}
		b->strs = n;
		b->capstrs = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s) {
		b->oom = 1;
		return NULL;
	}
	b->strs[b->nstrs++] = s;
	return s;
}

static void db_add(defs_builder_t *b, const ks_cfg_def_t *d)
{
	if (b->oom)
		return;
	if (b->n + 1 >= b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		ks_cfg_def_t *n = realloc(b->defs, cap * sizeof(*n));
		if (!n) {
			b->oom = 1;
			return;
		}
		b->defs = n;
		b->cap = cap;
	}
	b->defs[b->n++] = *d;
	memset(&b->defs[b->n], 0, sizeof(b->defs[b->n])); /* KS_CFG_END */
}

static void db_free(defs_builder_t *b)
{
	ks_strv_free(b->strs, b->nstrs);
	free(b->defs);
	memset(b, 0, sizeof(*b));
}

static int valid_tf_class(const ks_cfg_def_t *def, const char *v, char *errstr, size_t errlen)
{
	const ks_tf_class_t *c = tf_find(v);
	(void)def;
	if (!c)
		return ks_seterr(errstr, errlen, -1, "Class %s could not be found.", v);
	if (c->unsupported)
		return ks_seterr(errstr, errlen, -1, "%s is not supported by ksink: %s", v,
		                 c->unsupported);
	return 0;
}

static int valid_pred_class(const ks_cfg_def_t *def, const char *v, char *errstr, size_t errlen)
{
	(void)def;
	if (!pred_find(v))
		return ks_seterr(errstr, errlen, -1, "Class %s could not be found.", v);
	return 0;
}

/* Adds the keys of one transform (pred = 0) or predicate alias. */
static void db_alias(defs_builder_t *b, int pred, const char *alias, const ks_props_t *props)
{
	const char *prefix = pred ? "predicates" : "transforms";
	const char *group = db_str(b, "%s: %s", pred ? "Predicates" : "Transforms", alias);
	char key[600];
	const char *cls;
	const ks_cfg_def_t *own = NULL;
	ks_cfg_def_t d;

	snprintf(key, sizeof(key), "%s.%s.type", prefix, alias);
	cls = ks_props_get(props, key);
	memset(&d, 0, sizeof(d));
	d.name = db_str(b, "%s", key);
	d.type = KS_CFG_CLASS;
	d.required = 1;
	d.validate = pred ? valid_pred_class : valid_tf_class;
	d.importance = KS_IMP_HIGH;
	d.group = group;
	d.display_name = pred ? "Predicate class" : "Transformation type";
	d.doc = db_str(b, "Class for the '%s' %s.", alias, pred ? "predicate" : "transformation");
	db_add(b, &d);
	if (!pred) {
		memset(&d, 0, sizeof(d));
		d.name = db_str(b, "transforms.%s.predicate", alias);
		d.type = KS_CFG_STRING;
		d.importance = KS_IMP_MEDIUM;
		d.group = group;
		d.display_name = "Predicate";
		d.doc = "The alias of a predicate used to determine whether to apply this "
		        "transformation.";
		db_add(b, &d);
		memset(&d, 0, sizeof(d));
		d.name = db_str(b, "transforms.%s.negate", alias);
		d.type = KS_CFG_BOOLEAN;
		d.default_value = "false";
		d.importance = KS_IMP_MEDIUM;
		d.group = group;
		d.display_name = "Negate";
		d.doc = "Whether the configured predicate should be negated.";
		db_add(b, &d);
		if (tf_find(cls) && !tf_find(cls)->unsupported)
			own = tf_find(cls)->defs;
	} else if (pred_find(cls)) {
		own = pred_find(cls)->defs;
	}
	for (const ks_cfg_def_t *o = own; o && o->name; o++) {
		d = *o;
		d.name = db_str(b, "%s.%s.%s", prefix, alias, o->name);
		d.group = group;
		db_add(b, &d);
	}
}

/* Parses one alias' settings (unprefixed) against its class table. */
static ks_config_t *alias_config(const ks_props_t *props, const char *prefix, const char *alias,
                                 const ks_cfg_def_t *defs)
{
	char pfx[600];
	ks_props_t *sub;
	ks_config_t *cfg;
	const ks_cfg_def_t *tables[] = {defs, NULL};

	snprintf(pfx, sizeof(pfx), "%s.%s.", prefix, alias);
	if (!(sub = ks_props_subset(props, pfx)))
		return NULL;
	cfg = ks_config_new(tables, sub);
	ks_props_destroy(sub);
	return cfg;
}

/* Reports an empty or repeated alias at position i of its list ("transforms"
 * or "predicates"). 1 when the alias can be used. */
static int alias_usable(reporter_t *r, const char *list, char **aliases, size_t i)
{
	int dup = 0;

	for (size_t j = 0; j < i; j++)
		dup |= !strcmp(aliases[j], aliases[i]);
	if (*aliases[i] && !dup)
		return 1;
	report(r, list, "%s", !*aliases[i] ? "Empty alias provided." : "Duplicate alias provided.");
	return 0;
}

/*
 * Checks alias i of its list (predicates when is_pred, else transforms): a
 * usable alias (alias_usable) whose own keys (type; for a transform also
 * predicate and negate) parse against the table db_alias builds into *b.
 * 0 with *out (destroy it before db_free(b)) and *cls the class name (from
 * props), 1 when it is not (reported; *b freed), -1 on allocation failure
 * (*b freed).
 */
static int alias_common(reporter_t *r, const ks_props_t *props, int is_pred, char **aliases,
                        size_t i, defs_builder_t *b, ks_config_t **out, const char **cls)
{
	const char *list = is_pred ? "predicates" : "transforms", *alias = aliases[i];
	const ks_cfg_def_t *tables[2] = {NULL, NULL};
	char key[600];

	if (!alias_usable(r, list, aliases, i))
		return 1;
	snprintf(key, sizeof(key), "%s.%s.type", list, alias);
	*cls = ks_props_get(props, key);
	db_alias(b, is_pred, alias, props);
	tables[0] = b->defs;
	if (b->oom || !(*out = ks_config_new(tables, props))) {
		db_free(b);
		return -1;
	}
	if (ks_config_error_count(*out)) {
		if (!r->validating)
			report(r, key, "%s", ks_config_errors_text(*out));
		ks_config_destroy(*out);
		db_free(b);
		return 1;
	}
	return 0;
}

/* 1 when the class has replace.null.with.default (RNWD_DEF). */
static int has_rnwd(const ks_tf_class_t *tc)
{
	for (const ks_cfg_def_t *d = tc->defs; d && d->name; d++)
		if (!strcmp(d->name, "replace.null.with.default"))
			return 1;
	return 0;
}

/* Reports a class's init failure (why) under <list>.<alias>.<bad>, or
 * .type when init named no key. */
static void report_init(reporter_t *r, const char *list, const char *alias, const ks_config_t *cfg,
                        const char *bad, const char *why)
{
	const char *val = bad ? ks_config_string(cfg, bad) : NULL;
	char bk[600];

	snprintf(bk, sizeof(bk), "%s.%s.%s", list, alias, bad ? bad : "type");
	if (bad)
		report(r, bk, "Invalid value %s for configuration %s: %s", val ? val : "null", bk,
		       why);
	else
		report(r, bk, "%s", why);
}

/*
 * The walk. chain may be NULL (validation only). Returns 0, or -1 on
 * allocation failure; problems go to r (r->count).
 */
static int build(const ks_props_t *props, reporter_t *r, ks_transform_chain_t *chain)
{
	size_t ntf = 0, npred = 0;
	char **tfs = list_split(ks_props_get(props, "transforms"), &ntf);
	char **preds = NULL;
	int rc = -1;

	if (ntf == (size_t)-1)
		return -1;
	preds = list_split(ks_props_get(props, "predicates"), &npred);
	if (npred == (size_t)-1) {
		ks_strv_free(tfs, ntf);
		return -1;
	}
	if (chain && ntf && !(chain->tfs = calloc(ntf, sizeof(*chain->tfs))))
		goto out;
	if (chain && npred && !(chain->preds = calloc(npred, sizeof(*chain->preds))))
		goto out;

	/* predicates first: transforms refer to them */
	for (size_t i = 0; i < npred; i++) {
		const char *alias = preds[i], *cls;
		const ks_pred_class_t *pc;
		defs_builder_t b = {0};
		ks_config_t *cfgp, *cfg;
		int crc;

		if ((crc = alias_common(r, props, 1, preds, i, &b, &cfgp, &cls)) < 0)
			goto out;
		if (crc)
			continue;
		pc = pred_find(cls);
		ks_config_destroy(cfgp);
		db_free(&b);
		if (!(cfg = alias_config(props, "predicates", alias, pc->defs)))
			goto out;
		{
			ks_pred_t *p = calloc(1, sizeof(*p));
			const char *bad = NULL;
			char why[KS_ERRSTR_SIZE] = "";
			if (!p || !(p->alias = ks_strdup(alias))) {
				free(p);
				ks_config_destroy(cfg);
				goto out;
			}
			p->cls = pc;
			if (pc->init && pc->init(p, cfg, &bad, why, sizeof(why))) {
				report_init(r, "predicates", alias, cfg, bad, why);
				pred_free(p);
			} else if (chain) {
				chain->preds[chain->npreds++] = p;
			} else {
				pred_free(p);
			}
		}
		ks_config_destroy(cfg);
	}

	for (size_t i = 0; i < ntf; i++) {
		const char *alias = tfs[i], *cls;
		char pkey[600], nkey[600];
		const ks_tf_class_t *tc;
		defs_builder_t b = {0};
		ks_config_t *cfgp, *cfg;
		const char *palias;
		int crc, negate, has_pred;
		ks_pred_t *pred = NULL;

		if ((crc = alias_common(r, props, 0, tfs, i, &b, &cfgp, &cls)) < 0)
			goto out;
		if (crc)
			continue;
		tc = tf_find(cls);
		snprintf(pkey, sizeof(pkey), "transforms.%s.predicate", alias);
		snprintf(nkey, sizeof(nkey), "transforms.%s.negate", alias);
		palias = ks_config_string(cfgp, pkey);
		negate = ks_config_bool(cfgp, nkey);
		has_pred = palias && *palias;
		if (has_pred) {
			int defined = 0;
			for (size_t j = 0; j < npred; j++)
				defined |= !strcmp(preds[j], palias);
			if (!defined) {
				report(r, pkey,
				       "Invalid value %s for configuration %s: The predicate '%s' "
				       "referenced by transformation '%s' is not defined in "
				       "'predicates'",
				       palias, pkey, palias, alias);
				ks_config_destroy(cfgp);
				db_free(&b);
				continue;
			}
			for (size_t j = 0; chain && j < chain->npreds; j++)
				if (!strcmp(chain->preds[j]->alias, palias))
					pred = chain->preds[j];
		}
		ks_config_destroy(cfgp);
		db_free(&b);
		if (!(cfg = alias_config(props, "transforms", alias, tc->defs)))
			goto out;
		{
			ks_tf_t *tf = calloc(1, sizeof(*tf));
			const char *bad = NULL;
			char why[KS_ERRSTR_SIZE] = "";
			if (!tf || !(tf->alias = ks_strdup(alias))) {
				free(tf);
				ks_config_destroy(cfg);
				goto out;
			}
			tf->cls = tc;
			tf->key = tc->key;
			tf->pred = pred;
			tf->negate = negate;
			tf->rnwd = has_rnwd(tc) && ks_config_bool(cfg, "replace.null.with.default");
			if (tc->init && tc->init(tf, cfg, &bad, why, sizeof(why))) {
				report_init(r, "transforms", alias, cfg, bad, why);
				tf_free(tf);
			} else if (chain && (!has_pred || pred)) {
				chain->tfs[chain->n++] = tf;
			} else {
				tf_free(tf);
			}
		}
		ks_config_destroy(cfg);
	}
	rc = 0;
out:
	ks_strv_free(tfs, ntf);
	ks_strv_free(preds, npred);
	return rc;
}

ks_transform_chain_t *ks_transform_chain_new(const ks_props_t *config, char *errstr, size_t errlen)
{
	ks_transform_chain_t *c = calloc(1, sizeof(*c));
	reporter_t r = {.report = chain_report, .errstr = errstr, .errlen = errlen};

	if (!c) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		return NULL;
	}
	errstr[0] = '\0';
	if (build(config, &r, c)) {
		ks_transform_chain_destroy(c);
		ks_seterr(errstr, errlen, -1, "out of memory building the transforms");
		return NULL;
	}
	if (r.count) {
		ks_transform_chain_destroy(c);
		return NULL;
	}
	return c;
}

/* ---------------- validation ---------------- */

struct ks_transform_defs {
	defs_builder_t b;
};

ks_transform_defs_t *ks_transform_defs_new(const ks_props_t *config)
{
	ks_transform_defs_t *d = calloc(1, sizeof(*d));
	size_t ntf = 0, npred = 0;
	char **tfs, **preds;

	if (!d)
		return NULL;
	tfs = list_split(ks_props_get(config, "transforms"), &ntf);
	preds = list_split(ks_props_get(config, "predicates"), &npred);
	if (ntf == (size_t)-1 || npred == (size_t)-1)
		d->b.oom = 1;
	for (size_t i = 0; !d->b.oom && i < ntf; i++) {
		int dup = 0;
		for (size_t j = 0; j < i; j++)
			dup |= !strcmp(tfs[j], tfs[i]);
		if (*tfs[i] && !dup)
			db_alias(&d->b, 0, tfs[i], config);
	}
	for (size_t i = 0; !d->b.oom && i < npred; i++) {
		int dup = 0;
		for (size_t j = 0; j < i; j++)
			dup |= !strcmp(preds[j], preds[i]);
		if (*preds[i] && !dup)
			db_alias(&d->b, 1, preds[i], config);
	}
	if (ntf != (size_t)-1)
		ks_strv_free(tfs, ntf);
	if (npred != (size_t)-1)
		ks_strv_free(preds, npred);
	if (!d->b.oom && !d->b.defs) {
		ks_cfg_def_t end;
		memset(&end, 0, sizeof(end));
		if (!(d->b.defs = calloc(1, sizeof(end))))
			d->b.oom = 1;
	}
	if (d->b.oom) {
		ks_transform_defs_destroy(d);
		return NULL;
	}
	return d;
}

const ks_cfg_def_t *ks_transform_defs_table(const ks_transform_defs_t *d)
{
	return d->b.defs;
}

void ks_transform_defs_destroy(ks_transform_defs_t *d)
{
	if (!d)
		return;
	db_free(&d->b);
	free(d);
}

void ks_transform_validate(ks_config_t *cfg)
{
	reporter_t r = {.report = validate_report, .validating = 1, .cfg = cfg};

	if (build(ks_config_props(cfg), &r, NULL))
		(void)ks_config_add_error(cfg, "transforms", "out of memory validating transforms");
}
