/*
 * dlq.c — the dead letter queue of one sink task: records that failed
 * conversion or the database write (with errors.tolerance=all) are queued
 * here with their original key/value bytes, headers and timestamp, plus
 * Connect's __connect.errors.* context headers when enabled, and produced to
 * errors.deadletterqueue.topic.name by the task's own idempotent producer.
 *
 * The task flushes the queue before it commits a batch (the connector writes
 * the batch's offsets in the same transaction as its rows), so offsets never
 * pass a record that is neither in the database nor acknowledged by the DLQ
 * topic. A record whose batch fails after its DLQ write is re-read and sent
 * again: the DLQ is at-least-once, the table exactly-once.
 *
 * Thread: everything runs on the task thread; the delivery-report callback
 * is served from rd_kafka_poll() on that same thread.
 */
#include "worker.h"

#include "../lib/grow.h"
#include "../lib/kafka_admin.h"
#include "../lib/log.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An item's delivery state. */
enum { ITEM_QUEUED = 0, ITEM_INFLIGHT, ITEM_DONE, ITEM_FAILED };

typedef struct item {
	int state;
	int orphan; /* its batch was dropped: never produced again */
	rd_kafka_resp_err_t err;
	void *key, *value; /* original bytes (NULL = null) */
	size_t key_len, value_len;
	int64_t timestamp;
	rd_kafka_headers_t *hdrs; /* owned until produced successfully */
} item_t;

struct ks_dlq {
	rd_kafka_t *rk;
	char *topic;
	char ctx[160];
	int context_headers;
	item_t **items;
	size_t n, cap;
	uint64_t produced; /* acknowledged records, for metrics */
	int created;       /* topic creation attempted */
	int replication;
};

static void item_free(item_t *it)
{
	if (!it)
		return;
	free(it->key);
	free(it->value);
	if (it->hdrs)
		rd_kafka_headers_destroy(it->hdrs);
	free(it);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
	item_t *it = rkm->_private;
	(void)rk;
	(void)opaque;
	if (!it)
		return;
	it->err = rkm->err;
	it->state = rkm->err ? ITEM_FAILED : ITEM_DONE;
}

ks_dlq_t *ks_dlq_new(const ks_worker_config_t *wc, const ks_props_t *conn, const char *connector,
                     int task_id, char *errstr, size_t errlen)
{
	const char *topic = ks_props_get(conn, "errors.deadletterqueue.topic.name");
	const char *v;
	ks_dlq_t *d;
	ks_props_t *pp;
	rd_kafka_conf_t *conf;
	char kerr[512];

	if (!topic || !*topic)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d || !(d->topic = ks_strdup(topic))) {
		free(d);
		ks_seterr(errstr, errlen, -1, "out of memory");
		return NULL;
	}
	snprintf(d->ctx, sizeof(d->ctx), "dlq|%s-%d", connector, task_id);
	v = ks_props_get(conn, "errors.deadletterqueue.context.headers.enable");
	d->context_headers = v && ks_strcaseeq(v, "true");
	v = ks_props_get(conn, "errors.deadletterqueue.topic.replication.factor");
	d->replication = v ? atoi(v) : 3;
	pp = ks_worker_producer_props(wc, conn, connector, task_id);
	if (!pp) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		goto fail;
	}
	conf = ks_worker_kafka_conf(pp, d->ctx, "dead letter queue producer", errstr, errlen);
	ks_props_destroy(pp);
	if (!conf)
		goto fail;
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	d->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, kerr, sizeof(kerr));
	if (!d->rk) {
		rd_kafka_conf_destroy(conf);
		ks_seterr(errstr, errlen, -1, "dead letter queue producer: %s", kerr);
		goto fail;
	}
	return d;
fail:
	free(d->topic);
	free(d);
	return NULL;
}

void ks_dlq_clear(ks_dlq_t *d)
{
	size_t w = 0;
	if (!d)
		return;
	/* in-flight items are still referenced by librdkafka: keep them until
	 * their delivery report, everything else goes */
	for (size_t i = 0; i < d->n; i++) {
		if (d->items[i]->state == ITEM_INFLIGHT) {
			d->items[i]->orphan = 1;
			d->items[w++] = d->items[i];
		} else
			item_free(d->items[i]);
	}
	d->n = w;
}

void ks_dlq_destroy(ks_dlq_t *d)
{
	if (!d)
		return;
	if (d->rk) {
		/* let what is in flight finish briefly, then drop it */
		rd_kafka_flush(d->rk, 2000);
		rd_kafka_purge(d->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_poll(d->rk, 0);
		rd_kafka_destroy(d->rk);
	}
	for (size_t i = 0; i < d->n; i++)
		item_free(d->items[i]);
	free(d->items);
	free(d->topic);
	free(d);
}

size_t ks_dlq_pending(const ks_dlq_t *d)
{
	return d ? d->n : 0;
}

uint64_t ks_dlq_produced(const ks_dlq_t *d)
{
	return d ? d->produced : 0;
}

const char *ks_dlq_topic(const ks_dlq_t *d)
{
	return d ? d->topic : NULL;
}

static int add_str_header(rd_kafka_headers_t *h, const char *name, const char *value)
{
	return rd_kafka_header_add(h, name, -1, value ? value : "", -1) ? -1 : 0;
}

int ks_dlq_add(ks_dlq_t *d, const ks_record_t *rec, const ks_dlq_error_t *e)
{
	item_t *it, **items;
	char num[32];
	int rc = 0;

	if (!(items = ks_grow(d->items, &d->cap, d->n, sizeof(*items), 16)))
		return -1;
	d->items = items;
	if (rec->src) /* Connect reports the record as consumed, before transforms */
		rec = rec->src;
	it = calloc(1, sizeof(*it));
	if (!it)
		return -1;
	it->timestamp = rec->timestamp;
	if (rec->raw_key) {
		if (!(it->key = malloc(rec->raw_key_len ? rec->raw_key_len : 1)))
			goto oom;
		memcpy(it->key, rec->raw_key, rec->raw_key_len);
		it->key_len = rec->raw_key_len;
	}
	if (rec->raw_value) {
		if (!(it->value = malloc(rec->raw_value_len ? rec->raw_value_len : 1)))
			goto oom;
		memcpy(it->value, rec->raw_value, rec->raw_value_len);
		it->value_len = rec->raw_value_len;
	}
	if (!(it->hdrs = rd_kafka_headers_new(rec->nheaders + 10)))
		goto oom;
	for (size_t i = 0; i < rec->nheaders; i++)
		if (rd_kafka_header_add(it->hdrs, rec->headers[i].key, -1, rec->headers[i].value,
		                        rec->headers[i].value ? (ssize_t)rec->headers[i].len : 0))
			goto oom;
	if (d->context_headers) {
		rc |= add_str_header(it->hdrs, "__connect.errors.topic", rec->topic);
		snprintf(num, sizeof(num), "%d", (int)rec->partition);
		rc |= add_str_header(it->hdrs, "__connect.errors.partition", num);
		snprintf(num, sizeof(num), "%lld", (long long)rec->offset);
		rc |= add_str_header(it->hdrs, "__connect.errors.offset", num);
		rc |= add_str_header(it->hdrs, "__connect.errors.connector.name", e->connector);
		snprintf(num, sizeof(num), "%d", e->task_id);
		rc |= add_str_header(it->hdrs, "__connect.errors.task.id", num);
		rc |= add_str_header(it->hdrs, "__connect.errors.stage", e->stage);
		rc |= add_str_header(it->hdrs, "__connect.errors.class.name", e->class_name);
		rc |= add_str_header(it->hdrs, "__connect.errors.exception.class.name",
		                     e->exception_class);
		rc |= add_str_header(it->hdrs, "__connect.errors.exception.message", e->message);
		rc |= add_str_header(it->hdrs, "__connect.errors.exception.stacktrace",
		                     e->stacktrace);
		if (rc)
			goto oom;
	}
	d->items[d->n++] = it;
	return 0;
oom:
	item_free(it);
	return -1;
}

/* Connect creates the DLQ topic with one partition; on brokers that create
 * topics on first use (and on the mock cluster) the failure is harmless. */
static void create_topic(ks_dlq_t *d)
{
	char err[512];
	int rc;

	d->created = 1;
	rc = ks_kafka_topic_create(d->rk, d->topic, 1, d->replication, NULL, 0, 5000, err,
	                           sizeof(err));
	if (rc == 0)
		KS_INFO(d->ctx, "created dead letter queue topic %s", d->topic);
	else if (rc < 0)
		KS_DEBUG(d->ctx, "%s (relying on auto-creation)", err);
}

static int produce_one(ks_dlq_t *d, item_t *it, char *errstr, size_t errlen)
{
	rd_kafka_headers_t *h = rd_kafka_headers_copy(it->hdrs);
	rd_kafka_resp_err_t err;

	if (!h)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	for (;;) {
		err = rd_kafka_producev(
		        d->rk, RD_KAFKA_V_TOPIC(d->topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		        RD_KAFKA_V_KEY(it->key, it->key_len),
		        RD_KAFKA_V_VALUE(it->value, it->value_len),
		        RD_KAFKA_V_TIMESTAMP(it->timestamp > 0 ? it->timestamp : 0),
		        RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_OPAQUE(it), RD_KAFKA_V_END);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		rd_kafka_poll(d->rk, 100);
	}
	if (err) {
		rd_kafka_headers_destroy(h);
		return ks_seterr(errstr, errlen, -1, "dead letter queue %s: %s", d->topic,
		                 rd_kafka_err2str(err));
	}
	it->state = ITEM_INFLIGHT;
	return 0;
}

ks_err_t ks_dlq_flush(ks_dlq_t *d, int timeout_ms, const atomic_int *stop, char *errstr,
                      size_t errlen)
{
	int64_t end = ks_now_ms() + timeout_ms;
	size_t inflight = 0, w = 0;
	rd_kafka_resp_err_t last = RD_KAFKA_RESP_ERR_NO_ERROR;

	if (!d || !d->n)
		return KS_OK;
	if (!d->created)
		create_topic(d);
	for (size_t i = 0; i < d->n; i++) {
		item_t *it = d->items[i];
		if (!it->orphan && (it->state == ITEM_QUEUED || it->state == ITEM_FAILED)) {
			if (produce_one(d, it, errstr, errlen))
				return KS_ERR_RETRIABLE;
		}
	}
	for (;;) {
		inflight = 0;
		for (size_t i = 0; i < d->n; i++)
			inflight += d->items[i]->state == ITEM_INFLIGHT;
		if (!inflight || ks_now_ms() >= end || (stop && atomic_load(stop)))
			break;
		rd_kafka_poll(d->rk, 100);
	}
	for (size_t i = 0; i < d->n; i++) {
		item_t *it = d->items[i];
		if (it->state == ITEM_DONE || (it->orphan && it->state != ITEM_INFLIGHT)) {
			d->produced += it->state == ITEM_DONE;
			item_free(it);
			continue;
		}
		if (it->state == ITEM_FAILED)
			last = it->err;
		d->items[w++] = it;
	}
	d->n = w;
	if (!d->n)
		return KS_OK;
	if (last)
		ks_seterr(errstr, errlen, -1, "dead letter queue %s: %zu records not written: %s",
		          d->topic, d->n, rd_kafka_err2str(last));
	else
		ks_seterr(errstr, errlen, -1,
		          "dead letter queue %s: %zu records not acknowledged yet", d->topic, d->n);
	return KS_ERR_RETRIABLE;
}
