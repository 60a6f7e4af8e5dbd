/*
 * kafka_admin.c — creating and deleting a topic, reading its configs and its
 * partition count through librdkafka's Admin API and metadata; see
 * kafka_admin.h.
 */
#include "kafka_admin.h"

#include <stdio.h>
#include <string.h>

/* The answer on q to a request about topic (verb: "creating", ...), waited
 * for up to timeout_ms; NULL with errstr when none came or it is an error. */
static rd_kafka_event_t *answer(rd_kafka_queue_t *q, int timeout_ms, const char *verb,
                                const char *topic, char *errstr, size_t errlen)
{
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms);

	if (!ev) {
		ks_seterr(errstr, errlen, -1, "%s topic %s: no answer from the cluster", verb,
		          topic);
	} else if (rd_kafka_event_error(ev)) {
		ks_seterr(errstr, errlen, -1, "%s topic %s: %s", verb, topic,
		          rd_kafka_event_error_string(ev));
		rd_kafka_event_destroy(ev);
		ev = NULL;
	}
	return ev;
}

/* The error of the one topic result in res (n of them): NO_ERROR, or the
 * error with "<verb> topic <topic>: <reason>" in errstr. */
static rd_kafka_resp_err_t topic_result(const rd_kafka_topic_result_t **res, size_t n,
                                        const char *verb, const char *topic, char *errstr,
                                        size_t errlen)
{
	rd_kafka_resp_err_t err =
	        n == 1 ? rd_kafka_topic_result_error(res[0]) : RD_KAFKA_RESP_ERR__FAIL;
	const char *m = n == 1 ? rd_kafka_topic_result_error_string(res[0]) : NULL;

	if (err)
		ks_seterr(errstr, errlen, -1, "%s topic %s: %s", verb, topic,
		          m ? m : rd_kafka_err2str(err));
	return err;
}

int ks_kafka_topic_create(rd_kafka_t *rk, const char *topic, int partitions, int rf,
                          const char *const *configs, int nconfigs, int timeout_ms, char *errstr,
                          size_t errlen)
{
	rd_kafka_NewTopic_t *nt;
	rd_kafka_queue_t *q;
	rd_kafka_AdminOptions_t *opt;
	rd_kafka_event_t *ev;
	char kerr[512];
	int rc = -1;

	if (!(nt = rd_kafka_NewTopic_new(topic, partitions, rf, kerr, sizeof(kerr))))
		return ks_seterr(errstr, errlen, -1, "creating topic %s: %s", topic, kerr);
	for (int i = 0; i < nconfigs; i++) {
		const char *eq = strchr(configs[i], '=');
		char name[256];
		if (!eq || (size_t)(eq - configs[i]) >= sizeof(name)) {
			rd_kafka_NewTopic_destroy(nt);
			return ks_seterr(errstr, errlen, -1,
			                 "creating topic %s: config '%s' is not NAME=VALUE", topic,
			                 configs[i]);
		}
		memcpy(name, configs[i], (size_t)(eq - configs[i]));
		name[eq - configs[i]] = '\0';
		if (rd_kafka_NewTopic_set_config(nt, name, eq + 1)) {
			rd_kafka_NewTopic_destroy(nt);
			return ks_seterr(errstr, errlen, -1, "creating topic %s: bad config %s",
			                 topic, configs[i]);
		}
	}
	q = rd_kafka_queue_new(rk);
	opt = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_AdminOptions_set_operation_timeout(opt, timeout_ms, kerr, sizeof(kerr));
	rd_kafka_CreateTopics(rk, &nt, 1, opt, q);
	if ((ev = answer(q, timeout_ms + 5000, "creating", topic, errstr, errlen))) {
		size_t n = 0;
		const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(
		        rd_kafka_event_CreateTopics_result(ev), &n);
		rd_kafka_resp_err_t err = topic_result(res, n, "creating", topic, errstr, errlen);
		rc = !err ? 0 : err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS ? 1 : -1;
		rd_kafka_event_destroy(ev);
	}
	rd_kafka_AdminOptions_destroy(opt);
	rd_kafka_queue_destroy(q);
	rd_kafka_NewTopic_destroy(nt);
	return rc;
}

int ks_kafka_topic_delete(rd_kafka_t *rk, const char *topic, int timeout_ms, char *errstr,
                          size_t errlen)
{
	rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(topic);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *opt =
	        rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DELETETOPICS);
	rd_kafka_event_t *ev;
	char kerr[512];
	int rc = -1;

	rd_kafka_AdminOptions_set_operation_timeout(opt, timeout_ms, kerr, sizeof(kerr));
	rd_kafka_DeleteTopics(rk, &dt, 1, opt, q);
	if ((ev = answer(q, timeout_ms + 5000, "deleting", topic, errstr, errlen))) {
		size_t n = 0;
		const rd_kafka_topic_result_t **res = rd_kafka_DeleteTopics_result_topics(
		        rd_kafka_event_DeleteTopics_result(ev), &n);
		rc = topic_result(res, n, "deleting", topic, errstr, errlen) ? -1 : 0;
		rd_kafka_event_destroy(ev);
	}
	rd_kafka_AdminOptions_destroy(opt);
	rd_kafka_queue_destroy(q);
	rd_kafka_DeleteTopic_destroy(dt);
	return rc;
}

int ks_kafka_topic_configs(rd_kafka_t *rk, const char *topic, int timeout_ms,
                           void (*each)(const rd_kafka_ConfigEntry_t *entry, void *arg), void *arg,
                           char *errstr, size_t errlen)
{
	rd_kafka_ConfigResource_t *cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *opt =
	        rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
	rd_kafka_event_t *ev;
	char kerr[512];
	int rc = -1;

	rd_kafka_AdminOptions_set_request_timeout(opt, timeout_ms, kerr, sizeof(kerr));
	rd_kafka_DescribeConfigs(rk, &cr, 1, opt, q);
	if ((ev = answer(q, timeout_ms + 5000, "describing", topic, errstr, errlen))) {
		size_t n = 0, ne = 0;
		const rd_kafka_ConfigResource_t **res = rd_kafka_DescribeConfigs_result_resources(
		        rd_kafka_event_DescribeConfigs_result(ev), &n);
		if (n != 1 || rd_kafka_ConfigResource_error(res[0])) {
			ks_seterr(errstr, errlen, -1, "describing topic %s: %s", topic,
			          n == 1 ? rd_kafka_err2str(rd_kafka_ConfigResource_error(res[0]))
			                 : "no result");
		} else {
			const rd_kafka_ConfigEntry_t **ents =
			        rd_kafka_ConfigResource_configs(res[0], &ne);
			for (size_t i = 0; i < ne; i++)
				each(ents[i], arg);
			rc = 0;
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(opt);
	rd_kafka_queue_destroy(q);
	rd_kafka_ConfigResource_destroy(cr);
	return rc;
}

int ks_kafka_topic_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms)
{
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	const struct rd_kafka_metadata *md = NULL;
	int n = -1;

	if (!rkt)
		return -1;
	if (rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (md->topic_cnt == 1 && !md->topics[0].err)
			n = md->topics[0].partition_cnt;
		rd_kafka_metadata_destroy(md);
	}
	rd_kafka_topic_destroy(rkt);
	return n;
}
