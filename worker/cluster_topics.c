/*
 * cluster_topics.c — distributed mode's three topics: created when missing
 * (compacted, with the configured partitions and replication), and the config
 * topic refused unless it is one compacted partition, as Connect does
 * (KAFKA-9216). Start-up only; see cluster.h.
 */
#include "cluster_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------- topics ---------------- */

/* Creates topic (compacted when compact) unless it exists. 0 ok. */
static int topic_create(ks_cluster_t *cl, const char *topic, int partitions, const char *rf_key,
                        int compact, char *errstr, size_t errlen)
{
	int rf = ks_config_int(cl->wc->cfg, rf_key);
	rd_kafka_NewTopic_t *nt;
	rd_kafka_queue_t *q;
	rd_kafka_AdminOptions_t *opt;
	rd_kafka_event_t *ev;
	char kerr[512];
	int rc = -1;

	nt = rd_kafka_NewTopic_new(topic, partitions, rf, kerr, sizeof(kerr));
	if (!nt)
		return ks_seterr(errstr, errlen, -1, "topic %s: %s", topic, kerr);
	if (compact && rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact")) {
		rd_kafka_NewTopic_destroy(nt);
		return ks_seterr(errstr, errlen, -1, "out of memory");
	}
	q = rd_kafka_queue_new(cl->status_prod);
	opt = rd_kafka_AdminOptions_new(cl->status_prod, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_AdminOptions_set_operation_timeout(opt, CL_ADMIN_TIMEOUT_MS, kerr, sizeof(kerr));
	rd_kafka_CreateTopics(cl->status_prod, &nt, 1, opt, q);
	ev = rd_kafka_queue_poll(q, CL_ADMIN_TIMEOUT_MS + 5000);
	if (!ev) {
		ks_seterr(errstr, errlen, -1, "creating topic %s: no answer from the cluster",
		          topic);
	} else if (rd_kafka_event_error(ev)) {
		ks_seterr(errstr, errlen, -1, "creating topic %s: %s", topic,
		          rd_kafka_event_error_string(ev));
	} else {
		size_t n = 0;
		const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(
		        rd_kafka_event_CreateTopics_result(ev), &n);
		rd_kafka_resp_err_t err =
		        n == 1 ? rd_kafka_topic_result_error(res[0]) : RD_KAFKA_RESP_ERR__FAIL;
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			KS_INFO(LOGCTX, "created topic %s (%d partitions%s)", topic, partitions,
			        compact ? ", compacted" : "");
			rc = 0;
		} else if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
			rc = 0;
		} else {
			const char *m = n == 1 ? rd_kafka_topic_result_error_string(res[0]) : NULL;
			ks_seterr(errstr, errlen, -1, "creating topic %s: %s", topic,
			          m ? m : rd_kafka_err2str(err));
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(opt);
	rd_kafka_queue_destroy(q);
	rd_kafka_NewTopic_destroy(nt);
	return rc;
}

/* The partition count of topic (-1 when unknown). A topic another worker
 * has just created may take a moment to show in the metadata: asked again
 * for up to 30 s. */
static int topic_partitions(rd_kafka_t *rk, const char *topic)
{
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	int64_t deadline = ks_now_ms() + CL_ADMIN_TIMEOUT_MS;
	int n = -1;

	if (!rkt)
		return -1;
	do {
		const struct rd_kafka_metadata *md = NULL;
		if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
			if (md->topic_cnt == 1 && !md->topics[0].err)
				n = md->topics[0].partition_cnt;
			rd_kafka_metadata_destroy(md);
		}
		if (n < 1) {
			n = -1;
			struct timespec ts = {0, 200 * 1000000L};
			nanosleep(&ts, NULL);
		}
	} while (n < 1 && ks_now_ms() < deadline);
	rd_kafka_topic_destroy(rkt);
	return n;
}

/* The cleanup.policy of topic into out ("" when it cannot be read). */
static void topic_cleanup_policy(ks_cluster_t *cl, const char *topic, char *out, size_t len)
{
	rd_kafka_ConfigResource_t *cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
	rd_kafka_queue_t *q = rd_kafka_queue_new(cl->status_prod);
	rd_kafka_event_t *ev;

	*out = '\0';
	rd_kafka_DescribeConfigs(cl->status_prod, &cr, 1, NULL, q);
	ev = rd_kafka_queue_poll(q, CL_ADMIN_TIMEOUT_MS);
	if (ev && !rd_kafka_event_error(ev)) {
		size_t n = 0, ne = 0;
		const rd_kafka_ConfigResource_t **rs = rd_kafka_DescribeConfigs_result_resources(
		        rd_kafka_event_DescribeConfigs_result(ev), &n);
		const rd_kafka_ConfigEntry_t **es =
		        n == 1 ? rd_kafka_ConfigResource_configs(rs[0], &ne) : NULL;
		for (size_t i = 0; i < ne; i++)
			if (!strcmp(rd_kafka_ConfigEntry_name(es[i]), "cleanup.policy") &&
			    rd_kafka_ConfigEntry_value(es[i]))
				snprintf(out, len, "%s", rd_kafka_ConfigEntry_value(es[i]));
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	rd_kafka_ConfigResource_destroy(cr);
}

/* Creates the three topics when missing; refuses a config topic that is not
 * one compacted partition (as Connect, KAFKA-9216). 0 ok. */
int ks_cluster_topics_setup(ks_cluster_t *cl, char *errstr, size_t errlen)
{
	char policy[128];
	int n;

	if (topic_create(cl, cl->config_topic, 1, "config.storage.replication.factor", 1, errstr,
	                 errlen) ||
	    topic_create(cl, cl->status_topic, cl->status_parts,
	                 "status.storage.replication.factor", 1, errstr, errlen) ||
	    topic_create(cl, cl->slots_topic, cl->nslots, "offset.storage.replication.factor", 1,
	                 errstr, errlen))
		return -1;
	if ((n = topic_partitions(cl->status_prod, cl->config_topic)) != 1)
		return ks_seterr(
		        errstr, errlen, -1,
		        "config.storage.topic %s has %d partitions; it must have exactly 1",
		        cl->config_topic, n);
	for (int64_t end = ks_now_ms() + CL_ADMIN_TIMEOUT_MS;;) { /* as above: may lag */
		struct timespec ts = {0, 200 * 1000000L};
		topic_cleanup_policy(cl, cl->config_topic, policy, sizeof(policy));
		if (*policy || ks_now_ms() > end)
			break;
		nanosleep(&ts, NULL);
	}
	if (!strstr(policy, "compact"))
		return ks_seterr(errstr, errlen, -1,
		                 "config.storage.topic %s has cleanup.policy=%s; it must be "
		                 "compact, or connector configs are deleted with old segments",
		                 cl->config_topic, *policy ? policy : "(unknown)");
	if ((n = topic_partitions(cl->status_prod, cl->status_topic)) < 1 ||
	    (cl->status_parts = n, (n = topic_partitions(cl->status_prod, cl->slots_topic)) < 1))
		return ks_seterr(errstr, errlen, -1, "cannot read the metadata of %s / %s",
		                 cl->status_topic, cl->slots_topic);
	cl->nslots = n; /* an existing topic decides */
	return 0;
}
