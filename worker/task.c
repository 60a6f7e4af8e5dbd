/*
 * task.c — one sink task: a thread with its own librdkafka consumer (group
 * connect-<name>, consumer.c), key/value converters, transforms and
 * connector task. The loop, top to bottom (run_loop):
 *
 *   apply a pause / resume request; retry a pending open()
 *   poll a message -> the record pipeline (pipeline.c: convert, transform,
 *     errors.tolerance) into the batch; put() every batch.size records (the
 *     JDBC sink streams them into its open transaction)
 *   when nothing more is queued, or the batch reached a bound
 *     (ksink.transaction.max.records / .bytes / .ms): deliver it (put ->
 *     DLQ -> connector commit -> Kafka offsets)
 *
 * With a connector that splits its commit (commit_send / commit_wait,
 * connector.h: the JDBC sink's merge of the stage) the commit stays in
 * flight while the loop reads and decodes the next batch into the other
 * slot (pipeline.c); that batch is put only once the commit is settled
 * (ready, a bound, caught up, or any pause / rebalance / stop), so its
 * offsets never pass the batch before it.
 *
 * So a transaction is sized by the backlog: a task that keeps up commits
 * each small arrival at once (latency), one that is behind streams
 * everything waiting into one big transaction (throughput), and the bytes
 * bound caps the memory the open batch holds. The row bound starts at
 * put_chunk and doubles with each transaction that fills it (tx_cap), so
 * the first rows after a start are visible at once.
 *
 * Outages (Postgres, registry, Kafka) are waited out by ks_task_retry_wait
 * (partitions paused, membership kept, capped exponential back-off) up to
 * errors.retry.timeout. A task that fails marks itself FAILED with a trace,
 * leaves the group and ends its thread; the worker keeps running.
 *
 * Also here: the task's settings (parsed once from the config tables), its
 * status for REST, its Prometheus lines, and the per-connector shared state
 * (active topics) the tasks report into.
 */
#include "task_int.h"

#include "../config/topics.h"
#include "../lib/civil.h"
#include "../lib/grow.h"
#include "../lib/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------- per-connector shared state ---------------- */

struct ks_conn_shared {
	pthread_mutex_t lock;
	atomic_int refcnt;
	char **topics;
	size_t ntopics, cap;
};

ks_conn_shared_t *ks_conn_shared_new(void)
{
	ks_conn_shared_t *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	atomic_init(&s->refcnt, 1);
	return s;
}

void ks_conn_shared_ref(ks_conn_shared_t *s)
{
	if (s)
		atomic_fetch_add(&s->refcnt, 1);
}

void ks_conn_shared_reset_topics(ks_conn_shared_t *s)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->ntopics; i++)
		free(s->topics[i]);
	s->ntopics = 0;
	pthread_mutex_unlock(&s->lock);
}

void ks_conn_shared_unref(ks_conn_shared_t *s)
{
	if (!s || atomic_fetch_sub(&s->refcnt, 1) != 1)
		return;
	ks_conn_shared_reset_topics(s);
	free(s->topics);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void ks_conn_shared_topic(ks_conn_shared_t *s, const char *topic)
{
	char **topics;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->ntopics; i++)
		if (!strcmp(s->topics[i], topic))
			goto out;
	if (!(topics = ks_grow(s->topics, &s->cap, s->ntopics, sizeof(*topics), 8)))
		goto out;
	s->topics = topics;
	if ((s->topics[s->ntopics] = ks_strdup(topic)))
		s->ntopics++;
out:
	pthread_mutex_unlock(&s->lock);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ks_conn_shared_topics(ks_conn_shared_t *s, char ***topics, size_t *n)
{
	size_t cnt;
	int oom = 0;
	char **v;

	pthread_mutex_lock(&s->lock);
	cnt = s->ntopics;
	v = calloc(cnt + 1, sizeof(*v));
	for (size_t i = 0; v && i < cnt; i++)
		oom |= !(v[i] = ks_strdup(s->topics[i]));
	pthread_mutex_unlock(&s->lock);
	if (!v || oom) {
		for (size_t i = 0; v && i < cnt; i++)
			free(v[i]);
		free(v);
		return -1;
	}
	qsort(v, cnt, sizeof(*v), cmp_str);
	*topics = v;
	*n = cnt;
	return 0;
}

/* ---------------- the task ---------------- */

const char *ks_state_name(ks_state_t s)
{
	static const char *const n[] = {"UNASSIGNED", "RUNNING", "PAUSED",
	                                "STOPPED",    "FAILED",  "RESTARTING"};
	return (unsigned)s < KS_ARRAY_SIZE(n) ? n[s] : "UNASSIGNED";
}

static void task_unref(ks_task_t *t)
{
	if (atomic_fetch_sub(&t->refcnt, 1) != 1)
		return;
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->done_cond);
	free(t->connector);
	ks_props_destroy(t->config);
	ks_conn_shared_unref(t->shared);
	free(t->trace);
	free(t->msg);
	free(t->lost_msg);
	free(t);
}

static void set_state(ks_task_t *t, ks_state_t s)
{
	pthread_mutex_lock(&t->lock);
	t->state = s;
	pthread_mutex_unlock(&t->lock);
}

void ks_task_set_msg(ks_task_t *t, const char *msg)
{
	pthread_mutex_lock(&t->lock);
	free(t->msg);
	t->msg = msg ? ks_strdup(msg) : NULL;
	pthread_mutex_unlock(&t->lock);
}

void ks_task_fail(ks_task_t *t, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int n = snprintf(buf, sizeof(buf), "org.apache.kafka.connect.errors.ConnectException: ");

	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	KS_ERROR(t->ctx, "task failed: %s", buf);
	pthread_mutex_lock(&t->lock);
	t->state = KS_STATE_FAILED;
	free(t->trace);
	t->trace = ks_strdup(buf);
	pthread_mutex_unlock(&t->lock);
	t->failed = 1;
}

ks_err_t ks_task_retry_wait(ks_task_t *t, retry_t *r, const char *what, const char *errstr)
{
	int64_t now = ks_now_ms();

	if (!r->since)
		r->since = now;
	if (t->set.retry_timeout_ms > 0 && now - r->since >= t->set.retry_timeout_ms) {
		ks_task_fail(t, "%s: still failing after errors.retry.timeout=%lld ms: %s", what,
		             (long long)t->set.retry_timeout_ms, errstr);
		return KS_ERR_FATAL;
	}
	ks_consumer_idle_poll(t, (int)r->backoff);
	r->backoff *= 2;
	if (r->backoff > t->set.retry_delay_max_ms)
		r->backoff = t->set.retry_delay_max_ms;
	return atomic_load(&t->stop) || t->failed ? KS_ERR_FATAL : KS_OK;
}

/* Applies a pause/resume request: flush first, then pause or resume. */
static void apply_pause(ks_task_t *t)
{
	int want = atomic_load(&t->paused_req);
	if (want == t->paused_applied)
		return;
	if (want) { /* paused with nothing in flight: no transaction kept open */
		if (ks_pipeline_deliver(t, 0) == KS_ERR_FATAL ||
		    ks_pipeline_settle(t, 0) == KS_ERR_FATAL)
			return;
		ks_consumer_pause(t);
		t->paused_applied = 1;
		set_state(t, KS_STATE_PAUSED);
		KS_INFO(t->ctx, "paused");
	} else {
		t->paused_applied = 0;
		ks_consumer_resume(t);
		set_state(t, KS_STATE_RUNNING);
		KS_INFO(t->ctx, "resumed");
	}
}

/* One message from poll: error, duplicate filter, add to batch. KS_OK, or
 * KS_ERR_FATAL when the task failed or must stop. */
static ks_err_t handle_message(ks_task_t *t, rd_kafka_message_t *rkm)
{
	part_t *p;
	uint64_t gen;
	int64_t ts;
	ks_err_t rc;
	retry_t retry = RETRY_INIT;

	if (rkm->err) {
		if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			char msg[KS_ERRSTR_SIZE];
			KS_WARN(t->ctx, "consumer: %s", rd_kafka_message_errstr(rkm));
			/* shown in the status until the cluster answers again */
			snprintf(msg, sizeof(msg), "waiting for Kafka: %s",
			         rd_kafka_message_errstr(rkm));
			ks_task_set_msg(t, msg);
			t->kafka_down_since = ks_now_ms();
		}
		if (rd_kafka_fatal_error(t->rk, NULL, 0)) {
			ks_task_fail(t, "fatal consumer error: %s", rd_kafka_message_errstr(rkm));
			return KS_ERR_FATAL;
		}
		return KS_OK;
	}
	p = ks_consumer_find_part(t, rd_kafka_topic_name(rkm->rkt), rkm->partition);
	if (!p || p->fenced || (p->position >= 0 && rkm->offset < p->position))
		return KS_OK; /* not ours any more, or a re-delivery after a seek */
	if (p->hold_due)
		return KS_OK; /* held (hold.c): read again from its head when due */
	if (p->position >= 0 && rkm->offset > p->position)
		ks_consumer_check_gap(t, p, rkm->offset);
	if (ks_hold_check(t, p, rkm, &ts))
		return KS_OK;
	if (p->head_ts < 0 && ts >= 0) { /* the partition's lag in seconds */
		pthread_mutex_lock(&t->lock);
		p->head_ts = ts;
		pthread_mutex_unlock(&t->lock);
	}
	gen = t->batch_gen;
	while ((rc = ks_pipeline_add(t, rkm, p)) == KS_ERR_RETRIABLE) {
		/* registry outage: keep the batch, hold the partitions, retry */
		ks_err_t stop;
		pthread_mutex_lock(&t->lock);
		t->m_retries++;
		pthread_mutex_unlock(&t->lock);
		stop = ks_task_retry_wait(t, &retry, "converting a record", t->msg ? t->msg : "");
		t->need_seek = 1;
		if (stop != KS_OK)
			return KS_ERR_FATAL;
		/* revoked meanwhile (the rebalance is served while we wait): p is
		 * freed, and the record is read again from where its partition
		 * now starts, by us or by its new owner */
		if (t->batch_gen != gen)
			return KS_OK;
	}
	if (t->need_seek && !t->paused_applied)
		ks_consumer_resume(t);
	return rc;
}

static int subscribe(ks_task_t *t, char *errstr, size_t errlen)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
	rd_kafka_resp_err_t err;
	ks_topics_t tp;

	/* one decision for topics / topics.regex (config/topics.h): a regex is
	 * subscribed anchored "^(...)$" so it matches whole names, as in Kafka */
	if (ks_topics_init(&tp, ks_props_get(t->config, "topics"),
	                   ks_props_get(t->config, "topics.regex"), errstr, errlen)) {
		rd_kafka_topic_partition_list_destroy(l);
		return -1;
	}
	if (tp.use_regex)
		rd_kafka_topic_partition_list_add(l, tp.pattern, RD_KAFKA_PARTITION_UA);
	for (size_t i = 0; i < tp.n; i++)
		rd_kafka_topic_partition_list_add(l, tp.names[i], RD_KAFKA_PARTITION_UA);
	ks_topics_clear(&tp);
	if (!l->cnt) {
		rd_kafka_topic_partition_list_destroy(l);
		return ks_seterr(errstr, errlen, -1,
		                 "Must configure one of topics or topics.regex");
	}
	err = rd_kafka_subscribe(t->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (err)
		return ks_seterr(errstr, errlen, -1, "subscribe: %s", rd_kafka_err2str(err));
	return 0;
}

int ks_task_settings_parse(const ks_props_t *config, const ks_cfg_def_t *plugin_defs,
                           ks_task_settings_t *s, char *errstr, size_t errlen)
{
	const ks_cfg_def_t *const defs[] = {ks_connector_common_defs, plugin_defs, NULL};
	ks_config_t *cfg = ks_config_new(defs, config);
	const char *v;
	int has_batch = 0;

	if (!cfg)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	if (ks_config_error_count(cfg)) {
		ks_seterr(errstr, errlen, -1, "%s", ks_config_errors_text(cfg));
		ks_config_destroy(cfg);
		return -1;
	}
	for (const ks_cfg_def_t *d = plugin_defs; d && d->name; d++)
		has_batch |= !strcmp(d->name, "batch.size");
	s->tolerance_all = ks_strcaseeq(ks_config_string(cfg, "errors.tolerance"), "all");
	s->log_errors = ks_config_bool(cfg, "errors.log.enable");
	s->log_messages = ks_config_bool(cfg, "errors.log.include.messages");
	s->retry_timeout_ms = ks_config_long(cfg, "errors.retry.timeout");
	s->retry_delay_max_ms = ks_config_long(cfg, "errors.retry.delay.max.ms");
	if (s->retry_delay_max_ms < BACKOFF_MIN_MS)
		s->retry_delay_max_ms = BACKOFF_MIN_MS;
	/* batch.size keeps Connect's meaning, rows per statement: here also the
	 * rows per put(); it no longer bounds a transaction */
	s->put_chunk = has_batch && ks_config_is_set(cfg, "batch.size") &&
	                               ks_config_int(cfg, "batch.size") > 0
	                       ? (size_t)ks_config_int(cfg, "batch.size")
	                       : PUT_CHUNK;
	s->tx_max_records = (size_t)ks_config_int(cfg, "ksink.transaction.max.records");
	s->tx_max_bytes = (size_t)ks_config_long(cfg, "ksink.transaction.max.bytes");
	s->tx_max_ms = ks_config_long(cfg, "ksink.transaction.max.ms");
	s->apply_delay_ms = ks_config_long(cfg, "ksink.apply.delay.ms");
	s->apply_until_ms = -1;
	v = ks_config_string(cfg, "ksink.apply.until");
	if (v && *v && ks_parse_instant(v, &s->apply_until_ms)) { /* validated by the table */
		ks_config_destroy(cfg);
		return ks_seterr(errstr, errlen, -1, "ksink.apply.until: not an instant: %s", v);
	}
	ks_config_destroy(cfg);
	return 0;
}

/* The key (is_key) or value converter: *conv and its *class (for the DLQ
 * headers). 0 ok, -1 errstr. */
static int converter_new(ks_task_t *t, int is_key, ks_converter_t **conv, char **class_name,
                         char *errstr, size_t errlen)
{
	const char *cls;
	ks_props_t *cp = NULL;

	if (ks_worker_converter_props(t->wc, t->config,
	                              is_key ? "key.converter" : "value.converter", &cls, &cp) ||
	    !(*class_name = ks_strdup(cls ? cls : ""))) {
		ks_props_destroy(cp);
		return ks_seterr(errstr, errlen, -1, "out of memory");
	}
	*conv = ks_converter_new(cls, cp, is_key, errstr, errlen);
	ks_props_destroy(cp);
	return *conv ? 0 : -1;
}

static int setup(ks_task_t *t, char *errstr, size_t errlen)
{
	ks_task_settings_t set;

	if (ks_task_settings_parse(t->config, t->plugin->config_defs, &set, errstr, errlen))
		return -1;
	pthread_mutex_lock(&t->lock); /* the metrics read the apply delay */
	t->set = set;
	pthread_mutex_unlock(&t->lock);
	t->tx_cap = set.put_chunk < set.tx_max_records ? set.put_chunk : set.tx_max_records;
	if (converter_new(t, 1, &t->kconv, &t->kconv_class, errstr, errlen) ||
	    converter_new(t, 0, &t->vconv, &t->vconv_class, errstr, errlen))
		return -1;
	if (!(t->chain = ks_transform_chain_new(t->config, errstr, errlen)))
		return -1;
	errstr[0] = '\0';
	if (t->set.tolerance_all) { /* with none the first error fails the task: no DLQ */
		t->dlq = ks_dlq_new(t->wc, t->config, t->connector, t->id, errstr, errlen);
		if (!t->dlq && errstr[0])
			return -1;
	}
	if (ks_consumer_new(t, errstr, errlen))
		return -1;
	ks_pipeline_reporter_init(t);
	t->st = t->plugin->task_new(t->config, t->connector, t->id, errstr, errlen);
	if (!t->st)
		return -1;
	if (t->plugin->initialize)
		t->plugin->initialize(t->st, &t->reporter);
	return subscribe(t, errstr, errlen);
}

#define FLIGHT_POLL_MS 2 /* poll wait while a commit is in flight */

/* The next message. While a commit is in flight: what is queued, else a
 * short wait (FLIGHT_POLL_MS) between checks of the commit. With a batch
 * open: only what is queued already, never waiting; NULL means the task
 * has caught up with what the fetcher brought, and the batch commits now (a
 * small, immediate transaction). Without one: what is queued first (a poll
 * that may wait reads the clock four times inside librdkafka: profile),
 * then a short wait. An empty poll kicks a parked fetcher (consumer.c), so
 * it refills the queue during the commit. */
static rd_kafka_message_t *poll_next(ks_task_t *t)
{
	rd_kafka_message_t *rkm = rd_kafka_consumer_poll(t->rk, 0);
	int timeout = t->fetch_parked ? 1 : 100; /* parked: an empty queue is no news */

	if (rkm)
		return rkm;
	if (t->in_flight) /* the database is busy anyway: a little wait for more */
		rkm = rd_kafka_consumer_poll(t->rk, FLIGHT_POLL_MS);
	else if (!t->cur.has_batch)
		rkm = rd_kafka_consumer_poll(t->rk, timeout);
	if (!rkm)
		ks_consumer_kick(t);
	return rkm;
}

/* Whether the open transaction may take more records: below its row bound
 * (tx_cap, at most ksink.transaction.max.records) and .bytes, and (the
 * clock is read every 64 records: it showed in profiles) younger than .ms. */
static int tx_has_room(ks_task_t *t, int64_t first_ms)
{
	return t->cur.nrecs < t->tx_cap && ks_arena_used(t->cur.arena) < t->set.tx_max_bytes &&
	       ((t->seen_msgs & 63) || ks_now_ms() - first_ms < t->set.tx_max_ms);
}

/* The task thread's loop (the file header tells it top to bottom). */
static void run_loop(ks_task_t *t)
{
	int64_t first_ms = 0;
	retry_t open_wait = RETRY_INIT;

	while (!atomic_load(&t->stop) && !t->failed) {
		rd_kafka_message_t *rkm;

		apply_pause(t);
		if (t->failed)
			break;
		if (t->paused_applied) {
			ks_consumer_idle_poll(t, 100); /* sought back on resume */
			continue;
		}
		if (t->open_pending && ks_pipeline_settle(t, 0) == KS_ERR_FATAL)
			break; /* open() talks to the connector: nothing in flight */
		if (t->open_pending) {
			char errstr[KS_ERRSTR_SIZE];
			ks_err_t err = ks_consumer_open_retry(t, errstr, sizeof(errstr));
			if (err == KS_ERR_FATAL)
				break;
			if (err == KS_ERR_RETRIABLE) {
				if (ks_task_retry_wait(t, &open_wait,
				                       "opening the assigned partitions",
				                       errstr) != KS_OK)
					break;
				continue;
			}
			open_wait = (retry_t)RETRY_INIT;
		}
		if (t->kafka_down_since)
			ks_consumer_probe(t);
		rkm = poll_next(t);
		if (!rkm || !(t->seen_msgs & 63)) { /* the clock: not every record */
			ks_hold_tick(t);
			ks_hold_refresh_lag(t);
		}
		if (rkm) {
			int was_empty = !t->cur.has_batch;
			ks_err_t err;
			t->seen_bytes += rkm->len + rkm->key_len;
			if (!(++t->seen_msgs & 63))
				ks_consumer_note_queue(t);
			err = handle_message(t, rkm);
			rd_kafka_message_destroy(rkm);
			if (err != KS_OK)
				break;
			if (was_empty && t->cur.has_batch)
				first_ms = ks_now_ms();
			/* the commit in flight answered: settle it, so this
			 * batch can be put (checked every 64 records) */
			if (t->in_flight && !(t->seen_msgs & 63) && ks_pipeline_flight_ready(t) &&
			    ks_pipeline_settle(t, 0) == KS_ERR_FATAL)
				break;
			if (t->cur.nrecs - t->cur.nput >= t->set.put_chunk && !t->in_flight &&
			    ks_pipeline_put_pending(t) != KS_OK)
				break;
			if (t->cur.has_batch && tx_has_room(t, first_ms))
				continue; /* more is queued: the same transaction */
		}
		/* caught up: while the commit in flight is not answered, read on
		 * (into this batch, while it has room) */
		if (t->in_flight && (!t->cur.has_batch || tx_has_room(t, first_ms)) &&
		    !ks_pipeline_flight_ready(t))
			continue;
		if (t->cur.nrecs >= t->tx_cap) /* slow start: the next one may be larger */
			t->tx_cap = t->tx_cap * 2 < t->set.tx_max_records ? t->tx_cap * 2
			                                                  : t->set.tx_max_records;
		/* the transaction is full, or caught up: settle the commit in
		 * flight, then deliver this batch */
		if ((t->cur.has_batch || t->in_flight) && ks_pipeline_deliver(t, 0) == KS_ERR_FATAL)
			break;
	}
	if (t->in_flight) /* even when failed: the connector must not keep it */
		(void)ks_pipeline_settle(t, 1);
	if (!t->failed && t->cur.has_batch) /* finish the current batch once */
		(void)ks_pipeline_deliver(t, 1);
}

static void *task_main(void *arg)
{
	ks_task_t *t = arg;
	char errstr[KS_ERRSTR_SIZE] = "";

	if (setup(t, errstr, sizeof(errstr)) == 0) {
		set_state(t, t->paused_applied ? KS_STATE_PAUSED : KS_STATE_RUNNING);
		KS_INFO(t->ctx, "task started");
		run_loop(t);
	} else {
		ks_task_fail(t, "%s", errstr);
	}
	ks_consumer_destroy(t); /* its revoke: a last commit or close */
	if (t->st)
		t->plugin->task_destroy(t->st);
	t->st = NULL;
	ks_converter_destroy(t->kconv);
	ks_converter_destroy(t->vconv);
	ks_transform_chain_destroy(t->chain);
	ks_dlq_destroy(t->dlq);
	t->dlq = NULL;
	free(t->kconv_class);
	free(t->vconv_class);
	ks_arena_destroy(t->cur.arena);
	free(t->cur.recs);
	ks_arena_destroy(t->other.arena);
	free(t->other.recs);
	free(t->offs);
	ks_consumer_clear_parts(t);
	KS_INFO(t->ctx, "task stopped");
	pthread_mutex_lock(&t->lock);
	t->done = 1;
	pthread_cond_broadcast(&t->done_cond);
	pthread_mutex_unlock(&t->lock);
	task_unref(t);
	return NULL;
}

ks_task_t *ks_task_start(const ks_worker_config_t *wc, const ks_connector_plugin_t *plugin,
                         const char *connector, int task_id, const ks_props_t *config, int paused,
                         ks_conn_shared_t *shared, char *errstr, size_t errlen)
{
	ks_task_t *t = calloc(1, sizeof(*t));
	pthread_attr_t attr;

	if (!t) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->done_cond, NULL);
	atomic_init(&t->refcnt, 2); /* the herder's and the thread's */
	atomic_init(&t->stop, 0);
	atomic_init(&t->paused_req, paused);
	t->paused_applied = paused;
	t->connector = ks_strdup(connector);
	t->id = task_id;
	t->wc = wc;
	t->plugin = plugin;
	t->config = ks_props_dup(config);
	t->cur.arena = ks_arena_new(0);
	t->shared = shared;
	ks_conn_shared_ref(shared);
	t->state = KS_STATE_UNASSIGNED;
	snprintf(t->ctx, sizeof(t->ctx), "task|%s-%d", connector, task_id);
	if (!t->connector || !t->config || !t->cur.arena) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		goto fail;
	}
	pthread_attr_init(&attr);
	if (pthread_create(&t->thread, &attr, task_main, t) != 0) {
		pthread_attr_destroy(&attr);
		ks_seterr(errstr, errlen, -1, "cannot start task thread");
		goto fail;
	}
	pthread_attr_destroy(&attr);
	return t;
fail:
	ks_arena_destroy(t->cur.arena);
	atomic_store(&t->refcnt, 1);
	task_unref(t);
	return NULL;
}

void ks_task_request_stop(ks_task_t *t)
{
	if (t)
		atomic_store(&t->stop, 1);
}

void ks_task_stop_destroy(ks_task_t *t, int64_t timeout_ms)
{
	struct timespec ts;
	int done;

	if (!t)
		return;
	atomic_store(&t->stop, 1);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&t->lock);
	while (!t->done)
		if (pthread_cond_timedwait(&t->done_cond, &t->lock, &ts) != 0)
			break;
	done = t->done;
	pthread_mutex_unlock(&t->lock);
	if (done) {
		pthread_join(t->thread, NULL);
	} else {
		KS_WARN(t->ctx, "task did not stop within %lld ms, abandoning it",
		        (long long)timeout_ms);
		pthread_detach(t->thread);
	}
	task_unref(t);
}

void ks_task_set_paused(ks_task_t *t, int paused)
{
	atomic_store(&t->paused_req, paused);
}

int ks_task_id(const ks_task_t *t)
{
	return t->id;
}

ks_state_t ks_task_state(ks_task_t *t, char **trace)
{
	ks_state_t s;
	pthread_mutex_lock(&t->lock);
	s = t->state;
	if (trace) {
		*trace = NULL;
		if (s == KS_STATE_FAILED && t->trace)
			*trace = ks_strdup(t->trace);
		else if (s == KS_STATE_RUNNING && t->msg)
			*trace = ks_strdup(t->msg);
		else if (s == KS_STATE_RUNNING && t->nheld) /* delay or apply.until */
			*trace = ks_hold_status_locked(t);
		else if (s == KS_STATE_RUNNING && t->lost_msg) /* until a restart */
			*trace = ks_strdup(t->lost_msg);
	}
	pthread_mutex_unlock(&t->lock);
	return s;
}

/* Prometheus label value escaping (\ " and newline). */
static void put_label(ks_buf_t *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			ks_buf_putc(out, '\\');
		if (*s == '\n') {
			ks_buf_puts(out, "\\n");
			continue;
		}
		ks_buf_putc(out, *s);
	}
}

void ks_task_series(const ks_task_t *t, ks_buf_t *out, const char *name, const part_t *p)
{
	ks_buf_printf(out, "%s{connector=\"", name);
	put_label(out, t->connector);
	ks_buf_printf(out, "\",task=\"%d\"", t->id);
	if (p) {
		ks_buf_puts(out, ",topic=\"");
		put_label(out, p->topic);
		ks_buf_printf(out, "\",partition=\"%d\"", (int)p->partition);
	}
	ks_buf_puts(out, "} ");
}

void ks_task_metrics(ks_task_t *t, ks_buf_t *out)
{
	static const char *const names[] = {
	        "ksink_task_records_read_total",      "ksink_task_records_written_total",
	        "ksink_task_records_failed_total",    "ksink_task_batches_total",
	        "ksink_task_commit_retries_total",    "ksink_task_commit_seconds_sum",
	        "ksink_task_commit_seconds_count",    "ksink_task_dlq_records_total",
	        "ksink_task_offsets_skipped_total",   "ksink_task_fenced_total",
	        "ksink_task_overlapped_records_total"};
	uint64_t v[11];

	pthread_mutex_lock(&t->lock);
	v[0] = t->m_read;
	v[1] = t->m_written;
	v[2] = t->m_skipped;
	v[3] = t->m_batches;
	v[4] = t->m_retries;
	v[5] = t->m_commit_us;
	v[6] = t->m_commits;
	v[7] = t->m_dlq;
	v[8] = t->m_lost;
	v[9] = t->m_fenced;
	v[10] = t->m_overlapped;
	for (size_t i = 0; i < KS_ARRAY_SIZE(names); i++) {
		ks_task_series(t, out, names[i], NULL);
		if (i == 5)
			ks_buf_printf(out, "%.6f\n", (double)v[i] / 1e6);
		else
			ks_buf_printf(out, "%llu\n", (unsigned long long)v[i]);
	}
	ks_hold_metrics_locked(t, out); /* lag, lag in time, holds */
	pthread_mutex_unlock(&t->lock);
}
