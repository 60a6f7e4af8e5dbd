/*
 * 0154-transform_debezium — io.debezium.transforms.ExtractNewRecordState on
 * Debezium envelopes: creates / updates / deletes / tombstones / truncates
 * under every delete.tombstone.handling.mode and the deprecated
 * drop.tombstones + delete.handling.mode, add.fields (implicit source /
 * envelope hosts, struct.field, renames, prefix), add.headers,
 * route.by.field, and records that are not envelopes passing unchanged.
 * needs: none (a unit test: tests/run.sh starts no stack for it)
 */
#include "transform_helpers.h"

#define ROW                                                                                        \
	"\"type\":\"struct\",\"optional\":true,\"name\":\"dbz.public.bets.Value\",\"fields\":["    \
	"{\"field\":\"id\",\"type\":\"int32\"},{\"field\":\"who\",\"type\":\"string\","            \
	"\"optional\":true}]"

#define ENV_SCHEMA                                                                                 \
	"{\"type\":\"struct\",\"name\":\"dbz.public.bets.Envelope\",\"fields\":["                  \
	"{\"field\":\"before\"," ROW "},{\"field\":\"after\"," ROW "},"                            \
	"{\"field\":\"source\",\"type\":\"struct\",\"name\":\"io.debezium.connector.postgresql."   \
	"Source\",\"fields\":[{\"field\":\"db\",\"type\":\"string\"},"                             \
	"{\"field\":\"table\",\"type\":\"string\"},{\"field\":\"ts_ms\",\"type\":\"int64\"},"      \
	"{\"field\":\"lsn\",\"type\":\"int64\",\"optional\":true}]},"                              \
	"{\"field\":\"op\",\"type\":\"string\"},"                                                  \
	"{\"field\":\"ts_ms\",\"type\":\"int64\",\"optional\":true}]}"

#define SRC "\"source\":{\"db\":\"bets\",\"table\":\"wagers\",\"ts_ms\":1000,\"lsn\":77}"

#define CREATE                                                                                     \
	"{\"schema\":" ENV_SCHEMA ",\"payload\":{\"before\":null,\"after\":{\"id\":1,\"who\":"     \
	"\"ann\"}," SRC ",\"op\":\"c\",\"ts_ms\":2000}}"
#define UPDATE                                                                                     \
	"{\"schema\":" ENV_SCHEMA ",\"payload\":{\"before\":{\"id\":1,\"who\":\"ann\"},\"after\":" \
	"{\"id\":1,\"who\":\"bob\"}," SRC ",\"op\":\"u\",\"ts_ms\":2001}}"
#define DELETE                                                                                     \
	"{\"schema\":" ENV_SCHEMA ",\"payload\":{\"before\":{\"id\":1,\"who\":\"bob\"},"           \
	"\"after\":null," SRC ",\"op\":\"d\",\"ts_ms\":2002}}"
#define TRUNCATE                                                                                   \
	"{\"schema\":" ENV_SCHEMA ",\"payload\":{\"before\":null,\"after\":null," SRC              \
	",\"op\":\"t\",\"ts_ms\":2003}}"
#define KEY                                                                                        \
	"{\"schema\":{\"type\":\"struct\",\"name\":\"dbz.public.bets.Key\",\"fields\":[{"          \
	"\"field\":\"id\",\"type\":\"int32\"}]},\"payload\":{\"id\":1}}"

#define UNWRAP(extra)                                                                              \
	"transforms=unwrap\ntransforms.unwrap.type=io.debezium.transforms."                        \
	"ExtractNewRecordState\n" extra

static ks_transform_chain_t *cur;

__attribute__((destructor)) static void cur_free(void)
{
	ks_transform_chain_destroy(cur);
}

static void use(const char *props)
{
	ks_transform_chain_destroy(cur);
	cur = tt_chain(props);
	KS_CHECK(cur, "%s", tt_err);
}

/* Applies the current chain; "DROP" when filtered, else the value. */
static const char *ev(const char *value, ks_record_t **out)
{
	ks_record_t *r = tt_rec("dbz.public.bets", KEY, value);
	KS_CHECK(tt_apply(cur, r) == KS_OK, "%s", tt_err);
	if (out)
		*out = r;
	if (tt_drop)
		return "DROP";
	KS_CHECK_STR(TT_KEY(r), "{\"id\":1}");
	return TT_VALUE(r);
}

KS_TEST(default_mode_is_tombstone)
{
	ks_record_t *r;
	use(UNWRAP(""));
	KS_CHECK_STR(ev(CREATE, &r), "{\"id\":1,\"who\":\"ann\"}");
	KS_CHECK_STR(tt_schema(r->value_schema), "{id:int32,who:string?}?");
	KS_CHECK_STR(r->value_schema->name, "dbz.public.bets.Value");
	KS_CHECK_STR(ev(UPDATE, NULL), "{\"id\":1,\"who\":\"bob\"}");
	KS_CHECK_STR(ev(DELETE, &r), "null");
	KS_CHECK(!r->value && r->value_schema, "a delete becomes a tombstone with the row schema");
	KS_CHECK_STR(ev(NULL, NULL), "DROP");
	KS_CHECK_STR(ev(TRUNCATE, NULL), "DROP");
}

KS_TEST(modes)
{
	ks_record_t *r;
	use(UNWRAP("transforms.unwrap.delete.tombstone.handling.mode=drop\n"));
	KS_CHECK_STR(ev(DELETE, NULL), "DROP");
	KS_CHECK_STR(ev(NULL, NULL), "DROP");
	KS_CHECK_STR(ev(CREATE, NULL), "{\"id\":1,\"who\":\"ann\"}");

	use(UNWRAP("transforms.unwrap.delete.tombstone.handling.mode=rewrite\n"));
	KS_CHECK_STR(ev(CREATE, &r), "{\"id\":1,\"who\":\"ann\",\"__deleted\":\"false\"}");
	KS_CHECK_STR(tt_schema(r->value_schema), "{id:int32,who:string?,__deleted:string?}?");
	KS_CHECK_STR(ev(DELETE, NULL), "{\"id\":1,\"who\":\"bob\",\"__deleted\":\"true\"}");
	KS_CHECK_STR(ev(NULL, NULL), "DROP");

	use(UNWRAP("transforms.unwrap.delete.tombstone.handling.mode=rewrite-with-tombstone\n"));
	KS_CHECK_STR(ev(DELETE, NULL), "{\"id\":1,\"who\":\"bob\",\"__deleted\":\"true\"}");
	KS_CHECK_STR(ev(NULL, &r), "null");
	KS_CHECK(!r->value, "tombstone kept");

	use(UNWRAP("transforms.unwrap.delete.tombstone.handling.mode=delete-to-tombstone\n"));
	KS_CHECK_STR(ev(DELETE, &r), "null");
	KS_CHECK(!r->value && !r->value_schema, "a plain tombstone");
	KS_CHECK_STR(ev(NULL, NULL), "DROP");

	/* deprecated keys: the old defaults (drop deletes, drop tombstones) */
	use(UNWRAP("transforms.unwrap.drop.tombstones=false\n"));
	KS_CHECK_STR(ev(DELETE, NULL), "DROP");
	KS_CHECK_STR(ev(NULL, NULL), "null");
	use(UNWRAP("transforms.unwrap.delete.handling.mode=none\n"));
	KS_CHECK_STR(ev(DELETE, &r), "null");
	KS_CHECK(!r->value, "none: the delete as a null value");
	KS_CHECK_STR(ev(NULL, NULL), "DROP");
	use(UNWRAP("transforms.unwrap.delete.handling.mode=rewrite\n"));
	KS_CHECK_STR(ev(DELETE, NULL), "{\"id\":1,\"who\":\"bob\",\"__deleted\":\"true\"}");
	/* the new key wins over the deprecated ones */
	use(UNWRAP("transforms.unwrap.delete.handling.mode=rewrite\n"
	           "transforms.unwrap.delete.tombstone.handling.mode=drop\n"));
	KS_CHECK_STR(ev(DELETE, NULL), "DROP");
}

KS_TEST(add_fields_and_headers)
{
	ks_record_t *r;
	use(UNWRAP("transforms.unwrap.add.fields=op,table,source.ts_ms,lsn:pos,ts_ms,nope\n"
	           "transforms.unwrap.add.headers=op,db\n"
	           "transforms.unwrap.delete.tombstone.handling.mode=rewrite-with-tombstone\n"));
	KS_CHECK_STR(ev(CREATE, &r), "{\"id\":1,\"who\":\"ann\",\"__op\":\"c\",\"__table\":"
	                             "\"wagers\",\"__source_ts_ms\":1000,\"__pos\":77,\"__ts_ms\":"
	                             "2000,\"__deleted\":\"false\"}");
	KS_CHECK_STR(tt_schema(r->value_schema), "{id:int32,who:string?,__op:string?,__table:"
	                                         "string?,__source_ts_ms:int64?,__pos:int64?,"
	                                         "__ts_ms:int64?,__deleted:string?}?");
	KS_CHECK_INT(r->nheaders, 2);
	KS_CHECK(!strcmp(r->headers[0].key, "__op") && r->headers[0].len == 1 &&
	                 !memcmp(r->headers[0].value, "c", 1),
	         "op header");
	KS_CHECK(!strcmp(r->headers[1].key, "__db") && r->headers[1].len == 4 &&
	                 !memcmp(r->headers[1].value, "bets", 4),
	         "db header");
	KS_CHECK_STR(ev(DELETE, NULL),
	             "{\"id\":1,\"who\":\"bob\",\"__op\":\"d\",\"__table\":"
	             "\"wagers\",\"__source_ts_ms\":1000,\"__pos\":77,\"__ts_ms\":"
	             "2002,\"__deleted\":\"true\"}");
	KS_CHECK_STR(ev(NULL, &r), "null");
	KS_CHECK(r->nheaders == 1 && !strcmp(r->headers[0].key, "__op") &&
	                 !memcmp(r->headers[0].value, "d", 1),
	         "a tombstone gets op=d");
	use(UNWRAP("transforms.unwrap.add.fields=op\ntransforms.unwrap.add.fields.prefix=meta_\n"));
	KS_CHECK_STR(ev(UPDATE, NULL), "{\"id\":1,\"who\":\"bob\",\"meta_op\":\"u\"}");
}

KS_TEST(route_by_field_and_passthrough)
{
	ks_record_t *r;
	use(UNWRAP("transforms.unwrap.route.by.field=who\n"
	           "transforms.unwrap.delete.tombstone.handling.mode=rewrite\n"));
	KS_CHECK_STR(ev(CREATE, &r), "{\"id\":1,\"who\":\"ann\",\"__deleted\":\"false\"}");
	KS_CHECK_STR(r->topic, "ann");
	ev(DELETE, &r);
	KS_CHECK_STR(r->topic, "bob"); /* deletes route by the before state */
	/* not an envelope: unchanged */
	r = tt_rec("plain", NULL, "{\"op\":\"c\",\"after\":{\"id\":1}}");
	KS_CHECK(tt_apply(cur, r) == KS_OK && !tt_drop, "%s", tt_err);
	KS_CHECK_STR(TT_VALUE(r), "{\"op\":\"c\",\"after\":{\"id\":1}}");
	KS_CHECK_STR(r->topic, "plain");
	r = tt_rec("plain", NULL,
	           "{\"schema\":{\"type\":\"struct\",\"name\":\"hb\",\"fields\":[{\"field\":\"ts\","
	           "\"type\":\"int64\"}]},\"payload\":{\"ts\":5}}");
	KS_CHECK(tt_apply(cur, r) == KS_OK && !tt_drop, "%s", tt_err);
	KS_CHECK_STR(TT_VALUE(r), "{\"ts\":5}");
}
