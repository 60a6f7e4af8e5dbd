/*
 * task.c — one sink task: a thread with its own librdkafka consumer (group
 * connect-<name>), key/value converters and connector task. The loop, top to
 * bottom:
 *
 *   poll records into a batch (count, bytes, time bounded)
 *     -> convert key and value (errors.tolerance decides about bad records)
 *     -> connector put(batch) -> connector commit(offsets: last + 1 per partition)
 *     -> on KS_OK the same offsets are committed to Kafka (sync), arena reset
 *
 * A retriable commit error keeps the batch, pauses the partitions (the
 * consumer keeps polling, so group membership holds) and retries with an
 * exponential, capped back-off. On resume the partitions are sought back to
 * our own positions, because librdkafka 2.0.2 can skip fetched-but-purged
 * messages across pause/resume.
 *
 * Rebalances (eager): on assign the connector's open() tells where each
 * partition resumes (its own offsets table), and we assign with those
 * offsets; on revoke the current batch is committed once or dropped
 * (connector close()) before unassigning.
 *
 * A task that fails marks itself FAILED with a trace, leaves the group and
 * ends its thread; the worker keeps running.
 */
#include "worker.h"

#include "../config/topics.h"
#include "../lib/arena.h"
#include "../lib/log.h"
#include "../schemas/converter.h"
#include "../transforms/transform.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_MAX_BYTES (16u << 20)
#define PUT_CHUNK       1000 /* records handed to put() while the batch fills */
#define BATCH_LINGER_MS 500
#define BACKOFF_MIN_MS  100
#define BACKOFF_MAX_MS  10000 /* unless errors.retry.delay.max.ms says otherwise */
#define DLQ_FLUSH_MS    30000

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
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->ntopics; i++)
		if (!strcmp(s->topics[i], topic))
			goto out;
	if (s->ntopics == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		char **n = realloc(s->topics, cap * sizeof(*n));
		if (!n)
			goto out;
		s->topics = n;
		s->cap = cap;
	}
	if ((s->topics[s->ntopics] = ks_strdup(topic)))
		s->ntopics++;
out:
	pthread_mutex_unlock(&s->lock);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

json_t *ks_conn_shared_topics(ks_conn_shared_t *s)
{
	json_t *arr = json_array();
	pthread_mutex_lock(&s->lock);
	qsort(s->topics, s->ntopics, sizeof(char *), cmp_str);
	for (size_t i = 0; arr && i < s->ntopics; i++)
		json_array_append_new(arr, json_string(s->topics[i]));
	pthread_mutex_unlock(&s->lock);
	return arr;
}

/* ---------------- the task ---------------- */

const char *ks_state_name(ks_state_t s)
{
	static const char *const n[] = {"UNASSIGNED", "RUNNING", "PAUSED",
	                                "STOPPED",    "FAILED",  "RESTARTING"};
	return (unsigned)s < KS_ARRAY_SIZE(n) ? n[s] : "UNASSIGNED";
}

typedef struct part {
	char *topic;
	int32_t partition;
	int64_t position;   /* next offset to read; -1 unknown */
	int64_t batch_next; /* last offset in the current batch + 1; -1 none */
	int64_t committed;  /* last committed next offset; -1 none */
	int64_t hwm;        /* high watermark seen; -1 unknown */
	int64_t kicked;     /* position at the last kick_fetcher() seek */
	int64_t lo_asked;   /* position at the last watermark query (check_gap) */
	int seen;           /* reported to the active topics */
} part_t;

struct ks_task {
	pthread_t thread;
	pthread_mutex_t lock; /* state, trace, msg, metrics, parts (for readers) */
	pthread_cond_t done_cond;
	atomic_int refcnt;
	atomic_int stop;
	atomic_int paused_req;
	int done;

	char *connector;
	int id;
	char ctx[160];
	const ks_worker_config_t *wc;
	const ks_connector_plugin_t *plugin;
	ks_props_t *config;
	ks_conn_shared_t *shared;

	/* status (lock) */
	ks_state_t state;
	char *trace;
	char *msg; /* retry message while RUNNING */

	/* metrics (lock) */
	uint64_t m_read, m_written, m_skipped, m_batches, m_commits, m_commit_us, m_retries, m_dlq;
	uint64_t m_lost; /* offsets skipped: deleted by retention before they were read */
	char *lost_msg;  /* the last such report, shown in a RUNNING task's trace */

	/* task thread only */
	rd_kafka_t *rk;
	ks_sink_task_t *st;
	ks_converter_t *kconv, *vconv;
	ks_transform_chain_t *chain; /* transforms / predicates (may be empty) */
	ks_arena_t *arena;
	ks_record_t **recs;
	size_t nrecs, caprecs;
	size_t nput; /* recs[0, nput) were handed to put() */
	uint64_t batch_gen;
	int has_batch; /* records or skipped offsets pending */
	part_t *parts; /* assigned partitions (lock for writes) */
	size_t nparts;
	int paused_applied;
	int partitions_paused;
	int need_seek;
	int failed;
	int tolerance_all;
	int log_errors, log_messages; /* errors.log.enable, .include.messages */
	int64_t retry_timeout_ms;     /* errors.retry.timeout; <= 0: wait forever */
	int64_t retry_delay_max_ms;   /* back-off cap */
	ks_dlq_t *dlq;                /* NULL without errors.deadletterqueue.topic.name */
	char *kconv_class, *vconv_class;
	int open_pending;         /* assigned, but open() has not answered yet: paused */
	int64_t kafka_down_since; /* a consumer error is shown in the status; 0 none */
	int64_t kafka_checked;    /* last probe of the cluster while kafka_down_since */
	int reset_earliest;       /* auto.offset.reset is earliest */
	size_t batch_max;
	/* prefetch queue watch (kick_fetcher) */
	rd_kafka_queue_t *cq;
	int64_t q_min, q_bytes; /* queued.min.messages, queued.max.messages.kbytes */
	uint64_t seen_msgs, seen_bytes;
	int fetch_parked; /* the queue got full enough to park the fetcher */
};

/* One outage being waited out: exponential back-off, and when it began. */
typedef struct retry {
	int64_t backoff;
	int64_t since; /* ks_now_ms() of the first failure; 0 none yet */
} retry_t;

#define RETRY_INIT                                                                                 \
	{                                                                                          \
		BACKOFF_MIN_MS, 0                                                                  \
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

static void set_msg(ks_task_t *t, const char *msg)
{
	pthread_mutex_lock(&t->lock);
	free(t->msg);
	t->msg = msg ? ks_strdup(msg) : NULL;
	pthread_mutex_unlock(&t->lock);
}

/* Marks the task FAILED with a Connect-like trace. */
static void task_fail(ks_task_t *t, const char *fmt, ...) KS_PRINTF(2, 3);
static void task_fail(ks_task_t *t, const char *fmt, ...)
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

static part_t *find_part(ks_task_t *t, const char *topic, int32_t partition)
{
	for (size_t i = 0; i < t->nparts; i++)
		if (t->parts[i].partition == partition && !strcmp(t->parts[i].topic, topic))
			return &t->parts[i];
	return NULL;
}

static void batch_reset(ks_task_t *t)
{
	ks_arena_reset(t->arena);
	t->nrecs = 0;
	t->nput = 0;
	t->has_batch = 0;
	t->batch_gen++;
	for (size_t i = 0; i < t->nparts; i++)
		t->parts[i].batch_next = -1;
}

static rd_kafka_topic_partition_list_t *assignment_list(ks_task_t *t)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)t->nparts + 1);
	for (size_t i = 0; i < t->nparts; i++) {
		rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_add(
		        l, t->parts[i].topic, t->parts[i].partition);
		p->offset = t->parts[i].position;
	}
	return l;
}

static void pause_all(ks_task_t *t)
{
	rd_kafka_topic_partition_list_t *l;
	if (t->partitions_paused || !t->nparts)
		return;
	l = assignment_list(t);
	rd_kafka_pause_partitions(t->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	t->partitions_paused = 1;
}

/* Resumes and seeks every partition back to our own position. */
static void resume_all(ks_task_t *t)
{
	rd_kafka_topic_partition_list_t *l, *seek;
	rd_kafka_error_t *err;

	if (!t->partitions_paused)
		return;
	t->partitions_paused = 0;
	if (!t->nparts)
		return;
	l = assignment_list(t);
	rd_kafka_resume_partitions(t->rk, l);
	seek = rd_kafka_topic_partition_list_new(l->cnt);
	for (int i = 0; i < l->cnt; i++) {
		/* never read and nothing committed: where auto.offset.reset would
		 * start (messages fetched before the pause were purged) */
		int64_t off = l->elems[i].offset >= 0 ? l->elems[i].offset
		              : t->reset_earliest     ? RD_KAFKA_OFFSET_BEGINNING
		                                      : RD_KAFKA_OFFSET_INVALID;
		if (off != RD_KAFKA_OFFSET_INVALID)
			rd_kafka_topic_partition_list_add(seek, l->elems[i].topic,
			                                  l->elems[i].partition)
			        ->offset = off;
	}
	if (seek->cnt && (err = rd_kafka_seek_partitions(t->rk, seek, 5000))) {
		KS_WARN(t->ctx, "seek after resume: %s", rd_kafka_error_string(err));
		rd_kafka_error_destroy(err);
	}
	rd_kafka_topic_partition_list_destroy(seek);
	rd_kafka_topic_partition_list_destroy(l);
	t->need_seek = 0;
}

static void handle_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t *parts, void *opaque);

/* Polls for up to ms while partitions are paused (back-off, pause): keeps
 * the group membership and serves rebalances. A message that still arrives
 * is dropped and its partition sought back on resume. */
static void idle_poll(ks_task_t *t, int ms)
{
	int64_t end = ks_now_ms() + ms;
	pause_all(t);
	while (!atomic_load(&t->stop)) {
		int64_t left = end - ks_now_ms();
		rd_kafka_message_t *rkm;
		if (left <= 0)
			break;
		rkm = rd_kafka_consumer_poll(t->rk, left > 100 ? 100 : (int)left);
		if (!rkm)
			continue;
		if (!rkm->err && rkm->rkt) {
			part_t *p = find_part(t, rd_kafka_topic_name(rkm->rkt), rkm->partition);
			if (p && p->position < 0)
				p->position = rkm->offset;
		}
		rd_kafka_message_destroy(rkm);
	}
}

/*
 * Waits out one failed attempt during an outage: partitions held, group
 * membership kept, back-off doubled up to the cap. Returns 0 to try again,
 * -1 when the task must not: stop requested, task failed, or the outage
 * outlasted errors.retry.timeout (then the task is FAILED naming what).
 */
static int retry_wait(ks_task_t *t, retry_t *r, const char *what, const char *errstr)
{
	int64_t now = ks_now_ms();

	if (!r->since)
		r->since = now;
	if (t->retry_timeout_ms > 0 && now - r->since >= t->retry_timeout_ms) {
		task_fail(t, "%s: still failing after errors.retry.timeout=%lld ms: %s", what,
		          (long long)t->retry_timeout_ms, errstr);
		return -1;
	}
	idle_poll(t, (int)r->backoff);
	r->backoff *= 2;
	if (r->backoff > t->retry_delay_max_ms)
		r->backoff = t->retry_delay_max_ms;
	return atomic_load(&t->stop) || t->failed ? -1 : 0;
}

/*
 * A record failed at stage with errors.tolerance=all: log it as configured
 * and queue it for the dead letter queue. Never silent: without a DLQ and
 * without errors.log.enable the skip is still logged as a warning. Returns
 * 0, or -1 when the task failed (out of memory).
 */
static int report_failed(ks_task_t *t, const ks_record_t *r, const char *stage,
                         const char *class_name, const char *exception_class, const char *msg)
{
	if (r->src) /* as consumed, before transforms renamed its topic */
		r = r->src;
	if (t->log_errors) {
		char k[256] = "", v[256] = "";
		if (t->log_messages) {
			ks_log_escape(r->raw_key, r->raw_key_len, k, sizeof(k));
			ks_log_escape(r->raw_value, r->raw_value_len, v, sizeof(v));
		}
		KS_ERROR(t->ctx,
		         "Error encountered in task %s-%d. Executing stage '%s' with class '%s', "
		         "where consumed record is %s[%d]@%lld%s%s%s%s: %s: %s",
		         t->connector, t->id, stage, class_name, r->topic, (int)r->partition,
		         (long long)r->offset, t->log_messages ? " key=" : "", k,
		         t->log_messages ? " value=" : "", v, exception_class, msg);
	} else if (!t->dlq) {
		KS_WARN(t->ctx, "skipping record %s[%d]@%lld (errors.tolerance=all): %s: %s",
		        r->topic, (int)r->partition, (long long)r->offset, stage, msg);
	}
	if (t->dlq) {
		char trace[KS_ERRSTR_SIZE + 256];
		ks_dlq_error_t e = {.connector = t->connector,
		                    .task_id = t->id,
		                    .stage = stage,
		                    .class_name = class_name,
		                    .exception_class = exception_class,
		                    .message = msg,
		                    .stacktrace = trace};
		snprintf(trace, sizeof(trace), "%s: %s\n\tat ksink stage %s (%s)", exception_class,
		         msg, stage, t->ctx);
		if (ks_dlq_add(t->dlq, r, &e)) {
			task_fail(t, "out of memory queueing a record for the dead letter queue");
			return -1;
		}
	}
	pthread_mutex_lock(&t->lock);
	t->m_skipped++;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

/* Builds the commit offsets of the current batch (topics borrowed). */
static size_t batch_offsets(ks_task_t *t, ks_tp_offset_t *offs)
{
	size_t n = 0;
	for (size_t i = 0; i < t->nparts; i++)
		if (t->parts[i].batch_next >= 0) {
			offs[n].topic = t->parts[i].topic;
			offs[n].partition = t->parts[i].partition;
			offs[n].offset = t->parts[i].batch_next;
			n++;
		}
	return n;
}

static void kafka_commit(ks_task_t *t, const ks_tp_offset_t *offs, size_t n)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
	rd_kafka_resp_err_t err;

	for (size_t i = 0; i < n; i++)
		rd_kafka_topic_partition_list_add(l, offs[i].topic, offs[i].partition)->offset =
		        offs[i].offset;
	err = rd_kafka_commit(t->rk, l, 0);
	if (err)
		/* the connector's own offsets are the source of truth; Kafka's are a
		 * mirror for tools, so this is not fatal */
		KS_WARN(t->ctx, "Kafka offset commit failed: %s", rd_kafka_err2str(err));
	rd_kafka_topic_partition_list_destroy(l);
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < n; i++) {
		part_t *p = find_part(t, offs[i].topic, offs[i].partition);
		int64_t lo, hi;
		if (!p)
			continue;
		p->committed = offs[i].offset;
		if (!rd_kafka_get_watermark_offsets(t->rk, p->topic, p->partition, &lo, &hi))
			p->hwm = hi;
	}
	pthread_mutex_unlock(&t->lock);
}

/*
 * Hands the records not yet put to the connector. Called every PUT_CHUNK
 * records while a batch fills, so a connector can start writing before the
 * batch is complete (the JDBC sink streams its COPY), and before commit.
 * 0 ok, -1 task failed.
 */
static int put_pending(ks_task_t *t)
{
	char errstr[KS_ERRSTR_SIZE];
	ks_err_t err;

	if (t->nput >= t->nrecs)
		return 0;
	err = t->plugin->put(t->st, t->recs + t->nput, t->nrecs - t->nput, errstr, sizeof(errstr));
	if (err != KS_OK) {
		task_fail(t, "put failed (%s): %s", ks_err_name(err), errstr);
		return -1;
	}
	t->nput = t->nrecs;
	return 0;
}

/*
 * Writes the current batch: put (what is left) then commit, retrying retriable
 * errors with back-off unless once is set. Returns 0 when written, 1 when
 * not written but the task can go on (once, stop, batch dropped by a
 * rebalance), -1 when the task failed.
 */
static int deliver_batch(ks_task_t *t, int once)
{
	ks_tp_offset_t offs_stack[64], *offs = offs_stack;
	uint64_t gen = t->batch_gen;
	retry_t retry = RETRY_INIT;
	char errstr[KS_ERRSTR_SIZE];
	char msg[KS_ERRSTR_SIZE + 64];
	int ret = 1;

	if (!t->has_batch)
		return 0;
	if (t->nparts > KS_ARRAY_SIZE(offs_stack)) {
		offs = malloc(t->nparts * sizeof(*offs));
		if (!offs) {
			task_fail(t, "out of memory");
			return -1;
		}
	}
	if (put_pending(t) < 0) {
		ret = -1;
		goto out;
	}
	for (;;) {
		ks_commit_result_t res;
		size_t n;
		int64_t t0;

		/* the records this batch sends to the DLQ are acknowledged before
		 * the commit that moves the offsets past them */
		if (ks_dlq_pending(t->dlq)) {
			uint64_t before = ks_dlq_produced(t->dlq);
			ks_err_t derr = ks_dlq_flush(t->dlq, DLQ_FLUSH_MS, &t->stop, errstr,
			                             sizeof(errstr));
			pthread_mutex_lock(&t->lock);
			t->m_dlq += ks_dlq_produced(t->dlq) - before;
			pthread_mutex_unlock(&t->lock);
			if (derr != KS_OK) {
				pthread_mutex_lock(&t->lock);
				t->m_retries++;
				pthread_mutex_unlock(&t->lock);
				snprintf(msg, sizeof(msg), "retrying (dead letter queue) after: %s",
				         errstr);
				set_msg(t, msg);
				KS_WARN(t->ctx, "%s", msg);
				if (once ||
				    retry_wait(t, &retry, "writing the dead letter queue",
				               errstr) ||
				    t->batch_gen != gen)
					goto out;
				continue;
			}
		}
		n = batch_offsets(t, offs);
		t0 = ks_now_us();
		memset(&res, 0, sizeof(res));
		t->plugin->commit(t->st, offs, n, &res);
		if (res.err == KS_OK) {
			int64_t us = ks_now_us() - t0;
			kafka_commit(t, offs, n);
			pthread_mutex_lock(&t->lock);
			t->m_written += t->nrecs;
			t->m_batches++;
			t->m_commits++;
			t->m_commit_us += (uint64_t)us;
			free(t->msg);
			t->msg = NULL;
			pthread_mutex_unlock(&t->lock);
			KS_DEBUG(t->ctx, "committed %zu records over %zu partitions in %lld us",
			         t->nrecs, n, (long long)us);
			batch_reset(t);
			if (!t->paused_applied)
				resume_all(t);
			ret = 0;
			goto out;
		}
		if (res.err == KS_ERR_RECORD && res.bad_index < t->nrecs) {
			const ks_record_t *r = t->recs[res.bad_index];
			size_t nbad = 1 + res.nmore;
			if (!t->tolerance_all) {
				task_fail(
				        t,
				        "Tolerance exceeded in error handler: record %s[%d]@%lld: "
				        "%s",
				        r->topic, (int)r->partition, (long long)r->offset,
				        res.errstr);
				ret = -1;
				goto out;
			}
			/* every record the connector pinned in this pass, then one
			 * DLQ flush before the next commit (not one per record) */
			for (size_t k = 1; k < nbad; k++)
				if (res.more[k - 1].index >= t->nrecs ||
				    res.more[k - 1].index <=
				            (k > 1 ? res.more[k - 2].index : res.bad_index)) {
					task_fail(t, "connector reported bad records out of order");
					ret = -1;
					goto out;
				}
			for (size_t k = 0; k < nbad; k++) {
				size_t i = k ? res.more[k - 1].index : res.bad_index;
				const char *exc = k ? res.more[k - 1].exception : res.exception;
				if (report_failed(t, t->recs[i], "TASK_PUT",
				                  t->plugin->task_class ? t->plugin->task_class
				                                        : t->plugin->class_name,
				                  exc[0] ? exc
				                         : "org.apache.kafka.connect.errors."
				                           "ConnectException",
				                  k ? res.more[k - 1].errstr : res.errstr)) {
					ret = -1;
					goto out;
				}
			}
			for (size_t k = nbad; k-- > 0;) {
				size_t i = k ? res.more[k - 1].index : res.bad_index;
				t->plugin->discard(t->st, i);
				memmove(&t->recs[i], &t->recs[i + 1],
				        (t->nrecs - i - 1) * sizeof(t->recs[0]));
				t->nrecs--;
			}
			t->nput = t->nrecs;
			continue;
		}
		if (res.err == KS_ERR_RETRIABLE) {
			pthread_mutex_lock(&t->lock);
			t->m_retries++;
			pthread_mutex_unlock(&t->lock);
			snprintf(msg, sizeof(msg), "retrying (%s) after: %s",
			         res.code[0] ? res.code : "retriable", res.errstr);
			set_msg(t, msg);
			KS_WARN(t->ctx, "commit failed, retrying in %lld ms: %s",
			        (long long)retry.backoff, res.errstr);
			if (once || retry_wait(t, &retry, "writing the batch", res.errstr) ||
			    t->batch_gen != gen)
				goto out; /* stop, failed, or a revoke dropped / wrote the batch */
			continue;
		}
		task_fail(t, "commit failed (%s): %s", ks_err_name(res.err), res.errstr);
		ret = -1;
		goto out;
	}
out:
	if (offs != offs_stack)
		free(offs);
	return ret;
}

/* Drops the staged records of every assigned partition (connector close). */
static void close_all(ks_task_t *t)
{
	ks_tp_offset_t *offs;
	if (!t->nparts || !t->st)
		return;
	offs = calloc(t->nparts, sizeof(*offs));
	if (!offs)
		return;
	for (size_t i = 0; i < t->nparts; i++) {
		offs[i].topic = t->parts[i].topic;
		offs[i].partition = t->parts[i].partition;
		offs[i].offset = t->parts[i].position;
	}
	t->plugin->close(t->st, offs, t->nparts);
	free(offs);
}

static void clear_parts(ks_task_t *t)
{
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->nparts; i++)
		free(t->parts[i].topic);
	free(t->parts);
	t->parts = NULL;
	t->nparts = 0;
	pthread_mutex_unlock(&t->lock);
	t->partitions_paused = 0;
}

static void on_assign(ks_task_t *t, rd_kafka_topic_partition_list_t *parts)
{
	ks_tp_offset_t *in = calloc((size_t)parts->cnt + 1, sizeof(*in)), *out = NULL;
	part_t *np = calloc((size_t)parts->cnt + 1, sizeof(*np));
	char errstr[KS_ERRSTR_SIZE];
	ks_err_t err = KS_OK;

	if (!in || !np) {
		free(in);
		free(np);
		task_fail(t, "out of memory on assign");
		rd_kafka_assign(t->rk, parts);
		return;
	}
	for (int i = 0; i < parts->cnt; i++) {
		in[i].topic = parts->elems[i].topic;
		in[i].partition = parts->elems[i].partition;
		in[i].offset = -1;
	}
	t->open_pending = 0;
	if (t->st && !t->failed) {
		err = t->plugin->open(t->st, in, (size_t)parts->cnt, &out, errstr, sizeof(errstr));
		if (err == KS_ERR_RETRIABLE) {
			/* e.g. the database is down: assign paused, the loop retries
			 * open() and seeks to its offsets once it answers */
			KS_WARN(t->ctx, "open: %s (retrying)", errstr);
			set_msg(t, errstr);
			t->open_pending = 1;
			out = NULL;
		} else if (err != KS_OK) {
			task_fail(t, "open failed (%s): %s", ks_err_name(err), errstr);
			ks_tp_offsets_free(out, out ? (size_t)parts->cnt : 0);
			out = NULL;
		}
	}
	/* Where the group left off, for partitions the connector has no offset
	 * for: we want our own position for every partition (see resume_all). */
	rd_kafka_topic_partition_list_t *committed = rd_kafka_topic_partition_list_copy(parts);
	if (rd_kafka_committed(t->rk, committed, 10000))
		KS_WARN(t->ctx, "could not read the group's committed offsets");
	pthread_mutex_lock(&t->lock);
	for (int i = 0; i < parts->cnt; i++) {
		rd_kafka_topic_partition_t *p = &parts->elems[i];
		int64_t off = -1;
		if (out)
			for (int j = 0; j < parts->cnt; j++)
				if (out[j].topic && out[j].partition == p->partition &&
				    !strcmp(out[j].topic, p->topic))
					off = out[j].offset;
		if (off < 0 && committed->elems[i].offset >= 0 && !committed->elems[i].err)
			off = committed->elems[i].offset;
		p->offset = off >= 0 ? off : RD_KAFKA_OFFSET_INVALID;
		np[i].topic = ks_strdup(p->topic);
		np[i].partition = p->partition;
		np[i].position = off;
		np[i].batch_next = -1;
		np[i].committed = off;
		np[i].hwm = -1;
		np[i].kicked = -1;
		np[i].lo_asked = -1;
	}
	t->parts = np;
	t->nparts = (size_t)parts->cnt;
	pthread_mutex_unlock(&t->lock);
	rd_kafka_topic_partition_list_destroy(committed);
	ks_tp_offsets_free(out, out ? (size_t)parts->cnt : 0);
	free(in);
	for (int i = 0; i < parts->cnt; i++) {
		if (parts->elems[i].offset >= 0)
			KS_INFO(t->ctx, "assigned %s[%d] from offset %lld", parts->elems[i].topic,
			        (int)parts->elems[i].partition, (long long)parts->elems[i].offset);
		else
			KS_INFO(t->ctx, "assigned %s[%d] from the group's committed offset",
			        parts->elems[i].topic, (int)parts->elems[i].partition);
	}
	if (rd_kafka_assign(t->rk, parts))
		KS_ERROR(t->ctx, "assign failed");
	if (t->paused_applied || t->failed || t->open_pending) {
		rd_kafka_pause_partitions(t->rk, parts);
		t->partitions_paused = 1;
	} else {
		/* librdkafka keeps a partition paused across unassign and assign:
		 * one held paused when it was revoked (an outage's back-off) would
		 * never be fetched again */
		rd_kafka_resume_partitions(t->rk, parts);
	}
}

/*
 * Retries the open() that failed at assignment. 0 when it answered (the
 * positions now come from the connector's offsets and the partitions are
 * resumed there), 1 still retriable (errstr), -1 task failed.
 */
static int open_retry(ks_task_t *t, char *errstr, size_t errlen)
{
	ks_tp_offset_t *in = calloc(t->nparts + 1, sizeof(*in)), *out = NULL;
	ks_err_t err;

	if (!in) {
		task_fail(t, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < t->nparts; i++) {
		in[i].topic = t->parts[i].topic;
		in[i].partition = t->parts[i].partition;
		in[i].offset = -1;
	}
	err = t->plugin->open(t->st, in, t->nparts, &out, errstr, errlen);
	free(in);
	if (err == KS_ERR_RETRIABLE) {
		set_msg(t, errstr);
		return 1;
	}
	if (err != KS_OK) {
		task_fail(t, "open failed (%s): %s", ks_err_name(err), errstr);
		return -1;
	}
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; out && i < t->nparts; i++)
		if (out[i].offset >= 0) {
			t->parts[i].position = out[i].offset;
			t->parts[i].committed = out[i].offset;
			KS_INFO(t->ctx, "%s[%d] resumes from offset %lld", t->parts[i].topic,
			        (int)t->parts[i].partition, (long long)out[i].offset);
		}
	pthread_mutex_unlock(&t->lock);
	ks_tp_offsets_free(out, out ? t->nparts : 0);
	t->open_pending = 0;
	set_msg(t, NULL);
	if (!t->paused_applied)
		resume_all(t);
	return 0;
}

static void on_revoke(ks_task_t *t)
{
	if (t->has_batch && !t->failed && t->st) {
		if (deliver_batch(t, 1) != 0)
			KS_WARN(t->ctx, "revoke: dropping %zu unwritten records (re-read later)",
			        t->nrecs);
	}
	close_all(t);
	batch_reset(t);
	ks_dlq_clear(t->dlq); /* what the dropped batch queued is read again */
	t->open_pending = 0;
	rd_kafka_assign(t->rk, NULL);
	clear_parts(t);
	KS_INFO(t->ctx, "partitions revoked");
}

static void handle_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	ks_task_t *t = opaque;
	(void)rk;
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS)
		on_assign(t, parts);
	else
		on_revoke(t);
}

/* Adds one consumed message to the batch. 0 ok, -1 task failed, 1 retry
 * later (converter says retriable: message kept for the next call). */
static int add_message(ks_task_t *t, rd_kafka_message_t *rkm, part_t *p)
{
	char errstr[KS_ERRSTR_SIZE];
	ks_record_t *rec = ks_arena_calloc(t->arena, 1, sizeof(*rec));
	rd_kafka_headers_t *hdrs = NULL;
	rd_kafka_timestamp_type_t tstype;
	ks_err_t err;
	const char *which = "key";

	if (!rec)
		goto oom;
	rec->topic = p->topic;
	rec->partition = rkm->partition;
	rec->offset = rkm->offset;
	rec->timestamp = rd_kafka_message_timestamp(rkm, &tstype);
	if (rkm->key) {
		if (!(rec->raw_key = ks_arena_memdup(t->arena, rkm->key, rkm->key_len)))
			goto oom;
		rec->raw_key_len = rkm->key_len;
	}
	if (rkm->payload) {
		if (!(rec->raw_value = ks_arena_memdup(t->arena, rkm->payload, rkm->len)))
			goto oom;
		rec->raw_value_len = rkm->len;
	}
	/* librdkafka parses headers lazily and allocates even for none (a fifth
	 * of the task's instructions): only the DLQ and transforms read them */
	if ((t->dlq || ks_transform_chain_size(t->chain)) &&
	    !rd_kafka_message_headers(rkm, &hdrs) && hdrs) {
		size_t n = rd_kafka_header_cnt(hdrs);
		rec->headers = n ? ks_arena_calloc(t->arena, n, sizeof(ks_header_t)) : NULL;
		if (n && !rec->headers)
			goto oom;
		for (size_t i = 0; i < n; i++) {
			const char *name;
			const void *val;
			size_t sz;
			if (rd_kafka_header_get_all(hdrs, i, &name, &val, &sz))
				break;
			rec->headers[i].key = ks_arena_strdup(t->arena, name);
			rec->headers[i].value = val ? ks_arena_memdup(t->arena, val, sz) : NULL;
			rec->headers[i].len = sz;
			rec->nheaders++;
		}
	}
	err = ks_converter_to_connect(t->kconv, p->topic, rec->raw_key, rec->raw_key_len, t->arena,
	                              &rec->key_schema, &rec->key, errstr, sizeof(errstr));
	if (err == KS_OK) {
		which = "value";
		err = ks_converter_to_connect(t->vconv, p->topic, rec->raw_value,
		                              rec->raw_value_len, t->arena, &rec->value_schema,
		                              &rec->value, errstr, sizeof(errstr));
	}
	if (err == KS_ERR_RETRIABLE) {
		KS_WARN(t->ctx, "converting %s of %s[%d]@%lld: %s (retrying)", which, p->topic,
		        (int)rkm->partition, (long long)rkm->offset, errstr);
		set_msg(t, errstr);
		return 1;
	}
	pthread_mutex_lock(&t->lock);
	t->m_read++;
	pthread_mutex_unlock(&t->lock);
	if (!p->seen) {
		ks_conn_shared_topic(t->shared, p->topic);
		p->seen = 1;
	}
	p->position = rkm->offset + 1;
	p->batch_next = rkm->offset + 1;
	t->has_batch = 1;
	if (err != KS_OK) {
		if (!t->tolerance_all) {
			task_fail(t,
			          "Tolerance exceeded in error handler: converting %s of "
			          "%s[%d]@%lld: %s",
			          which, p->topic, (int)rkm->partition, (long long)rkm->offset,
			          errstr);
			return -1;
		}
		return report_failed(t, rec, *which == 'k' ? "KEY_CONVERTER" : "VALUE_CONVERTER",
		                     *which == 'k' ? t->kconv_class : t->vconv_class,
		                     "org.apache.kafka.connect.errors.DataException", errstr);
	}
	if (ks_transform_chain_size(t->chain)) {
		/* SMTs: a filtered record is consumed (offset advances) but not written;
		 * a record a transform cannot handle is a TRANSFORMATION error */
		const char *tclass = NULL;
		int drop = 0;
		err = ks_transform_apply(t->chain, rec, t->arena, &drop, &tclass, errstr,
		                         sizeof(errstr));
		if (err == KS_ERR_FATAL)
			goto oom;
		if (err != KS_OK) {
			if (!t->tolerance_all) {
				task_fail(t,
				          "Tolerance exceeded in error handler: "
				          "transforming %s[%d]@%lld with %s: %s",
				          p->topic, (int)rkm->partition, (long long)rkm->offset,
				          tclass, errstr);
				return -1;
			}
			return report_failed(t, rec, "TRANSFORMATION", tclass,
			                     "org.apache.kafka.connect.errors.DataException",
			                     errstr);
		}
		if (drop)
			return 0;
	}
	if (t->nrecs == t->caprecs) {
		size_t cap = t->caprecs ? t->caprecs * 2 : 1024;
		ks_record_t **n = realloc(t->recs, cap * sizeof(*n));
		if (!n)
			goto oom;
		t->recs = n;
		t->caprecs = cap;
	}
	t->recs[t->nrecs++] = rec;
	return 0;
oom:
	task_fail(t, "out of memory building a batch");
	return -1;
}

/* Applies a pause/resume request: flush first, then pause or resume. */
static void apply_pause(ks_task_t *t)
{
	int want = atomic_load(&t->paused_req);
	if (want == t->paused_applied)
		return;
	if (want) {
		if (deliver_batch(t, 0) < 0)
			return;
		pause_all(t);
		t->paused_applied = 1;
		set_state(t, KS_STATE_PAUSED);
		KS_INFO(t->ctx, "paused");
	} else {
		t->paused_applied = 0;
		resume_all(t);
		set_state(t, KS_STATE_RUNNING);
		KS_INFO(t->ctx, "resumed");
	}
}

/*
 * A record past the partition's position: offsets were skipped. Compaction,
 * transaction markers and aborted transactions do that, harmlessly. But when
 * the log now starts after our position (the low watermark, which librdkafka
 * caches from the Fetch response that brought this record), the fetch at our
 * position failed with OFFSET_OUT_OF_RANGE and librdkafka reset it
 * (auto.offset.reset) past records nobody read: retention deleted them while
 * the connector was stopped or lagging. Reported once per reset: WARN,
 * ksink_task_offsets_skipped_total and the task's status trace.
 */
static void check_gap(ks_task_t *t, part_t *p, int64_t offset)
{
	int64_t lo = -1, hi = -1, n = offset - p->position;
	uint64_t total;
	char msg[KS_ERRSTR_SIZE];

	if (rd_kafka_get_watermark_offsets(t->rk, p->topic, p->partition, &lo, &hi) || lo < 0) {
		/* a broker without LogStartOffset in Fetch (< v5): ask it, once
		 * per position (a compacted topic has many gaps) */
		if (p->lo_asked == p->position ||
		    rd_kafka_query_watermark_offsets(t->rk, p->topic, p->partition, &lo, &hi, 2000))
			return;
		p->lo_asked = p->position;
	}
	if (lo <= p->position)
		return;
	pthread_mutex_lock(&t->lock);
	t->m_lost += (uint64_t)n;
	total = t->m_lost;
	pthread_mutex_unlock(&t->lock);
	snprintf(msg, sizeof(msg),
	         "records lost to retention: skipped %lld offsets of %s[%d] (%lld..%lld): the log "
	         "starts at %lld, they were deleted before they were read (auto.offset.reset=%s)",
	         (long long)n, p->topic, (int)p->partition, (long long)p->position,
	         (long long)offset - 1, (long long)lo, t->reset_earliest ? "earliest" : "latest");
	KS_WARN(t->ctx, "%s", msg);
	if (total > (uint64_t)n)
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
		         "; %llu offsets in all since the task started", (unsigned long long)total);
	pthread_mutex_lock(&t->lock);
	free(t->lost_msg);
	t->lost_msg = ks_strdup(msg);
	pthread_mutex_unlock(&t->lock);
}

/* One message from poll: error, duplicate filter, add to batch. Returns -1
 * when the task failed. */
static int handle_message(ks_task_t *t, rd_kafka_message_t *rkm)
{
	part_t *p;
	uint64_t gen;
	int rc;
	retry_t retry = RETRY_INIT;

	if (rkm->err) {
		if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			char msg[KS_ERRSTR_SIZE];
			KS_WARN(t->ctx, "consumer: %s", rd_kafka_message_errstr(rkm));
			/* shown in the status until the cluster answers again */
			snprintf(msg, sizeof(msg), "waiting for Kafka: %s",
			         rd_kafka_message_errstr(rkm));
			set_msg(t, msg);
			t->kafka_down_since = ks_now_ms();
		}
		if (rd_kafka_fatal_error(t->rk, NULL, 0)) {
			task_fail(t, "fatal consumer error: %s", rd_kafka_message_errstr(rkm));
			return -1;
		}
		return 0;
	}
	p = find_part(t, rd_kafka_topic_name(rkm->rkt), rkm->partition);
	if (!p || (p->position >= 0 && rkm->offset < p->position))
		return 0; /* not ours any more, or a re-delivery after a seek */
	if (p->position >= 0 && rkm->offset > p->position)
		check_gap(t, p, rkm->offset);
	gen = t->batch_gen;
	while ((rc = add_message(t, rkm, p)) == 1) {
		/* registry outage: keep the batch, hold the partitions, retry */
		int stop;
		pthread_mutex_lock(&t->lock);
		t->m_retries++;
		pthread_mutex_unlock(&t->lock);
		stop = retry_wait(t, &retry, "converting a record", t->msg ? t->msg : "");
		t->need_seek = 1;
		if (stop)
			return -1;
		/* revoked meanwhile (the rebalance is served while we wait): p is
		 * freed, and the record is read again from where its partition
		 * now starts, by us or by its new owner */
		if (t->batch_gen != gen)
			return 0;
	}
	if (t->need_seek && !t->paused_applied)
		resume_all(t);
	return rc;
}

/* librdkafka's client errors (a broker down, all brokers down, transport)
 * never come out of consumer_poll as messages: without this callback they
 * were only logged by librdkafka. It retries by itself; the status shows
 * why the task waits, as for consumer errors, until kafka_probe() sees the
 * cluster answer again. Task thread (served by consumer poll). */
static void on_kafka_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	ks_task_t *t = opaque;
	char msg[KS_ERRSTR_SIZE];

	(void)rk;
	KS_WARN(t->ctx, "Kafka: %s: %s", rd_kafka_err2name(err), reason);
	snprintf(msg, sizeof(msg), "waiting for Kafka: %s", reason);
	set_msg(t, msg);
	t->kafka_down_since = ks_now_ms();
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

static int setup(ks_task_t *t, char *errstr, size_t errlen)
{
	const char *cls;
	ks_props_t *cp = NULL;
	rd_kafka_conf_t *conf;
	const char *v;
	char kerr[512];

	v = ks_props_get(t->config, "errors.tolerance");
	t->tolerance_all = v && ks_strcaseeq(v, "all");
	v = ks_props_get(t->config, "errors.log.enable");
	t->log_errors = v && ks_strcaseeq(v, "true");
	v = ks_props_get(t->config, "errors.log.include.messages");
	t->log_messages = v && ks_strcaseeq(v, "true");
	v = ks_props_get(t->config, "errors.retry.timeout");
	t->retry_timeout_ms = v ? strtoll(v, NULL, 10) : 0;
	v = ks_props_get(t->config, "errors.retry.delay.max.ms");
	t->retry_delay_max_ms = v ? strtoll(v, NULL, 10) : BACKOFF_MAX_MS;
	if (t->retry_delay_max_ms < BACKOFF_MIN_MS)
		t->retry_delay_max_ms = BACKOFF_MIN_MS;
	if (ks_worker_converter_props(t->wc, t->config, "key.converter", &cls, &cp))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	t->kconv_class = ks_strdup(cls ? cls : "");
	t->kconv = ks_converter_new(cls, cp, 1, errstr, errlen);
	ks_props_destroy(cp);
	if (!t->kconv)
		return -1;
	if (ks_worker_converter_props(t->wc, t->config, "value.converter", &cls, &cp))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	t->vconv_class = ks_strdup(cls ? cls : "");
	t->vconv = ks_converter_new(cls, cp, 0, errstr, errlen);
	ks_props_destroy(cp);
	if (!t->vconv)
		return -1;
	if (!t->kconv_class || !t->vconv_class)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	if (!(t->chain = ks_transform_chain_new(t->config, errstr, errlen)))
		return -1;
	errstr[0] = '\0';
	if (t->tolerance_all) { /* with none the first error fails the task: no DLQ */
		t->dlq = ks_dlq_new(t->wc, t->config, t->connector, t->id, errstr, errlen);
		if (!t->dlq && errstr[0])
			return -1;
	}

	cp = ks_worker_consumer_props(t->wc, t->config, t->connector, t->id);
	if (!cp)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	/* records per transaction: in Connect one poll (max.poll.records) is
	 * one transaction and batch.size only cuts it into statements; we take
	 * the larger of the two (bigger transactions are cheaper per row) */
	t->batch_max = 0;
	if ((v = ks_props_get(t->config, "batch.size")))
		t->batch_max = (size_t)strtoull(v, NULL, 10);
	if ((v = ks_props_get(cp, "max.poll.records")) &&
	    (size_t)strtoull(v, NULL, 10) > t->batch_max)
		t->batch_max = (size_t)strtoull(v, NULL, 10);
	if (!t->batch_max)
		t->batch_max = 3000;
	v = ks_props_get(cp, "queued.min.messages");
	t->q_min = v ? strtoll(v, NULL, 10) : 100000;
	v = ks_props_get(cp, "queued.max.messages.kbytes");
	t->q_bytes = (v ? strtoll(v, NULL, 10) : 65536) * 1024;
	v = ks_props_get(cp, "auto.offset.reset");
	t->reset_earliest = !v || ks_strcaseeq(v, "earliest") || ks_strcaseeq(v, "smallest") ||
	                    ks_strcaseeq(v, "beginning");
	conf = ks_worker_kafka_conf(cp, t->ctx, "consumer", errstr, errlen);
	ks_props_destroy(cp);
	if (!conf)
		return -1;
	rd_kafka_conf_set_opaque(conf, t);
	rd_kafka_conf_set_rebalance_cb(conf, handle_rebalance);
	rd_kafka_conf_set_error_cb(conf, on_kafka_error);
	t->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof(kerr));
	if (!t->rk) {
		rd_kafka_conf_destroy(conf);
		return ks_seterr(errstr, errlen, -1, "consumer: %s", kerr);
	}
	rd_kafka_poll_set_consumer(t->rk);
	t->cq = rd_kafka_queue_get_consumer(t->rk);

	t->st = t->plugin->task_new(t->config, t->connector, t->id, errstr, errlen);
	if (!t->st)
		return -1;
	return subscribe(t, errstr, errlen);
}

/*
 * librdkafka 2.0.2 stops fetching once the consumer queue holds
 * queued.min.messages (or queued.max.messages.kbytes) and only looks again
 * when its broker thread next wakes up, up to a second later, even when the
 * queue has long been drained (fixed in 2.2 by fetch.queue.backoff.ms). So
 * a small prefetch queue, which keeps the memory bounded, would stall the
 * task for most of every second. Every 64 records note_queue() checks
 * whether the queue came near a threshold (then the fetcher has parked);
 * when a poll then finds the queue empty, kick_fetcher() seeks each
 * partition whose last known high watermark is past our position to that
 * position (nothing is queued, so nothing is lost or repeated), which
 * restarts its fetcher at once. Without the threshold sign nothing is done:
 * an empty queue may just mean a fetch is on its way.
 */
static void note_queue(ks_task_t *t)
{
	int64_t len = t->cq ? rd_kafka_queue_length(t->cq) : 0;
	int64_t avg = t->seen_msgs ? (int64_t)(t->seen_bytes / t->seen_msgs) : 0;

	if (len * 4 >= t->q_min * 3 || len * avg * 4 >= t->q_bytes * 3)
		t->fetch_parked = 1;
}

static void kick_fetcher(ks_task_t *t)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_error_t *err;

	if (!t->fetch_parked || t->partitions_paused || t->paused_applied || !t->nparts)
		return;
	t->fetch_parked = 0;
	l = rd_kafka_topic_partition_list_new((int)t->nparts);
	for (size_t i = 0; i < t->nparts; i++) {
		part_t *p = &t->parts[i];
		int64_t lo, hi;
		/* once per position: a log that ends in transaction markers
		 * keeps the watermark past the last record for good */
		if (p->position < 0 || p->position == p->kicked ||
		    rd_kafka_get_watermark_offsets(t->rk, p->topic, p->partition, &lo, &hi) ||
		    hi <= p->position)
			continue;
		p->kicked = p->position;
		rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = p->position;
	}
	if (l->cnt)
		KS_DEBUG(t->ctx, "queue drained: restarting the fetch of %d partitions", l->cnt);
	if (l->cnt && (err = rd_kafka_seek_partitions(t->rk, l, 0))) /* async */
		rd_kafka_error_destroy(err);
	rd_kafka_topic_partition_list_destroy(l);
}

/* While a consumer error is shown in the status, asks the cluster for its
 * brokers about once a second; an answer clears the message. */
static void kafka_probe(ks_task_t *t)
{
	const struct rd_kafka_metadata *md = NULL;
	int64_t now = ks_now_ms();

	if (now - t->kafka_checked < 1000)
		return;
	t->kafka_checked = now;
	if (rd_kafka_metadata(t->rk, 0, NULL, &md, 1000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
		rd_kafka_metadata_destroy(md);
		KS_INFO(t->ctx, "Kafka answers again after %lld ms",
		        (long long)(now - t->kafka_down_since));
		t->kafka_down_since = 0;
		set_msg(t, NULL);
	}
}

static void run_loop(ks_task_t *t)
{
	int64_t first_ms = 0;
	retry_t open_wait = RETRY_INIT;

	while (!atomic_load(&t->stop) && !t->failed) {
		rd_kafka_message_t *rkm;
		int timeout;

		apply_pause(t);
		if (t->failed)
			break;
		if (t->paused_applied) {
			idle_poll(t, 100); /* sought back on resume */
			continue;
		}
		if (t->open_pending) {
			char errstr[KS_ERRSTR_SIZE];
			int rc = open_retry(t, errstr, sizeof(errstr));
			if (rc < 0)
				break;
			if (rc > 0) {
				if (retry_wait(t, &open_wait, "opening the assigned partitions",
				               errstr))
					break;
				continue;
			}
			open_wait = (retry_t)RETRY_INIT;
		}
		if (t->kafka_down_since)
			kafka_probe(t);
		/* what is queued first, without waiting: a poll that may wait
		 * reads the clock four times inside librdkafka (profile) */
		rkm = rd_kafka_consumer_poll(t->rk, 0);
		if (!rkm) {
			if (!t->has_batch)
				timeout = 100;
			else {
				int64_t left = first_ms + BATCH_LINGER_MS - ks_now_ms();
				timeout = left <= 0 ? 0 : left > 20 ? 20 : (int)left;
			}
			if (t->fetch_parked && timeout > 1)
				timeout = 1; /* an empty queue now means a parked fetcher */
			if (timeout)
				rkm = rd_kafka_consumer_poll(t->rk, timeout);
			if (!rkm)
				kick_fetcher(t);
		}
		if (rkm) {
			int was_empty = !t->has_batch;
			int rc;
			t->seen_bytes += rkm->len + rkm->key_len;
			if (!(++t->seen_msgs & 63))
				note_queue(t);
			rc = handle_message(t, rkm);
			rd_kafka_message_destroy(rkm);
			if (rc < 0)
				break;
			if (was_empty && t->has_batch)
				first_ms = ks_now_ms();
			if (t->nrecs - t->nput >= PUT_CHUNK && put_pending(t) < 0)
				break;
			/* the clock is read every 64 records (it showed in profiles) */
			if (t->has_batch && t->nrecs < t->batch_max &&
			    ks_arena_used(t->arena) < BATCH_MAX_BYTES &&
			    ((t->nrecs & 63) || ks_now_ms() - first_ms < BATCH_LINGER_MS))
				continue;
		}
		if (t->has_batch && deliver_batch(t, 0) < 0)
			break;
	}
	if (!t->failed && t->has_batch) /* finish the current batch once */
		(void)deliver_batch(t, 1);
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
		task_fail(t, "%s", errstr);
	}
	if (t->rk) {
		rd_kafka_consumer_close(t->rk); /* revoke: last commit or close */
		if (t->cq)
			rd_kafka_queue_destroy(t->cq);
		rd_kafka_destroy(t->rk);
		t->rk = NULL;
	}
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
	ks_arena_destroy(t->arena);
	free(t->recs);
	clear_parts(t);
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
	t->arena = ks_arena_new(0);
	t->shared = shared;
	ks_conn_shared_ref(shared);
	t->state = KS_STATE_UNASSIGNED;
	snprintf(t->ctx, sizeof(t->ctx), "task|%s-%d", connector, task_id);
	if (!t->connector || !t->config || !t->arena) {
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
	ks_arena_destroy(t->arena);
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

void ks_task_metrics(ks_task_t *t, ks_buf_t *out)
{
	static const char *const names[] = {
	        "ksink_task_records_read_total",   "ksink_task_records_written_total",
	        "ksink_task_records_failed_total", "ksink_task_batches_total",
	        "ksink_task_commit_retries_total", "ksink_task_commit_seconds_sum",
	        "ksink_task_commit_seconds_count", "ksink_task_dlq_records_total",
	        "ksink_task_offsets_skipped_total"};
	uint64_t v[9];

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
	for (size_t i = 0; i < KS_ARRAY_SIZE(names); i++) {
		ks_buf_printf(out, "%s{connector=\"", names[i]);
		put_label(out, t->connector);
		if (i == 5)
			ks_buf_printf(out, "\",task=\"%d\"} %.6f\n", t->id, (double)v[i] / 1e6);
		else
			ks_buf_printf(out, "\",task=\"%d\"} %llu\n", t->id,
			              (unsigned long long)v[i]);
	}
	for (size_t i = 0; i < t->nparts; i++) {
		const part_t *p = &t->parts[i];
		int64_t lag;
		if (p->hwm < 0 || p->committed < 0)
			continue;
		lag = p->hwm - p->committed;
		ks_buf_puts(out, "ksink_partition_lag{connector=\"");
		put_label(out, t->connector);
		ks_buf_printf(out, "\",task=\"%d\",topic=\"", t->id);
		put_label(out, p->topic);
		ks_buf_printf(out, "\",partition=\"%d\"} %lld\n", (int)p->partition,
		              (long long)(lag < 0 ? 0 : lag));
	}
	pthread_mutex_unlock(&t->lock);
}
