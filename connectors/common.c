/*
 * common.c — the keys every sink connector config has, as Kafka Connect's
 * ConnectorConfig + SinkConnectorConfig define them, and the plugin table.
 * The worker validates a connector config against this table plus the
 * connector's own (connector.h), then runs ks_connector_validate_common()
 * for the cross-key rules Connect applies to sinks.
 */
#include "connector.h"

#include "../lib/civil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char *const tolerance_values[] = {"none", "all", NULL};
static const char *const reload_values[] = {"restart", "none", NULL};

/* Connect refuses names with an ISO control character (Java's
 * Character.isISOControl): C0 U+0000-U+001F, DEL and C1 U+007F-U+009F; the
 * C1 ones are C2 80..C2 9F in UTF-8. */
static int valid_name(const ks_cfg_def_t *def, const char *v, char *errstr, size_t errlen)
{
	(void)def;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return ks_seterr(errstr, errlen, -1,
			                 "Connector name must not contain control characters");
	return 0;
}

/* ksink.apply.until: empty (none), epoch milliseconds or an ISO-8601 instant. */
static int valid_instant(const ks_cfg_def_t *def, const char *v, char *errstr, size_t errlen)
{
	int64_t ms;
	(void)def;
	if (!*v || !ks_parse_instant(v, &ms))
		return 0;
	return ks_seterr(errstr, errlen, -1,
	                 "expected epoch milliseconds (1765044000000) or an ISO-8601 instant "
	                 "with its zone (2025-12-06T18:00:00Z, 2025-12-06T19:00:00.250+01:00)");
}

const ks_cfg_def_t ks_connector_common_defs[] = {
        {.name = "name",
         .type = KS_CFG_STRING,
         .required = 1,
         .non_empty = 1,
         .validate = valid_name,
         .importance = KS_IMP_HIGH,
         .group = "Common",
         .display_name = "Connector name",
         .doc = "Globally unique name to use for this connector."},
        {.name = "connector.class",
         .type = KS_CFG_STRING,
         .required = 1,
         .importance = KS_IMP_HIGH,
         .group = "Common",
         .display_name = "Connector class",
         .doc = "Name or alias of the class for this connector, e.g. "
                "io.confluent.connect.jdbc.JdbcSinkConnector."},
        {.name = "tasks.max",
         .type = KS_CFG_INT,
         .default_value = "1",
         .has_min = 1,
         .min = 1,
         .importance = KS_IMP_HIGH,
         .group = "Common",
         .display_name = "Tasks max",
         .doc = "Maximum number of tasks (consumer threads) to use for this connector."},
        {.name = "tasks.max.enforce",
         .type = KS_CFG_BOOLEAN,
         .default_value = "true",
         .importance = KS_IMP_LOW,
         .group = "Common",
         .display_name = "Enforce tasks max",
         .doc = "Accepted for compatibility; ksink never runs more than tasks.max tasks."},
        {.name = "key.converter",
         .type = KS_CFG_CLASS,
         .importance = KS_IMP_LOW,
         .group = "Common",
         .display_name = "Key converter class",
         .doc = "Converter for record keys; the worker's key.converter when unset."},
        {.name = "value.converter",
         .type = KS_CFG_CLASS,
         .importance = KS_IMP_LOW,
         .group = "Common",
         .display_name = "Value converter class",
         .doc = "Converter for record values; the worker's value.converter when unset."},
        {.name = "header.converter",
         .type = KS_CFG_CLASS,
         .importance = KS_IMP_LOW,
         .group = "Common",
         .display_name = "Header converter class",
         .doc = "Accepted for compatibility; headers are kept as raw bytes."},
        {.name = "config.action.reload",
         .type = KS_CFG_STRING,
         .default_value = "restart",
         .allowed = reload_values,
         .importance = KS_IMP_LOW,
         .group = "Common",
         .display_name = "Reload Action",
         .doc = "What to do when external configuration providers change a value."},
        {.name = "topics",
         .type = KS_CFG_LIST,
         .default_value = "",
         .importance = KS_IMP_HIGH,
         .group = "Common",
         .display_name = "Topics",
         .doc = "List of topics to consume, separated by commas."},
        {.name = "topics.regex",
         .type = KS_CFG_STRING,
         .default_value = "",
         .importance = KS_IMP_HIGH,
         .group = "Common",
         .display_name = "Topics regex",
         .doc = "Regular expression giving topics to consume (POSIX extended syntax). New "
                "matching topics are picked up. Mutually exclusive with topics."},
        {.name = "transforms",
         .type = KS_CFG_LIST,
         .default_value = "",
         .importance = KS_IMP_LOW,
         .group = "Transforms",
         .display_name = "Transforms",
         .doc = "Aliases for the transformations to apply to records."},
        {.name = "predicates",
         .type = KS_CFG_LIST,
         .default_value = "",
         .importance = KS_IMP_LOW,
         .group = "Predicates",
         .display_name = "Predicates",
         .doc = "Aliases for the predicates used by transformations."},
        {.name = "errors.retry.timeout",
         .type = KS_CFG_LONG,
         .default_value = "0",
         .has_min = 1,
         .min = -1,
         .importance = KS_IMP_MEDIUM,
         .group = "Error Handling",
         .display_name = "Retry Timeout for Errors",
         .doc = "Maximum duration in milliseconds that a failed operation will be reattempted. "
                "0 = no retries, -1 = infinite retries."},
        {.name = "errors.retry.delay.max.ms",
         .type = KS_CFG_LONG,
         .default_value = "60000",
         .has_min = 1,
         .min = 1,
         .importance = KS_IMP_MEDIUM,
         .group = "Error Handling",
         .display_name = "Maximum Delay Between Retries for Errors",
         .doc = "Maximum duration in milliseconds between consecutive retry attempts."},
        {.name = "errors.tolerance",
         .type = KS_CFG_STRING,
         .default_value = "none",
         .allowed = tolerance_values,
         .importance = KS_IMP_MEDIUM,
         .group = "Error Handling",
         .display_name = "Error Tolerance",
         .doc = "none: an error fails the task; all: problematic records are skipped (and sent "
                "to the dead letter queue when one is configured)."},
        {.name = "errors.log.enable",
         .type = KS_CFG_BOOLEAN,
         .default_value = "false",
         .importance = KS_IMP_MEDIUM,
         .group = "Error Handling",
         .display_name = "Log Errors",
         .doc = "Log each error with the failed operation and the record's position."},
        {.name = "errors.log.include.messages",
         .type = KS_CFG_BOOLEAN,
         .default_value = "false",
         .importance = KS_IMP_MEDIUM,
         .group = "Error Handling",
         .display_name = "Log Error Details",
         .doc = "Also log the record's key and value (never enable with sensitive data)."},
        {.name = "errors.deadletterqueue.topic.name",
         .type = KS_CFG_STRING,
         .default_value = "",
         .importance = KS_IMP_MEDIUM,
         .group = "Error Handling",
         .display_name = "Dead Letter Queue Topic Name",
         .doc = "Topic that receives records that failed conversion, transformation or the "
                "database write (with errors.tolerance=all)."},
        {.name = "errors.deadletterqueue.topic.replication.factor",
         .type = KS_CFG_INT,
         .default_value = "3",
         .importance = KS_IMP_MEDIUM,
         .group = "Error Handling",
         .display_name = "Dead Letter Queue Topic Replication Factor",
         .doc = "Replication factor used when the dead letter queue topic is created."},
        {.name = "errors.deadletterqueue.context.headers.enable",
         .type = KS_CFG_BOOLEAN,
         .default_value = "false",
         .importance = KS_IMP_MEDIUM,
         .group = "Error Handling",
         .display_name = "Enable Error Context Headers",
         .doc = "Add __connect.errors.* headers describing the error to dead letter records."},
        {.name = "ksink.apply.delay.ms",
         .type = KS_CFG_LONG,
         .default_value = "0",
         .has_min = 1,
         .min = 0,
         .importance = KS_IMP_MEDIUM,
         .group = "Apply",
         .display_name = "Apply delay (ms)",
         .doc = "A delayed replica: a record is written only once its Kafka timestamp is at "
                "least this many milliseconds old (as Postgres' recovery_min_apply_delay). "
                "Waiting records stay in Kafka (the partition is paused), not in memory. "
                "0: no delay."},
        {.name = "ksink.apply.until",
         .type = KS_CFG_STRING,
         .default_value = "",
         .validate = valid_instant,
         .importance = KS_IMP_MEDIUM,
         .group = "Apply",
         .display_name = "Apply until",
         .doc = "Point-in-time stop: records stamped at or after this instant (epoch "
                "milliseconds or ISO-8601 with a zone) are not written; the task holds "
                "there until the key is changed or removed, then goes on from that record. "
                "Empty: no stop."},
        /* the task's transactions (worker/task.c): sized by the backlog */
        {.name = "ksink.transaction.max.records",
         .type = KS_CFG_INT,
         .default_value = "50000",
         .has_min = 1,
         .min = 1,
         .importance = KS_IMP_LOW,
         .group = "Transactions",
         .display_name = "Records per transaction (max)",
         .doc = "A task commits its transaction (the rows and their offsets) as soon as the "
                "consumer has nothing more queued, so a caught-up task writes small, "
                "immediate transactions; while records are waiting it keeps streaming them "
                "into the same transaction up to this many records (or the bytes or time "
                "bound below). A task's first transaction takes at most batch.size rows "
                "(1000 when unset) and the bound doubles with each full one up to this "
                "value. batch.size only sizes the statements inside it."},
        {.name = "ksink.transaction.max.bytes",
         .type = KS_CFG_LONG,
         .default_value = "8388608",
         .has_min = 1,
         .min = 65536,
         .importance = KS_IMP_LOW,
         .group = "Transactions",
         .display_name = "Bytes per transaction (max)",
         .doc = "Bounds the memory a task holds for its open transaction: the records "
                "read and not yet committed (raw and decoded). The transaction commits when "
                "they reach this size."},
        {.name = "ksink.transaction.max.ms",
         .type = KS_CFG_LONG,
         .default_value = "1000",
         .has_min = 1,
         .min = 1,
         .importance = KS_IMP_LOW,
         .group = "Transactions",
         .display_name = "Transaction time (max ms)",
         .doc = "A transaction commits at the latest this many milliseconds after its first "
                "record was read, even while more records are waiting."},
        KS_CFG_END,
};

void ks_connector_validate_common(ks_config_t *cfg)
{
	const char *const *topics;
	size_t ntopics = ks_config_list(cfg, "topics", &topics);
	const char *regex = ks_config_string(cfg, "topics.regex");
	const char *dlq = ks_config_string(cfg, "errors.deadletterqueue.topic.name");
	int has_regex = regex && *regex;

	if (!ntopics && !has_regex) {
		(void)ks_config_add_error(cfg, "topics",
		                          "Must configure one of topics or topics.regex");
		(void)ks_config_add_error(cfg, "topics.regex",
		                          "Must configure one of topics or topics.regex");
	} else if (ntopics && has_regex) {
		const char *msg =
		        "topics and topics.regex are mutually exclusive options, but both "
		        "are set.";
		(void)ks_config_add_error(cfg, "topics", "%s", msg);
		(void)ks_config_add_error(cfg, "topics.regex", "%s", msg);
	}
	for (size_t i = 0; dlq && *dlq && i < ntopics; i++)
		if (!strcmp(topics[i], dlq))
			(void)ks_config_add_error(cfg, "errors.deadletterqueue.topic.name",
			                          "The DLQ topic '%s' may not be included in the "
			                          "list of topics ('topics=%s') "
			                          "consumed by the connector",
			                          dlq, ks_config_string(cfg, "topics"));
}

void ks_tp_offsets_free(ks_tp_offset_t *offs, size_t n)
{
	for (size_t i = 0; offs && i < n; i++)
		free((char *)offs[i].topic);
	free(offs);
}

/* The plugin registry: the connectors compiled in (the JDBC sink, referenced
 * strongly so connectors/jdbc/sink.o is pulled out of libksink.a), then the
 * ones a program registers at start-up (the test programs' MemorySink,
 * tests/lib/memory_sink.c, which the shipped build/ksink does not link). */
extern const ks_connector_plugin_t ks_jdbc_sink_plugin;

#define KS_MAX_PLUGINS 8

static const ks_connector_plugin_t *plugin_list[KS_MAX_PLUGINS + 1] = {&ks_jdbc_sink_plugin};
static size_t nplugins = 1;
static pthread_mutex_t plugin_lock = PTHREAD_MUTEX_INITIALIZER;

int ks_connector_register(const ks_connector_plugin_t *p)
{
	int rc = -1;

	pthread_mutex_lock(&plugin_lock);
	if (nplugins < KS_MAX_PLUGINS) {
		plugin_list[nplugins++] = p;
		rc = 0;
	}
	pthread_mutex_unlock(&plugin_lock);
	return rc;
}

const ks_connector_plugin_t *const *ks_connector_plugins(void)
{
	return plugin_list;
}

const ks_connector_plugin_t *ks_connector_find(const char *name)
{
	if (!name)
		return NULL;
	for (const ks_connector_plugin_t *const *p = ks_connector_plugins(); *p; p++) {
		if (!strcmp((*p)->class_name, name))
			return *p;
		for (const char *const *a = (*p)->aliases; a && *a; a++)
			if (!strcmp(*a, name))
				return *p;
	}
	return NULL;
}
