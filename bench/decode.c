/*
 * decode.c — build/ksink-bench-decode: baseline (d), the Kafka + Avro
 * ceiling. Consumes N records of a topic in a fresh consumer group with the
 * consumer settings the worker uses, decodes each value with the
 * AvroConverter through the registry, writes nothing. Prints
 * "rows=N seconds=S rows_per_s=R", timed from the first record to the last.
 *
 *   ksink-bench-decode BOOTSTRAP REGISTRY_URL TOPIC N
 */
#include "../lib/arena.h"
#include "../lib/ks.h"
#include "../schemas/converter.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char errstr[512], group[64];
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_topic_partition_list_t *sub;
	ks_props_t *cp;
	ks_converter_t *conv;
	ks_arena_t *arena;
	long n, got = 0, bad = 0;
	int64_t t0 = 0, deadline;

	if (argc != 5) {
		fprintf(stderr, "usage: ksink-bench-decode BOOTSTRAP REGISTRY_URL TOPIC N\n");
		return 2;
	}
	n = atol(argv[4]);
	snprintf(group, sizeof(group), "bench-decode-%d", (int)getpid());
	conf = rd_kafka_conf_new();
	const char *kv[][2] = {{"bootstrap.servers", argv[1]},     {"group.id", group},
	                       {"auto.offset.reset", "earliest"},  {"enable.auto.commit", "false"},
	                       {"session.timeout.ms", "6000"},     {"heartbeat.interval.ms", "500"},
	                       {"queued.min.messages", "1000000"}, {"fetch.wait.max.ms", "100"}};
	for (size_t i = 0; i < KS_ARRAY_SIZE(kv); i++)
		if (rd_kafka_conf_set(conf, kv[i][0], kv[i][1], errstr, sizeof(errstr))) {
			fprintf(stderr, "ksink-bench-decode: %s\n", errstr);
			return 1;
		}
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "ksink-bench-decode: %s\n", errstr);
		return 1;
	}
	rd_kafka_poll_set_consumer(rk);
	sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, argv[3], RD_KAFKA_PARTITION_UA);
	rd_kafka_subscribe(rk, sub);
	rd_kafka_topic_partition_list_destroy(sub);

	cp = ks_props_new();
	arena = ks_arena_new(0);
	if (!cp || !arena || ks_props_set(cp, "schema.registry.url", argv[2])) {
		fprintf(stderr, "ksink-bench-decode: out of memory\n");
		return 1;
	}
	conv = ks_converter_new("io.confluent.connect.avro.AvroConverter", cp, 0, errstr,
	                        sizeof(errstr));
	if (!conv) {
		fprintf(stderr, "ksink-bench-decode: %s\n", errstr);
		return 1;
	}
	deadline = ks_now_ms() + 600000;
	while (got + bad < n && ks_now_ms() < deadline) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		const ks_schema_t *schema;
		ks_value_t *value;

		if (!m)
			continue;
		if (!m->err) {
			if (!t0)
				t0 = ks_now_us();
			if (ks_converter_to_connect(conv, argv[3], m->payload, m->len, arena,
			                            &schema, &value, errstr,
			                            sizeof(errstr)) == KS_OK)
				got++;
			else
				bad++;
			if ((got & 1023) == 0)
				ks_arena_reset(arena);
		}
		rd_kafka_message_destroy(m);
	}
	if (got + bad < n || bad) {
		fprintf(stderr, "ksink-bench-decode: decoded %ld, failed %ld of %ld\n", got, bad,
		        n);
		return 1;
	}
	{
		double secs = (double)(ks_now_us() - t0) / 1e6;
		printf("rows=%ld seconds=%.3f rows_per_s=%.0f\n", got, secs, got / secs);
	}
	ks_converter_destroy(conv);
	ks_arena_destroy(arena);
	ks_props_destroy(cp);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return 0;
}
