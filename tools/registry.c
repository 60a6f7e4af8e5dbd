/*
 * registry.c — build/ksink-registry: a small Confluent Schema Registry
 * stand-in (AVRO only) for tests, the demo and local development.
 *
 *   ksink-registry --listen HOST:PORT [--data FILE]
 *
 * It speaks the subset of the Schema Registry REST API that serializers,
 * converters and people with curl use (tools/README.md has the table):
 * registering a schema under a subject returns a global id; the same schema
 * (compared after canonical normalisation: parsed JSON, keys sorted,
 * whitespace removed) gets the same id under every subject, and registering
 * it again returns the existing id. Error bodies, codes and content types are
 * Confluent's. Compatibility levels are stored and reported but not enforced:
 * every schema is compatible.
 *
 * This file owns the HTTP side and main(): libmicrohttpd serves requests
 * from its own thread pool; each request's body is gathered, its path split
 * and its JSON parsed here, then registry/routes.c answers it under reg.lock.
 * State (registry/store.c) is a handful of arrays behind one mutex; every
 * mutation rewrites --data FILE (write to FILE.tmp, rename) so a restart
 * keeps ids and versions. The main thread waits for SIGTERM/SIGINT.
 */
#include "../lib/buf.h"
#include "../lib/ks.h"
#include "../lib/log.h"
#include "../lib/stop_signal.h"
#include "registry/api.h"
#include "registry/store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOGCTX   "registry"
#define BODY_MAX (1024 * 1024)

/* -------------------------------------------------------------------------- */
/* HTTP plumbing */

typedef struct conn_ctx {
	ks_buf_t body;
	int too_large;
} conn_ctx_t;

static int content_type_ok(struct MHD_Connection *conn)
{
	static const char *const ok[] = {CT_REGISTRY, "application/vnd.schemaregistry+json",
	                                 "application/json", "application/octet-stream"};
	const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	size_t n;

	if (!ct || !*ct)
		return 1;
	n = strcspn(ct, ";");
	while (n > 0 && ct[n - 1] == ' ')
		n--;
	for (size_t i = 0; i < KS_ARRAY_SIZE(ok); i++)
		if (strlen(ok[i]) == n && !strncasecmp(ct, ok[i], n))
			return 1;
	return 0;
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, reply_t *rp)
{
	struct MHD_Response *res;
	enum MHD_Result ret;
	char *text;

	if (rp->raw) {
		text = rp->raw;
		rp->raw = NULL;
	} else {
		text = rp->body ? json_dumps(rp->body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	}
	if (!text) {
		rp->status = 500;
		text = ks_strdup("{\"error_code\":50001,\"message\":\"out of memory\"}");
		if (!text)
			return MHD_NO;
	}
	res = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!res) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(res, "Content-Type", CT_REGISTRY);
	ret = MHD_queue_response(conn, rp->status, res);
	MHD_destroy_response(res);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	conn_ctx_t *cc = *con_cls;
	reply_t rp = {0, NULL, NULL};
	request_t rq = {.conn = conn, .method = method};
	char *path = NULL, *save = NULL, *tok;
	enum MHD_Result ret;

	(void)cls;
	(void)version;
	if (!cc) {
		if (!(cc = calloc(1, sizeof(*cc))))
			return MHD_NO;
		*con_cls = cc;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (cc->body.len + *upload_data_size > BODY_MAX)
			cc->too_large = 1;
		else
			ks_buf_append(&cc->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}

	if (cc->too_large) {
		reg_reply_error(&rp, 413, 413, "HTTP 413 Request Entity Too Large");
		goto send;
	}
	if (ks_buf_failed(&cc->body) || !(path = ks_strdup(url))) {
		reg_reply_oom(&rp);
		goto send;
	}
	for (tok = strtok_r(path, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (rq.nsegs == (int)KS_ARRAY_SIZE(rq.segs)) {
			reg_reply_error(&rp, 404, 404, "HTTP 404 Not Found");
			goto send;
		}
		rq.segs[rq.nsegs++] = tok;
	}
	if (!strcmp(method, "POST") || !strcmp(method, "PUT")) {
		json_error_t jerr;
		if (!content_type_ok(conn)) {
			reg_reply_error(&rp, 415, 415, "HTTP 415 Unsupported Media Type");
			goto send;
		}
		if (cc->body.len == 0) {
			rq.body = json_object(); /* Jersey maps an empty body to an empty entity */
		} else if (!(rq.body = json_loadb(cc->body.data, cc->body.len, 0, &jerr))) {
			reg_reply_error(&rp, 400, 400, "%s", jerr.text);
			goto send;
		} else if (!json_is_object(rq.body)) {
			reg_reply_error(&rp, 400, 400,
			                "Cannot deserialize request body: expected an object");
			goto send;
		}
	}
	pthread_mutex_lock(&reg.lock);
	reg_route(&rq, &rp);
	pthread_mutex_unlock(&reg.lock);
	KS_DEBUG(LOGCTX, "%s %s -> %u", method, url, rp.status);
send:
	ret = send_reply(conn, &rp);
	json_decref(rp.body);
	free(rp.raw);
	json_decref(rq.body);
	free(path);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	conn_ctx_t *cc = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (cc) {
		ks_buf_free(&cc->body);
		free(cc);
		*con_cls = NULL;
	}
}

static int parse_listen(const char *s, struct sockaddr_in *sa)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	long long port;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	if (ks_parse_ll(colon + 1, 1, 65535, &port))
		return -1;
	sa->sin_port = htons((uint16_t)port);
	if (!*host || !strcmp(host, "0.0.0.0"))
		sa->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (!strcmp(host, "localhost"))
		sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -1;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: ksink-registry --listen HOST:PORT [--data FILE]\n");
}

int main(int argc, char **argv)
{
	const char *listen = NULL;
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	char errstr[KS_ERRSTR_SIZE];
	sigset_t set;
	int sig;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--listen") && i + 1 < argc) {
			listen = argv[++i];
		} else if (!strcmp(argv[i], "--data") && i + 1 < argc) {
			reg.data_path = argv[++i];
		} else {
			usage();
			return 2;
		}
	}
	if (!listen || parse_listen(listen, &sa) != 0) {
		usage();
		return 2;
	}
	if (reg.data_path && reg_state_load(errstr, sizeof(errstr)) != 0) {
		fprintf(stderr, "ksink-registry: %s\n", errstr);
		reg_state_free();
		return 1;
	}

	/* Block the stop signals in every thread; the main thread waits for them. */
	ks_stop_signal_block(&set);

	d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	                     on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	                     MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_THREAD_POOL_SIZE,
	                     4u, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
	                     MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "ksink-registry: cannot listen on %s: %s\n", listen,
		        strerror(errno));
		reg_state_free();
		return 1;
	}
	KS_INFO(LOGCTX, "schema registry on http://%s (%zu schemas, %zu subjects%s%s)", listen,
	        reg.nschemas, reg.nsubjects, reg.data_path ? ", data " : "",
	        reg.data_path ? reg.data_path : "");
	sig = ks_stop_signal_wait(&set);
	KS_INFO(LOGCTX, "stopping on signal %d", sig);
	MHD_stop_daemon(d);
	reg_state_free();
	return 0;
}
