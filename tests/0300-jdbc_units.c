/*
 * 0300-jdbc_units.c — the JDBC sink's pure parts, no database: JDBC URL ->
 * libpq conninfo, the config table and its cross-key checks, identifier
 * quoting and table-name parsing, type mapping, decimal text.
 * needs: none (a unit test: tests/run.sh starts no stack for it)
 */
#include "../connectors/jdbc/jdbc.h"
#include "lib/harness.h"

#include <stdlib.h>
#include <string.h>

static char *conninfo(const char *url, const char *user, const char *pw, const char *drvk,
                      const char *drvv, char **safe)
{
	char *ci = NULL, err[256] = "";
	ks_props_t *drv = ks_props_new();

	KS_CHECK(drv, "oom");
	if (drvk)
		KS_CHECK(!ks_props_set(drv, drvk, drvv), "oom");
	int rc = ks_jdbc_url_to_conninfo(url, drv, user, pw, &ci, safe, NULL, err, sizeof(err));
	ks_props_destroy(drv);
	KS_CHECK(rc == 0, "%s: %s", url, err);
	return ci;
}

KS_TEST(url_simple)
{
	char *safe, *ci = conninfo("jdbc:postgresql://db.example:6543/totebets", NULL, NULL, NULL,
	                           NULL, &safe);
	KS_CHECK_STR(ci, "host='db.example' port='6543' dbname='totebets'");
	free(ci);
	free(safe);
}

KS_TEST(url_default_port_and_multi_host)
{
	char *safe, *ci = conninfo("jdbc:postgresql://a,b:5433,[::1]:7/db", NULL, NULL, NULL, NULL,
	                           &safe);
	KS_CHECK_STR(ci, "host='a,b,::1' port='5432,5433,7' dbname='db'");
	free(ci);
	free(safe);
}

KS_TEST(url_params_mapped)
{
	char *safe, *ci = conninfo("jdbc:postgresql://h/db?user=u&password=p%40ss&sslmode=require"
	                           "&currentSchema=my%20schema&ApplicationName=app&connectTimeout=7"
	                           "&targetServerType=primary&foo=bar",
	                           NULL, NULL, NULL, NULL, &safe);
	KS_CHECK(strstr(ci, "user='u'"), "%s", ci);
	KS_CHECK(strstr(ci, "password='p@ss'"), "%s", ci);
	KS_CHECK(strstr(ci, "sslmode='require'"), "%s", ci);
	KS_CHECK(strstr(ci, "options='-csearch_path=my\\\\ schema'"), "%s", ci);
	KS_CHECK(strstr(ci, "application_name='app'"), "%s", ci);
	KS_CHECK(strstr(ci, "connect_timeout='7'"), "%s", ci);
	KS_CHECK(strstr(ci, "target_session_attrs='primary'"), "%s", ci);
	KS_CHECK(!strstr(ci, "foo"), "%s", ci);
	KS_CHECK(!strstr(safe, "p@ss") && strstr(safe, "password=********"), "%s", safe);
	free(ci);
	free(safe);
}

KS_TEST(url_login_timeout_passthrough_and_ssl)
{
	char *safe, *ci = conninfo("jdbc:postgresql://h:1/d?ssl=true", "bob", "s'e\\cret",
	                           "loginTimeout", "10", &safe);
	KS_CHECK(strstr(ci, "connect_timeout='10'"), "%s", ci);
	KS_CHECK(strstr(ci, "sslmode='verify-full'"), "%s", ci);
	KS_CHECK(strstr(ci, "user='bob'"), "%s", ci);
	/* libpq quoting: ' and \ are backslash-escaped */
	KS_CHECK(strstr(ci, "password='s\\'e\\\\cret'"), "%s", ci);
	KS_CHECK(!strstr(safe, "cret"), "password leaked into the safe string: %s", safe);
	free(ci);
	free(safe);
}

KS_TEST(url_injection_cannot_add_keys)
{
	char *safe, *ci = conninfo("jdbc:postgresql://h/db?ApplicationName=x'%20host='evil", NULL,
	                           NULL, NULL, NULL, &safe);
	KS_CHECK_STR(ci, "host='h' port='5432' dbname='db' application_name='x\\' host=\\'evil'");
	free(ci);
	free(safe);
}

KS_TEST(url_rejects_other_drivers)
{
	char *ci = NULL, *safe = NULL, err[256];
	KS_CHECK(ks_jdbc_url_to_conninfo("jdbc:mysql://h/db", NULL, NULL, NULL, &ci, &safe, NULL,
	                                 err, sizeof(err)) != 0,
	         "mysql URL accepted");
	KS_CHECK(strstr(err, "jdbc:postgresql"), "%s", err);
}

static ks_props_t *props(const char *const *kv)
{
	ks_props_t *p = ks_props_new();
	for (; kv[0]; kv += 2)
		KS_CHECK(!ks_props_set(p, kv[0], kv[1]), "oom");
	return p;
}

KS_TEST(settings_defaults)
{
	const char *kv[] = {"connection.url", "jdbc:postgresql://h/db", NULL};
	ks_props_t *p = props(kv);
	ks_jdbc_settings_t s;
	char err[512];

	KS_CHECK(ks_jdbc_settings_parse(p, &s, err, sizeof(err)) == 0, "%s", err);
	KS_CHECK_INT(s.batch_size, 3000);
	KS_CHECK_INT(s.insert_mode, KS_JDBC_INSERT);
	KS_CHECK_INT(s.pk_mode, KS_JDBC_PK_NONE);
	KS_CHECK_INT(s.max_retries, 10);
	KS_CHECK_INT(s.retry_backoff_ms, 3000);
	KS_CHECK_INT(s.attempts, 3);
	KS_CHECK_INT(s.backoff_ms, 10000);
	KS_CHECK_STR(s.table_format, "${topic}");
	KS_CHECK_STR(s.offsets_table, "__ksink_offsets");
	KS_CHECK_STR(s.db_timezone, "UTC");
	KS_CHECK(s.types_table && !s.types_view, "table.types");
	ks_jdbc_settings_clear(&s);
	ks_props_destroy(p);
}

KS_TEST(settings_ignore_worker_keys_and_pass_driver_props)
{
	const char *kv[] = {"connection.url",
	                    "jdbc:postgresql://h/db",
	                    "name",
	                    "sink",
	                    "connector.class",
	                    "JdbcSink",
	                    "topics",
	                    "a,b",
	                    "tasks.max",
	                    "2",
	                    "connection.loginTimeout",
	                    "10",
	                    "auto.create",
	                    "TRUE",
	                    NULL};
	ks_props_t *p = props(kv);
	ks_jdbc_settings_t s;
	char err[512];

	KS_CHECK(ks_jdbc_settings_parse(p, &s, err, sizeof(err)) == 0, "%s", err);
	KS_CHECK(strstr(s.conninfo, "connect_timeout='10'"), "%s", s.conninfo);
	KS_CHECK(s.auto_create, "auto.create");
	ks_jdbc_settings_clear(&s);
	ks_props_destroy(p);
}

KS_TEST(settings_delete_needs_record_key)
{
	const char *kv[] = {"connection.url",
	                    "jdbc:postgresql://h/db",
	                    "delete.enabled",
	                    "true",
	                    "pk.mode",
	                    "record_value",
	                    NULL};
	ks_props_t *p = props(kv);
	ks_jdbc_settings_t s;
	char err[512];

	KS_CHECK(ks_jdbc_settings_parse(p, &s, err, sizeof(err)) != 0, "accepted");
	KS_CHECK(strstr(err, "Deletes are only supported for pk.mode record_key"), "%s", err);
	ks_props_destroy(p);
}

KS_TEST(settings_bad_enum_and_upsert_without_pk)
{
	const char *kv[] = {"connection.url", "jdbc:postgresql://h/db", "insert.mode", "merge",
	                    NULL};
	const char *kv2[] = {"connection.url", "jdbc:postgresql://h/db", "insert.mode", "UPSERT",
	                     NULL};
	ks_props_t *p = props(kv), *p2 = props(kv2);
	ks_jdbc_settings_t s;
	char err[512];

	KS_CHECK(ks_jdbc_settings_parse(p, &s, err, sizeof(err)) != 0, "merge accepted");
	KS_CHECK(strstr(err, "insert.mode"), "%s", err);
	KS_CHECK(ks_jdbc_settings_parse(p2, &s, err, sizeof(err)) != 0, "upsert w/o pk accepted");
	KS_CHECK(strstr(err, "requires key field names"), "%s", err);
	ks_props_destroy(p);
	ks_props_destroy(p2);
}

KS_TEST(plugin_table)
{
	const ks_connector_plugin_t *p =
	        ks_connector_find("io.confluent.connect.jdbc.JdbcSinkConnector");
	KS_CHECK(p == &ks_jdbc_sink_plugin, "not registered");
	KS_CHECK(ks_connector_find("JdbcSink") == p, "alias JdbcSink");
	KS_CHECK(ks_connector_find("JdbcSinkConnector") == p, "alias JdbcSinkConnector");
	size_t n = 0;
	for (const ks_cfg_def_t *d = p->config_defs; d->name; d++)
		n++;
	KS_CHECK(n >= 30, "only %zu keys", n);
}

KS_TEST(validate_hook_via_config)
{
	const char *kv[] = {"connection.url", "jdbc:postgresql://h/db", "delete.enabled", "true",
	                    NULL};
	const ks_cfg_def_t *const tabs[] = {ks_jdbc_config_defs, NULL};
	ks_props_t *p = props(kv);
	ks_config_t *c = ks_config_new(tabs, p);

	ks_jdbc_config_validate(c);
	KS_CHECK_INT(ks_config_error_count(c), 2);
	ks_config_destroy(c);
	ks_props_destroy(p);
}

KS_TEST(identifiers)
{
	ks_buf_t b = KS_BUF_INIT;
	ks_jdbc_quote_ident(&b, "a\"; DROP TABLE x; --");
	KS_CHECK_STR(b.data, "\"a\"\"; DROP TABLE x; --\"");
	ks_buf_free(&b);
	char *n = ks_jdbc_ident_norm("MixedCase", 1);
	KS_CHECK_STR(n, "mixedcase");
	free(n);
	n = ks_jdbc_ident_norm("MixedCase", 0);
	KS_CHECK_STR(n, "MixedCase");
	free(n);
	char longname[100];
	memset(longname, 'x', 99);
	longname[99] = 0;
	n = ks_jdbc_ident_norm(longname, 0);
	KS_CHECK_INT(strlen(n), 63);
	free(n);
}

KS_TEST(table_names)
{
	char *c, *s, *t, err[256];

	KS_CHECK(!ks_jdbc_parse_table("orders", 0, &c, &s, &t, err, sizeof(err)), "%s", err);
	KS_CHECK(!c && !s, "parts");
	KS_CHECK_STR(t, "orders");
	free(t);
	KS_CHECK(!ks_jdbc_parse_table("db.Sales.\"My.Table\"", 1, &c, &s, &t, err, sizeof(err)),
	         "%s", err);
	KS_CHECK_STR(c, "db");
	KS_CHECK_STR(s, "sales");
	KS_CHECK_STR(t, "My.Table");
	free(c);
	free(s);
	free(t);
	KS_CHECK(!ks_jdbc_parse_table("a\"; DROP TABLE x; --", 0, &c, &s, &t, err, sizeof(err)),
	         "%s", err);
	KS_CHECK_STR(t, "a\"; DROP TABLE x; --");
	free(t);
	KS_CHECK(ks_jdbc_parse_table("a.b.c.d", 0, &c, &s, &t, err, sizeof(err)), "4 parts");
	KS_CHECK(ks_jdbc_parse_table("\"open", 0, &c, &s, &t, err, sizeof(err)), "unterminated");
}

KS_TEST(type_mapping)
{
	ks_pgtype_t pt;
	char err[256];
	ks_schema_t *s = ks_schema_decimal(10, 2);
	KS_CHECK(!ks_jdbc_pgtype(s, 0, 0, &pt, err, sizeof(err)), "%s", err);
	KS_CHECK_STR(pt.ddl, "NUMERIC(10,2)");
	ks_schema_unref(s);
	s = ks_schema_logical(KS_LOGICAL_TIMESTAMP);
	KS_CHECK(!ks_jdbc_pgtype(s, 0, 0, &pt, err, sizeof(err)), "%s", err);
	KS_CHECK_STR(pt.ddl, "TIMESTAMP");
	KS_CHECK(!ks_jdbc_pgtype(s, 1, 0, &pt, err, sizeof(err)), "%s", err);
	KS_CHECK_STR(pt.ddl, "TIMESTAMPTZ");
	ks_schema_unref(s);
	s = ks_schema_new(KS_TYPE_ARRAY);
	s->value_schema = ks_schema_new(KS_TYPE_INT32);
	KS_CHECK(!ks_jdbc_pgtype(s, 0, 0, &pt, err, sizeof(err)), "%s", err);
	KS_CHECK_STR(pt.ddl, "INT[]");
	ks_schema_unref(s);
	s = ks_schema_new(KS_TYPE_STRUCT);
	KS_CHECK(ks_jdbc_pgtype(s, 0, 0, &pt, err, sizeof(err)) != 0, "struct mapped");
	KS_CHECK(strstr(err, "doesn't have a mapping"), "%s", err);
	KS_CHECK(!ks_jdbc_pgtype(s, 0, 1, &pt, err, sizeof(err)), "%s", err);
	KS_CHECK_STR(pt.ddl, "JSONB");
	ks_schema_unref(s);
}

static void dec(const unsigned char *p, size_t n, int scale, const char *want)
{
	ks_buf_t b = KS_BUF_INIT;
	char err[256];
	KS_CHECK(!ks_jdbc_decimal_text(&b, p, n, scale, -1, err, sizeof(err)), "%s", err);
	KS_CHECK_STR(b.data, want);
	ks_buf_free(&b);
}

KS_TEST(decimal_text)
{
	const unsigned char a[] = {0x30, 0x39}; /* 12345 */
	const unsigned char m1[] = {0xff};      /* -1 */
	const unsigned char z[] = {0x00};
	const unsigned char big[] = {0x36, 0x35, 0xc9, 0xad, 0xc5,
	                             0xde, 0xa0, 0x00, 0x00}; /* 10^21 */
	dec(a, 2, 2, "123.45");
	dec(a, 2, 0, "12345");
	dec(a, 2, 7, "0.0012345");
	dec(m1, 1, 3, "-0.001");
	dec(z, 1, 2, "0.00");
	dec(big, 9, 0, "1000000000000000000000");
}

KS_TEST(demo_connector_config_is_accepted)
{
	json_error_t jerr;
	json_t *root = json_load_file("demo/connect-jdbc-sink.json", 0, &jerr);
	ks_props_t *p = ks_props_new();
	ks_jdbc_settings_t s;
	char err[512];

	KS_CHECK(root, "demo/connect-jdbc-sink.json: %s", jerr.text);
	KS_CHECK(!ks_config_from_json(json_object_get(root, "config"), p, err, sizeof(err)), "%s",
	         err);
	/* the template has placeholders for the port */
	KS_CHECK(!ks_props_set(p, "connection.url", "jdbc:postgresql://127.0.0.1:5432/totebets"),
	         "oom");
	KS_CHECK(ks_jdbc_settings_parse(p, &s, err, sizeof(err)) == 0, "%s", err);
	KS_CHECK(s.auto_create && s.auto_evolve && s.insert_mode == KS_JDBC_INSERT, "values");
	KS_CHECK(strstr(s.conninfo, "connect_timeout='10'") &&
	                 strstr(s.conninfo, "dbname='totebets'"),
	         "%s", s.conninfo);
	KS_CHECK(!strstr(s.conninfo_safe, "example"), "password in %s", s.conninfo_safe);
	ks_jdbc_settings_clear(&s);
	ks_props_destroy(p);
	json_decref(root);
}
