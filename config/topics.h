/*
 * topics.h — which topics a sink connector consumes: its `topics` list or
 * its `topics.regex`, decided in one place for the consumer subscription
 * (worker/task.c) and for every view that lists a connector's topics or
 * partitions (worker/herder.c).
 *
 * topics.regex means what it means in Kafka: a java.util.regex Pattern that
 * must match the WHOLE topic name (the consumer's
 * Pattern.matcher(topic).matches()), so `orders` does not consume
 * `orders_eu` or `pre_orders`. The librdkafka subscription uses the same
 * translation, anchored "^(...)$" (lib/javaregex.h).
 */
#ifndef KS_TOPICS_H
#define KS_TOPICS_H

#include "../lib/javaregex.h"
#include "../lib/ks.h"

typedef struct ks_topics {
	char **names; /* topics=: trimmed, empty items dropped */
	size_t n;
	int use_regex;     /* topics.regex set (it wins over topics) */
	ks_javaregex_t rx; /* compiled topics.regex */
	char *pattern;     /* "^(...)$": the librdkafka regex subscription */
} ks_topics_t;

/*
 * Parses a connector's topics / topics.regex values (either may be NULL or
 * empty). 0 ok; -1 with errstr on a bad regex or allocation failure (t is
 * then cleared). Neither set is not an error here: n == 0 and !use_regex.
 */
int ks_topics_init(ks_topics_t *t, const char *topics, const char *regex, char *errstr,
                   size_t errlen) KS_WUR;
/* 1 when the connector consumes topic (whole-name regex match, or equal to
 * one of the listed names). */
int ks_topics_matches(const ks_topics_t *t, const char *topic);
/* Frees what init allocated; accepts a zeroed or cleared t. */
void ks_topics_clear(ks_topics_t *t);

#endif
