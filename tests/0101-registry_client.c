/*
 * 0101-registry_client — the Schema Registry client against a tiny in-test
 * registry (libmicrohttpd on a free port): fetch + cache, 404 → record
 * error, failover from a dead URL to a live one, basic auth header, retry
 * with back-off until 5xx answers stop, outage → RETRIABLE then recovery
 * when the server comes back, register; and the AvroConverter going through
 * it end to end (unknown id, registry down mid-stream and back).
 * needs: none (a unit test: tests/run.sh starts no stack for it)
 */
#include "../schemas/avro_converter.h"
#include "lib/harness.h"

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct srv {
	struct MHD_Daemon *d;
	int port;
	int fail_next; /* answer 503 this many times */
	int hits;
	char auth[256];
	char last_body[1024];
	pthread_mutex_t lock;
} srv_t;

static srv_t S = {.lock = PTHREAD_MUTEX_INITIALIZER};
static char err[KS_ERRSTR_SIZE];

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body)
{
	struct MHD_Response *r =
	        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;
	MHD_add_response_header(r, "Content-Type", "application/vnd.schemaregistry.v1+json");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* {"schema": text, "references": [{name, subject, version}]} */
static enum MHD_Result reply_schema(struct MHD_Connection *c, const char *text, const char *rname,
                                    const char *rsubject, int rversion)
{
	json_t *j = json_pack("{s:s}", "schema", text);
	char *body;
	enum MHD_Result ret;
	if (rname)
		json_object_set_new(j, "references",
		                    json_pack("[{s:s,s:s,s:i}]", "name", rname, "subject", rsubject,
		                              "version", rversion));
	body = json_dumps(j, JSON_COMPACT);
	ret = reply(c, 200, body);
	free(body);
	json_decref(j);
	return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
	const char *auth;
	int fail;
	(void)cls;
	(void)version;
	if (!*con_cls) { /* first call: headers only */
		*con_cls = (void *)1;
		return MHD_YES;
	}
	if (*upload_size) {
		pthread_mutex_lock(&S.lock);
		snprintf(S.last_body, sizeof(S.last_body), "%.*s", (int)*upload_size, upload);
		pthread_mutex_unlock(&S.lock);
		*upload_size = 0;
		return MHD_YES;
	}
	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	pthread_mutex_lock(&S.lock);
	S.hits++;
	snprintf(S.auth, sizeof(S.auth), "%s", auth ? auth : "");
	fail = S.fail_next > 0 ? S.fail_next-- : 0;
	pthread_mutex_unlock(&S.lock);
	if (fail)
		return reply(c, 503, "{\"error_code\":50003,\"message\":\"forwarding failed\"}");
	if (!strcmp(method, "GET") && !strcmp(url, "/schemas/ids/1"))
		return reply(c, 200, "{\"schema\":\"\\\"string\\\"\"}");
	if (!strcmp(method, "GET") && !strcmp(url, "/schemas/ids/3"))
		return reply(
		        c, 200,
		        "{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"R\\\","
		        "\\\"fields\\\":[{\\\"name\\\":\\\"n\\\",\\\"type\\\":\\\"long\\\"}]}\","
		        "\"schemaType\":\"AVRO\"}");
	if (!strcmp(method, "GET") && !strcmp(url, "/schemas/ids/4"))
		return reply(
		        c, 200,
		        "{\"schema\":\"syntax = \\\"proto3\\\";\",\"schemaType\":\"PROTOBUF\"}");
	if (!strcmp(method, "GET") && !strcmp(url, "/schemas/ids/5"))
		return reply_schema(c,
		                    "{\"type\":\"record\",\"name\":\"Order\",\"fields\":["
		                    "{\"name\":\"c\",\"type\":\"com.x.Customer\"},"
		                    "{\"name\":\"n\",\"type\":\"int\"}]}",
		                    "com.x.Customer", "customer", 1);
	if (!strcmp(method, "GET") && !strcmp(url, "/subjects/customer/versions/1"))
		return reply_schema(c,
		                    "{\"type\":\"record\",\"name\":\"Customer\",\"namespace\":"
		                    "\"com.x\",\"fields\":[{\"name\":\"a\",\"type\":\"Addr\"}]}",
		                    "com.x.Addr", "addr", 2);
	if (!strcmp(method, "GET") && !strcmp(url, "/subjects/addr/versions/2"))
		return reply_schema(
		        c,
		        "{\"type\":\"record\",\"name\":\"Addr\",\"namespace\":"
		        "\"com.x\",\"fields\":[{\"name\":\"zip\",\"type\":\"string\"}]}",
		        NULL, NULL, 0);
	if (!strcmp(method, "GET") && !strcmp(url, "/schemas/ids/7"))
		return reply_schema(c, "{\"type\":\"array\",\"items\":\"a.Gone\"}", "a.Gone",
		                    "missing", 1);
	if (!strcmp(method, "POST") && !strcmp(url, "/subjects/bets-value/versions"))
		return reply(c, 200, "{\"id\":42}");
	return reply(c, 404, "{\"error_code\":40403,\"message\":\"Schema not found\"}");
}

static void srv_start(int port)
{
	const union MHD_DaemonInfo *info;
	S.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL, handler,
	                       NULL, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_END);
	KS_CHECK(S.d, "MHD_start_daemon on port %d", port);
	info = MHD_get_daemon_info(S.d, MHD_DAEMON_INFO_BIND_PORT);
	S.port = info->port;
}

static void srv_stop(void)
{
	if (S.d)
		MHD_stop_daemon(S.d);
	S.d = NULL;
}

/* A port nothing listens on (bound once, then released). */
static int dead_port(void)
{
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
	                                        handler, NULL, MHD_OPTION_END);
	int port;
	KS_CHECK(d, "daemon");
	port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
	MHD_stop_daemon(d);
	return port;
}

static ks_registry_t *reg_new(const char *urls, const char *extra_k, const char *extra_v)
{
	ks_props_t *p = ks_props_new();
	ks_registry_t *r;
	KS_CHECK(p && !ks_props_set(p, "schema.registry.url", urls) &&
	                 !ks_props_set(p, "max.retries", "3") &&
	                 !ks_props_set(p, "retries.wait.ms", "20") &&
	                 !ks_props_set(p, "retries.max.wait.ms", "50"),
	         "props");
	if (extra_k)
		KS_CHECK(!ks_props_set(p, extra_k, extra_v), "props");
	r = ks_registry_new(p, err, sizeof(err));
	ks_props_destroy(p);
	KS_CHECK(r, "registry: %s", err);
	return r;
}

KS_TEST(fetch_cache_and_not_found)
{
	char url[64];
	const char *js, *type;
	ks_registry_t *r;
	srv_start(0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", S.port);
	r = reg_new(url, NULL, NULL);
	S.hits = 0;
	KS_CHECK_INT(ks_registry_get_schema(r, 1, &js, &type, err, sizeof(err)), KS_OK);
	KS_CHECK_STR(js, "\"string\"");
	KS_CHECK_STR(type, "AVRO");
	KS_CHECK_INT(ks_registry_get_schema(r, 1, &js, &type, err, sizeof(err)), KS_OK);
	KS_CHECK_INT(S.hits, 1); /* cached */
	KS_CHECK_INT(ks_registry_get_schema(r, 2, &js, &type, err, sizeof(err)), KS_ERR_RECORD);
	KS_CHECK_STR(err, "schema id 2 not found");
	KS_CHECK_INT(ks_registry_get_schema(r, 4, &js, &type, err, sizeof(err)), KS_OK);
	KS_CHECK_STR(type, "PROTOBUF");
	ks_registry_destroy(r);
	srv_stop();
}

KS_TEST(failover_and_basic_auth)
{
	char url[128];
	const char *js;
	ks_registry_t *r;
	int dead = dead_port();
	srv_start(0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d, http://127.0.0.1:%d", dead, S.port);
	{
		ks_props_t *p = ks_props_new();
		KS_CHECK(!ks_props_set(p, "schema.registry.url", url) &&
		                 !ks_props_set(p, "basic.auth.credentials.source", "USER_INFO") &&
		                 !ks_props_set(p, "basic.auth.user.info", "user:secret"),
		         "props");
		r = ks_registry_new(p, err, sizeof(err));
		ks_props_destroy(p);
	}
	KS_CHECK(r, "%s", err);
	S.hits = 0;
	KS_CHECK_INT(ks_registry_get_schema(r, 1, &js, NULL, err, sizeof(err)), KS_OK);
	KS_CHECK_INT(S.hits, 1);
	KS_CHECK_INT(ks_registry_requests(r), 2);       /* dead URL first, then the live one */
	KS_CHECK_STR(S.auth, "Basic dXNlcjpzZWNyZXQ="); /* base64("user:secret") */
	/* the live URL is remembered: the next lookup goes there directly */
	KS_CHECK_INT(ks_registry_get_schema(r, 3, &js, NULL, err, sizeof(err)), KS_OK);
	KS_CHECK_INT(ks_registry_requests(r), 3);
	ks_registry_destroy(r);
	srv_stop();
}

KS_TEST(user_info_requires_credentials)
{
	ks_props_t *p = ks_props_new();
	ks_registry_t *r;
	KS_CHECK(!ks_props_set(p, "schema.registry.url", "http://x") &&
	                 !ks_props_set(p, "basic.auth.credentials.source", "USER_INFO"),
	         "props");
	r = ks_registry_new(p, err, sizeof(err));
	KS_CHECK(!r && strstr(err, "basic.auth.user.info"), "%s", err);
	(void)ks_props_remove(p, "schema.registry.url");
	r = ks_registry_new(p, err, sizeof(err));
	KS_CHECK(!r && strstr(err, "schema.registry.url"), "%s", err);
	ks_props_destroy(p);
}

KS_TEST(retry_5xx_then_success)
{
	char url[64];
	const char *js;
	ks_registry_t *r;
	srv_start(0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", S.port);
	r = reg_new(url, NULL, NULL);
	S.fail_next = 2;
	KS_CHECK_INT(ks_registry_get_schema(r, 1, &js, NULL, err, sizeof(err)), KS_OK);
	KS_CHECK_INT(ks_registry_requests(r), 3);
	/* more 5xx than retries: retriable, nothing cached */
	S.fail_next = 10;
	KS_CHECK_INT(ks_registry_get_schema(r, 3, &js, NULL, err, sizeof(err)), KS_ERR_RETRIABLE);
	KS_CHECK(strstr(err, "HTTP 503"), "%s", err);
	S.fail_next = 0;
	KS_CHECK_INT(ks_registry_get_schema(r, 3, &js, NULL, err, sizeof(err)), KS_OK);
	ks_registry_destroy(r);
	srv_stop();
}

KS_TEST(outage_then_recovery_and_register)
{
	char url[64];
	const char *js;
	int id = 0, port;
	ks_registry_t *r;
	srv_start(0);
	port = S.port;
	srv_stop();
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	r = reg_new(url, NULL, NULL);
	KS_CHECK_INT(ks_registry_get_schema(r, 1, &js, NULL, err, sizeof(err)), KS_ERR_RETRIABLE);
	KS_CHECK(strstr(err, "unreachable after 4 attempt(s)"), "%s", err);
	srv_start(port);
	KS_CHECK_INT(ks_registry_get_schema(r, 1, &js, NULL, err, sizeof(err)), KS_OK);
	KS_CHECK_INT(ks_registry_register(r, "bets-value", "{\"type\":\"string\"}", &id, err,
	                                  sizeof(err)),
	             KS_OK);
	KS_CHECK_INT(id, 42);
	KS_CHECK_STR(S.last_body, "{\"schema\":\"{\\\"type\\\":\\\"string\\\"}\"}");
	KS_CHECK_INT(ks_registry_register(r, "other", "\"int\"", &id, err, sizeof(err)),
	             KS_ERR_RECORD);
	ks_registry_destroy(r);
	srv_stop();
}

KS_TEST(avro_converter_through_registry)
{
	static const unsigned char rec[] = {0, 0, 0, 0, 3, 0x54};       /* id 3, {n: 42} */
	static const unsigned char unk[] = {0, 0, 0, 0, 9, 0x00};       /* id 9: not registered */
	static const unsigned char rec5[] = {0, 0, 0, 0, 1, 0x02, 'a'}; /* id 1, "a" */
	static const unsigned char proto[] = {0, 0, 0, 0, 4, 0x00};
	char url[64];
	ks_props_t *p = ks_props_new();
	ks_converter_t *c;
	ks_arena_t *a = ks_arena_new(0);
	const ks_schema_t *s;
	ks_value_t *v;
	int port;

	srv_start(0);
	port = S.port;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	KS_CHECK(!ks_props_set(p, "schema.registry.url", url) &&
	                 !ks_props_set(p, "max.retries", "1") &&
	                 !ks_props_set(p, "retries.wait.ms", "10"),
	         "props");
	c = ks_converter_new("io.confluent.connect.avro.AvroConverter", p, 0, err, sizeof(err));
	ks_props_destroy(p);
	KS_CHECK(c, "%s", err);
	KS_CHECK_INT(ks_converter_to_connect(c, "t", rec, sizeof(rec), a, &s, &v, err, sizeof(err)),
	             KS_OK);
	KS_CHECK_STR(s->name, "R");
	KS_CHECK_INT(v->u.st.fields[0].u.i, 42);
	KS_CHECK_INT(ks_converter_to_connect(c, "t", unk, sizeof(unk), a, &s, &v, err, sizeof(err)),
	             KS_ERR_RECORD);
	KS_CHECK_STR(err, "schema id 9 not found");
	KS_CHECK_INT(
	        ks_converter_to_connect(c, "t", proto, sizeof(proto), a, &s, &v, err, sizeof(err)),
	        KS_ERR_RECORD);
	KS_CHECK(strstr(err, "PROTOBUF"), "%s", err);
	/* registry down: a cached id still decodes, a new one waits (retriable) */
	srv_stop();
	KS_CHECK_INT(ks_converter_to_connect(c, "t", rec, sizeof(rec), a, &s, &v, err, sizeof(err)),
	             KS_OK);
	KS_CHECK_INT(
	        ks_converter_to_connect(c, "t", rec5, sizeof(rec5), a, &s, &v, err, sizeof(err)),
	        KS_ERR_RETRIABLE);
	srv_start(port);
	KS_CHECK_INT(
	        ks_converter_to_connect(c, "t", rec5, sizeof(rec5), a, &s, &v, err, sizeof(err)),
	        KS_OK);
	KS_CHECK_STR(v->u.s.ptr, "a");
	ks_converter_destroy(c);
	ks_arena_destroy(a);
	srv_stop();
}

KS_TEST(schema_references)
{
	static const unsigned char order[] = {0, 0, 0, 0, 5, 0x04, 'a', 'b', 0x06};
	static const unsigned char gone[] = {0, 0, 0, 0, 7, 0x00};
	char url[64];
	ks_props_t *p = ks_props_new();
	ks_converter_t *c;
	ks_arena_t *a = ks_arena_new(0);
	const ks_schema_t *s;
	ks_value_t *v;

	srv_start(0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", S.port);
	KS_CHECK(!ks_props_set(p, "schema.registry.url", url), "props");
	c = ks_converter_new("io.confluent.connect.avro.AvroConverter", p, 0, err, sizeof(err));
	ks_props_destroy(p);
	KS_CHECK(c, "%s", err);
	S.hits = 0;
	KS_CHECK_INT(
	        ks_converter_to_connect(c, "t", order, sizeof(order), a, &s, &v, err, sizeof(err)),
	        KS_OK);
	KS_CHECK_INT(S.hits, 3); /* the id, then customer/1, then addr/2 */
	KS_CHECK_STR(s->name, "Order");
	KS_CHECK_STR(s->fields[0].schema->name, "com.x.Customer");
	KS_CHECK_STR(s->fields[0].schema->fields[0].schema->name, "com.x.Addr");
	KS_CHECK_STR(v->u.st.fields[0].u.st.fields[0].u.st.fields[0].u.s.ptr, "ab");
	KS_CHECK_INT(v->u.st.fields[1].u.i, 3);
	KS_CHECK_INT(
	        ks_converter_to_connect(c, "t", gone, sizeof(gone), a, &s, &v, err, sizeof(err)),
	        KS_ERR_RECORD);
	KS_CHECK(strstr(err, "schema id 7") && strstr(err, "subject missing version 1 not found"),
	         "%s", err);
	ks_converter_destroy(c);
	ks_arena_destroy(a);
	srv_stop();
}

KS_TEST(bad_settings)
{
	ks_props_t *p = ks_props_new();
	ks_registry_t *r;
	KS_CHECK(!ks_props_set(p, "schema.registry.url", "http://x") &&
	                 !ks_props_set(p, "max.retries", "lots"),
	         "props");
	r = ks_registry_new(p, err, sizeof(err));
	KS_CHECK(!r && strstr(err, "max.retries"), "%s", err);
	KS_CHECK(!ks_props_set(p, "max.retries", "1") &&
	                 !ks_props_set(p, "basic.auth.credentials.source", "SASL_INHERIT"),
	         "props");
	r = ks_registry_new(p, err, sizeof(err));
	KS_CHECK(!r && strstr(err, "basic.auth.credentials.source"), "%s", err);
	ks_props_destroy(p);
}
