/*
 * offsets.c — KIP-875 offsets of a sink connector for the herder: GET
 * (the group's committed offsets merged with the connector's own), PATCH
 * (alter) and DELETE (reset), the latter two only while the connector is
 * STOPPED. Offsets go to the connector (offsets_read / offsets_alter, when
 * it keeps its own) and to the consumer group connect-<name>, through a
 * consumer that never joins the group (see commit_group for brokers that
 * insist). The REST layer parses the request and renders the answer
 * (rest/routes.c, rest/views.c).
 */
#include "herder_int.h"

#include "../config/topics.h"
#include "../lib/log.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOGCTX "herder"

/* The commit metadata of a partition whose offsets were reset (DELETE, or
 * PATCH with "offset": null): the group's offset is moved to the low
 * watermark so the task resumes from the start of the log, and GET reports
 * the partition as having no offset, as Connect does after it deleted the
 * group's offsets (librdkafka's mock has no OffsetDelete; a commit with
 * this marker works on every broker). A task's next commit replaces it. */
#define RESET_MARK "ksink:reset"

static int is_reset_mark(const rd_kafka_topic_partition_t *e)
{
	return e->metadata && e->metadata_size == sizeof(RESET_MARK) - 1 &&
	       !memcmp(e->metadata, RESET_MARK, sizeof(RESET_MARK) - 1);
}

/* A consumer in the connector's group that never joins (commits as a
 * "simple" consumer, accepted while the group is empty). */
static rd_kafka_t *admin_consumer(ks_herder_t *h, const ks_props_t *config, const char *name,
                                  char *errstr, size_t errlen)
{
	ks_props_t *cp = ks_worker_consumer_props(h->wc, config, name, 0);
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char *group = ks_worker_group_id(config, name);
	char kerr[256];
	rd_kafka_t *rk;

	for (size_t i = 0; cp && i < ks_props_count(cp); i++)
		(void)rd_kafka_conf_set(conf, ks_props_key(cp, i), ks_props_value(cp, i), kerr,
		                        sizeof(kerr));
	if (group)
		(void)rd_kafka_conf_set(conf, "group.id", group, kerr, sizeof(kerr));
	(void)rd_kafka_conf_set(conf, "client.id", "ksink-offsets", kerr, sizeof(kerr));
	ks_props_destroy(cp);
	free(group);
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof(kerr));
	if (!rk) {
		rd_kafka_conf_destroy(conf);
		ks_seterr(errstr, errlen, -1, "consumer: %s", kerr);
	}
	return rk;
}

/* Every partition of the topics the connector consumes (metadata). */
static rd_kafka_topic_partition_list_t *
connector_partitions(rd_kafka_t *rk, const ks_props_t *config, char *errstr, size_t errlen)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t err;
	ks_topics_t tp;

	/* the one decision for topics / topics.regex (config/topics.h) */
	if (ks_topics_init(&tp, ks_props_get(config, "topics"),
	                   ks_props_get(config, "topics.regex"), errstr, errlen))
		return NULL;
	err = rd_kafka_metadata(rk, 1, NULL, &md, 5000);
	if (err) {
		ks_topics_clear(&tp);
		ks_seterr(errstr, errlen, -1, "metadata: %s", rd_kafka_err2str(err));
		return NULL;
	}
	l = rd_kafka_topic_partition_list_new(16);
	for (int i = 0; i < md->topic_cnt; i++) {
		const struct rd_kafka_metadata_topic *t = &md->topics[i];
		if (!ks_topics_matches(&tp, t->topic))
			continue;
		for (int p = 0; p < t->partition_cnt; p++)
			rd_kafka_topic_partition_list_add(l, t->topic, t->partitions[p].id);
	}
	rd_kafka_metadata_destroy(md);
	ks_topics_clear(&tp);
	rd_kafka_topic_partition_list_sort(l, NULL, NULL);
	return l;
}

/* The group's committed offsets of every partition the connector consumes,
 * merged with the connector's own (which win: they are where it resumes). */
static ks_err_t offsets_get(ks_herder_t *h, const char *name, const ks_props_t *config,
                            const ks_connector_plugin_t *plugin, ks_tp_offset_t **out, size_t *nout,
                            char *errstr, size_t errlen)
{
	rd_kafka_t *rk = admin_consumer(h, config, name, errstr, errlen);
	rd_kafka_topic_partition_list_t *l;
	ks_tp_offset_t *db = NULL, *res;
	size_t ndb = 0, n = 0;
	int oom = 0;

	if (!rk)
		return KS_ERR_FATAL;
	l = connector_partitions(rk, config, errstr, errlen);
	if (!l || rd_kafka_committed(rk, l, 5000)) {
		if (l)
			rd_kafka_topic_partition_list_destroy(l);
		rd_kafka_destroy(rk);
		return ks_seterr(errstr, errlen, KS_ERR_FATAL,
		                 "Failed to retrieve consumer group offsets for sink connector %s",
		                 name);
	}
	if (plugin && plugin->offsets_read) {
		char perr[KS_ERRSTR_SIZE];
		ks_props_t *resolved = ks_providers_resolve(h->wc->providers, config);
		if (!resolved ||
		    plugin->offsets_read(resolved, name, &db, &ndb, perr, sizeof(perr)) != KS_OK) {
			/* the connector's store is where it resumes: without it
			 * the group's offsets alone would be a wrong answer */
			KS_WARN(LOGCTX, "connector %s: reading its offsets: %s", name,
			        resolved ? perr : "out of memory");
			ks_props_destroy(resolved);
			rd_kafka_topic_partition_list_destroy(l);
			rd_kafka_destroy(rk);
			return ks_seterr(errstr, errlen, KS_ERR_FATAL,
			                 "Failed to read the offsets of connector %s: %s", name,
			                 resolved ? perr : "out of memory");
		}
		ks_props_destroy(resolved);
	}
	res = calloc(ndb + (size_t)l->cnt + 1, sizeof(*res));
	for (size_t i = 0; res && i < ndb; i++)
		if (db[i].offset >= 0) {
			res[n] = db[i];
			oom |= !(res[n++].topic = ks_strdup(db[i].topic));
		}
	for (int i = 0; res && i < l->cnt; i++) {
		int dup = 0;
		if (l->elems[i].offset < 0 || is_reset_mark(&l->elems[i]))
			continue;
		for (size_t j = 0; j < ndb && !dup; j++)
			dup = db[j].offset >= 0 && db[j].partition == l->elems[i].partition &&
			      !strcmp(db[j].topic, l->elems[i].topic);
		if (dup)
			continue;
		res[n].partition = l->elems[i].partition;
		res[n].offset = l->elems[i].offset;
		oom |= !(res[n++].topic = ks_strdup(l->elems[i].topic));
	}
	ks_tp_offsets_free(db, ndb);
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_destroy(rk);
	if (!res || oom) {
		ks_tp_offsets_free(res, n);
		return ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
	}
	*out = res;
	*nout = n;
	return KS_OK;
}

/* Commits offs to the group; offset < 0 = back to the low watermark. */
static int commit_group(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *l, char *errstr,
                        size_t errlen)
{
	rd_kafka_resp_err_t err;
	for (int i = 0; i < l->cnt; i++) {
		if (l->elems[i].offset < 0) {
			int64_t lo = 0, hi = 0;
			if (rd_kafka_query_watermark_offsets(rk, l->elems[i].topic,
			                                     l->elems[i].partition, &lo, &hi, 5000))
				lo = 0;
			l->elems[i].offset = lo;
			free(l->elems[i].metadata);
			if (!(l->elems[i].metadata = strdup(RESET_MARK)))
				return ks_seterr(errstr, errlen, -1, "out of memory");
			l->elems[i].metadata_size = sizeof(RESET_MARK) - 1;
		}
	}
	if (!l->cnt)
		return 0;
	err = rd_kafka_commit(rk, l, 0);
	if (err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID ||
	    err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION) {
		/* The broker (librdkafka's mock, for one) refuses commits from
		 * non-members: join the (empty) group briefly and commit as a member. */
		rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(l->cnt);
		rd_kafka_topic_partition_list_t *asg = NULL;
		int64_t deadline = ks_now_ms() + 30000;
		for (int i = 0; i < l->cnt; i++)
			if (!rd_kafka_topic_partition_list_find(sub, l->elems[i].topic,
			                                        RD_KAFKA_PARTITION_UA))
				rd_kafka_topic_partition_list_add(sub, l->elems[i].topic,
				                                  RD_KAFKA_PARTITION_UA);
		rd_kafka_poll_set_consumer(rk);
		err = rd_kafka_subscribe(rk, sub);
		rd_kafka_topic_partition_list_destroy(sub);
		while (!err && ks_now_ms() < deadline) {
			rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
			if (m)
				rd_kafka_message_destroy(m);
			if (!rd_kafka_assignment(rk, &asg) && asg && asg->cnt)
				break;
			if (asg)
				rd_kafka_topic_partition_list_destroy(asg);
			asg = NULL;
		}
		if (asg)
			rd_kafka_topic_partition_list_destroy(asg);
		if (!err)
			err = rd_kafka_commit(rk, l, 0);
		rd_kafka_consumer_close(rk);
	}
	if (err)
		return ks_seterr(errstr, errlen, -1, "committing group offsets: %s",
		                 rd_kafka_err2str(err));
	return 0;
}

/* Alters (offs) or resets (offs NULL) the group's offsets and, when the
 * connector keeps its own, those too (*external). Caller holds ops. */
static ks_err_t offsets_modify(ks_herder_t *h, const char *name, const ks_props_t *config,
                               const ks_connector_plugin_t *plugin, const ks_tp_offset_t *offs,
                               size_t n, int *external, char *errstr, size_t errlen)
{
	int reset = offs == NULL;
	rd_kafka_t *rk = NULL;
	rd_kafka_topic_partition_list_t *l = NULL;
	ks_err_t r = KS_OK;

	*external = 0;
	rk = admin_consumer(h, config, name, errstr, errlen);
	if (!rk) {
		r = KS_ERR_FATAL;
		goto out;
	}
	if (reset) {
		l = connector_partitions(rk, config, errstr, errlen);
		if (!l || rd_kafka_committed(rk, l, 5000)) {
			r = ks_seterr(errstr, errlen, KS_ERR_FATAL,
			              "Failed to reset offsets of sink connector %s", name);
			goto out;
		}
		/* only partitions that have a committed offset are reset */
		rd_kafka_topic_partition_list_t *keep = rd_kafka_topic_partition_list_new(l->cnt);
		for (int k = 0; k < l->cnt; k++)
			if (l->elems[k].offset >= 0)
				rd_kafka_topic_partition_list_add(keep, l->elems[k].topic,
				                                  l->elems[k].partition)
				        ->offset = -1;
		rd_kafka_topic_partition_list_destroy(l);
		l = keep;
	} else {
		l = rd_kafka_topic_partition_list_new((int)n);
		for (size_t i = 0; i < n; i++)
			rd_kafka_topic_partition_list_add(l, offs[i].topic, offs[i].partition)
			        ->offset = offs[i].offset;
	}
	if (plugin && plugin->offsets_alter) {
		ks_props_t *resolved = ks_providers_resolve(h->wc->providers, config);
		char perr[KS_ERRSTR_SIZE];
		if (!resolved || plugin->offsets_alter(resolved, name, offs, n, reset, perr,
		                                       sizeof(perr)) != KS_OK) {
			ks_props_destroy(resolved);
			r = ks_seterr(errstr, errlen, KS_ERR_FATAL,
			              "Failed to %s the offsets of connector %s: %s",
			              reset ? "reset" : "alter", name,
			              resolved ? perr : "out of memory");
			goto out;
		}
		ks_props_destroy(resolved);
		*external = 1;
	}
	if (commit_group(rk, l, errstr, errlen)) {
		r = KS_ERR_FATAL;
		goto out;
	}
	KS_INFO(LOGCTX, "connector %s: offsets %s", name, reset ? "reset" : "altered");
out:
	if (l)
		rd_kafka_topic_partition_list_destroy(l);
	if (rk)
		rd_kafka_destroy(rk);
	return r;
}

/* A copy of the config and the plugin of connector name; for a change
 * (stopped = 1) the connector must be STOPPED. Caller holds ops. */
static ks_err_t offsets_target(ks_herder_t *h, const char *name, int stopped, ks_props_t **config,
                               const ks_connector_plugin_t **plugin, char *errstr, size_t errlen)
{
	conn_t *c = ks_herder_find(h, name);

	if (!c)
		return ks_seterr(errstr, errlen, KS_ERR_NOTFOUND, "Connector %s not found", name);
	if (stopped && (c->target != KS_TARGET_STOPPED || c->ntasks))
		return ks_seterr(errstr, errlen, KS_ERR_INVALID,
		                 "Connectors must be in the STOPPED state before their offsets can "
		                 "be modified. This can be done for the specified connector by "
		                 "issuing a 'PUT' request to the '/connectors/%s/stop' endpoint",
		                 name);
	*plugin = ks_connector_find(ks_props_get(c->config, "connector.class"));
	if (!(*config = ks_props_dup(c->config)))
		return ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
	return KS_OK;
}

ks_err_t ks_herder_offsets_get(ks_herder_t *h, const char *name, ks_tp_offset_t **offs, size_t *n,
                               char *errstr, size_t errlen)
{
	ks_props_t *config = NULL;
	const ks_connector_plugin_t *plugin = NULL;
	ks_err_t r;

	pthread_mutex_lock(&h->ops);
	r = offsets_target(h, name, 0, &config, &plugin, errstr, errlen);
	pthread_mutex_unlock(&h->ops); /* reads need not block changes */
	if (r == KS_OK)
		r = offsets_get(h, name, config, plugin, offs, n, errstr, errlen);
	ks_props_destroy(config);
	return r;
}

ks_err_t ks_herder_offsets_alter(ks_herder_t *h, const char *name, const ks_tp_offset_t *offs,
                                 size_t n, int *external, char *errstr, size_t errlen)
{
	ks_props_t *config = NULL;
	const ks_connector_plugin_t *plugin = NULL;
	ks_err_t r;

	pthread_mutex_lock(&h->ops);
	r = offsets_target(h, name, 1, &config, &plugin, errstr, errlen);
	if (r == KS_OK)
		r = offsets_modify(h, name, config, plugin, offs, n, external, errstr, errlen);
	pthread_mutex_unlock(&h->ops);
	ks_props_destroy(config);
	return r;
}

ks_err_t ks_herder_offsets_check(ks_herder_t *h, const char *name, char *errstr, size_t errlen)
{
	ks_props_t *config = NULL;
	const ks_connector_plugin_t *plugin = NULL;
	ks_err_t r;

	pthread_mutex_lock(&h->ops);
	r = offsets_target(h, name, 1, &config, &plugin, errstr, errlen);
	pthread_mutex_unlock(&h->ops);
	ks_props_destroy(config);
	return r;
}
