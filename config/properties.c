/*
 * properties.c — Java .properties parser (java.util.Properties.load rules):
 * natural lines end in \n, \r or \r\n; a line ending in an odd number of
 * backslashes continues on the next (whose leading blanks are dropped);
 * # and ! start comments; the key ends at the first unescaped '=', ':' or
 * blank; escapes \t \n \r \f \uXXXX, and "\c" means c.
 */
#include "config.h"

#include "../lib/buf.h"
#include "../lib/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\f';
}

/* The 4 hex digits at s (before e) of a \uXXXX escape, or -1. */
static long hex4(const char *s, const char *e)
{
	long cp = 0;

	for (int i = 0; i < 4; i++) {
		int h = s + i < e ? ks_hexval(s[i]) : -1;
		if (h < 0)
			return -1;
		cp = cp * 16 + h;
	}
	return cp;
}

static void put_utf8(ks_buf_t *b, unsigned cp)
{
	char u[4];

	if (cp < 0x80) {
		ks_buf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		ks_buf_append(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		ks_buf_append(b, u, 3);
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		ks_buf_append(b, u, 4);
	}
}

/*
 * Unescapes a logical line segment [s, e) into out. Stops at the first
 * unescaped key terminator when key_mode; returns the position reached.
 */
static const char *unescape(const char *s, const char *e, int key_mode, ks_buf_t *out, int line,
                            char *errstr, size_t errlen, int *err)
{
	while (s < e) {
		char c = *s;
		if (key_mode && (c == '=' || c == ':' || is_blank(c)))
			return s;
		if (c != '\\') {
			ks_buf_putc(out, c);
			s++;
			continue;
		}
		if (++s >= e)
			break;
		c = *s++;
		switch (c) {
		case 't':
		case 'n':
		case 'r':
		case 'f':
			ks_buf_putc(out, "\t\n\r\f"[strchr("tnrf", c) - "tnrf"]);
			break;
		case 'u': {
			long cp = hex4(s, e), lo;
			if (cp < 0) {
				*err = ks_seterr(errstr, errlen, -1,
				                 "line %d: malformed \\uXXXX escape", line);
				return e;
			}
			s += 4;
			/* surrogate pair \uD83D\uDE00 */
			if (cp >= 0xD800 && cp <= 0xDBFF && e - s >= 6 && s[0] == '\\' &&
			    s[1] == 'u' && (lo = hex4(s + 2, e)) >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				s += 6;
			}
			put_utf8(out, (unsigned)cp);
			break;
		}
		default:
			ks_buf_putc(out, c);
			break;
		}
	}
	return s;
}

int ks_properties_parse(const char *text, size_t len, ks_props_t *out, char *errstr, size_t errlen)
{
	const char *p = text, *end = text + len;
	ks_buf_t logical = KS_BUF_INIT, key = KS_BUF_INIT, val = KS_BUF_INIT;
	int line = 0, ret = 0;

	while (p < end && !ret) {
		int start_line = ++line, first = 1;

		ks_buf_reset(&logical);
		/* gather one logical line */
		for (;;) {
			const char *nl = p;
			size_t bs = 0;
			while (nl < end && *nl != '\n' && *nl != '\r')
				nl++;
			if (!first)
				while (p < nl && is_blank(*p))
					p++;
			/* comment or blank natural line at the start of a logical line */
			if (first) {
				const char *q = p;
				while (q < nl && is_blank(*q))
					q++;
				if (q == nl || *q == '#' || *q == '!') {
					p = nl;
					if (p < end && *p == '\r')
						p++;
					if (p < end && *p == '\n')
						p++;
					goto next_line;
				}
				p = q;
			}
			for (const char *q = nl; q > p && q[-1] == '\\'; q--)
				bs++;
			ks_buf_append(&logical, p, (size_t)(nl - p) - (bs % 2));
			p = nl;
			if (p < end && *p == '\r')
				p++;
			if (p < end && *p == '\n')
				p++;
			if (bs % 2 == 0 || p >= end)
				break;
			line++;
			first = 0;
		}
		if (ks_buf_failed(&logical)) {
			ret = ks_seterr(errstr, errlen, -1, "out of memory");
			break;
		}
		{
			const char *s = logical.data ? logical.data : "";
			const char *e = s + logical.len;
			int err = 0;

			ks_buf_reset(&key);
			ks_buf_reset(&val);
			s = unescape(s, e, 1, &key, start_line, errstr, errlen, &err);
			while (s < e && is_blank(*s))
				s++;
			if (s < e && (*s == '=' || *s == ':'))
				s++;
			while (s < e && is_blank(*s))
				s++;
			if (!err)
				unescape(s, e, 0, &val, start_line, errstr, errlen, &err);
			if (err) {
				ret = -1;
				break;
			}
			if (ks_buf_failed(&key) || ks_buf_failed(&val) ||
			    ks_props_setn(out, key.data ? key.data : "", key.len,
			                  val.data ? val.data : "", val.len)) {
				ret = ks_seterr(errstr, errlen, -1, "out of memory");
				break;
			}
		}
	next_line:;
	}
	ks_buf_free(&logical);
	ks_buf_free(&key);
	ks_buf_free(&val);
	return ret;
}

int ks_properties_load(const char *path, ks_props_t *out, char *errstr, size_t errlen)
{
	ks_buf_t b = KS_BUF_INIT;
	int ret;

	if (ks_file_read(path, &b, errstr, errlen)) {
		ks_buf_free(&b);
		return -1;
	}
	ret = ks_properties_parse(b.data ? b.data : "", b.len, out, errstr, errlen);
	if (ret) {
		/* prefix the path to the parser's message */
		char msg[KS_ERRSTR_SIZE];
		snprintf(msg, sizeof(msg), "%s: %s", path, errstr ? errstr : "");
		ks_seterr(errstr, errlen, ret, "%s", msg);
	}
	ks_buf_free(&b);
	return ret;
}
