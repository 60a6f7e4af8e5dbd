/*
 * views.c — the JSON of the Connect REST API: the shapes Connect 3.9 gives
 * its answers (reference/connect_rest.yaml) built from the herder's typed
 * results (worker/herder.h), and the HTTP status of each ks_err_t. The
 * herder knows nothing of JSON or HTTP; routes.c calls the herder and one
 * of these.
 */
#include "rest_int.h"

#include "../lib/buf.h"
#include "../lib/utf8.h"
#include "../schemas/converter.h"
#include "../transforms/transform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ks_rest_status_of(ks_err_t err, int ok_status)
{
	switch (err) {
	case KS_OK:
		return ok_status;
	case KS_ERR_INVALID:
	case KS_ERR_RECORD:
		return 400;
	case KS_ERR_FORBIDDEN:
		return 403;
	case KS_ERR_NOTFOUND:
		return 404;
	case KS_ERR_EXISTS:
	case KS_ERR_CONFLICT:
		return 409;
	case KS_ERR_RETRIABLE:
	case KS_ERR_FATAL:
	case KS_ERR_FENCED:
		return 500;
	}
	return 500;
}

/* 1 when s is valid UTF-8 (no overlongs, surrogates or code points past
 * U+10FFFF, as jansson requires). */
int ks_view_utf8_valid(const char *s)
{
	size_t n = strlen(s);
	return ks_utf8_valid_prefix(s, n) == n;
}

/* A JSON string of s; bytes that are not UTF-8 (messages can quote a
 * client's input) become U+FFFD. */
static json_t *jstr(const char *s)
{
	ks_buf_t b = KS_BUF_INIT;
	json_t *j;
	char one[5];

	if (ks_view_utf8_valid(s))
		return json_string(s);
	for (const char *p = s; *p;) {
		size_t n = 1;
		while (n < 4 && p[n] && ((unsigned char)p[n] & 0xC0) == 0x80)
			n++;
		memcpy(one, p, n);
		one[n] = '\0';
		if (((unsigned char)*p < 0x80 || n > 1) && ks_view_utf8_valid(one)) {
			ks_buf_append(&b, p, n);
			p += n;
		} else {
			ks_buf_puts(&b, "\xEF\xBF\xBD");
			p++;
		}
	}
	j = json_string(b.data ? b.data : "");
	ks_buf_free(&b);
	return j;
}

json_t *ks_view_error(int status, const char *msg)
{
	json_t *o = json_object();
	json_object_set_new(o, "error_code", json_integer(status));
	json_object_set_new(o, "message", jstr(msg ? msg : ""));
	return o;
}

json_t *ks_view_config(const ks_props_t *p)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < ks_props_count(p); i++)
		json_object_set_new(o, ks_props_key(p, i), json_string(ks_props_value(p, i)));
	return o;
}

/* A connector's (id < 0) or task's state. */
static json_t *state_json(ks_state_t s, const char *trace, int id, const char *worker_id)
{
	json_t *o = json_object();
	if (id >= 0)
		json_object_set_new(o, "id", json_integer(id));
	json_object_set_new(o, "state", json_string(ks_state_name(s)));
	json_object_set_new(o, "worker_id", json_string(worker_id));
	if (trace && *trace)
		json_object_set_new(o, "trace", json_string(trace));
	return o;
}

json_t *ks_view_task_state(const ks_task_status_t *t, const char *worker_id)
{
	return state_json(t->state, t->trace, t->id, worker_id);
}

json_t *ks_view_status(const ks_conn_status_t *s)
{
	json_t *o = json_object(), *tasks = json_array();

	json_object_set_new(o, "name", json_string(s->name));
	json_object_set_new(o, "connector", state_json(s->state, s->trace, -1, s->worker_id));
	for (size_t i = 0; i < s->ntasks; i++)
		json_array_append_new(
		        tasks, ks_view_task_state(&s->tasks[i], s->tasks[i].worker_id
		                                                        ? s->tasks[i].worker_id
		                                                        : s->worker_id));
	json_object_set_new(o, "tasks", tasks);
	json_object_set_new(o, "type", json_string(s->type));
	return o;
}

json_t *ks_view_info(const ks_conn_info_t *i)
{
	json_t *o = json_object(), *tasks = json_array();

	json_object_set_new(o, "name", json_string(i->name));
	json_object_set_new(o, "config", ks_view_config(i->config));
	for (int k = 0; k < i->ntasks; k++) {
		json_t *t = json_object();
		json_object_set_new(t, "connector", json_string(i->name));
		json_object_set_new(t, "task", json_integer(k));
		json_array_append_new(tasks, t);
	}
	json_object_set_new(o, "tasks", tasks);
	json_object_set_new(o, "type", json_string(i->type));
	return o;
}

json_t *ks_view_tasks(const ks_conn_info_t *i, int as_map)
{
	json_t *out = as_map ? json_object() : json_array();

	for (int k = 0; k < i->ntasks; k++) {
		json_t *cfg = ks_view_config(i->config);
		char key[512];
		json_object_set_new(cfg, "task.class", json_string(i->task_class));
		if (as_map) {
			snprintf(key, sizeof(key), "%s-%d", i->name, k);
			json_object_set_new(out, key, cfg);
		} else {
			json_t *t = json_object(), *id = json_object();
			json_object_set_new(id, "connector", json_string(i->name));
			json_object_set_new(id, "task", json_integer(k));
			json_object_set_new(t, "id", id);
			json_object_set_new(t, "config", cfg);
			json_array_append_new(out, t);
		}
	}
	return out;
}

json_t *ks_view_topics(const char *name, char *const *topics, size_t n)
{
	json_t *o = json_object(), *e = json_object(), *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(topics[i]));
	json_object_set_new(e, "topics", arr);
	json_object_set_new(o, name, e);
	return o;
}

json_t *ks_view_offsets(const ks_tp_offset_t *offs, size_t n)
{
	json_t *out = json_object(), *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_object(), *p = json_object(), *o = json_object();
		json_object_set_new(p, "kafka_topic", json_string(offs[i].topic));
		json_object_set_new(p, "kafka_partition", json_integer(offs[i].partition));
		json_object_set_new(o, "kafka_offset", json_integer(offs[i].offset));
		json_object_set_new(e, "partition", p);
		json_object_set_new(e, "offset", o);
		json_array_append_new(arr, e);
	}
	json_object_set_new(out, "offsets", arr);
	return out;
}

json_t *ks_view_offsets_changed(int reset, int external)
{
	json_t *o = json_object();
	json_object_set_new(
	        o, "message",
	        json_string(
	                reset ? (external ? "The offsets for this connector have been reset "
	                                    "successfully"
	                                  : "The Connect framework-managed offsets for this "
	                                    "connector "
	                                    "have been reset successfully. However, if this "
	                                    "connector "
	                                    "manages offsets externally, they will need to be "
	                                    "manually "
	                                    "reset in the system that the connector uses.")
	                      : (external ? "The offsets for this connector have been altered "
	                                    "successfully"
	                                  : "The Connect framework-managed offsets for this "
	                                    "connector have been altered successfully. However, if "
	                                    "this connector manages offsets externally, they will "
	                                    "need to be manually altered in the system that the "
	                                    "connector uses.")));
	return o;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void add_plugins(json_t *arr, const char *type, const char *(*class_at)(size_t))
{
	const char *cls[64];
	size_t n = 0;

	for (const char *c; n < KS_ARRAY_SIZE(cls) && (c = class_at(n));)
		cls[n++] = c;
	qsort(cls, n, sizeof(*cls), cmp_str);
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "class", json_string(cls[i]));
		json_object_set_new(o, "type", json_string(type));
		json_object_set_new(o, "version", json_string(KSINK_CONNECT_VERSION));
		json_array_append_new(arr, o);
	}
}

const char *ks_rest_header_converter_class(size_t i)
{
	/* accepted (header.converter); headers are kept as raw bytes */
	return i ? NULL : "org.apache.kafka.connect.storage.SimpleHeaderConverter";
}

json_t *ks_view_plugins(int connectors_only)
{
	json_t *arr = json_array();

	for (const ks_connector_plugin_t *const *p = ks_connector_plugins(); *p; p++) {
		json_t *o = json_object();
		json_object_set_new(o, "class", json_string((*p)->class_name));
		json_object_set_new(o, "type", json_string((*p)->type ? (*p)->type : "sink"));
		if ((*p)->version && strcmp((*p)->version, "undefined"))
			json_object_set_new(o, "version", json_string((*p)->version));
		json_array_append_new(arr, o);
	}
	if (connectors_only)
		return arr;
	/* the other plugin kinds in Connect's order (Plugins' sorted sets):
	 * converters, header converters, transformations, predicates; the
	 * class tables of schemas/converter.c and transforms/transform.c */
	add_plugins(arr, "converter", ks_converter_class);
	add_plugins(arr, "header_converter", ks_rest_header_converter_class);
	add_plugins(arr, "transformation", ks_transform_class);
	add_plugins(arr, "predicate", ks_predicate_class);
	return arr;
}
