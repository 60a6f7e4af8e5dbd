/*
 * config.c — every key of Confluent's JdbcSinkConfig (10.9.x) as one
 * declarative table, the cross-key checks of JdbcSinkConfig's constructor and
 * validate(), and the translation of a connector config into the settings a
 * task runs with (ks_jdbc_settings_t).
 *
 * Keys that Java defines but this connector does not act on are accepted so
 * that existing configs validate unchanged (see "accepted, no effect" below).
 *
 * ksink extras (not in Confluent's connector):
 *   key                   default          meaning
 *   ksink.offsets.table   __ksink_offsets  table ([schema.]name) holding the
 *                                          exactly-once offsets, written in the
 *                                          same transaction as the data
 *   ksink.timestamp.type  timestamp        column type auto.create uses for
 *                                          Timestamp fields: timestamp|timestamptz
 *   ksink.struct.mode     fail             STRUCT/MAP/nested ARRAY fields:
 *                                          fail (as Java) | jsonb (one JSONB column)
 *
 * Accepted, no effect: jdbc.credentials.provider.class, date.timezone (dates
 * are always written as-is, i.e. Java's date.timezone=UTC),
 * date.calendar.system
 * (proleptic Gregorian always), mssql.use.merge.holdlock.
 */
#include "jdbc.h"

#include "../../lib/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const insert_modes[] = {"insert", "upsert", "update", NULL};
static const char *const pk_modes[] = {"none", "kafka", "record_key", "record_value", NULL};
static const char *const quote_methods[] = {"always", "never", NULL};
static const char *const date_tz[] = {"db_timezone", "utc", NULL};
static const char *const ts_precision[] = {"microseconds", "nanoseconds", NULL};
static const char *const calendars[] = {"LEGACY", "PROLEPTIC_GREGORIAN", NULL};
static const char *const ts_types[] = {"timestamp", "timestamptz", NULL};
static const char *const struct_modes[] = {"fail", "jsonb", NULL};
static const char *const dialects[] = {
        "GenericDatabaseDialect", "Db2DatabaseDialect",       "DerbyDatabaseDialect",
        "OracleDatabaseDialect",  "SqliteDatabaseDialect",    "PostgreSqlDatabaseDialect",
        "MySqlDatabaseDialect",   "SqlServerDatabaseDialect", "SapHanaDatabaseDialect",
        "SybaseDatabaseDialect",  "VerticaDatabaseDialect",   NULL};

static int validate_dialect(const ks_cfg_def_t *def, const char *v, char *errstr, size_t errlen)
{
	(void)def;
	if (!v || !*v)
		return 0;
	for (int i = 0; dialects[i]; i++)
		if (ks_strcaseeq(v, dialects[i]))
			return 0;
	return ks_seterr(errstr, errlen, -1, "Invalid value %s for configuration dialect.name", v);
}

/* Comma list of TABLE, PARTITIONED TABLE, VIEW (case-insensitive). */
static int table_types_parse(const char *v, int *table, int *part, int *view, char *errstr,
                             size_t errlen)
{
	const char *p = v ? v : "";

	*table = *part = *view = 0;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char item[64];

		while (n && (*p == ' ' || *p == '\t'))
			p++, n--;
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n >= sizeof(item))
			return ks_seterr(errstr, errlen, -1, "Invalid table type");
		memcpy(item, p, n);
		item[n] = 0;
		if (ks_strcaseeq(item, "TABLE"))
			*table = 1;
		else if (ks_strcaseeq(item, "PARTITIONED TABLE"))
			*part = 1;
		else if (ks_strcaseeq(item, "VIEW"))
			*view = 1;
		else if (n)
			return ks_seterr(errstr, errlen, -1,
			                 "Invalid table type '%s': expected TABLE, PARTITIONED "
			                 "TABLE or VIEW",
			                 item);
		p = e ? e + 1 : p + n;
	}
	return 0;
}

static int validate_table_types(const ks_cfg_def_t *def, const char *v, char *errstr, size_t errlen)
{
	int a, b, c;

	(void)def;
	return table_types_parse(v, &a, &b, &c, errstr, errlen);
}

/* Java accepts any ZoneId; we accept what Postgres' TimeZone accepts in
 * practice: UTC/Z/GMT, a tz database name, or a short legacy id. */
static int validate_timezone(const ks_cfg_def_t *def, const char *v, char *errstr, size_t errlen)
{
	static const char *const short_ids[] = {"UTC",     "Z",       "GMT",     "UT",  "EST",
	                                        "MST",     "HST",     "PST",     "CST", "EST5EDT",
	                                        "CST6CDT", "MST7MDT", "PST8PDT", NULL};
	char path[512];
	struct stat st;

	(void)def;
	if (!v || !*v)
		return ks_seterr(errstr, errlen, -1, "Invalid time zone identifier ''");
	for (int i = 0; short_ids[i]; i++)
		if (ks_strcaseeq(v, short_ids[i]))
			return 0;
	if (strstr(v, "..") || v[0] == '/' ||
	    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
	              "nopqrstuvwxyz0123456789/_+-") != strlen(v))
		return ks_seterr(errstr, errlen, -1, "Invalid time zone identifier '%s'", v);
	if (stat("/usr/share/zoneinfo", &st) != 0)
		return 0; /* no tz database to check against: the server decides */
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", v);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return ks_seterr(errstr, errlen, -1, "Invalid time zone identifier '%s'", v);
	return 0;
}

static int validate_url(const ks_cfg_def_t *def, const char *v, char *errstr, size_t errlen)
{
	char *ci = NULL, *safe = NULL;
	int rc;

	(void)def;
	if (!v)
		return 0;
	rc = ks_jdbc_url_to_conninfo(v, NULL, NULL, NULL, &ci, &safe, NULL, errstr, errlen);
	free(ci);
	free(safe);
	return rc;
}

#define G_CONN   "Connection"
#define G_WRITES "Writes"
#define G_MAP    "Data Mapping"
#define G_DDL    "DDL Support"
#define G_DML    "DML Support"
#define G_RETRY  "Retries"
#define G_KSINK  "ksink"

const ks_cfg_def_t ks_jdbc_config_defs[] = {
        /* Connection */
        {.name = "connection.url",
         .type = KS_CFG_STRING,
         .required = 1,
         .validate = validate_url,
         .importance = KS_IMP_HIGH,
         .group = G_CONN,
         .display_name = "JDBC URL",
         .doc = "JDBC connection URL, jdbc:postgresql://host[:port][,host2[:port]]/db?param=value. "
                "Translated to a libpq connection string (see README)."},
        {.name = "connection.user",
         .type = KS_CFG_STRING,
         .importance = KS_IMP_HIGH,
         .group = G_CONN,
         .display_name = "JDBC User",
         .doc = "JDBC connection user."},
        {.name = "connection.password",
         .type = KS_CFG_PASSWORD,
         .importance = KS_IMP_HIGH,
         .group = G_CONN,
         .display_name = "JDBC Password",
         .doc = "JDBC connection password."},
        {.name = "jdbc.credentials.provider.class",
         .type = KS_CFG_CLASS,
         .default_value = "io.confluent.connect.jdbc.util.DefaultJdbcCredentialsProvider",
         .importance = KS_IMP_LOW,
         .group = G_CONN,
         .display_name = "JDBC Credentials Provider",
         .doc = "Accepted for compatibility; only connection.user/connection.password are used."},
        {.name = "dialect.name",
         .type = KS_CFG_STRING,
         .default_value = "",
         .validate = validate_dialect,
         .importance = KS_IMP_LOW,
         .group = G_CONN,
         .display_name = "Database Dialect",
         .doc = "The database dialect; empty = from the URL. Only PostgreSqlDatabaseDialect is "
                "supported."},
        {.name = "connection.attempts",
         .type = KS_CFG_INT,
         .default_value = "3",
         .has_min = 1,
         .min = 1,
         .importance = KS_IMP_LOW,
         .group = G_CONN,
         .display_name = "JDBC connection attempts",
         .doc = "Maximum number of attempts to open a connection (per commit)."},
        {.name = "connection.backoff.ms",
         .type = KS_CFG_LONG,
         .default_value = "10000",
         .importance = KS_IMP_LOW,
         .group = G_CONN,
         .display_name = "JDBC connection backoff (millis)",
         .doc = "Backoff time in milliseconds between connection attempts."},
        {.name = "connection.loginTimeout",
         .type = KS_CFG_INT,
         .importance = KS_IMP_LOW,
         .group = G_CONN,
         .display_name = "Login timeout (seconds)",
         .doc = "pgjdbc driver property (pass-through in Java): libpq connect_timeout."},
        /* Writes */
        {.name = "insert.mode",
         .type = KS_CFG_STRING,
         .default_value = "insert",
         .allowed = insert_modes,
         .importance = KS_IMP_HIGH,
         .group = G_WRITES,
         .display_name = "Insert Mode",
         .doc = "insert: plain INSERT (COPY). upsert: INSERT .. ON CONFLICT (pk) DO UPDATE. "
                "update: UPDATE .. WHERE pk."},
        {.name = "batch.size",
         .type = KS_CFG_INT,
         .default_value = "3000",
         .has_min = 1,
         .min = 0,
         .importance = KS_IMP_MEDIUM,
         .group = G_WRITES,
         .display_name = "Batch Size",
         .doc = "Records per COPY / merge statement chunk inside one commit transaction."},
        {.name = "delete.enabled",
         .type = KS_CFG_BOOLEAN,
         .default_value = "false",
         .importance = KS_IMP_MEDIUM,
         .group = G_WRITES,
         .display_name = "Enable deletes",
         .doc = "Treat null record values (tombstones) as deletes. Requires pk.mode=record_key."},
        {.name = "table.types",
         .type = KS_CFG_LIST,
         .default_value = "TABLE",
         .validate = validate_table_types,
         .importance = KS_IMP_LOW,
         .group = G_WRITES,
         .display_name = "Table Types",
         .doc = "Relation kinds the sink may write into: TABLE, PARTITIONED TABLE, VIEW."},
        {.name = "replace.null.with.default",
         .type = KS_CFG_BOOLEAN,
         .default_value = "true",
         .importance = KS_IMP_MEDIUM,
         .group = G_WRITES,
         .display_name = "Replace null with default",
         .doc = "A null field whose schema has a default writes the default."},
        /* Data mapping */
        {.name = "table.name.format",
         .type = KS_CFG_STRING,
         .default_value = "${topic}",
         .non_empty = 1,
         .importance = KS_IMP_MEDIUM,
         .group = G_MAP,
         .display_name = "Table Name Format",
         .doc = "Destination table name; ${topic} is replaced by the record's topic. "
                "[schema.]table, parts may be double-quoted."},
        {.name = "pk.mode",
         .type = KS_CFG_STRING,
         .default_value = "none",
         .allowed = pk_modes,
         .importance = KS_IMP_HIGH,
         .group = G_MAP,
         .display_name = "Primary Key Mode",
         .doc = "none | kafka (__connect_topic,__connect_partition,__connect_offset) | record_key "
                "| record_value."},
        {.name = "pk.fields",
         .type = KS_CFG_LIST,
         .default_value = "",
         .importance = KS_IMP_MEDIUM,
         .group = G_MAP,
         .display_name = "Primary Key Fields",
         .doc = "Primary key field names; meaning depends on pk.mode."},
        {.name = "fields.whitelist",
         .type = KS_CFG_LIST,
         .default_value = "",
         .importance = KS_IMP_MEDIUM,
         .group = G_MAP,
         .display_name = "Fields Whitelist",
         .doc = "Value fields to write (key columns always written); empty = all."},
        {.name = "db.timezone",
         .type = KS_CFG_STRING,
         .default_value = "UTC",
         .validate = validate_timezone,
         .importance = KS_IMP_MEDIUM,
         .group = G_MAP,
         .display_name = "DB Time Zone",
         .doc = "Session TimeZone: Timestamp values land in TIMESTAMP columns as wall-clock time "
                "of this zone (TIMESTAMPTZ columns always get the exact instant)."},
        {.name = "date.timezone",
         .type = KS_CFG_STRING,
         .default_value = "DB_TIMEZONE",
         .allowed = date_tz,
         .importance = KS_IMP_LOW,
         .group = G_MAP,
         .display_name = "Date Time Zone",
         .doc = "Accepted for compatibility; Date values are always written as-is (Java's UTC)."},
        {.name = "timestamp.fields.list",
         .type = KS_CFG_LIST,
         .default_value = "",
         .importance = KS_IMP_LOW,
         .group = G_MAP,
         .display_name = "Timestamp Fields List",
         .doc = "Top-level INT64 or STRING value fields holding epoch microseconds (or "
                "nanoseconds, timestamp.precision.mode) written as timestamps."},
        {.name = "timestamp.precision.mode",
         .type = KS_CFG_STRING,
         .default_value = "MICROSECONDS",
         .allowed = ts_precision,
         .importance = KS_IMP_LOW,
         .group = G_MAP,
         .display_name = "Timestamp Precision Mode",
         .doc = "Unit of the timestamp.fields.list values: microseconds | nanoseconds."},
        {.name = "date.calendar.system",
         .type = KS_CFG_STRING,
         .default_value = "LEGACY",
         .allowed = calendars,
         .importance = KS_IMP_LOW,
         .group = G_MAP,
         .display_name = "Date Calendar System",
         .doc = "Accepted for compatibility; dates are proleptic Gregorian."},
        {.name = "string.output.value.column.name",
         .type = KS_CFG_STRING,
         .default_value = "record_value",
         .non_empty = 1,
         .importance = KS_IMP_LOW,
         .group = G_MAP,
         .display_name = "String value column",
         .doc = "Column that a STRING value (StringConverter) is written into."},
        /* DDL */
        {.name = "auto.create",
         .type = KS_CFG_BOOLEAN,
         .default_value = "false",
         .importance = KS_IMP_MEDIUM,
         .group = G_DDL,
         .display_name = "Auto-Create",
         .doc = "CREATE TABLE for a missing destination table."},
        {.name = "auto.evolve",
         .type = KS_CFG_BOOLEAN,
         .default_value = "false",
         .importance = KS_IMP_MEDIUM,
         .group = G_DDL,
         .display_name = "Auto-Evolve",
         .doc = "ALTER TABLE .. ADD for fields missing in the table (never drops or retypes)."},
        {.name = "quote.sql.identifiers",
         .type = KS_CFG_STRING,
         .default_value = "always",
         .allowed = quote_methods,
         .importance = KS_IMP_MEDIUM,
         .group = G_DDL,
         .display_name = "Quote Identifiers",
         .doc = "always: names are used as given. never: unquoted names are folded to lower case "
                "as Postgres does. Identifiers are always escaped in the SQL we send."},
        {.name = "mssql.use.merge.holdlock",
         .type = KS_CFG_BOOLEAN,
         .default_value = "true",
         .importance = KS_IMP_LOW,
         .group = G_DML,
         .display_name = "SQL Server MERGE HOLDLOCK",
         .doc = "SQL Server only; accepted and ignored."},
        /* Retries */
        {.name = "max.retries",
         .type = KS_CFG_INT,
         .default_value = "10",
         .has_min = 1,
         .min = 0,
         .importance = KS_IMP_MEDIUM,
         .group = G_RETRY,
         .display_name = "Maximum Retries",
         .doc = "In-commit retries of transient database errors (serialization failure, deadlock, "
                "insufficient resources, lost connection) before commit returns RETRIABLE."},
        {.name = "retry.backoff.ms",
         .type = KS_CFG_INT,
         .default_value = "3000",
         .has_min = 1,
         .min = 0,
         .importance = KS_IMP_MEDIUM,
         .group = G_RETRY,
         .display_name = "Retry Backoff (millis)",
         .doc = "Wait between in-commit retries of transient errors."},
        {.name = "trim.sensitive.log",
         .type = KS_CFG_BOOLEAN,
         .default_value = "false",
         .importance = KS_IMP_LOW,
         .group = G_RETRY,
         .display_name = "Trim sensitive log",
         .doc = "Leave the DETAIL of database errors (it can quote row values) out of "
                "error messages and logs."},
        /* ksink extras */
        {.name = "ksink.offsets.table",
         .type = KS_CFG_STRING,
         .default_value = "__ksink_offsets",
         .non_empty = 1,
         .importance = KS_IMP_MEDIUM,
         .group = G_KSINK,
         .display_name = "Offsets table",
         .doc = "[schema.]table in the target database holding the next offset per "
                "(connector, topic, partition), written in the same transaction as the data "
                "(exactly-once); created if missing."},
        {.name = "ksink.timestamp.type",
         .type = KS_CFG_STRING,
         .default_value = "timestamp",
         .allowed = ts_types,
         .importance = KS_IMP_MEDIUM,
         .group = G_KSINK,
         .display_name = "Timestamp column type",
         .doc = "Column type auto.create/auto.evolve use for Timestamp fields."},
        {.name = "ksink.struct.mode",
         .type = KS_CFG_STRING,
         .default_value = "fail",
         .allowed = struct_modes,
         .importance = KS_IMP_MEDIUM,
         .group = G_KSINK,
         .display_name = "Struct/Map mode",
         .doc = "STRUCT, MAP and nested ARRAY fields: fail (as Java) or jsonb (stored as one "
                "JSONB column)."},
        {.name = "ksink.upsert.copy",
         .type = KS_CFG_BOOLEAN,
         .default_value = "true",
         .importance = KS_IMP_LOW,
         .group = G_KSINK,
         .display_name = "Optimistic COPY upsert",
         .doc = "insert.mode=upsert: COPY a batch's rows straight into the table inside a "
                "savepoint, and apply them with the staging table and INSERT .. ON CONFLICT "
                "only when a key is already there (the following batches then merge directly "
                "for a while). false: always merge."},
        KS_CFG_END,
};

void ks_jdbc_config_validate(ks_config_t *cfg)
{
	const char *pk = ks_config_string(cfg, "pk.mode");
	const char *mode = ks_config_string(cfg, "insert.mode");
	const char *dialect = ks_config_string(cfg, "dialect.name");
	const char *const *items;
	size_t npk = ks_config_list(cfg, "pk.fields", &items);

	if (ks_config_bool(cfg, "delete.enabled") && pk && !ks_strcaseeq(pk, "record_key")) {
		(void)ks_config_add_error(cfg, "pk.mode",
		                          "Deletes are only supported for pk.mode record_key");
		(void)ks_config_add_error(cfg, "delete.enabled",
		                          "Deletes are only supported for pk.mode record_key");
	}
	if (mode && pk && ks_strcaseeq(pk, "none") &&
	    (ks_strcaseeq(mode, "upsert") || ks_strcaseeq(mode, "update")))
		(void)ks_config_add_error(cfg, "insert.mode",
		                          "Write in %s mode requires key field names to be known, "
		                          "check the primary key configuration (pk.mode=none)",
		                          mode);
	if (pk && ks_strcaseeq(pk, "kafka") && npk != 0 && npk != 3)
		(void)ks_config_add_error(
		        cfg, "pk.fields",
		        "With pk.mode=kafka there should either be no field names "
		        "defined for defaults __connect_topic, __connect_partition "
		        "and __connect_offset to be applicable, or exactly 3, "
		        "defined fields are: %zu",
		        npk);
	if (dialect && *dialect && !ks_strcaseeq(dialect, "PostgreSqlDatabaseDialect"))
		(void)ks_config_add_error(cfg, "dialect.name",
		                          "Only PostgreSqlDatabaseDialect is supported by ksink");
}

static int list_dup(const ks_config_t *cfg, const char *key, char ***out, size_t *n)
{
	const char *const *items;
	size_t cnt = ks_config_list(cfg, key, &items);

	*out = NULL;
	*n = 0;
	if (!cnt)
		return 0;
	*out = calloc(cnt, sizeof(char *));
	if (!*out)
		return -1;
	for (size_t i = 0; i < cnt; i++) {
		if (!((*out)[i] = strdup(items[i])))
			return -1;
		(*n)++;
	}
	return 0;
}

static int str_dup(char **dst, const char *s)
{
	*dst = s ? strdup(s) : NULL;
	return s && !*dst ? -1 : 0;
}

int ks_jdbc_settings_parse(const ks_props_t *props, ks_jdbc_settings_t *s, char *errstr,
                           size_t errlen)
{
	static const ks_cfg_def_t *const tabs[] = {ks_jdbc_config_defs, NULL};
	ks_config_t *cfg;
	ks_props_t *drv = NULL;
	const char *v;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (!(cfg = ks_config_new(tabs, props)))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	ks_jdbc_config_validate(cfg);
	if (ks_config_error_count(cfg)) {
		ks_seterr(errstr, errlen, -1, "invalid configuration: %s",
		          ks_config_errors_text(cfg));
		goto out;
	}
	/* connection.<x> keys that are not ours are driver properties (Java's
	 * addConnectionProperties); connection.loginTimeout is one of them. */
	if (!(drv = ks_props_new()))
		goto oom;
	for (size_t i = 0; i < ks_props_count(props); i++) {
		const char *k = ks_props_key(props, i);

		if (strncmp(k, "connection.", 11) || !strcmp(k, "connection.url") ||
		    !strcmp(k, "connection.user") || !strcmp(k, "connection.password") ||
		    !strcmp(k, "connection.attempts") || !strcmp(k, "connection.backoff.ms"))
			continue;
		if (ks_props_set(drv, k + 11, ks_props_value(props, i)))
			goto oom;
	}
	char *ignored = NULL;
	if (ks_jdbc_url_to_conninfo(ks_config_string(cfg, "connection.url"), drv,
	                            ks_config_string(cfg, "connection.user"),
	                            ks_config_string(cfg, "connection.password"), &s->conninfo,
	                            &s->conninfo_safe, &ignored, errstr, errlen))
		goto out;
	if (ignored && *ignored)
		KS_INFO("jdbc", "JDBC driver properties without a libpq equivalent ignored: %s",
		        ignored);
	free(ignored);
	s->attempts = ks_config_int(cfg, "connection.attempts");
	s->backoff_ms = ks_config_long(cfg, "connection.backoff.ms");
	v = ks_config_string(cfg, "insert.mode");
	s->insert_mode = ks_strcaseeq(v, "upsert")   ? KS_JDBC_UPSERT
	                 : ks_strcaseeq(v, "update") ? KS_JDBC_UPDATE
	                                             : KS_JDBC_INSERT;
	s->batch_size = ks_config_int(cfg, "batch.size");
	if (s->batch_size <= 0)
		s->batch_size = 3000;
	s->delete_enabled = ks_config_bool(cfg, "delete.enabled");
	v = ks_config_string(cfg, "pk.mode");
	s->pk_mode = ks_strcaseeq(v, "kafka")          ? KS_JDBC_PK_KAFKA
	             : ks_strcaseeq(v, "record_key")   ? KS_JDBC_PK_RECORD_KEY
	             : ks_strcaseeq(v, "record_value") ? KS_JDBC_PK_RECORD_VALUE
	                                               : KS_JDBC_PK_NONE;
	s->auto_create = ks_config_bool(cfg, "auto.create");
	s->auto_evolve = ks_config_bool(cfg, "auto.evolve");
	s->quote_never = ks_strcaseeq(ks_config_string(cfg, "quote.sql.identifiers"), "never");
	s->max_retries = ks_config_int(cfg, "max.retries");
	s->retry_backoff_ms = ks_config_int(cfg, "retry.backoff.ms");
	s->replace_null_with_default = ks_config_bool(cfg, "replace.null.with.default");
	s->timestamptz = ks_strcaseeq(ks_config_string(cfg, "ksink.timestamp.type"), "timestamptz");
	s->struct_jsonb = ks_strcaseeq(ks_config_string(cfg, "ksink.struct.mode"), "jsonb");
	s->trim_sensitive = ks_config_bool(cfg, "trim.sensitive.log");
	s->upsert_copy = ks_config_bool(cfg, "ksink.upsert.copy");
	s->ts_nanos =
	        ks_strcaseeq(ks_config_string(cfg, "timestamp.precision.mode"), "nanoseconds");
	{
		const char *const *items;
		size_t n = ks_config_list(cfg, "table.types", &items);
		s->types_table = s->types_partitioned = s->types_view = 0;
		for (size_t i = 0; i < n; i++) {
			if (ks_strcaseeq(items[i], "TABLE"))
				s->types_table = 1;
			else if (ks_strcaseeq(items[i], "PARTITIONED TABLE"))
				s->types_partitioned = 1;
			else if (ks_strcaseeq(items[i], "VIEW"))
				s->types_view = 1;
		}
		if (!n)
			s->types_table = 1;
	}
	v = ks_config_string(cfg, "table.name.format");
	if (str_dup(&s->table_format, v) ||
	    str_dup(&s->db_timezone, ks_config_string(cfg, "db.timezone")) ||
	    str_dup(&s->offsets_table, ks_config_string(cfg, "ksink.offsets.table")) ||
	    str_dup(&s->string_col, ks_config_string(cfg, "string.output.value.column.name")) ||
	    list_dup(cfg, "pk.fields", &s->pk_fields, &s->npk_fields) ||
	    list_dup(cfg, "fields.whitelist", &s->whitelist, &s->nwhitelist) ||
	    list_dup(cfg, "timestamp.fields.list", &s->ts_fields, &s->nts_fields))
		goto oom;
	rc = 0;
	goto out;
oom:
	ks_seterr(errstr, errlen, -1, "out of memory");
out:
	ks_props_destroy(drv);
	ks_config_destroy(cfg);
	if (rc)
		ks_jdbc_settings_clear(s);
	return rc;
}

void ks_jdbc_settings_clear(ks_jdbc_settings_t *s)
{
	if (!s)
		return;
	ks_str_free_wiped(s->conninfo);
	free(s->conninfo_safe);
	free(s->table_format);
	free(s->db_timezone);
	free(s->offsets_table);
	free(s->string_col);
	ks_strv_free(s->pk_fields, s->npk_fields);
	ks_strv_free(s->whitelist, s->nwhitelist);
	ks_strv_free(s->ts_fields, s->nts_fields);
	memset(s, 0, sizeof(*s));
}
