/*
 * memory_sink.c — io.ksink.test.MemorySink, a tiny connector for tests of
 * the worker and the REST API that must not depend on Postgres. It is not
 * part of the shipped worker: it is linked only into the test programs and
 * into build/ksink-test (worker/main.c + this file + libksink.a), and
 * registers itself in the plugin registry (ks_connector_register) when the
 * program starts. It keeps
 * staged records in memory and, on commit, appends one line per record to
 * the file named by `file` (if set):
 *
 *   <topic>\t<partition>\t<offset>\t<key>\t<value>\t<task>\n
 *
 * Fault knobs for tests:
 *   fail.value=S       a record whose string value is S fails alone (goes
 *                      to the errant-record reporter; the rest commits)
 *   retriable.file=F   while file F exists, commit returns KS_ERR_RETRIABLE
 *   fail.start=true    task_new fails (a task FAILED at start)
 *   times=true         two more columns: the record's Kafka timestamp and
 *                      the wall clock of the commit (ms; tests of
 *                      ksink.apply.delay.ms)
 *   overlap=false      commit() only; by default the commit is split
 *                      (commit_send / commit_wait, connector.h): the send
 *                      only records that it is in flight, the wait does
 *                      the whole commit, and commit_ready answers 1 only
 *                      OVERLAP_MS after the send, so the worker's overlap
 *                      path runs in every test of this sink
 * Offsets are not stored: open() answers -1, so tasks resume from the
 * consumer group's committed offsets.
 */
#include "../../connectors/connector.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Tasks are threads of one process and may share `file`: appends are
 * serialised so that lines of two tasks never interleave. */
static pthread_mutex_t file_lock = PTHREAD_MUTEX_INITIALIZER;

static const ks_cfg_def_t memory_defs[] = {
        {.name = "file",
         .type = KS_CFG_STRING,
         .importance = KS_IMP_HIGH,
         .group = "Memory",
         .doc = "File that committed records are appended to (one line each)."},
        {.name = "fail.value",
         .type = KS_CFG_STRING,
         .importance = KS_IMP_LOW,
         .group = "Memory",
         .doc = "A record with this string value fails with a record-level error."},
        {.name = "retriable.file",
         .type = KS_CFG_STRING,
         .importance = KS_IMP_LOW,
         .group = "Memory",
         .doc = "While this file exists, commits fail with a retriable error."},
        {.name = "fail.start",
         .type = KS_CFG_BOOLEAN,
         .default_value = "false",
         .importance = KS_IMP_LOW,
         .group = "Memory",
         .doc = "Fail the task at start (tests)."},
        {.name = "overlap",
         .type = KS_CFG_BOOLEAN,
         .default_value = "true",
         .importance = KS_IMP_LOW,
         .group = "Memory",
         .doc = "Split commits (commit_send / commit_wait) so the worker overlaps them."},
        {.name = "times",
         .type = KS_CFG_BOOLEAN,
         .default_value = "false",
         .importance = KS_IMP_LOW,
         .group = "Memory",
         .doc = "Add the record timestamp and the commit time (ms) to each line."},
        KS_CFG_END,
};

typedef struct staged {
	char *line;
	char *value;
	char *topic;
	int32_t partition;
	const ks_record_t *rec; /* the worker's, valid until commit() succeeds */
} staged_t;

struct ks_sink_task {
	char *file, *fail_value, *retriable_file;
	int task_id;
	int times;
	int overlap;     /* overlap=true: the split commit */
	int64_t sent_ms; /* a commit in flight since (ks_now_ms), 0 none */
	staged_t *st;
	size_t n, cap;
	ks_errant_reporter_t *rep;
};

static void staged_free(staged_t *s)
{
	free(s->line);
	free(s->value);
	free(s->topic);
}

static ks_sink_task_t *mem_task_new(const ks_props_t *config, const char *connector, int task_id,
                                    char *errstr, size_t errlen)
{
	ks_sink_task_t *t;
	const char *fs = ks_props_get(config, "fail.start");
	const char *tm = ks_props_get(config, "times");
	const char *ov = ks_props_get(config, "overlap");

	(void)connector;
	if (fs && ks_strcaseeq(fs, "true")) {
		ks_seterr(errstr, errlen, -1, "fail.start=true: failing as asked");
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		return NULL;
	}
	t->file = ks_strdup(ks_props_get(config, "file"));
	t->fail_value = ks_strdup(ks_props_get(config, "fail.value"));
	t->retriable_file = ks_strdup(ks_props_get(config, "retriable.file"));
	t->task_id = task_id;
	t->times = tm && ks_strcaseeq(tm, "true");
	t->overlap = !ov || ks_strcaseeq(ov, "true");
	return t;
}

static void mem_initialize(ks_sink_task_t *t, ks_errant_reporter_t *reporter)
{
	t->rep = reporter;
}

static ks_err_t mem_open(ks_sink_task_t *t, const ks_tp_offset_t *parts, size_t n,
                         ks_tp_offset_t **out, char *errstr, size_t errlen)
{
	(void)t;
	*out = calloc(n + 1, sizeof(**out));
	if (!*out)
		return ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		(*out)[i].topic = ks_strdup(parts[i].topic);
		(*out)[i].partition = parts[i].partition;
		(*out)[i].offset = -1;
	}
	return KS_OK;
}

/* Text of a value for the file: strings as they are, else its type. */
static const char *text_of(const ks_value_t *v, char *buf, size_t len)
{
	if (!v || v->is_null)
		return "null";
	switch (v->type) {
	case KS_TYPE_STRING:
		return v->u.s.ptr;
	case KS_TYPE_INT8:
	case KS_TYPE_INT16:
	case KS_TYPE_INT32:
	case KS_TYPE_INT64:
		snprintf(buf, len, "%lld", (long long)v->u.i);
		return buf;
	default:
		snprintf(buf, len, "<%s>", ks_type_name(v->type));
		return buf;
	}
}

static ks_err_t mem_put(ks_sink_task_t *t, ks_record_t *const *recs, size_t n, char *errstr,
                        size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const ks_record_t *r = recs[i];
		char kb[64], vb[64];
		const char *k = text_of(r->key, kb, sizeof(kb)),
		           *v = text_of(r->value, vb, sizeof(vb));
		staged_t *s;
		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 256;
			staged_t *ns = realloc(t->st, cap * sizeof(*ns));
			if (!ns)
				return ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
			t->st = ns;
			t->cap = cap;
		}
		s = &t->st[t->n];
		memset(s, 0, sizeof(*s));
		if ((t->times ? asprintf(&s->line, "%s\t%d\t%lld\t%s\t%s\t%d\t%lld", r->topic,
		                         (int)r->partition, (long long)r->offset, k, v, t->task_id,
		                         (long long)r->timestamp)
		              : asprintf(&s->line, "%s\t%d\t%lld\t%s\t%s\t%d\n", r->topic,
		                         (int)r->partition, (long long)r->offset, k, v,
		                         t->task_id)) < 0) {
			s->line = NULL;
			return ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
		}
		s->value = ks_strdup(v);
		s->topic = ks_strdup(r->topic);
		s->partition = r->partition;
		s->rec = r;
		t->n++;
	}
	return KS_OK;
}

static void mem_commit(ks_sink_task_t *t, const ks_tp_offset_t *offsets, size_t n,
                       ks_commit_result_t *res)
{
	FILE *f;
	(void)offsets;
	(void)n;
	res->err = KS_OK;
	if (t->retriable_file && access(t->retriable_file, F_OK) == 0) {
		res->err = KS_ERR_RETRIABLE;
		snprintf(res->errstr, sizeof(res->errstr), "%s exists: store unavailable",
		         t->retriable_file);
		return;
	}
	for (size_t i = 0; t->fail_value && i < t->n; i++)
		if (t->st[i].value && !strcmp(t->st[i].value, t->fail_value)) {
			ks_err_t err = KS_ERR_RECORD;
			snprintf(res->errstr, sizeof(res->errstr), "value '%s' refused",
			         t->fail_value);
			if (t->rep)
				err = t->rep->report(t->rep, t->st[i].rec, "", res->errstr);
			if (err != KS_OK) {
				res->err = err;
				return;
			}
			staged_free(&t->st[i]);
			memmove(&t->st[i], &t->st[i + 1], (t->n - i - 1) * sizeof(t->st[0]));
			t->n--;
			i--;
		}
	res->errstr[0] = 0;
	if (t->rep && (res->err = t->rep->flush(t->rep, res->errstr, sizeof(res->errstr))))
		return;
	if (t->file && t->n) {
		int werr;
		pthread_mutex_lock(&file_lock);
		f = fopen(t->file, "a");
		if (!f) {
			pthread_mutex_unlock(&file_lock);
			res->err = KS_ERR_RETRIABLE;
			snprintf(res->errstr, sizeof(res->errstr), "cannot open %s", t->file);
			return;
		}
		for (size_t i = 0; i < t->n; i++)
			if (t->times) /* the commit time closes the line */
				fprintf(f, "%s\t%lld\n", t->st[i].line, (long long)ks_wall_ms());
			else
				fputs(t->st[i].line, f);
		werr = fclose(f) != 0;
		pthread_mutex_unlock(&file_lock);
		if (werr) {
			res->err = KS_ERR_RETRIABLE;
			snprintf(res->errstr, sizeof(res->errstr), "cannot write %s", t->file);
			return;
		}
	}
	for (size_t i = 0; i < t->n; i++)
		staged_free(&t->st[i]);
	t->n = 0;
}

/* How long a commit stays in flight before commit_ready says so. */
#define OVERLAP_MS 20

static int mem_commit_send(ks_sink_task_t *t, const ks_tp_offset_t *offsets, size_t n,
                           ks_commit_result_t *res)
{
	if (!t->overlap) {
		mem_commit(t, offsets, n, res);
		return 0;
	}
	t->sent_ms = ks_now_ms();
	return 1;
}

static void mem_commit_wait(ks_sink_task_t *t, ks_commit_result_t *res)
{
	t->sent_ms = 0;
	mem_commit(t, NULL, 0, res);
}

static int mem_commit_ready(ks_sink_task_t *t)
{
	return ks_now_ms() - t->sent_ms >= OVERLAP_MS;
}

static void mem_close(ks_sink_task_t *t, const ks_tp_offset_t *parts, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < t->n; i++) {
		int drop = 0;
		for (size_t j = 0; j < n && !drop; j++)
			drop = parts[j].partition == t->st[i].partition &&
			       !strcmp(parts[j].topic, t->st[i].topic);
		if (drop)
			staged_free(&t->st[i]);
		else
			t->st[w++] = t->st[i];
	}
	t->n = w;
}

static void mem_task_destroy(ks_sink_task_t *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		staged_free(&t->st[i]);
	free(t->st);
	free(t->file);
	free(t->fail_value);
	free(t->retriable_file);
	free(t);
}

static const char *const memory_aliases[] = {"MemorySink", "MemorySinkConnector", NULL};

const ks_connector_plugin_t ks_test_memory_sink_plugin = {
        .class_name = "io.ksink.test.MemorySink",
        .aliases = memory_aliases,
        .type = "sink",
        .version = "0.1.0",
        .task_class = "io.ksink.test.MemorySinkTask",
        .config_defs = memory_defs,
        .validate = NULL,
        .task_new = mem_task_new,
        .initialize = mem_initialize,
        .open = mem_open,
        .put = mem_put,
        .commit = mem_commit,
        .commit_send = mem_commit_send,
        .commit_wait = mem_commit_wait,
        .commit_ready = mem_commit_ready,
        .close = mem_close,
        .task_destroy = mem_task_destroy,
        .offsets_read = NULL,
        .offsets_alter = NULL,
};

/* Runs before main(): a program linked with this file offers the MemorySink. */
__attribute__((constructor)) static void memory_sink_register(void)
{
	if (ks_connector_register(&ks_test_memory_sink_plugin))
		abort();
}
