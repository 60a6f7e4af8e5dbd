/*
 * 0011-config_defs.c — the declarative config core: defaults, required keys,
 * type parsing, validators, Connect's messages, the ConfigInfos JSON, the
 * connector-JSON parser, and the common sink rules.
 * needs: none (a unit test: tests/run.sh starts no stack for it)
 */
#include "../config/config.h"
#include "../connectors/connector.h"
#include "lib/harness.h"

#include <stdlib.h>
#include <string.h>

static const char *const modes[] = {"insert", "upsert", "update", NULL};
static const ks_cfg_def_t defs[] = {
        {.name = "connection.url", .type = KS_CFG_STRING, .required = 1, .group = "Connection"},
        {.name = "connection.password", .type = KS_CFG_PASSWORD, .group = "Connection"},
        {.name = "insert.mode",
         .type = KS_CFG_STRING,
         .default_value = "insert",
         .allowed = modes,
         .group = "Writes"},
        {.name = "batch.size",
         .type = KS_CFG_INT,
         .default_value = "3000",
         .has_min = 1,
         .min = 1,
         .group = "Writes"},
        {.name = "retry.backoff.ms", .type = KS_CFG_LONG, .default_value = "3000"},
        {.name = "ratio", .type = KS_CFG_DOUBLE, .default_value = "0.5", .has_max = 1, .max = 1},
        {.name = "auto.create", .type = KS_CFG_BOOLEAN, .default_value = "false"},
        {.name = "pk.fields", .type = KS_CFG_LIST, .default_value = ""},
        KS_CFG_END,
};
static const ks_cfg_def_t *const tables[] = {defs, NULL};

static ks_config_t *cfg_from(const char *const *kv)
{
	ks_props_t *p = ks_props_new();
	ks_config_t *c;

	for (; kv && kv[0]; kv += 2)
		KS_CHECK(ks_props_set(p, kv[0], kv[1]) == 0, "set");
	c = ks_config_new(tables, p);
	ks_props_destroy(p);
	KS_CHECK(c != NULL, "alloc");
	return c;
}

KS_TEST(defaults_and_types)
{
	const char *kv[] = {"connection.url",
	                    "jdbc:postgresql://h/db",
	                    "pk.fields",
	                    " a , b,c ",
	                    "auto.create",
	                    "TRUE",
	                    "unknown.key",
	                    "kept",
	                    NULL};
	ks_config_t *c = cfg_from(kv);
	const char *const *items;

	KS_CHECK_INT(ks_config_error_count(c), 0);
	KS_CHECK_STR(ks_config_string(c, "insert.mode"), "insert");
	KS_CHECK_INT(ks_config_int(c, "batch.size"), 3000);
	KS_CHECK_INT(ks_config_long(c, "retry.backoff.ms"), 3000);
	KS_CHECK(ks_config_double(c, "ratio") == 0.5, "ratio");
	KS_CHECK_INT(ks_config_bool(c, "auto.create"), 1);
	KS_CHECK_INT(ks_config_list(c, "pk.fields", &items), 3);
	KS_CHECK_STR(items[0], "a");
	KS_CHECK_STR(items[2], "c");
	KS_CHECK(ks_config_string(c, "connection.password") == NULL, "null default");
	KS_CHECK_INT(ks_config_is_set(c, "batch.size"), 0);
	KS_CHECK_STR(ks_props_get(ks_config_props(c), "unknown.key"), "kept");
	ks_config_destroy(c);
}

KS_TEST(missing_required_uses_connect_message)
{
	ks_config_t *c = cfg_from(NULL);

	KS_CHECK_INT(ks_config_error_count(c), 1);
	KS_CHECK_STR(
	        ks_config_errors_text(c),
	        "Missing required configuration \"connection.url\" which has no default value.");
	ks_config_destroy(c);
}

KS_TEST(enum_is_case_insensitive_and_lists_choices)
{
	const char *ok[] = {"connection.url", "u", "insert.mode", "UPSERT", NULL};
	const char *bad[] = {"connection.url", "u", "insert.mode", "merge", NULL};
	ks_config_t *c = cfg_from(ok);

	KS_CHECK_INT(ks_config_error_count(c), 0);
	KS_CHECK_STR(ks_config_string(c, "insert.mode"), "UPSERT");
	ks_config_destroy(c);
	c = cfg_from(bad);
	KS_CHECK_INT(ks_config_error_count(c), 1);
	KS_CHECK_STR(ks_config_errors_text(c),
	             "Invalid value merge for configuration insert.mode: String must be one of "
	             "(case insensitive): insert, upsert, update");
	ks_config_destroy(c);
}

KS_TEST(numbers_ranges_and_booleans_rejected_with_reasons)
{
	const char *kv[] = {"connection.url",   "u",   "batch.size", "0",
	                    "retry.backoff.ms", "12x", "ratio",      "1.5",
	                    "auto.create",      "yes", NULL};
	ks_config_t *c = cfg_from(kv);
	const char *t;

	KS_CHECK_INT(ks_config_error_count(c), 4);
	t = ks_config_errors_text(c);
	KS_CHECK(
	        strstr(t, "Invalid value 0 for configuration batch.size: Value must be at least 1"),
	        "%s", t);
	KS_CHECK(strstr(t, "retry.backoff.ms: Not a number of type LONG"), "%s", t);
	KS_CHECK(strstr(t, "ratio: Value must be no more than 1"), "%s", t);
	KS_CHECK(strstr(t, "auto.create: Expected value to be either true or false"), "%s", t);
	ks_config_destroy(c);
}

KS_TEST(int_overflow_rejected)
{
	const char *kv[] = {"connection.url", "u", "batch.size", "2147483648", NULL};
	ks_config_t *c = cfg_from(kv);

	KS_CHECK_INT(ks_config_error_count(c), 1);
	ks_config_destroy(c);
}

KS_TEST(config_infos_json_hides_passwords)
{
	const char *kv[] = {"connection.url", "u", "connection.password", "s3cret", "insert.mode",
	                    "bogus",          NULL};
	ks_config_t *c = cfg_from(kv);
	json_t *j = ks_config_infos_json(c, "io.confluent.connect.jdbc.JdbcSinkConnector");
	char *text = json_dumps(j, JSON_COMPACT);
	json_t *configs = json_object_get(j, "configs"), *it;
	size_t i;
	int seen_pw = 0;

	KS_CHECK(text && !strstr(text, "s3cret"), "password leaked: %s", text);
	KS_CHECK_INT(json_integer_value(json_object_get(j, "error_count")), 1);
	KS_CHECK_STR(json_string_value(json_object_get(j, "name")),
	             "io.confluent.connect.jdbc.JdbcSinkConnector");
	KS_CHECK(json_array_size(json_object_get(j, "groups")) == 2, "groups");
	json_array_foreach(configs, i, it)
	{
		json_t *d = json_object_get(it, "definition"), *v = json_object_get(it, "value");
		const char *name = json_string_value(json_object_get(d, "name"));
		KS_CHECK(json_is_boolean(json_object_get(d, "required")), "required");
		KS_CHECK(json_is_array(json_object_get(v, "errors")), "errors");
		if (!strcmp(name, "connection.password")) {
			seen_pw = 1;
			KS_CHECK_STR(json_string_value(json_object_get(v, "value")), "[hidden]");
			KS_CHECK_STR(json_string_value(json_object_get(d, "type")), "PASSWORD");
		}
		if (!strcmp(name, "connection.url"))
			KS_CHECK(json_is_null(json_object_get(d, "default_value")), "required key");
	}
	KS_CHECK(seen_pw, "no password entry");
	free(text);
	json_decref(j);
	ks_config_destroy(c);
}

KS_TEST(connector_json_keeps_booleans_and_numbers_as_strings)
{
	/* the seed's connect-jdbc-sink.json shape: JSON booleans, trailing spaces */
	const char *doc = "{\"name\":\"jdbc-sink-connector\",\"config\":{\"auto.create\":true,"
	                  "\"auto.evolve\":false,\"tasks.max\":3,\"ratio\":0.25,"
	                  "\"connection.loginTimeout\":\"10\",\"nothing\":null,"
	                  "\"rest.advertised.host.name\":\"connect\"       }}";
	json_error_t jerr;
	json_t *j = json_loads(doc, 0, &jerr);
	ks_props_t *p = ks_props_new();
	char errstr[256];

	KS_CHECK(j != NULL, "json: %s", jerr.text);
	KS_CHECK(ks_config_from_json(json_object_get(j, "config"), p, errstr, sizeof(errstr)) == 0,
	         "%s", errstr);
	KS_CHECK_STR(ks_props_get(p, "auto.create"), "true");
	KS_CHECK_STR(ks_props_get(p, "auto.evolve"), "false");
	KS_CHECK_STR(ks_props_get(p, "tasks.max"), "3");
	KS_CHECK_STR(ks_props_get(p, "ratio"), "0.25");
	KS_CHECK_STR(ks_props_get(p, "connection.loginTimeout"), "10");
	KS_CHECK(ks_props_get(p, "nothing") == NULL, "null is absent");
	ks_props_destroy(p);
	json_decref(j);
}

KS_TEST(connector_json_rejects_nested_values)
{
	json_t *j = json_loads("{\"topics\":[\"a\",\"b\"]}", 0, NULL);
	ks_props_t *p = ks_props_new();
	char errstr[256] = "";

	KS_CHECK(ks_config_from_json(j, p, errstr, sizeof(errstr)) != 0, "accepted an array");
	KS_CHECK(strstr(errstr, "\"topics\"") != NULL, "%s", errstr);
	KS_CHECK(ks_config_from_json(json_object_get(j, "topics"), p, errstr, sizeof(errstr)) != 0,
	         "accepted a non-object");
	ks_props_destroy(p);
	json_decref(j);
}

static ks_config_t *common_cfg(const char *topics, const char *regex, const char *dlq)
{
	const ks_cfg_def_t *const t[] = {ks_connector_common_defs, NULL};
	ks_props_t *p = ks_props_new();
	ks_config_t *c;

	KS_CHECK(!ks_props_set(p, "name", "s") && !ks_props_set(p, "connector.class", "JdbcSink"),
	         "set");
	if (topics)
		KS_CHECK(!ks_props_set(p, "topics", topics), "set");
	if (regex)
		KS_CHECK(!ks_props_set(p, "topics.regex", regex), "set");
	if (dlq)
		KS_CHECK(!ks_props_set(p, "errors.deadletterqueue.topic.name", dlq), "set");
	c = ks_config_new(t, p);
	ks_props_destroy(p);
	ks_connector_validate_common(c);
	return c;
}

KS_TEST(sink_topics_rules)
{
	ks_config_t *c = common_cfg(NULL, NULL, NULL);
	KS_CHECK(strstr(ks_config_errors_text(c), "Must configure one of topics or topics.regex"),
	         "none");
	ks_config_destroy(c);
	c = common_cfg("a", "b.*", NULL);
	KS_CHECK(strstr(ks_config_errors_text(c), "mutually exclusive"), "both");
	ks_config_destroy(c);
	c = common_cfg("a,dlq", NULL, "dlq");
	KS_CHECK(strstr(ks_config_errors_text(c), "DLQ topic 'dlq'"), "dlq");
	ks_config_destroy(c);
	c = common_cfg("a, b", NULL, NULL);
	KS_CHECK_INT(ks_config_error_count(c), 0);
	KS_CHECK_INT(ks_config_int(c, "tasks.max"), 1);
	KS_CHECK_STR(ks_config_string(c, "errors.tolerance"), "none");
	ks_config_destroy(c);
}

KS_TEST(control_characters_in_name_rejected)
{
	const ks_cfg_def_t *const t[] = {ks_connector_common_defs, NULL};
	ks_props_t *p = ks_props_new();
	ks_config_t *c;

	KS_CHECK(!ks_props_set(p, "name", "bad\x01name") &&
	                 !ks_props_set(p, "connector.class", "x") &&
	                 !ks_props_set(p, "topics", "t"),
	         "set");
	c = ks_config_new(t, p);
	KS_CHECK_INT(ks_config_error_count(c), 1);
	KS_CHECK(strstr(ks_config_errors_text(c), "control characters"), "msg");
	ks_config_destroy(c);
	ks_props_destroy(p);
}
