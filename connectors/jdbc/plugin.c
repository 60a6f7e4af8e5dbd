/*
 * plugin.c — the JDBC sink connector for PostgreSQL as the worker sees it:
 * the ks_connector_plugin_t table (io.confluent.connect.jdbc.JdbcSinkConnector)
 * and its SinkTask entry points. task_new parses the config and does not
 * connect (a database outage must not fail the start); open() connects on
 * the first assigned partition, claims the partitions and reads where to
 * resume (fence.c); put() stages the records (and feeds stream.c); commit() is commit.c;
 * close() drops the staged records of revoked partitions and, with none
 * left, the connection. The files of the task are listed in sink.h.
 */
#include "sink.h"

#include <stdlib.h>
#include <string.h>

/* --- task lifecycle --- */

void ks_jdbc_task_destroy(ks_sink_task_t *t)
{
	if (!t)
		return;
	ks_jdbc_conn_drop(t);
	ks_jdbc_offsets_clear(t);
	ks_jdbc_catalog_clear(t);
	ks_jdbc_groups_clear(t);
	free(t->plan.groups);
	free(t->staged);
	free(t->iso.bad);
	ks_buf_free(&t->sql);
	ks_buf_free(&t->data);
	ks_buf_free(&t->plan.keys);
	ks_buf_free(&t->st.buf);
	ks_buf_free(&t->st.keys);
	free(t->st.set);
	free(t->db.cur_db);
	free(t->db.cur_schema);
	free(t->off.qname);
	free(t->connector);
	ks_jdbc_settings_clear(&t->set);
	free(t);
}

ks_sink_task_t *ks_jdbc_task_new(const ks_props_t *config, const char *connector, int task_id,
                                 char *errstr, size_t errlen)
{
	ks_sink_task_t *t = calloc(1, sizeof(*t));

	if (!t) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		return NULL;
	}
	if (ks_jdbc_settings_parse(config, &t->set, errstr, errlen)) {
		free(t);
		return NULL;
	}
	t->task_id = task_id;
	if (!(t->connector = strdup(connector ? connector : ""))) {
		ks_jdbc_task_destroy(t);
		ks_seterr(errstr, errlen, -1, "out of memory");
		return NULL;
	}
	ks_seterr(t->ctx, sizeof(t->ctx), 0, "jdbc|%s-%d", t->connector, task_id);
	return t; /* connects lazily: a database outage must not fail the start */
}

static void jdbc_initialize(ks_sink_task_t *t, ks_errant_reporter_t *reporter)
{
	t->rep = reporter;
}

static ks_err_t jdbc_put(ks_sink_task_t *t, ks_record_t *const *recs, size_t n, char *errstr,
                         size_t errlen)
{
	if (t->nstaged + n > t->capstaged) {
		size_t nc = t->capstaged ? t->capstaged : 256;
		while (nc < t->nstaged + n)
			nc *= 2;
		ks_record_t **s = realloc(t->staged, nc * sizeof(*s));
		if (!s)
			return (ks_err_t)ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
		t->staged = s;
		t->capstaged = nc;
	}
	memcpy(t->staged + t->nstaged, recs, n * sizeof(*recs));
	t->nstaged += n;
	ks_jdbc_stream_feed(t, t->nstaged - n, t->nstaged);
	return KS_OK;
}

void ks_jdbc_staged_remove(ks_sink_task_t *t, size_t index)
{
	ks_jdbc_stream_abort(t);
	if (index >= t->nstaged)
		return;
	memmove(t->staged + index, t->staged + index + 1,
	        (t->nstaged - index - 1) * sizeof(*t->staged));
	t->nstaged--;
}

/* Drops the staged records of the revoked partitions; with the last one
 * closed the connection goes too, so a task without partitions holds no
 * backend (tasks.max above the partition count); open() connects again. */
static void jdbc_close(ks_sink_task_t *t, const ks_tp_offset_t *parts, size_t n)
{
	size_t k = 0;

	if (t->in_flight) { /* the worker waits first; a dropped session rolls back */
		t->in_flight = 0;
		ks_jdbc_conn_drop(t);
	}
	ks_jdbc_stream_abort(t);
	for (size_t i = 0; i < t->nstaged; i++) {
		int drop = 0;
		for (size_t p = 0; p < n && !drop; p++)
			drop = t->staged[i]->partition == parts[p].partition &&
			       !strcmp(t->staged[i]->topic, parts[p].topic);
		if (!drop)
			t->staged[k++] = t->staged[i];
	}
	t->nstaged = k;
	ks_jdbc_offsets_release(t, parts, n);
	t->db.nopen = n < t->db.nopen ? t->db.nopen - n : 0;
	if (!t->db.nopen && t->db.conn) {
		KS_INFO(t->ctx, "no partitions left: closing the connection");
		ks_jdbc_conn_drop(t);
	}
}

/* SinkTask.open: connects on the first assigned partition (no partitions,
 * no connection), then claims them and reads where to resume (fence.c:
 * from now on an earlier owner's commit of them is fenced). A retriable
 * failure is retried by the worker (see open_retry in worker/task.c). */
static ks_err_t jdbc_open(ks_sink_task_t *t, const ks_tp_offset_t *parts, size_t n,
                          ks_tp_offset_t **out, char *errstr, size_t errlen)
{
	ks_err_t rc;
	ks_err_t err;

	*out = NULL;
	ks_jdbc_stream_abort(t);
	if (n && (rc = ks_jdbc_conn_ensure(t)))
		return (ks_err_t)ks_seterr(errstr, errlen, rc == KS_ERR_RECORD ? KS_ERR_FATAL : rc,
		                           "%s", t->errstr);
	if ((err = ks_jdbc_offsets_open(t, parts, n, out, errstr, errlen)))
		return err;
	t->db.nopen += n;
	return KS_OK;
}

static const char *const jdbc_aliases[] = {"JdbcSinkConnector", "JdbcSink", NULL};

const ks_connector_plugin_t ks_jdbc_sink_plugin = {
        .class_name = "io.confluent.connect.jdbc.JdbcSinkConnector",
        .aliases = jdbc_aliases,
        .type = "sink",
        .version = "10.9.7-ksink",
        .task_class = "io.confluent.connect.jdbc.sink.JdbcSinkTask",
        .config_defs = ks_jdbc_config_defs,
        .validate = ks_jdbc_config_validate,
        .task_new = ks_jdbc_task_new,
        .initialize = jdbc_initialize,
        .open = jdbc_open,
        .put = jdbc_put,
        .commit = ks_jdbc_commit,
        .commit_send = ks_jdbc_commit_send,
        .commit_wait = ks_jdbc_commit_wait,
        .commit_ready = ks_jdbc_commit_ready,
        .close = jdbc_close,
        .task_destroy = ks_jdbc_task_destroy,
        .offsets_read = ks_jdbc_offsets_read,
        .offsets_alter = ks_jdbc_offsets_alter,
};
