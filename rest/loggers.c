/*
 * loggers.c — GET /admin/loggers, GET and PUT /admin/loggers/{name}
 * (KIP-495): the log levels of lib/log.c per logger, with the time each
 * was last set (Connect's last_modified). Turned off by an empty
 * admin.listeners (routes.c).
 */
#include "rest_int.h"

#include "../lib/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOGCTX "rest"

/* lib/log.c keeps names shorter than this (Connect's logger names are class
 * names: org.apache.kafka.connect.runtime.distributed.DistributedHerder) */
#define KS_LOGGER_NAME_SIZE 256

/* When each logger's level was last set over REST (ms since the epoch). */
static pthread_mutex_t lm_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char name[KS_LOGGER_NAME_SIZE];
	int64_t ms;
} lm[64];
static int nlm;

static void lm_set(const char *name)
{
	pthread_mutex_lock(&lm_lock);
	int i;
	for (i = 0; i < nlm; i++)
		if (!strcmp(lm[i].name, name))
			break;
	if (i == nlm && nlm < (int)KS_ARRAY_SIZE(lm)) {
		snprintf(lm[i].name, sizeof(lm[i].name), "%s", name);
		nlm++;
	}
	if (i < nlm)
		lm[i].ms = ks_wall_ms();
	pthread_mutex_unlock(&lm_lock);
}

static json_t *lm_get(const char *name)
{
	json_t *v = json_null();
	pthread_mutex_lock(&lm_lock);
	for (int i = 0; i < nlm; i++)
		if (!strcmp(lm[i].name, name))
			v = json_integer(lm[i].ms);
	pthread_mutex_unlock(&lm_lock);
	return v;
}

/* Loggers that exist even without an explicit level (our components). */
static const char *const known_loggers[] = {"worker", "herder", "task",     "rest",      "jdbc",
                                            "avro",   "json",   "registry", "converter", NULL};

struct logger_acc {
	json_t *obj;
};

static void logger_cb(const char *logger, ks_log_level_t lvl, void *opaque)
{
	struct logger_acc *a = opaque;
	json_t *o = json_object();
	json_object_set_new(o, "level", json_string(ks_log_level_name(lvl)));
	json_object_set_new(o, "last_modified", lm_get(logger));
	json_object_set_new(a->obj, logger, o);
}

/* The loggers strictly below namespace ns ("a.b" holds "a.b.c"; root
 * holds every logger), collected by ks_log_foreach. */
struct below_acc {
	const char *ns;
	json_t *list;
};

static void below_cb(const char *logger, ks_log_level_t lvl, void *opaque)
{
	struct below_acc *a = opaque;
	size_t n = strlen(a->ns);
	(void)lvl;
	if (!strcmp(logger, "root") || !strcmp(logger, a->ns))
		return;
	if (!strcmp(a->ns, "root") || (!strncmp(logger, a->ns, n) && logger[n] == '.'))
		json_array_append_new(a->list, json_string(logger));
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
	              json_string_value(*(json_t *const *)b));
}

/* A new array of list's strings, sorted; takes list. */
static json_t *sorted_names(json_t *list)
{
	size_t n = json_array_size(list);
	json_t **v = calloc(n ? n : 1, sizeof(*v)), *out = json_array();

	for (size_t i = 0; v && i < n; i++)
		v[i] = json_array_get(list, i);
	if (v)
		qsort(v, n, sizeof(*v), cmp_json_str);
	for (size_t i = 0; v && i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	json_decref(list);
	return out;
}

static int logger_exists(const char *name)
{
	struct logger_acc a = {json_object()};
	int found;
	ks_log_foreach(logger_cb, &a);
	found = json_object_get(a.obj, name) != NULL;
	json_decref(a.obj);
	for (const char *const *k = known_loggers; !found && *k; k++)
		found = !strcmp(*k, name);
	return found;
}

void ks_rest_loggers(const char *method, const char *name, req_t *rq, resp_t *rs)
{
	char msg[512];

	if (!name) { /* GET /admin/loggers */
		struct logger_acc a = {json_object()};
		ks_log_foreach(logger_cb, &a);
		rs->status = 200;
		rs->json = a.obj;
		return;
	}

	if (!strcmp(method, "GET")) {
		if (!logger_exists(name)) {
			snprintf(msg, sizeof(msg), "Logger %s not found.", name);
			ks_rest_error(rs, 404, msg);
			return;
		}
		rs->status = 200;
		rs->json = json_object();
		json_object_set_new(rs->json, "level",
		                    json_string(ks_log_level_name(ks_log_get_level(name))));
		json_object_set_new(rs->json, "last_modified", lm_get(name));
		return;
	}
	/* PUT */
	json_t *body = ks_rest_body(rq, rs, 1);
	char sbuf[32];
	const char *scope = ks_rest_query(rq, "scope", sbuf, sizeof(sbuf));
	const char *lvl_s;
	int lvl;

	if (!body)
		return;
	lvl_s = json_string_value(json_object_get(body, "level"));
	if (!json_is_object(body) || !lvl_s) {
		ks_rest_error(rs, 400, "Desired 'level' parameter was not specified in request.");
		json_decref(body);
		return;
	}
	lvl = ks_log_level_parse(lvl_s);
	if (lvl < 0 || lvl == KS_LOG_OFF + 1) {
		snprintf(msg, sizeof(msg), "invalid log level '%s'.", lvl_s);
		ks_rest_error(rs, 404, msg);
		json_decref(body);
		return;
	}
	if (strlen(name) >= KS_LOGGER_NAME_SIZE) {
		ks_rest_error(rs, 400, "Logger name too long");
		json_decref(body);
		return;
	}
	if (ks_log_set_level(name, lvl)) {
		ks_rest_error(rs, 500, "Too many loggers with explicit levels");
		json_decref(body);
		return;
	}
	lm_set(name);
	/* as Connect's Loggers.setLevel: the loggers below the namespace that
	 * have a level of their own get it too (all of them for root), and the
	 * answer lists every logger affected, sorted */
	struct below_acc below = {name, json_array()};
	ks_log_foreach(below_cb, &below);
	size_t i;
	json_t *v;
	json_array_foreach(below.list, i, v)
	{
		(void)ks_log_set_level(json_string_value(v), lvl); /* present: no new slot */
		lm_set(json_string_value(v));
	}
	json_array_append_new(below.list, json_string(name));
	KS_INFO(LOGCTX, "log level of %s set to %s (%zu logger(s) below it too)", name,
	        ks_log_level_name(lvl), json_array_size(below.list) - 1);
	json_decref(body);
	if (scope && ks_strcaseeq(scope, "cluster")) {
		json_decref(below.list);
		rs->status = 204;
		return;
	}
	rs->status = 200;
	rs->json = sorted_names(below.list);
}
