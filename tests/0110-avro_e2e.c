/*
 * 0110-avro_e2e — end to end through the real parts: build/ksink-produce
 * writes Confluent-framed Avro (schema registered with the registry
 * stand-in) into mock Kafka; a librdkafka consumer here decodes every record
 * with the AvroConverter fetching schemas from the stand-in, and each value
 * equals what was produced. Mid-stream the registry is stopped before the
 * first record of a second schema version: that record is RETRIABLE (the
 * consumer holds it, nothing advances), the registry is restarted, and the
 * same record then decodes — none lost, none skipped.
 */
#include "../schemas/avro_converter.h"
#include "../schemas/value_json.h"
#include "lib/harness.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define N 40 /* records per schema version */

static const char *V1 =
        "{\"type\":\"record\",\"name\":\"Bet\",\"namespace\":\"e2e\",\"fields\":["
        "{\"name\":\"id\",\"type\":\"long\"},"
        "{\"name\":\"name\",\"type\":\"string\"},"
        "{\"name\":\"runner\",\"type\":[\"null\",\"int\"],\"default\":null},"
        "{\"name\":\"amount\",\"type\":\"double\"},"
        "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
        "{\"name\":\"price\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\","
        "\"precision\":8,\"scale\":2}},"
        "{\"name\":\"color\",\"type\":{\"type\":\"enum\",\"name\":\"Color\",\"symbols\":[\"RED\","
        "\"BLUE\"]}},"
        "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},"
        "{\"name\":\"attrs\",\"type\":{\"type\":\"map\",\"values\":\"long\"}}%s]}";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	KS_CHECK(f, "open %s", path);
	fputs(text, f);
	fclose(f);
}

/* The line for record i (Avro JSON encoding) and the JSON we expect back. */
static void line_for(int i, int v2, char *line, size_t n, char *expect, size_t en)
{
	char runner[32], erunner[16];
	if (i % 3)
		snprintf(runner, sizeof(runner), "{\"int\":%d}", i),
		        snprintf(erunner, sizeof(erunner), "%d", i);
	else
		snprintf(runner, sizeof(runner), "null"),
		        snprintf(erunner, sizeof(erunner), "null");
	/* price bytes 0x04 0xd2 = 1234 -> 12.34 */
	snprintf(line, n,
	         "{\"id\":%d,\"name\":\"n%d\",\"runner\":%s,\"amount\":%d.5,\"ts\":%lld,"
	         "\"price\":\"\\u0004\\u00d2\",\"color\":\"%s\",\"tags\":[\"a\",\"b%d\"],"
	         "\"attrs\":{\"k\":%d}%s}\n",
	         i, i, runner, i, 1714953600000LL + i, i % 2 ? "BLUE" : "RED", i, i,
	         v2 ? ",\"extra\":\"x\"" : "");
	snprintf(
	        expect, en,
	        "{\"id\":%d,\"name\":\"n%d\",\"runner\":%s,\"amount\":%d.5,\"ts\":\"2024-05-06T00:"
	        "00:00.%03dZ\","
	        "\"price\":12.34,\"color\":\"%s\",\"tags\":[\"a\",\"b%d\"],\"attrs\":{\"k\":%d}%s}",
	        i, i, erunner, i, i, i % 2 ? "BLUE" : "RED", i, i, v2 ? ",\"extra\":\"x\"" : "");
}

static void produce(const char *topic, const char *avsc, const char *data)
{
	char cmd[4096];
	snprintf(cmd, sizeof(cmd),
	         "%s/ksink-produce --bootstrap '%s' --registry '%s' --topic %s --value-schema %s "
	         "--partition 0 < %s 2>%s.err",
	         ks_test_env("KSINK_BUILD"), ks_test_env("KSINK_BOOTSTRAP"),
	         ks_test_env("KSINK_REGISTRY_URL"), topic, avsc, data, data);
	KS_CHECK(system(cmd) == 0, "%s failed (see %s.err)", cmd, data);
}

static int stack(const char *verb)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "tests/stack.sh %s registry --dir '%s' >/dev/null 2>&1", verb,
	         ks_test_env("KSINK_STACK_DIR"));
	return system(cmd);
}

KS_TEST(produce_consume_decode_with_registry_restart)
{
	const char *out = ks_test_env("KSINK_TEST_OUT");
	char topic[64], path1[512], path2[512], d1[512], d2[512], schema[4096], errstr[512];
	char line[1024], expect[1024];
	static char expects[2 * N][1024];
	FILE *f1, *f2;
	ks_props_t *p = ks_props_new();
	ks_converter_t *c;
	ks_arena_t *a = ks_arena_new(0);
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_topic_partition_list_t *parts;
	rd_kafka_t *rk;
	int got = 0, retriable = 0, first_id = -1, stopped = 0;
	ks_buf_t b = KS_BUF_INIT;

	snprintf(topic, sizeof(topic), "t0110_%d", (int)getpid());
	snprintf(path1, sizeof(path1), "%s/0110-v1.avsc", out);
	snprintf(path2, sizeof(path2), "%s/0110-v2.avsc", out);
	snprintf(d1, sizeof(d1), "%s/0110-v1.jsonl", out);
	snprintf(d2, sizeof(d2), "%s/0110-v2.jsonl", out);
	snprintf(schema, sizeof(schema), V1, "");
	write_file(path1, schema);
	snprintf(schema, sizeof(schema), V1,
	         ",{\"name\":\"extra\",\"type\":\"string\",\"default\":\"x\"}");
	write_file(path2, schema);
	KS_CHECK((f1 = fopen(d1, "w")) && (f2 = fopen(d2, "w")), "data files");
	for (int i = 0; i < 2 * N; i++) {
		line_for(i, i >= N, line, sizeof(line), expects[i], sizeof(expects[i]));
		fputs(line, i < N ? f1 : f2);
	}
	fclose(f1);
	fclose(f2);
	produce(topic, path1, d1);
	produce(topic, path2, d2);

	KS_CHECK(!ks_props_set(p, "schema.registry.url", ks_test_env("KSINK_REGISTRY_URL")) &&
	                 !ks_props_set(p, "max.retries", "1") &&
	                 !ks_props_set(p, "retries.wait.ms", "50") &&
	                 !ks_props_set(p, "http.connect.timeout.ms", "1000"),
	         "props");
	c = ks_converter_new("io.confluent.connect.avro.AvroConverter", p, 0, errstr,
	                     sizeof(errstr));
	ks_props_destroy(p);
	KS_CHECK(c, "%s", errstr);

	KS_CHECK(rd_kafka_conf_set(conf, "bootstrap.servers", ks_test_env("KSINK_BOOTSTRAP"),
	                           errstr, sizeof(errstr)) == RD_KAFKA_CONF_OK &&
	                 rd_kafka_conf_set(conf, "group.id", "t0110-unused", errstr,
	                                   sizeof(errstr)) == RD_KAFKA_CONF_OK,
	         "%s", errstr);
	KS_CHECK((rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr))), "%s",
	         errstr);
	rd_kafka_poll_set_consumer(rk);
	parts = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(parts, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
	KS_CHECK(rd_kafka_assign(rk, parts) == 0, "assign");
	rd_kafka_topic_partition_list_destroy(parts);

	for (time_t deadline = time(NULL) + 60; got < 2 * N && time(NULL) < deadline;) {
		rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, 200);
		const unsigned char *pl;
		const ks_schema_t *s;
		ks_value_t *v;
		ks_err_t err;
		int id;

		if (!rkm)
			continue;
		if (rkm->err) {
			rd_kafka_message_destroy(rkm);
			continue;
		}
		pl = rkm->payload;
		KS_CHECK(rkm->len > 5, "frame");
		id = (pl[1] << 24) | (pl[2] << 16) | (pl[3] << 8) | pl[4];
		if (first_id < 0)
			first_id = id;
		if (id != first_id && !stopped) {
			KS_CHECK(stack("stop") == 0, "stop registry");
			stopped = 1;
		}
		/* the task loop: a retriable error holds the record and tries again */
		for (;;) {
			err = ks_converter_to_connect(c, topic, rkm->payload, rkm->len, a, &s, &v,
			                              errstr, sizeof(errstr));
			if (err != KS_ERR_RETRIABLE)
				break;
			retriable++;
			KS_CHECK(retriable < 100, "still retriable: %s", errstr);
			if (retriable == 2)
				KS_CHECK(stack("start") == 0, "restart registry");
		}
		KS_CHECK(err == KS_OK, "offset %lld: %s", (long long)rkm->offset, errstr);
		KS_CHECK_INT(rkm->offset, got); /* in order, none skipped */
		ks_buf_reset(&b);
		KS_CHECK(!ks_value_to_json(s, v, &b), "render");
		KS_CHECK(!strcmp(b.data, expects[got]), "offset %d: got %s, expected %s", got,
		         b.data, expects[got]);
		KS_CHECK_STR(s->name, "e2e.Bet");
		KS_CHECK_INT(s->fields[4].schema->logical, KS_LOGICAL_TIMESTAMP);
		KS_CHECK_INT(s->fields[5].schema->logical, KS_LOGICAL_DECIMAL);
		if (got >= N)
			KS_CHECK(s->nfields == 10 && s->fields[9].schema->default_value,
			         "v2 has extra with a default");
		rd_kafka_message_destroy(rkm);
		ks_arena_reset(a);
		got++;
	}
	(void)expect;
	KS_CHECK_INT(got, 2 * N);
	KS_CHECK(stopped && retriable >= 2, "the outage was seen (retriable %d)", retriable);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	ks_converter_destroy(c);
	ks_arena_destroy(a);
	ks_buf_free(&b);
}
