/*
 * 0151-transform_route_headers — transforms on the topic and headers:
 * RegexRouter (groups, Java's $nn rule, escapes, no match), TimestampRouter
 * (default and custom SimpleDateFormat, a record without timestamp),
 * DropHeaders and InsertHeader (new header arrays: the record as consumed
 * keeps its own), InsertHeader feeding HasHeaderKey.
 * needs: none (a unit test: tests/run.sh starts no stack for it)
 */
#include "transform_helpers.h"

#define ROUTER(re, rep)                                                                            \
	"transforms=r\ntransforms.r.type=org.apache.kafka.connect.transforms.RegexRouter\n"        \
	"transforms.r.regex=" re "\ntransforms.r.replacement=" rep "\n"

static const char *route(const char *props, const char *topic)
{
	ks_transform_chain_t *c = tt_chain(props);
	ks_record_t *r = tt_rec(topic, NULL, NULL);
	KS_CHECK(c, "%s", tt_err);
	KS_CHECK(tt_apply(c, r) == KS_OK && !tt_drop, "%s", tt_err);
	ks_transform_chain_destroy(c);
	return r->topic;
}

KS_TEST(regex_router)
{
	/* the Debezium server.schema.table -> table idiom */
	KS_CHECK_STR(route(ROUTER("([^.]+)\\\\.([^.]+)\\\\.([^.]+)", "$3"), "dbz.public.bets"),
	             "bets");
	KS_CHECK_STR(route(ROUTER("([^.]+)\\\\.([^.]+)\\\\.([^.]+)", "$3"), "plain"), "plain");
	KS_CHECK_STR(route(ROUTER("(.*)-(.*)", "$2_$1"), "a-b"), "b_a");
	/* $12 with one group: group 1 then a literal 2; \$ is a dollar */
	KS_CHECK_STR(route(ROUTER("(x)", "$12\\\\$"), "x"), "x2$");
	KS_CHECK_STR(route(ROUTER("orders", "sales_orders"), "orders"), "sales_orders");
	KS_CHECK_STR(route(ROUTER("ord", "x"), "orders"), "orders"); /* whole-topic match */
	/* an optional group that did not take part expands to nothing */
	KS_CHECK_STR(route(ROUTER("a(b)?c", "[$1]"), "ac"), "[]");
	KS_CHECK_STR(route(ROUTER("t\\\\d+\\\\w*", "digits"), "t42_x"), "digits");
}

#define TSROUTER(extra)                                                                            \
	"transforms=ts\ntransforms.ts.type=org.apache.kafka.connect.transforms."                   \
	"TimestampRouter\n" extra

KS_TEST(timestamp_router)
{
	ks_transform_chain_t *c;
	ks_record_t *r;

	/* tt_rec's timestamp is 2023-11-14T22:13:20.123Z */
	KS_CHECK_STR(route(TSROUTER(""), "bets"), "bets-20231114");
	KS_CHECK_STR(route(TSROUTER("transforms.ts.topic.format=${timestamp}_${topic}_x\n"
	                            "transforms.ts.timestamp.format=yyyy-MM-dd'T'HH.mm.ss.SSS "
	                            "EEE MMM a hh D\n"),
	                   "bets"),
	             "2023-11-14T22.13.20.123 Tue Nov PM 10 318_bets_x");
	KS_CHECK_STR(route(TSROUTER("transforms.ts.timestamp.format=yy'''w'''MMMM\n"), "t"),
	             "t-23'w'November");
	c = tt_chain(TSROUTER(""));
	KS_CHECK(c, "%s", tt_err);
	r = tt_rec("bets", NULL, NULL);
	r->timestamp = -1;
	KS_CHECK(tt_apply(c, r) == KS_ERR_RECORD, "no timestamp accepted");
	KS_CHECK(tt_has(tt_err, "Timestamp missing on record: bets[3]@42"), "%s", tt_err);
	KS_CHECK_STR(tt_class, "org.apache.kafka.connect.transforms.TimestampRouter");
	ks_transform_chain_destroy(c);
	KS_CHECK(!tt_chain(TSROUTER("transforms.ts.timestamp.format=yyyyQQ\n")), "bad pattern");
	KS_CHECK(tt_has(tt_err, "Illegal pattern character 'Q'"), "%s", tt_err);
}

KS_TEST(drop_and_insert_headers)
{
	ks_transform_chain_t *c =
	        tt_chain("transforms=drop,add,gate\n"
	                 "transforms.drop.type=org.apache.kafka.connect.transforms.DropHeaders\n"
	                 "transforms.drop.headers=trace, secret\n"
	                 "transforms.add.type=org.apache.kafka.connect.transforms.InsertHeader\n"
	                 "transforms.add.header=origin\n"
	                 "transforms.add.value.literal=ksink\n"
	                 "transforms.gate.type=org.apache.kafka.connect.transforms.Filter\n"
	                 "transforms.gate.predicate=hasOrigin\n"
	                 "transforms.gate.negate=true\n"
	                 "predicates=hasOrigin\n"
	                 "predicates.hasOrigin.type=org.apache.kafka.connect.transforms.predicates."
	                 "HasHeaderKey\n"
	                 "predicates.hasOrigin.name=origin\n");
	ks_header_t h[] = {{.key = "trace", .value = "1", .len = 1},
	                   {.key = "keep", .value = "k", .len = 1},
	                   {.key = "secret", .value = "s", .len = 1},
	                   {.key = "trace", .value = "2", .len = 1}};
	ks_record_t *r = tt_rec("t", NULL, "{\"a\":1}");

	KS_CHECK(c, "%s", tt_err);
	r->headers = h;
	r->nheaders = 4;
	KS_CHECK(tt_apply(c, r) == KS_OK, "%s", tt_err);
	KS_CHECK(!tt_drop, "InsertHeader's header seen by the predicate");
	KS_CHECK_INT(r->nheaders, 2);
	KS_CHECK_STR(r->headers[0].key, "keep");
	KS_CHECK_STR(r->headers[1].key, "origin");
	KS_CHECK(r->headers[1].len == 5 && !memcmp(r->headers[1].value, "ksink", 5), "value");
	KS_CHECK(r->src && r->src->nheaders == 4 && r->src->headers == h,
	         "the consumed record keeps its headers");
	KS_CHECK(!strcmp(h[0].key, "trace") && !strcmp(h[2].key, "secret"), "input untouched");
	ks_transform_chain_destroy(c);
	KS_CHECK(!tt_chain("transforms=d\ntransforms.d.type=org.apache.kafka.connect.transforms."
	                   "DropHeaders\n"),
	         "DropHeaders needs headers");
	KS_CHECK(tt_has(tt_err, "transforms.d.headers"), "%s", tt_err);
}
