/*
 * pipeline.c — the record pipeline of a sink task, in the order data flows:
 *
 *   Kafka message -> record (raw bytes, headers, in the batch's arena)
 *     -> key / value converter -> transforms / predicates
 *     -> errors.tolerance: a bad record fails the task (none) or is logged,
 *        counted and queued for the dead letter queue (all)
 *     -> the batch: put() every batch.size records, then on delivery put()
 *        the rest -> DLQ flush -> connector commit(offsets: last + 1 per
 *        partition) -> the same offsets to Kafka -> arena reset
 *
 * A retriable commit error keeps the batch, pauses the partitions (the
 * consumer keeps polling, so group membership holds) and retries with an
 * exponential, capped back-off (ks_task_retry_wait). A record the
 * connector cannot write comes back through the errant-record reporter
 * (errant_report: errors.tolerance, log, DLQ) while commit() writes the
 * rest in the same call. A fenced
 * commit (another task claimed partitions of the batch: this one is a
 * zombie for them) drops those partitions' records and the partitions, and
 * commits the rest; it is neither retried nor a failure. Task thread.
 */
#include "task_int.h"

#include "../lib/grow.h"
#include "../lib/log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A record failed at stage with errors.tolerance=all: log it as configured
 * and queue it for the dead letter queue. Never silent: without a DLQ and
 * without errors.log.enable the skip is still logged as a warning. KS_OK,
 * or KS_ERR_FATAL when the task failed (out of memory).
 */
static ks_err_t report_failed(ks_task_t *t, const ks_record_t *r, const char *stage,
                              const char *class_name, const char *exception_class, const char *msg)
{
	if (r->src) /* as consumed, before transforms renamed its topic */
		r = r->src;
	if (t->set.log_errors) {
		char k[256] = "", v[256] = "";
		if (t->set.log_messages) {
			ks_log_escape(r->raw_key, r->raw_key_len, k, sizeof(k));
			ks_log_escape(r->raw_value, r->raw_value_len, v, sizeof(v));
		}
		KS_ERROR(t->ctx,
		         "Error encountered in task %s-%d. Executing stage '%s' with class '%s', "
		         "where consumed record is %s[%d]@%lld%s%s%s%s: %s: %s",
		         t->connector, t->id, stage, class_name, r->topic, (int)r->partition,
		         (long long)r->offset, t->set.log_messages ? " key=" : "", k,
		         t->set.log_messages ? " value=" : "", v, exception_class, msg);
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
			ks_task_fail(t,
			             "out of memory queueing a record for the dead letter queue");
			return KS_ERR_FATAL;
		}
	}
	pthread_mutex_lock(&t->lock);
	t->m_skipped++;
	pthread_mutex_unlock(&t->lock);
	return KS_OK;
}

/* Produces the queued DLQ records and waits for their acknowledgements
 * (counted in m_dlq). KS_OK or KS_ERR_RETRIABLE with errstr. */
static ks_err_t dlq_flush(ks_task_t *t, char *errstr, size_t errlen)
{
	uint64_t before = ks_dlq_produced(t->dlq);
	ks_err_t err = ks_dlq_flush(t->dlq, DLQ_FLUSH_MS, &t->stop, errstr, errlen);

	pthread_mutex_lock(&t->lock);
	t->m_dlq += ks_dlq_produced(t->dlq) - before;
	pthread_mutex_unlock(&t->lock);
	return err;
}

/* The errant-record reporter (connector.h): a record the connector could
 * not write is a TASK_PUT failure under errors.tolerance, as in Connect;
 * tolerated, it leaves the batch (the offsets still move past it). Called
 * by the connector inside commit(), task thread. */
static ks_err_t errant_report(ks_errant_reporter_t *rep, const ks_record_t *rec,
                              const char *exception, const char *msg)
{
	ks_task_t *t = rep->opaque;

	if (!t->set.tolerance_all) {
		ks_task_fail(t, "Tolerance exceeded in error handler: record %s[%d]@%lld: %s",
		             rec->topic, (int)rec->partition, (long long)rec->offset, msg);
		return KS_ERR_FATAL;
	}
	if (report_failed(t, rec, "TASK_PUT",
	                  t->plugin->task_class ? t->plugin->task_class : t->plugin->class_name,
	                  exception && exception[0]
	                          ? exception
	                          : "org.apache.kafka.connect.errors.ConnectException",
	                  msg))
		return KS_ERR_FATAL;
	for (size_t i = t->cur.nrecs; i-- > 0;)
		if (t->cur.recs[i] == rec) {
			memmove(&t->cur.recs[i], &t->cur.recs[i + 1],
			        (t->cur.nrecs - i - 1) * sizeof(t->cur.recs[0]));
			t->cur.nrecs--;
			if (i < t->cur.nput)
				t->cur.nput--;
			break;
		}
	return KS_OK;
}

/* The reported records reach the DLQ before the commit that moves the
 * offsets past them. */
static ks_err_t errant_flush(ks_errant_reporter_t *rep, char *errstr, size_t errlen)
{
	ks_task_t *t = rep->opaque;

	if (!ks_dlq_pending(t->dlq))
		return KS_OK;
	return dlq_flush(t, errstr, errlen) == KS_OK ? KS_OK : KS_ERR_RETRIABLE;
}

void ks_pipeline_reporter_init(ks_task_t *t)
{
	t->reporter.report = errant_report;
	t->reporter.flush = errant_flush;
	t->reporter.opaque = t;
}

/* Builds the commit offsets of the current batch (topics borrowed); offs
 * has room for every partition. */
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

/* Partitions fenced in this process (ks_task_fenced_total). */
static atomic_uint_fast64_t fenced_total;

uint64_t ks_task_fenced_total(void)
{
	return (uint64_t)atomic_load(&fenced_total);
}

/* KS_ERR_FENCED: the connector says another task owns these partitions
 * now. Their records leave the batch (and the connector: close), they are
 * paused and ignored until a rebalance assigns them again, and nothing of
 * them is committed to Kafka by this task. Returns how many partitions and
 * records it dropped (0: the connector's answer changed nothing). */
static size_t drop_fenced(ks_task_t *t, const ks_tp_offset_t *fenced, size_t nfenced)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)nfenced + 1);
	size_t k = 0, dropped = 0;

	for (size_t i = 0; i < nfenced; i++) {
		part_t *p = ks_consumer_find_part(t, fenced[i].topic, fenced[i].partition);
		KS_WARN(t->ctx,
		        "%s[%d] is fenced: another task claimed it; dropping its records of this "
		        "batch (its new owner writes them) and the partition",
		        fenced[i].topic, (int)fenced[i].partition);
		if (p && !p->fenced) {
			p->fenced = 1;
			p->batch_next = -1;
			if (l)
				rd_kafka_topic_partition_list_add(l, p->topic, p->partition);
			pthread_mutex_lock(&t->lock);
			t->m_fenced++;
			pthread_mutex_unlock(&t->lock);
			atomic_fetch_add(&fenced_total, 1);
			dropped++;
		}
	}
	if (l) {
		if (l->cnt)
			rd_kafka_pause_partitions(t->rk, l);
		rd_kafka_topic_partition_list_destroy(l);
	}
	for (size_t i = 0; i < t->cur.nrecs; i++) {
		const ks_record_t *r = t->cur.recs[i]->src ? t->cur.recs[i]->src : t->cur.recs[i];
		part_t *p = ks_consumer_find_part(t, r->topic, r->partition);
		if (!p || !p->fenced)
			t->cur.recs[k++] = t->cur.recs[i];
	}
	dropped += t->cur.nrecs - k;
	t->cur.nrecs = k;
	t->cur.nput = k;
	t->plugin->close(t->st, fenced, nfenced);
	return dropped;
}

/* Empties b (its arena kept for the next records). */
static void batch_clear(batch_t *b)
{
	if (b->arena)
		ks_arena_reset(b->arena);
	b->nrecs = 0;
	b->nput = 0;
	b->has_batch = 0;
}

void ks_pipeline_reset(ks_task_t *t)
{
	batch_clear(&t->cur);
	t->batch_gen++;
	for (size_t i = 0; i < t->nparts; i++)
		t->parts[i].batch_next = -1;
}

/*
 * Hands the records not yet put to the connector. Called every batch.size
 * records while a batch fills, so a connector can start writing before the
 * batch is complete (the JDBC sink streams its COPY), and before commit.
 */
ks_err_t ks_pipeline_put_pending(ks_task_t *t)
{
	char errstr[KS_ERRSTR_SIZE];
	ks_err_t err;

	if (t->cur.nput >= t->cur.nrecs || t->in_flight) /* in flight: put after its wait */
		return KS_OK;
	err = t->plugin->put(t->st, t->cur.recs + t->cur.nput, t->cur.nrecs - t->cur.nput, errstr,
	                     sizeof(errstr));
	if (err != KS_OK) {
		ks_task_fail(t, "put failed (%s): %s", ks_err_name(err), errstr);
		return KS_ERR_FATAL;
	}
	t->cur.nput = t->cur.nrecs;
	return KS_OK;
}

/* Swaps the current batch and the other one (records, arena, the
 * partitions' batch_next). */
static void batch_swap(ks_task_t *t)
{
	batch_t b = t->cur;

	t->cur = t->other;
	t->other = b;
	for (size_t i = 0; i < t->nparts; i++) {
		int64_t next = t->parts[i].batch_next;
		t->parts[i].batch_next = t->parts[i].other_next;
		t->parts[i].other_next = next;
	}
}

/* Drops the other batch (never put to the connector). */
static void other_drop(ks_task_t *t)
{
	batch_clear(&t->other);
	for (size_t i = 0; i < t->nparts; i++)
		t->parts[i].other_next = -1;
}

void ks_pipeline_forget(ks_task_t *t)
{
	ks_pipeline_reset(t);
	other_drop(t);
}

/* The next batch, current again after the one before it was written: the
 * partitions fenced meanwhile leave it too (drop_fenced saw only the
 * batch it was given). */
static void fenced_filter(ks_task_t *t)
{
	size_t k = 0;

	for (size_t i = 0; i < t->nparts; i++)
		if (t->parts[i].fenced)
			t->parts[i].batch_next = -1;
	for (size_t i = 0; i < t->cur.nrecs; i++) {
		const ks_record_t *r = t->cur.recs[i]->src ? t->cur.recs[i]->src : t->cur.recs[i];
		part_t *p = ks_consumer_find_part(t, r->topic, r->partition);
		if (!p || !p->fenced)
			t->cur.recs[k++] = t->cur.recs[i];
	}
	t->cur.nrecs = k;
}

/* Builds the commit offsets of the current batch into t->offs (topics
 * borrowed from the partitions). -1 out of memory. */
static int offsets_room(ks_task_t *t)
{
	if (t->capoffs < t->nparts + 1) {
		ks_tp_offset_t *o = realloc(t->offs, (t->nparts + 1) * sizeof(*o));
		if (!o)
			return -1;
		t->offs = o;
		t->capoffs = t->nparts + 1;
	}
	return 0;
}

/*
 * Writes the current batch: put (what is left) then commit, retrying
 * retriable errors with back-off unless once. first: the result of a
 * commit already made (settle: the one that was in flight), taken as the
 * first attempt's. may_send: the commit may go in flight (commit_send).
 */
static ks_err_t deliver_batch(ks_task_t *t, int once, const ks_commit_result_t *first, int may_send)
{
	uint64_t gen = t->batch_gen;
	retry_t retry = RETRY_INIT;
	char errstr[KS_ERRSTR_SIZE];
	char msg[KS_ERRSTR_SIZE + 64];

	if (!first && ks_pipeline_put_pending(t) != KS_OK)
		return KS_ERR_FATAL;
	for (;;) {
		ks_commit_result_t res;
		size_t n;
		int64_t t0;

		/* the records this batch sends to the DLQ are acknowledged before
		 * the commit that moves the offsets past them */
		if (!first && ks_dlq_pending(t->dlq)) {
			if (dlq_flush(t, errstr, sizeof(errstr)) != KS_OK) {
				pthread_mutex_lock(&t->lock);
				t->m_retries++;
				pthread_mutex_unlock(&t->lock);
				snprintf(msg, sizeof(msg), "retrying (dead letter queue) after: %s",
				         errstr);
				ks_task_set_msg(t, msg);
				KS_WARN(t->ctx, "%s", msg);
				if (once ||
				    ks_task_retry_wait(t, &retry, "writing the dead letter queue",
				                       errstr) != KS_OK ||
				    t->batch_gen != gen)
					return KS_ERR_RETRIABLE;
				continue;
			}
		}
		if (offsets_room(t)) {
			ks_task_fail(t, "out of memory");
			return KS_ERR_FATAL;
		}
		n = batch_offsets(t, t->offs);
		if (first) { /* the commit in flight: its offsets were these */
			res = *first;
			first = NULL;
			t0 = t->flight_us;
		} else {
			t0 = ks_now_us();
			memset(&res, 0, sizeof(res));
			if (may_send && t->plugin->commit_send &&
			    (t->other.arena || (t->other.arena = ks_arena_new(0)))) {
				if (t->plugin->commit_send(t->st, t->offs, n, &res)) {
					/* in flight: the next batch fills the other slot */
					t->flight_us = t0;
					t->in_flight = 1;
					batch_swap(t);
					return KS_OK;
				}
			} else {
				t->plugin->commit(t->st, t->offs, n, &res);
			}
		}
		if (res.err == KS_OK) {
			int64_t us = ks_now_us() - t0;
			ks_consumer_commit(t, t->offs, n);
			pthread_mutex_lock(&t->lock);
			t->m_written += t->cur.nrecs;
			t->m_batches++;
			t->m_commits++;
			t->m_commit_us += (uint64_t)us;
			free(t->msg);
			t->msg = NULL;
			pthread_mutex_unlock(&t->lock);
			KS_DEBUG(t->ctx, "committed %zu records over %zu partitions in %lld us",
			         t->cur.nrecs, n, (long long)us);
			ks_pipeline_reset(t);
			if (!t->paused_applied)
				ks_consumer_resume(t);
			return KS_OK;
		}
		if (res.err == KS_ERR_FENCED) {
			if (!drop_fenced(t, res.fenced, res.nfenced)) {
				ks_task_fail(t, "commit fenced, but no partition of the batch: %s",
				             res.errstr);
				return KS_ERR_FATAL;
			}
			if (!t->cur.nrecs && !ks_dlq_pending(t->dlq)) {
				ks_pipeline_reset(t);
				return KS_OK;
			}
			continue; /* the rest of the batch */
		}
		if (res.err == KS_ERR_RETRIABLE) {
			pthread_mutex_lock(&t->lock);
			t->m_retries++;
			pthread_mutex_unlock(&t->lock);
			snprintf(msg, sizeof(msg), "retrying (%s) after: %s",
			         res.code[0] ? res.code : "retriable", res.errstr);
			ks_task_set_msg(t, msg);
			KS_WARN(t->ctx, "commit failed, retrying in %lld ms: %s",
			        (long long)retry.backoff, res.errstr);
			if (once ||
			    ks_task_retry_wait(t, &retry, "writing the batch", res.errstr) !=
			            KS_OK ||
			    t->batch_gen != gen)
				return KS_ERR_RETRIABLE; /* stop, failed, or a revoke dropped /
							    wrote the batch */
			continue;
		}
		if (!t->failed) /* else the reporter failed it (errors.tolerance=none) */
			ks_task_fail(t, "commit failed (%s): %s", ks_err_name(res.err), res.errstr);
		return KS_ERR_FATAL;
	}
}

int ks_pipeline_flight_ready(ks_task_t *t)
{
	return t->in_flight && t->plugin->commit_ready(t->st);
}

ks_err_t ks_pipeline_settle(ks_task_t *t, int once)
{
	ks_commit_result_t res;
	ks_err_t err;

	if (!t->in_flight)
		return KS_OK;
	/* the batch in flight is the current one again, so the reporter
	 * (errant_report) and the retries below find its records; the next
	 * one waits in the other slot, never put before this one is written */
	batch_swap(t);
	t->in_flight = 0;
	memset(&res, 0, sizeof(res));
	t->plugin->commit_wait(t->st, &res);
	err = deliver_batch(t, once, &res, 0);
	if (err == KS_OK) {
		batch_swap(t);
		fenced_filter(t);
		return KS_OK;
	}
	/* not written: the task stops or failed, or a revoke forgot it; the
	 * next batch goes too (its offsets must not pass this one's) */
	other_drop(t);
	return err;
}

ks_err_t ks_pipeline_deliver(ks_task_t *t, int once)
{
	ks_err_t err = ks_pipeline_settle(t, once);

	if (err != KS_OK || !t->cur.has_batch)
		return err;
	return deliver_batch(t, once, NULL, !once);
}

/* Adds one consumed message to the batch (results: task_int.h). */
ks_err_t ks_pipeline_add(ks_task_t *t, rd_kafka_message_t *rkm, part_t *p)
{
	char errstr[KS_ERRSTR_SIZE];
	ks_record_t *rec = ks_arena_calloc(t->cur.arena, 1, sizeof(*rec)), **recs;
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
		if (!(rec->raw_key = ks_arena_memdup(t->cur.arena, rkm->key, rkm->key_len)))
			goto oom;
		rec->raw_key_len = rkm->key_len;
	}
	if (rkm->payload) {
		if (!(rec->raw_value = ks_arena_memdup(t->cur.arena, rkm->payload, rkm->len)))
			goto oom;
		rec->raw_value_len = rkm->len;
	}
	/* librdkafka parses headers lazily and allocates even for none (a fifth
	 * of the task's instructions): only the DLQ and transforms read them */
	if ((t->dlq || ks_transform_chain_size(t->chain)) &&
	    !rd_kafka_message_headers(rkm, &hdrs) && hdrs) {
		size_t n = rd_kafka_header_cnt(hdrs);
		rec->headers = n ? ks_arena_calloc(t->cur.arena, n, sizeof(ks_header_t)) : NULL;
		if (n && !rec->headers)
			goto oom;
		for (size_t i = 0; i < n; i++) {
			const char *name;
			const void *val;
			size_t sz;
			if (rd_kafka_header_get_all(hdrs, i, &name, &val, &sz))
				break;
			rec->headers[i].key = ks_arena_strdup(t->cur.arena, name);
			rec->headers[i].value = val ? ks_arena_memdup(t->cur.arena, val, sz) : NULL;
			rec->headers[i].len = sz;
			rec->nheaders++;
		}
	}
	err = ks_converter_to_connect(t->kconv, p->topic, rec->raw_key, rec->raw_key_len,
	                              t->cur.arena, &rec->key_schema, &rec->key, errstr,
	                              sizeof(errstr));
	if (err == KS_OK) {
		which = "value";
		err = ks_converter_to_connect(t->vconv, p->topic, rec->raw_value,
		                              rec->raw_value_len, t->cur.arena, &rec->value_schema,
		                              &rec->value, errstr, sizeof(errstr));
	}
	if (err == KS_ERR_RETRIABLE) {
		KS_WARN(t->ctx, "converting %s of %s[%d]@%lld: %s (retrying)", which, p->topic,
		        (int)rkm->partition, (long long)rkm->offset, errstr);
		ks_task_set_msg(t, errstr);
		return KS_ERR_RETRIABLE;
	}
	pthread_mutex_lock(&t->lock);
	t->m_read++;
	t->m_overlapped += t->in_flight != 0;
	pthread_mutex_unlock(&t->lock);
	if (!p->seen) {
		ks_conn_shared_topic(t->shared, p->topic);
		p->seen = 1;
	}
	p->position = rkm->offset + 1;
	p->batch_next = rkm->offset + 1;
	t->cur.has_batch = 1;
	if (err != KS_OK) {
		if (!t->set.tolerance_all) {
			ks_task_fail(t,
			             "Tolerance exceeded in error handler: converting %s of "
			             "%s[%d]@%lld: %s",
			             which, p->topic, (int)rkm->partition, (long long)rkm->offset,
			             errstr);
			return KS_ERR_FATAL;
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
		err = ks_transform_apply(t->chain, rec, t->cur.arena, &drop, &tclass, errstr,
		                         sizeof(errstr));
		if (err == KS_ERR_FATAL)
			goto oom;
		if (err != KS_OK) {
			if (!t->set.tolerance_all) {
				ks_task_fail(t,
				             "Tolerance exceeded in error handler: "
				             "transforming %s[%d]@%lld with %s: %s",
				             p->topic, (int)rkm->partition, (long long)rkm->offset,
				             tclass, errstr);
				return KS_ERR_FATAL;
			}
			return report_failed(t, rec, "TRANSFORMATION", tclass,
			                     "org.apache.kafka.connect.errors.DataException",
			                     errstr);
		}
		if (drop)
			return KS_OK;
	}
	recs = ks_grow(t->cur.recs, &t->cur.caprecs, t->cur.nrecs, sizeof(*recs), 1024);
	if (!recs)
		goto oom;
	t->cur.recs = recs;
	t->cur.recs[t->cur.nrecs++] = rec;
	return KS_OK;
oom:
	ks_task_fail(t, "out of memory building a batch");
	return KS_ERR_FATAL;
}
