/*
 * 0014-config_topics.c — ks_topics_matches (config/topics.c), the one
 * decision which topics a connector consumes: topics.regex matches the whole
 * topic name as in Kafka (Pattern.matcher(topic).matches()), so `rx` takes
 * `rx` but not `rxtail` or `pre_rx`; the librdkafka subscription pattern is
 * anchored the same way and POSIX regcomp agrees with the matcher.
 */
#include "../config/topics.h"
#include "lib/harness.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

/* What librdkafka 2.0.2 does with a "^..." subscription on Linux
 * (src/rdregex.c: regcomp REG_EXTENDED|REG_NOSUB, regexec != REG_NOMATCH). */
static int rdkafka_match(const char *pattern, const char *topic)
{
	regex_t re;
	int m;

	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB))
		return -1;
	m = regexec(&re, topic, 0, NULL, 0) != REG_NOMATCH;
	regfree(&re);
	return m;
}

KS_TEST(regex_matches_whole_name)
{
	ks_topics_t t;
	char err[256];
	static const struct {
		const char *rx, *topic;
		int match;
	} cases[] = {
	        {"rx", "rx", 1},
	        {"rx", "rxtail", 0},
	        {"rx", "pre_rx", 0},
	        {"orders\\..*", "orders.eu", 1},
	        {"orders\\..*", "orders_eu", 0},
	        {"orders\\..*", "x.orders.eu", 0},
	        {"a|b", "a", 1},
	        {"a|b", "ab", 0},
	        {"^rx$", "rx", 1},
	        {"t\\d+", "t12", 1},
	        {"t\\d+", "t12x", 0},
	};

	for (size_t i = 0; i < KS_ARRAY_SIZE(cases); i++) {
		KS_CHECK(!ks_topics_init(&t, NULL, cases[i].rx, err, sizeof(err)), "%s: %s",
		         cases[i].rx, err);
		KS_CHECK(t.use_regex, "regex mode");
		KS_CHECK(ks_topics_matches(&t, cases[i].topic) == cases[i].match, "%s ~ %s",
		         cases[i].rx, cases[i].topic);
		KS_CHECK(t.pattern && t.pattern[0] == '^', "subscription pattern starts with ^");
		KS_CHECK(rdkafka_match(t.pattern, cases[i].topic) == cases[i].match,
		         "subscription %s ~ %s", t.pattern, cases[i].topic);
		ks_topics_clear(&t);
	}
}

KS_TEST(list_is_exact_and_trimmed)
{
	ks_topics_t t;
	char err[256];

	KS_CHECK(!ks_topics_init(&t, " a ,\tb,, c", NULL, err, sizeof(err)), "%s", err);
	KS_CHECK_INT(t.n, 3);
	KS_CHECK(!t.use_regex, "list mode");
	KS_CHECK(ks_topics_matches(&t, "a") && ks_topics_matches(&t, "b") &&
	                 ks_topics_matches(&t, "c"),
	         "listed");
	KS_CHECK(!ks_topics_matches(&t, "ab") && !ks_topics_matches(&t, " a"), "exact");
	ks_topics_clear(&t);

	KS_CHECK(!ks_topics_init(&t, "a", "", err, sizeof(err)), "%s", err);
	KS_CHECK(!t.use_regex && t.n == 1, "empty regex means the list");
	ks_topics_clear(&t);
}

KS_TEST(bad_regex_refused)
{
	ks_topics_t t;
	char err[256] = "";

	KS_CHECK(ks_topics_init(&t, NULL, "a(", err, sizeof(err)) == -1, "unbalanced");
	KS_CHECK(*err, "reason");
	KS_CHECK(ks_topics_init(&t, NULL, "a*?", err, sizeof(err)) == -1, "lazy refused");
	ks_topics_clear(&t);
}
