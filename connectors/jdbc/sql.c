/*
 * sql.c — the Postgres dialect pieces that are pure text: identifier
 * quoting (every identifier is always quoted and escaped, whatever
 * quote.sql.identifiers says, so no topic, table or field name can inject
 * SQL), table-name parsing, the Connect schema -> Postgres type mapping used
 * by auto.create / auto.evolve and the staging tables, and DDL default
 * literals.
 */
#include "jdbc.h"

#include "../../lib/civil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_NAMEDATALEN 63

void ks_jdbc_quote_ident(ks_buf_t *b, const char *name)
{
	ks_buf_putc(b, '"');
	for (const char *p = name; *p; p++) {
		if (*p == '"')
			ks_buf_putc(b, '"');
		ks_buf_putc(b, *p);
	}
	ks_buf_putc(b, '"');
}

char *ks_jdbc_ident_norm(const char *name, int fold)
{
	size_t n = strlen(name);
	char *o;

	if (n > PG_NAMEDATALEN) {
		n = PG_NAMEDATALEN;
		/* do not cut a UTF-8 sequence: back up to a lead byte */
		while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80)
			n--;
	}
	if (!(o = strndup(name, n)))
		return NULL;
	if (fold)
		for (char *p = o; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	return o;
}

int ks_jdbc_parse_table(const char *spec, int fold, char **catalog, char **schema, char **table,
                        char *errstr, size_t errlen)
{
	char *parts[3] = {NULL, NULL, NULL};
	int np = 0, rc = -1;
	const char *p = spec;
	ks_buf_t cur = KS_BUF_INIT;

	*catalog = *schema = *table = NULL;
	while (*p == ' ')
		p++;
	if (!*p)
		return ks_seterr(errstr, errlen, -1, "empty table name");
	for (;;) {
		int quoted = 0;

		ks_buf_reset(&cur);
		if (*p == '"') {
			quoted = 1;
			p++;
			for (;;) {
				if (!*p) {
					ks_seterr(errstr, errlen, -1,
					          "unterminated quoted identifier in table name");
					goto out;
				}
				if (*p == '"') {
					if (p[1] == '"') {
						ks_buf_putc(&cur, '"');
						p += 2;
						continue;
					}
					p++;
					break;
				}
				ks_buf_putc(&cur, *p++);
			}
			if (*p && *p != '.') {
				/* text after a closing quote: take the rest literally */
				while (*p && *p != '.')
					ks_buf_putc(&cur, *p++);
			}
		} else {
			while (*p && *p != '.')
				ks_buf_putc(&cur, *p++);
			/* trailing blanks of the whole name are dropped (Java trims) */
			if (!*p)
				while (cur.len && cur.data[cur.len - 1] == ' ')
					cur.data[--cur.len] = 0;
		}
		if (ks_buf_failed(&cur))
			goto oom;
		if (np == 3) {
			ks_seterr(errstr, errlen, -1,
			          "table name '%s' has more than 3 parts (catalog.schema.table)",
			          spec);
			goto out;
		}
		if (!cur.len) {
			ks_seterr(errstr, errlen, -1, "table name '%s' has an empty part", spec);
			goto out;
		}
		if (!(parts[np++] = ks_jdbc_ident_norm(cur.data, fold && !quoted)))
			goto oom;
		if (!*p)
			break;
		p++; /* '.' */
	}
	*table = parts[np - 1];
	parts[np - 1] = NULL;
	if (np >= 2) {
		*schema = parts[np - 2];
		parts[np - 2] = NULL;
	}
	if (np == 3) {
		*catalog = parts[0];
		parts[0] = NULL;
	}
	rc = 0;
	goto out;
oom:
	ks_seterr(errstr, errlen, -1, "out of memory");
out:
	for (int i = 0; i < 3; i++)
		free(parts[i]);
	ks_buf_free(&cur);
	return rc;
}

static const struct {
	const char *ddl, *stage;
	unsigned oid, array_oid;
} kinds[KS_PGK__COUNT] = {
        [KS_PGK_INT2] = {"SMALLINT", "int2", 21, 1005},
        [KS_PGK_INT4] = {"INT", "int4", 23, 1007},
        [KS_PGK_INT8] = {"BIGINT", "int8", 20, 1016},
        [KS_PGK_FLOAT4] = {"REAL", "float4", 700, 1021},
        [KS_PGK_FLOAT8] = {"DOUBLE PRECISION", "float8", 701, 1022},
        [KS_PGK_BOOL] = {"BOOLEAN", "bool", 16, 1000},
        [KS_PGK_TEXT] = {"TEXT", "text", 25, 1009},
        [KS_PGK_BYTEA] = {"BYTEA", "bytea", 17, 1001},
        [KS_PGK_NUMERIC] = {"DECIMAL", "numeric", 1700, 1231},
        [KS_PGK_DATE] = {"DATE", "date", 1082, 1182},
        [KS_PGK_TIME] = {"TIME", "time", 1083, 1183},
        [KS_PGK_TIMESTAMPTZ] = {"TIMESTAMP", "timestamptz", 1184, 1185},
        [KS_PGK_JSONB] = {"JSONB", "jsonb", 3802, 3807},
};

unsigned ks_jdbc_pgk_oid(ks_pgk_t k, int array);
unsigned ks_jdbc_pgk_oid(ks_pgk_t k, int array)
{
	return array ? kinds[k].array_oid : kinds[k].oid;
}

/* Scalar mapping of s; *uuid set for the Uuid logical type. -1 = no scalar
 * mapping (STRUCT, MAP, ARRAY). */
static int scalar_kind(const ks_schema_t *s, ks_pgk_t *k, int *uuid)
{
	*uuid = 0;
	switch (s->logical) {
	case KS_LOGICAL_DECIMAL:
		*k = KS_PGK_NUMERIC;
		return 0;
	case KS_LOGICAL_DATE:
		*k = KS_PGK_DATE;
		return 0;
	case KS_LOGICAL_TIME:
	case KS_LOGICAL_TIME_MICROS:
		*k = KS_PGK_TIME;
		return 0;
	case KS_LOGICAL_TIMESTAMP:
	case KS_LOGICAL_TIMESTAMP_MICROS:
		*k = KS_PGK_TIMESTAMPTZ;
		return 0;
	case KS_LOGICAL_UUID:
		*k = KS_PGK_TEXT;
		*uuid = 1;
		return 0;
	case KS_LOGICAL_NONE:
		break;
	}
	switch (s->type) {
	case KS_TYPE_INT8:
	case KS_TYPE_INT16:
		*k = KS_PGK_INT2;
		return 0;
	case KS_TYPE_INT32:
		*k = KS_PGK_INT4;
		return 0;
	case KS_TYPE_INT64:
		*k = KS_PGK_INT8;
		return 0;
	case KS_TYPE_FLOAT32:
		*k = KS_PGK_FLOAT4;
		return 0;
	case KS_TYPE_FLOAT64:
		*k = KS_PGK_FLOAT8;
		return 0;
	case KS_TYPE_BOOLEAN:
		*k = KS_PGK_BOOL;
		return 0;
	case KS_TYPE_STRING:
		*k = KS_PGK_TEXT;
		return 0;
	case KS_TYPE_BYTES:
		*k = KS_PGK_BYTEA;
		return 0;
	default:
		return -1;
	}
}

static void ddl_scalar(const ks_schema_t *s, ks_pgk_t k, int uuid, int timestamptz, char *out,
                       size_t outlen)
{
	if (uuid)
		snprintf(out, outlen, "UUID");
	else if (k == KS_PGK_NUMERIC && s->precision > 0 && s->precision <= 1000 && s->scale >= 0 &&
	         s->scale <= s->precision)
		snprintf(out, outlen, "NUMERIC(%d,%d)", s->precision, s->scale);
	else if (k == KS_PGK_TIMESTAMPTZ && timestamptz)
		snprintf(out, outlen, "TIMESTAMPTZ");
	else
		snprintf(out, outlen, "%s", kinds[k].ddl);
}

int ks_jdbc_pgtype(const ks_schema_t *s, int timestamptz, int struct_jsonb, ks_pgtype_t *out,
                   char *errstr, size_t errlen)
{
	ks_pgk_t k;
	int uuid;

	memset(out, 0, sizeof(*out));
	if (scalar_kind(s, &k, &uuid) == 0) {
		out->kind = k;
		out->uuid = uuid;
		ddl_scalar(s, k, uuid, timestamptz, out->ddl, sizeof(out->ddl));
		snprintf(out->stage, sizeof(out->stage), "%s", kinds[k].stage);
		out->oid = kinds[k].oid;
		return 0;
	}
	if (s->type == KS_TYPE_ARRAY && s->value_schema &&
	    scalar_kind(s->value_schema, &k, &uuid) == 0) {
		char el[56];

		out->kind = k;
		out->array = 1;
		out->uuid = uuid;
		ddl_scalar(s->value_schema, k, uuid, timestamptz, el, sizeof(el));
		snprintf(out->ddl, sizeof(out->ddl), "%s[]", el);
		snprintf(out->stage, sizeof(out->stage), "%s[]", kinds[k].stage);
		out->oid = kinds[k].array_oid;
		return 0;
	}
	if (struct_jsonb &&
	    (s->type == KS_TYPE_STRUCT || s->type == KS_TYPE_MAP || s->type == KS_TYPE_ARRAY)) {
		out->kind = KS_PGK_JSONB;
		snprintf(out->ddl, sizeof(out->ddl), "JSONB");
		snprintf(out->stage, sizeof(out->stage), "jsonb");
		out->oid = kinds[KS_PGK_JSONB].oid;
		return 0;
	}
	return ks_seterr(errstr, errlen, -1,
	                 "%s (%s) type doesn't have a mapping to the SQL database column type "
	                 "(set ksink.struct.mode=jsonb to store STRUCT/MAP/nested ARRAY as JSONB)",
	                 s->name ? s->name : "null", ks_type_name(s->type));
}

void ks_jdbc_fmt_date(char *o, size_t n, int64_t days)
{
	int64_t y;
	int m, d;

	ks_civil_from_days(days, &y, &m, &d);
	snprintf(o, n, "%04lld-%02d-%02d", (long long)y, m, d);
}

/* Text of a scalar default value; 0 ok. */
static int scalar_text(const ks_schema_t *s, const ks_value_t *v, ks_buf_t *b, int *quote)
{
	char tmp[64];

	*quote = 0;
	switch (s->logical) {
	case KS_LOGICAL_DECIMAL:
		return ks_jdbc_decimal_text(b, (const unsigned char *)v->u.s.ptr, v->u.s.len,
		                            s->scale, s->precision, tmp, sizeof(tmp));
	case KS_LOGICAL_DATE:
		ks_jdbc_fmt_date(tmp, sizeof(tmp), v->u.i);
		ks_buf_puts(b, tmp);
		*quote = 1;
		return 0;
	case KS_LOGICAL_TIME:
	case KS_LOGICAL_TIME_MICROS: {
		int64_t us = s->logical == KS_LOGICAL_TIME ? v->u.i * 1000 : v->u.i;
		ks_buf_printf(b, "%02lld:%02lld:%02lld.%06lld", (long long)(us / 3600000000LL),
		              (long long)(us / 60000000 % 60), (long long)(us / 1000000 % 60),
		              (long long)(us % 1000000));
		*quote = 1;
		return 0;
	}
	case KS_LOGICAL_TIMESTAMP:
	case KS_LOGICAL_TIMESTAMP_MICROS: {
		if (s->logical == KS_LOGICAL_TIMESTAMP &&
		    (v->u.i > INT64_MAX / 1000 || v->u.i < INT64_MIN / 1000))
			return -1; /* no such timestamp: no DEFAULT written */
		int64_t us = s->logical == KS_LOGICAL_TIMESTAMP ? v->u.i * 1000 : v->u.i;
		int64_t days = us / 86400000000LL, rem = us % 86400000000LL;
		if (rem < 0)
			rem += 86400000000LL, days--;
		ks_jdbc_fmt_date(tmp, sizeof(tmp), days);
		ks_buf_printf(b, "%s %02lld:%02lld:%02lld.%06lld+00", tmp,
		              (long long)(rem / 3600000000LL), (long long)(rem / 60000000 % 60),
		              (long long)(rem / 1000000 % 60), (long long)(rem % 1000000));
		*quote = 1;
		return 0;
	}
	default:
		break;
	}
	switch (s->type) {
	case KS_TYPE_INT8:
	case KS_TYPE_INT16:
	case KS_TYPE_INT32:
	case KS_TYPE_INT64:
		ks_buf_printf(b, "%lld", (long long)v->u.i);
		return 0;
	case KS_TYPE_FLOAT32:
	case KS_TYPE_FLOAT64:
		ks_buf_printf(b, "%.17g", v->u.d);
		*quote = 1; /* 'NaN', 'Infinity' and plain numbers all cast */
		return 0;
	case KS_TYPE_BOOLEAN:
		ks_buf_puts(b, v->u.i ? "TRUE" : "FALSE");
		return 0;
	case KS_TYPE_STRING:
		ks_buf_append(b, v->u.s.ptr, v->u.s.len);
		*quote = 1;
		return 0;
	case KS_TYPE_BYTES:
		ks_buf_puts(b, "\\x");
		for (size_t i = 0; i < v->u.s.len; i++)
			ks_buf_printf(b, "%02x", (unsigned char)v->u.s.ptr[i]);
		*quote = 1;
		return 0;
	default:
		return -1;
	}
}

int ks_jdbc_default_literal(PGconn *conn, const ks_schema_t *s, const ks_value_t *v, ks_buf_t *b)
{
	ks_buf_t t = KS_BUF_INIT;
	ks_pgtype_t pt;
	int quote = 0, rc = -1;
	char *lit;

	if (!v || v->is_null) {
		ks_buf_puts(b, "NULL");
		return 0;
	}
	if (ks_jdbc_pgtype(s, 0, 0, &pt, NULL, 0) || pt.array)
		return -1; /* arrays / structs: no DEFAULT written */
	if (scalar_text(s, v, &t, &quote) || ks_buf_failed(&t))
		goto out;
	if (!quote) {
		ks_buf_append(b, t.data, t.len);
		rc = 0;
		goto out;
	}
	if (!(lit = PQescapeLiteral(conn, t.data, t.len)))
		goto out;
	ks_buf_puts(b, lit);
	PQfreemem(lit);
	ks_buf_puts(b, "::");
	ks_buf_puts(b, pt.uuid ? "uuid" : pt.stage);
	rc = 0;
out:
	ks_buf_free(&t);
	return rc;
}
