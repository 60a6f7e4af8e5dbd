/*
 * 0152-transform_fields — the transforms that reshape a key or value, each
 * with a schema (Struct) and without (JsonConverter schemas.enable=false:
 * a map), and their errors: ValueToKey, ExtractField (V1 and V2 paths),
 * ReplaceField (include / exclude / renames, deprecated whitelist /
 * blacklist), InsertField (topic, partition, offset, timestamp, static,
 * ! and ?), HoistField, MaskField, SetSchemaMetadata, Flatten. Output
 * schemas are cached: the same input schema gives the same output schema.
 * needs: none (a unit test: tests/run.sh starts no stack for it)
 */
#include "transform_helpers.h"

#define BET                                                                                        \
	"{\"schema\":{\"type\":\"struct\",\"name\":\"bets.Bet\",\"version\":2,\"fields\":["        \
	"{\"field\":\"id\",\"type\":\"int32\"},"                                                   \
	"{\"field\":\"who\",\"type\":\"string\",\"optional\":true},"                               \
	"{\"field\":\"amount\",\"type\":\"double\"},"                                              \
	"{\"field\":\"n\",\"type\":\"int32\",\"optional\":true,\"default\":5},"                    \
	"{\"field\":\"race\",\"type\":\"struct\",\"optional\":true,\"fields\":["                   \
	"{\"field\":\"id\",\"type\":\"int64\"},"                                                   \
	"{\"field\":\"venue\",\"type\":\"string\",\"optional\":true}]}]},"                         \
	"\"payload\":{\"id\":7,\"who\":\"ann\",\"amount\":2.5,\"n\":1,"                            \
	"\"race\":{\"id\":9,\"venue\":\"york\"}}}"

#define BET_MAP "{\"id\":7,\"who\":\"ann\",\"amount\":2.5,\"race\":{\"id\":9,\"venue\":\"york\"}}"

#define T(cls) "org.apache.kafka.connect.transforms." cls

/* The chain of the last run(): it owns the schemas (and strings) of the
 * record run() returned, so it lives until the next run(). */
static ks_transform_chain_t *last;

__attribute__((destructor)) static void last_free(void)
{
	ks_transform_chain_destroy(last);
}

/* Applies props to a record; returns the record (checks KS_OK). */
static ks_record_t *run(const char *props, const char *key, const char *value)
{
	ks_record_t *r = tt_rec("bets", key, value);
	ks_transform_chain_destroy(last);
	last = tt_chain(props);
	KS_CHECK(last, "%s", tt_err);
	KS_CHECK(tt_apply(last, r) == KS_OK, "apply: %s", tt_err);
	return r;
}

/* Applies and expects a record error containing msg. */
static void fails(const char *props, const char *key, const char *value, const char *msg)
{
	ks_transform_chain_t *c = tt_chain(props);
	ks_record_t *r = tt_rec("bets", key, value);
	KS_CHECK(c, "%s", tt_err);
	KS_CHECK(tt_apply(c, r) == KS_ERR_RECORD, "accepted: %s", TT_VALUE(r));
	KS_CHECK(tt_has(tt_err, msg), "error \"%s\" lacks \"%s\"", tt_err, msg);
	ks_transform_chain_destroy(c);
}

KS_TEST(value_to_key)
{
	const char *p =
	        "transforms=k\ntransforms.k.type=" T("ValueToKey") "\n"
	                                                           "transforms.k.fields=id,who\n";
	ks_record_t *r = run(p, NULL, BET);
	KS_CHECK_STR(tt_schema(r->key_schema), "{id:int32,who:string?}");
	KS_CHECK_STR(TT_KEY(r), "{\"id\":7,\"who\":\"ann\"}");
	r = run(p, "\"old\"", BET_MAP);
	KS_CHECK(!r->key_schema, "schemaless key");
	KS_CHECK_STR(TT_KEY(r), "{\"id\":7,\"who\":\"ann\"}");
	r = run("transforms=k\ntransforms.k.type=" T("ValueToKey") "\ntransforms.k.fields=id,x\n",
	        NULL, BET_MAP);
	KS_CHECK_STR(TT_KEY(r), "{\"id\":7,\"x\":null}"); /* Map.get of a missing key */
	fails("transforms=k\ntransforms.k.type=" T("ValueToKey") "\ntransforms.k.fields=id,x\n",
	      NULL, BET, "Field does not exist: x");
	fails(p, "1", NULL,
	      "Only Map objects supported in absence of schema for [copying fields "
	      "from value to key], found: null");
	fails(p, NULL, "\"text\"", "found: java.lang.String");
}

KS_TEST(extract_field)
{
	const char *pv = "transforms=x\ntransforms.x.type=" T(
	        "ExtractField$Value") "\n"
	                              "transforms.x.field=race\n";
	const char *pk =
	        "transforms=x\ntransforms.x.type=" T("ExtractField$Key") "\n"
	                                                                 "transforms.x.field=id\n";
	ks_record_t *r = run(pv, NULL, BET);
	KS_CHECK_STR(tt_schema(r->value_schema), "{id:int64,venue:string?}?");
	KS_CHECK_STR(TT_VALUE(r), "{\"id\":9,\"venue\":\"york\"}");
	r = run(pk, BET, NULL);
	KS_CHECK_STR(tt_schema(r->key_schema), "int32");
	KS_CHECK_STR(TT_KEY(r), "7");
	r = run(pv, NULL, BET_MAP);
	KS_CHECK_STR(TT_VALUE(r), "{\"id\":9,\"venue\":\"york\"}");
	r = run("transforms=x\ntransforms.x.type=" T(
	                "ExtractField$Value") "\n"
	                                      "transforms.x.field=nope\n",
	        NULL, BET_MAP);
	KS_CHECK(!r->value, "missing map key: null value");
	r = run(pv, NULL, NULL);
	KS_CHECK(!r->value && !r->value_schema, "tombstone stays a tombstone");
	/* V2: nested paths; backticks quote a name with dots */
	r = run("transforms=x\ntransforms.x.type=" T(
	                "ExtractField$Value") "\n"
	                                      "transforms.x.field=race.venue\ntransforms.x.field."
	                                      "syntax.version=V2\n",
	        NULL, BET);
	KS_CHECK_STR(tt_schema(r->value_schema), "string?");
	KS_CHECK_STR(TT_VALUE(r), "\"york\"");
	r = run("transforms=x\ntransforms.x.type=" T(
	                "ExtractField$Value") "\n"
	                                      "transforms.x.field=`a.b`.c\ntransforms.x.field."
	                                      "syntax.version=V2\n",
	        NULL, "{\"a.b\":{\"c\":3},\"a\":{\"b\":{\"c\":4}}}");
	KS_CHECK_STR(TT_VALUE(r), "3");
	fails("transforms=x\ntransforms.x.type=" T(
	              "ExtractField$Value") "\n"
	                                    "transforms.x.field=nope\n",
	      NULL, BET, "Unknown field: nope");
	fails(pv, NULL, "[1,2]",
	      "Only Map objects supported in absence of schema for [field "
	      "extraction], found: java.util.ArrayList");
}

KS_TEST(replace_field)
{
	ks_record_t *r =
	        run("transforms=r\ntransforms.r.type=" T(
	                    "ReplaceField$Value") "\n"
	                                          "transforms.r.exclude=amount,race\n"
	                                          "transforms.r.renames=who:player,id:bet_id\n",
	            NULL, BET);
	const ks_schema_t *first;
	ks_transform_chain_t *c;
	KS_CHECK_STR(tt_schema(r->value_schema), "{bet_id:int32,player:string?,n:int32?}");
	KS_CHECK_STR(r->value_schema->name, "bets.Bet");
	KS_CHECK_INT(r->value_schema->version, 2);
	KS_CHECK_STR(TT_VALUE(r), "{\"bet_id\":7,\"player\":\"ann\",\"n\":1}");
	r = run("transforms=r\ntransforms.r.type=" T(
	                "ReplaceField$Value") "\n"
	                                      "transforms.r.include=who,amount\n",
	        NULL, BET_MAP);
	KS_CHECK_STR(TT_VALUE(r), "{\"who\":\"ann\",\"amount\":2.5}");
	/* the deprecated names; exclude wins over include */
	r = run("transforms=r\ntransforms.r.type=" T(
	                "ReplaceField$Value") "\n"
	                                      "transforms.r.whitelist=id,who\ntransforms.r."
	                                      "blacklist=who\n",
	        NULL, BET);
	KS_CHECK_STR(TT_VALUE(r), "{\"id\":7}");
	r = run("transforms=r\ntransforms.r.type=" T(
	                "ReplaceField$Key") "\n"
	                                    "transforms.r.renames=id:k\n",
	        BET, NULL);
	KS_CHECK_STR(
	        tt_schema(r->key_schema),
	        "{k:int32,who:string?,amount:float64,n:int32?,race:{id:int64,venue:string?}?}");
	KS_CHECK(!r->value, "tombstone value untouched");
	fails("transforms=r\ntransforms.r.type=" T(
	              "ReplaceField$Value") "\n"
	                                    "transforms.r.renames=id:who\n",
	      NULL, BET, "field name duplication who");
	/* one output schema per input schema */
	c = tt_chain("transforms=r\ntransforms.r.type=" T(
	        "ReplaceField$Value") "\n"
	                              "transforms.r.exclude=race\n");
	KS_CHECK(c, "%s", tt_err);
	r = tt_rec("t", NULL, BET);
	KS_CHECK(tt_apply(c, r) == KS_OK, "%s", tt_err);
	first = r->value_schema;
	r = tt_rec("t", NULL, BET);
	KS_CHECK(tt_apply(c, r) == KS_OK && r->value_schema == first, "schema cached");
	ks_transform_chain_destroy(c);
}

KS_TEST(replace_null_with_default)
{
	const char *p = "transforms=r\ntransforms.r.type=" T(
	        "ReplaceField$Value") "\n"
	                              "transforms.r.include=n\n";
	ks_transform_chain_t *c = tt_chain(p);
	ks_record_t *r = tt_rec("t", NULL, BET);
	KS_CHECK(c, "%s", tt_err);
	r->value->u.st.fields[3].is_null = 1; /* n: null, default 5 */
	KS_CHECK(tt_apply(c, r) == KS_OK, "%s", tt_err);
	KS_CHECK_STR(TT_VALUE(r), "{\"n\":5}");
	ks_transform_chain_destroy(c);
	c = tt_chain("transforms=r\ntransforms.r.type=" T(
	        "ReplaceField$Value") "\n"
	                              "transforms.r.include=n\ntransforms.r.replace.null.with."
	                              "default=false\n");
	r = tt_rec("t", NULL, BET);
	r->value->u.st.fields[3].is_null = 1;
	KS_CHECK(c && tt_apply(c, r) == KS_OK, "%s", tt_err);
	KS_CHECK_STR(TT_VALUE(r), "{\"n\":null}");
	ks_transform_chain_destroy(c);
}

KS_TEST(insert_field)
{
	const char *p = "transforms=i\ntransforms.i.type=" T(
	        "InsertField$Value") "\n"
	                             "transforms.i.topic.field=kt!\n"
	                             "transforms.i.partition.field=kp\n"
	                             "transforms.i.offset.field=ko?\n"
	                             "transforms.i.timestamp.field=kts\n"
	                             "transforms.i.static.field=src\n"
	                             "transforms.i.static.value=feed-1\n";
	ks_record_t *r = run(p, NULL, BET);
	KS_CHECK_STR(tt_schema(r->value_schema),
	             "{id:int32,who:string?,amount:float64,n:int32?,race:{id:int64,venue:string?}?,"
	             "kt:string,kp:int32?,ko:int64?,kts:Timestamp?,src:string?}");
	KS_CHECK_STR(TT_VALUE(r),
	             "{\"id\":7,\"who\":\"ann\",\"amount\":2.5,\"n\":1,\"race\":{\"id\":"
	             "9,\"venue\":\"york\"},\"kt\":\"bets\",\"kp\":3,\"ko\":42,"
	             "\"kts\":\"2023-11-14T22:13:20.123Z\",\"src\":\"feed-1\"}");
	r = run(p, NULL, "{\"id\":1,\"kp\":0}");
	KS_CHECK_STR(TT_VALUE(r), "{\"id\":1,\"kp\":3,\"kt\":\"bets\",\"ko\":42,\"kts\":"
	                          "1700000000123,\"src\":\"feed-1\"}");
	r = run(p, NULL, NULL);
	KS_CHECK(!r->value, "tombstones pass");
	r = run("transforms=i\ntransforms.i.type=" T(
	                "InsertField$Key") "\n"
	                                   "transforms.i.offset.field=off\n",
	        "{\"k\":1}", NULL);
	KS_CHECK_STR(TT_KEY(r), "{\"k\":1,\"off\":42}");
	{ /* a required timestamp on a record without one */
		ks_transform_chain_t *c = tt_chain("transforms=i\ntransforms.i.type=" T(
		        "InsertField$Value") "\ntransforms.i.timestamp.field=ts!\n");
		KS_CHECK(c, "%s", tt_err);
		r = tt_rec("t", NULL, BET);
		r->timestamp = -1;
		KS_CHECK(tt_apply(c, r) == KS_ERR_RECORD, "null for a required field accepted");
		KS_CHECK(tt_has(tt_err, "null used for required field: \"ts\""), "%s", tt_err);
		ks_transform_chain_destroy(c);
	}
	fails("transforms=i\ntransforms.i.type=" T(
	              "InsertField$Value") "\n"
	                                   "transforms.i.topic.field=who\n",
	      NULL, BET, "field name duplication who");
	fails(p, NULL, "42",
	      "Only Map objects supported in absence of schema for [field "
	      "insertion], found: java.lang.Long");
}

KS_TEST(hoist_field)
{
	const char *p = "transforms=h\ntransforms.h.type=" T(
	        "HoistField$Value") "\n"
	                            "transforms.h.field=line\n";
	ks_record_t *r = run(p, NULL, "{\"schema\":{\"type\":\"string\"},\"payload\":\"hello\"}");
	KS_CHECK_STR(tt_schema(r->value_schema), "{line:string}");
	KS_CHECK_STR(TT_VALUE(r), "{\"line\":\"hello\"}");
	r = run(p, NULL, "\"hello\"");
	KS_CHECK_STR(TT_VALUE(r), "{\"line\":\"hello\"}");
	r = run("transforms=h\ntransforms.h.type=" T("HoistField$Key") "\n"
	                                                               "transforms.h.field=id\n",
	        "{\"schema\":{\"type\":\"int64\"},\"payload\":5}", NULL);
	KS_CHECK_STR(tt_schema(r->key_schema), "{id:int64}");
	KS_CHECK_STR(TT_KEY(r), "{\"id\":5}");
}

KS_TEST(mask_field)
{
	ks_record_t *r = run("transforms=m\ntransforms.m.type=" T(
	                             "MaskField$Value") "\n"
	                                                "transforms.m.fields=who,amount,id\n",
	                     NULL, BET);
	KS_CHECK_STR(TT_VALUE(r), "{\"id\":0,\"who\":\"\",\"amount\":0,\"n\":1,\"race\":{\"id\":9,"
	                          "\"venue\":\"york\"}}");
	r = run("transforms=m\ntransforms.m.type=" T(
	                "MaskField$Value") "\n"
	                                   "transforms.m.fields=who,amount\ntransforms.m."
	                                   "replacement=42\n",
	        NULL, BET_MAP);
	KS_CHECK_STR(TT_VALUE(r), "{\"id\":7,\"who\":\"42\",\"amount\":42,\"race\":{\"id\":9,"
	                          "\"venue\":\"york\"}}");
	fails("transforms=m\ntransforms.m.type=" T(
	              "MaskField$Value") "\n"
	                                 "transforms.m.fields=amount\ntransforms.m.replacement="
	                                 "lots\n",
	      NULL, BET, "Unable to convert lots");
	fails("transforms=m\ntransforms.m.type=" T("MaskField$Value") "\n"
	                                                              "transforms.m.fields=race\n",
	      NULL, BET, "Cannot mask value of type: class org.apache.kafka.connect.data.Struct");
}

KS_TEST(set_schema_metadata)
{
	ks_record_t *r =
	        run("transforms=s\ntransforms.s.type=" T(
	                    "SetSchemaMetadata$Value") "\n"
	                                               "transforms.s.schema.name=com.example.Bet\n"
	                                               "transforms.s.schema.version=9\n",
	            NULL, BET);
	KS_CHECK_STR(r->value_schema->name, "com.example.Bet");
	KS_CHECK_INT(r->value_schema->version, 9);
	KS_CHECK_INT(r->value_schema->nfields, 5);
	KS_CHECK_STR(TT_VALUE(r),
	             "{\"id\":7,\"who\":\"ann\",\"amount\":2.5,\"n\":1,\"race\":{\"id\":"
	             "9,\"venue\":\"york\"}}");
	fails("transforms=s\ntransforms.s.type=" T(
	              "SetSchemaMetadata$Value") "\n"
	                                         "transforms.s.schema.name=x\n",
	      NULL, BET_MAP, "Schema required for [updating schema metadata]");
	KS_CHECK(!tt_chain("transforms=s\ntransforms.s.type=" T("SetSchemaMetadata$Key") "\n"),
	         "nothing to set accepted");
}

KS_TEST(flatten)
{
	const char *p =
	        "transforms=f\ntransforms.f.type=" T("Flatten$Value") "\n"
	                                                              "transforms.f.delimiter=_\n";
	ks_record_t *r = run(p, NULL, BET);
	KS_CHECK_STR(tt_schema(r->value_schema), "{id:int32,who:string?,amount:float64,n:int32?,"
	                                         "race_id:int64?,race_venue:string?}");
	KS_CHECK_STR(TT_VALUE(r), "{\"id\":7,\"who\":\"ann\",\"amount\":2.5,\"n\":1,\"race_id\":9,"
	                          "\"race_venue\":\"york\"}");
	r = run("transforms=f\ntransforms.f.type=" T("Flatten$Value") "\n", NULL,
	        "{\"a\":{\"b\":{\"c\":1},\"d\":[1,2]},\"e\":null}");
	KS_CHECK_STR(TT_VALUE(r), "{\"a.b.c\":1,\"a.d\":[1,2],\"e\":null}");
	{ /* a null nested struct: its columns are null */
		ks_transform_chain_t *c = tt_chain(p);
		KS_CHECK(c, "%s", tt_err);
		r = tt_rec("t", NULL, BET);
		r->value->u.st.fields[4].is_null = 1;
		KS_CHECK(tt_apply(c, r) == KS_OK, "%s", tt_err);
		KS_CHECK_STR(TT_VALUE(r), "{\"id\":7,\"who\":\"ann\",\"amount\":2.5,\"n\":1,"
		                          "\"race_id\":null,\"race_venue\":null}");
		ks_transform_chain_destroy(c);
	}
	r = run(p, NULL, NULL);
	KS_CHECK(!r->value, "tombstones pass");
	fails(p, NULL, "\"x\"",
	      "Only Map objects supported in absence of schema for "
	      "[flattening], found: java.lang.String");
}
