/*
 * 0150-transform_chain — the transforms / predicates keys of a connector
 * config: building a chain, every kind of bad config (unknown class, missing
 * key, bad regex, undefined predicate, duplicate alias, refused class),
 * predicates with negate, chain order, the record restored after a failed
 * transform and rec->src after a successful one; and the same keys through
 * the validate path (ks_transform_defs_new + ks_transform_validate) as
 * Connect's ConfigInfos errors per key.
 * needs: none (a unit test: tests/run.sh starts no stack for it)
 */
#include "../connectors/connector.h"
#include "transform_helpers.h"

#define VAL_S                                                                                      \
	"{\"schema\":{\"type\":\"struct\",\"name\":\"bet\",\"fields\":["                           \
	"{\"field\":\"id\",\"type\":\"int32\"},{\"field\":\"who\",\"type\":\"string\"}]},"         \
	"\"payload\":{\"id\":7,\"who\":\"ann\"}}"

KS_TEST(no_transforms_is_an_empty_chain)
{
	ks_transform_chain_t *c = tt_chain("name=x\ntopics=t\n");
	ks_record_t *r;
	KS_CHECK(c, "%s", tt_err);
	KS_CHECK_INT(ks_transform_chain_size(c), 0);
	r = tt_rec("t", NULL, VAL_S);
	KS_CHECK(tt_apply(c, r) == KS_OK && !tt_drop, "apply: %s", tt_err);
	KS_CHECK(r->src == NULL, "no copy of the record without transforms");
	ks_transform_chain_destroy(c);
	c = tt_chain("transforms=\n");
	KS_CHECK(c && ks_transform_chain_size(c) == 0, "empty list: %s", tt_err);
	ks_transform_chain_destroy(c);
	ks_transform_chain_destroy(NULL);
}

static const struct {
	const char *props, *expect;
} bad[] = {
        {"transforms=a\ntransforms.a.type=com.example.Nope\n",
         "Invalid value com.example.Nope for configuration transforms.a.type: Class "
         "com.example.Nope could not be found."},
        {"transforms=a\n",
         "Missing required configuration \"transforms.a.type\" which has no default value."},
        {"transforms=r\ntransforms.r.type=org.apache.kafka.connect.transforms.RegexRouter\n"
         "transforms.r.regex=x\n",
         "Missing required configuration \"transforms.r.replacement\""},
        {"transforms=r\ntransforms.r.type=org.apache.kafka.connect.transforms.RegexRouter\n"
         "transforms.r.regex=(a\ntransforms.r.replacement=b\n",
         "Invalid value (a for configuration transforms.r.regex:"},
        {"transforms=r\ntransforms.r.type=org.apache.kafka.connect.transforms.RegexRouter\n"
         "transforms.r.regex=a(.*)\ntransforms.r.replacement=$2\n",
         "Invalid value $2 for configuration transforms.r.replacement: No group 2"},
        {"transforms=f\ntransforms.f.type=org.apache.kafka.connect.transforms.Filter\n"
         "transforms.f.predicate=p\n",
         "The predicate 'p' referenced by transformation 'f' is not defined"},
        {"transforms=h\ntransforms.h.type=org.apache.kafka.connect.transforms.HeaderFrom$Value\n",
         "HeaderFrom$Value is not supported by ksink"},
        {"transforms=a,a\ntransforms.a.type=org.apache.kafka.connect.transforms.Filter\n",
         "Duplicate alias provided."},
        {"transforms=c\ntransforms.c.type=org.apache.kafka.connect.transforms.Cast$Value\n"
         "transforms.c.spec=id:bytes\n",
         "Cast transformation does not support casting to BYTES"},
        {"transforms=c\ntransforms.c.type=org.apache.kafka.connect.transforms.Cast$Value\n"
         "transforms.c.spec=id:int32,string\n",
         "may ony specify a single cast"},
        {"transforms=c\ntransforms.c.type=org.apache.kafka.connect.transforms.Cast$Value\n"
         "transforms.c.spec=id:number\n",
         "Invalid type found in casting spec: number"},
        {"transforms=f\ntransforms.f.type=org.apache.kafka.connect.transforms.Filter\n"
         "transforms.f.negate=maybe\n",
         "Invalid value maybe for configuration transforms.f.negate"},
        {"transforms=t\n"
         "transforms.t.type=org.apache.kafka.connect.transforms.TimestampConverter$Value\n"
         "transforms.t.target.type=string\n",
         "requires format option"},
        {"transforms=t\n"
         "transforms.t.type=org.apache.kafka.connect.transforms.TimestampConverter$Value\n"
         "transforms.t.target.type=century\n",
         "Invalid value century for configuration transforms.t.target.type"},
        {"transforms=rf\n"
         "transforms.rf.type=org.apache.kafka.connect.transforms.ReplaceField$Value\n"
         "transforms.rf.renames=a:b:c\n",
         "Invalid rename mapping: a:b:c"},
        {"transforms=v\ntransforms.v.type=org.apache.kafka.connect.transforms.ValueToKey\n"
         "transforms.v.fields=\n",
         "transforms.v.fields"},
        {"transforms=v\ntransforms.v.type=org.apache.kafka.connect.transforms.ValueToKey\n"
         "transforms.v.fields=id\ntransforms.v.field.syntax.version=V2\n",
         "V2 is not supported by ksink"},
        {"predicates=p\npredicates.p.type=org.apache.kafka.connect.transforms.predicates."
         "TopicNameMatches\n",
         "Missing required configuration \"predicates.p.pattern\""},
        {"predicates=p\npredicates.p.type=org.apache.kafka.connect.transforms.predicates.Nope\n",
         "Class org.apache.kafka.connect.transforms.predicates.Nope could not be found."},
        {"transforms=u\ntransforms.u.type=io.debezium.transforms.ExtractNewRecordState\n"
         "transforms.u.delete.tombstone.handling.mode=keep\n",
         "Invalid value keep for configuration transforms.u.delete.tombstone.handling.mode"},
};

KS_TEST(bad_configs_fail_with_a_message_naming_the_key)
{
	for (size_t i = 0; i < KS_ARRAY_SIZE(bad); i++) {
		ks_transform_chain_t *c = tt_chain(bad[i].props);
		KS_CHECK(!c, "case %zu accepted", i);
		KS_CHECK(tt_has(tt_err, bad[i].expect), "case %zu: \"%s\" lacks \"%s\"", i, tt_err,
		         bad[i].expect);
	}
}

KS_TEST(java_regex_subset)
{
	/* \d, (?:), \Q..\E work; lazy quantifiers and lookaround are refused */
	ks_transform_chain_t *c = tt_chain(
	        "transforms=r\ntransforms.r.type=org.apache.kafka.connect.transforms.RegexRouter\n"
	        "transforms.r.regex=(?:db|srv)\\\\.([a-z]+)_(\\\\d+)\\\\Q.x\\\\E\n"
	        "transforms.r.replacement=$1-$2\n");
	ks_record_t *r;
	KS_CHECK(c, "%s", tt_err);
	r = tt_rec("srv.bets_2024.x", NULL, NULL);
	KS_CHECK(tt_apply(c, r) == KS_OK, "%s", tt_err);
	KS_CHECK_STR(r->topic, "bets-2024");
	r = tt_rec("srv.bets_2024_x", NULL, NULL);
	KS_CHECK(tt_apply(c, r) == KS_OK, "%s", tt_err);
	KS_CHECK_STR(r->topic, "srv.bets_2024_x"); /* no match: unchanged */
	ks_transform_chain_destroy(c);
	KS_CHECK(!tt_chain("transforms=r\ntransforms.r.type=org.apache.kafka.connect.transforms."
	                   "RegexRouter\ntransforms.r.regex=a.*?b\ntransforms.r.replacement=x\n"),
	         "lazy quantifier accepted");
	KS_CHECK(tt_has(tt_err, "lazy"), "%s", tt_err);
	KS_CHECK(!tt_chain("transforms=r\ntransforms.r.type=org.apache.kafka.connect.transforms."
	                   "RegexRouter\ntransforms.r.regex=(?=a)b\ntransforms.r.replacement=x\n"),
	         "lookahead accepted");
}

#define FILTER_TOMBSTONES(negate)                                                                  \
	"transforms=drop\n"                                                                        \
	"transforms.drop.type=org.apache.kafka.connect.transforms.Filter\n"                        \
	"transforms.drop.predicate=isTomb\n"                                                       \
	"transforms.drop.negate=" negate "\n"                                                      \
	"predicates=isTomb\n"                                                                      \
	"predicates.isTomb.type=org.apache.kafka.connect.transforms.predicates."                   \
	"RecordIsTombstone\n"

KS_TEST(filter_with_predicate_and_negate)
{
	ks_transform_chain_t *c = tt_chain(FILTER_TOMBSTONES("false"));
	ks_record_t *live, *tomb;
	KS_CHECK(c, "%s", tt_err);
	KS_CHECK_INT(ks_transform_chain_size(c), 1);
	live = tt_rec("t", "1", VAL_S);
	tomb = tt_rec("t", "1", NULL);
	KS_CHECK(tt_apply(c, live) == KS_OK && !tt_drop, "live record dropped");
	KS_CHECK(tt_apply(c, tomb) == KS_OK && tt_drop, "tombstone kept");
	ks_transform_chain_destroy(c);

	c = tt_chain(FILTER_TOMBSTONES("true"));
	KS_CHECK(c, "%s", tt_err);
	KS_CHECK(tt_apply(c, tt_rec("t", "1", VAL_S)) == KS_OK && tt_drop, "negate: live kept");
	KS_CHECK(tt_apply(c, tt_rec("t", "1", NULL)) == KS_OK && !tt_drop,
	         "negate: tombstone dropped");
	ks_transform_chain_destroy(c);
}

KS_TEST(topic_and_header_predicates)
{
	ks_transform_chain_t *c = tt_chain(
	        "transforms=a,b\n"
	        "transforms.a.type=org.apache.kafka.connect.transforms.Filter\n"
	        "transforms.a.predicate=audit\n"
	        "transforms.b.type=org.apache.kafka.connect.transforms.Filter\n"
	        "transforms.b.predicate=skip\n"
	        "predicates=audit,skip\n"
	        "predicates.audit.type=org.apache.kafka.connect.transforms.predicates."
	        "TopicNameMatches\n"
	        "predicates.audit.pattern=audit\\\\..*\n"
	        "predicates.skip.type=org.apache.kafka.connect.transforms.predicates.HasHeaderKey\n"
	        "predicates.skip.name=skip-me\n");
	ks_record_t *r;
	ks_header_t h = {.key = "skip-me", .value = "1", .len = 1};
	KS_CHECK(c, "%s", tt_err);
	KS_CHECK(tt_apply(c, tt_rec("audit.log", NULL, VAL_S)) == KS_OK && tt_drop,
	         "topic predicate");
	KS_CHECK(tt_apply(c, tt_rec("auditlog", NULL, VAL_S)) == KS_OK && !tt_drop,
	         "whole-topic match");
	r = tt_rec("bets", NULL, VAL_S);
	KS_CHECK(tt_apply(c, r) == KS_OK && !tt_drop, "no header");
	r->headers = &h;
	r->nheaders = 1;
	r->src = NULL;
	KS_CHECK(tt_apply(c, r) == KS_OK && tt_drop, "header predicate");
	ks_transform_chain_destroy(c);
}

KS_TEST(chain_order_and_src)
{
	/* the router runs first, so InsertField sees the new topic */
	ks_transform_chain_t *c = tt_chain(
	        "transforms=route,add\n"
	        "transforms.route.type=org.apache.kafka.connect.transforms.RegexRouter\n"
	        "transforms.route.regex=server\\\\.public\\\\.(.*)\n"
	        "transforms.route.replacement=$1\n"
	        "transforms.add.type=org.apache.kafka.connect.transforms.InsertField$Value\n"
	        "transforms.add.topic.field=src_topic\n");
	ks_record_t *r = tt_rec("server.public.bets", NULL, VAL_S);
	KS_CHECK(c, "%s", tt_err);
	KS_CHECK(tt_apply(c, r) == KS_OK, "%s", tt_err);
	KS_CHECK_STR(r->topic, "bets");
	KS_CHECK_STR(TT_VALUE(r), "{\"id\":7,\"who\":\"ann\",\"src_topic\":\"bets\"}");
	KS_CHECK(r->src && !strcmp(r->src->topic, "server.public.bets"), "src keeps the topic");
	KS_CHECK(r->src->value_schema->nfields == 2, "src keeps the value schema");
	ks_transform_chain_destroy(c);
}

KS_TEST(failed_transform_restores_the_record)
{
	ks_transform_chain_t *c = tt_chain(
	        "transforms=route,x\n"
	        "transforms.route.type=org.apache.kafka.connect.transforms.RegexRouter\n"
	        "transforms.route.regex=.*\n"
	        "transforms.route.replacement=renamed\n"
	        "transforms.x.type=org.apache.kafka.connect.transforms.ExtractField$Value\n"
	        "transforms.x.field=missing\n");
	ks_record_t *r = tt_rec("orig", NULL, VAL_S);
	const ks_schema_t *vs = r->value_schema;
	KS_CHECK(c, "%s", tt_err);
	KS_CHECK(tt_apply(c, r) == KS_ERR_RECORD, "want a record error");
	KS_CHECK_STR(tt_class, "org.apache.kafka.connect.transforms.ExtractField$Value");
	KS_CHECK_STR(tt_err, "Unknown field: missing");
	KS_CHECK_STR(r->topic, "orig");
	KS_CHECK(r->value_schema == vs && !r->src, "record restored");
	ks_transform_chain_destroy(c);
}

/* --- validation: ConfigInfos errors per key --- */

static json_t *validate(const char *props_text, size_t *nerr)
{
	ks_props_t *p = tt_props(props_text);
	ks_transform_defs_t *d = ks_transform_defs_new(p);
	const ks_cfg_def_t *defs[3];
	ks_config_t *cfg;
	json_t *ci;

	KS_CHECK(d, "defs");
	defs[0] = ks_connector_common_defs;
	defs[1] = ks_transform_defs_table(d);
	defs[2] = NULL;
	cfg = ks_config_new(defs, p);
	KS_CHECK(cfg, "config");
	ks_transform_validate(cfg);
	*nerr = ks_config_error_count(cfg);
	ci = ks_config_infos_json(cfg, "x");
	ks_config_destroy(cfg);
	ks_transform_defs_destroy(d);
	ks_props_destroy(p);
	return ci;
}

/* The errors of key in ConfigInfos joined with " | ", NULL when the key is
 * not listed. */
static const char *key_errors(json_t *ci, const char *key, const char **group)
{
	static char out[2048];
	size_t i, j;
	json_t *e, *m;
	json_array_foreach(json_object_get(ci, "configs"), i, e)
	{
		json_t *v = json_object_get(e, "value");
		if (strcmp(json_string_value(json_object_get(v, "name")), key))
			continue;
		out[0] = '\0';
		json_array_foreach(json_object_get(v, "errors"), j, m)
		{
			strncat(out, json_string_value(m), sizeof(out) - strlen(out) - 4);
			strcat(out, " | ");
		}
		if (group)
			*group = json_string_value(
			        json_object_get(json_object_get(e, "definition"), "group"));
		return out;
	}
	return NULL;
}

KS_TEST(validate_reports_per_key)
{
	size_t n;
	const char *g = NULL, *e;
	json_t *ci = validate("name=x\nconnector.class=c\ntopics=t\ntransforms=r,bad,f\n"
	                      "transforms.r.type=org.apache.kafka.connect.transforms.RegexRouter\n"
	                      "transforms.r.regex=[oops\n"
	                      "transforms.r.replacement=x\n"
	                      "transforms.bad.type=org.example.Missing\n"
	                      "transforms.f.type=org.apache.kafka.connect.transforms.Filter\n"
	                      "transforms.f.predicate=nope\n",
	                      &n);
	KS_CHECK(ci, "infos");
	KS_CHECK_INT(n, 3);
	KS_CHECK_INT(json_integer_value(json_object_get(ci, "error_count")), 3);
	e = key_errors(ci, "transforms.r.regex", &g);
	KS_CHECK(e && tt_has(e, "Invalid value [oops for configuration transforms.r.regex"),
	         "regex error: %s", e ? e : "(key not listed)");
	KS_CHECK_STR(g, "Transforms: r");
	e = key_errors(ci, "transforms.bad.type", NULL);
	KS_CHECK(e && tt_has(e, "Class org.example.Missing could not be found."), "class: %s",
	         e ? e : "(key not listed)");
	e = key_errors(ci, "transforms.f.predicate", NULL);
	KS_CHECK(e && tt_has(e, "'nope'"), "predicate: %s", e ? e : "(key not listed)");
	e = key_errors(ci, "transforms.r.replacement", NULL);
	KS_CHECK(e && !*e, "replacement listed without errors: %s", e ? e : "(not listed)");
	json_decref(ci);

	ci = validate("name=x\nconnector.class=c\ntopics=t\ntransforms=v\n"
	              "transforms.v.type=org.apache.kafka.connect.transforms.ValueToKey\n",
	              &n);
	KS_CHECK_INT(n, 1);
	e = key_errors(ci, "transforms.v.fields", NULL);
	KS_CHECK(e && tt_has(e, "Missing required configuration \"transforms.v.fields\""), "%s",
	         e ? e : "(not listed)");
	json_decref(ci);

	ci = validate("name=x\nconnector.class=c\ntopics=t\ntransforms=u\n"
	              "transforms.u.type=io.debezium.transforms.ExtractNewRecordState\n"
	              "transforms.u.add.fields=op,source.ts_ms\n"
	              "predicates=p\npredicates.p.type=org.apache.kafka.connect.transforms."
	              "predicates.RecordIsTombstone\n",
	              &n);
	KS_CHECK_INT(n, 0);
	KS_CHECK(key_errors(ci, "transforms.u.delete.tombstone.handling.mode", NULL),
	         "the transform's keys are listed");
	KS_CHECK(key_errors(ci, "predicates.p.type", NULL), "predicate keys listed");
	json_decref(ci);

	ci = validate("name=x\nconnector.class=c\ntopics=t\ntransforms=a,a\n"
	              "transforms.a.type=org.apache.kafka.connect.transforms.Filter\n",
	              &n);
	KS_CHECK_INT(n, 1);
	e = key_errors(ci, "transforms", NULL);
	KS_CHECK(e && tt_has(e, "Duplicate alias"), "%s", e ? e : "(not listed)");
	json_decref(ci);
	KS_CHECK(
	        ks_transform_known("org.apache.kafka.connect.transforms.Flatten$Value") &&
	                !ks_transform_known("org.apache.kafka.connect.transforms.HeaderFrom$Key") &&
	                ks_predicate_known("org.apache.kafka.connect.transforms.predicates."
	                                   "HasHeaderKey"),
	        "known classes");
}
