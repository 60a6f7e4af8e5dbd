/*
 * jdbc_helpers.h — shared by the JDBC sink tests (0300-0399): a verifying
 * libpq connection, connector configs for the test stack, and builders for
 * schemas, values and records in an arena. Header-only (static functions),
 * included by each test file.
 */
#ifndef KS_JDBC_HELPERS_H
#define KS_JDBC_HELPERS_H

#include "../connectors/jdbc/jdbc.h"
#include "lib/harness.h"

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static PGconn *th_db;
static ks_arena_t *th_arena;

/* The errant-record reporter the tests hand the sink (the worker's stand-in):
 * it remembers what was reported and refuses it (the record's error stands:
 * the commit ends with KS_ERR_RECORD, nothing written, as errors.tolerance=
 * none), or tolerates it while th_tolerate is set (commit_bad). */
typedef struct th_errant {
	const ks_record_t *rec;
	int64_t offset;
	char exception[KS_EXCEPTION_SIZE];
	char errstr[KS_ERRSTR_SIZE];
} th_errant_t;
static th_errant_t th_errant[256];
static size_t th_nerrant;
static int th_tolerate;

static ks_err_t th_report(ks_errant_reporter_t *rep, const ks_record_t *rec, const char *exception,
                          const char *msg)
{
	(void)rep;
	KS_CHECK(th_nerrant < sizeof(th_errant) / sizeof(th_errant[0]), "too many reports");
	th_errant[th_nerrant].rec = rec;
	th_errant[th_nerrant].offset = rec->offset;
	snprintf(th_errant[th_nerrant].exception, KS_EXCEPTION_SIZE, "%s", exception);
	snprintf(th_errant[th_nerrant].errstr, KS_ERRSTR_SIZE, "%s", msg);
	th_nerrant++;
	return th_tolerate ? KS_OK : KS_ERR_RECORD;
}

static ks_err_t th_flush(ks_errant_reporter_t *rep, char *errstr, size_t errlen)
{
	(void)rep;
	(void)errstr;
	(void)errlen;
	return KS_OK;
}

static __attribute__((unused)) ks_errant_reporter_t th_reporter = {th_report, th_flush, NULL};

static __attribute__((unused)) void th_errant_reset(void)
{
	th_nerrant = 0;
}

static PGconn *db(void)
{
	if (th_db && PQstatus(th_db) == CONNECTION_OK)
		return th_db;
	if (th_db)
		PQfinish(th_db);
	th_db = PQconnectdb(ks_test_env("KSINK_PG_CONNINFO"));
	KS_CHECK(PQstatus(th_db) == CONNECTION_OK, "%s", PQerrorMessage(th_db));
	return th_db;
}

static __attribute__((unused)) void sql(const char *fmt, ...)
{
	char q[4096];
	va_list ap;
	PGresult *r;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	r = PQexec(db(), q);
	KS_CHECK(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
	         "%s: %s", q, PQresultErrorMessage(r));
	PQclear(r);
}

/* First value of a query as text ("(null)" for NULL); static buffer. */
static __attribute__((unused)) const char *q1(const char *fmt, ...)
{
	static char out[8192];
	char q[4096];
	va_list ap;
	PGresult *r;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	r = PQexec(db(), q);
	KS_CHECK(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", q, PQresultErrorMessage(r));
	if (PQntuples(r) == 0)
		snprintf(out, sizeof(out), "(none)");
	else if (PQgetisnull(r, 0, 0))
		snprintf(out, sizeof(out), "(null)");
	else
		snprintf(out, sizeof(out), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return out;
}

static __attribute__((unused)) long qn(const char *fmt, ...)
{
	char q[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	return strtol(q1("%s", q), NULL, 10);
}

/* A connector config for the test stack plus NULL-terminated key/value
 * pairs. Short backoffs so outages are seen quickly. */
static __attribute__((unused)) ks_props_t *cfg(const char *k, ...)
{
	ks_props_t *p = ks_props_new();
	const char *user = getenv("PGUSER");
	va_list ap;

	KS_CHECK(p, "oom");
	KS_CHECK(!ks_props_set(p, "connection.url", ks_test_env("KSINK_PG_JDBC_URL")), "oom");
	KS_CHECK(!ks_props_set(p, "connection.user", user ? user : "postgres"), "oom");
	KS_CHECK(!ks_props_set(p, "connection.attempts", "1"), "oom");
	KS_CHECK(!ks_props_set(p, "connection.backoff.ms", "50"), "oom");
	KS_CHECK(!ks_props_set(p, "max.retries", "1"), "oom");
	KS_CHECK(!ks_props_set(p, "retry.backoff.ms", "50"), "oom");
	KS_CHECK(!ks_props_set(p, "auto.create", "true"), "oom");
	va_start(ap, k);
	for (; k; k = va_arg(ap, const char *)) {
		const char *v = va_arg(ap, const char *);
		KS_CHECK(!ks_props_set(p, k, v), "oom");
	}
	va_end(ap);
	return p;
}

static __attribute__((unused)) ks_sink_task_t *task(const char *connector, ks_props_t *p)
{
	char err[512] = "";
	ks_sink_task_t *t = ks_jdbc_sink_plugin.task_new(p, connector, 0, err, sizeof(err));

	ks_props_destroy(p);
	KS_CHECK(t, "task_new: %s", err);
	ks_jdbc_sink_plugin.initialize(t, &th_reporter);
	return t;
}

static ks_arena_t *arena(void)
{
	if (!th_arena)
		th_arena = ks_arena_new(0);
	KS_CHECK(th_arena, "oom");
	return th_arena;
}

/* --- schemas --- */

static __attribute__((unused)) ks_schema_t *sch(ks_type_t type, int optional)
{
	ks_schema_t *s = ks_schema_new(type);
	KS_CHECK(s, "oom");
	s->optional = optional;
	return s;
}

static __attribute__((unused)) ks_schema_t *sch_struct(void)
{
	return sch(KS_TYPE_STRUCT, 0);
}

static __attribute__((unused)) void field(ks_schema_t *st, const char *name, ks_schema_t *fs)
{
	KS_CHECK(!ks_schema_add_field(st, name, fs), "oom");
}

/* --- values --- */

static __attribute__((unused)) ks_value_t *vstruct(size_t n)
{
	ks_value_t *v = ks_value_new(arena(), KS_TYPE_STRUCT);
	KS_CHECK(v, "oom");
	v->u.st.fields = ks_arena_calloc(arena(), n ? n : 1, sizeof(ks_value_t));
	KS_CHECK(v->u.st.fields, "oom");
	v->u.st.n = n;
	return v;
}

static __attribute__((unused)) void vint(ks_value_t *f, ks_type_t t, int64_t i)
{
	memset(f, 0, sizeof(*f));
	f->type = t;
	f->u.i = i;
}

static __attribute__((unused)) void vdbl(ks_value_t *f, ks_type_t t, double d)
{
	memset(f, 0, sizeof(*f));
	f->type = t;
	f->u.d = d;
}

static __attribute__((unused)) void vbytes(ks_value_t *f, ks_type_t t, const void *p, size_t n)
{
	memset(f, 0, sizeof(*f));
	f->type = t;
	f->u.s.ptr = ks_arena_memdup(arena(), p, n);
	f->u.s.len = n;
}

static __attribute__((unused)) void vstr(ks_value_t *f, const char *s)
{
	vbytes(f, KS_TYPE_STRING, s, strlen(s));
}

static __attribute__((unused)) void vnull(ks_value_t *f, ks_type_t t)
{
	memset(f, 0, sizeof(*f));
	f->type = t;
	f->is_null = 1;
}

static __attribute__((unused)) ks_value_t *vint_new(ks_type_t t, int64_t i)
{
	ks_value_t *v = ks_value_new(arena(), t);
	KS_CHECK(v, "oom");
	v->u.i = i;
	return v;
}

static __attribute__((unused)) ks_record_t *rec(const char *topic, int partition, int64_t offset,
                                                const ks_schema_t *ks, ks_value_t *key,
                                                const ks_schema_t *vs, ks_value_t *value)
{
	ks_record_t *r = ks_arena_calloc(arena(), 1, sizeof(*r));
	KS_CHECK(r, "oom");
	r->topic = ks_arena_strdup(arena(), topic);
	r->partition = partition;
	r->offset = offset;
	r->timestamp = -1;
	r->key_schema = ks;
	r->key = key;
	r->value_schema = value ? vs : NULL;
	r->value = value;
	return r;
}

/* Forgets a connector's stored offsets (the table may not exist yet: the
 * first task of a fresh database creates it). */
static __attribute__((unused)) void forget_offsets(const char *connector)
{
	sql("DO $$ BEGIN IF to_regclass('__ksink_offsets') IS NOT NULL THEN "
	    "DELETE FROM __ksink_offsets WHERE connector = '%s'; END IF; END $$",
	    connector);
}

static __attribute__((unused)) void put(ks_sink_task_t *t, ks_record_t **recs, size_t n)
{
	char err[256];
	KS_CHECK(ks_jdbc_sink_plugin.put(t, recs, n, err, sizeof(err)) == KS_OK, "put: %s", err);
}

static __attribute__((unused)) ks_commit_result_t commit(ks_sink_task_t *t, const char *topic,
                                                         int partition, int64_t next)
{
	ks_commit_result_t res;
	ks_tp_offset_t o = {topic, partition, next};

	ks_jdbc_sink_plugin.commit(t, &o, topic ? 1 : 0, &res);
	return res;
}

/* A commit whose bad record the reporter refuses (errors.tolerance=none):
 * the commit ends RECORD, the record at offset off was the one reported,
 * nothing is written and the staged records are kept. Returns its report. */
static __attribute__((unused)) const th_errant_t *refused(ks_sink_task_t *t, const char *topic,
                                                          int partition, int64_t next, int64_t off)
{
	ks_commit_result_t res;

	th_errant_reset();
	res = commit(t, topic, partition, next);
	KS_CHECK(res.err == KS_ERR_RECORD, "refused: %s %s", ks_err_name(res.err), res.errstr);
	KS_CHECK(th_nerrant == 1 && th_errant[0].offset == off,
	         "refused: %zu reports, first at %lld, expected one at %lld", th_nerrant,
	         th_nerrant ? (long long)th_errant[0].offset : -1LL, (long long)off);
	return &th_errant[0];
}

/* A commit with bad records the reporter tolerates: it goes in, and the
 * records at offs[0, n) were reported, in this order. Returns the reports
 * (th_errant). */
static __attribute__((unused)) const th_errant_t *commit_bad(ks_sink_task_t *t, const char *topic,
                                                             int partition, int64_t next,
                                                             const int64_t *offs, size_t n)
{
	ks_commit_result_t res;

	th_errant_reset();
	th_tolerate = 1;
	res = commit(t, topic, partition, next);
	th_tolerate = 0;
	KS_CHECK(res.err == KS_OK, "commit: %s %s [%s]", ks_err_name(res.err), res.errstr,
	         res.code);
	KS_CHECK(th_nerrant == n, "%zu records reported, expected %zu", th_nerrant, n);
	for (size_t i = 0; i < n && i < th_nerrant; i++)
		KS_CHECK(th_errant[i].offset == offs[i], "report %zu: offset %lld, expected %lld",
		         i, (long long)th_errant[i].offset, (long long)offs[i]);
	return th_errant;
}

#define COMMIT_OK(t, topic, part, next)                                                            \
	do {                                                                                       \
		ks_commit_result_t r_ = commit((t), (topic), (part), (next));                      \
		KS_CHECK(r_.err == KS_OK, "commit: %s %s [%s]", ks_err_name(r_.err), r_.errstr,    \
		         r_.code);                                                                 \
	} while (0)

/* The usual test shape: key {id int32}, value {id int32, name string
 * optional, amount float64 optional}. */
typedef struct basic {
	ks_schema_t *ks, *vs;
} basic_t;

static __attribute__((unused)) basic_t basic(void)
{
	basic_t b = {sch_struct(), sch_struct()};
	field(b.ks, "id", sch(KS_TYPE_INT32, 0));
	field(b.vs, "id", sch(KS_TYPE_INT32, 0));
	field(b.vs, "name", sch(KS_TYPE_STRING, 1));
	field(b.vs, "amount", sch(KS_TYPE_FLOAT64, 1));
	return b;
}

static __attribute__((unused)) void basic_free(basic_t b)
{
	ks_schema_unref(b.ks);
	ks_schema_unref(b.vs);
}

static __attribute__((unused)) ks_record_t *
brec(basic_t b, const char *topic, int part, int64_t off, int id, const char *name, double amount)
{
	ks_value_t *k = vstruct(1), *v = vstruct(3);
	vint(&k->u.st.fields[0], KS_TYPE_INT32, id);
	vint(&v->u.st.fields[0], KS_TYPE_INT32, id);
	if (name)
		vstr(&v->u.st.fields[1], name);
	else
		vnull(&v->u.st.fields[1], KS_TYPE_STRING);
	vdbl(&v->u.st.fields[2], KS_TYPE_FLOAT64, amount);
	return rec(topic, part, off, b.ks, k, b.vs, v);
}

static __attribute__((unused)) ks_record_t *btomb(basic_t b, const char *topic, int part,
                                                  int64_t off, int id)
{
	ks_value_t *k = vstruct(1);
	vint(&k->u.st.fields[0], KS_TYPE_INT32, id);
	return rec(topic, part, off, b.ks, k, b.vs, NULL);
}

static __attribute__((unused)) void done(ks_sink_task_t *t)
{
	ks_jdbc_sink_plugin.task_destroy(t);
	ks_arena_reset(arena());
}

__attribute__((destructor)) static void th_cleanup(void)
{
	if (th_db)
		PQfinish(th_db);
	ks_arena_destroy(th_arena);
}

#endif
