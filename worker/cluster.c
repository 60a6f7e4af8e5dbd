/*
 * cluster.c — distributed mode's shared state in Kafka: the config and
 * status topics tailed into a view, the worker's membership and slots and
 * the status publisher; the topics' set-up is in cluster_topics.c, the
 * leader's fenced writer in cluster_leader.c (cluster_int.h). The design is in
 * cluster.h and README "Distributed mode"; the herder (herder.c) turns the
 * view into running tasks.
 *
 * Threads:
 *   tail    reads the config topic (1 partition) and the status topic from
 *           the beginning, read_committed, applies each record to the view
 *           and calls the herder's hooks; checks every few seconds that the
 *           config topic answers (/health)
 *   member  the consumer in group `group.id` whose assigned partitions of
 *           the offset topic are this worker's slots; becomes or stops being
 *           the leader with slot 0; publishes the states of the local tasks
 *           every second when they changed
 * `lock` guards the view and the slots; `wlock` serializes the leader's
 * writes (and the change of leadership itself).
 */
#include "cluster_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------- small helpers ---------------- */

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Task t of a connector of ntasks sits on slot base + t: consecutive slots,
 * which the round-robin assignor hands to different workers, and never
 * wrapping past the last slot (slot S-1 and slot 0 may well be one
 * worker's when S is not a multiple of the worker count). */
static int slot_of(const ks_cluster_t *cl, const char *name, int task, int ntasks)
{
	uint32_t span = ntasks < cl->nslots ? (uint32_t)(cl->nslots - ntasks + 1) : 1;
	return (int)((name_hash(name) % span + (uint32_t)task) % (uint32_t)cl->nslots);
}

static ks_target_t target_of(const char *s)
{
	return s && !strcmp(s, "PAUSED")    ? KS_TARGET_PAUSED
	       : s && !strcmp(s, "STOPPED") ? KS_TARGET_STOPPED
	                                    : KS_TARGET_STARTED;
}

static ks_state_t state_of(const char *s)
{
	static const ks_state_t all[] = {KS_STATE_UNASSIGNED, KS_STATE_RUNNING,
	                                 KS_STATE_PAUSED,     KS_STATE_STOPPED,
	                                 KS_STATE_FAILED,     KS_STATE_RESTARTING};
	for (size_t i = 0; s && i < KS_ARRAY_SIZE(all); i++)
		if (!strcmp(s, ks_state_name(all[i])))
			return all[i];
	return KS_STATE_UNASSIGNED;
}

rd_kafka_t *ks_cluster_client_new(ks_cluster_t *cl, rd_kafka_type_t type, const char *what,
                                  const char *const *kv, void (*setup)(rd_kafka_conf_t *conf),
                                  char *errstr, size_t errlen)
{
	ks_props_t *p = type == RD_KAFKA_CONSUMER
	                        ? ks_worker_consumer_props(cl->wc, NULL, "__ksink_cluster", 0)
	                        : ks_worker_producer_props(cl->wc, NULL, "__ksink_cluster", 0);
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	char kerr[512];

	if (!p) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		return NULL;
	}
	for (; kv && kv[0]; kv += 2)
		if (ks_props_set(p, kv[0], kv[1])) {
			ks_props_destroy(p);
			ks_seterr(errstr, errlen, -1, "out of memory");
			return NULL;
		}
	conf = ks_worker_kafka_conf(p, LOGCTX, what, errstr, errlen);
	ks_props_destroy(p);
	if (!conf)
		return NULL;
	rd_kafka_conf_set_opaque(conf, cl);
	if (setup)
		setup(conf);
	rk = rd_kafka_new(type, conf, kerr, sizeof(kerr));
	if (!rk) {
		rd_kafka_conf_destroy(conf);
		ks_seterr(errstr, errlen, -1, "%s: %s", what, kerr);
	}
	return rk;
}

/* Waits on cond for at most ms (lock held). */
void ks_cluster_cond_wait_ms(ks_cluster_t *cl, long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += ms * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&cl->cond, &cl->lock, &ts);
}

/* ---------------- the tail: config and status topics -> view ---------------- */

/* "restart-task-<name>-<n>": splits at the last '-'. 0 ok. */
static int split_task_key(const char *rest, char **name, int *task)
{
	const char *dash = strrchr(rest, '-');
	long long v;

	if (!dash || dash == rest || ks_parse_ll(dash + 1, 0, 1024, &v))
		return -1;
	*task = (int)v;
	*name = ks_strndup(rest, (size_t)(dash - rest));
	return *name ? 0 : -1;
}

/* Applies one config record; the hook to call afterwards into *changed
 * (a new name) or *restart_name/_task/_flags. Caller holds lock. */
static void apply_config(ks_cluster_t *cl, const char *key, json_t *v, char **changed,
                         char **restart_name, int *restart_task, int *inc, int *only)
{
	const char *p;

	if (!strncmp(key, "connector-", 10)) {
		p = key + 10;
		if (json_is_object(json_object_get(v, "properties")))
			json_object_set(cl->configs, p, json_object_get(v, "properties"));
		else
			json_object_del(cl->configs, p);
		*changed = ks_strdup(p);
	} else if (!strncmp(key, "target-state-", 13)) {
		const char *s = json_string_value(json_object_get(v, "state.v2"));
		p = key + 13;
		if (!s)
			s = json_string_value(json_object_get(v, "state"));
		if (v && s)
			json_object_set_new(cl->targets, p,
			                    json_string(ks_target_name(target_of(s))));
		else
			json_object_del(cl->targets, p);
		*changed = ks_strdup(p);
	} else if (!strncmp(key, "restart-connector-", 18) && v && cl->joined) {
		*restart_name = ks_strdup(key + 18);
		*restart_task = -1;
		*inc = json_is_true(json_object_get(v, "include-tasks"));
		*only = json_is_true(json_object_get(v, "only-failed"));
	} else if (!strncmp(key, "restart-task-", 13) && v && cl->joined) {
		if (split_task_key(key + 13, restart_name, restart_task))
			KS_WARN(LOGCTX, "config topic: bad key %s, ignored", key);
	} else if (!strcmp(key, "ksink-leader")) {
		const char *u = json_string_value(json_object_get(v, "url"));
		const char *w = json_string_value(json_object_get(v, "worker_id"));
		free(cl->leader_url);
		free(cl->leader_id);
		cl->leader_url = u ? ks_strdup(u) : NULL;
		cl->leader_id = w ? ks_strdup(w) : NULL;
		KS_INFO(LOGCTX, "leader is %s", w ? w : "(none)");
	} /* task-*, commit-*, session-key: Connect's, not needed by a sink worker */
}

static void tail_message(ks_cluster_t *cl, const rd_kafka_message_t *m)
{
	const char *topic = rd_kafka_topic_name(m->rkt);
	char key[1024];
	json_t *v = NULL;
	char *changed = NULL, *rname = NULL;
	int rtask = -1, inc = 0, only = 0;

	if (!m->key || m->key_len >= sizeof(key))
		return;
	memcpy(key, m->key, m->key_len);
	key[m->key_len] = '\0';
	if (m->payload && m->len) {
		json_error_t jerr;
		v = json_loadb(m->payload, m->len, 0, &jerr);
		if (!v) {
			KS_WARN(LOGCTX, "%s[%d]@%lld: key %s: not JSON (%s), ignored", topic,
			        (int)m->partition, (long long)m->offset, key, jerr.text);
			return;
		}
	}
	pthread_mutex_lock(&cl->lock);
	if (!strcmp(topic, cl->status_topic)) {
		if (json_is_object(v))
			json_object_set(cl->statuses, key, v);
		else
			json_object_del(cl->statuses, key);
	} else {
		apply_config(cl, key, v, &changed, &rname, &rtask, &inc, &only);
	}
	pthread_mutex_unlock(&cl->lock);
	json_decref(v);
	if (changed && cl->hooks.connector_changed)
		cl->hooks.connector_changed(cl->hooks.opaque, changed);
	if (rname && cl->hooks.restart)
		cl->hooks.restart(cl->hooks.opaque, rname, rtask, inc, only);
	free(changed);
	free(rname);
	if (strcmp(topic, cl->status_topic)) {
		/* applied only now: a write waiting for it finds the herder done */
		pthread_mutex_lock(&cl->lock);
		cl->applied = m->offset + 1;
		pthread_cond_broadcast(&cl->cond);
		pthread_mutex_unlock(&cl->lock);
	}
}

static void set_health(ks_cluster_t *cl, int ok, const char *msg)
{
	pthread_mutex_lock(&cl->lock);
	if (ok != cl->healthy)
		KS_INFO(LOGCTX, "config topic %s: %s", cl->config_topic, ok ? "reachable" : msg);
	cl->healthy = ok;
	snprintf(cl->health_msg, sizeof(cl->health_msg), "%s", msg);
	pthread_mutex_unlock(&cl->lock);
}

/* Asks the cluster for the config topic's metadata (a bounded wait: a
 * watermark query can hang well past its timeout with every broker down). */
static void health_probe(ks_cluster_t *cl)
{
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(cl->tail, cl->config_topic, NULL);
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t err =
	        rkt ? rd_kafka_metadata(cl->tail, 0, rkt, &md, 2000) : RD_KAFKA_RESP_ERR__NOENT;
	char msg[KS_ERRSTR_SIZE];

	if (!err && md)
		err = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
	if (md)
		rd_kafka_metadata_destroy(md);
	if (rkt)
		rd_kafka_topic_destroy(rkt);
	if (err)
		snprintf(msg, sizeof(msg), "the config topic %s cannot be reached: %s",
		         cl->config_topic, rd_kafka_err2str(err));
	else
		snprintf(msg, sizeof(msg), "ok");
	set_health(cl, !err, msg);
}

/* Every broker down (the tail's error callback): unhealthy at once; the
 * probe turns it back. */
static void tail_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	ks_cluster_t *cl = opaque;
	char msg[KS_ERRSTR_SIZE];

	(void)rk;
	if (err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
		return;
	snprintf(msg, sizeof(msg), "the config topic %s cannot be reached: %s", cl->config_topic,
	         reason);
	set_health(cl, 0, msg);
}

static void tail_setup(rd_kafka_conf_t *conf)
{
	rd_kafka_conf_set_error_cb(conf, tail_error);
}

static void *tail_main(void *arg)
{
	ks_cluster_t *cl = arg;
	int64_t next_check = 0;

	while (!atomic_load(&cl->stop)) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(cl->tail, 200);
		if (m) {
			if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
				if (!strcmp(rd_kafka_topic_name(m->rkt), cl->config_topic)) {
					pthread_mutex_lock(&cl->lock);
					cl->eof_seen = 1;
					pthread_cond_broadcast(&cl->cond);
					pthread_mutex_unlock(&cl->lock);
				}
			} else if (m->err) {
				KS_DEBUG(LOGCTX, "tail: %s", rd_kafka_message_errstr(m));
			} else {
				tail_message(cl, m);
			}
			rd_kafka_message_destroy(m);
		}
		if (ks_now_ms() >= next_check) {
			health_probe(cl);
			next_check = ks_now_ms() + CL_HEALTH_EVERY_MS;
		}
	}
	return NULL;
}

/* Reads the config topic to its end (the end as of now). 0 ok. */
static int tail_catch_up(ks_cluster_t *cl, char *errstr, size_t errlen)
{
	int64_t lo = 0, hi = 0, deadline = ks_now_ms() + 60000;
	rd_kafka_resp_err_t err;
	int done = 0;

	while ((err = rd_kafka_query_watermark_offsets(cl->tail, cl->config_topic, 0, &lo, &hi,
	                                               5000))) {
		if (ks_now_ms() > deadline)
			return ks_seterr(errstr, errlen, -1, "config.storage.topic %s: %s",
			                 cl->config_topic, rd_kafka_err2str(err));
	}
	pthread_mutex_lock(&cl->lock);
	while (!(done = hi <= lo || cl->eof_seen || cl->applied >= hi) && ks_now_ms() < deadline) {
		ks_cluster_cond_wait_ms(cl, 100);
	}
	pthread_mutex_unlock(&cl->lock);
	if (!done)
		return ks_seterr(errstr, errlen, -1,
		                 "config.storage.topic %s: not read to its end (offset %lld) "
		                 "within 60 s",
		                 cl->config_topic, (long long)hi);
	KS_INFO(LOGCTX, "read the config topic %s to its end (%lld records)", cl->config_topic,
	        (long long)hi);
	return 0;
}

static int tail_start(ks_cluster_t *cl, char *errstr, size_t errlen)
{
	char gid[600];
	const char *kv[] = {"group.id",
	                    gid,
	                    "isolation.level",
	                    "read_committed",
	                    "enable.partition.eof",
	                    "true",
	                    "auto.offset.reset",
	                    "earliest",
	                    "client.id",
	                    "ksink-cluster-tail",
	                    NULL};
	rd_kafka_topic_partition_list_t *tp;
	rd_kafka_resp_err_t err;

	snprintf(gid, sizeof(gid), "ksink-tail-%s", cl->wc->worker_id);
	if (!(cl->tail = ks_cluster_client_new(cl, RD_KAFKA_CONSUMER, "cluster tail", kv,
	                                       tail_setup, errstr, errlen)))
		return -1;
	tp = rd_kafka_topic_partition_list_new(1 + cl->status_parts);
	rd_kafka_topic_partition_list_add(tp, cl->config_topic, 0)->offset =
	        RD_KAFKA_OFFSET_BEGINNING;
	for (int i = 0; i < cl->status_parts; i++)
		rd_kafka_topic_partition_list_add(tp, cl->status_topic, i)->offset =
		        RD_KAFKA_OFFSET_BEGINNING;
	err = rd_kafka_assign(cl->tail, tp);
	rd_kafka_topic_partition_list_destroy(tp);
	if (err)
		return ks_seterr(errstr, errlen, -1, "assigning the config topic: %s",
		                 rd_kafka_err2str(err));
	if (pthread_create(&cl->tail_thr, NULL, tail_main, cl))
		return ks_seterr(errstr, errlen, -1, "cannot start a thread");
	cl->tail_started = 1;
	return 0;
}

/* ---------------- the member: slots, leadership, status ---------------- */

static void member_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	ks_cluster_t *cl = opaque;

	pthread_mutex_lock(&cl->lock);
	memset(cl->owned, 0, (size_t)cl->nslots);
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		for (int i = 0; i < parts->cnt; i++)
			if (parts->elems[i].partition >= 0 &&
			    parts->elems[i].partition < cl->nslots)
				cl->owned[parts->elems[i].partition] = 1;
		cl->generation++;
		cl->assign_pending = 1;
		KS_INFO(LOGCTX, "assigned %d of %d slots (generation %lld)", parts->cnt, cl->nslots,
		        (long long)cl->generation);
	} else {
		cl->revoked = rd_kafka_assignment_lost(rk) ? 2 : 1;
		KS_INFO(LOGCTX, "slots revoked%s", cl->revoked == 2 ? " (lost)" : "");
	}
	pthread_mutex_unlock(&cl->lock);
	rd_kafka_assign(rk, err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? parts : NULL);
}

static void member_setup(rd_kafka_conf_t *conf)
{
	rd_kafka_conf_set_rebalance_cb(conf, member_rebalance);
}

struct pub_ctx {
	ks_cluster_t *cl;
	json_t *now; /* key -> text, this round */
};

static void status_put(void *arg, const ks_cluster_status_t *st)
{
	struct pub_ctx *pc = arg;
	ks_cluster_t *cl = pc->cl;
	char key[1200];
	json_t *v;
	char *text;
	const char *old;

	if (st->task < 0)
		snprintf(key, sizeof(key), "status-connector-%s", st->connector);
	else
		snprintf(key, sizeof(key), "status-task-%s-%d", st->connector, st->task);
	v = json_pack("{s:s, s:s?, s:s, s:I}", "state", ks_state_name(st->state), "trace",
	              st->trace, "worker_id", cl->wc->worker_id, "generation",
	              (json_int_t)cl->generation);
	text = v ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	if (!text)
		return;
	old = json_string_value(json_object_get(cl->published, key));
	if (!old || strcmp(old, text)) {
		rd_kafka_resp_err_t err = rd_kafka_producev(
		        cl->status_prod, RD_KAFKA_V_TOPIC(cl->status_topic),
		        RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(text, strlen(text)),
		        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
		if (err) { /* not remembered: tried again next round */
			KS_DEBUG(LOGCTX, "status %s: %s", key, rd_kafka_err2str(err));
			free(text);
			return;
		}
	}
	json_object_set_new(pc->now, key, json_string(text));
	free(text);
}

static void publish_status(ks_cluster_t *cl)
{
	struct pub_ctx pc = {cl, json_object()};

	if (!pc.now || !cl->hooks.collect_status)
		return;
	cl->hooks.collect_status(cl->hooks.opaque, status_put, &pc);
	json_decref(cl->published);
	cl->published = pc.now;
	rd_kafka_poll(cl->status_prod, 0);
}

static void *member_main(void *arg)
{
	ks_cluster_t *cl = arg;
	int64_t next_pub = 0, next_take = 0;
	int want_leader = 0;

	while (!atomic_load(&cl->stop)) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(cl->member, 100);
		int assigned, lost, leading;
		if (m)
			rd_kafka_message_destroy(m); /* nothing is ever written to the slots */
		pthread_mutex_lock(&cl->lock);
		assigned = cl->assign_pending;
		lost = cl->revoked == 2;
		cl->assign_pending = cl->revoked = 0;
		want_leader = cl->owned[0];
		leading = cl->is_leader;
		if (cl->generation &&
		    (leading || (cl->leader_id && strcmp(cl->leader_id, cl->wc->worker_id))))
			cl->ready = 1;
		pthread_mutex_unlock(&cl->lock);
		/* A revoke alone keeps the leadership: the eager protocol revokes
		 * every slot before each assignment, and slot 0 usually comes back.
		 * Should another worker get it, its init_transactions fences this
		 * one's producer, so there is never a second writer. */
		if (leading && (lost || (assigned && !want_leader))) {
			pthread_mutex_lock(&cl->wlock);
			ks_cluster_leader_drop(cl);
			pthread_mutex_unlock(&cl->wlock);
		}
		if (assigned && cl->hooks.assignment_changed)
			cl->hooks.assignment_changed(cl->hooks.opaque);
		if (want_leader && !leading && !atomic_load(&cl->stop) &&
		    ks_now_ms() >= next_take && ks_cluster_leader_take(cl))
			next_take = ks_now_ms() + 1000; /* tried again in a second */
		if (ks_now_ms() >= next_pub) {
			publish_status(cl);
			next_pub = ks_now_ms() + CL_STATUS_EVERY_MS;
		}
	}
	/* leave the group at once (a clean stop does not wait for the session
	 * timeout) */
	rd_kafka_consumer_close(cl->member);
	pthread_mutex_lock(&cl->wlock);
	ks_cluster_leader_drop(cl);
	pthread_mutex_unlock(&cl->wlock);
	return NULL;
}

static int member_start(ks_cluster_t *cl, char *errstr, size_t errlen)
{
	char sess[32], hb[32], poll[32], cid[600];
	const char *kv[] = {"group.id",
	                    cl->group,
	                    "partition.assignment.strategy",
	                    "roundrobin",
	                    "session.timeout.ms",
	                    sess,
	                    "heartbeat.interval.ms",
	                    hb,
	                    "max.poll.interval.ms",
	                    poll,
	                    "client.id",
	                    cid,
	                    "auto.offset.reset",
	                    "latest",
	                    NULL};
	rd_kafka_topic_partition_list_t *sub;
	rd_kafka_resp_err_t err;

	snprintf(sess, sizeof(sess), "%d", ks_config_int(cl->wc->cfg, "session.timeout.ms"));
	snprintf(hb, sizeof(hb), "%d", ks_config_int(cl->wc->cfg, "heartbeat.interval.ms"));
	snprintf(poll, sizeof(poll), "%d", ks_config_int(cl->wc->cfg, "rebalance.timeout.ms"));
	snprintf(cid, sizeof(cid), "ksink-worker-%s", cl->wc->worker_id);
	if (!(cl->member = ks_cluster_client_new(cl, RD_KAFKA_CONSUMER, "cluster member", kv,
	                                         member_setup, errstr, errlen)))
		return -1;
	rd_kafka_poll_set_consumer(cl->member);
	sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, cl->slots_topic, RD_KAFKA_PARTITION_UA);
	err = rd_kafka_subscribe(cl->member, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	if (err)
		return ks_seterr(errstr, errlen, -1, "joining group %s: %s", cl->group,
		                 rd_kafka_err2str(err));
	if (pthread_create(&cl->member_thr, NULL, member_main, cl))
		return ks_seterr(errstr, errlen, -1, "cannot start a thread");
	cl->member_started = 1;
	return 0;
}

/* ---------------- API ---------------- */

ks_cluster_t *ks_cluster_new(const ks_worker_config_t *wc, const ks_cluster_hooks_t *hooks,
                             char *errstr, size_t errlen)
{
	ks_cluster_t *cl = calloc(1, sizeof(*cl));
	const char *lst, *scheme = "http";
	const char *kv[] = {"client.id", "ksink-cluster-status", NULL};

	if (!cl) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		return NULL;
	}
	cl->wc = wc;
	cl->hooks = *hooks;
	pthread_mutex_init(&cl->lock, NULL);
	pthread_cond_init(&cl->cond, NULL);
	pthread_mutex_init(&cl->wlock, NULL);
	cl->group = ks_strdup(ks_config_string(wc->cfg, "group.id"));
	cl->config_topic = ks_strdup(ks_config_string(wc->cfg, "config.storage.topic"));
	cl->status_topic = ks_strdup(ks_config_string(wc->cfg, "status.storage.topic"));
	cl->slots_topic = ks_strdup(ks_config_string(wc->cfg, "offset.storage.topic"));
	cl->nslots = ks_config_int(wc->cfg, "offset.storage.partitions");
	cl->status_parts = ks_config_int(wc->cfg, "status.storage.partitions");
	cl->configs = json_object();
	cl->targets = json_object();
	cl->statuses = json_object();
	cl->published = json_object();
	cl->healthy = 1;
	if (!cl->group || !cl->config_topic || !cl->status_topic || !cl->slots_topic ||
	    !cl->configs || !cl->targets || !cl->statuses || !cl->published) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		goto fail;
	}
	lst = ks_config_string(wc->cfg, "rest.advertised.listener");
	if ((lst && !strcasecmp(lst, "https")) || (!(lst && *lst) && wc->listeners[0].https))
		scheme = "https";
	snprintf(cl->url, sizeof(cl->url), "%s://%s", scheme, wc->worker_id);
	snprintf(cl->txn_id, sizeof(cl->txn_id), "ksink-cluster-%s", cl->group);
	if (!(cl->status_prod = ks_cluster_client_new(cl, RD_KAFKA_PRODUCER, "status producer", kv,
	                                              NULL, errstr, errlen)))
		goto fail;
	if (ks_cluster_topics_setup(cl, errstr, errlen))
		goto fail;
	if (!(cl->owned = calloc((size_t)cl->nslots, 1))) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		goto fail;
	}
	KS_INFO(LOGCTX, "cluster %s: %d slots in %s, configs in %s, statuses in %s", cl->group,
	        cl->nslots, cl->slots_topic, cl->config_topic, cl->status_topic);
	return cl;
fail:
	ks_cluster_destroy(cl);
	return NULL;
}

int ks_cluster_catch_up(ks_cluster_t *cl, char *errstr, size_t errlen)
{
	return tail_start(cl, errstr, errlen) || tail_catch_up(cl, errstr, errlen) ? -1 : 0;
}

int ks_cluster_join(ks_cluster_t *cl, char *errstr, size_t errlen)
{
	pthread_mutex_lock(&cl->lock);
	cl->joined = 1;
	pthread_mutex_unlock(&cl->lock);
	return member_start(cl, errstr, errlen);
}

void ks_cluster_leave(ks_cluster_t *cl)
{
	if (!cl)
		return;
	atomic_store(&cl->stop, 1);
	if (cl->member_started)
		pthread_join(cl->member_thr, NULL);
	if (cl->tail_started)
		pthread_join(cl->tail_thr, NULL);
	cl->member_started = cl->tail_started = 0;
}

void ks_cluster_destroy(ks_cluster_t *cl)
{
	if (!cl)
		return;
	ks_cluster_leave(cl);
	if (cl->member)
		rd_kafka_destroy(cl->member);
	if (cl->tail) {
		rd_kafka_consumer_close(cl->tail);
		rd_kafka_destroy(cl->tail);
	}
	if (cl->leader_prod)
		rd_kafka_destroy(cl->leader_prod);
	if (cl->status_prod) {
		rd_kafka_flush(cl->status_prod, 2000);
		rd_kafka_destroy(cl->status_prod);
	}
	json_decref(cl->configs);
	json_decref(cl->targets);
	json_decref(cl->statuses);
	json_decref(cl->published);
	free(cl->owned);
	free(cl->leader_url);
	free(cl->leader_id);
	free(cl->group);
	free(cl->config_topic);
	free(cl->status_topic);
	free(cl->slots_topic);
	pthread_mutex_destroy(&cl->lock);
	pthread_cond_destroy(&cl->cond);
	pthread_mutex_destroy(&cl->wlock);
	free(cl);
}

int ks_cluster_owns(ks_cluster_t *cl, const char *name, int task, int ntasks)
{
	int own;
	pthread_mutex_lock(&cl->lock);
	own = cl->owned[slot_of(cl, name, task, ntasks)];
	pthread_mutex_unlock(&cl->lock);
	return own;
}

int ks_cluster_leader(ks_cluster_t *cl, char *url, size_t len)
{
	int r = -1;
	pthread_mutex_lock(&cl->lock);
	if (cl->is_leader)
		r = 1;
	else if (cl->leader_url && cl->leader_id && strcmp(cl->leader_id, cl->wc->worker_id)) {
		snprintf(url, len, "%s", cl->leader_url);
		r = 0;
	}
	pthread_mutex_unlock(&cl->lock);
	return r;
}

int ks_cluster_connector(ks_cluster_t *cl, const char *name, ks_props_t **config,
                         ks_target_t *target)
{
	json_t *props;
	int rc = -1;

	*config = NULL;
	*target = KS_TARGET_STARTED;
	pthread_mutex_lock(&cl->lock);
	props = json_object_get(cl->configs, name);
	*target = target_of(json_string_value(json_object_get(cl->targets, name)));
	if (props) {
		char perr[KS_ERRSTR_SIZE];
		*config = ks_props_new();
		if (*config && ks_config_from_json(props, *config, perr, sizeof(perr))) {
			KS_WARN(LOGCTX, "connector %s: config in %s: %s", name, cl->config_topic,
			        perr);
			ks_props_destroy(*config);
			*config = NULL;
		}
		rc = *config ? 0 : -1;
	}
	pthread_mutex_unlock(&cl->lock);
	return rc;
}

void ks_cluster_write_lock(ks_cluster_t *cl)
{
	pthread_mutex_lock(&cl->wlock);
}

void ks_cluster_write_unlock(ks_cluster_t *cl)
{
	pthread_mutex_unlock(&cl->wlock);
}

ks_err_t ks_cluster_write(ks_cluster_t *cl, const char *const *keys, json_t *const *values,
                          size_t n, char *errstr, size_t errlen)
{
	int leader;

	pthread_mutex_lock(&cl->lock);
	leader = cl->is_leader;
	pthread_mutex_unlock(&cl->lock);
	if (!leader || !cl->leader_prod)
		return ks_seterr(errstr, errlen, KS_ERR_CONFLICT,
		                 "Cannot complete request momentarily due to no known leader URL, "
		                 "likely because a rebalance was underway.");
	return ks_cluster_txn_write(cl, keys, values, n, errstr, errlen);
}

int ks_cluster_remote_status(ks_cluster_t *cl, const char *name, int task, ks_state_t *state,
                             char **worker_id, char **trace)
{
	char key[1200];
	json_t *v;
	int rc = -1;

	*worker_id = *trace = NULL;
	if (task < 0)
		snprintf(key, sizeof(key), "status-connector-%s", name);
	else
		snprintf(key, sizeof(key), "status-task-%s-%d", name, task);
	pthread_mutex_lock(&cl->lock);
	v = json_object_get(cl->statuses, key);
	if (v) {
		const char *w = json_string_value(json_object_get(v, "worker_id"));
		const char *t = json_string_value(json_object_get(v, "trace"));
		*state = state_of(json_string_value(json_object_get(v, "state")));
		*worker_id = ks_strdup(w ? w : "");
		*trace = t ? ks_strdup(t) : NULL;
		rc = *worker_id ? 0 : -1;
	}
	pthread_mutex_unlock(&cl->lock);
	return rc;
}

int ks_cluster_healthy(ks_cluster_t *cl, char *msg, size_t len)
{
	int ok;
	pthread_mutex_lock(&cl->lock);
	ok = cl->healthy;
	snprintf(msg, len, "%s", cl->health_msg);
	/* start-up only: once ready, a rebalance does not turn /health red
	 * (a load balancer would take every worker out at once) */
	if (ok && !cl->ready && !cl->generation) {
		ok = 0;
		snprintf(msg, len, "Worker is still joining the cluster %s.", cl->group);
	} else if (ok && !cl->ready && !cl->is_leader &&
	           !(cl->leader_id && strcmp(cl->leader_id, cl->wc->worker_id))) {
		ok = 0;
		snprintf(msg, len, "Worker is waiting for the cluster %s to have a leader.",
		         cl->group);
	} else if (ok) {
		cl->ready = 1;
	}
	pthread_mutex_unlock(&cl->lock);
	return ok;
}
