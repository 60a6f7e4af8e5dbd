/*
 * produce.c — build/ksink-produce: loads records into Kafka the way a
 * Confluent producer would, one record per line of stdin.
 *
 *   ksink-produce --bootstrap B --registry URL --topic T --value-schema FILE.avsc
 *                 [--key-schema FILE.avsc | --key-field NAME | --key-string]
 *                 [--format avro-json|json] [--partition N] [--count-only]
 *                 [-X librdkafka.prop=value]...
 *
 * avro-json (default): each line is a value in the Avro JSON encoding
 * (unions tagged {"int":1}, bytes as "\u00XX" strings, "\u0000" included: jansson
 * reads with JSON_ALLOW_NUL; enums as symbols). It is
 * walked with jansson into one reused avro-c generic value, written as Avro
 * binary and framed the Confluent way (0x00, 4-byte big-endian schema id);
 * the schema is registered under <topic>-value (and <topic>-key), the
 * TopicNameStrategy. json: each line is sent as it is (JsonConverter tests).
 * Keys, tombstones and the exact line formats: tools/README.md.
 *
 * Flow: read line -> parse -> encode -> rd_kafka_produce (copying) -> poll
 * delivery reports; on a full queue poll and retry; flush at the end. Any bad
 * line or failed delivery ends with a message naming the line and exit 1.
 */
#include "../lib/buf.h"
#include "../lib/file.h"
#include "../lib/ks.h"
#include "produce/avro_json.h"

#include <avro.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG "ksink-produce"

typedef enum key_mode { KEY_NONE, KEY_FIELD, KEY_STRING, KEY_AVRO } key_mode_t;

/* One Avro schema in use: parsed schema, its id and a reusable value. */
typedef struct avro_ser {
	avro_schema_t schema;
	avro_value_iface_t *iface;
	avro_value_t value;
	int id;
	int raw_bytes; /* top-level "bytes": Confluent writes the bytes without a length */
	ks_buf_t out;  /* framed message */
	avro_writer_t writer;
	json_t *defaults; /* {"<record full name>":{"<field>":<default>}} from the .avsc */
} avro_ser_t;

static struct {
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
	int64_t delivered, failed;
	long first_failed_line;
	char first_error[256];
} P;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: " PROG " --bootstrap BROKERS --topic TOPIC\n"
	        "       [--registry URL --value-schema FILE.avsc] [--format avro-json|json]\n"
	        "       [--key-schema FILE.avsc | --key-field NAME | --key-string]\n"
	        "       [--partition N] [--count-only] [-X prop=value]...\n"
	        "Reads one record per line from stdin. See tools/README.md.\n");
}

/* -------------------------------------------------------------------------- */
/* Registry */

static size_t curl_sink(char *ptr, size_t size, size_t n, void *opaque)
{
	ks_buf_append(opaque, ptr, size * n);
	return size * n;
}

/*
 * register_schema() POSTs the schema text to URL/subjects/SUBJECT/versions and
 * returns the id (> 0), or -1 with errstr filled. Retries for ~10 s when the
 * registry is unreachable or answers 5xx (it may be restarting).
 */
static int register_schema(const char *url, const char *subject, const char *schema_text,
                           char *errstr, size_t errlen)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	ks_buf_t resp = KS_BUF_INIT, full = KS_BUF_INIT;
	char *esc = NULL, *body = NULL;
	json_t *req = NULL, *res = NULL;
	size_t ulen;
	int id = -1;

	if (!curl || !(esc = curl_easy_escape(curl, subject, 0)) ||
	    !(req = json_pack("{s:s}", "schema", schema_text)) ||
	    !(body = json_dumps(req, JSON_COMPACT))) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		goto out;
	}
	ulen = strcspn(url, ","); /* a list of URLs: the first one */
	while (ulen > 0 && url[ulen - 1] == '/')
		ulen--;
	ks_buf_printf(&full, "%.*s/subjects/%s/versions", (int)ulen, url, esc);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/vnd.schemaregistry.v1+json");
	hdrs = curl_slist_append(hdrs, "Accept: application/vnd.schemaregistry.v1+json");
	curl_easy_setopt(curl, CURLOPT_URL, full.data);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, curl_sink);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	for (int attempt = 0; attempt < 40; attempt++) {
		long status = 0;
		CURLcode cc;

		ks_buf_reset(&resp);
		cc = curl_easy_perform(curl);
		if (cc == CURLE_OK)
			curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		if (cc == CURLE_OK && status == 200) {
			json_error_t jerr;
			json_decref(res);
			res = resp.data ? json_loads(resp.data, 0, &jerr) : NULL;
			if (!json_is_integer(json_object_get(res, "id"))) {
				ks_seterr(errstr, errlen, -1, "registry %s: unexpected answer: %s",
				          full.data, resp.data ? resp.data : "(empty)");
				goto out;
			}
			id = (int)json_integer_value(json_object_get(res, "id"));
			goto out;
		}
		if (cc == CURLE_OK && status < 500) {
			ks_seterr(errstr, errlen, -1, "registry %s: HTTP %ld: %s", full.data,
			          status, resp.data ? resp.data : "");
			goto out;
		}
		if (cc != CURLE_OK)
			ks_seterr(errstr, errlen, -1, "registry %s: %s", full.data,
			          curl_easy_strerror(cc));
		else
			ks_seterr(errstr, errlen, -1, "registry %s: HTTP %ld: %s", full.data,
			          status, resp.data ? resp.data : "");
		usleep(250 * 1000);
	}
out:
	json_decref(req);
	json_decref(res);
	free(body);
	curl_free(esc);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(curl);
	ks_buf_free(&resp);
	ks_buf_free(&full);
	return id;
}

/* -------------------------------------------------------------------------- */
/* Serializer */

static char *read_file(const char *path, char *errstr, size_t errlen)
{
	ks_buf_t b = KS_BUF_INIT;

	if (ks_file_read(path, &b, errstr, errlen)) {
		ks_buf_free(&b);
		return NULL;
	}
	if (!b.data) {
		ks_seterr(errstr, errlen, -1, "%s: empty file", path);
		return NULL;
	}
	return ks_buf_steal(&b);
}

/*
 * ser_init() loads an .avsc file, registers it under subject (unless
 * registry is NULL: id 0) and prepares the reusable value.
 */
static int ser_init(avro_ser_t *s, const char *path, const char *registry, const char *subject,
                    char *errstr, size_t errlen)
{
	char *text = read_file(path, errstr, errlen);
	json_error_t jerr;
	json_t *j;
	char *compact;

	memset(s, 0, sizeof(*s));
	if (!text)
		return -1;
	/* Register the compact form: what serializers send (Schema.toString()). */
	if (!(j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr))) {
		free(text);
		return ks_seterr(errstr, errlen, -1, "%s: line %d: %s", path, jerr.line, jerr.text);
	}
	compact = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	if ((s->defaults = json_object()))
		avro_json_defaults(j, NULL, s->defaults);
	json_decref(j);
	free(text);
	if (!compact)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	if (avro_schema_from_json_length(compact, strlen(compact), &s->schema)) {
		ks_seterr(errstr, errlen, -1, "%s: invalid Avro schema: %s", path, avro_strerror());
		free(compact);
		return -1;
	}
	s->id = registry ? register_schema(registry, subject, compact, errstr, errlen) : 0;
	free(compact);
	if (s->id < 0)
		return -1;
	s->raw_bytes = is_avro_bytes(s->schema);
	if (!(s->iface = avro_generic_class_from_schema(s->schema)) ||
	    avro_generic_value_new(s->iface, &s->value) || !(s->writer = avro_writer_memory("", 0)))
		return ks_seterr(errstr, errlen, -1, "%s: %s", path, avro_strerror());
	return 0;
}

static void ser_destroy(avro_ser_t *s)
{
	json_decref(s->defaults);
	if (s->iface) {
		avro_value_decref(&s->value);
		avro_value_iface_decref(s->iface);
	}
	if (s->writer)
		avro_writer_free(s->writer);
	if (s->schema)
		avro_schema_decref(s->schema);
	ks_buf_free(&s->out);
}

/* Encodes j into s->out: 0x00, id (BE), Avro binary. */
static int ser_encode(avro_ser_t *s, json_t *j, char *errstr, size_t errlen)
{
	size_t size;
	unsigned char hdr[5] = {0, (unsigned char)(s->id >> 24), (unsigned char)(s->id >> 16),
	                        (unsigned char)(s->id >> 8), (unsigned char)s->id};

	avro_value_reset(&s->value);
	if (avro_json_set(&s->value, j, s->defaults, errstr, errlen))
		return -1;
	ks_buf_reset(&s->out);
	ks_buf_append(&s->out, hdr, sizeof(hdr));
	if (s->raw_bytes) {
		const void *p;
		avro_value_get_bytes(&s->value, &p, &size);
		ks_buf_append(&s->out, p, size);
		return ks_buf_failed(&s->out) ? ks_seterr(errstr, errlen, -1, "out of memory") : 0;
	}
	if (avro_value_sizeof(&s->value, &size))
		return ks_seterr(errstr, errlen, -1, "%s", avro_strerror());
	if (ks_buf_reserve(&s->out, size + 1))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	avro_writer_memory_set_dest(s->writer, s->out.data + s->out.len, (int64_t)size);
	if (avro_value_write(s->writer, &s->value))
		return ks_seterr(errstr, errlen, -1, "%s", avro_strerror());
	s->out.len += size;
	return 0;
}

/* -------------------------------------------------------------------------- */
/* Kafka */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
	(void)rk;
	(void)opaque;
	if (rkm->err) {
		if (!P.failed++) {
			P.first_failed_line = (long)(intptr_t)rkm->_private;
			snprintf(P.first_error, sizeof(P.first_error), "%s",
			         rd_kafka_err2str(rkm->err));
		}
	} else {
		P.delivered++;
	}
}

static int kafka_init(const char *bootstrap, const char *topic, char **props, int nprops)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[512];
	static const char *const defaults[][2] = {
	        {"linger.ms", "20"},
	        {"batch.num.messages", "10000"},
	        {"queue.buffering.max.messages", "1000000"},
	        {"queue.buffering.max.kbytes", "1048576"},
	        /* the Java clients' default partitioner: equal keys, equal partitions */
	        {"partitioner", "murmur2_random"},
	        {"message.timeout.ms", "60000"},
	};

	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)))
		goto fail;
	for (size_t i = 0; i < KS_ARRAY_SIZE(defaults); i++)
		if (rd_kafka_conf_set(conf, defaults[i][0], defaults[i][1], errstr, sizeof(errstr)))
			goto fail;
	for (int i = 0; i < nprops; i++) {
		char *eq = strchr(props[i], '=');
		if (!eq) {
			snprintf(errstr, sizeof(errstr), "-X %s: expected prop=value", props[i]);
			goto fail;
		}
		*eq = '\0';
		if (rd_kafka_conf_set(conf, props[i], eq + 1, errstr, sizeof(errstr)))
			goto fail;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	if (!(P.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr)))) {
		fprintf(stderr, PROG ": %s\n", errstr);
		return -1;
	}
	if (!(P.rkt = rd_kafka_topic_new(P.rk, topic, NULL))) {
		fprintf(stderr, PROG ": topic %s: %s\n", topic,
		        rd_kafka_err2str(rd_kafka_last_error()));
		return -1;
	}
	return 0;
fail:
	fprintf(stderr, PROG ": %s\n", errstr);
	rd_kafka_conf_destroy(conf);
	return -1;
}

/* ser_encode for input line lineno: *ptr and *len the framed bytes (in
 * s->out), or -1 once stderr says why (what prefixes it: "key: " or ""). */
static int ser_encode_line(avro_ser_t *s, json_t *j, long lineno, const char *what,
                           const char **ptr, size_t *len)
{
	char errstr[KS_ERRSTR_SIZE];

	if (ser_encode(s, j, errstr, sizeof(errstr))) {
		fprintf(stderr, PROG ": line %ld: %s%s\n", lineno, what, errstr);
		return -1;
	}
	*ptr = s->out.data;
	*len = s->out.len;
	return 0;
}

static int kafka_send(int32_t partition, const void *key, size_t klen, const void *val, size_t vlen,
                      long lineno)
{
	for (;;) {
		if (rd_kafka_produce(P.rkt, partition, RD_KAFKA_MSG_F_COPY, (void *)val, vlen, key,
		                     klen, (void *)(intptr_t)lineno) == 0)
			return 0;
		if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			fprintf(stderr, PROG ": line %ld: produce failed: %s\n", lineno,
			        rd_kafka_err2str(rd_kafka_last_error()));
			return -1;
		}
		rd_kafka_poll(P.rk, 50);
		if (stop)
			return -1;
	}
}

/* -------------------------------------------------------------------------- */
/* Keys */

/* Renders a JSON scalar (a union tag {"int":1} unwrapped) as the key text. */
static int key_text(json_t *j, ks_buf_t *out)
{
	if (json_is_object(j) && json_object_size(j) == 1)
		j = json_object_iter_value(json_object_iter(j));
	ks_buf_reset(out);
	switch (json_typeof(j)) {
	case JSON_STRING:
		ks_buf_append(out, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		ks_buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		break;
	case JSON_REAL:
		ks_buf_printf(out, "%.17g", json_real_value(j));
		break;
	case JSON_TRUE:
		ks_buf_puts(out, "true");
		break;
	case JSON_FALSE:
		ks_buf_puts(out, "false");
		break;
	case JSON_NULL:
		return 1; /* no key */
	default:
		return -1;
	}
	return 0;
}

/* -------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	const char *bootstrap = NULL, *registry = NULL, *topic = NULL;
	const char *value_schema = NULL, *key_schema = NULL, *key_field = NULL;
	char *props[64];
	int nprops = 0, format_json = 0, count_only = 0, rc = 1;
	int32_t partition = RD_KAFKA_PARTITION_UA;
	key_mode_t key_mode = KEY_NONE;
	avro_ser_t vser = {0}, kser = {0};
	char errstr[KS_ERRSTR_SIZE], subject[512];
	ks_buf_t keybuf = KS_BUF_INIT;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0, produced = 0;
	int64_t t0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--bootstrap") && next) {
			bootstrap = argv[++i];
		} else if (!strcmp(a, "--registry") && next) {
			registry = argv[++i];
		} else if (!strcmp(a, "--topic") && next) {
			topic = argv[++i];
		} else if (!strcmp(a, "--value-schema") && next) {
			value_schema = argv[++i];
		} else if (!strcmp(a, "--key-schema") && next && key_mode == KEY_NONE) {
			key_schema = argv[++i];
			key_mode = KEY_AVRO;
		} else if (!strcmp(a, "--key-field") && next && key_mode == KEY_NONE) {
			key_field = argv[++i];
			key_mode = KEY_FIELD;
		} else if (!strcmp(a, "--key-string") && key_mode == KEY_NONE) {
			key_mode = KEY_STRING;
		} else if (!strcmp(a, "--format") && next) {
			i++;
			if (!strcmp(next, "json"))
				format_json = 1;
			else if (strcmp(next, "avro-json") != 0) {
				usage();
				return 2;
			}
		} else if (!strcmp(a, "--partition") && next) {
			long long n;
			if (ks_parse_ll(argv[++i], 0, INT32_MAX, &n)) {
				fprintf(stderr, PROG ": --partition needs a partition number\n");
				return 2;
			}
			partition = (int32_t)n;
		} else if (!strcmp(a, "--count-only")) {
			count_only = 1;
		} else if (!strcmp(a, "-X") && next && nprops < (int)KS_ARRAY_SIZE(props)) {
			props[nprops++] = argv[++i];
		} else {
			usage();
			return 2;
		}
	}
	if (!topic || (!bootstrap && !count_only) ||
	    (!format_json && (!value_schema || (!registry && !count_only))) ||
	    (format_json && key_mode == KEY_AVRO)) {
		usage();
		return 2;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!format_json) {
		snprintf(subject, sizeof(subject), "%s-value", topic);
		if (ser_init(&vser, value_schema, count_only ? NULL : registry, subject, errstr,
		             sizeof(errstr))) {
			fprintf(stderr, PROG ": value schema: %s\n", errstr);
			goto out;
		}
	}
	if (key_mode == KEY_AVRO) {
		snprintf(subject, sizeof(subject), "%s-key", topic);
		if (ser_init(&kser, key_schema, count_only ? NULL : registry, subject, errstr,
		             sizeof(errstr))) {
			fprintf(stderr, PROG ": key schema: %s\n", errstr);
			goto out;
		}
	}
	if (!count_only && kafka_init(bootstrap, topic, props, nprops))
		goto out;

	t0 = ks_now_ms();
	while (!stop && (len = getline(&line, &cap, stdin)) >= 0) {
		const char *vtext = line, *kptr = NULL;
		size_t vlen, klen = 0;
		json_t *doc = NULL, *jv, *jk = NULL;
		json_error_t jerr;
		const char *vptr = NULL;
		int bad = 0;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		vlen = (size_t)len;
		if (key_mode == KEY_STRING) {
			char *tab = memchr(line, '\t', vlen);
			if (!tab) {
				fprintf(stderr, PROG ": line %ld: expected KEY<TAB>VALUE\n",
				        lineno);
				goto out;
			}
			kptr = line;
			klen = (size_t)(tab - line);
			vtext = tab + 1;
			vlen -= klen + 1;
		}
		if (!(doc = json_loadb(vtext, vlen, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr))) {
			fprintf(stderr, PROG ": line %ld: bad JSON: %s (column %d)\n", lineno,
			        jerr.text, jerr.column);
			goto out;
		}
		jv = doc;
		if (key_mode == KEY_AVRO) {
			if (!json_is_object(doc) || !(jk = json_object_get(doc, "key")) ||
			    !(jv = json_object_get(doc, "value"))) {
				fprintf(stderr,
				        PROG ": line %ld: expected {\"key\":…,\"value\":…}\n",
				        lineno);
				json_decref(doc);
				goto out;
			}
			if (json_is_null(jk))
				kptr = NULL;
			else if (ser_encode_line(&kser, jk, lineno, "key: ", &kptr, &klen))
				bad = 1;
		} else if (key_mode == KEY_FIELD) {
			json_t *f = json_object_get(jv, key_field);
			int kr = f ? key_text(f, &keybuf) : -2;
			if (kr == -2 || kr < 0) {
				fprintf(stderr, PROG ": line %ld: key field \"%s\" %s\n", lineno,
				        key_field,
				        kr == -2 ? "missing (a tombstone needs --key-string or "
				                   "--key-schema)"
				                 : "is not a scalar");
				bad = 1;
			} else if (kr == 0) {
				kptr = keybuf.data ? keybuf.data : "";
				klen = keybuf.len;
			}
		}
		if (!bad) {
			if (json_is_null(jv)) {
				if (!kptr) {
					fprintf(stderr,
					        PROG ": line %ld: a null value (tombstone) needs a "
					             "key\n",
					        lineno);
					bad = 1;
				}
			} else if (format_json) {
				vptr = vtext;
				if (key_mode == KEY_AVRO) /* not reached: rejected above */
					bad = 1;
			} else if (ser_encode_line(&vser, jv, lineno, "", &vptr, &vlen)) {
				bad = 1;
			}
		}
		if (bad) {
			json_decref(doc);
			goto out;
		}
		if (!vptr)
			vlen = 0;
		if (!count_only && kafka_send(partition, kptr, klen, vptr, vlen, lineno)) {
			json_decref(doc);
			goto out;
		}
		json_decref(doc);
		produced++;
		if (!count_only && (produced & 1023) == 0)
			rd_kafka_poll(P.rk, 0);
	}
	if (stop) {
		fprintf(stderr, PROG ": interrupted after %ld lines\n", lineno);
		goto out;
	}
	if (!count_only) {
		rd_kafka_resp_err_t ferr;
		while ((ferr = rd_kafka_flush(P.rk, 1000)) == RD_KAFKA_RESP_ERR__TIMED_OUT && !stop)
			;
		if (ferr || P.failed) {
			fprintf(stderr,
			        PROG ": %" PRId64
			             " of %ld records not delivered (first: line %ld: %s)\n",
			        P.failed ? P.failed : produced - P.delivered, produced,
			        P.first_failed_line,
			        P.failed ? P.first_error : rd_kafka_err2str(ferr));
			goto out;
		}
	}
	{
		int64_t ms = ks_now_ms() - t0;
		double rate = ms > 0 ? (double)produced * 1000.0 / (double)ms : (double)produced;
		fprintf(stderr, "%s %ld records to %s (%.0f records/s)\n",
		        count_only ? "encoded" : "produced", produced, topic, rate);
	}
	rc = 0;
out:
	free(line);
	ks_buf_free(&keybuf);
	if (P.rkt)
		rd_kafka_topic_destroy(P.rkt);
	if (P.rk) {
		if (rc)
			rd_kafka_purge(P.rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_flush(P.rk, rc ? 0 : 1000);
		rd_kafka_destroy(P.rk);
	}
	ser_destroy(&vser);
	ser_destroy(&kser);
	curl_global_cleanup();
	return rc;
}
