/*
 * fuzz/rest.c — libFuzzer target for the REST API: ks_rest_handle() on a
 * real herder (not started, so connectors are stored but run no tasks; its
 * Kafka is an in-process librdkafka mock cluster) plus the basic auth
 * header check, the JAAS parser and the KAFKA_OPTS scan.
 *
 * Input: an HTTP-like request (readable seeds in corpus/rest/):
 *   METHOD URI\n
 *   Header: value\n        (Content-Type, Authorization, X-Too-Big)
 *   \n
 *   body
 * Input that does not start like that is a POST /connectors body. Before
 * each input a MemorySink connector "x" is put in place; after it every
 * connector is deleted, so runs stay independent.
 * Checked: every response has a status in 200..599, and every error
 * response body is JSON {"error_code": status, "message": string}.
 */
#include "../../rest/rest.h"
#include "../../config/config.h"
#include "../../lib/log.h"
#include "../../rest/auth.h"
#include "../../worker/worker.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static ks_worker_config_t *wc;
static ks_props_t *x_config;
static ks_herder_t *herder;
static ks_rest_t *rest;
static ks_rest_auth_t *auth;
static rd_kafka_t *mock_rk; /* kept reachable: they live as long as the process */
static rd_kafka_mock_cluster_t *mock;
static char dir[256];

static void put_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(f = fopen(path, "w")) || fputs(text, f) < 0 || fclose(f))
		abort();
}

/* Removes the temp directory at exit. */
static void cleanup(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[600];

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static void init(void)
{
	char errstr[KS_ERRSTR_SIZE], path[512], jaas[1024];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	ks_props_t *p = ks_props_new(), *ap = ks_props_new();

	ks_log_set_root_level(KS_LOG_OFF);
	snprintf(dir, sizeof(dir), "%s/ksink-fuzz-rest.%d",
	         access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
	if (mkdir(dir, 0700) && errno != EEXIST)
		abort();
	atexit(cleanup);
	rd_kafka_conf_set(conf, "log_level", "0", NULL, 0);
	mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!mock_rk || !(mock = rd_kafka_mock_cluster_new(mock_rk, 1)))
		abort();
	snprintf(path, sizeof(path), "%s/connectors.json", dir);
	if (!p || !ap ||
	    ks_props_set(p, "bootstrap.servers", rd_kafka_mock_cluster_bootstraps(mock)) ||
	    ks_props_set(p, "key.converter", "org.apache.kafka.connect.storage.StringConverter") ||
	    ks_props_set(p, "value.converter",
	                 "org.apache.kafka.connect.storage.StringConverter") ||
	    ks_props_set(p, "config.storage.file", path))
		abort();
	if (!(wc = ks_worker_config_new(p, dir, errstr, sizeof(errstr))) ||
	    !(herder = ks_herder_new(wc, errstr, sizeof(errstr))) ||
	    !(rest = ks_rest_new(herder, errstr, sizeof(errstr)))) {
		fprintf(stderr, "fuzz-rest init: %s\n", errstr);
		abort();
	}
	/* a separate authenticator (the routes above run without one) */
	snprintf(path, sizeof(path), "%s/creds.properties", dir);
	put_file("creds.properties", "admin: s3cret\nbob=builder\n");
	snprintf(jaas, sizeof(jaas),
	         "KafkaConnect {\n " KS_REST_PROPERTY_FILE_LOGIN_MODULE
	         " required\n file=\"%s\";\n};\n",
	         path);
	put_file("jaas.conf", jaas);
	snprintf(path, sizeof(path), "%s/jaas.conf", dir);
	{
		const ks_cfg_def_t *const defs[] = {ks_worker_defs, NULL};
		ks_config_t *acfg = NULL;
		if (ks_props_set(ap, "rest.extension.classes", KS_REST_BASIC_AUTH_EXTENSION) ||
		    ks_props_set(ap, "rest.basic.auth.jaas.config.file", path) ||
		    !(acfg = ks_config_new(defs, ap)) ||
		    ks_rest_auth_load(acfg, NULL, &auth, errstr, sizeof(errstr)) || !auth) {
			fprintf(stderr, "fuzz-rest auth init: %s\n", errstr);
			abort();
		}
		ks_config_destroy(acfg);
	}
	ks_props_destroy(p);
	ks_props_destroy(ap);
	if (!(x_config = ks_props_new()) ||
	    ks_props_set(x_config, "connector.class", "io.ksink.test.MemorySink") ||
	    ks_props_set(x_config, "topics", "t") || ks_props_set(x_config, "file", "/dev/null"))
		abort();
}

/* Checks the response contract; aborts (a finding) when it is broken. */
static void check(const ks_rest_resp_t *out)
{
	json_t *j, *code, *msg;

	if (out->status < 200 || out->status > 599)
		abort();
	if (out->status < 400)
		return;
	if (!out->body || !out->content_type || strcmp(out->content_type, "application/json"))
		abort();
	j = json_loads(out->body, 0, NULL);
	code = json_object_get(j, "error_code");
	msg = json_object_get(j, "message");
	if (!json_is_integer(code) || json_integer_value(code) != out->status ||
	    !json_is_string(msg))
		abort();
	json_decref(j);
}

static void delete_all(void)
{
	char errstr[KS_ERRSTR_SIZE], **names = NULL;
	size_t n = 0;

	if (ks_herder_names(herder, &names, &n))
		abort();
	for (size_t i = 0; i < n; i++) {
		if (ks_herder_delete(herder, names[i], errstr, sizeof(errstr)))
			abort();
		free(names[i]);
	}
	free(names);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *line, *nl, *sp, *body;
	ks_rest_req_t in = {0};
	ks_rest_resp_t out;
	char *ctype = NULL, *authz = NULL;

	if (!rest)
		init();
	if (!text)
		return 0;
	{ /* connector "x" exists (stopped: a not-started herder runs no tasks) */
		char err[KS_ERRSTR_SIZE];
		if (ks_herder_put(herder, "x", x_config, 1, KS_TARGET_STOPPED, NULL, NULL, err,
		                  sizeof(err)) != KS_OK)
			abort();
	}
	memcpy(text, data, size);
	text[size] = '\0';
	line = text;
	nl = memchr(text, '\n', size);
	sp = nl ? memchr(text, ' ', (size_t)(nl - text)) : NULL;
	if (sp && sp > text) {
		*sp = '\0';
		*nl = '\0';
		in.method = text;
		in.uri = sp + 1;
		/* headers up to an empty line */
		line = nl + 1;
		while (line < text + size && *line != '\n') {
			char *end = memchr(line, '\n', (size_t)(text + size - line));
			char *colon;
			if (!end)
				end = text + size;
			*end = '\0';
			colon = strchr(line, ':');
			if (colon) {
				char *v = colon + 1;
				*colon = '\0';
				while (*v == ' ')
					v++;
				if (!strcasecmp(line, "Content-Type"))
					ctype = v;
				else if (!strcasecmp(line, "Authorization"))
					authz = v;
				else if (!strcasecmp(line, "X-Too-Big"))
					in.body_too_big = 1;
			}
			line = end + 1;
		}
		body = line < text + size ? line + 1 : text + size;
	} else {
		in.method = "POST";
		in.uri = "/connectors";
		ctype = "application/json";
		body = text;
	}
	in.content_type = ctype;
	in.authorization = authz;
	in.body = body;
	in.body_len = (size_t)(text + size - body);
	ks_rest_handle(rest, &in, &out);
	check(&out);
	ks_rest_resp_clear(&out);
	if (authz)
		(void)ks_rest_auth_check(auth, authz);
	/* the start-up parsers get the same bytes */
	{
		char *file = NULL, err[KS_ERRSTR_SIZE], *opt;
		if (!ks_rest_jaas_credentials_file((const char *)data, size, &file, err,
		                                   sizeof(err)))
			free(file);
		opt = ks_rest_jaas_path_from_opts(text);
		free(opt);
	}
	delete_all();
	free(text);
	return 0;
}
