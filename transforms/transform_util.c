/*
 * transform_util.c — helpers the transforms share (transform_impl.h): the
 * per-transform schema cache, schema/value construction in Connect's style,
 * Java-compatible error texts and number formatting, Java regexes on top of
 * POSIX ERE, and a java.text.SimpleDateFormat subset (UTC) for
 * TimestampRouter and TimestampConverter.
 */
#include "transform_impl.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ks_tf_syntax_values[] = {"V1", "V2", NULL};

/* ---------------- schema cache ---------------- */

ks_schema_t *ks_tf_cache_get(ks_tf_cache_t *c, const ks_schema_t *in, const ks_schema_t *in2,
                             int tag)
{
	if (c->n && c->last < c->n) {
		ks_tf_cache_ent_t *e = &c->v[c->last];
		if (e->in == in && e->in2 == in2 && e->tag == tag)
			return e->out;
	}
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].in == in && c->v[i].in2 == in2 && c->v[i].tag == tag) {
			c->last = i;
			return c->v[i].out;
		}
	return NULL;
}

ks_schema_t *ks_tf_cache_put(ks_tf_cache_t *c, const ks_schema_t *in, const ks_schema_t *in2,
                             int tag, ks_schema_t *out)
{
	if (!out)
		return NULL;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		ks_tf_cache_ent_t *n = realloc(c->v, cap * sizeof(*n));
		if (!n) {
			ks_schema_unref(out);
			return NULL;
		}
		c->v = n;
		c->cap = cap;
	}
	c->v[c->n].in = ks_schema_ref((ks_schema_t *)in);
	c->v[c->n].in2 = ks_schema_ref((ks_schema_t *)in2);
	c->v[c->n].tag = tag;
	c->v[c->n].out = out;
	c->last = c->n++;
	return out;
}

void ks_tf_cache_clear(ks_tf_cache_t *c)
{
	for (size_t i = 0; i < c->n; i++) {
		ks_schema_unref(c->v[i].out);
		ks_schema_unref((ks_schema_t *)c->v[i].in);
		ks_schema_unref((ks_schema_t *)c->v[i].in2);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* ---------------- schemas ---------------- */

ks_schema_t *ks_tf_schema_basics(const ks_schema_t *src, ks_type_t type)
{
	ks_schema_t *s = ks_schema_new(type);

	if (!s)
		return NULL;
	if (!src)
		return s;
	s->optional = src->optional;
	s->version = src->version;
	if (src->type == type) {
		s->logical = src->logical;
		s->precision = src->precision;
		s->scale = src->scale;
	}
	/* a logical type's name on another type would mislead the sinks */
	if ((src->type == type || src->logical == KS_LOGICAL_NONE) &&
	    ks_schema_set_name(s, src->name))
		goto fail;
	if (ks_schema_set_doc(s, src->doc))
		goto fail;
	for (size_t i = 0; i < src->nparams; i++)
		if ((src->type == type || src->logical == KS_LOGICAL_NONE) &&
		    ks_schema_add_param(s, src->params[i].key, src->params[i].value))
			goto fail;
	return s;
fail:
	ks_schema_unref(s);
	return NULL;
}

ks_schema_t *ks_tf_schema_copy(const ks_schema_t *src)
{
	ks_schema_t *s = ks_tf_schema_basics(src, src->type);

	if (!s)
		return NULL;
	s->key_schema = ks_schema_ref(src->key_schema);
	s->value_schema = ks_schema_ref(src->value_schema);
	for (size_t i = 0; i < src->nfields; i++)
		if (ks_tf_add_field_ref(s, src->fields[i].name, src->fields[i].schema))
			goto fail;
	if (src->default_value && ks_schema_set_default(s, src->default_value))
		goto fail;
	return s;
fail:
	ks_schema_unref(s);
	return NULL;
}

ks_schema_t *ks_tf_schema_optional(const ks_schema_t *src, int optional)
{
	ks_schema_t *s;

	if (!!src->optional == !!optional)
		return ks_schema_ref((ks_schema_t *)src);
	if ((s = ks_tf_schema_copy(src)))
		s->optional = optional;
	return s;
}

ks_schema_t *ks_tf_schema_prim(ks_type_t type, ks_logical_t logical, int optional)
{
	ks_schema_t *s =
	        logical != KS_LOGICAL_NONE ? ks_schema_logical(logical) : ks_schema_new(type);

	if (s)
		s->optional = optional;
	return s;
}

int ks_tf_add_field_ref(ks_schema_t *s, const char *name, const ks_schema_t *fs)
{
	return ks_schema_add_field(s, name, ks_schema_ref((ks_schema_t *)fs));
}

/* ---------------- values ---------------- */

ks_value_t *ks_tf_struct_new(ks_arena_t *a, size_t n, int named)
{
	ks_value_t *v = ks_value_new(a, KS_TYPE_STRUCT);

	if (!v)
		return NULL;
	v->u.st.n = n;
	if (!(v->u.st.fields = ks_arena_calloc(a, n ? n : 1, sizeof(ks_value_t))))
		return NULL;
	if (named && !(v->u.st.names = ks_arena_calloc(a, n ? n : 1, sizeof(char *))))
		return NULL;
	return v;
}

const ks_value_t *ks_tf_get(const ks_schema_t *s, const ks_value_t *v, const char *name,
                            int use_default)
{
	const ks_value_t *f = ks_value_field(s, v, name);

	if (f && f->is_null && use_default && s) {
		const ks_field_t *sf = ks_schema_field(s, name);
		if (sf && sf->schema->default_value)
			return sf->schema->default_value;
	}
	return f;
}

ks_value_t *ks_tf_str(ks_arena_t *a, const char *s, size_t len)
{
	ks_value_t *v = ks_value_new(a, KS_TYPE_STRING);

	if (!v || !(v->u.s.ptr = ks_arena_memdup(a, s, len)))
		return NULL;
	v->u.s.len = len;
	return v;
}

ks_value_t *ks_tf_int(ks_arena_t *a, ks_type_t type, int64_t i)
{
	ks_value_t *v = ks_value_new(a, type);

	if (v)
		v->u.i = i;
	return v;
}

const char *ks_tf_java_class(const ks_schema_t *s, const ks_value_t *v)
{
	if (!v || v->is_null)
		return "null";
	if (s && (s->logical == KS_LOGICAL_DATE || s->logical == KS_LOGICAL_TIME ||
	          s->logical == KS_LOGICAL_TIMESTAMP))
		return "java.util.Date";
	if (s && s->logical == KS_LOGICAL_DECIMAL)
		return "java.math.BigDecimal";
	switch (v->type) {
	case KS_TYPE_INT8:
		return "java.lang.Byte";
	case KS_TYPE_INT16:
		return "java.lang.Short";
	case KS_TYPE_INT32:
		return "java.lang.Integer";
	case KS_TYPE_INT64:
		return "java.lang.Long";
	case KS_TYPE_FLOAT32:
		return "java.lang.Float";
	case KS_TYPE_FLOAT64:
		return "java.lang.Double";
	case KS_TYPE_BOOLEAN:
		return "java.lang.Boolean";
	case KS_TYPE_STRING:
		return "java.lang.String";
	case KS_TYPE_BYTES:
		return "[B";
	case KS_TYPE_ARRAY:
		return "java.util.ArrayList";
	case KS_TYPE_MAP:
		return "java.util.HashMap";
	case KS_TYPE_STRUCT:
		return v->u.st.names && !s ? "java.util.HashMap"
		                           : "org.apache.kafka.connect.data.Struct";
	default:
		return "?";
	}
}

ks_err_t ks_tf_need_struct(const ks_schema_t *s, const ks_value_t *v, const char *purpose,
                           char *errstr, size_t errlen)
{
	return ks_seterr(errstr, errlen, KS_ERR_RECORD,
	                 "Only Struct objects supported for [%s], found: %s", purpose,
	                 ks_tf_java_class(s, v));
}

ks_err_t ks_tf_need_map(const ks_schema_t *s, const ks_value_t *v, const char *purpose,
                        char *errstr, size_t errlen)
{
	return ks_seterr(errstr, errlen, KS_ERR_RECORD,
	                 "Only Map objects supported in absence of schema for [%s], found: %s",
	                 purpose, ks_tf_java_class(s, v));
}

void ks_tf_java_double(double d, int is_float, char *out, size_t len)
{
	char buf[64], digits[32];
	int exp10, nd = 0, prec;
	const char *p;

	if (isnan(d)) {
		snprintf(out, len, "NaN");
		return;
	}
	if (isinf(d)) {
		snprintf(out, len, "%sInfinity", d < 0 ? "-" : "");
		return;
	}
	if (d == 0) {
		snprintf(out, len, "%s0.0", signbit(d) ? "-" : "");
		return;
	}
	/* the shortest digits that read back as the same value */
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
		if (is_float ? (float)strtod(buf, NULL) == (float)d : strtod(buf, NULL) == d)
			break;
	}
	p = buf;
	if (*p == '-')
		p++;
	for (; *p && *p != 'e'; p++)
		if (isdigit((unsigned char)*p) && nd < (int)sizeof(digits) - 1)
			digits[nd++] = *p;
	digits[nd] = '\0';
	exp10 = *p == 'e' ? atoi(p + 1) : 0;
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	{
		ks_buf_t b = KS_BUF_INIT;
		double ad = fabs(d);
		if (d < 0)
			ks_buf_putc(&b, '-');
		if (ad >= 1e-3 && ad < 1e7) {
			if (exp10 >= 0) {
				for (int i = 0; i <= exp10; i++)
					ks_buf_putc(&b, i < nd ? digits[i] : '0');
				ks_buf_putc(&b, '.');
				if (nd > exp10 + 1)
					ks_buf_puts(&b, digits + exp10 + 1);
				else
					ks_buf_putc(&b, '0');
			} else {
				ks_buf_puts(&b, "0.");
				for (int i = 0; i < -exp10 - 1; i++)
					ks_buf_putc(&b, '0');
				ks_buf_puts(&b, digits);
			}
		} else {
			ks_buf_putc(&b, digits[0]);
			ks_buf_putc(&b, '.');
			ks_buf_puts(&b, nd > 1 ? digits + 1 : "0");
			ks_buf_printf(&b, "E%d", exp10);
		}
		snprintf(out, len, "%s", b.data ? b.data : "?");
		ks_buf_free(&b);
	}
}

int ks_tf_value_text(const ks_schema_t *s, const ks_value_t *v, ks_buf_t *out)
{
	char num[64];

	if (!v || v->is_null)
		return -1;
	switch (v->type) {
	case KS_TYPE_STRING:
		ks_buf_append(out, v->u.s.ptr, v->u.s.len);
		return 0;
	case KS_TYPE_INT8:
	case KS_TYPE_INT16:
	case KS_TYPE_INT32:
	case KS_TYPE_INT64:
		ks_buf_printf(out, "%lld", (long long)v->u.i);
		return 0;
	case KS_TYPE_FLOAT32:
	case KS_TYPE_FLOAT64:
		ks_tf_java_double(v->u.d, v->type == KS_TYPE_FLOAT32, num, sizeof(num));
		ks_buf_puts(out, num);
		return 0;
	case KS_TYPE_BOOLEAN:
		ks_buf_puts(out, v->u.i ? "true" : "false");
		return 0;
	default:
		(void)s;
		return -1;
	}
}

/* ---------------- regular expressions ---------------- */

/* Appends a bracket expression member set translated from Java; *pp points
 * after '['. Returns 0 or -1 (reason in errstr). */
static int regex_bracket(const char **pp, ks_buf_t *out, char *errstr, size_t errlen)
{
	const char *p = *pp;
	ks_buf_t rest = KS_BUF_INIT;
	int neg = 0, rbracket = 0, dash = 0, caret = 0, first = 1;

	if (*p == '^')
		neg = 1, p++;
	for (;; first = 0) {
		if (!*p) {
			ks_buf_free(&rest);
			return ks_seterr(errstr, errlen, -1, "Unclosed character class");
		}
		if (*p == ']' && !first)
			break;
		if (*p == ']') { /* Java: "[]" is an error; a leading ] literal in POSIX */
			rbracket = 1;
			p++;
			continue;
		}
		if (*p == '[' || (*p == '&' && p[1] == '&')) {
			ks_buf_free(&rest);
			return ks_seterr(errstr, errlen, -1,
			                 "nested character classes and intersections are not "
			                 "supported by ksink");
		}
		if (*p == '\\') {
			char c = p[1];
			p += 2;
			switch (c) {
			case 'd':
				ks_buf_puts(&rest, "0-9");
				continue;
			case 'w':
				ks_buf_puts(&rest, "A-Za-z0-9_");
				continue;
			case 's':
				ks_buf_puts(&rest, " \t\n\r\f\v");
				continue;
			case 't':
				ks_buf_putc(&rest, '\t');
				continue;
			case 'n':
				ks_buf_putc(&rest, '\n');
				continue;
			case 'r':
				ks_buf_putc(&rest, '\r');
				continue;
			case ']':
				rbracket = 1;
				continue;
			case '-':
				dash = 1;
				continue;
			case '^':
				caret = 1;
				continue;
			case '\0':
				ks_buf_free(&rest);
				return ks_seterr(errstr, errlen, -1, "Unclosed character class");
			default:
				if (isalnum((unsigned char)c)) {
					ks_buf_free(&rest);
					return ks_seterr(errstr, errlen, -1,
					                 "escape \\%c in a character class is not "
					                 "supported by ksink",
					                 c);
				}
				ks_buf_putc(&rest, c);
				continue;
			}
		}
		if (*p == '^' && first) {
			caret = 1;
			p++;
			continue;
		}
		ks_buf_putc(&rest, *p++);
	}
	*pp = p + 1;
	ks_buf_putc(out, '[');
	if (neg)
		ks_buf_putc(out, '^');
	if (rbracket)
		ks_buf_putc(out, ']');
	if (rest.data)
		ks_buf_puts(out, rest.data);
	if (caret)
		ks_buf_putc(out, '^');
	if (dash)
		ks_buf_putc(out, '-');
	ks_buf_putc(out, ']');
	ks_buf_free(&rest);
	return 0;
}

int ks_tf_regex_compile(ks_tf_regex_t *rx, const char *java, char *errstr, size_t errlen)
{
	ks_buf_t b = KS_BUF_INIT;
	const char *p = java;
	int posix_group = 1, rc;

	memset(rx, 0, sizeof(*rx));
	rx->map[0] = 0;
	ks_buf_puts(&b, "^(");
	while (*p) {
		char c = *p;
		if (c == '\\') {
			char e = p[1];
			p += 2;
			switch (e) {
			case 'd':
				ks_buf_puts(&b, "[0-9]");
				break;
			case 'D':
				ks_buf_puts(&b, "[^0-9]");
				break;
			case 'w':
				ks_buf_puts(&b, "[A-Za-z0-9_]");
				break;
			case 'W':
				ks_buf_puts(&b, "[^A-Za-z0-9_]");
				break;
			case 's':
				ks_buf_puts(&b, "[[:space:]]");
				break;
			case 'S':
				ks_buf_puts(&b, "[^[:space:]]");
				break;
			case 't':
				ks_buf_putc(&b, '\t');
				break;
			case 'n':
				ks_buf_putc(&b, '\n');
				break;
			case 'r':
				ks_buf_putc(&b, '\r');
				break;
			case 'Q': {
				const char *end = strstr(p, "\\E");
				size_t n = end ? (size_t)(end - p) : strlen(p);
				for (size_t i = 0; i < n; i++) {
					if (strchr(".[]{}()\\*+?^$|", p[i]))
						ks_buf_putc(&b, '\\');
					ks_buf_putc(&b, p[i]);
				}
				p += n + (end ? 2 : 0);
				break;
			}
			case '\0':
				ks_buf_free(&b);
				return ks_seterr(errstr, errlen, -1,
				                 "Unexpected internal error near index %zu",
				                 strlen(java));
			default:
				if (isalnum((unsigned char)e)) {
					ks_buf_free(&b);
					return ks_seterr(
					        errstr, errlen, -1,
					        "the escape \\%c is not supported by ksink "
					        "(POSIX extended regular expressions with "
					        "\\d \\w \\s)",
					        e);
				}
				ks_buf_putc(&b, '\\');
				ks_buf_putc(&b, e);
			}
			continue;
		}
		if (c == '[') {
			p++;
			if (regex_bracket(&p, &b, errstr, errlen)) {
				ks_buf_free(&b);
				return -1;
			}
			continue;
		}
		if (c == '(') {
			if (p[1] == '?' && p[2] == ':') {
				posix_group++;
				ks_buf_putc(&b, '(');
				p += 3;
				continue;
			}
			if (p[1] == '?') {
				ks_buf_free(&b);
				return ks_seterr(errstr, errlen, -1,
				                 "(?...) constructs other than (?:...) are not "
				                 "supported by ksink");
			}
			posix_group++;
			if (rx->ngroups + 1 < (int)KS_ARRAY_SIZE(rx->map))
				rx->map[++rx->ngroups] = posix_group;
			else {
				ks_buf_free(&b);
				return ks_seterr(errstr, errlen, -1, "too many groups");
			}
			ks_buf_putc(&b, '(');
			p++;
			continue;
		}
		if ((c == '*' || c == '+' || c == '?' || c == '}') &&
		    (p[1] == '?' || p[1] == '+')) {
			ks_buf_free(&b);
			return ks_seterr(
			        errstr, errlen, -1,
			        "lazy and possessive quantifiers are not supported by ksink");
		}
		ks_buf_putc(&b, c);
		p++;
	}
	ks_buf_puts(&b, ")$");
	if (ks_buf_failed(&b)) {
		ks_buf_free(&b);
		return ks_seterr(errstr, errlen, -1, "out of memory");
	}
	rc = regcomp(&rx->re, b.data, REG_EXTENDED);
	ks_buf_free(&b);
	if (rc) {
		char why[256];
		regerror(rc, &rx->re, why, sizeof(why));
		return ks_seterr(errstr, errlen, -1, "%s", why);
	}
	rx->compiled = 1;
	rx->nposix = posix_group + 1;
	return 0;
}

void ks_tf_regex_free(ks_tf_regex_t *rx)
{
	if (rx->compiled)
		regfree(&rx->re);
	rx->compiled = 0;
}

int ks_tf_regex_matches(const ks_tf_regex_t *rx, const char *s, regmatch_t *groups)
{
	regmatch_t m[KS_ARRAY_SIZE(rx->map) * 2];
	size_t n = (size_t)rx->nposix < KS_ARRAY_SIZE(m) ? (size_t)rx->nposix : KS_ARRAY_SIZE(m);

	if (regexec(&rx->re, s, n, m, 0))
		return 0;
	if (groups) {
		groups[0].rm_so = 0;
		groups[0].rm_eo = (regoff_t)strlen(s);
		for (int i = 1; i <= rx->ngroups; i++)
			groups[i] = (size_t)rx->map[i] < n ? m[rx->map[i]]
			                                   : (regmatch_t){.rm_so = -1, .rm_eo = -1};
	}
	return 1;
}

int ks_tf_regex_check_replacement(const ks_tf_regex_t *rx, const char *r, char *errstr,
                                  size_t errlen)
{
	for (const char *p = r; *p; p++) {
		if (*p == '\\') {
			if (!p[1])
				return ks_seterr(errstr, errlen, -1,
				                 "character to be escaped is missing");
			p++;
		} else if (*p == '$') {
			if (p[1] == '{')
				return ks_seterr(
				        errstr, errlen, -1,
				        "named group references are not supported by ksink");
			if (!isdigit((unsigned char)p[1]))
				return ks_seterr(errstr, errlen, -1, "Illegal group reference");
			if (p[1] - '0' > rx->ngroups)
				return ks_seterr(errstr, errlen, -1, "No group %c", p[1]);
			p++;
		}
	}
	return 0;
}

void ks_tf_regex_expand(const ks_tf_regex_t *rx, const char *replacement, const char *s,
                        const regmatch_t *groups, ks_buf_t *out)
{
	for (const char *p = replacement; *p; p++) {
		if (*p == '\\' && p[1]) {
			ks_buf_putc(out, *++p);
		} else if (*p == '$' && isdigit((unsigned char)p[1])) {
			int g = *++p - '0';
			/* Java: more digits while the group number stays valid */
			while (isdigit((unsigned char)p[1]) && g * 10 + (p[1] - '0') <= rx->ngroups)
				g = g * 10 + (*++p - '0');
			if (g <= rx->ngroups && groups[g].rm_so >= 0)
				ks_buf_append(out, s + groups[g].rm_so,
				              (size_t)(groups[g].rm_eo - groups[g].rm_so));
		} else {
			ks_buf_putc(out, *p);
		}
	}
}

/* ---------------- dates ---------------- */

static const char *const month_long[] = {"January",   "February", "March",    "April",
                                         "May",       "June",     "July",     "August",
                                         "September", "October",  "November", "December"};
static const char *const day_long[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                       "Thursday", "Friday", "Saturday"};

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
int64_t ks_tf_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void ks_tf_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t floordiv(int64_t a, int64_t b)
{
	return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/* One pattern element: a letter run or literal text. */
typedef struct dfmt_el {
	char letter; /* 0 = literal */
	int count;
	const char *lit;
	size_t litlen;
	int quoted; /* literal contains '' pairs to fold */
} dfmt_el_t;

/* Next element of pattern at *pp; 0 at the end, -1 on error. */
static int dfmt_next(const char **pp, dfmt_el_t *el, char *errstr, size_t errlen)
{
	const char *p = *pp;

	memset(el, 0, sizeof(*el));
	if (!*p)
		return 0;
	if (isalpha((unsigned char)*p)) {
		if (!strchr("GyYMLdDEuaHkKhmsSzZXw", *p))
			return ks_seterr(errstr, errlen, -1, "Illegal pattern character '%c'", *p);
		if (*p == 'w' || *p == 'Y')
			return ks_seterr(
			        errstr, errlen, -1,
			        "pattern letter '%c' (week dates) is not supported by ksink", *p);
		el->letter = *p;
		while (p[el->count] == *p)
			el->count++;
		*pp = p + el->count;
		return 1;
	}
	if (*p == '\'') {
		if (p[1] == '\'') { /* '' is a quote */
			el->lit = p;
			el->litlen = 1;
			*pp = p + 2;
			return 1;
		}
		el->lit = ++p;
		el->quoted = 1;
		while (*p && !(*p == '\'' && p[1] != '\''))
			p += *p == '\'' ? 2 : 1;
		if (!*p)
			return ks_seterr(errstr, errlen, -1, "Unterminated quote");
		el->litlen = (size_t)(p - el->lit);
		*pp = p + 1;
		return 1;
	}
	el->lit = p;
	while (*p && !isalpha((unsigned char)*p) && *p != '\'')
		p++;
	el->litlen = (size_t)(p - el->lit);
	*pp = p;
	return 1;
}

int ks_tf_datefmt_check(const char *pattern, char *errstr, size_t errlen)
{
	dfmt_el_t el;
	int r;

	while ((r = dfmt_next(&pattern, &el, errstr, errlen)) > 0)
		;
	return r;
}

static void put_lit(ks_buf_t *out, const dfmt_el_t *el)
{
	for (size_t i = 0; i < el->litlen; i++) {
		ks_buf_putc(out, el->lit[i]);
		if (el->quoted && el->lit[i] == '\'')
			i++;
	}
}

static void put_num(ks_buf_t *out, int64_t v, int width)
{
	ks_buf_printf(out, "%0*lld", width, (long long)v);
}

void ks_tf_datefmt_format(const char *pattern, int64_t ms, ks_buf_t *out)
{
	int64_t days = floordiv(ms, 86400000), y;
	int64_t tod = ms - days * 86400000;
	int m, d, h = (int)(tod / 3600000), mi = (int)(tod / 60000 % 60),
	          s = (int)(tod / 1000 % 60);
	int msec = (int)(tod % 1000);
	int dow = (int)(((days % 7) + 11) % 7); /* 0 = Sunday; 1970-01-01 was a Thursday */
	dfmt_el_t el;
	char err[64];

	ks_tf_civil_from_days(days, &y, &m, &d);
	while (dfmt_next(&pattern, &el, err, sizeof(err)) > 0) {
		switch (el.letter) {
		case 0:
			put_lit(out, &el);
			break;
		case 'G':
			ks_buf_puts(out, y > 0 ? "AD" : "BC");
			break;
		case 'y':
			if (el.count == 2)
				put_num(out, (y % 100 + 100) % 100, 2);
			else
				put_num(out, y, el.count);
			break;
		case 'M':
		case 'L':
			if (el.count >= 4)
				ks_buf_puts(out, month_long[m - 1]);
			else if (el.count == 3)
				ks_buf_append(out, month_long[m - 1], 3);
			else
				put_num(out, m, el.count);
			break;
		case 'd':
			put_num(out, d, el.count);
			break;
		case 'D':
			put_num(out, days - ks_tf_days_from_civil(y, 1, 1) + 1, el.count);
			break;
		case 'E':
			if (el.count >= 4)
				ks_buf_puts(out, day_long[dow]);
			else
				ks_buf_append(out, day_long[dow], 3);
			break;
		case 'u':
			put_num(out, dow ? dow : 7, el.count);
			break;
		case 'a':
			ks_buf_puts(out, h < 12 ? "AM" : "PM");
			break;
		case 'H':
			put_num(out, h, el.count);
			break;
		case 'k':
			put_num(out, h ? h : 24, el.count);
			break;
		case 'K':
			put_num(out, h % 12, el.count);
			break;
		case 'h':
			put_num(out, h % 12 ? h % 12 : 12, el.count);
			break;
		case 'm':
			put_num(out, mi, el.count);
			break;
		case 's':
			put_num(out, s, el.count);
			break;
		case 'S':
			put_num(out, msec, el.count);
			break;
		case 'z':
			ks_buf_puts(out, el.count >= 4 ? "Coordinated Universal Time" : "UTC");
			break;
		case 'Z':
			ks_buf_puts(out, "+0000");
			break;
		case 'X':
			ks_buf_putc(out, 'Z');
			break;
		}
	}
}

static int is_numeric_letter(char c)
{
	return c && strchr("yMLdDuHkKhmsS", c);
}

/* Reads digits (exactly width when width > 0, else up to 10). */
static int parse_num(const char **tp, int width, int64_t *v)
{
	const char *t = *tp;
	int n = 0, neg = 0;

	if (width <= 0 && (*t == '-' || *t == '+'))
		neg = *t == '-', t++;
	*v = 0;
	while (isdigit((unsigned char)*t) && (width > 0 ? n < width : n < 10)) {
		*v = *v * 10 + (*t - '0');
		t++, n++;
	}
	if (!n || (width > 0 && n < width))
		return -1;
	if (neg)
		*v = -*v;
	*tp = t;
	return 0;
}

static int parse_name(const char **tp, const char *const *names, int nnames, int *idx)
{
	for (int i = 0; i < nnames; i++) {
		size_t l = strlen(names[i]);
		if (!strncasecmp(*tp, names[i], l)) {
			*tp += l, *idx = i;
			return 0;
		}
	}
	for (int i = 0; i < nnames; i++)
		if (!strncasecmp(*tp, names[i], 3)) {
			*tp += 3, *idx = i;
			return 0;
		}
	return -1;
}

int ks_tf_datefmt_parse(const char *pattern, const char *text, int64_t *ms)
{
	int64_t y = 1970, mo = 1, d = 1, doy = -1, h = 0, mi = 0, s = 0, msec = 0, off = 0;
	int pm = -1, hour12 = 0, yy = 0;
	const char *t = text, *p = pattern;
	dfmt_el_t el, next;
	char err[64];

	while (dfmt_next(&p, &el, err, sizeof(err)) > 0) {
		const char *peek = p;
		int64_t v;
		int width = 0, idx;

		if (!el.letter) {
			for (size_t i = 0; i < el.litlen; i++) {
				char c = el.lit[i];
				if (el.quoted && c == '\'')
					i++;
				if (*t != c)
					return -1;
				t++;
			}
			continue;
		}
		/* abutting numeric fields read fixed widths (yyyyMMdd) */
		if (is_numeric_letter(el.letter) && dfmt_next(&peek, &next, err, sizeof(err)) > 0 &&
		    is_numeric_letter(next.letter))
			width = el.count;
		switch (el.letter) {
		case 'y':
			if (parse_num(&t, width, &v))
				return -1;
			y = v;
			yy = el.count <= 2 && v < 100 && v >= 0;
			break;
		case 'M':
		case 'L':
			if (el.count >= 3) {
				if (parse_name(&t, month_long, 12, &idx))
					return -1;
				mo = idx + 1;
			} else if (parse_num(&t, width, &mo))
				return -1;
			break;
		case 'E':
			if (parse_name(&t, day_long, 7, &idx))
				return -1;
			break;
		case 'a':
			if (!strncasecmp(t, "AM", 2))
				pm = 0;
			else if (!strncasecmp(t, "PM", 2))
				pm = 1;
			else
				return -1;
			t += 2;
			break;
		case 'G':
			if (!strncasecmp(t, "AD", 2))
				t += 2;
			else
				return -1;
			break;
		case 'z':
		case 'Z':
		case 'X':
			if (*t == 'Z') {
				t++;
			} else if (!strncmp(t, "UTC", 3) || !strncmp(t, "GMT", 3)) {
				t += 3;
				if (*t == '+' || *t == '-')
					goto numeric_offset;
			} else if (*t == '+' || *t == '-') {
			numeric_offset : {
				int sign = *t == '-' ? -1 : 1;
				int64_t oh = 0, om = 0;
				t++;
				if (parse_num(&t, 2, &oh))
					return -1;
				if (*t == ':')
					t++;
				if (isdigit((unsigned char)*t) && parse_num(&t, 2, &om))
					return -1;
				off = sign * (oh * 60 + om) * 60000;
			}
			} else {
				return -1;
			}
			break;
		default:
			if (parse_num(&t, width, &v))
				return -1;
			switch (el.letter) {
			case 'd':
				d = v;
				break;
			case 'D':
				doy = v;
				break;
			case 'H':
				h = v;
				break;
			case 'k':
				h = v == 24 ? 0 : v;
				break;
			case 'K':
				h = v, hour12 = 1;
				break;
			case 'h':
				h = v == 12 ? 0 : v, hour12 = 1;
				break;
			case 'm':
				mi = v;
				break;
			case 's':
				s = v;
				break;
			case 'S':
				msec = v;
				break;
			default: /* u */
				break;
			}
		}
	}
	if (yy) { /* SimpleDateFormat: within 80 years before and 20 after now */
		int64_t now = ks_wall_ms(), cy;
		int cm, cd;
		ks_tf_civil_from_days(floordiv(now, 86400000), &cy, &cm, &cd);
		y += (cy - 80) / 100 * 100;
		if (y < cy - 80)
			y += 100;
	}
	if (pm == 1 && (hour12 || h < 12))
		h += 12;
	/* lenient: out-of-range fields roll over */
	y += floordiv(mo - 1, 12);
	mo = mo - 1 - floordiv(mo - 1, 12) * 12 + 1;
	{
		int64_t days = doy >= 0 ? ks_tf_days_from_civil(y, 1, 1) + doy - 1
		                        : ks_tf_days_from_civil(y, (int)mo, 1) + d - 1;
		*ms = days * 86400000 + h * 3600000 + mi * 60000 + s * 1000 + msec - off;
	}
	return 0;
}
