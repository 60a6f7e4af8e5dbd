/*
 * consumer.c — a sink task's librdkafka consumer (group connect-<name>):
 * everything between the broker and the task's partitions.
 *
 * Rebalances (eager): on assign the connector's open() tells where each
 * partition resumes (its own offsets table), and we assign with those
 * offsets; on revoke the current batch is committed once or dropped
 * (connector close()) before unassigning. When open() meets an outage the
 * partitions are assigned paused and ks_consumer_open_retry() asks again.
 *
 * Pause / resume: an outage or a pause request holds the partitions while
 * the consumer keeps polling (ks_consumer_idle_poll), so group membership
 * holds. On resume the partitions are sought back to our own positions,
 * because librdkafka 2.0.2 can skip fetched-but-purged messages across
 * pause/resume.
 *
 * Also here: the Kafka offset mirror (the connector's offsets are the
 * source of truth), the retention-gap report, the prefetch-queue kick and
 * the outage probe. All on the task thread (the callbacks are served by
 * the consumer poll).
 */
#include "task_int.h"

#include "../lib/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

part_t *ks_consumer_find_part(ks_task_t *t, const char *topic, int32_t partition)
{
	for (size_t i = 0; i < t->nparts; i++)
		if (t->parts[i].partition == partition && !strcmp(t->parts[i].topic, topic))
			return &t->parts[i];
	return NULL;
}

/* The assigned partitions at our positions; resumable: without the ones
 * hold.c keeps paused until their head record is due, and without the
 * fenced ones (another task writes them: they stay paused until revoked). */
static rd_kafka_topic_partition_list_t *assignment_list(ks_task_t *t, int resumable)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)t->nparts + 1);
	for (size_t i = 0; i < t->nparts; i++) {
		if (resumable && (t->parts[i].hold_due || t->parts[i].fenced))
			continue;
		rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_add(
		        l, t->parts[i].topic, t->parts[i].partition);
		p->offset = t->parts[i].position;
	}
	return l;
}

void ks_consumer_pause(ks_task_t *t)
{
	rd_kafka_topic_partition_list_t *l;
	if (t->partitions_paused || !t->nparts)
		return;
	l = assignment_list(t, 0);
	rd_kafka_pause_partitions(t->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	t->partitions_paused = 1;
}

/* Resumes and seeks every partition back to our own position. */
void ks_consumer_resume(ks_task_t *t)
{
	rd_kafka_topic_partition_list_t *l, *seek;
	rd_kafka_error_t *err;

	if (!t->partitions_paused)
		return;
	t->partitions_paused = 0;
	if (!t->nparts)
		return;
	l = assignment_list(t, 1);
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

/* Polls for up to ms while partitions are paused (back-off, pause): keeps
 * the group membership and serves rebalances. A message that still arrives
 * is dropped and its partition sought back on resume. */
void ks_consumer_idle_poll(ks_task_t *t, int ms)
{
	int64_t end = ks_now_ms() + ms;
	ks_consumer_pause(t);
	while (!atomic_load(&t->stop)) {
		int64_t left = end - ks_now_ms();
		rd_kafka_message_t *rkm;
		if (left <= 0)
			break;
		ks_hold_refresh_lag(t); /* paused, or an outage: the lag still grows */
		rkm = rd_kafka_consumer_poll(t->rk, left > 100 ? 100 : (int)left);
		if (!rkm)
			continue;
		if (!rkm->err && rkm->rkt) {
			part_t *p = ks_consumer_find_part(t, rd_kafka_topic_name(rkm->rkt),
			                                  rkm->partition);
			if (p && p->position < 0)
				p->position = rkm->offset;
		}
		rd_kafka_message_destroy(rkm);
	}
}

void ks_consumer_commit(ks_task_t *t, const ks_tp_offset_t *offs, size_t n)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
	rd_kafka_resp_err_t err;

	for (size_t i = 0; i < n; i++)
		rd_kafka_topic_partition_list_add(l, offs[i].topic, offs[i].partition)->offset =
		        offs[i].offset;
	/* asynchronous: the connector's own offsets are the source of truth and
	 * Kafka's a mirror for tools, so the next batch need not wait for the
	 * coordinator's answer (a round trip per transaction: latency); a
	 * failure is logged by on_offset_commit */
	err = rd_kafka_commit(t->rk, l, 1);
	if (err)
		KS_WARN(t->ctx, "Kafka offset commit failed: %s", rd_kafka_err2str(err));
	rd_kafka_topic_partition_list_destroy(l);
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < n; i++) {
		part_t *p = ks_consumer_find_part(t, offs[i].topic, offs[i].partition);
		int64_t lo, hi;
		if (!p)
			continue;
		p->committed = offs[i].offset;
		p->head_ts = p->hold_due ? p->hold_ts : -1; /* the next one is not read yet */
		if (!rd_kafka_get_watermark_offsets(t->rk, p->topic, p->partition, &lo, &hi) &&
		    hi > p->hwm)
			p->hwm = hi;
	}
	pthread_mutex_unlock(&t->lock);
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

void ks_consumer_clear_parts(ks_task_t *t)
{
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->nparts; i++)
		free(t->parts[i].topic);
	free(t->parts);
	t->parts = NULL;
	t->nparts = 0;
	t->nheld = 0;
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
		ks_task_fail(t, "out of memory on assign");
		rd_kafka_assign(t->rk, parts);
		return;
	}
	for (int i = 0; i < parts->cnt; i++) {
		in[i].topic = parts->elems[i].topic;
		in[i].partition = parts->elems[i].partition;
		in[i].offset = -1;
		/* Create the topic's local handle now, so its partitions have
		 * joined their leaders by the time assign() starts them. Created
		 * at assign(), an offset query of a partition that has not yet
		 * (a few ms later) waits for librdkafka's 500 ms retry timer. */
		if (i == 0 || strcmp(parts->elems[i].topic, parts->elems[i - 1].topic)) {
			rd_kafka_topic_t *rkt =
			        rd_kafka_topic_new(t->rk, parts->elems[i].topic, NULL);
			if (rkt)
				rd_kafka_topic_destroy(rkt); /* librdkafka keeps the topic */
		}
	}
	t->open_pending = 0;
	if (t->st && !t->failed) {
		err = t->plugin->open(t->st, in, (size_t)parts->cnt, &out, errstr, sizeof(errstr));
		if (err == KS_ERR_RETRIABLE) {
			/* e.g. the database is down: assign paused, the loop retries
			 * open() and seeks to its offsets once it answers */
			KS_WARN(t->ctx, "open: %s (retrying)", errstr);
			ks_task_set_msg(t, errstr);
			t->open_pending = 1;
			out = NULL;
		} else if (err != KS_OK) {
			ks_task_fail(t, "open failed (%s): %s", ks_err_name(err), errstr);
			ks_tp_offsets_free(out, out ? (size_t)parts->cnt : 0);
			out = NULL;
		}
	}
	/* Where the group left off, for partitions the connector has no offset
	 * for: we want our own position for every partition (see ks_consumer_resume). */
	rd_kafka_topic_partition_list_t *committed = rd_kafka_topic_partition_list_copy(parts);
	int known = !rd_kafka_committed(t->rk, committed, 10000);
	if (!known)
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
		/* Nothing stored and nothing committed, with earliest: assign
		 * from the beginning ourselves. Left INVALID, librdkafka 2.0.2
		 * fetches the committed offsets again and then resets with a
		 * 100 ms back-off (seen as ~90 ms before the first fetch). */
		p->offset = off >= 0 ? off
		            : known && !committed->elems[i].err &&
		                            committed->elems[i].offset == RD_KAFKA_OFFSET_INVALID &&
		                            t->reset_earliest
		                    ? RD_KAFKA_OFFSET_BEGINNING
		                    : RD_KAFKA_OFFSET_INVALID;
		np[i].topic = ks_strdup(p->topic);
		np[i].partition = p->partition;
		np[i].position = off;
		np[i].batch_next = -1;
		np[i].other_next = -1;
		np[i].committed = off;
		np[i].hwm = -1;
		np[i].kicked = -1;
		np[i].lo_asked = -1;
		np[i].head_ts = -1;
		np[i].lwm = -1;
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
		else if (parts->elems[i].offset == RD_KAFKA_OFFSET_BEGINNING)
			KS_INFO(t->ctx, "assigned %s[%d] from the beginning (nothing committed)",
			        parts->elems[i].topic, (int)parts->elems[i].partition);
		else
			KS_INFO(t->ctx, "assigned %s[%d] from the group's committed offset",
			        parts->elems[i].topic, (int)parts->elems[i].partition);
	}
	/* librdkafka keeps a partition paused across unassign and assign: one
	 * held paused when it was revoked (an outage's back-off) would never
	 * be fetched again. Resumed before assign(): a resume after it makes
	 * the offset queries assign() sent outdated, and they are retried only
	 * by a 500 ms timer (librdkafka 2.0.2). */
	int hold = t->paused_applied || t->failed || t->open_pending;
	if (!hold)
		rd_kafka_resume_partitions(t->rk, parts);
	if (rd_kafka_assign(t->rk, parts))
		KS_ERROR(t->ctx, "assign failed");
	if (hold) {
		rd_kafka_pause_partitions(t->rk, parts);
		t->partitions_paused = 1;
	}
}

/* Retries the open() that failed at assignment (results: task_int.h); the
 * positions then come from the connector's offsets. */
ks_err_t ks_consumer_open_retry(ks_task_t *t, char *errstr, size_t errlen)
{
	ks_tp_offset_t *in = calloc(t->nparts + 1, sizeof(*in)), *out = NULL;
	ks_err_t err;

	if (!in) {
		ks_task_fail(t, "out of memory");
		return KS_ERR_FATAL;
	}
	for (size_t i = 0; i < t->nparts; i++) {
		in[i].topic = t->parts[i].topic;
		in[i].partition = t->parts[i].partition;
		in[i].offset = -1;
	}
	err = t->plugin->open(t->st, in, t->nparts, &out, errstr, errlen);
	free(in);
	if (err == KS_ERR_RETRIABLE) {
		ks_task_set_msg(t, errstr);
		return KS_ERR_RETRIABLE;
	}
	if (err != KS_OK) {
		ks_task_fail(t, "open failed (%s): %s", ks_err_name(err), errstr);
		return KS_ERR_FATAL;
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
	ks_task_set_msg(t, NULL);
	if (!t->paused_applied)
		ks_consumer_resume(t);
	return KS_OK;
}

static void on_revoke(ks_task_t *t)
{
	if (t->in_flight) /* settled first: its records and offsets go before */
		(void)ks_pipeline_settle(t, 1);
	if (t->cur.has_batch && !t->failed && t->st) {
		if (ks_pipeline_deliver(t, 1) != KS_OK)
			KS_WARN(t->ctx, "revoke: dropping %zu unwritten records (re-read later)",
			        t->cur.nrecs);
	}
	close_all(t);
	ks_pipeline_forget(t);
	ks_dlq_clear(t->dlq); /* what the dropped batch queued is read again */
	t->open_pending = 0;
	rd_kafka_assign(t->rk, NULL);
	ks_consumer_clear_parts(t);
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
void ks_consumer_check_gap(ks_task_t *t, part_t *p, int64_t offset)
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

/* librdkafka's client errors (a broker down, all brokers down, transport)
 * never come out of consumer_poll as messages: without this callback they
 * were only logged by librdkafka. It retries by itself; the status shows
 * why the task waits, as for consumer errors, until ks_consumer_probe() sees the
 * cluster answer again. Task thread (served by consumer poll). */
static void on_kafka_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	ks_task_t *t = opaque;
	char msg[KS_ERRSTR_SIZE];

	(void)rk;
	KS_WARN(t->ctx, "Kafka: %s: %s", rd_kafka_err2name(err), reason);
	snprintf(msg, sizeof(msg), "waiting for Kafka: %s", reason);
	ks_task_set_msg(t, msg);
	t->kafka_down_since = ks_now_ms();
}

/*
 * librdkafka 2.0.2 stops fetching once the consumer queue holds
 * queued.min.messages (or queued.max.messages.kbytes) and only looks again
 * when its broker thread next wakes up, up to a second later, even when the
 * queue has long been drained (fixed in 2.2 by fetch.queue.backoff.ms). So
 * a small prefetch queue, which keeps the memory bounded, would stall the
 * task for most of every second. Every 64 records ks_consumer_note_queue() checks
 * whether the queue came near a threshold (then the fetcher has parked);
 * when a poll then finds the queue empty, ks_consumer_kick() seeks each
 * partition whose last known high watermark is past our position to that
 * position (nothing is queued, so nothing is lost or repeated), which
 * restarts its fetcher at once. Without the threshold sign nothing is done:
 * an empty queue may just mean a fetch is on its way.
 */
void ks_consumer_note_queue(ks_task_t *t)
{
	int64_t len = t->cq ? rd_kafka_queue_length(t->cq) : 0;
	int64_t avg = t->seen_msgs ? (int64_t)(t->seen_bytes / t->seen_msgs) : 0;

	if (len * 4 >= t->q_min * 3 || len * avg * 4 >= t->q_bytes * 3)
		t->fetch_parked = 1;
}

void ks_consumer_kick(ks_task_t *t)
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
		if (p->position < 0 || p->position == p->kicked || p->hold_due ||
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
void ks_consumer_probe(ks_task_t *t)
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
		ks_task_set_msg(t, NULL);
	}
}

/* The answer to an asynchronous offset commit (ks_consumer_commit), served
 * by rd_kafka_consumer_poll on the task thread. A failure is not fatal: the
 * mirror catches up with the next commit, and a task resumes from the
 * connector's offsets, never from these. */
static void on_offset_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
	ks_task_t *t = opaque;

	(void)rk;
	if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
		KS_WARN(t->ctx, "Kafka offset commit failed: %s", rd_kafka_err2str(err));
		return;
	}
	/* the request may succeed while a partition's commit fails */
	for (int i = 0; offsets && i < offsets->cnt; i++)
		if (offsets->elems[i].err)
			KS_WARN(t->ctx, "Kafka offset commit failed for %s[%d]: %s",
			        offsets->elems[i].topic, (int)offsets->elems[i].partition,
			        rd_kafka_err2str(offsets->elems[i].err));
}

/* An integer setting as librdkafka will use it (its default when unset). */
static int64_t conf_int(rd_kafka_conf_t *conf, const char *name)
{
	char v[64];
	size_t len = sizeof(v);
	return rd_kafka_conf_get(conf, name, v, &len) == RD_KAFKA_CONF_OK ? strtoll(v, NULL, 10)
	                                                                  : 0;
}

int ks_consumer_new(ks_task_t *t, char *errstr, size_t errlen)
{
	ks_props_t *cp = ks_worker_consumer_props(t->wc, t->config, t->connector, t->id);
	rd_kafka_conf_t *conf;
	char reset[32], kerr[512];
	size_t len = sizeof(reset);

	if (!cp)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	conf = ks_worker_kafka_conf(cp, t->ctx, "consumer", errstr, errlen);
	ks_props_destroy(cp);
	if (!conf)
		return -1;
	t->q_min = conf_int(conf, "queued.min.messages");
	t->q_bytes = conf_int(conf, "queued.max.messages.kbytes") * 1024;
	t->reset_earliest =
	        rd_kafka_conf_get(conf, "auto.offset.reset", reset, &len) == RD_KAFKA_CONF_OK &&
	        (ks_strcaseeq(reset, "earliest") || ks_strcaseeq(reset, "smallest") ||
	         ks_strcaseeq(reset, "beginning"));
	rd_kafka_conf_set_opaque(conf, t);
	rd_kafka_conf_set_rebalance_cb(conf, handle_rebalance);
	rd_kafka_conf_set_error_cb(conf, on_kafka_error);
	rd_kafka_conf_set_offset_commit_cb(conf, on_offset_commit);
	t->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof(kerr));
	if (!t->rk) {
		rd_kafka_conf_destroy(conf);
		return ks_seterr(errstr, errlen, -1, "consumer: %s", kerr);
	}
	rd_kafka_poll_set_consumer(t->rk);
	t->cq = rd_kafka_queue_get_consumer(t->rk);
	return 0;
}

void ks_consumer_destroy(ks_task_t *t)
{
	if (!t->rk)
		return;
	rd_kafka_consumer_close(t->rk); /* revoke: last commit or close */
	if (t->cq)
		rd_kafka_queue_destroy(t->cq);
	t->cq = NULL;
	rd_kafka_destroy(t->rk);
	t->rk = NULL;
}
