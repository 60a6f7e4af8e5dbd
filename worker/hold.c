/*
 * hold.c — Kafka as the database's transaction buffer: records that must not
 * be applied yet stay in Kafka, and the lag says how far behind that leaves
 * the table.
 *
 *   ksink.apply.delay.ms  a delayed replica: a record is applied once its
 *                         Kafka timestamp is that old
 *   ksink.apply.until     a point-in-time stop: records stamped at or after
 *                         the instant are not applied (until the key changes;
 *                         a config change restarts the task, which resumes
 *                         from the committed offset, i.e. the held record)
 *
 * A record that is not due holds its partition: the partition is paused
 * and its position set to that record, and everything still queued for it
 * is dropped (handle_message in task.c). When the head record is due the
 * partition is sought back to it and resumed (ks_hold_tick, called from
 * the loop, which polls at least every 100 ms: no busy loop). Nothing is
 * kept in memory per waiting record, so the memory does not grow with the
 * delay; offsets are committed with the rows only, as always, so a held
 * record is never committed.
 *
 * Lag: every LAG_REFRESH_MS the task asks the brokers for the watermarks of
 * each assigned partition, fetched from or not (paused, held, in an outage,
 * never committed), so ksink_partition_lag is true without a commit; the
 * age of the oldest record read and not yet committed gives the lag in
 * seconds. Task thread, except the *_locked functions (REST threads, under
 * t->lock).
 */
#include "task_int.h"

#include "../lib/civil.h"
#include "../lib/log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Pauses p at offset, the head record stamped ts, until due (wall ms). */
static void hold(ks_task_t *t, part_t *p, int64_t offset, int64_t ts, int64_t due)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_resp_err_t err;

	rd_kafka_topic_partition_list_add(l, p->topic, p->partition);
	err = rd_kafka_pause_partitions(t->rk, l);
	if (err)
		KS_WARN(t->ctx, "pausing %s[%d] to hold it: %s", p->topic, (int)p->partition,
		        rd_kafka_err2str(err));
	rd_kafka_topic_partition_list_destroy(l);
	pthread_mutex_lock(&t->lock);
	p->position = offset;
	p->hold_due = due;
	p->hold_ts = ts;
	if (p->head_ts < 0)
		p->head_ts = ts;
	t->nheld++;
	pthread_mutex_unlock(&t->lock);
	if (due == INT64_MAX) {
		char at[40], until[40];
		ks_format_instant(ts, at, sizeof(at));
		ks_format_instant(t->set.apply_until_ms, until, sizeof(until));
		KS_INFO(t->ctx,
		        "holding %s[%d]@%lld (stamped %s): at or after ksink.apply.until=%s",
		        p->topic, (int)p->partition, (long long)offset, at, until);
	} else {
		KS_DEBUG(t->ctx, "holding %s[%d]@%lld for %lld ms (ksink.apply.delay.ms)", p->topic,
		         (int)p->partition, (long long)offset, (long long)(due - ks_wall_ms()));
	}
}

int ks_hold_check(ks_task_t *t, part_t *p, const rd_kafka_message_t *rkm, int64_t *tsp)
{
	rd_kafka_timestamp_type_t tstype;
	int64_t ts, due;

	if (!t->set.apply_delay_ms && t->set.apply_until_ms < 0) {
		/* nothing to hold: the timestamp only for the lag in seconds */
		*tsp = p->head_ts < 0 ? rd_kafka_message_timestamp(rkm, &tstype) : -1;
		return 0;
	}
	*tsp = ts = rd_kafka_message_timestamp(rkm, &tstype);
	if (ts < 0) /* no timestamp (a v0 message): nothing to wait for */
		return 0;
	if (t->set.apply_until_ms >= 0 && ts >= t->set.apply_until_ms)
		due = INT64_MAX;
	else if (t->set.apply_delay_ms > 0 && ts + t->set.apply_delay_ms > ks_wall_ms()) {
		/* released a little after it is due, so that one release lets a
		 * run of records through instead of one pause/seek per record */
		int64_t slack = t->set.apply_delay_ms / 20;
		due = ts + t->set.apply_delay_ms + (slack > 1000 ? 1000 : slack);
	} else
		return 0;
	hold(t, p, rkm->offset, ts, due);
	return 1;
}

void ks_hold_tick(ks_task_t *t)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_error_t *err;
	int64_t now;

	if (!t->nheld)
		return;
	now = ks_wall_ms();
	l = rd_kafka_topic_partition_list_new((int)t->nheld);
	for (size_t i = 0; i < t->nparts; i++) {
		part_t *p = &t->parts[i];
		if (!p->hold_due || p->hold_due > now)
			continue;
		pthread_mutex_lock(&t->lock);
		p->hold_due = 0;
		t->nheld--;
		pthread_mutex_unlock(&t->lock);
		/* while the whole task is held (pause, outage) the partition is
		 * resumed and sought with the others (ks_consumer_resume) */
		if (!t->partitions_paused)
			rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset =
			        p->position;
	}
	if (l->cnt) {
		/* resume, then seek back to the head record: what was queued
		 * before the pause was dropped while the partition was held */
		rd_kafka_resume_partitions(t->rk, l);
		if ((err = rd_kafka_seek_partitions(t->rk, l, 5000))) {
			KS_WARN(t->ctx, "seek after a hold: %s", rd_kafka_error_string(err));
			rd_kafka_error_destroy(err);
		}
	}
	rd_kafka_topic_partition_list_destroy(l);
}

/* One ListOffsets round for every assigned partition: ts -1 asks for the
 * high watermark, -2 for the log start (as the protocol defines them); the
 * answers land in *hwm or *lwm. One request per broker, however many
 * partitions (librdkafka 2.0.2 has no ListOffsets admin call). */
static void query_offsets(ks_task_t *t, int64_t ts, int lwm)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)t->nparts);
	rd_kafka_resp_err_t err;

	for (size_t i = 0; i < t->nparts; i++)
		rd_kafka_topic_partition_list_add(l, t->parts[i].topic, t->parts[i].partition)
		        ->offset = ts;
	err = rd_kafka_offsets_for_times(t->rk, l, 1000);
	if (err) {
		KS_DEBUG(t->ctx, "watermarks: %s", rd_kafka_err2str(err));
	} else {
		pthread_mutex_lock(&t->lock);
		for (int i = 0; i < l->cnt; i++) {
			const rd_kafka_topic_partition_t *e = &l->elems[i];
			part_t *p = ks_consumer_find_part(t, e->topic, e->partition);
			if (!p || e->err || e->offset < 0)
				continue;
			if (lwm)
				p->lwm = e->offset;
			else
				p->hwm = e->offset;
		}
		pthread_mutex_unlock(&t->lock);
	}
	rd_kafka_topic_partition_list_destroy(l);
}

void ks_hold_refresh_lag(ks_task_t *t)
{
	int64_t now = ks_now_ms();
	int uncommitted = 0;

	if (!t->nparts || now - t->wm_refreshed < LAG_REFRESH_MS || t->kafka_down_since)
		return;
	t->wm_refreshed = now;
	query_offsets(t, RD_KAFKA_OFFSET_END, 0);
	for (size_t i = 0; i < t->nparts; i++)
		uncommitted |= t->parts[i].committed < 0;
	if (uncommitted) /* their lag counts from the log start */
		query_offsets(t, RD_KAFKA_OFFSET_BEGINNING, 1);
}

char *ks_hold_status_locked(ks_task_t *t)
{
	const part_t *h = NULL;
	char at[40], until[40], buf[1024];
	int64_t now = ks_wall_ms();
	size_t n;

	if (!t->nheld)
		return NULL;
	for (size_t i = 0; i < t->nparts; i++)
		if (t->parts[i].hold_due && (!h || t->parts[i].hold_ts < h->hold_ts))
			h = &t->parts[i];
	if (!h)
		return NULL;
	ks_format_instant(h->hold_ts, at, sizeof(at));
	if (h->hold_due == INT64_MAX) {
		ks_format_instant(t->set.apply_until_ms, until, sizeof(until));
		n = (size_t)snprintf(
		        buf, sizeof(buf),
		        "holding %zu of %zu partitions at ksink.apply.until=%s: %s[%d]@%lld "
		        "stamped %s (%.1f s ago) is not applied; change or remove the "
		        "key to go on. Held at",
		        t->nheld, t->nparts, until, h->topic, (int)h->partition,
		        (long long)h->position, at, (double)(now - h->hold_ts) / 1000);
	} else {
		n = (size_t)snprintf(
		        buf, sizeof(buf),
		        "holding %zu of %zu partitions (ksink.apply.delay.ms=%lld): "
		        "%s[%d]@%lld stamped %s is %.1f s old, applied in %.1f s. Held at",
		        t->nheld, t->nparts, (long long)t->set.apply_delay_ms, h->topic,
		        (int)h->partition, (long long)h->position, at,
		        (double)(now - h->hold_ts) / 1000,
		        (double)(h->hold_due > now ? h->hold_due - now : 0) / 1000);
	}
	/* where each partition holds (the runbook checks its bad record's) */
	for (size_t i = 0, k = 0; i < t->nparts && n < sizeof(buf); i++) {
		const part_t *p = &t->parts[i];
		if (!p->hold_due)
			continue;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s %s[%d]@%lld", k++ ? "," : "",
		                      p->topic, (int)p->partition, (long long)p->position);
	}
	if (n >= sizeof(buf)) /* truncated: say so */
		memcpy(buf + sizeof(buf) - 4, "...", 4);
	return ks_strdup(buf);
}

void ks_hold_metrics_locked(ks_task_t *t, ks_buf_t *out)
{
	int64_t now = ks_wall_ms(), oldest = -1;

	for (size_t i = 0; i < t->nparts; i++) {
		const part_t *p = &t->parts[i];
		/* from the committed offset; never committed: from where the
		 * group would start (the log start with auto.offset.reset=earliest) */
		int64_t base = p->committed >= 0                  ? p->committed
		               : p->lwm >= 0 && t->reset_earliest ? p->lwm
		               : p->position >= 0                 ? p->position
		                                                  : -1;
		int64_t lag;
		if (p->hold_due && (oldest < 0 || p->hold_ts < oldest))
			oldest = p->hold_ts;
		if (p->hwm < 0 || base < 0)
			continue;
		lag = p->hwm - base;
		if (lag < 0)
			lag = 0;
		ks_task_series(t, out, "ksink_partition_lag", p);
		ks_buf_printf(out, "%lld\n", (long long)lag);
		/* the age of the oldest record not applied, where it is known */
		if (p->head_ts >= 0) {
			ks_task_series(t, out, "ksink_partition_lag_seconds", p);
			ks_buf_printf(out, "%.3f\n",
			              (double)(now > p->head_ts ? now - p->head_ts : 0) / 1000);
		} else if (!lag) {
			ks_task_series(t, out, "ksink_partition_lag_seconds", p);
			ks_buf_puts(out, "0\n");
		}
	}
	ks_task_series(t, out, "ksink_task_held_partitions", NULL);
	ks_buf_printf(out, "%zu\n", t->nheld);
	ks_task_series(t, out, "ksink_task_hold_seconds", NULL);
	ks_buf_printf(out, "%.3f\n",
	              oldest >= 0 && now > oldest ? (double)(now - oldest) / 1000 : 0);
	ks_task_series(t, out, "ksink_task_apply_delay_seconds", NULL);
	ks_buf_printf(out, "%.3f\n", (double)t->set.apply_delay_ms / 1000);
}
