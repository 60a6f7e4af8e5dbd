/*
 * json_scan.c — locates the "schema" and "payload" values of a JsonConverter
 * envelope without parsing them (json_scan.h). Only the JsonConverter's fast
 * path uses it; correctness rests on two facts: a byte span equal to a schema
 * text jansson has already accepted is that same valid schema, and the
 * payload span is parsed by jansson afterwards, so this scanner only has to
 * find boundaries right for valid JSON and to stay inside the buffer for any
 * bytes.
 */
#include "json_scan.h"

#include <string.h>

static int is_ws(char c)
{
	/* jansson's whitespace set (load.c) */
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && is_ws(*p))
		p++;
	return p;
}

/* p just after an opening quote; returns just after the closing quote. */
static const char *skip_string(const char *p, const char *end)
{
	while (p < end) {
		const char *q = memchr(p, '"', (size_t)(end - p));
		const char *b;
		if (!q)
			return NULL;
		/* a quote preceded by an odd number of backslashes is escaped */
		for (b = q; b > p && b[-1] == '\\'; b--)
			;
		if (((q - b) & 1) == 0)
			return q + 1;
		p = q + 1;
	}
	return NULL;
}

const char *ks_json_skip_value(const char *p, const char *end, int max_depth)
{
	int depth = 0;

	if (p >= end)
		return NULL;
	switch (*p) {
	case '"':
		return skip_string(p + 1, end);
	case '{':
	case '[':
		break;
	case ',':
	case ':':
	case ']':
	case '}':
		return NULL;
	default:
		if (is_ws(*p))
			return NULL;
		while (p < end && !is_ws(*p) && *p != ',' && *p != ']' && *p != '}')
			p++;
		return p;
	}
	while (p < end) {
		char c = *p++;
		if (c == '"') {
			if (!(p = skip_string(p, end)))
				return NULL;
		} else if (c == '{' || c == '[') {
			if (++depth > max_depth)
				return NULL;
		} else if (c == '}' || c == ']') {
			if (--depth == 0)
				return p;
		}
	}
	return NULL;
}

/* An unescaped key "name": returns the position after it, or NULL. */
static const char *match_key(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);

	if ((size_t)(end - p) < n + 2 || p[0] != '"' || memcmp(p + 1, name, n) || p[n + 1] != '"')
		return NULL;
	return p + n + 2;
}

int ks_json_scan_envelope(const char *data, size_t len, ks_json_known_fn known, void *opaque,
                          int max_depth, ks_json_span_t *schema, ks_json_span_t *payload)
{
	const char *p = data, *end = data + len, *q;
	int seen_schema = 0, seen_payload = 0;

	p = skip_ws(p, end);
	if (p == end || *p++ != '{')
		return -1;
	for (int i = 0; i < 2; i++) {
		int is_schema;
		p = skip_ws(p, end);
		if ((q = match_key(p, end, "schema")) && !seen_schema)
			is_schema = 1;
		else if ((q = match_key(p, end, "payload")) && !seen_payload)
			is_schema = 0;
		else
			return -1;
		p = skip_ws(q, end);
		if (p == end || *p++ != ':')
			return -1;
		p = skip_ws(p, end);
		if (is_schema) {
			size_t k;
			if (p == end || *p != '{')
				return -1;
			if (known && (k = known(opaque, p, (size_t)(end - p))) > 0)
				q = p + k;
			else if (!(q = ks_json_skip_value(p, end, max_depth)))
				return -1;
			schema->ptr = p;
			schema->len = (size_t)(q - p);
			seen_schema = 1;
		} else {
			if (!(q = ks_json_skip_value(p, end, max_depth)))
				return -1;
			payload->ptr = p;
			payload->len = (size_t)(q - p);
			seen_payload = 1;
		}
		p = skip_ws(q, end);
		if (p == end || *p++ != (i == 0 ? ',' : '}'))
			return -1;
	}
	p = skip_ws(p, end);
	return p == end ? 0 : -1;
}
