/*
 * worker_config.c — worker.properties: the keys a Connect standalone worker
 * knows (same names), plus config.storage.file, where connectors created
 * over REST are kept across restarts. Also builds the per-task consumer and
 * converter settings from worker + connector config, in Connect's order.
 *
 * The REST listener keys live here too: `listeners` (http:// and https://,
 * each served), the TLS keys (ssl.* and their listeners.https.ssl.* forms;
 * rest/tls.c loads the key material) and basic authentication
 * (rest.extension.classes with Connect's BasicAuthSecurityRestExtension;
 * rest/auth.c reads the JAAS and credentials files).
 */
#include "worker.h"

#include "../lib/log.h"
#include "../schemas/converter.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define LOGCTX "worker"

static int validate_listeners(const ks_cfg_def_t *def, const char *value, char *errstr,
                              size_t errlen);

static const char *const override_policies[] = {"All", "None", "Principal", NULL};
static const char *const client_auths[] = {"none", "requested", "required", NULL};

#define G_DIST "Distributed mode"
#define DIST_RF(key)                                                                               \
	{                                                                                          \
		.name = key, .type = KS_CFG_INT, .default_value = "3", .has_min = 1, .min = -1,    \
		.group = G_DIST,                                                                   \
		.doc = "Replication factor when ksink creates the topic (-1: the broker's "        \
		       "default)."                                                                 \
	}
#define G_SSL "REST TLS (ssl.* or, all or nothing, listeners.https.ssl.*)"

const ks_cfg_def_t ks_worker_defs[] = {
        {.name = "bootstrap.servers",
         .type = KS_CFG_LIST,
         .default_value = "localhost:9092",
         .importance = KS_IMP_HIGH,
         .doc = "Kafka brokers the sink tasks consume from."},
        {.name = "key.converter",
         .type = KS_CFG_CLASS,
         .required = 1,
         .importance = KS_IMP_HIGH,
         .doc = "Converter for record keys (key.converter.* settings are passed to it)."},
        {.name = "value.converter",
         .type = KS_CFG_CLASS,
         .required = 1,
         .importance = KS_IMP_HIGH,
         .doc = "Converter for record values (value.converter.* settings are passed to it)."},
        {.name = "header.converter",
         .type = KS_CFG_CLASS,
         .default_value = "org.apache.kafka.connect.storage.SimpleHeaderConverter",
         .importance = KS_IMP_LOW,
         .doc = "Accepted for compatibility; headers are passed through as bytes."},
        {.name = "listeners",
         .type = KS_CFG_LIST,
         .default_value = "http://127.0.0.1:8083",
         .validate = validate_listeners,
         .importance = KS_IMP_LOW,
         .doc = "REST listeners, http://HOST:PORT or https://HOST:PORT, comma-separated; each "
                "is served. HTTPS uses the ssl.* keys (or listeners.https.ssl.*)."},
        /* TLS of https:// listeners. As in Connect, when any listeners.https.*
         * key is set only the prefixed keys count (rest/tls.c). */
        {.name = "ssl.keystore.location",
         .type = KS_CFG_STRING,
         .group = G_SSL,
         .doc = "Key store of the HTTPS listener: a PEM file (certificate chain and private "
                "key) or a PKCS12 file."},
        {.name = "ssl.keystore.type",
         .type = KS_CFG_STRING,
         .default_value = "JKS",
         .group = G_SSL,
         .doc = "PEM or PKCS12. JKS (the default, as in Connect) is accepted when the file is in "
                "fact PKCS12 (what keytool writes since Java 9); a real JKS file is refused."},
        {.name = "ssl.keystore.password",
         .type = KS_CFG_PASSWORD,
         .group = G_SSL,
         .doc = "Password of a PKCS12 key store."},
        {.name = "ssl.key.password",
         .type = KS_CFG_PASSWORD,
         .group = G_SSL,
         .doc = "Password of the private key (an encrypted PEM key, or a PKCS12 key whose "
                "password differs from the store's)."},
        {.name = "ssl.keystore.key",
         .type = KS_CFG_PASSWORD,
         .group = G_SSL,
         .doc = "The private key in PEM, inline (ssl.keystore.type=PEM)."},
        {.name = "ssl.keystore.certificate.chain",
         .type = KS_CFG_PASSWORD,
         .group = G_SSL,
         .doc = "The certificate chain in PEM, inline (ssl.keystore.type=PEM)."},
        {.name = "ssl.truststore.location",
         .type = KS_CFG_STRING,
         .group = G_SSL,
         .doc = "CA certificates client certificates are checked against (PEM or PKCS12)."},
        {.name = "ssl.truststore.type",
         .type = KS_CFG_STRING,
         .default_value = "JKS",
         .group = G_SSL,
         .doc = "PEM or PKCS12 (JKS as for ssl.keystore.type)."},
        {.name = "ssl.truststore.password",
         .type = KS_CFG_PASSWORD,
         .group = G_SSL,
         .doc = "Password of a PKCS12 trust store."},
        {.name = "ssl.truststore.certificates",
         .type = KS_CFG_PASSWORD,
         .group = G_SSL,
         .doc = "Trusted certificates in PEM, inline (ssl.truststore.type=PEM)."},
        {.name = "ssl.client.auth",
         .type = KS_CFG_STRING,
         .default_value = "none",
         .allowed = client_auths,
         .group = G_SSL,
         .doc = "none, requested (a client certificate, when sent, must verify) or required."},
        {.name = "ssl.enabled.protocols",
         .type = KS_CFG_LIST,
         .default_value = "TLSv1.2,TLSv1.3",
         .group = G_SSL,
         .doc = "TLS versions the HTTPS listener accepts (TLSv1.2, TLSv1.3)."},
        {.name = "ssl.protocol",
         .type = KS_CFG_STRING,
         .default_value = "TLSv1.3",
         .group = G_SSL,
         .doc = "Accepted; ssl.enabled.protocols decides."},
        {.name = "ssl.cipher.suites",
         .type = KS_CFG_LIST,
         .group = G_SSL,
         .doc = "Accepted, ignored: GnuTLS's secure defaults apply."},
        /* basic authentication (rest/auth.c) */
        {.name = "rest.extension.classes",
         .type = KS_CFG_LIST,
         .default_value = "",
         .importance = KS_IMP_LOW,
         .doc = "org.apache.kafka.connect.rest.basic.auth.extension."
                "BasicAuthSecurityRestExtension turns on HTTP basic authentication (JAAS file "
                "from -Djava.security.auth.login.config in KAFKA_OPTS or "
                "rest.basic.auth.jaas.config.file); other extensions are refused."},
        {.name = "rest.basic.auth.jaas.config.file",
         .type = KS_CFG_STRING,
         .importance = KS_IMP_LOW,
         .doc = "ksink: the JAAS file of the basic auth extension (instead of "
                "-Djava.security.auth.login.config=... in KAFKA_OPTS; this key wins)."},
        {.name = "rest.advertised.host.name",
         .type = KS_CFG_STRING,
         .importance = KS_IMP_LOW,
         .doc = "Host name in worker_id."},
        {.name = "rest.advertised.port",
         .type = KS_CFG_INT,
         .has_min = 1,
         .min = 1,
         .has_max = 1,
         .max = 65535,
         .importance = KS_IMP_LOW,
         .doc = "Port in worker_id."},
        {.name = "rest.advertised.listener", .type = KS_CFG_STRING, .importance = KS_IMP_LOW},
        /* slow or greedy clients (rest/rest.c) */
        {.name = "rest.per.ip.connection.limit",
         .type = KS_CFG_INT,
         .default_value = "64",
         .has_min = 1,
         .min = 0,
         .importance = KS_IMP_LOW,
         .doc = "ksink: open REST connections one client address may hold on a listener; "
                "more are closed at once (0 = no limit)."},
        {.name = "rest.connection.timeout.ms",
         .type = KS_CFG_LONG,
         .default_value = "30000",
         .has_min = 1,
         .min = 1000,
         .has_max = 1,
         .max = 3600000,
         .importance = KS_IMP_LOW,
         .doc = "ksink: a REST connection that sends and receives nothing for this long "
                "(slow headers or body, idle keep-alive) is closed; whole seconds."},
        {.name = "admin.listeners", .type = KS_CFG_LIST, .importance = KS_IMP_LOW},
        {.name = "offset.flush.interval.ms",
         .type = KS_CFG_LONG,
         .default_value = "60000",
         .has_min = 1,
         .min = 0,
         .importance = KS_IMP_LOW,
         .doc = "Accepted: ksink commits offsets with every batch."},
        {.name = "offset.flush.timeout.ms", .type = KS_CFG_LONG, .default_value = "5000"},
        {.name = "task.shutdown.graceful.timeout.ms",
         .type = KS_CFG_LONG,
         .default_value = "5000",
         .has_min = 1,
         .min = 0,
         .importance = KS_IMP_LOW,
         .doc = "How long stopping tasks may take before they are abandoned."},
        {.name = "plugin.path",
         .type = KS_CFG_LIST,
         .doc = "Accepted, ignored (plugins are built in)."},
        {.name = "offset.storage.file.filename",
         .type = KS_CFG_STRING,
         .doc = "Accepted, unused (sink offsets live in the consumer group and the connector)."},
        {.name = "config.storage.file",
         .type = KS_CFG_STRING,
         .importance = KS_IMP_MEDIUM,
         .doc = "Where connectors created over REST are persisted (default: "
                "ksink-connectors.json next to the worker properties)."},
        {.name = "connector.client.config.override.policy",
         .type = KS_CFG_STRING,
         .default_value = "All",
         .allowed = override_policies,
         .importance = KS_IMP_MEDIUM},
        {.name = "topic.tracking.enable", .type = KS_CFG_BOOLEAN, .default_value = "true"},
        {.name = "topic.tracking.allow.reset", .type = KS_CFG_BOOLEAN, .default_value = "true"},
        {.name = "config.providers", .type = KS_CFG_LIST, .default_value = ""},
        /* distributed mode (`ksink distributed`, worker/cluster.c); required
         * there, unused in standalone mode */
        {.name = "group.id",
         .type = KS_CFG_STRING,
         .group = G_DIST,
         .importance = KS_IMP_HIGH,
         .doc = "The cluster's name: workers with one group.id share the connectors."},
        {.name = "config.storage.topic",
         .type = KS_CFG_STRING,
         .group = G_DIST,
         .importance = KS_IMP_HIGH,
         .doc = "Connector configs and target states (1 partition, compacted; created when "
                "missing)."},
        {.name = "status.storage.topic",
         .type = KS_CFG_STRING,
         .group = G_DIST,
         .importance = KS_IMP_HIGH,
         .doc = "Connector and task states (compacted; created when missing)."},
        {.name = "offset.storage.topic",
         .type = KS_CFG_STRING,
         .group = G_DIST,
         .importance = KS_IMP_HIGH,
         .doc = "Required as in Connect. Sink offsets stay in Postgres and the consumer "
                "group; ksink uses this topic's partitions as the cluster's placement slots "
                "(nothing is written to it)."},
        DIST_RF("config.storage.replication.factor"),
        DIST_RF("status.storage.replication.factor"),
        DIST_RF("offset.storage.replication.factor"),
        {.name = "offset.storage.partitions",
         .type = KS_CFG_INT,
         .default_value = "25",
         .has_min = 1,
         .min = 1,
         .has_max = 1,
         .max = 10000,
         .group = G_DIST,
         .doc = "Partitions of offset.storage.topic when ksink creates it: the placement "
                "slots (an existing topic's count wins)."},
        {.name = "status.storage.partitions",
         .type = KS_CFG_INT,
         .default_value = "5",
         .has_min = 1,
         .min = 1,
         .has_max = 1,
         .max = 10000,
         .group = G_DIST,
         .doc = "Partitions of status.storage.topic when ksink creates it."},
        {.name = "session.timeout.ms",
         .type = KS_CFG_INT,
         .default_value = "10000",
         .has_min = 1,
         .min = 1000,
         .group = G_DIST,
         .doc = "A worker not heard from for this long is out of the cluster: its tasks "
                "move. Also the default session.timeout.ms of the tasks' consumers."},
        {.name = "heartbeat.interval.ms",
         .type = KS_CFG_INT,
         .default_value = "3000",
         .has_min = 1,
         .min = 100,
         .group = G_DIST,
         .doc = "Heartbeats to the cluster's group coordinator."},
        {.name = "rebalance.timeout.ms",
         .type = KS_CFG_INT,
         .default_value = "60000",
         .has_min = 1,
         .min = 1000,
         .group = G_DIST,
         .doc = "How long a rebalance of the cluster may take."},
        KS_CFG_END,
};

/* Splits "http[s]://host:port" into host, port and scheme. 0 ok. */
static int parse_listener(const char *l, char **host, int *port, int *https, char *errstr,
                          size_t errlen)
{
	const char *p = l, *colon;
	char *end;
	long v;

	while (*p == ' ')
		p++;
	if (https)
		*https = 0;
	if (!strncasecmp(p, "http://", 7)) {
		p += 7;
	} else if (!strncasecmp(p, "https://", 8)) {
		p += 8;
		if (https)
			*https = 1;
	} else {
		return ks_seterr(errstr, errlen, -1,
		                 "expected http://HOST:PORT or https://HOST:PORT, got '%s'", l);
	}
	colon = strrchr(p, ':');
	if (!colon)
		return ks_seterr(errstr, errlen, -1, "missing port in '%s'", l);
	v = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || (*end && *end != '/') || v < 0 || v > 65535)
		return ks_seterr(errstr, errlen, -1, "bad port in '%s'", l);
	if (host) {
		const char *hs = p, *he = colon;
		if (*hs == '[' && he > hs && he[-1] == ']') { /* [::1] */
			hs++;
			he--;
		}
		*host = ks_strndup(hs, (size_t)(he - hs));
		if (!*host)
			return ks_seterr(errstr, errlen, -1, "out of memory");
	}
	if (port)
		*port = (int)v;
	return 0;
}

static int validate_listeners(const ks_cfg_def_t *def, const char *value, char *errstr,
                              size_t errlen)
{
	char one[512];
	const char *p = value;
	int n = 0;

	(void)def;
	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len >= sizeof(one))
			return ks_seterr(errstr, errlen, -1, "listener too long");
		while (len && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		memcpy(one, p, len);
		one[len] = '\0';
		p = comma ? comma + 1 : NULL;
		if (!*one)
			continue;
		if (parse_listener(one, NULL, NULL, NULL, errstr, errlen))
			return -1;
		n++;
	}
	if (!n)
		return ks_seterr(errstr, errlen, -1, "at least one listener is required");
	return 0;
}

void ks_worker_config_destroy(ks_worker_config_t *wc)
{
	if (!wc)
		return;
	ks_config_destroy(wc->cfg);
	ks_props_destroy(wc->props);
	ks_providers_destroy(wc->providers);
	free(wc->rest_host);
	for (size_t i = 0; i < wc->nlisteners; i++)
		free(wc->listeners[i].host);
	free(wc->listeners);
	free(wc->worker_id);
	free(wc->store_path);
	free(wc);
}

ks_worker_config_t *ks_worker_config_new(const ks_props_t *raw, const char *base_dir, char *errstr,
                                         size_t errlen)
{
	static const ks_cfg_def_t *const defs[] = {ks_worker_defs, NULL};
	ks_worker_config_t *wc = calloc(1, sizeof(*wc));
	const char *const *items;
	const char *v;
	char hostbuf[256];
	size_t n;

	if (!wc) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		return NULL;
	}
	wc->providers = ks_providers_new(raw, errstr, errlen);
	if (!wc->providers)
		goto fail;
	wc->props = ks_providers_resolve(wc->providers, raw);
	if (!wc->props) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		goto fail;
	}
	wc->cfg = ks_config_new(defs, wc->props);
	if (!wc->cfg) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		goto fail;
	}
	if (ks_config_error_count(wc->cfg)) {
		ks_seterr(errstr, errlen, -1, "invalid worker config: %s",
		          ks_config_errors_text(wc->cfg));
		goto fail;
	}
	n = ks_config_list(wc->cfg, "listeners", &items);
	wc->listeners = n ? calloc(n, sizeof(*wc->listeners)) : NULL;
	if (n && !wc->listeners) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		ks_listener_t *l = &wc->listeners[wc->nlisteners];
		if (!*items[i])
			continue;
		if (parse_listener(items[i], &l->host, &l->port, &l->https, errstr, errlen)) {
			char why[KS_ERRSTR_SIZE];
			snprintf(why, sizeof(why), "%s", errstr);
			ks_seterr(errstr, errlen, -1, "invalid worker config: listeners: %s", why);
			goto fail;
		}
		wc->nlisteners++;
	}
	if (!wc->nlisteners) {
		ks_seterr(errstr, errlen, -1,
		          "invalid worker config: listeners: at least one listener is required");
		goto fail;
	}
	wc->rest_port = wc->listeners[0].port;
	if (!(wc->rest_host = ks_strdup(wc->listeners[0].host))) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		goto fail;
	}
	if (!ks_converter_known(ks_config_string(wc->cfg, "key.converter")) ||
	    !ks_converter_known(ks_config_string(wc->cfg, "value.converter"))) {
		const char *k = ks_converter_known(ks_config_string(wc->cfg, "key.converter"))
		                        ? "value.converter"
		                        : "key.converter";
		ks_seterr(errstr, errlen, -1,
		          "invalid worker config: %s: unknown converter class '%s'", k,
		          ks_config_string(wc->cfg, k));
		goto fail;
	}
	v = ks_config_string(wc->cfg, "rest.advertised.host.name");
	if (!v || !*v) {
		v = wc->rest_host;
		if (!*v || !strcmp(v, "0.0.0.0") || !strcmp(v, "::")) {
			if (gethostname(hostbuf, sizeof(hostbuf)) != 0)
				snprintf(hostbuf, sizeof(hostbuf), "localhost");
			hostbuf[sizeof(hostbuf) - 1] = '\0';
			v = hostbuf;
		}
	}
	{
		int port = ks_config_is_set(wc->cfg, "rest.advertised.port")
		                   ? ks_config_int(wc->cfg, "rest.advertised.port")
		                   : wc->rest_port;
		size_t n = strlen(v) + 16;
		wc->worker_id = malloc(n);
		if (!wc->worker_id) {
			ks_seterr(errstr, errlen, -1, "out of memory");
			goto fail;
		}
		snprintf(wc->worker_id, n, "%s:%d", v, port);
	}
	v = ks_config_string(wc->cfg, "config.storage.file");
	if (v && *v) {
		wc->store_path = ks_strdup(v);
	} else {
		size_t n = strlen(base_dir ? base_dir : ".") + 32;
		wc->store_path = malloc(n);
		if (wc->store_path)
			snprintf(wc->store_path, n, "%s/ksink-connectors.json",
			         base_dir ? base_dir : ".");
	}
	if (!wc->store_path) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		goto fail;
	}
	wc->flush_interval_ms = ks_config_long(wc->cfg, "offset.flush.interval.ms");
	wc->shutdown_timeout_ms = ks_config_long(wc->cfg, "task.shutdown.graceful.timeout.ms");
	return wc;
fail:
	ks_worker_config_destroy(wc);
	return NULL;
}

int ks_worker_config_distributed(ks_worker_config_t *wc, char *errstr, size_t errlen)
{
	static const char *const required[] = {"group.id", "config.storage.topic",
	                                       "status.storage.topic", "offset.storage.topic"};

	for (size_t i = 0; i < KS_ARRAY_SIZE(required); i++) {
		const char *v = ks_config_string(wc->cfg, required[i]);
		if (!v || !*v)
			return ks_seterr(errstr, errlen, -1,
			                 "invalid worker config: %s: required in distributed mode",
			                 required[i]);
	}
	wc->distributed = 1;
	return 0;
}

ks_worker_config_t *ks_worker_config_load(const char *path, char *errstr, size_t errlen)
{
	ks_props_t *props = ks_props_new();
	ks_worker_config_t *wc = NULL;
	char *copy, *dir;

	if (!props) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		return NULL;
	}
	if (ks_properties_load(path, props, errstr, errlen)) {
		ks_props_destroy(props);
		return NULL;
	}
	copy = ks_strdup(path);
	if (!copy) {
		ks_props_destroy(props);
		ks_seterr(errstr, errlen, -1, "out of memory");
		return NULL;
	}
	dir = dirname(copy);
	wc = ks_worker_config_new(props, dir, errstr, errlen);
	free(copy);
	ks_props_destroy(props);
	return wc;
}

char *ks_worker_group_id(const ks_props_t *conn, const char *connector)
{
	const char *g = conn ? ks_props_get(conn, "consumer.override.group.id") : NULL;
	char *out;
	size_t n;

	if (g && *g)
		return ks_strdup(g);
	n = strlen(connector) + 9;
	out = malloc(n);
	if (out)
		snprintf(out, n, "connect-%s", connector);
	return out;
}

/* Sets key unless it is already present. */
static int set_default(ks_props_t *p, const char *key, const char *value)
{
	if (ks_props_get(p, key))
		return 0;
	return ks_props_set(p, key, value);
}

/* bootstrap.servers as one comma-separated string into out. 0 ok. */
static int set_bootstrap(const ks_worker_config_t *wc, ks_props_t *out)
{
	const char *const *items;
	size_t n = ks_config_list(wc->cfg, "bootstrap.servers", &items);
	ks_buf_t bs = KS_BUF_INIT;
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (i)
			ks_buf_putc(&bs, ',');
		ks_buf_puts(&bs, items[i]);
	}
	rc = ks_buf_failed(&bs) ? -1
	                        : ks_props_set(out, "bootstrap.servers", bs.data ? bs.data : "");
	ks_buf_free(&bs);
	return rc;
}

/* Merges the worker's WORKER_PREFIX* then the connector's CONN_PREFIX*
 * settings into out (later wins). 0 ok. */
static int merge_overrides(const ks_worker_config_t *wc, const ks_props_t *conn, ks_props_t *out,
                           const char *worker_prefix, const char *conn_prefix)
{
	ks_props_t *sub = ks_props_subset(wc->props, worker_prefix);
	int rc = !sub || ks_props_merge(out, sub);

	ks_props_destroy(sub);
	if (rc)
		return -1;
	/* connector overrides: policy All (None rejects them at validation) */
	sub = conn ? ks_props_subset(conn, conn_prefix) : ks_props_new();
	rc = !sub || ks_props_merge(out, sub);
	ks_props_destroy(sub);
	return rc ? -1 : 0;
}

rd_kafka_conf_t *ks_worker_kafka_conf(const ks_props_t *props, const char *ctx, const char *what,
                                      char *errstr, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char kerr[512];

	for (size_t i = 0; i < ks_props_count(props); i++) {
		const char *k = ks_props_key(props, i);
		rd_kafka_conf_res_t r =
		        rd_kafka_conf_set(conf, k, ks_props_value(props, i), kerr, sizeof(kerr));
		if (r == RD_KAFKA_CONF_UNKNOWN)
			KS_DEBUG(ctx, "%s setting %s not known to librdkafka, ignored", what, k);
		else if (r != RD_KAFKA_CONF_OK) {
			ks_seterr(errstr, errlen, -1, "%s setting %s: %s", what, k, kerr);
			rd_kafka_conf_destroy(conf);
			return NULL;
		}
	}
	return conf;
}

/* Sets the prefetch defaults of one task's consumer: the connector's
 * budget divided by its tasks.max, at least the floor
 * (ks_worker_consumer_props). 0 ok. */
static int set_prefetch(const ks_props_t *conn, ks_props_t *out)
{
	static const struct {
		const char *key;
		long long budget, floor;
	} prefetch[] = {
	        {"queued.min.messages", 25000, 5000},
	        {"queued.max.messages.kbytes", 8192, 1024},
	        {"fetch.max.bytes", 4194304, 1048576},
	};
	long long tasks = 1;
	char buf[32];
	int rc = 0;

	if (!conn || ks_parse_ll(ks_props_get(conn, "tasks.max"), 1, INT_MAX, &tasks))
		tasks = 1; /* unset (validated by the config table when set) */
	for (size_t i = 0; i < KS_ARRAY_SIZE(prefetch); i++) {
		long long v = prefetch[i].budget / tasks;
		snprintf(buf, sizeof(buf), "%lld", v > prefetch[i].floor ? v : prefetch[i].floor);
		rc |= set_default(out, prefetch[i].key, buf);
	}
	return rc;
}

ks_props_t *ks_worker_consumer_props(const ks_worker_config_t *wc, const ks_props_t *conn,
                                     const char *connector, int task_id)
{
	ks_props_t *out = ks_props_new();
	char *group = ks_worker_group_id(NULL, connector);
	char client[512];
	int rc = 0;

	if (!out || !group)
		goto fail;
	snprintf(client, sizeof(client), "connector-consumer-%s-%d", connector, task_id);
	/* 1. Connect's defaults */
	rc |= set_bootstrap(wc, out);
	rc |= ks_props_set(out, "group.id", group);
	rc |= ks_props_set(out, "client.id", client);
	rc |= ks_props_set(out, "enable.auto.commit", "false");
	rc |= ks_props_set(out, "enable.auto.offset.store", "false");
	rc |= ks_props_set(out, "auto.offset.reset", "earliest");
	/* 2. worker consumer.*, 3. connector consumer.override.* */
	if (rc || merge_overrides(wc, conn, out, "consumer.", "consumer.override."))
		goto fail;
	/* Prefetch bounds, unless the user chose otherwise (worker/README.md):
	 * a budget per connector of 25k messages, 8 MiB of payload queued and
	 * 4 MiB per fetch (librdkafka: 100k / 64 MiB / 50 MiB per consumer),
	 * shared by its tasks (tasks.max), at least 5000 / 1 MiB / 1 MiB a
	 * task. A queued message costs ~330 bytes besides its payload, so the
	 * worker's memory does not grow with tasks.max; throughput did not
	 * move between 16 and 8 MiB per task (measured on the real broker).
	 * On librdkafka 2.0.2 a full queue parks the fetcher for up to 1 s
	 * (reference perf.md §3); the task restarts it (consumer.c,
	 * ks_consumer_kick) instead of hiding that behind a huge queue. */
	rc |= set_prefetch(conn, out);
	rc |= set_default(out, "topic.metadata.refresh.interval.ms", "5000");
	/* distributed mode: a task moves as fast as the worker that runs it
	 * (unless consumer.session.timeout.ms says otherwise) */
	if (wc->distributed) {
		char v[32];
		snprintf(v, sizeof(v), "%d", ks_config_int(wc->cfg, "session.timeout.ms"));
		rc |= set_default(out, "session.timeout.ms", v);
		snprintf(v, sizeof(v), "%d", ks_config_int(wc->cfg, "heartbeat.interval.ms"));
		rc |= set_default(out, "heartbeat.interval.ms", v);
	}
	/* never let librdkafka commit or store behind our back */
	rc |= ks_props_set(out, "enable.auto.commit", "false");
	rc |= ks_props_set(out, "enable.auto.offset.store", "false");
	if (rc)
		goto fail;
	free(group);
	return out;
fail:
	ks_props_destroy(out);
	free(group);
	return NULL;
}

ks_props_t *ks_worker_producer_props(const ks_worker_config_t *wc, const ks_props_t *conn,
                                     const char *connector, int task_id)
{
	ks_props_t *out = ks_props_new();
	char client[512];
	int rc = 0;

	if (!out)
		return NULL;
	snprintf(client, sizeof(client), "connector-dlq-producer-%s-%d", connector, task_id);
	rc |= set_bootstrap(wc, out);
	rc |= ks_props_set(out, "client.id", client);
	rc |= ks_props_set(out, "acks", "all");
	rc |= ks_props_set(out, "enable.idempotence", "true");
	rc |= ks_props_set(out, "linger.ms", "5");
	/* a record not acknowledged within this is retried by the task (the
	 * batch waits), not lost */
	rc |= ks_props_set(out, "message.timeout.ms", "30000");
	if (rc || merge_overrides(wc, conn, out, "producer.", "producer.override.")) {
		ks_props_destroy(out);
		return NULL;
	}
	return out;
}

int ks_worker_converter_props(const ks_worker_config_t *wc, const ks_props_t *conn,
                              const char *which, const char **class_out, ks_props_t **props_out)
{
	char prefix[64];
	const char *cls = conn ? ks_props_get(conn, which) : NULL;
	ks_props_t *extra;

	snprintf(prefix, sizeof(prefix), "%s.", which);
	if (cls && *cls) { /* the connector's own converter: only its settings */
		*class_out = cls;
		*props_out = ks_props_subset(conn, prefix);
		return *props_out ? 0 : -1;
	}
	/* The worker's converter. Connect would ignore the connector's prefixed
	 * settings here; we let them override the worker's (a connector that only
	 * sets value.converter.schema.registry.url then just works). */
	*class_out = ks_config_string(wc->cfg, which);
	*props_out = ks_props_subset(wc->props, prefix);
	if (!*props_out)
		return -1;
	extra = conn ? ks_props_subset(conn, prefix) : NULL;
	if (conn && (!extra || ks_props_merge(*props_out, extra))) {
		ks_props_destroy(extra);
		ks_props_destroy(*props_out);
		*props_out = NULL;
		return -1;
	}
	ks_props_destroy(extra);
	return 0;
}
