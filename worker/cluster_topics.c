/*
 * cluster_topics.c — distributed mode's three topics: created when missing
 * (compacted, with the configured partitions and replication), and the config
 * topic refused unless it is one compacted partition, as Connect does
 * (KAFKA-9216). Start-up only; see cluster.h.
 */
#include "../lib/kafka_admin.h"
#include "cluster_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------- topics ---------------- */

/* Creates topic, compacted, unless it exists. 0 ok. */
static int topic_create(ks_cluster_t *cl, const char *topic, int partitions, const char *rf_key,
                        char *errstr, size_t errlen)
{
	static const char *const compact[] = {"cleanup.policy=compact"};
	int rc = ks_kafka_topic_create(cl->status_prod, topic, partitions,
	                               ks_config_int(cl->wc->cfg, rf_key), compact, 1,
	                               CL_ADMIN_TIMEOUT_MS, errstr, errlen);

	if (rc == 0)
		KS_INFO(LOGCTX, "created topic %s (%d partitions, compacted)", topic, partitions);
	return rc < 0 ? -1 : 0;
}

/* The partition count of topic (-1 when unknown). A topic another worker
 * has just created may take a moment to show in the metadata: asked again
 * for up to 30 s. */
static int topic_partitions(rd_kafka_t *rk, const char *topic)
{
	int64_t deadline = ks_now_ms() + CL_ADMIN_TIMEOUT_MS;
	int n;

	while ((n = ks_kafka_topic_partitions(rk, topic, 5000)) < 1 && ks_now_ms() < deadline) {
		struct timespec ts = {0, 200 * 1000000L};
		nanosleep(&ts, NULL);
	}
	return n < 1 ? -1 : n;
}

/* policy_of's state: where the topic's cleanup.policy goes. */
typedef struct policy_out {
	char *out;
	size_t len;
} policy_out_t;

static void policy_of(const rd_kafka_ConfigEntry_t *entry, void *arg)
{
	policy_out_t *po = arg;

	if (!strcmp(rd_kafka_ConfigEntry_name(entry), "cleanup.policy") &&
	    rd_kafka_ConfigEntry_value(entry))
		snprintf(po->out, po->len, "%s", rd_kafka_ConfigEntry_value(entry));
}

/* The cleanup.policy of topic into out ("" when it cannot be read). */
static void topic_cleanup_policy(ks_cluster_t *cl, const char *topic, char *out, size_t len)
{
	policy_out_t po = {out, len};
	char errstr[KS_ERRSTR_SIZE];

	*out = '\0';
	if (ks_kafka_topic_configs(cl->status_prod, topic, CL_ADMIN_TIMEOUT_MS, policy_of, &po,
	                           errstr, sizeof(errstr)))
		KS_DEBUG(LOGCTX, "%s", errstr);
}

/* Creates the three topics when missing; refuses a config topic that is not
 * one compacted partition (as Connect, KAFKA-9216). 0 ok. */
int ks_cluster_topics_setup(ks_cluster_t *cl, char *errstr, size_t errlen)
{
	char policy[128];
	int n;

	if (topic_create(cl, cl->config_topic, 1, "config.storage.replication.factor", errstr,
	                 errlen) ||
	    topic_create(cl, cl->status_topic, cl->status_parts,
	                 "status.storage.replication.factor", errstr, errlen) ||
	    topic_create(cl, cl->slots_topic, cl->nslots, "offset.storage.replication.factor",
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
