/*
 * 0211-produce_decode.c — what ksink-produce writes decodes with avro-c
 * against the schema the registry serves for the id in the frame: the seed
 * tote-pool bets go in through build/ksink-produce, come back through a
 * librdkafka consumer (assigned, no group), and each decoded record equals
 * its line of demo/data/post_bets*.jsonl.
 */
#include "../lib/buf.h"
#include "lib/harness.h"

#include <avro.h>
#include <curl/curl.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* tests/run.sh runs tests from the repository root */
#define SEED "demo/data"

static size_t sink(char *p, size_t size, size_t n, void *opaque)
{
	ks_buf_append(opaque, p, size * n);
	return size * n;
}

/* GET url into a fresh string (caller frees), NULL on failure. */
static char *http_get(const char *url)
{
	CURL *curl = curl_easy_init();
	ks_buf_t b = KS_BUF_INIT;
	long status = 0;

	if (!curl)
		return NULL;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(curl);
	if (status != 200) {
		ks_buf_free(&b);
		return NULL;
	}
	return ks_buf_steal(&b);
}

/* The value of a ["null",T] field as JSON-ish text: "null", "1", "25.0". */
static void field_text(avro_value_t *rec, const char *name, char *out, size_t len)
{
	avro_value_t f, branch;
	int disc;
	int32_t i;
	double d;

	snprintf(out, len, "?");
	if (avro_value_get_by_name(rec, name, &f, NULL) || avro_value_get_discriminant(&f, &disc) ||
	    avro_value_get_current_branch(&f, &branch))
		return;
	if (disc == 0)
		snprintf(out, len, "null");
	else if (avro_value_get_type(&branch) == AVRO_INT32 && !avro_value_get_int(&branch, &i))
		snprintf(out, len, "%d", i);
	else if (avro_value_get_type(&branch) == AVRO_DOUBLE && !avro_value_get_double(&branch, &d))
		snprintf(out, len, "%.1f", d);
}

/* The same from a line of bets.jsonl ({"int":1} / {"double":25.0} / null). */
static void json_text(json_t *line, const char *name, char *out, size_t len)
{
	json_t *f = json_object_get(line, name), *v;

	if (json_is_null(f)) {
		snprintf(out, len, "null");
		return;
	}
	if ((v = json_object_get(f, "int")))
		snprintf(out, len, "%d", (int)json_integer_value(v));
	else if ((v = json_object_get(f, "double")))
		snprintf(out, len, "%.1f", json_number_value(v));
	else
		snprintf(out, len, "!");
}

KS_TEST(seed_bets_decode_with_the_registry_schema)
{
	const char *bootstrap = ks_test_env("KSINK_BOOTSTRAP");
	const char *registry = ks_test_env("KSINK_REGISTRY_URL");
	const char *build = ks_test_env("KSINK_BUILD");
	char topic[64], cmd[2048], errstr[512], url[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_topic_partition_list_t *parts;
	rd_kafka_t *rk;
	json_t *lines[16];
	size_t nlines = 0;
	int got = 0;
	FILE *f;

	snprintf(topic, sizeof(topic), "t0211_%d", (int)getpid());
	/* the 9 bets the seed demo posts: post_bets.sh, then post_bets_large.sh */
	snprintf(cmd, sizeof(cmd),
	         "cat " SEED "/post_bets.jsonl " SEED "/post_bets_large.jsonl | %s/ksink-produce "
	         "--bootstrap '%s' --registry '%s' --topic %s --value-schema " SEED
	         "/tote_win_bets-value.avsc --partition 0 2>/dev/null",
	         build, bootstrap, registry, topic);
	KS_CHECK(system(cmd) == 0, "%s failed", cmd);

	for (int k = 0; k < 2; k++) {
		const char *path = k ? SEED "/post_bets_large.jsonl" : SEED "/post_bets.jsonl";
		char buf[1024];
		json_error_t jerr;
		KS_CHECK((f = fopen(path, "r")) != NULL, "no %s (run from the repository root)",
		         path);
		while (nlines < 16 && fgets(buf, sizeof(buf), f))
			KS_CHECK((lines[nlines++] = json_loads(buf, 0, &jerr)) != NULL,
			         "seed json");
		fclose(f);
	}
	KS_CHECK_INT(nlines, 9);

	KS_CHECK(rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) ==
	                 RD_KAFKA_CONF_OK,
	         "%s", errstr);
	KS_CHECK(rd_kafka_conf_set(conf, "group.id", "t0211-unused", errstr, sizeof(errstr)) ==
	                 RD_KAFKA_CONF_OK,
	         "%s", errstr);
	KS_CHECK((rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr))) != NULL, "%s",
	         errstr);
	rd_kafka_poll_set_consumer(rk);
	parts = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(parts, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
	KS_CHECK(rd_kafka_assign(rk, parts) == 0, "assign");
	rd_kafka_topic_partition_list_destroy(parts);

	for (int64_t deadline = time(NULL) + 20; got < 9 && time(NULL) < deadline;) {
		rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, 200);
		const unsigned char *p;
		avro_schema_t schema;
		avro_value_iface_t *iface;
		avro_value_t val;
		avro_reader_t rd;
		char *text;
		json_t *j;
		int id;

		if (!rkm)
			continue;
		if (rkm->err) {
			rd_kafka_message_destroy(rkm);
			continue;
		}
		p = rkm->payload;
		KS_CHECK(rkm->len > 5 && p[0] == 0, "frame of record %d", got);
		id = (p[1] << 24) | (p[2] << 16) | (p[3] << 8) | p[4];
		snprintf(url, sizeof(url), "%s/schemas/ids/%d", registry, id);
		KS_CHECK((text = http_get(url)) != NULL, "GET %s", url);
		j = json_loads(text, 0, NULL);
		free(text);
		KS_CHECK(json_is_string(json_object_get(j, "schema")), "schema of id %d", id);
		KS_CHECK(avro_schema_from_json_length(
		                 json_string_value(json_object_get(j, "schema")),
		                 json_string_length(json_object_get(j, "schema")), &schema) == 0,
		         "%s", avro_strerror());
		json_decref(j);
		iface = avro_generic_class_from_schema(schema);
		KS_CHECK(avro_generic_value_new(iface, &val) == 0, "value");
		rd = avro_reader_memory((const char *)p + 5, (int64_t)rkm->len - 5);
		KS_CHECK(avro_value_read(rd, &val) == 0, "record %d: %s", got, avro_strerror());
		{
			size_t size = 0;
			KS_CHECK(avro_value_sizeof(&val, &size) == 0 && size == rkm->len - 5,
			         "record %d: %zu Avro bytes in a %zu-byte body", got, size,
			         rkm->len - 5);
		}
		for (int k = 0; k < 3; k++) {
			static const char *const names[] = {"RUNNER_ID", "RACE_ID", "AMOUNT"};
			char a[64], b[64];
			field_text(&val, names[k], a, sizeof(a));
			json_text(lines[rkm->offset], names[k], b, sizeof(b));
			KS_CHECK(!strcmp(a, b), "offset %lld %s: decoded %s, line says %s",
			         (long long)rkm->offset, names[k], a, b);
		}
		avro_reader_free(rd);
		avro_value_decref(&val);
		avro_value_iface_decref(iface);
		avro_schema_decref(schema);
		rd_kafka_message_destroy(rkm);
		got++;
	}
	KS_CHECK_INT(got, 9);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	for (size_t i = 0; i < nlines; i++)
		json_decref(lines[i]);
}
