/*
 * javaregex.c — java.util.regex patterns on POSIX extended regular
 * expressions (regcomp): the translation the Connect settings that take a
 * Java regex need (RegexRouter, TopicNameMatches, topics.regex). Matching is
 * always Matcher.matches(): the whole string. \d \w \s and their negations,
 * \Q..\E and (?:...) are translated; what POSIX cannot express the same way
 * (lazy/possessive quantifiers, lookaround, named groups, backreferences) is
 * refused with a reason rather than matched differently.
 * Unit test: tests/0001-lib.c.
 */
#include "javaregex.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The bracket-expression members of Java's \d \w \s (ASCII, as Java's),
 * or NULL. */
static const char *java_class(char e)
{
	switch (e) {
	case 'd':
		return "0-9";
	case 'w':
		return "A-Za-z0-9_";
	case 's':
		return " \t\n\r\f\v";
	default:
		return NULL;
	}
}

/* The character Java's \t \n \r stand for, or 0. */
static char java_control(char e)
{
	return e == 't' ? '\t' : e == 'n' ? '\n' : e == 'r' ? '\r' : 0;
}

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
			if (java_class(c)) {
				ks_buf_puts(&rest, java_class(c));
				continue;
			}
			if (java_control(c)) {
				ks_buf_putc(&rest, java_control(c));
				continue;
			}
			switch (c) {
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

/* Translates java into an anchored POSIX ERE "^(...)$" appended to b and
 * records the group mapping in rx (rx->re is not touched). 0 or -1. */
static int translate(ks_javaregex_t *rx, const char *java, ks_buf_t *b_, char *errstr,
                     size_t errlen)
{
	ks_buf_t b = *b_;
	const char *p = java;
	int posix_group = 1;

	memset(rx, 0, sizeof(*rx));
	rx->map[0] = 0;
	ks_buf_puts(&b, "^(");
	while (*p) {
		char c = *p;
		if (c == '\\') {
			char e = p[1];
			const char *cls = java_class((char)tolower((unsigned char)e));
			p += 2;
			if (cls) { /* \D \W \S: the negations */
				ks_buf_printf(&b, "[%s%s]", isupper((unsigned char)e) ? "^" : "",
				              cls);
				continue;
			}
			if (java_control(e)) {
				ks_buf_putc(&b, java_control(e));
				continue;
			}
			switch (e) {
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
	*b_ = b;
	if (ks_buf_failed(&b)) {
		ks_buf_free(b_);
		return ks_seterr(errstr, errlen, -1, "out of memory");
	}
	rx->nposix = posix_group + 1;
	return 0;
}

int ks_javaregex_compile(ks_javaregex_t *rx, const char *java, char *errstr, size_t errlen)
{
	ks_buf_t b = KS_BUF_INIT;
	int rc;

	if (translate(rx, java, &b, errstr, errlen))
		return -1;
	rc = regcomp(&rx->re, b.data, REG_EXTENDED);
	ks_buf_free(&b);
	if (rc) {
		char why[256];
		regerror(rc, &rx->re, why, sizeof(why));
		return ks_seterr(errstr, errlen, -1, "%s", why);
	}
	rx->compiled = 1;
	return 0;
}

char *ks_javaregex_posix(const char *java, char *errstr, size_t errlen)
{
	ks_javaregex_t rx;
	ks_buf_t b = KS_BUF_INIT;

	if (translate(&rx, java, &b, errstr, errlen))
		return NULL;
	return ks_buf_steal(&b);
}

void ks_javaregex_free(ks_javaregex_t *rx)
{
	if (rx->compiled)
		regfree(&rx->re);
	rx->compiled = 0;
}

int ks_javaregex_matches(const ks_javaregex_t *rx, const char *s, regmatch_t *groups)
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

int ks_javaregex_check_replacement(const ks_javaregex_t *rx, const char *r, char *errstr,
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

void ks_javaregex_expand(const ks_javaregex_t *rx, const char *replacement, const char *s,
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
