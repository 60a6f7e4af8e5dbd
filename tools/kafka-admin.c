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

/* Partition count of topic from a fresh metadata request; -1 when unknown. */
static int topic_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms)
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
	int rc = 1;
	rd_kafka_NewTopic_t *nt =
	        rd_kafka_NewTopic_new(topic, partitions, 1, errstr, sizeof(errstr));
	if (!nt) {
		fprintf(stderr, "ksink-kafka-admin: %s\n", errstr);
		return 1;
	}
	for (int i = 0; i < nconf; i++) {
		char *eq = strchr(configs[i], '=');
		if (!eq) {
			fprintf(stderr, "ksink-kafka-admin: config '%s' is not NAME=VALUE\n",
			        configs[i]);
			rd_kafka_NewTopic_destroy(nt);
			return 2;
		}
		*eq = '\0';
		if (rd_kafka_NewTopic_set_config(nt, configs[i], eq + 1)) {
			fprintf(stderr, "ksink-kafka-admin: bad config %s\n", configs[i]);
			rd_kafka_NewTopic_destroy(nt);
			return 2;
		}
	}
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *opt =
	        rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_AdminOptions_set_operation_timeout(opt, KS_ADMIN_TIMEOUT_MS, errstr,
	                                            sizeof(errstr));
	rd_kafka_CreateTopics(rk, &nt, 1, opt, q);
	rd_kafka_event_t *ev = admin_wait(q, RD_KAFKA_EVENT_CREATETOPICS_RESULT);
	if (ev) {
		size_t n = 0;
		const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(
		        rd_kafka_event_CreateTopics_result(ev), &n);
		rd_kafka_resp_err_t err =
		        n == 1 ? rd_kafka_topic_result_error(res[0]) : RD_KAFKA_RESP_ERR__FAIL;
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			rc = 0;
		} else if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
			int have = topic_partitions(rk, topic, 10000);
			if (have == partitions) {
				rc = 0;
			} else {
				fprintf(stderr,
				        "ksink-kafka-admin: %s exists with %d partitions, not %d\n",
				        topic, have, partitions);
			}
		} else {
			const char *s = n == 1 ? rd_kafka_topic_result_error_string(res[0]) : NULL;
			fprintf(stderr, "ksink-kafka-admin: create %s: %s\n", topic,
			        s ? s : rd_kafka_err2str(err));
		}
		rd_kafka_event_destroy(ev);
	}
	rd_kafka_AdminOptions_destroy(opt);
	rd_kafka_queue_destroy(q);
	rd_kafka_NewTopic_destroy(nt);
	return rc;
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

static int cmd_describe(rd_kafka_t *rk, const char *topic)
{
	char errstr[512];
	int rc = 1;
	int parts = topic_partitions(rk, topic, 10000);
	if (parts < 0) {
		fprintf(stderr, "ksink-kafka-admin: no topic %s\n", topic);
		return 1;
	}
	printf("partitions=%d\n", parts);
	rd_kafka_ConfigResource_t *cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *opt =
	        rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
	rd_kafka_AdminOptions_set_request_timeout(opt, KS_ADMIN_TIMEOUT_MS, errstr, sizeof(errstr));
	rd_kafka_DescribeConfigs(rk, &cr, 1, opt, q);
	rd_kafka_event_t *ev = admin_wait(q, RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT);
	if (ev) {
		size_t n = 0;
		const rd_kafka_ConfigResource_t **res = rd_kafka_DescribeConfigs_result_resources(
		        rd_kafka_event_DescribeConfigs_result(ev), &n);
		if (n == 1 && !rd_kafka_ConfigResource_error(res[0])) {
			size_t cnt = 0;
			const rd_kafka_ConfigEntry_t **ents =
			        rd_kafka_ConfigResource_configs(res[0], &cnt);
			for (size_t i = 0; i < cnt; i++) {
				if (rd_kafka_ConfigEntry_is_default(ents[i]))
					continue;
				const char *v = rd_kafka_ConfigEntry_value(ents[i]);
				printf("%s=%s\n", rd_kafka_ConfigEntry_name(ents[i]),
				       rd_kafka_ConfigEntry_is_sensitive(ents[i]) ? "(sensitive)"
				                                                  : (v ? v : ""));
			}
			rc = 0;
		} else {
			fprintf(stderr, "ksink-kafka-admin: describe %s failed\n", topic);
		}
		rd_kafka_event_destroy(ev);
	}
	rd_kafka_AdminOptions_destroy(opt);
	rd_kafka_queue_destroy(q);
	rd_kafka_ConfigResource_destroy(cr);
	return rc;
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
