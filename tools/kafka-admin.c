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
 * The requests themselves are lib/kafka_admin.c's (the worker makes the same
 * ones); this file is the command line around them.
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

	if (ks_kafka_topic_delete(rk, topic, KS_ADMIN_TIMEOUT_MS, errstr, sizeof(errstr))) {
		fprintf(stderr, "ksink-kafka-admin: %s\n", errstr);
		return 1;
	}
	return 0;
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
