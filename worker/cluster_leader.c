/*
 * cluster_leader.c — the leader's writer of the config topic: the owner of
 * slot 0 takes the transactional id ksink-cluster-<group.id> (fencing any
 * earlier leader's producer), announces its URL and writes every change as
 * one transaction, answered once this worker's own view has applied it. A
 * fenced write gives the leadership up. See cluster.h.
 */
#include "cluster_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------- the leader's writer ---------------- */

static void leader_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	ks_cluster_t *cl = opaque;
	(void)rk;
	if (m->err)
		cl->dr_err = m->err;
	else if (m->offset > cl->dr_offset)
		cl->dr_offset = m->offset;
}

static void leader_setup(rd_kafka_conf_t *conf)
{
	rd_kafka_conf_set_dr_msg_cb(conf, leader_dr);
}

/* Writes the records in one transaction and waits until the view applied
 * them. Caller holds wlock and cl->leader_prod is set. */
ks_err_t ks_cluster_txn_write(ks_cluster_t *cl, const char *const *keys, json_t *const *values,
                              size_t n, char *errstr, size_t errlen)
{
	rd_kafka_t *rk = cl->leader_prod;
	rd_kafka_error_t *e;
	int64_t deadline;
	int fatal = 0;

	cl->dr_offset = -1;
	cl->dr_err = RD_KAFKA_RESP_ERR_NO_ERROR;
	if ((e = rd_kafka_begin_transaction(rk)))
		goto txn_error;
	for (size_t i = 0; i < n; i++) {
		char *text = values[i] ? json_dumps(values[i], JSON_COMPACT) : NULL;
		rd_kafka_resp_err_t err;
		if (values[i] && !text)
			return ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
		err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(cl->config_topic),
		                        RD_KAFKA_V_PARTITION(0),
		                        RD_KAFKA_V_KEY(keys[i], strlen(keys[i])),
		                        RD_KAFKA_V_VALUE(text, text ? strlen(text) : 0),
		                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
		free(text);
		if (err) {
			e = rd_kafka_error_new(err, "%s", rd_kafka_err2str(err));
			goto txn_error;
		}
	}
	rd_kafka_flush(rk, CL_WRITE_TIMEOUT_MS); /* serves the delivery reports */
	if ((e = rd_kafka_commit_transaction(rk, CL_WRITE_TIMEOUT_MS)))
		goto txn_error;
	if (cl->dr_err || cl->dr_offset < 0)
		return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE,
		                 "Failed to write to the config topic %s: %s", cl->config_topic,
		                 rd_kafka_err2str(cl->dr_err ? cl->dr_err
		                                             : RD_KAFKA_RESP_ERR__MSG_TIMED_OUT));
	deadline = ks_now_ms() + CL_WRITE_TIMEOUT_MS;
	pthread_mutex_lock(&cl->lock);
	while (cl->applied <= cl->dr_offset && ks_now_ms() < deadline) {
		ks_cluster_cond_wait_ms(cl, 50);
	}
	deadline = cl->applied > cl->dr_offset;
	pthread_mutex_unlock(&cl->lock);
	if (!deadline)
		return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE,
		                 "The write to the config topic %s was not read back within %d ms",
		                 cl->config_topic, CL_WRITE_TIMEOUT_MS);
	return KS_OK;

txn_error:
	fatal = rd_kafka_error_is_fatal(e) || rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR__FENCED ||
	        rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
	        rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
	ks_seterr(errstr, errlen, fatal ? KS_ERR_CONFLICT : KS_ERR_RETRIABLE,
	          fatal ? "Cannot complete request because this worker is no longer the leader "
	                  "(%s)"
	                : "Failed to write to the config topic: %s",
	          rd_kafka_error_string(e));
	if (!fatal && rd_kafka_error_txn_requires_abort(e)) {
		rd_kafka_error_t *a = rd_kafka_abort_transaction(rk, CL_WRITE_TIMEOUT_MS);
		if (a)
			rd_kafka_error_destroy(a);
	}
	rd_kafka_error_destroy(e);
	if (fatal) {
		KS_WARN(LOGCTX, "fenced as the leader: %s", errstr);
		pthread_mutex_lock(&cl->lock);
		cl->is_leader = 0;
		pthread_mutex_unlock(&cl->lock);
		rd_kafka_destroy(cl->leader_prod);
		cl->leader_prod = NULL;
		return KS_ERR_CONFLICT;
	}
	return KS_ERR_RETRIABLE;
}

/* Drops the leadership (wlock held). */
void ks_cluster_leader_drop(ks_cluster_t *cl)
{
	pthread_mutex_lock(&cl->lock);
	if (cl->is_leader)
		KS_INFO(LOGCTX, "no longer the leader");
	cl->is_leader = 0;
	pthread_mutex_unlock(&cl->lock);
	if (cl->leader_prod) {
		rd_kafka_destroy(cl->leader_prod);
		cl->leader_prod = NULL;
	}
}

/* Takes the transactional id (fencing the previous leader), announces this
 * worker and waits until the view has caught up with it. 0 ok. */
int ks_cluster_leader_take(ks_cluster_t *cl)
{
	char errstr[KS_ERRSTR_SIZE], tmo[32];
	const char *kv[] = {
	        "transactional.id",     cl->txn_id, "transaction.timeout.ms", tmo, "client.id",
	        "ksink-cluster-leader", NULL};
	rd_kafka_error_t *e;
	json_t *ann;
	const char *key = "ksink-leader";
	ks_err_t r;

	snprintf(tmo, sizeof(tmo), "%d", 60000);
	pthread_mutex_lock(&cl->wlock);
	if (!cl->leader_prod) {
		cl->leader_prod = ks_cluster_client_new(cl, RD_KAFKA_PRODUCER, "leader producer",
		                                        kv, leader_setup, errstr, sizeof(errstr));
		if (!cl->leader_prod) {
			pthread_mutex_unlock(&cl->wlock);
			KS_ERROR(LOGCTX, "%s", errstr);
			return -1;
		}
		if ((e = rd_kafka_init_transactions(cl->leader_prod, CL_ADMIN_TIMEOUT_MS))) {
			KS_WARN(LOGCTX, "taking the transactional id %s: %s", cl->txn_id,
			        rd_kafka_error_string(e));
			rd_kafka_error_destroy(e);
			rd_kafka_destroy(cl->leader_prod);
			cl->leader_prod = NULL;
			pthread_mutex_unlock(&cl->wlock);
			return -1;
		}
	}
	ann = json_pack("{s:s, s:s, s:I}", "url", cl->url, "worker_id", cl->wc->worker_id,
	                "generation", (json_int_t)cl->generation);
	r = ann ? ks_cluster_txn_write(cl, &key, &ann, 1, errstr, sizeof(errstr)) : KS_ERR_FATAL;
	json_decref(ann);
	if (r == KS_OK) {
		pthread_mutex_lock(&cl->lock);
		cl->is_leader = 1;
		pthread_mutex_unlock(&cl->lock);
		KS_INFO(LOGCTX, "became the leader (%s)", cl->url);
	} else {
		KS_WARN(LOGCTX, "announcing the leader: %s", errstr);
	}
	pthread_mutex_unlock(&cl->wlock);
	return r == KS_OK ? 0 : -1;
}
