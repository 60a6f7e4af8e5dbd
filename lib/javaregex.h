/*
 * javaregex.h — Java regexes (java.util.regex subset) on POSIX ERE, matched
 * like Matcher.matches() (the whole string). Used by the transforms
 * (RegexRouter, TopicNameMatches) and by topics.regex (config/topics.h).
 */
#ifndef KS_JAVAREGEX_H
#define KS_JAVAREGEX_H

#include "buf.h"
#include "ks.h"

#include <regex.h>

typedef struct ks_javaregex {
	regex_t re;
	int compiled;
	int ngroups; /* Java capturing groups */
	int nposix;  /* regmatch_t slots regexec needs */
	int map[32]; /* Java group n -> POSIX group index */
} ks_javaregex_t;

/* Compiles a Java regex for whole-string matches (Matcher.matches()):
 * \d \D \w \W \s \S, \Q..\E and (?:...) are translated; lazy and
 * possessive quantifiers, lookaround, named groups and backreferences are
 * refused with a reason in errstr. 0 ok, -1. */
int ks_javaregex_compile(ks_javaregex_t *rx, const char *java_regex, char *errstr,
                         size_t errlen) KS_WUR;
void ks_javaregex_free(ks_javaregex_t *rx);
/* The anchored POSIX ERE "^(...)$" for java_regex (caller frees), e.g. for a
 * librdkafka regex subscription (librdkafka matches with regcomp(REG_EXTENDED)
 * on Linux). NULL with the reason in errstr. */
char *ks_javaregex_posix(const char *java_regex, char *errstr, size_t errlen) KS_WUR;
/* 1 when s matches entirely; groups (ngroups + 1 entries, may be NULL) get
 * the Java groups (rm_so -1 when a group did not take part). */
int ks_javaregex_matches(const ks_javaregex_t *rx, const char *s, regmatch_t *groups);
/* Checks a Matcher.replaceFirst replacement against rx's groups. */
int ks_javaregex_check_replacement(const ks_javaregex_t *rx, const char *replacement, char *errstr,
                                   size_t errlen);
/* Java Matcher.replaceFirst on a whole match: $n group references (more
 * digits while the number stays a valid group), \x escapes. */
void ks_javaregex_expand(const ks_javaregex_t *rx, const char *replacement, const char *s,
                         const regmatch_t *groups, ks_buf_t *out);

#endif
