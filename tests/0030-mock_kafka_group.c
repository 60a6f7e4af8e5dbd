/*
 * 0030-mock_kafka_group.c — the mock cluster (build/ksink-mock-kafka, a
 * separate process started by tests/stack.sh) serves a real Kafka protocol:
 * kcat (another process) produces, a consumer group consumes part of the
 * topic and commits, and a new consumer in the same group resumes exactly at
 * the committed offset.
 */
#include "lib/harness.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NMSG  100
#define FIRST 60

static rd_kafka_t *consumer(const char *group)
{
	char errstr[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	const char *kv[][2] = {
	        {"bootstrap.servers", ks_test_env("KSINK_BOOTSTRAP")},
	        {"group.id", group},
	        {"auto.offset.reset", "earliest"},
	        {"enable.auto.commit", "false"},
	        {"enable.auto.offset.store", "false"},
	        {"session.timeout.ms", "6000"},
	        {"heartbeat.interval.ms", "500"},
	        {"log_level", "3"},
	};
	rd_kafka_t *rk;

	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		KS_CHECK(rd_kafka_conf_set(conf, kv[i][0], kv[i][1], errstr, sizeof(errstr)) ==
		                 RD_KAFKA_CONF_OK,
		         "%s", errstr);
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	KS_CHECK(rk != NULL, "%s", errstr);
	rd_kafka_poll_set_consumer(rk);
	return rk;
}

static void subscribe(rd_kafka_t *rk, const char *topic)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);

	rd_kafka_topic_partition_list_add(l, topic, RD_KAFKA_PARTITION_UA);
	KS_CHECK(rd_kafka_subscribe(rk, l) == 0, "subscribe");
	rd_kafka_topic_partition_list_destroy(l);
}

/* Consumes up to n messages within timeout; returns the offsets seen. */
static int consume(rd_kafka_t *rk, int n, int64_t *offsets, char (*values)[32], int timeout_ms)
{
	int got = 0;
	time_t deadline = time(NULL) + timeout_ms / 1000;

	while (got < n && time(NULL) < deadline) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
		if (!m)
			continue;
		if (!m->err) {
			offsets[got] = m->offset;
			snprintf(values[got], 32, "%.*s", (int)m->len, (const char *)m->payload);
			got++;
		}
		rd_kafka_message_destroy(m);
	}
	return got;
}

KS_TEST(produce_consume_commit_resume)
{
	char topic[64], cmd[512], group[64];
	int64_t offs[NMSG];
	char vals[NMSG][32];
	rd_kafka_t *rk;
	rd_kafka_topic_partition_list_t *c;
	FILE *p;
	int got;

	snprintf(topic, sizeof(topic), "t0030_%d", (int)getpid());
	snprintf(group, sizeof(group), "g0030_%d", (int)getpid());
	/* a separate process produces: kcat, one message per line, one partition */
	snprintf(cmd, sizeof(cmd), "kcat -P -b %s -t %s -p 0", ks_test_env("KSINK_BOOTSTRAP"),
	         topic);
	p = popen(cmd, "w");
	KS_CHECK(p != NULL, "popen kcat");
	for (int i = 0; i < NMSG; i++)
		fprintf(p, "msg-%d\n", i);
	KS_CHECK(pclose(p) == 0, "kcat failed");

	rk = consumer(group);
	subscribe(rk, topic);
	got = consume(rk, FIRST, offs, vals, 30000);
	KS_CHECK_INT(got, FIRST);
	KS_CHECK_INT(offs[0], 0);
	KS_CHECK_STR(vals[0], "msg-0");
	KS_CHECK_STR(vals[FIRST - 1], "msg-59");
	/* commit "next offset to read" = 60 synchronously, then leave */
	c = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(c, topic, 0)->offset = FIRST;
	KS_CHECK(rd_kafka_commit(rk, c, 0) == RD_KAFKA_RESP_ERR_NO_ERROR, "commit");
	rd_kafka_topic_partition_list_destroy(c);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);

	/* a new member of the same group resumes at the commit */
	rk = consumer(group);
	c = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(c, topic, 0);
	KS_CHECK(rd_kafka_committed(rk, c, 10000) == 0, "committed()");
	KS_CHECK_INT(c->elems[0].offset, FIRST);
	rd_kafka_topic_partition_list_destroy(c);
	subscribe(rk, topic);
	got = consume(rk, NMSG - FIRST, offs, vals, 30000);
	KS_CHECK_INT(got, NMSG - FIRST);
	KS_CHECK_INT(offs[0], FIRST);
	KS_CHECK_STR(vals[0], "msg-60");
	KS_CHECK_STR(vals[NMSG - FIRST - 1], "msg-99");
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
}
