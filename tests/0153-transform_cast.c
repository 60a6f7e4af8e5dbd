/*
 * 0153-transform_cast — Cast and TimestampConverter: every numeric
 * narrowing the way Java does it, strings parsed and printed like Java
 * (Double.toString, Boolean.parseBoolean), Decimal and logical dates to
 * strings, errors for unparsable input and unsupported types; timestamps
 * between string (SimpleDateFormat, UTC), unix (all precisions), Date, Time
 * and Timestamp, with and without a schema.
 * needs: none (a unit test: tests/run.sh starts no stack for it)
 */
#include "transform_helpers.h"

#define T(cls) "org.apache.kafka.connect.transforms." cls

static ks_transform_chain_t *last;

__attribute__((destructor)) static void last_free(void)
{
	ks_transform_chain_destroy(last);
}

static ks_record_t *run(const char *props, const char *value)
{
	ks_record_t *r = tt_rec("t", NULL, value);
	ks_transform_chain_destroy(last);
	last = tt_chain(props);
	KS_CHECK(last, "%s", tt_err);
	KS_CHECK(tt_apply(last, r) == KS_OK, "apply: %s", tt_err);
	return r;
}

static void fails(const char *props, const char *value, const char *msg)
{
	ks_record_t *r = tt_rec("t", NULL, value);
	ks_transform_chain_destroy(last);
	last = tt_chain(props);
	KS_CHECK(last, "%s", tt_err);
	KS_CHECK(tt_apply(last, r) == KS_ERR_RECORD, "accepted: %s", TT_VALUE(r));
	KS_CHECK(tt_has(tt_err, msg), "error \"%s\" lacks \"%s\"", tt_err, msg);
}

/* Whole-value cast of one enveloped value: "type:payload" -> rendering. */
static const char *cast1(const char *schema_json, const char *payload, const char *to)
{
	char props[256], value[512];
	ks_record_t *r;
	snprintf(props, sizeof(props),
	         "transforms=c\ntransforms.c.type=" T("Cast$Value") "\ntransforms.c.spec=%s\n", to);
	snprintf(value, sizeof(value), "{\"schema\":%s,\"payload\":%s}", schema_json, payload);
	r = run(props, value);
	return TT_VALUE(r);
}

#define I8  "{\"type\":\"int8\"}"
#define I32 "{\"type\":\"int32\"}"
#define I64 "{\"type\":\"int64\"}"
#define F32 "{\"type\":\"float\"}"
#define F64 "{\"type\":\"double\"}"
#define STR "{\"type\":\"string\"}"
#define BOO "{\"type\":\"boolean\"}"
#define BYT "{\"type\":\"bytes\"}"

KS_TEST(cast_numbers_like_java)
{
	KS_CHECK_STR(cast1(I64, "300", "int8"), "44");           /* (byte) 300 */
	KS_CHECK_STR(cast1(I64, "-129", "int8"), "127");         /* wraps */
	KS_CHECK_STR(cast1(I64, "70000", "int16"), "4464");      /* (short) */
	KS_CHECK_STR(cast1(I64, "4294967297", "int32"), "1");    /* (int) */
	KS_CHECK_STR(cast1(F64, "3.99", "int32"), "3");          /* truncates */
	KS_CHECK_STR(cast1(F64, "-3.99", "int64"), "-3");        /* toward zero */
	KS_CHECK_STR(cast1(F64, "1e20", "int32"), "2147483647"); /* saturates */
	KS_CHECK_STR(cast1(F64, "1e20", "int8"), "-1");          /* (byte)(int) */
	KS_CHECK_STR(cast1(F64, "0.5", "boolean"), "false");     /* longValue() != 0 */
	KS_CHECK_STR(cast1(I32, "-2", "boolean"), "true");
	KS_CHECK_STR(cast1(BOO, "true", "int32"), "1");
	KS_CHECK_STR(cast1(BOO, "false", "float64"), "0");
	KS_CHECK_STR(cast1(I32, "7", "float32"), "7");
}

KS_TEST(cast_strings_like_java)
{
	KS_CHECK_STR(cast1(F64, "1.0", "string"), "\"1.0\"");
	KS_CHECK_STR(cast1(F64, "0.1", "string"), "\"0.1\"");
	KS_CHECK_STR(cast1(F64, "12345678.9", "string"), "\"1.23456789E7\"");
	KS_CHECK_STR(cast1(F64, "0.00012", "string"), "\"1.2E-4\"");
	KS_CHECK_STR(cast1(F64, "100", "string"), "\"100.0\"");
	KS_CHECK_STR(cast1(F32, "0.1", "string"), "\"0.1\""); /* Float.toString */
	KS_CHECK_STR(cast1(I8, "-5", "string"), "\"-5\"");
	KS_CHECK_STR(cast1(BOO, "true", "string"), "\"true\"");
	KS_CHECK_STR(cast1(BYT, "\"AP8B\"", "string"), "\"AP8B\""); /* base64 */
	KS_CHECK_STR(cast1(STR, "\"42\"", "int32"), "42");
	KS_CHECK_STR(cast1(STR, "\"-42\"", "int8"), "-42");
	KS_CHECK_STR(cast1(STR, "\" 2.5 \"", "float64"), "2.5");
	KS_CHECK_STR(cast1(STR, "\"1e3\"", "float32"), "1000");
	KS_CHECK_STR(cast1(STR, "\"TRUE\"", "boolean"), "true");
	KS_CHECK_STR(cast1(STR, "\"yes\"", "boolean"), "false"); /* Boolean.parseBoolean */
	KS_CHECK_STR(cast1("{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data."
	                   "Decimal\",\"parameters\":{\"scale\":\"2\"}}",
	                   "-12.5", "string"),
	             "\"-12.50\"");
	KS_CHECK_STR(cast1("{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data."
	                   "Decimal\",\"parameters\":{\"scale\":\"2\"}}",
	                   "-12.5", "int32"),
	             "-12");
	KS_CHECK_STR(cast1("{\"type\":\"int64\",\"name\":\"org.apache.kafka.connect.data."
	                   "Timestamp\"}",
	                   "1700000000123", "string"),
	             "\"2023-11-14T22:13:20.123Z\"");
	KS_CHECK_STR(cast1("{\"type\":\"int32\",\"name\":\"org.apache.kafka.connect.data.Date\"}",
	                   "19675", "string"),
	             "\"2023-11-14\"");
	KS_CHECK_STR(cast1("{\"type\":\"int32\",\"name\":\"org.apache.kafka.connect.data.Time\"}",
	                   "3723004", "string"),
	             "\"01:02:03.004Z\"");
	KS_CHECK_STR(cast1("{\"type\":\"int64\",\"name\":\"org.apache.kafka.connect.data."
	                   "Timestamp\"}",
	                   "1700000000123", "int64"),
	             "\"2023-11-14T22:13:20.123Z\""); /* copySchemaBasics keeps the name */
}

#define BET                                                                                        \
	"{\"schema\":{\"type\":\"struct\",\"name\":\"b\",\"fields\":["                             \
	"{\"field\":\"id\",\"type\":\"string\"},"                                                  \
	"{\"field\":\"amount\",\"type\":\"double\",\"optional\":true,\"default\":1.5},"            \
	"{\"field\":\"flag\",\"type\":\"int8\"},"                                                  \
	"{\"field\":\"tags\",\"type\":\"array\",\"items\":{\"type\":\"string\"}}]},"               \
	"\"payload\":{\"id\":\"17\",\"amount\":2.25,\"flag\":1,\"tags\":[\"a\"]}}"

KS_TEST(cast_fields)
{
	ks_record_t *r = run("transforms=c\ntransforms.c.type=" T(
	                             "Cast$Value") "\n"
	                                           "transforms.c.spec=id:int64,amount:string,flag:"
	                                           "boolean,nope:int8\n",
	                     BET);
	const ks_field_t *f;
	KS_CHECK_STR(tt_schema(r->value_schema), "{id:int64,amount:string?,flag:boolean,tags:["
	                                         "string]}");
	KS_CHECK_STR(TT_VALUE(r), "{\"id\":17,\"amount\":\"2.25\",\"flag\":true,\"tags\":[\"a\"]}");
	f = ks_schema_field(r->value_schema, "amount");
	KS_CHECK(f && f->schema->default_value &&
	                 !strcmp(tt_value(f->schema, f->schema->default_value), "\"1.5\""),
	         "default cast too");
	r = run("transforms=c\ntransforms.c.type=" T(
	                "Cast$Value") "\n"
	                              "transforms.c.spec=a:int32,b:string,c:float64\n",
	        "{\"a\":\"5\",\"b\":12,\"d\":true}");
	KS_CHECK_STR(TT_VALUE(r), "{\"a\":5,\"b\":\"12\",\"d\":true,\"c\":null}");
	r = run("transforms=c\ntransforms.c.type=" T("Cast$Key") "\ntransforms.c.spec=string\n",
	        NULL);
	KS_CHECK(!r->value, "tombstone passes");
	fails("transforms=c\ntransforms.c.type=" T("Cast$Value") "\ntransforms.c.spec=id:int32\n",
	      "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"field\":\"id\",\"type\":\"string\"}]"
	      "},"
	      "\"payload\":{\"id\":\"abc\"}}",
	      "Value (abc) was out of range for requested data type");
	fails("transforms=c\ntransforms.c.type=" T("Cast$Value") "\ntransforms.c.spec=x:int8\n",
	      "{\"x\":\"300\"}", "Value (300) was out of range");
	fails("transforms=c\ntransforms.c.type=" T(
	              "Cast$Value") "\ntransforms.c.spec=tags:string\n",
	      BET, "Cast transformation does not support casting from ARRAY");
	fails("transforms=c\ntransforms.c.type=" T("Cast$Value") "\ntransforms.c.spec=int32\n", BET,
	      "Cast transformation does not support casting from STRUCT");
	fails("transforms=c\ntransforms.c.type=" T("Cast$Value") "\ntransforms.c.spec=int32\n",
	      "{\"schema\":{\"type\":\"bytes\"},\"payload\":\"AP8B\"}",
	      "Unexpected type in Cast transformation: class [B");
}

#define TSC(extra) "transforms=ts\ntransforms.ts.type=" T("TimestampConverter$Value") "\n" extra

#define EVENT                                                                                      \
	"{\"schema\":{\"type\":\"struct\",\"fields\":["                                            \
	"{\"field\":\"at\",\"type\":\"string\",\"optional\":true},"                                \
	"{\"field\":\"epoch\",\"type\":\"int64\"},"                                                \
	"{\"field\":\"ts\",\"type\":\"int64\",\"name\":\"org.apache.kafka.connect.data."           \
	"Timestamp\"}]},"                                                                          \
	"\"payload\":{\"at\":\"14/11/2023 22:13:20\",\"epoch\":1700000000,"                        \
	"\"ts\":1700000000123}}"

KS_TEST(timestamp_converter)
{
	ks_record_t *r = run(TSC("transforms.ts.field=at\ntransforms.ts.target.type=Timestamp\n"
	                         "transforms.ts.format=dd/MM/yyyy HH:mm:ss\n"),
	                     EVENT);
	KS_CHECK_STR(tt_schema(r->value_schema), "{at:Timestamp?,epoch:int64,ts:Timestamp}");
	KS_CHECK_STR(TT_VALUE(r), "{\"at\":\"2023-11-14T22:13:20.000Z\",\"epoch\":1700000000,"
	                          "\"ts\":\"2023-11-14T22:13:20.123Z\"}");
	r = run(TSC("transforms.ts.field=epoch\ntransforms.ts.target.type=Date\n"
	            "transforms.ts.unix.precision=seconds\n"),
	        EVENT);
	KS_CHECK_STR(tt_schema(r->value_schema), "{at:string?,epoch:Date,ts:Timestamp}");
	KS_CHECK_STR(TT_VALUE(r), "{\"at\":\"14/11/2023 22:13:20\",\"epoch\":\"2023-11-14\","
	                          "\"ts\":\"2023-11-14T22:13:20.123Z\"}");
	r = run(TSC("transforms.ts.field=ts\ntransforms.ts.target.type=string\n"
	            "transforms.ts.format=yyyy-MM-dd HH:mm:ss.SSS Z\n"),
	        EVENT);
	KS_CHECK_STR(TT_VALUE(r), "{\"at\":\"14/11/2023 22:13:20\",\"epoch\":1700000000,"
	                          "\"ts\":\"2023-11-14 22:13:20.123 +0000\"}");
	r = run(TSC("transforms.ts.field=ts\ntransforms.ts.target.type=unix\n"
	            "transforms.ts.unix.precision=microseconds\n"),
	        EVENT);
	KS_CHECK_STR(TT_VALUE(r), "{\"at\":\"14/11/2023 22:13:20\",\"epoch\":1700000000,"
	                          "\"ts\":1700000000123000}");
	r = run(TSC("transforms.ts.field=ts\ntransforms.ts.target.type=Time\n"), EVENT);
	KS_CHECK_STR(tt_schema(r->value_schema), "{at:string?,epoch:int64,ts:Time}");
	KS_CHECK_STR(TT_VALUE(r), "{\"at\":\"14/11/2023 22:13:20\",\"epoch\":1700000000,"
	                          "\"ts\":\"22:13:20.123\"}");
	/* schemaless: a string with an offset, and a whole-value unix in nanoseconds */
	r = run(TSC("transforms.ts.field=when\ntransforms.ts.target.type=unix\n"
	            "transforms.ts.format=yyyy-MM-dd'T'HH:mm:ssXXX\n"),
	        "{\"when\":\"2023-11-14T23:13:20+01:00\",\"x\":1}");
	KS_CHECK_STR(TT_VALUE(r), "{\"when\":1700000000000,\"x\":1}");
	r = run(TSC("transforms.ts.target.type=Timestamp\ntransforms.ts.unix.precision="
	            "nanoseconds\n"),
	        "1700000000123456789");
	KS_CHECK_STR(TT_VALUE(r), "1700000000123");
	r = run(TSC("transforms.ts.target.type=string\ntransforms.ts.format=MMM d, yyyy h:mm a\n"),
	        "{\"schema\":{\"type\":\"int64\",\"optional\":true},\"payload\":1700000000123}");
	KS_CHECK_STR(tt_schema(r->value_schema), "string?");
	KS_CHECK_STR(TT_VALUE(r), "\"Nov 14, 2023 10:13 PM\"");
	/* lenient parsing rolls fields over, like SimpleDateFormat */
	r = run(TSC("transforms.ts.target.type=unix\ntransforms.ts.format=yyyyMMdd\n"),
	        "\"20231301\"");
	KS_CHECK_STR(TT_VALUE(r), "1704067200000"); /* 2024-01-01 */
	fails(TSC("transforms.ts.field=at\ntransforms.ts.target.type=unix\n"
	          "transforms.ts.format=yyyy-MM-dd\n"),
	      EVENT,
	      "Could not parse timestamp: value (14/11/2023 22:13:20) does not match pattern "
	      "(yyyy-MM-dd)");
	fails(TSC("transforms.ts.field=at\ntransforms.ts.target.type=unix\n"), EVENT,
	      "requires format option");
	fails(TSC("transforms.ts.target.type=unix\n"),
	      "{\"schema\":{\"type\":\"double\"},"
	      "\"payload\":1.5}",
	      "does not correspond to a known timestamp type format");
	fails(TSC("transforms.ts.target.type=unix\n"), "true",
	      "TimestampConverter does not support class java.lang.Boolean objects as timestamps");
}
