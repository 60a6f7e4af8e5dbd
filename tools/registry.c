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
 * State is a handful of arrays behind one mutex; every mutation rewrites
 * --data FILE (write to FILE.tmp, rename) so a restart keeps ids and
 * versions. libmicrohttpd serves requests from its own thread pool; the main
 * thread waits for SIGTERM/SIGINT.
 */
#include "../lib/buf.h"
#include "../lib/ks.h"
#include "../lib/log.h"
#include "registry/store.h"

#include <arpa/inet.h>
#include <avro.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOGCTX      "registry"
#define BODY_MAX    (1024 * 1024)
#define CT_REGISTRY "application/vnd.schemaregistry.v1+json"

/* One HTTP answer: status plus a JSON body (owned). */
typedef struct reply {
	unsigned status;
	json_t *body;
	char *raw; /* a raw schema answer instead of body */
} reply_t;

/* -------------------------------------------------------------------------- */
/* Errors */

static void reply_error(reply_t *rp, unsigned status, int code, const char *fmt, ...)
        KS_PRINTF(4, 5);

static void reply_error(reply_t *rp, unsigned status, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_decref(rp->body);
	rp->status = status;
	rp->body = json_pack("{s:i,s:s}", "error_code", code, "message", msg);
}

static void reply_json(reply_t *rp, json_t *body)
{
	json_decref(rp->body);
	rp->status = 200;
	rp->body = body;
}

static void err_subject(reply_t *rp, const char *s)
{
	reply_error(rp, 404, 40401, "Subject '%s' not found.", s);
}

static void err_version(reply_t *rp, const char *v)
{
	reply_error(rp, 404, 40402, "Version %s not found.", v);
}

static void err_oom(reply_t *rp)
{
	reply_error(rp, 500, 50001, "Error in the backend data store: out of memory");
}

/*
 * parse_schema_request() checks a register/lookup body and fills the two
 * renderings of its schema. On failure it fills rp with Confluent's error.
 */
static int parse_schema_request(json_t *body, reply_t *rp, char **schema_out, char **canon_out)
{
	json_t *js = json_object_get(body, "schema");
	json_t *type = json_object_get(body, "schemaType");
	json_t *refs = json_object_get(body, "references");
	char errstr[KS_ERRSTR_SIZE];
	avro_schema_t as;
	const char *text;

	*schema_out = *canon_out = NULL;
	if (type && !json_is_null(type)) {
		if (!json_is_string(type)) {
			reply_error(rp, 422, 42201, "Invalid schema type");
			return -1;
		}
		if (strcmp(json_string_value(type), "AVRO") != 0) {
			reply_error(rp, 422, 42201,
			            "Invalid schema type %s (ksink-registry stores AVRO only)",
			            json_string_value(type));
			return -1;
		}
	}
	if (refs && !json_is_null(refs) && json_array_size(refs) > 0) {
		reply_error(rp, 422, 42201,
		            "Schema references are not supported by ksink-registry");
		return -1;
	}
	if (!(text = json_string_value(js)) || !*text) {
		reply_error(rp, 422, 42201, "Empty schema");
		return -1;
	}
	if (reg_canon_of(text, schema_out, canon_out, errstr, sizeof(errstr)) != 0) {
		reply_error(rp, 422, 42201, "%s", errstr);
		return -1;
	}
	if (avro_schema_from_json_length(text, strlen(text), &as) != 0) {
		reply_error(rp, 422, 42201, "Invalid schema %s: %s", *schema_out, avro_strerror());
		free(*schema_out);
		free(*canon_out);
		*schema_out = *canon_out = NULL;
		return -1;
	}
	avro_schema_decref(as);
	return 0;
}

/* "latest", "-1" or 1..2^31-1; 0 latest, -1 invalid. */
static int parse_version(const char *v)
{
	char *end;
	long n;

	if (!strcmp(v, "latest"))
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end)
		return -1;
	if (n == -1)
		return 0;
	if (n < 1 || n > INT_MAX)
		return -1;
	return (int)n;
}

static int parse_id(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || end == s || *end || n < 0 || n > INT_MAX)
		return -1;
	return (int)n;
}

static void invalid_version(reply_t *rp, const char *v)
{
	reply_error(rp, 422, 42202,
	            "The specified version '%s' is not a valid version id. Allowed values are "
	            "between [1, 2^31-1] and the string \"latest\"",
	            v);
}

/* -------------------------------------------------------------------------- */
/* Request context and routing */

typedef struct request {
	struct MHD_Connection *conn;
	const char *method;
	char *segs[8];
	int nsegs;
	json_t *body; /* parsed request body, NULL when none */
} request_t;

static int qarg_true(request_t *rq, const char *name)
{
	const char *v = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
	return v && ks_strcaseeq(v, "true");
}

static int method_is(request_t *rq, const char *m)
{
	return !strcmp(rq->method, m);
}

static void not_allowed(reply_t *rp)
{
	reply_error(rp, 405, 405, "HTTP 405 Method Not Allowed");
}

static void persist(reply_t *rp)
{
	char errstr[KS_ERRSTR_SIZE];

	if (reg_state_save(errstr, sizeof(errstr)) != 0) {
		KS_ERROR(LOGCTX, "%s", errstr);
		reply_error(rp, 500, 50001, "Error in the backend data store: %s", errstr);
	}
}

static json_t *version_json(const reg_subject_t *s, const reg_version_t *v)
{
	reg_schema_t *sc = reg_schema_by_id(v->id);
	return json_pack("{s:s,s:i,s:i,s:s}", "subject", s->name, "version", v->version, "id",
	                 v->id, "schema", sc ? sc->schema : "");
}

/* POST /subjects/{s}/versions */
static void do_register(request_t *rq, reply_t *rp, const char *subject)
{
	char *schema, *canon;
	reg_schema_t *sc;
	reg_subject_t *s;
	reg_version_t *v;
	int latest = 0;

	if (parse_schema_request(rq->body, rp, &schema, &canon) != 0)
		return;
	if (!(sc = reg_schema_by_canon(canon)) &&
	    !(sc = reg_schema_add(reg.next_id, schema, canon))) {
		err_oom(rp);
		goto out;
	}
	if (!(s = reg_subject_find(subject)) && !(s = reg_subject_add(subject))) {
		err_oom(rp);
		goto out;
	}
	for (size_t i = 0; i < s->nversions; i++) {
		if (!s->versions[i].deleted && s->versions[i].id == sc->id) {
			reply_json(rp, json_pack("{s:i}", "id", sc->id));
			goto out;
		}
		if (s->versions[i].version > latest)
			latest = s->versions[i].version;
	}
	if (!(v = reg_version_add(s, latest + 1, sc->id, 0))) {
		err_oom(rp);
		goto out;
	}
	KS_INFO(LOGCTX, "registered schema id %d as %s version %d", sc->id, s->name, v->version);
	reply_json(rp, json_pack("{s:i}", "id", sc->id));
	persist(rp);
out:
	free(schema);
	free(canon);
}

/* POST /subjects/{s}: is this schema registered under s? */
static void do_lookup(request_t *rq, reply_t *rp, const char *subject)
{
	int deleted = qarg_true(rq, "deleted");
	char *schema, *canon;
	reg_subject_t *s = reg_subject_find(subject);
	reg_schema_t *sc;

	if (!s || (!deleted && !reg_live_versions(s)) || !s->nversions) {
		err_subject(rp, subject);
		return;
	}
	if (parse_schema_request(rq->body, rp, &schema, &canon) != 0)
		return;
	sc = reg_schema_by_canon(canon);
	free(schema);
	free(canon);
	for (size_t i = s->nversions; sc && i-- > 0;) {
		reg_version_t *v = &s->versions[i];
		if (v->id == sc->id && (deleted || !v->deleted)) {
			reply_json(rp, version_json(s, v));
			return;
		}
	}
	reply_error(rp, 404, 40403, "Schema not found");
}

/* DELETE /subjects/{s}[?permanent=true] */
static void do_delete_subject(request_t *rq, reply_t *rp, const char *subject)
{
	int permanent = qarg_true(rq, "permanent");
	reg_subject_t *s = reg_subject_find(subject);
	json_t *list;

	if (!s || !s->nversions) {
		err_subject(rp, subject);
		return;
	}
	if (!permanent && !reg_live_versions(s)) {
		reply_error(
		        rp, 404, 40404,
		        "Subject '%s' was soft deleted.Set permanent=true to delete permanently",
		        subject);
		return;
	}
	if (permanent && reg_live_versions(s)) {
		reply_error(rp, 404, 40405,
		            "Subject '%s' was not deleted first before being permanently deleted",
		            subject);
		return;
	}
	if (!(list = json_array())) {
		err_oom(rp);
		return;
	}
	for (size_t i = 0; i < s->nversions; i++) {
		json_array_append_new(list, json_integer(s->versions[i].version));
		s->versions[i].deleted = 1;
	}
	KS_INFO(LOGCTX, "deleted subject %s%s", subject, permanent ? " permanently" : "");
	if (permanent) {
		if (s->compat)
			s->nversions = 0; /* keep the subject-level config */
		else
			reg_subject_remove(s);
	}
	reply_json(rp, list);
	persist(rp);
}

/* GET|DELETE /subjects/{s}/versions/{v}[/schema] */
static void do_version(request_t *rq, reply_t *rp, const char *subject, const char *vstr, int raw)
{
	int deleted = qarg_true(rq, "deleted") || qarg_true(rq, "permanent");
	int vn = parse_version(vstr);
	reg_subject_t *s;
	reg_version_t *v;

	if (vn < 0) {
		invalid_version(rp, vstr);
		return;
	}
	s = reg_subject_find(subject);
	if (!s || !s->nversions || (!deleted && !reg_live_versions(s))) {
		err_subject(rp, subject);
		return;
	}
	v = vn ? reg_version_find(s, vn, 1) : reg_version_latest(s, deleted);
	if (!v || (v->deleted && !deleted)) {
		err_version(rp, vstr);
		return;
	}
	if (method_is(rq, "GET")) {
		if (raw) {
			reg_schema_t *sc = reg_schema_by_id(v->id);
			rp->status = 200;
			rp->raw = ks_strdup(sc ? sc->schema : "");
			if (!rp->raw)
				err_oom(rp);
		} else {
			reply_json(rp, version_json(s, v));
		}
		return;
	}
	/* DELETE */
	if (qarg_true(rq, "permanent")) {
		if (!v->deleted) {
			reply_error(rp, 404, 40407,
			            "Subject '%s' Version %d was not deleted first before being "
			            "permanently deleted",
			            subject, v->version);
			return;
		}
		int num = v->version;
		memmove(v, v + 1, (size_t)(&s->versions[s->nversions] - (v + 1)) * sizeof(*v));
		s->nversions--;
		reply_json(rp, json_integer(num));
	} else {
		v->deleted = 1;
		reply_json(rp, json_integer(v->version));
	}
	persist(rp);
}

static void do_config(request_t *rq, reply_t *rp, const char *subject)
{
	reg_subject_t *s = subject ? reg_subject_find(subject) : NULL;
	const char *level;

	if (method_is(rq, "GET")) {
		if (!subject) {
			reply_json(rp, json_pack("{s:s}", "compatibilityLevel", reg.compat));
		} else if (s && s->compat) {
			reply_json(rp, json_pack("{s:s}", "compatibilityLevel", s->compat));
		} else if (qarg_true(rq, "defaultToGlobal")) {
			reply_json(rp, json_pack("{s:s}", "compatibilityLevel", reg.compat));
		} else {
			reply_error(
			        rp, 404, 40408,
			        "Subject '%s' does not have subject-level compatibility configured",
			        subject);
		}
		return;
	}
	if (method_is(rq, "PUT")) {
		if (!(level = reg_compat_parse(
		              json_string_value(json_object_get(rq->body, "compatibility"))))) {
			reply_error(rp, 422, 42203,
			            "Invalid compatibility level. Valid values are none, backward, "
			            "forward, full, backward_transitive, forward_transitive, and "
			            "full_transitive");
			return;
		}
		if (!subject) {
			snprintf(reg.compat, sizeof(reg.compat), "%s", level);
		} else {
			if (!s && !(s = reg_subject_add(subject))) {
				err_oom(rp);
				return;
			}
			free(s->compat);
			if (!(s->compat = ks_strdup(level))) {
				err_oom(rp);
				return;
			}
		}
		reply_json(rp, json_pack("{s:s}", "compatibility", level));
		persist(rp);
		return;
	}
	if (method_is(rq, "DELETE") && subject) {
		if (!s || !s->compat) {
			err_subject(rp, subject);
			return;
		}
		reply_json(rp, json_pack("{s:s}", "compatibilityLevel", s->compat));
		free(s->compat);
		s->compat = NULL;
		if (!s->nversions)
			reg_subject_remove(s);
		persist(rp);
		return;
	}
	not_allowed(rp);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* GET /subjects[?deleted=true] */
static void do_subjects(request_t *rq, reply_t *rp)
{
	int deleted = qarg_true(rq, "deleted");
	const char **names = calloc(reg.nsubjects + 1, sizeof(*names));
	json_t *list = json_array();
	size_t n = 0;

	if (!list || !names) {
		json_decref(list);
		free(names);
		err_oom(rp);
		return;
	}
	for (size_t i = 0; i < reg.nsubjects; i++)
		if (deleted ? reg.subjects[i].nversions > 0
		            : reg_live_versions(&reg.subjects[i]) > 0)
			names[n++] = reg.subjects[i].name;
	qsort(names, n, sizeof(*names), cmp_name); /* Confluent lists subjects sorted */
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_string(names[i]));
	free(names);
	reply_json(rp, list);
}

/* GET /subjects/{s}/versions */
static void do_versions(request_t *rq, reply_t *rp, const char *subject)
{
	int deleted = qarg_true(rq, "deleted");
	reg_subject_t *s = reg_subject_find(subject);
	json_t *list;

	if (!s || !s->nversions || (!deleted && !reg_live_versions(s))) {
		err_subject(rp, subject);
		return;
	}
	if (!(list = json_array())) {
		err_oom(rp);
		return;
	}
	for (size_t i = 0; i < s->nversions; i++)
		if (deleted || !s->versions[i].deleted)
			json_array_append_new(list, json_integer(s->versions[i].version));
	reply_json(rp, list);
}

/* GET /schemas/ids/{id}[/schema|/versions|/subjects] */
static void do_schema_id(request_t *rq, reply_t *rp, const char *idstr, const char *what)
{
	int id = parse_id(idstr);
	reg_schema_t *sc = id > 0 ? reg_schema_by_id(id) : NULL;
	json_t *list;

	if (id < 0) { /* not an int: JAX-RS does not match the route */
		reply_error(rp, 404, 404, "HTTP 404 Not Found");
		return;
	}
	if (!sc) {
		reply_error(rp, 404, 40403, "Schema %s not found", idstr);
		return;
	}
	if (!what) {
		reply_json(rp, json_pack("{s:s}", "schema", sc->schema));
		return;
	}
	if (!strcmp(what, "schema")) {
		rp->status = 200;
		if (!(rp->raw = ks_strdup(sc->schema)))
			err_oom(rp);
		return;
	}
	if (!(list = json_array())) {
		err_oom(rp);
		return;
	}
	for (size_t i = 0; i < reg.nsubjects; i++) {
		reg_subject_t *s = &reg.subjects[i];
		int seen = 0;
		for (size_t j = 0; j < s->nversions; j++) {
			reg_version_t *v = &s->versions[j];
			if (v->id != id || (v->deleted && !qarg_true(rq, "deleted")))
				continue;
			if (!strcmp(what, "versions"))
				json_array_append_new(list,
				                      json_pack("{s:s,s:i}", "subject", s->name,
				                                "version", v->version));
			else if (!seen++)
				json_array_append_new(list, json_string(s->name));
		}
	}
	reply_json(rp, list);
}

/* POST /compatibility/subjects/{s}/versions[/{v}]: everything is compatible. */
static void do_compat(request_t *rq, reply_t *rp, const char *subject, const char *vstr)
{
	char *schema, *canon;
	reg_subject_t *s;

	if (vstr) {
		int vn = parse_version(vstr);
		if (vn < 0) {
			invalid_version(rp, vstr);
			return;
		}
		if (!(s = reg_subject_find(subject)) || !reg_live_versions(s)) {
			err_subject(rp, subject);
			return;
		}
		if (vn && !reg_version_find(s, vn, 0)) {
			err_version(rp, vstr);
			return;
		}
	}
	if (parse_schema_request(rq->body, rp, &schema, &canon) != 0)
		return;
	free(schema);
	free(canon);
	reply_json(rp, json_pack("{s:b}", "is_compatible", 1));
}

static int seg_is(request_t *rq, int i, const char *s)
{
	return i < rq->nsegs && !strcmp(rq->segs[i], s);
}

/* Routes one request; caller holds reg.lock. */
static void route(request_t *rq, reply_t *rp)
{
	int n = rq->nsegs;
	int get = method_is(rq, "GET"), post = method_is(rq, "POST");
	int put = method_is(rq, "PUT"), del = method_is(rq, "DELETE");

	reply_error(rp, 404, 404, "HTTP 404 Not Found");
	if (n == 0) {
		if (get)
			reply_json(rp, json_object());
		else
			not_allowed(rp);
	} else if (seg_is(rq, 0, "subjects")) {
		const char *s = n > 1 ? rq->segs[1] : NULL;
		if (n == 1) {
			if (get)
				do_subjects(rq, rp);
			else
				not_allowed(rp);
		} else if (n == 2) {
			if (post)
				do_lookup(rq, rp, s);
			else if (del)
				do_delete_subject(rq, rp, s);
			else
				not_allowed(rp);
		} else if (n == 3 && seg_is(rq, 2, "versions")) {
			if (get)
				do_versions(rq, rp, s);
			else if (post)
				do_register(rq, rp, s);
			else
				not_allowed(rp);
		} else if (n == 4 && seg_is(rq, 2, "versions")) {
			if (get || del)
				do_version(rq, rp, s, rq->segs[3], 0);
			else
				not_allowed(rp);
		} else if (n == 5 && seg_is(rq, 2, "versions") && seg_is(rq, 4, "schema")) {
			if (get)
				do_version(rq, rp, s, rq->segs[3], 1);
			else
				not_allowed(rp);
		} else if (n == 5 && seg_is(rq, 2, "versions") && seg_is(rq, 4, "referencedby")) {
			if (get)
				reply_json(rp, json_array());
			else
				not_allowed(rp);
		}
	} else if (seg_is(rq, 0, "schemas")) {
		if (n == 2 && seg_is(rq, 1, "types")) {
			if (get)
				reply_json(rp, json_pack("[s]", "AVRO"));
			else
				not_allowed(rp);
		} else if (n >= 3 && n <= 4 && seg_is(rq, 1, "ids") &&
		           (n == 3 || seg_is(rq, 3, "schema") || seg_is(rq, 3, "versions") ||
		            seg_is(rq, 3, "subjects"))) {
			if (get)
				do_schema_id(rq, rp, rq->segs[2], n == 4 ? rq->segs[3] : NULL);
			else
				not_allowed(rp);
		}
	} else if (seg_is(rq, 0, "config") && n <= 2) {
		if (get || put || (del && n == 2))
			do_config(rq, rp, n == 2 ? rq->segs[1] : NULL);
		else
			not_allowed(rp);
	} else if (seg_is(rq, 0, "mode") && n <= 2) {
		if (get)
			reply_json(rp, json_pack("{s:s}", "mode", "READWRITE"));
		else
			not_allowed(rp);
	} else if (seg_is(rq, 0, "compatibility") && seg_is(rq, 1, "subjects") &&
	           seg_is(rq, 3, "versions") && (n == 4 || n == 5)) {
		if (post)
			do_compat(rq, rp, rq->segs[2], n == 5 ? rq->segs[4] : NULL);
		else
			not_allowed(rp);
	}
}

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
		reply_error(&rp, 413, 413, "HTTP 413 Request Entity Too Large");
		goto send;
	}
	if (ks_buf_failed(&cc->body) || !(path = ks_strdup(url))) {
		err_oom(&rp);
		goto send;
	}
	for (tok = strtok_r(path, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (rq.nsegs == (int)KS_ARRAY_SIZE(rq.segs)) {
			reply_error(&rp, 404, 404, "HTTP 404 Not Found");
			goto send;
		}
		rq.segs[rq.nsegs++] = tok;
	}
	if (!strcmp(method, "POST") || !strcmp(method, "PUT")) {
		json_error_t jerr;
		if (!content_type_ok(conn)) {
			reply_error(&rp, 415, 415, "HTTP 415 Unsupported Media Type");
			goto send;
		}
		if (cc->body.len == 0) {
			rq.body = json_object(); /* Jersey maps an empty body to an empty entity */
		} else if (!(rq.body = json_loadb(cc->body.data, cc->body.len, 0, &jerr))) {
			reply_error(&rp, 400, 400, "%s", jerr.text);
			goto send;
		} else if (!json_is_object(rq.body)) {
			reply_error(&rp, 400, 400,
			            "Cannot deserialize request body: expected an object");
			goto send;
		}
	}
	pthread_mutex_lock(&reg.lock);
	route(&rq, &rp);
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
	long port;
	char *end;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 1 || port > 65535)
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
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

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
	while (sigwait(&set, &sig) != 0)
		;
	KS_INFO(LOGCTX, "stopping on signal %d", sig);
	MHD_stop_daemon(d);
	reg_state_free();
	return 0;
}
