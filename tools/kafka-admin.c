/*
 * kafka-admin.c — build/ksink-kafka-admin: the few Kafka admin calls the test
 * stack, the demo and the bench need against a real broker, through
 * librdkafka's Admin API (so no JVM start per call):
 *
 *   ksink-kafka-admin -b BOOTSTRAP wait SECONDS
 *       waits until the cluster answers a metadata request (exit 1 after SECONDS)
 *   ksink-kafka-admin -b BOOTSTRAP create TOPIC PARTITIONS [NAME=VALUE]...
 *       CreateTopics with replication factor 1 and the topic configs given;
 *       a topic that exists already is ok when its partition count matches
 *   ksink-kafka-admin -b BOOTSTRAP describe TOPIC
 *       prints "partitions=N" and the topic's non-default configs, one
 *       NAME=VALUE a line
 *   ksink-kafka-admin -b BOOTSTRAP delete TOPIC
 *
 * The mock cluster has no admin API (reference/perf.md §5): against it
 * `create` fails with the broker's error, which is what a test asking for the
 * real broker must see.
 */
#include "../lib/kafka_admin.h"

#include <librdkafka/rdkafka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define KS_ADMIN_TIMEOUT_MS 30000

static void usage(void)
{
	fprintf(stderr,
	        "usage: ksink-kafka-admin -b BOOTSTRAP wait SECONDS\n"
	        "       ksink-kafka-admin -b BOOTSTRAP create TOPIC PARTITIONS [NAME=VALUE]...\n"
	        "       ksink-kafka-admin -b BOOTSTRAP describe TOPIC\n"
	        "       ksink-kafka-admin -b BOOTSTRAP delete TOPIC\n");
}

static rd_kafka_t *admin_new(const char *bootstrap)
{
	char errstr[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) ||
	    rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr))) {
		fprintf(stderr, "ksink-kafka-admin: %s\n", errstr);
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "ksink-kafka-admin: %s\n", errstr);
		rd_kafka_conf_destroy(conf);
	}
	return rk;
}

static int cmd_wait(rd_kafka_t *rk, int secs)
{
	time_t deadline = time(NULL) + secs;
	do {
		const struct rd_kafka_metadata *md = NULL;
		if (rd_kafka_metadata(rk, 0, NULL, &md, 1000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
			int brokers = md->broker_cnt;
			rd_kafka_metadata_destroy(md);
			if (brokers > 0)
				return 0;
		}
		usleep(100 * 1000);
	} while (time(NULL) < deadline);
	fprintf(stderr, "ksink-kafka-admin: no metadata answer within %d s\n", secs);
	return 1;
}

/* Waits for the admin result of type evtype on q; NULL on timeout. */
static rd_kafka_event_t *admin_wait(rd_kafka_queue_t *q, rd_kafka_event_type_t evtype)
{
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, KS_ADMIN_TIMEOUT_MS + 5000);
	if (!ev) {
		fprintf(stderr, "ksink-kafka-admin: no answer from the cluster\n");
		return NULL;
	}
	if (rd_kafka_event_type(ev) != evtype || rd_kafka_event_error(ev)) {
		fprintf(stderr, "ksink-kafka-admin: %s\n",
		        rd_kafka_event_error(ev) ? rd_kafka_event_error_string(ev)
		                                 : "unexpected event");
		rd_kafka_event_destroy(ev);
		return NULL;
	}
	return ev;
}

static int cmd_create(rd_kafka_t *rk, const char *topic, int partitions, char **configs, int nconf)
{
	char errstr[512];
	int have;

	for (int i = 0; i < nconf; i++)
		if (!strchr(configs[i], '=')) { /* a usage error: exit 2 */
			fprintf(stderr, "ksink-kafka-admin: config '%s' is not NAME=VALUE\n",
			        configs[i]);
			return 2;
		}
	switch (ks_kafka_topic_create(rk, topic, partitions, 1, (const char *const *)configs, nconf,
	                              KS_ADMIN_TIMEOUT_MS, errstr, sizeof(errstr))) {
	case 0:
		return 0;
	case 1:
		if ((have = ks_kafka_topic_partitions(rk, topic, 10000)) == partitions)
			return 0;
		fprintf(stderr, "ksink-kafka-admin: %s exists with %d partitions, not %d\n", topic,
		        have, partitions);
		return 1;
	default:
		fprintf(stderr, "ksink-kafka-admin: %s\n", errstr);
		return 1;
	}
}

static int cmd_delete(rd_kafka_t *rk, const char *topic)
{
	char errstr[512];
	int rc = 1;
	rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(topic);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *opt =
	        rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DELETETOPICS);
	rd_kafka_AdminOptions_set_operation_timeout(opt, KS_ADMIN_TIMEOUT_MS, errstr,
	                                            sizeof(errstr));
	rd_kafka_DeleteTopics(rk, &dt, 1, opt, q);
	rd_kafka_event_t *ev = admin_wait(q, RD_KAFKA_EVENT_DELETETOPICS_RESULT);
	if (ev) {
		size_t n = 0;
		const rd_kafka_topic_result_t **res = rd_kafka_DeleteTopics_result_topics(
		        rd_kafka_event_DeleteTopics_result(ev), &n);
		rd_kafka_resp_err_t err =
		        n == 1 ? rd_kafka_topic_result_error(res[0]) : RD_KAFKA_RESP_ERR__FAIL;
		if (err)
			fprintf(stderr, "ksink-kafka-admin: delete %s: %s\n", topic,
			        rd_kafka_err2str(err));
		else
			rc = 0;
		rd_kafka_event_destroy(ev);
	}
	rd_kafka_AdminOptions_destroy(opt);
	rd_kafka_queue_destroy(q);
	rd_kafka_DeleteTopic_destroy(dt);
	return rc;
}

/* Prints a non-default config entry as NAME=VALUE (sensitive values hidden). */
static void print_config(const rd_kafka_ConfigEntry_t *entry, void *arg)
{
	const char *v = rd_kafka_ConfigEntry_value(entry);

	(void)arg;
	if (rd_kafka_ConfigEntry_is_default(entry))
		return;
	printf("%s=%s\n", rd_kafka_ConfigEntry_name(entry),
	       rd_kafka_ConfigEntry_is_sensitive(entry) ? "(sensitive)" : (v ? v : ""));
}

static int cmd_describe(rd_kafka_t *rk, const char *topic)
{
	char errstr[512];
	int parts = ks_kafka_topic_partitions(rk, topic, 10000);

	if (parts < 0) {
		fprintf(stderr, "ksink-kafka-admin: no topic %s\n", topic);
		return 1;
	}
	printf("partitions=%d\n", parts);
	if (ks_kafka_topic_configs(rk, topic, KS_ADMIN_TIMEOUT_MS, print_config, NULL, errstr,
	                           sizeof(errstr))) {
		fprintf(stderr, "ksink-kafka-admin: %s\n", errstr);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *bootstrap = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "+b:h")) != -1) {
		switch (opt) {
		case 'b':
			bootstrap = optarg;
			break;
		default:
			usage();
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (!bootstrap || argc < 2) {
		usage();
		return 2;
	}
	rd_kafka_t *rk = admin_new(bootstrap);
	if (!rk)
		return 1;
	int rc = 2;
	if (!strcmp(argv[0], "wait") && argc == 2) {
		rc = cmd_wait(rk, atoi(argv[1]));
	} else if (!strcmp(argv[0], "create") && argc >= 3) {
		int parts = atoi(argv[2]);
		if (parts < 1) {
			fprintf(stderr, "ksink-kafka-admin: bad partition count %s\n", argv[2]);
		} else {
			rc = cmd_create(rk, argv[1], parts, argv + 3, argc - 3);
		}
	} else if (!strcmp(argv[0], "describe") && argc == 2) {
		rc = cmd_describe(rk, argv[1]);
	} else if (!strcmp(argv[0], "delete") && argc == 2) {
		rc = cmd_delete(rk, argv[1]);
	} else {
		usage();
	}
	rd_kafka_destroy(rk);
	return rc;
}
