/*
 * topics.c — the one decision "does this connector consume topic X" (see
 * topics.h): a topics list or a Java topics.regex matched against the whole
 * name. Unit test: tests/0014-config_topics.c; end to end: 0404, 0407.
 */
#include "topics.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int add_name(ks_topics_t *t, const char *s, size_t len)
{
	char **v = realloc(t->names, (t->n + 1) * sizeof(*v));

	if (!v)
		return -1;
	t->names = v;
	if (!(v[t->n] = ks_strndup(s, len)))
		return -1;
	t->n++;
	return 0;
}

int ks_topics_init(ks_topics_t *t, const char *topics, const char *regex, char *errstr,
                   size_t errlen)
{
	memset(t, 0, sizeof(*t));
	if (regex && *regex) {
		if (ks_javaregex_compile(&t->rx, regex, errstr, errlen))
			return -1;
		t->use_regex = 1;
		if (!(t->pattern = ks_javaregex_posix(regex, errstr, errlen))) {
			ks_topics_clear(t);
			return -1;
		}
		return 0;
	}
	for (const char *s = topics; s && *s;) {
		const char *e = strchr(s, ',');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		while (len && isspace((unsigned char)*s))
			s++, len--;
		while (len && isspace((unsigned char)s[len - 1]))
			len--;
		if (len && add_name(t, s, len)) {
			ks_topics_clear(t);
			return ks_seterr(errstr, errlen, -1, "out of memory");
		}
		if (!e)
			break;
		s = e + 1;
	}
	return 0;
}

int ks_topics_matches(const ks_topics_t *t, const char *topic)
{
	if (t->use_regex)
		return ks_javaregex_matches(&t->rx, topic, NULL);
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->names[i], topic))
			return 1;
	return 0;
}

void ks_topics_clear(ks_topics_t *t)
{
	ks_strv_free(t->names, t->n);
	if (t->use_regex)
		ks_javaregex_free(&t->rx);
	free(t->pattern);
	memset(t, 0, sizeof(*t));
}
