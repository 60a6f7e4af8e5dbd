/*
 * registry/routes.c — the Schema Registry REST API of build/ksink-registry:
 * one handler per route (register, lookup, versions, schemas by id, config,
 * compatibility), the validation of their arguments and bodies, and the
 * Confluent error bodies and codes they answer with. reg_route() maps a
 * parsed request onto a handler; tools/registry.c does the HTTP around it and
 * registry/store.c keeps the state the handlers read and change.
 */
#include "../../lib/ks.h"
#include "../../lib/log.h"
#include "api.h"
#include "store.h"

#include <avro.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOGCTX "registry"

/* -------------------------------------------------------------------------- */
/* Errors */

void reg_reply_error(reply_t *rp, unsigned status, int code, const char *fmt, ...)
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
	reg_reply_error(rp, 404, 40401, "Subject '%s' not found.", s);
}

static void err_version(reply_t *rp, const char *v)
{
	reg_reply_error(rp, 404, 40402, "Version %s not found.", v);
}

void reg_reply_oom(reply_t *rp)
{
	reg_reply_error(rp, 500, 50001, "Error in the backend data store: out of memory");
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
			reg_reply_error(rp, 422, 42201, "Invalid schema type");
			return -1;
		}
		if (strcmp(json_string_value(type), "AVRO") != 0) {
			reg_reply_error(rp, 422, 42201,
			                "Invalid schema type %s (ksink-registry stores AVRO only)",
			                json_string_value(type));
			return -1;
		}
	}
	if (refs && !json_is_null(refs) && json_array_size(refs) > 0) {
		reg_reply_error(rp, 422, 42201,
		                "Schema references are not supported by ksink-registry");
		return -1;
	}
	if (!(text = json_string_value(js)) || !*text) {
		reg_reply_error(rp, 422, 42201, "Empty schema");
		return -1;
	}
	if (reg_canon_of(text, schema_out, canon_out, errstr, sizeof(errstr)) != 0) {
		reg_reply_error(rp, 422, 42201, "%s", errstr);
		return -1;
	}
	if (avro_schema_from_json_length(text, strlen(text), &as) != 0) {
		reg_reply_error(rp, 422, 42201, "Invalid schema %s: %s", *schema_out,
		                avro_strerror());
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
	long long n;

	if (!strcmp(v, "latest"))
		return 0;
	if (ks_parse_ll(v, -1, INT_MAX, &n) || n == 0)
		return -1;
	return n == -1 ? 0 : (int)n;
}

static int parse_id(const char *s)
{
	long long n;

	return ks_parse_ll(s, 0, INT_MAX, &n) ? -1 : (int)n;
}

static void invalid_version(reply_t *rp, const char *v)
{
	reg_reply_error(rp, 422, 42202,
	                "The specified version '%s' is not a valid version id. Allowed values are "
	                "between [1, 2^31-1] and the string \"latest\"",
	                v);
}

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
	reg_reply_error(rp, 405, 405, "HTTP 405 Method Not Allowed");
}

static void persist(reply_t *rp)
{
	char errstr[KS_ERRSTR_SIZE];

	if (reg_state_save(errstr, sizeof(errstr)) != 0) {
		KS_ERROR(LOGCTX, "%s", errstr);
		reg_reply_error(rp, 500, 50001, "Error in the backend data store: %s", errstr);
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
		reg_reply_oom(rp);
		goto out;
	}
	if (!(s = reg_subject_find(subject)) && !(s = reg_subject_add(subject))) {
		reg_reply_oom(rp);
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
		reg_reply_oom(rp);
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
	reg_reply_error(rp, 404, 40403, "Schema not found");
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
		reg_reply_error(
		        rp, 404, 40404,
		        "Subject '%s' was soft deleted.Set permanent=true to delete permanently",
		        subject);
		return;
	}
	if (permanent && reg_live_versions(s)) {
		reg_reply_error(
		        rp, 404, 40405,
		        "Subject '%s' was not deleted first before being permanently deleted",
		        subject);
		return;
	}
	if (!(list = json_array())) {
		reg_reply_oom(rp);
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
				reg_reply_oom(rp);
		} else {
			reply_json(rp, version_json(s, v));
		}
		return;
	}
	/* DELETE */
	if (qarg_true(rq, "permanent")) {
		if (!v->deleted) {
			reg_reply_error(
			        rp, 404, 40407,
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
			reg_reply_error(
			        rp, 404, 40408,
			        "Subject '%s' does not have subject-level compatibility configured",
			        subject);
		}
		return;
	}
	if (method_is(rq, "PUT")) {
		if (!(level = reg_compat_parse(
		              json_string_value(json_object_get(rq->body, "compatibility"))))) {
			reg_reply_error(
			        rp, 422, 42203,
			        "Invalid compatibility level. Valid values are none, backward, "
			        "forward, full, backward_transitive, forward_transitive, and "
			        "full_transitive");
			return;
		}
		if (!subject) {
			snprintf(reg.compat, sizeof(reg.compat), "%s", level);
		} else {
			if (!s && !(s = reg_subject_add(subject))) {
				reg_reply_oom(rp);
				return;
			}
			free(s->compat);
			if (!(s->compat = ks_strdup(level))) {
				reg_reply_oom(rp);
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
		reg_reply_oom(rp);
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
		reg_reply_oom(rp);
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
		reg_reply_error(rp, 404, 404, "HTTP 404 Not Found");
		return;
	}
	if (!sc) {
		reg_reply_error(rp, 404, 40403, "Schema %s not found", idstr);
		return;
	}
	if (!what) {
		reply_json(rp, json_pack("{s:s}", "schema", sc->schema));
		return;
	}
	if (!strcmp(what, "schema")) {
		rp->status = 200;
		if (!(rp->raw = ks_strdup(sc->schema)))
			reg_reply_oom(rp);
		return;
	}
	if (!(list = json_array())) {
		reg_reply_oom(rp);
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

void reg_route(request_t *rq, reply_t *rp)
{
	int n = rq->nsegs;
	int get = method_is(rq, "GET"), post = method_is(rq, "POST");
	int put = method_is(rq, "PUT"), del = method_is(rq, "DELETE");

	reg_reply_error(rp, 404, 404, "HTTP 404 Not Found");
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
