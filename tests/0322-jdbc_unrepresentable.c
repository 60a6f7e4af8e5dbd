/*
 * 0322-jdbc_unrepresentable.c — a value Postgres cannot hold is a record
 * error of the JDBC sink (reported to the errant-record reporter, so the
 * worker sends it to the DLQ under errors.tolerance=all or fails the task), never
 * another value in the table: the Decimal of issue 12 (0x7f then 63,999 x
 * 0xff, NUMERIC(10,2)) used to be stored as 0.00, and a Date of INT32_MAX
 * days after 2000-01-01 as 'infinity'. The rest of the batch commits in
 * the same call. Large Decimals that numeric can hold still read back
 * exactly (compared with the digit-by-digit reference conversion). Needs
 * the stack's Postgres.
 */
#include "jdbc_helpers.h"

/* Whole text of the first value of a query (malloc'ed; no size limit). */
static char *qtext(const char *query)
{
	PGresult *r = PQexec(db(), query);
	char *s;

	KS_CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, "%s: %s", query,
	         PQresultErrorMessage(r));
	s = strdup(PQgetisnull(r, 0, 0) ? "(null)" : PQgetvalue(r, 0, 0));
	PQclear(r);
	KS_CHECK(s, "oom");
	return s;
}

/* value {id int32, dec <dec schema>} */
static ks_schema_t *dec_schema(ks_schema_t *dec)
{
	ks_schema_t *vs = sch_struct();
	field(vs, "id", sch(KS_TYPE_INT32, 0));
	field(vs, "dec", dec);
	return vs;
}

static ks_record_t *dec_rec(const ks_schema_t *vs, const char *topic, int64_t off, int id,
                            const unsigned char *p, size_t n)
{
	ks_value_t *v = vstruct(2);
	vint(&v->u.st.fields[0], KS_TYPE_INT32, id);
	vbytes(&v->u.st.fields[1], KS_TYPE_BYTES, p, n);
	return rec(topic, 0, off, NULL, NULL, vs, v);
}

static void huge_decimal_in(const char *topic, int precision, const char *pre_create)
{
	ks_schema_t *vs = dec_schema(ks_schema_decimal(precision, 2));
	static const unsigned char one[] = {0x64}, two50[] = {0x00, 0xfa}; /* 1.00, 2.50 */
	size_t n = 64000;
	unsigned char *huge = malloc(n);
	ks_sink_task_t *t;
	ks_record_t *r[3];
	const th_errant_t *e;
	int64_t t0;

	KS_CHECK(huge, "oom");
	memset(huge, 0xff, n);
	huge[0] = 0x7f;
	sql("DROP TABLE IF EXISTS \"%s\"", topic);
	if (pre_create)
		sql("CREATE TABLE \"%s\" (id INT, dec %s)", topic, pre_create);
	t = task(topic, cfg(NULL));
	r[0] = dec_rec(vs, topic, 0, 1, one, sizeof(one));
	r[1] = dec_rec(vs, topic, 1, 2, huge, n);
	r[2] = dec_rec(vs, topic, 2, 3, two50, sizeof(two50));
	put(t, r, 3);
	t0 = ks_now_us();
	e = commit_bad(t, topic, 0, 3, (int64_t[]){1}, 1);
	printf("# %s: commit with the 64 KB decimal took %.3f s: %s\n", topic,
	       (double)(ks_now_us() - t0) / 1e6, e->errstr);
	KS_CHECK(strstr(e->errstr, "dec"), "column not named: %s", e->errstr);
	KS_CHECK_STR(q1("SELECT string_agg(id || '=' || dec, ',' ORDER BY id) FROM \"%s\"", topic),
	             "1=1.00,3=2.50");
	KS_CHECK_INT(qn("SELECT next_offset FROM __ksink_offsets WHERE connector = '%s'", topic),
	             3);
	done(t);
	ks_schema_unref(vs);
	free(huge);
}

KS_TEST(huge_decimal_numeric_10_2_is_a_record_error)
{
	huge_decimal_in("u_huge_dec", 10, NULL);
	KS_CHECK_STR(q1("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE "
	                "attrelid = 'u_huge_dec'::regclass AND attname = 'dec'"),
	             "numeric(10,2)");
}

KS_TEST(huge_decimal_unconstrained_numeric_is_a_record_error)
{
	huge_decimal_in("u_huge_dec_free", -1, "NUMERIC");
}

KS_TEST(date_that_reads_back_as_infinity_is_a_record_error)
{
	const char *topic = "u_inf_date";
	ks_schema_t *vs = sch_struct();
	ks_sink_task_t *t;
	ks_record_t *r[2];

	field(vs, "id", sch(KS_TYPE_INT32, 0));
	field(vs, "d", ks_schema_logical(KS_LOGICAL_DATE));
	sql("DROP TABLE IF EXISTS %s", topic);
	t = task(topic, cfg(NULL));
	for (int i = 0; i < 2; i++) {
		ks_value_t *v = vstruct(2);
		vint(&v->u.st.fields[0], KS_TYPE_INT32, i);
		/* 2147483647 days after 2000-01-01 is Postgres' 'infinity' */
		vint(&v->u.st.fields[1], KS_TYPE_INT32, i ? 2147483647LL + 10957 : 0);
		r[i] = rec(topic, 0, i, NULL, NULL, vs, v);
	}
	put(t, r, 2);
	commit_bad(t, topic, 0, 2, (int64_t[]){1}, 1);
	KS_CHECK_STR(q1("SELECT string_agg(id || '=' || d, ',' ORDER BY id) FROM %s", topic),
	             "0=1970-01-01");
	done(t);
	ks_schema_unref(vs);
}

/* Digit-by-digit reference: the decimal text of p (scale >= 0). */
static char *ref_text(const unsigned char *p, size_t len, int scale)
{
	unsigned char *mag = malloc(len);
	char *dg = malloc(len * 3 + 2), *out = malloc(len * 3 + (size_t)scale + 8), *o = out;
	size_t nd = 0;
	int neg = p[0] & 0x80;

	KS_CHECK(mag && dg && out, "oom");
	memcpy(mag, p, len);
	if (neg) {
		for (size_t i = 0; i < len; i++)
			mag[i] = (unsigned char)~mag[i];
		for (size_t i = len; i-- > 0;)
			if (++mag[i] != 0)
				break;
	}
	for (int nz = 1; nz;) {
		unsigned rem = 0;
		nz = 0;
		for (size_t i = 0; i < len; i++) {
			unsigned cur = rem * 256 + mag[i];
			mag[i] = (unsigned char)(cur / 10);
			rem = cur % 10;
			nz |= mag[i];
		}
		dg[nd++] = (char)('0' + rem);
	}
	while (nd > 1 && dg[nd - 1] == '0')
		nd--;
	if (neg)
		*o++ = '-';
	if (nd <= (size_t)scale) {
		*o++ = '0';
		*o++ = '.';
		for (size_t i = nd; i < (size_t)scale; i++)
			*o++ = '0';
		for (size_t i = nd; i-- > 0;)
			*o++ = dg[i];
	} else {
		for (size_t i = nd; i-- > (size_t)scale;)
			*o++ = dg[i];
		if (scale > 0)
			*o++ = '.';
		for (size_t i = (size_t)scale; i-- > 0;)
			*o++ = dg[i];
	}
	*o = '\0';
	free(dg);
	free(mag);
	return out;
}

KS_TEST(large_decimals_read_back_exactly)
{
	const char *topic = "u_big_dec";
	static const int scales[] = {0, 7, 40, 16383};
	static const size_t lens[] = {17, 2000, 5003, 12000};
	ks_schema_t *vs[4];
	unsigned char *p[4];
	ks_sink_task_t *t;
	ks_record_t *r[4];
	unsigned seed = 99;

	sql("DROP TABLE IF EXISTS %s", topic);
	sql("CREATE TABLE %s (id INT, dec NUMERIC)", topic);
	t = task(topic, cfg(NULL));
	for (int i = 0; i < 4; i++) {
		vs[i] = dec_schema(ks_schema_decimal(-1, scales[i]));
		p[i] = malloc(lens[i]);
		KS_CHECK(p[i], "oom");
		for (size_t k = 0; k < lens[i]; k++)
			p[i][k] = (unsigned char)((seed = seed * 1103515245u + 12345u) >> 16);
		if (i & 1)
			p[i][0] |= 0x80; /* negative */
		r[i] = dec_rec(vs[i], topic, i, i, p[i], lens[i]);
	}
	put(t, r, 4);
	COMMIT_OK(t, topic, 0, 4);
	for (int i = 0; i < 4; i++) {
		char q[128], *got, *want = ref_text(p[i], lens[i], scales[i]);
		snprintf(q, sizeof(q), "SELECT dec::text FROM %s WHERE id = %d", topic, i);
		got = qtext(q);
		KS_CHECK(!strcmp(got, want),
		         "%zu bytes scale %d: %.60s... (%zu chars), expected %.60s... (%zu)",
		         lens[i], scales[i], got, strlen(got), want, strlen(want));
		printf("# %zu-byte decimal, scale %d: %zu characters read back exactly\n", lens[i],
		       scales[i], strlen(got));
		free(got);
		free(want);
		free(p[i]);
		ks_schema_unref(vs[i]);
	}
	done(t);
}
