/*
 * transform_record.c — the transforms that work on a record's topic and
 * headers rather than its data, and the predicates:
 *   RegexRouter, TimestampRouter, Filter, DropHeaders, InsertHeader
 *   (HeaderFrom is refused: ksink keeps headers as raw bytes)
 *   predicates TopicNameMatches, HasHeaderKey, RecordIsTombstone
 * Header arrays are never changed in place (the record as consumed keeps
 * its own for the dead letter queue): a transform builds a new array.
 */
#include "transform_impl.h"

#include <stdlib.h>
#include <string.h>

static const ks_cfg_def_t no_defs[] = {KS_CFG_END};

/* ---------------- RegexRouter ---------------- */

typedef struct router {
	ks_javaregex_t rx;
	char *replacement;
} router_t;

static const ks_cfg_def_t regex_router_defs[] = {
        {.name = "regex",
         .type = KS_CFG_STRING,
         .required = 1,
         .importance = KS_IMP_HIGH,
         .doc = "Regular expression to use for matching."},
        {.name = "replacement",
         .type = KS_CFG_STRING,
         .required = 1,
         .importance = KS_IMP_HIGH,
         .doc = "Replacement string."},
        KS_CFG_END,
};

static int regex_router_init(ks_tf_t *tf, const ks_config_t *cfg, const char **bad, char *errstr,
                             size_t errlen)
{
	router_t *r = ks_tf_state_new(tf, sizeof(*r), errstr, errlen);

	if (!r)
		return -1;
	if (ks_javaregex_compile(&r->rx, ks_config_string(cfg, "regex"), errstr, errlen)) {
		*bad = "regex";
		return -1;
	}
	if (ks_javaregex_check_replacement(&r->rx, ks_config_string(cfg, "replacement"), errstr,
	                                   errlen)) {
		*bad = "replacement";
		return -1;
	}
	if (!(r->replacement = ks_strdup(ks_config_string(cfg, "replacement"))))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	return 0;
}

static void regex_router_destroy(ks_tf_t *tf)
{
	router_t *r = tf->state;
	ks_javaregex_free(&r->rx);
	free(r->replacement);
	free(r);
}

static ks_err_t set_topic(ks_record_t *rec, ks_arena_t *a, ks_buf_t *b, char *errstr, size_t errlen)
{
	char *topic;

	if (ks_buf_failed(b) || !(topic = ks_arena_memdup(a, b->data ? b->data : "", b->len))) {
		ks_buf_free(b);
		return ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
	}
	ks_buf_free(b);
	rec->topic = topic;
	return KS_OK;
}

static ks_err_t regex_router_apply(ks_tf_t *tf, ks_record_t *rec, ks_arena_t *a, int *drop,
                                   char *errstr, size_t errlen)
{
	router_t *r = tf->state;
	regmatch_t g[KS_ARRAY_SIZE(r->rx.map) + 1];
	ks_buf_t b = KS_BUF_INIT;

	(void)drop;
	if (!ks_javaregex_matches(&r->rx, rec->topic, g))
		return KS_OK;
	ks_javaregex_expand(&r->rx, r->replacement, rec->topic, g, &b);
	return set_topic(rec, a, &b, errstr, errlen);
}

const ks_tf_class_t ks_tf_regex_router = {
        .name = "org.apache.kafka.connect.transforms.RegexRouter",
        .defs = regex_router_defs,
        .init = regex_router_init,
        .apply = regex_router_apply,
        .destroy = regex_router_destroy,
};

/* ---------------- TimestampRouter ---------------- */

typedef struct ts_router {
	char *topic_format, *ts_format;
} ts_router_t;

static const ks_cfg_def_t ts_router_defs[] = {
        {.name = "topic.format",
         .type = KS_CFG_STRING,
         .default_value = "${topic}-${timestamp}",
         .importance = KS_IMP_HIGH,
         .doc = "Format string which can contain ${topic} and ${timestamp} as placeholders "
                "for the topic and timestamp, respectively."},
        {.name = "timestamp.format",
         .type = KS_CFG_STRING,
         .default_value = "yyyyMMdd",
         .importance = KS_IMP_HIGH,
         .doc = "Format string for the timestamp that is compatible with "
                "java.text.SimpleDateFormat (UTC)."},
        KS_CFG_END,
};

static int ts_router_init(ks_tf_t *tf, const ks_config_t *cfg, const char **bad, char *errstr,
                          size_t errlen)
{
	ts_router_t *r = ks_tf_state_new(tf, sizeof(*r), errstr, errlen);

	if (!r)
		return -1;
	if (ks_javadate_check(ks_config_string(cfg, "timestamp.format"), errstr, errlen)) {
		*bad = "timestamp.format";
		return -1;
	}
	r->topic_format = ks_strdup(ks_config_string(cfg, "topic.format"));
	r->ts_format = ks_strdup(ks_config_string(cfg, "timestamp.format"));
	if (!r->topic_format || !r->ts_format)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	return 0;
}

static void ts_router_destroy(ks_tf_t *tf)
{
	ts_router_t *r = tf->state;
	free(r->topic_format);
	free(r->ts_format);
	free(r);
}

static ks_err_t ts_router_apply(ks_tf_t *tf, ks_record_t *rec, ks_arena_t *a, int *drop,
                                char *errstr, size_t errlen)
{
	ts_router_t *r = tf->state;
	ks_buf_t ts = KS_BUF_INIT, b = KS_BUF_INIT;
	const char *f = r->topic_format;

	(void)drop;
	if (rec->timestamp < 0)
		return ks_seterr(errstr, errlen, KS_ERR_RECORD,
		                 "Timestamp missing on record: %s[%d]@%lld", rec->topic,
		                 (int)rec->partition, (long long)rec->offset);
	ks_javadate_format(r->ts_format, rec->timestamp, &ts);
	while (*f) {
		if (!strncmp(f, "${topic}", 8)) {
			ks_buf_puts(&b, rec->topic);
			f += 8;
		} else if (!strncmp(f, "${timestamp}", 12)) {
			ks_buf_append(&b, ts.data ? ts.data : "", ts.len);
			f += 12;
		} else {
			ks_buf_putc(&b, *f++);
		}
	}
	ks_buf_free(&ts);
	return set_topic(rec, a, &b, errstr, errlen);
}

const ks_tf_class_t ks_tf_timestamp_router = {
        .name = "org.apache.kafka.connect.transforms.TimestampRouter",
        .defs = ts_router_defs,
        .init = ts_router_init,
        .apply = ts_router_apply,
        .destroy = ts_router_destroy,
};

/* ---------------- Filter ---------------- */

static ks_err_t filter_apply(ks_tf_t *tf, ks_record_t *rec, ks_arena_t *a, int *drop, char *errstr,
                             size_t errlen)
{
	(void)tf, (void)rec, (void)a, (void)errstr, (void)errlen;
	*drop = 1;
	return KS_OK;
}

const ks_tf_class_t ks_tf_filter = {
        .name = "org.apache.kafka.connect.transforms.Filter",
        .defs = no_defs,
        .apply = filter_apply,
};

/* ---------------- DropHeaders ---------------- */

static const ks_cfg_def_t drop_headers_defs[] = {
        {.name = "headers",
         .type = KS_CFG_LIST,
         .required = 1,
         .non_empty = 1,
         .importance = KS_IMP_HIGH,
         .doc = "The name of the headers to be removed."},
        KS_CFG_END,
};

static int drop_headers_init(ks_tf_t *tf, const ks_config_t *cfg, const char **bad, char *errstr,
                             size_t errlen)
{
	ks_tf_strlist_t *nm = ks_tf_state_new(tf, sizeof(*nm), errstr, errlen);

	(void)bad;
	if (!nm)
		return -1;
	if (ks_tf_strlist_load(nm, cfg, "headers"))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	return 0;
}

static void drop_headers_destroy(ks_tf_t *tf)
{
	ks_tf_strlist_free(tf->state);
	free(tf->state);
}

static ks_err_t drop_headers_apply(ks_tf_t *tf, ks_record_t *rec, ks_arena_t *a, int *drop,
                                   char *errstr, size_t errlen)
{
	const ks_tf_strlist_t *nm = tf->state;
	ks_header_t *h;
	size_t n = 0, keep = 0;

	(void)drop;
	for (size_t i = 0; i < rec->nheaders; i++)
		keep += !ks_tf_strlist_has(nm, rec->headers[i].key);
	if (keep == rec->nheaders)
		return KS_OK;
	if (!(h = ks_arena_calloc(a, keep ? keep : 1, sizeof(*h))))
		return ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
	for (size_t i = 0; i < rec->nheaders; i++)
		if (!ks_tf_strlist_has(nm, rec->headers[i].key))
			h[n++] = rec->headers[i];
	rec->headers = h;
	rec->nheaders = n;
	return KS_OK;
}

const ks_tf_class_t ks_tf_drop_headers = {
        .name = "org.apache.kafka.connect.transforms.DropHeaders",
        .defs = drop_headers_defs,
        .init = drop_headers_init,
        .apply = drop_headers_apply,
        .destroy = drop_headers_destroy,
};

/* ---------------- InsertHeader ---------------- */

typedef struct ins_header {
	char *name, *value;
} ins_header_t;

static const ks_cfg_def_t insert_header_defs[] = {
        {.name = "header",
         .type = KS_CFG_STRING,
         .required = 1,
         .non_empty = 1,
         .importance = KS_IMP_HIGH,
         .doc = "The name of the header."},
        {.name = "value.literal",
         .type = KS_CFG_STRING,
         .required = 1,
         .importance = KS_IMP_HIGH,
         .doc = "The literal value that is to be set as the header value on all records "
                "(stored as its UTF-8 text)."},
        KS_CFG_END,
};

static int insert_header_init(ks_tf_t *tf, const ks_config_t *cfg, const char **bad, char *errstr,
                              size_t errlen)
{
	ins_header_t *h = ks_tf_state_new(tf, sizeof(*h), errstr, errlen);

	(void)bad;
	if (!h)
		return -1;
	h->name = ks_strdup(ks_config_string(cfg, "header"));
	h->value = ks_strdup(ks_config_string(cfg, "value.literal"));
	if (!h->name || !h->value)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	return 0;
}

static void insert_header_destroy(ks_tf_t *tf)
{
	ins_header_t *h = tf->state;
	free(h->name);
	free(h->value);
	free(h);
}

static ks_err_t insert_header_apply(ks_tf_t *tf, ks_record_t *rec, ks_arena_t *a, int *drop,
                                    char *errstr, size_t errlen)
{
	const ins_header_t *ih = tf->state;
	ks_header_t *h = ks_arena_calloc(a, rec->nheaders + 1, sizeof(*h));

	(void)drop;
	if (!h)
		return ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
	if (rec->nheaders)
		memcpy(h, rec->headers, rec->nheaders * sizeof(*h));
	h[rec->nheaders].key = ih->name; /* the chain outlives the batch */
	h[rec->nheaders].value = ih->value;
	h[rec->nheaders].len = strlen(ih->value);
	rec->headers = h;
	rec->nheaders++;
	return KS_OK;
}

const ks_tf_class_t ks_tf_insert_header = {
        .name = "org.apache.kafka.connect.transforms.InsertHeader",
        .defs = insert_header_defs,
        .init = insert_header_init,
        .apply = insert_header_apply,
        .destroy = insert_header_destroy,
};

/* ---------------- HeaderFrom: refused ---------------- */

#define HEADER_FROM_WHY                                                                            \
	"ksink keeps headers as raw bytes and has no header converter; use InsertField or "        \
	"ExtractNewRecordState add.fields instead"

KS_TF_KEY_VALUE(ks_tf_header_from, "org.apache.kafka.connect.transforms.HeaderFrom",
                .defs = no_defs, .unsupported = HEADER_FROM_WHY);

/* ---------------- predicates ---------------- */

static const ks_cfg_def_t topic_matches_defs[] = {
        {.name = "pattern",
         .type = KS_CFG_STRING,
         .required = 1,
         .non_empty = 1,
         .importance = KS_IMP_MEDIUM,
         .doc = "A Java regular expression for matching against the name of a record's "
                "topic."},
        KS_CFG_END,
};

static int topic_matches_init(ks_pred_t *p, const ks_config_t *cfg, const char **bad, char *errstr,
                              size_t errlen)
{
	ks_javaregex_t *rx = calloc(1, sizeof(*rx));

	if (!rx)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	p->state = rx;
	if (ks_javaregex_compile(rx, ks_config_string(cfg, "pattern"), errstr, errlen)) {
		*bad = "pattern";
		return -1;
	}
	return 0;
}

static int topic_matches_test(ks_pred_t *p, const ks_record_t *rec)
{
	return ks_javaregex_matches(p->state, rec->topic, NULL);
}

static void topic_matches_destroy(ks_pred_t *p)
{
	ks_javaregex_free(p->state);
	free(p->state);
}

const ks_pred_class_t ks_pred_topic_name_matches = {
        .name = "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
        .defs = topic_matches_defs,
        .init = topic_matches_init,
        .test = topic_matches_test,
        .destroy = topic_matches_destroy,
};

static const ks_cfg_def_t has_header_defs[] = {
        {.name = "name",
         .type = KS_CFG_STRING,
         .required = 1,
         .non_empty = 1,
         .importance = KS_IMP_MEDIUM,
         .doc = "The header name."},
        KS_CFG_END,
};

static int has_header_init(ks_pred_t *p, const ks_config_t *cfg, const char **bad, char *errstr,
                           size_t errlen)
{
	(void)bad;
	if (!(p->state = ks_strdup(ks_config_string(cfg, "name"))))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	return 0;
}

static int has_header_test(ks_pred_t *p, const ks_record_t *rec)
{
	for (size_t i = 0; i < rec->nheaders; i++)
		if (!strcmp(rec->headers[i].key, p->state))
			return 1;
	return 0;
}

static void free_state(ks_pred_t *p)
{
	free(p->state);
}

const ks_pred_class_t ks_pred_has_header_key = {
        .name = "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
        .defs = has_header_defs,
        .init = has_header_init,
        .test = has_header_test,
        .destroy = free_state,
};

static int tombstone_test(ks_pred_t *p, const ks_record_t *rec)
{
	(void)p;
	return rec->value == NULL || rec->value->is_null;
}

const ks_pred_class_t ks_pred_record_is_tombstone = {
        .name = "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
        .defs = no_defs,
        .test = tombstone_test,
};
