/*
 * jdbc.h — internals of the JDBC sink connector for PostgreSQL (the
 * Confluent io.confluent.connect.jdbc.JdbcSinkConnector drop-in), shared by
 * the files of connectors/jdbc/:
 *
 *   config.c  the key table (ks_jdbc_config_defs), cross-key validation and
 *             the parsed settings (ks_jdbc_settings_t)
 *   url.c     jdbc:postgresql://... URL -> libpq conninfo
 *   sql.c     identifiers, table names, type mapping, DDL text
 *   copy.c    binary COPY encoding of record values
 *   plugin.c and the files listed in sink.h: the task (session, catalog,
 *             plan, DDL, write, stream, offsets store, commit + isolation)
 *
 * Only ks_jdbc_sink_plugin is meant for the rest of ksink; the other
 * declarations are here for the connector's own files and its tests.
 */
#ifndef KS_JDBC_H
#define KS_JDBC_H

#include "../../config/config.h"
#include "../../lib/buf.h"
#include "../../schemas/record.h"
#include "../connector.h"

#include <libpq-fe.h>

/* The plugin: io.confluent.connect.jdbc.JdbcSinkConnector. */
extern const ks_connector_plugin_t ks_jdbc_sink_plugin;
/* The connector's keys (KS_CFG_END-terminated). */
extern const ks_cfg_def_t ks_jdbc_config_defs[];
/* Cross-key checks (delete.enabled needs pk.mode=record_key, ...). */
void ks_jdbc_config_validate(ks_config_t *cfg);

typedef enum { KS_JDBC_INSERT = 0, KS_JDBC_UPSERT, KS_JDBC_UPDATE } ks_jdbc_insert_mode_t;
typedef enum {
	KS_JDBC_PK_NONE = 0,
	KS_JDBC_PK_KAFKA,
	KS_JDBC_PK_RECORD_KEY,
	KS_JDBC_PK_RECORD_VALUE
} ks_jdbc_pk_mode_t;

/* The effective settings of one task (owned strings, freed by _clear). */
typedef struct ks_jdbc_settings {
	char *conninfo;      /* libpq conninfo including the password: never log */
	char *conninfo_safe; /* the same with the password masked, for logs */
	int attempts;
	int64_t backoff_ms;
	ks_jdbc_insert_mode_t insert_mode;
	int batch_size;
	int delete_enabled;
	char *table_format;
	ks_jdbc_pk_mode_t pk_mode;
	char **pk_fields;
	size_t npk_fields;
	char **whitelist;
	size_t nwhitelist;
	char *db_timezone;
	int auto_create, auto_evolve;
	int quote_never; /* quote.sql.identifiers=never */
	int max_retries;
	int retry_backoff_ms;
	int types_table, types_partitioned, types_view;
	int replace_null_with_default;
	char *offsets_table; /* ksink.offsets.table */
	int timestamptz;     /* ksink.timestamp.type=timestamptz */
	int struct_jsonb;    /* ksink.struct.mode=jsonb */
	char **ts_fields;    /* timestamp.fields.list */
	size_t nts_fields;
	int ts_nanos;       /* timestamp.precision.mode=nanoseconds */
	char *string_col;   /* string.output.value.column.name */
	int trim_sensitive; /* trim.sensitive.log: no DETAIL (row values) in errors */
	int upsert_copy;    /* ksink.upsert.copy: COPY first, merge on a conflict */
} ks_jdbc_settings_t;

/* Parses and validates a connector config into s. 0 ok; -1 with errstr
 * (a configuration error: the task must fail). */
int ks_jdbc_settings_parse(const ks_props_t *props, ks_jdbc_settings_t *s, char *errstr,
                           size_t errlen) KS_WUR;
void ks_jdbc_settings_clear(ks_jdbc_settings_t *s);

/*
 * Translates a pgjdbc URL (jdbc:postgresql://h1[:p1][,h2[:p2]...]/db?k=v&...)
 * plus driver properties (the connection.<x> pass-through keys, may be NULL)
 * and user/password (may be NULL) into a libpq conninfo string.
 * Recognised properties: user, password, ssl, sslmode, sslrootcert, sslcert,
 * sslkey, sslpassword, sslcrl, currentSchema, ApplicationName,
 * connectTimeout, loginTimeout, targetServerType, tcpKeepAlive, options,
 * gssEncMode; others are ignored (listed in *ignored when not NULL, comma
 * separated, caller frees). URL parameters win over driver properties,
 * explicit user/password win over both.
 * *conninfo (secret) and *safe (password masked) are malloc'd for the caller.
 */
int ks_jdbc_url_to_conninfo(const char *url, const ks_props_t *driver_props, const char *user,
                            const char *password, char **conninfo, char **safe, char **ignored,
                            char *errstr, size_t errlen) KS_WUR;

/* --- sql.c --- */

/* Appends name as a quoted identifier ("" doubled); safe for any input. */
void ks_jdbc_quote_ident(ks_buf_t *b, const char *name);
/* The identifier as the database will know it: truncated to 63 bytes (on a
 * UTF-8 boundary) and, with fold (quote.sql.identifiers=never and unquoted),
 * ASCII-lower-cased as Postgres folds unquoted names. malloc'd. */
char *ks_jdbc_ident_norm(const char *name, int fold);
/* Splits a table name ([catalog.][schema.]table, parts optionally in double
 * quotes) into malloc'd parts (absent parts NULL). fold: see ident_norm. */
int ks_jdbc_parse_table(const char *spec, int fold, char **catalog, char **schema, char **table,
                        char *errstr, size_t errlen) KS_WUR;

/* Postgres types the connector writes (stage/COPY types). */
typedef enum ks_pgk {
	KS_PGK_INT2 = 0,
	KS_PGK_INT4,
	KS_PGK_INT8,
	KS_PGK_FLOAT4,
	KS_PGK_FLOAT8,
	KS_PGK_BOOL,
	KS_PGK_TEXT,
	KS_PGK_BYTEA,
	KS_PGK_NUMERIC,
	KS_PGK_DATE,
	KS_PGK_TIME,
	KS_PGK_TIMESTAMPTZ,
	KS_PGK_JSONB,
	KS_PGK__COUNT
} ks_pgk_t;

/* How one schema maps to Postgres. */
typedef struct ks_pgtype {
	ks_pgk_t kind;  /* scalar kind or array element kind */
	int array;      /* 1: one-dimensional array of kind */
	int uuid;       /* Uuid logical: staged as text, created as UUID */
	char ddl[64];   /* type for CREATE/ALTER: INT, TIMESTAMP, NUMERIC(10,2), TEXT[] */
	char stage[32]; /* type of the staging column: int4, timestamptz, text[] */
	unsigned oid;   /* OID of the stage type */
} ks_pgtype_t;

/* Maps a field schema to its Postgres type (auto.create rules of the
 * Confluent Postgres dialect plus the ksink extras). -1 with errstr when the
 * type has no mapping (STRUCT/MAP without ksink.struct.mode=jsonb, ...). */
int ks_jdbc_pgtype(const ks_schema_t *s, int timestamptz, int struct_jsonb, ks_pgtype_t *out,
                   char *errstr, size_t errlen) KS_WUR;
/* Appends the SQL literal of a schema default for DDL (DEFAULT ...), via
 * PQescapeLiteral for strings. -1 when the default cannot be written. */
int ks_jdbc_default_literal(PGconn *conn, const ks_schema_t *s, const ks_value_t *v, ks_buf_t *b);

/* Formats days since 1970-01-01 as YYYY-MM-DD (proleptic Gregorian). */
void ks_jdbc_fmt_date(char *out, size_t outlen, int64_t days);

/* --- copy.c --- */

/* Appends one binary COPY field (int32 length + bytes, -1 for null) of v
 * typed by schema s (may be NULL for a null) as t. -1 with errstr when the
 * value cannot be encoded (a record-level problem). */
int ks_jdbc_encode(ks_buf_t *b, const ks_schema_t *s, const ks_value_t *v, const ks_pgtype_t *t,
                   char *errstr, size_t errlen) KS_WUR;
/* Writes the decimal text of an unscaled big-endian two's-complement integer
 * with scale (Connect Decimal). -1 with errstr (a record-level problem) when
 * the value cannot be a Postgres numeric (more than 131072 digits before the
 * point, a scale above 16383) or clearly has more digits than precision
 * (> 0; checked from its length, before any arithmetic). Linear-ish: 32-bit
 * words into base-1e9 limbs. */
int ks_jdbc_decimal_text(ks_buf_t *b, const unsigned char *p, size_t len, int scale, int precision,
                         char *errstr, size_t errlen) KS_WUR;
/* Appends v as JSON text (STRUCT/MAP/ARRAY to jsonb). */
int ks_jdbc_json(ks_buf_t *b, const ks_schema_t *s, const ks_value_t *v, char *errstr,
                 size_t errlen);

/* --- testhooks.c: for the tests only, per task --- */

/* The next n commits of t fail right before COMMIT (after the data and the
 * offsets were written inside the transaction) and return RETRIABLE. */
void ks_jdbc_test_fail_commits(ks_sink_task_t *t, int n);
/* The next n COMMITs of t succeed but report a lost connection, as when the
 * acknowledgement is lost; commit() must find out from the offsets table
 * that the data is already there. */
void ks_jdbc_test_lose_commit_acks(ks_sink_task_t *t, int n);
/* How many commits of t so far wrote records through the COPY stream
 * opened while the batch was put (stream.c). */
int ks_jdbc_test_streamed_commits(const ks_sink_task_t *t);

#endif
