/*
 * task_int.h — the inside of one sink task, shared by the four files that
 * run it (not for the rest of the worker, which sees worker.h only):
 *
 *   task.c      the task thread: settings, set-up, the loop, status, metrics
 *   consumer.c  the librdkafka consumer: assignment and rebalances (open /
 *               close of the connector's partitions), pause / resume / seek,
 *               the Kafka offset mirror, the prefetch-queue kick, outages
 *   pipeline.c  the record pipeline: convert -> transform -> tolerance into
 *               the batch, then put -> (DLQ) -> commit of the batch
 *   hold.c      records not due yet (ksink.apply.delay.ms / .until) held in
 *               Kafka, their partition paused; watermarks and lag
 *
 * Everything here runs on the task thread unless a field says "(lock)":
 * those are also read by REST threads (status, metrics) under t->lock.
 */
#ifndef KS_TASK_INT_H
#define KS_TASK_INT_H

#include "worker.h"

#include "../lib/arena.h"
#include "../schemas/converter.h"
#include "../transforms/transform.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>

#define PUT_CHUNK      1000 /* records handed to put() at once without batch.size */
#define BACKOFF_MIN_MS 100  /* first back-off; also the floor of errors.retry.delay.max.ms */
#define DLQ_FLUSH_MS   30000
#define LAG_REFRESH_MS 2000 /* watermark queries for ksink_partition_lag (hold.c) */

/* The task's settings from the connector config, parsed once against the
 * config tables (connectors/common.c: errors.*; the connector's own table:
 * batch.size) so that defaults and ranges live in one place. */
typedef struct ks_task_settings {
	int tolerance_all;          /* errors.tolerance=all */
	int log_errors;             /* errors.log.enable */
	int log_messages;           /* errors.log.include.messages */
	int64_t retry_timeout_ms;   /* errors.retry.timeout; <= 0: wait forever */
	int64_t retry_delay_max_ms; /* errors.retry.delay.max.ms (>= BACKOFF_MIN_MS) */
	size_t put_chunk;           /* records per put(): batch.size when set, else PUT_CHUNK */
	/* a transaction (the batch) commits when the consumer has nothing more
	 * queued, or at the first of these bounds (ksink.transaction.max.*) */
	size_t tx_max_records;
	size_t tx_max_bytes;    /* the batch arena: records read, raw and decoded */
	int64_t tx_max_ms;      /* since the batch's first record */
	int64_t apply_delay_ms; /* ksink.apply.delay.ms; 0 none (hold.c) */
	int64_t apply_until_ms; /* ksink.apply.until as epoch ms; -1 none (hold.c) */
} ks_task_settings_t;

/* Parses config against ks_connector_common_defs plus plugin_defs (may be
 * NULL). 0 ok; -1 with errstr naming the keys when a value is invalid. */
int ks_task_settings_parse(const ks_props_t *config, const ks_cfg_def_t *plugin_defs,
                           ks_task_settings_t *s, char *errstr, size_t errlen) KS_WUR;

typedef struct part {
	char *topic;
	int32_t partition;
	int64_t position;   /* next offset to read; -1 unknown */
	int64_t batch_next; /* last offset in the current batch + 1; -1 none */
	int64_t other_next; /* the same for the other batch (pipeline.c, overlap) */
	int64_t committed;  /* last committed next offset; -1 none */
	int64_t hwm;        /* high watermark seen; -1 unknown */
	int64_t kicked;     /* position at the last ks_consumer_kick() seek */
	int64_t lo_asked;   /* position at the last watermark query (check_gap) */
	int seen;           /* reported to the active topics */
	int fenced;         /* another task claimed it (KS_ERR_FENCED): ignored until
			       revoked and assigned again */
	/* hold.c (lock for writes): a held partition is paused at its head
	 * record (position), which is read again from Kafka when it is due */
	int64_t hold_due; /* wall ms the head record is due; INT64_MAX apply.until; 0 not held */
	int64_t hold_ts;  /* the held record's timestamp */
	int64_t head_ts;  /* timestamp of the oldest record read and not committed; -1 */
	int64_t lwm;      /* low watermark from the last query; -1 unknown */
} part_t;

/* A batch of records read from Kafka (task thread only). */
typedef struct batch {
	ks_arena_t *arena; /* the records' memory: raw and decoded */
	ks_record_t **recs;
	size_t nrecs, caprecs;
	size_t nput;   /* recs[0, nput) were handed to put() */
	int has_batch; /* records or skipped offsets pending */
} batch_t;

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
	ks_task_settings_t set;

	/* status (lock) */
	ks_state_t state;
	char *trace;
	char *msg; /* retry message while RUNNING */

	/* metrics (lock) */
	uint64_t m_read, m_written, m_skipped, m_batches, m_commits, m_commit_us, m_retries, m_dlq;
	uint64_t m_lost;       /* offsets skipped: deleted by retention before they were read */
	uint64_t m_fenced;     /* partitions dropped because another task claimed them */
	uint64_t m_overlapped; /* records read while a commit was in flight */
	char *lost_msg;        /* the last such report, shown in a RUNNING task's trace */

	/* task thread only */
	rd_kafka_t *rk;
	ks_sink_task_t *st;
	ks_errant_reporter_t reporter; /* handed to st (pipeline.c) */
	ks_converter_t *kconv, *vconv;
	ks_transform_chain_t *chain; /* transforms / predicates (may be empty) */
	batch_t cur;                 /* the batch being read (and put) */
	/* The open transaction's row bound (slow start): put_chunk at the
	 * task's start, doubled each time a transaction fills it, up to
	 * tx_max_records, so the first rows are visible soon after start
	 * and a backlog still reaches full-size transactions within a few. */
	size_t tx_cap;
	uint64_t batch_gen;
	/* The overlap (pipeline.c): while the connector finishes a commit
	 * (commit_send .. commit_wait, in_flight) that batch is the other
	 * one, and cur fills the next. The other one is also where the next
	 * waits while a failed commit in flight is retried. Its arena is
	 * created at the first overlap. */
	batch_t other;
	int in_flight;
	int64_t flight_us;    /* ks_now_us() of the commit_send */
	ks_tp_offset_t *offs; /* the commit's offsets (valid while in flight) */
	size_t capoffs;
	part_t *parts; /* assigned partitions (lock for writes) */
	size_t nparts;
	int paused_applied;
	int partitions_paused;
	int need_seek;
	int failed;
	ks_dlq_t *dlq; /* NULL without errors.deadletterqueue.topic.name */
	char *kconv_class, *vconv_class;
	int open_pending;         /* assigned, but open() has not answered yet: paused */
	int64_t kafka_down_since; /* a consumer error is shown in the status; 0 none */
	int64_t kafka_checked;    /* last probe of the cluster while kafka_down_since */
	int reset_earliest;       /* auto.offset.reset is earliest */
	/* prefetch queue watch (ks_consumer_kick) */
	rd_kafka_queue_t *cq;
	int64_t q_min, q_bytes; /* queued.min.messages, queued.max.messages.kbytes */
	uint64_t seen_msgs, seen_bytes;
	int fetch_parked; /* the queue got full enough to park the fetcher */
	/* hold.c */
	size_t nheld;         /* partitions held (lock) */
	int64_t wm_refreshed; /* ks_now_ms() of the last watermark refresh */
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

/* ---------------- task.c ---------------- */

/* Marks the task FAILED with a Connect-like trace (t->failed set). */
void ks_task_fail(ks_task_t *t, const char *fmt, ...) KS_PRINTF(2, 3);
/* The retry message shown in a RUNNING task's status (NULL clears it). */
void ks_task_set_msg(ks_task_t *t, const char *msg);
/* Waits out one failed attempt during an outage: partitions held, group
 * membership kept, back-off doubled up to the cap. KS_OK to try again;
 * KS_ERR_FATAL when the task must not: stop requested, task failed, or the
 * outage outlasted errors.retry.timeout (then the task is FAILED naming what). */
ks_err_t ks_task_retry_wait(ks_task_t *t, retry_t *r, const char *what, const char *errstr);

/* ---------------- consumer.c ---------------- */

/* Creates t->rk from the worker's and connector's consumer settings, with
 * the rebalance and error callbacks on t. 0 ok, -1 errstr. */
int ks_consumer_new(ks_task_t *t, char *errstr, size_t errlen) KS_WUR;
/* Closes the consumer (its revoke writes or drops the batch) and frees it. */
void ks_consumer_destroy(ks_task_t *t);
part_t *ks_consumer_find_part(ks_task_t *t, const char *topic, int32_t partition);
void ks_consumer_pause(ks_task_t *t);
/* Resumes and seeks every partition back to our own position. */
void ks_consumer_resume(ks_task_t *t);
/* Polls for up to ms with the partitions paused (keeps the membership). */
void ks_consumer_idle_poll(ks_task_t *t, int ms);
/* Mirrors the connector's committed offsets to the group (not fatal). */
void ks_consumer_commit(ks_task_t *t, const ks_tp_offset_t *offs, size_t n);
/* Retries the open() that failed at assignment: KS_OK answered (partitions
 * resumed at the connector's offsets), KS_ERR_RETRIABLE still down (errstr),
 * KS_ERR_FATAL task failed. */
ks_err_t ks_consumer_open_retry(ks_task_t *t, char *errstr, size_t errlen);
/* Reports offsets skipped before offset (retention) once per reset. */
void ks_consumer_check_gap(ks_task_t *t, part_t *p, int64_t offset);
/* The prefetch-queue watch: note_queue every 64 records, kick on an empty poll. */
void ks_consumer_note_queue(ks_task_t *t);
void ks_consumer_kick(ks_task_t *t);
/* While Kafka is down: probes the cluster about once a second. */
void ks_consumer_probe(ks_task_t *t);
void ks_consumer_clear_parts(ks_task_t *t);

/* ---------------- hold.c ---------------- */

/* Decides whether the message may be applied now (ksink.apply.delay.ms,
 * ksink.apply.until): 0 yes; 1 no, its partition is now held at it (paused,
 * position = its offset; the message is read again when due). *ts is its
 * timestamp (-1 unknown, or not read: nothing to hold and the partition's
 * oldest unapplied timestamp already known). */
int ks_hold_check(ks_task_t *t, part_t *p, const rd_kafka_message_t *rkm, int64_t *ts);
/* Releases the held partitions that are due (seek back to the head record,
 * resume). Cheap when nothing is held. */
void ks_hold_tick(ks_task_t *t);
/* Every LAG_REFRESH_MS: asks the brokers for the watermarks of every
 * assigned partition (paused or not), for ksink_partition_lag. */
void ks_hold_refresh_lag(ks_task_t *t);
/* The status line of a task holding partitions (NULL when none); caller
 * frees. Under t->lock (REST thread). */
char *ks_hold_status_locked(ks_task_t *t);
/* The hold and lag lines of /metrics. Under t->lock (REST thread). */
void ks_hold_metrics_locked(ks_task_t *t, ks_buf_t *out);
/* One sample's name and labels, "NAME{connector="…",task="N"[,topic="…",
 * partition="N"]} " (values escaped as Prometheus wants); p NULL: per task.
 * task.c. */
void ks_task_series(const ks_task_t *t, ks_buf_t *out, const char *name, const part_t *p);

/* ---------------- pipeline.c ---------------- */

/* Forgets the batch (arena reset, partitions' batch_next cleared). */
void ks_pipeline_reset(ks_task_t *t);
/* Forgets both batches (a revoke): the current and the other one, which
 * must not be in flight. */
void ks_pipeline_forget(ks_task_t *t);
/* Ends the commit in flight (if any): waits for the connector, then what
 * ks_pipeline_deliver does with a commit's result (Kafka offsets, metrics;
 * retries, isolation, fencing of that batch while the next one waits).
 * KS_OK: that batch is written and the next one is the current batch
 * again; otherwise as ks_pipeline_deliver, and the next batch is dropped
 * (the task stops or fails, or a revoke forgot both). */
ks_err_t ks_pipeline_settle(ks_task_t *t, int once);
/* 1 when a commit is in flight and settling it will not block. */
int ks_pipeline_flight_ready(ks_task_t *t);
/* Adds one consumed message to the batch: convert key and value, transform,
 * errors.tolerance. KS_OK (added, filtered or skipped), KS_ERR_RETRIABLE
 * (converter outage: the message is kept for the next call), KS_ERR_FATAL
 * (task failed). */
ks_err_t ks_pipeline_add(ks_task_t *t, rd_kafka_message_t *rkm, part_t *p);
/* Fills t->reporter, the errant-record reporter task_new hands the
 * connector: errors.tolerance, log, DLQ for the records it cannot write. */
void ks_pipeline_reporter_init(ks_task_t *t);
/* Hands the records not yet put to the connector. KS_OK or KS_ERR_FATAL. */
ks_err_t ks_pipeline_put_pending(ks_task_t *t);
/* Writes the batch: settle the commit in flight, then put, DLQ, commit,
 * Kafka offsets; retriable errors are retried with back-off unless once.
 * KS_OK written, or (connectors with commit_send, !once) its commit in
 * flight while the next batch is read; KS_ERR_RETRIABLE not written but
 * the task goes on (once, stop, the batch dropped by a rebalance);
 * KS_ERR_FATAL the task failed. */
ks_err_t ks_pipeline_deliver(ks_task_t *t, int once);

#endif
