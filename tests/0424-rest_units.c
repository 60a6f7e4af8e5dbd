/*
 * 0424-rest_units.c — the REST layer without sockets: ks_rest_handle() on a
 * herder that is not started (connectors are stored, no tasks run), the
 * basic auth check, the JAAS parser, KAFKA_OPTS scanning and the TLS loader's
 * refusals; plus the JDBC sink's log-safe conninfo (sslpassword masked).
 * Needs no stack: the herder's Kafka address is never dialled here.
 * needs: none (a unit test: tests/run.sh starts no stack for it)
 */
#include "../connectors/jdbc/jdbc.h"
#include "../rest/auth.h"
#include "../rest/rest.h"
#include "../rest/tls.h"
#include "../worker/worker.h"
#include "lib/harness.h"
#include "lib/worker_fixture.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/ksink-0424.XXXXXX";

static void ensure_dir(void)
{
	if (!strcmp(dir + strlen(dir) - 6, "XXXXXX"))
		KS_CHECK(mkdtemp(dir), "mkdtemp");
}

static void put_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	KS_CHECK(f && fputs(text, f) >= 0 && fclose(f) == 0, "write %s", path);
}

typedef struct fixture {
	ks_worker_config_t *wc;
	ks_herder_t *h;
	ks_rest_t *r;
} fixture_t;

/* ks_rest_auth_load over worker props parsed against the worker's table. */
static int auth_load(const ks_props_t *p, const char *opts, ks_rest_auth_t **a, char *err,
                     size_t errlen)
{
	const ks_cfg_def_t *const defs[] = {ks_worker_defs, NULL};
	ks_config_t *cfg = ks_config_new(defs, p);
	int rc;

	KS_CHECK(cfg != NULL, "oom");
	rc = ks_rest_auth_load(cfg, opts, a, err, errlen);
	ks_config_destroy(cfg);
	return rc;
}

/* A herder (not started) over a fresh store, with optional extra props. */
static fixture_t fx(const char *k, const char *v)
{
	fixture_t f;
	char err[KS_ERRSTR_SIZE], path[256];

	ensure_dir();
	snprintf(path, sizeof(path), "%s/store-%d.json", dir, rand());
	f.wc = ks_test_worker_config(dir, path, k, v);
	f.h = ks_herder_new(f.wc, err, sizeof(err));
	KS_CHECK(f.h, "%s", err);
	f.r = ks_rest_new(f.h, err, sizeof(err));
	KS_CHECK(f.r, "%s", err);
	return f;
}

static void fx_free(fixture_t f)
{
	ks_rest_stop(f.r);
	ks_herder_destroy(f.h);
	ks_worker_config_destroy(f.wc);
}

/* One request; returns the parsed body (NULL when none), status in *st. */
static json_t *call(fixture_t f, const char *method, const char *uri, const char *body, int *st)
{
	ks_rest_req_t in = {0};
	ks_rest_resp_t out;
	json_t *j = NULL;

	in.method = method;
	in.uri = uri;
	in.body = body;
	in.body_len = body ? strlen(body) : 0;
	in.content_type = body ? "application/json" : NULL;
	ks_rest_handle(f.r, &in, &out);
	*st = out.status;
	if (out.body) {
		json_error_t e;
		j = json_loads(out.body, 0, &e);
		KS_CHECK(j, "answer is not JSON: %s (%s)", out.body, e.text);
	}
	if (out.status >= 400) {
		KS_CHECK(j && json_integer_value(json_object_get(j, "error_code")) == out.status &&
		                 json_is_string(json_object_get(j, "message")),
		         "not a Connect error body: %s", out.body ? out.body : "(none)");
		KS_CHECK_STR(out.content_type, "application/json");
	}
	ks_rest_resp_clear(&out);
	return j;
}

#define MEMSINK                                                                                    \
	"{\"connector.class\":\"io.ksink.test.MemorySink\",\"topics\":\"t\",\"file\":\"/dev/"      \
	"null\"}"

KS_TEST(paths_and_encodings)
{
	fixture_t f = fx(NULL, NULL);
	json_t *j;
	int st;

	j = call(f, "PUT", "/connectors/a%2Fb/config", MEMSINK, &st);
	KS_CHECK_INT(st, 201);
	KS_CHECK_STR(json_string_value(json_object_get(j, "name")), "a/b");
	json_decref(j);
	j = call(f, "GET", "/connectors/a%2fb/status", NULL, &st);
	KS_CHECK_INT(st, 200);
	json_decref(j);
	j = call(f, "GET", "/connectors/a%00b/status", NULL, &st);
	KS_CHECK_INT(st, 400);
	json_decref(j);
	/* a %00 must not cut "a/b%00x" down to the existing "a/b" */
	j = call(f, "GET", "/connectors/a%2Fb%00x", NULL, &st);
	KS_CHECK_INT(st, 400);
	json_decref(j);
	j = call(f, "PUT", "/connectors/%FF/config", MEMSINK, &st);
	KS_CHECK_INT(st, 400);
	json_decref(j);
	j = call(f, "PUT", "/connectors/%ED%A0%80/config", MEMSINK, &st); /* a surrogate */
	KS_CHECK_INT(st, 400);
	json_decref(j);
	j = call(f, "GET", "/connectors/%E2%82%AC", NULL, &st); /* valid: the euro sign */
	KS_CHECK_INT(st, 404);
	KS_CHECK(strstr(json_string_value(json_object_get(j, "message")), "\xE2\x82\xAC"), "msg");
	json_decref(j);
	j = call(f, "GET", "/connectors/%zz", NULL, &st); /* a bad escape stays literal */
	KS_CHECK_INT(st, 404);
	KS_CHECK(strstr(json_string_value(json_object_get(j, "message")), "%zz"), "msg");
	json_decref(j);
	j = call(f, "PUT", "/connectors/%20%20/config", MEMSINK, &st);
	KS_CHECK_INT(st, 400);
	json_decref(j);
	j = call(f, "GET", "/connectors?expand=info&expand=status&expand", NULL, &st);
	KS_CHECK_INT(st, 200);
	KS_CHECK(json_object_get(json_object_get(j, "a/b"), "info"), "expand");
	json_decref(j);
	j = call(f, "GET", "/connectors?expand=st%61tus", NULL, &st); /* decoded values */
	KS_CHECK(json_object_get(json_object_get(j, "a/b"), "status"), "expand decoded");
	json_decref(j);
	j = call(f, "FOO", "/connectors", NULL, &st);
	KS_CHECK_INT(st, 405);
	json_decref(j);
	j = call(f, "DELETE", "/connectors/a%2Fb", NULL, &st);
	KS_CHECK_INT(st, 204);
	KS_CHECK(!j, "204 with a body");
	fx_free(f);
}

KS_TEST(bodies)
{
	fixture_t f = fx(NULL, NULL);
	ks_rest_req_t in = {0};
	ks_rest_resp_t out;
	json_t *j;
	int st;
	char *deep = malloc(5001);

	KS_CHECK(deep, "oom");
	memset(deep, '{', 5000);
	deep[5000] = '\0';
	j = call(f, "POST", "/connectors", deep, &st);
	KS_CHECK_INT(st, 500);
	json_decref(j);
	free(deep);
	j = call(f, "POST", "/connectors", "{\"name\":\"\xff\"}", &st);
	KS_CHECK_INT(st, 500);
	json_decref(j);
	j = call(f, "POST", "/connectors", "{\"name\":\"x\",\"config\":{\"a\":[1]}}", &st);
	KS_CHECK_INT(st, 400);
	KS_CHECK(strstr(json_string_value(json_object_get(j, "message")), "a"), "names the key");
	json_decref(j);
	/* too big, and the wrong media type */
	in.method = "POST";
	in.uri = "/connectors";
	in.body_too_big = 1;
	ks_rest_handle(f.r, &in, &out);
	KS_CHECK_INT(out.status, 413);
	ks_rest_resp_clear(&out);
	in.body_too_big = 0;
	in.body = "{}";
	in.body_len = 2;
	in.content_type = "application/x-www-form-urlencoded";
	ks_rest_handle(f.r, &in, &out);
	KS_CHECK_INT(out.status, 415);
	ks_rest_resp_clear(&out);
	fx_free(f);
}

KS_TEST(validate_masks_passwords)
{
	fixture_t f = fx(NULL, NULL);
	json_t *j, *c;
	size_t i;
	int st, seen = 0;
	char *txt;

	j = call(f, "PUT", "/connector-plugins/JdbcSinkConnector/config/validate",
	         "{\"connector.class\":\"JdbcSinkConnector\",\"name\":\"v\",\"topics\":\"t\","
	         "\"connection.url\":\"jdbc:postgresql://h/db\",\"connection.password\":"
	         "\"hunter2-0424\"}",
	         &st);
	KS_CHECK_INT(st, 200);
	json_array_foreach(json_object_get(j, "configs"), i, c)
	{
		json_t *v = json_object_get(c, "value");
		if (!strcmp(json_string_value(json_object_get(v, "name")), "connection.password")) {
			KS_CHECK_STR(json_string_value(json_object_get(v, "value")), "[hidden]");
			seen = 1;
		}
	}
	KS_CHECK(seen, "connection.password not listed");
	txt = json_dumps(j, 0);
	KS_CHECK(txt && !strstr(txt, "hunter2-0424"), "password in the answer");
	free(txt);
	json_decref(j);
	j = call(f, "POST", "/connectors",
	         "{\"name\":\"n\",\"config\":{\"connection.password\":\"hunter2-0424\","
	         "\"value.converter.basic.auth.user.info\":\"u:hunter3\","
	         "\"consumer.override.sasl.jaas.config\":\"x password=hunter4;\"}}",
	         &st);
	KS_CHECK_INT(st, 400);
	txt = json_dumps(j, 0);
	KS_CHECK(txt && !strstr(txt, "hunter") && strstr(txt, "[hidden]"), "%s", txt);
	free(txt);
	json_decref(j);
	fx_free(f);
}

static char *b64(const char *s)
{
	static const char tbl[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), o = 0;
	char *out = malloc(n * 4 / 3 + 8);
	KS_CHECK(out, "oom");
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		out[o++] = tbl[v >> 18 & 63];
		out[o++] = tbl[v >> 12 & 63];
		out[o++] = i + 1 < n ? tbl[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tbl[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

static int basic(const ks_rest_auth_t *a, const char *userpass)
{
	char *e = b64(userpass), hdr[512];
	int ok;
	snprintf(hdr, sizeof(hdr), "Basic %s", e);
	ok = ks_rest_auth_check(a, hdr);
	free(e);
	return ok;
}

KS_TEST(basic_auth)
{
	char err[KS_ERRSTR_SIZE], jaas[512], path[256];
	ks_props_t *p = ks_props_new();
	ks_rest_auth_t *a = NULL;
	fixture_t f;
	json_t *j;
	int st;

	ensure_dir();
	put_file("creds", "alice: wonder:land\nbob=  b\\u00f6b\n# carol: x\n");
	snprintf(path, sizeof(path), "%s/creds", dir);
	snprintf(jaas, sizeof(jaas),
	         "/* c */ KafkaConnect {\n" KS_REST_PROPERTY_FILE_LOGIN_MODULE
	         " required\n  file=\"%s\" debug=\"true\";\n};\n",
	         path);
	put_file("jaas", jaas);
	snprintf(path, sizeof(path), "%s/jaas", dir);
	KS_CHECK(p && !ks_props_set(p, "rest.extension.classes",
	                            " " KS_REST_BASIC_AUTH_EXTENSION " "),
	         "oom");
	KS_CHECK(auth_load(p, "", &a, err, sizeof(err)) == -1, "loaded without a JAAS");
	KS_CHECK(strstr(err, "needs a JAAS file"), "%s", err);
	{
		char opts[512];
		snprintf(opts, sizeof(opts),
		         "-Xmx1g -Djava.security.auth.login.config==file:%s -Dx=y", path);
		KS_CHECK(auth_load(p, opts, &a, err, sizeof(err)) == 0 && a, "%s", err);
	}
	KS_CHECK_INT(ks_rest_auth_users(a), 2);
	KS_CHECK(basic(a, "alice:wonder:land"), "alice");
	KS_CHECK(basic(a, "bob:b\xc3\xb6"
	                  "b"),
	         "bob (escaped, trimmed as Java does)");
	KS_CHECK(!basic(a, "alice:wonder"), "prefix of the password");
	KS_CHECK(!basic(a, "alice:wonder:land "), "password plus a space");
	KS_CHECK(!basic(a, "carol:x"), "commented-out user");
	KS_CHECK(!basic(a, ":wonder:land"), "empty user");
	KS_CHECK(!basic(a, "alice"), "no colon");
	KS_CHECK(!ks_rest_auth_check(a, NULL), "no header");
	KS_CHECK(!ks_rest_auth_check(a, "Basic"), "no credentials");
	KS_CHECK(!ks_rest_auth_check(a, "Basic YWxpY2U6d29uZGVyOmxhbmQ"), "missing padding");
	KS_CHECK(ks_rest_auth_check(a, "bAsIc  YWxpY2U6d29uZGVyOmxhbmQ= "), "scheme any case");
	KS_CHECK(!ks_rest_auth_check(a, "Digest YWxpY2U6d29uZGVyOmxhbmQ="), "other scheme");
	KS_CHECK(!ks_rest_auth_check(a, "Basic YWxp=2U6d29uZGVyOmxhbmQ="), "padding inside");
	ks_rest_auth_destroy(a);
	/* through ks_rest_handle: 401 with the header */
	f = fx("rest.basic.auth.jaas.config.file", path);
	ks_rest_stop(f.r);
	KS_CHECK(!ks_props_set((ks_props_t *)f.wc->props, "rest.extension.classes",
	                       KS_REST_BASIC_AUTH_EXTENSION),
	         "oom");
	{ /* REST reads the parsed worker config: parse it again */
		const ks_cfg_def_t *const defs[] = {ks_worker_defs, NULL};
		ks_config_destroy(f.wc->cfg);
		f.wc->cfg = ks_config_new(defs, f.wc->props);
		KS_CHECK(f.wc->cfg, "oom");
	}
	f.r = ks_rest_new(f.h, err, sizeof(err));
	KS_CHECK(f.r, "%s", err);
	{
		ks_rest_req_t in = {0};
		ks_rest_resp_t out;
		in.method = "GET";
		in.uri = "/health";
		ks_rest_handle(f.r, &in, &out);
		KS_CHECK_INT(out.status, 401);
		KS_CHECK(out.www_authenticate && !strncmp(out.www_authenticate, "Basic realm=", 12),
		         "WWW-Authenticate");
		ks_rest_resp_clear(&out);
		in.authorization = "Basic YWxpY2U6d29uZGVyOmxhbmQ=";
		ks_rest_handle(f.r, &in, &out);
		KS_CHECK(out.status != 401, "valid credentials refused");
		ks_rest_resp_clear(&out);
	}
	j = call(f, "GET", "/connectors", NULL, &st);
	KS_CHECK_INT(st, 401);
	json_decref(j);
	fx_free(f);
	ks_props_destroy(p);
}

KS_TEST(jaas_parser)
{
	static const struct {
		const char *text, *file, *err;
	} cases[] = {
	        {"KafkaConnect { " KS_REST_PROPERTY_FILE_LOGIN_MODULE " required file=\"/a b\"; };",
	         "/a b", NULL},
	        {"// x\nOther { a.B optional k=v; };\nKafkaConnect "
	         "{\n" KS_REST_PROPERTY_FILE_LOGIN_MODULE " sufficient\nfile=/p/q.properties;\n};",
	         "/p/q.properties", NULL},
	        {"KafkaConnect { " KS_REST_PROPERTY_FILE_LOGIN_MODULE
	         " required file=\"a\\\"b\"; };",
	         "a\"b", NULL},
	        {"KafkaConnect { " KS_REST_PROPERTY_FILE_LOGIN_MODULE " required; };", NULL,
	         "needs file="},
	        {"KafkaConnect { com.x.Y required file=\"f\"; };", NULL, "not supported"},
	        {"KafkaConnect { " KS_REST_PROPERTY_FILE_LOGIN_MODULE
	         " required file=\"f\"; " KS_REST_PROPERTY_FILE_LOGIN_MODULE
	         " required file=\"g\"; };",
	         NULL, "exactly one"},
	        {"KafkaConnect { " KS_REST_PROPERTY_FILE_LOGIN_MODULE " always file=\"f\"; };",
	         NULL, "control flag"},
	        {"KafkaConnect { " KS_REST_PROPERTY_FILE_LOGIN_MODULE " required file=\"f\"; }",
	         NULL, "';' after '}'"},
	        {"KafkaConnect { " KS_REST_PROPERTY_FILE_LOGIN_MODULE " required file=\"f; };",
	         NULL, "unterminated string"},
	        {"/* never closed", NULL, "unterminated comment"},
	        {"Other { a.B required; };", NULL, "no KafkaConnect entry"},
	        {"", NULL, "no KafkaConnect entry"},
	        {"KafkaConnect { = }", NULL, "expected"},
	};
	for (size_t i = 0; i < KS_ARRAY_SIZE(cases); i++) {
		char *file = NULL, err[KS_ERRSTR_SIZE] = "";
		int rc = ks_rest_jaas_credentials_file(cases[i].text, strlen(cases[i].text), &file,
		                                       err, sizeof(err));
		if (cases[i].file) {
			KS_CHECK(rc == 0, "case %zu: %s", i, err);
			KS_CHECK_STR(file, cases[i].file);
		} else {
			KS_CHECK(rc == -1 && !file, "case %zu accepted", i);
			KS_CHECK(strstr(err, cases[i].err), "case %zu: %s", i, err);
		}
		free(file);
	}
}

KS_TEST(kafka_opts)
{
	static const struct {
		const char *opts, *path;
	} cases[] = {
	        {"-Djava.security.auth.login.config=/etc/j.conf", "/etc/j.conf"},
	        {"-Xmx1g  -Djava.security.auth.login.config=/a -Dz=1", "/a"},
	        {"-Djava.security.auth.login.config==/only", "/only"},
	        {"-Djava.security.auth.login.config=file:///u/j.conf", "/u/j.conf"},
	        {"-Djava.security.auth.login.config=\"/with space\"", "/with space"},
	        {"-Djava.security.auth.login.config=/first -Djava.security.auth.login.config=/last",
	         "/last"},
	        {"-Xfoo-Djava.security.auth.login.config=/not-an-option", NULL},
	        {"-Djava.security.auth.login.config=", NULL},
	        {"", NULL},
	};
	for (size_t i = 0; i < KS_ARRAY_SIZE(cases); i++) {
		char *p = ks_rest_jaas_path_from_opts(cases[i].opts);
		if (cases[i].path)
			KS_CHECK_STR(p, cases[i].path);
		else
			KS_CHECK(!p, "case %zu: got %s", i, p);
		free(p);
	}
	KS_CHECK(!ks_rest_jaas_path_from_opts(NULL), "NULL opts");
}

KS_TEST(tls_refusals)
{
	static const struct {
		const char *k1, *v1, *k2, *v2, *err;
	} cases[] = {
	        {NULL, NULL, NULL, NULL, "needs ssl.keystore.location"},
	        {"ssl.keystore.location", "/nonexistent/ks.pem", NULL, NULL, "cannot read"},
	        {"ssl.keystore.location", "@jks", NULL, NULL, "JKS"},
	        {"ssl.keystore.location", "@garbage", NULL, NULL, "neither PEM nor PKCS12"},
	        {"ssl.keystore.location", "@garbage", "ssl.keystore.type", "PEM", "not a PEM file"},
	        {"ssl.keystore.location", "@pemcert", NULL, NULL, "no readable certificate"},
	        {"ssl.keystore.location", "@garbage", "ssl.keystore.type", "PKCS12",
	         "not a PKCS12 file"},
	        {"ssl.keystore.key", "x", NULL, NULL, "go together"},
	        {"listeners.https.ssl.keystore.location", "/nonexistent/x", "ssl.keystore.location",
	         "@pemcert", "listeners.https.ssl.keystore.location: cannot read"},
	        {"ssl.client.auth", "maybe", NULL, NULL, "expected none, requested or required"},
	};
	ensure_dir();
	put_file("jks", "\xfe\xed\xfe\xed\x00\x00\x00\x02");
	put_file("garbage", "hello");
	put_file("pemcert", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
	for (size_t i = 0; i < KS_ARRAY_SIZE(cases); i++) {
		ks_props_t *p = ks_props_new();
		char err[KS_ERRSTR_SIZE] = "", v1[256], v2[256];
		ks_rest_tls_t *t;
		snprintf(v1, sizeof(v1), "%s%s%s", cases[i].v1 && cases[i].v1[0] == '@' ? dir : "",
		         cases[i].v1 && cases[i].v1[0] == '@' ? "/" : "",
		         cases[i].v1 ? cases[i].v1 + (cases[i].v1[0] == '@') : "");
		snprintf(v2, sizeof(v2), "%s%s%s", cases[i].v2 && cases[i].v2[0] == '@' ? dir : "",
		         cases[i].v2 && cases[i].v2[0] == '@' ? "/" : "",
		         cases[i].v2 ? cases[i].v2 + (cases[i].v2[0] == '@') : "");
		KS_CHECK(p, "oom");
		if (cases[i].k1)
			KS_CHECK(!ks_props_set(p, cases[i].k1, v1), "oom");
		if (cases[i].k2)
			KS_CHECK(!ks_props_set(p, cases[i].k2, v2), "oom");
		t = ks_rest_tls_load(p, err, sizeof(err));
		KS_CHECK(!t, "case %zu accepted", i);
		KS_CHECK(strstr(err, cases[i].err), "case %zu: %s", i, err);
		ks_props_destroy(p);
	}
}

KS_TEST(conninfo_masks_every_password)
{
	char *ci = NULL, *safe = NULL, err[256];
	KS_CHECK(ks_jdbc_url_to_conninfo(
	                 "jdbc:postgresql://h/db?sslpassword=k3y-0424&password=p1-0424", NULL, "u",
	                 "p2-0424", &ci, &safe, NULL, err, sizeof(err)) == 0,
	         "%s", err);
	KS_CHECK(strstr(ci, "sslpassword='k3y-0424'") && strstr(ci, "password='p2-0424'"), "%s",
	         ci);
	KS_CHECK(!strstr(safe, "k3y-0424") && !strstr(safe, "p1-0424") && !strstr(safe, "p2-0424"),
	         "secret in the safe string: %s", safe);
	KS_CHECK(strstr(safe, "sslpassword=********") && strstr(safe, " password=********"), "%s",
	         safe);
	free(ci);
	free(safe);
}

__attribute__((destructor)) static void rm_dir(void)
{
	char cmd[300];
	if (strcmp(dir + strlen(dir) - 6, "XXXXXX")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd)) {
		}
	}
}
