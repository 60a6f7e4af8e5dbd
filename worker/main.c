/*
 * main.c — the ksink command line, the only place that exits:
 *
 *   ksink standalone WORKER.properties [CONNECTOR.json|CONNECTOR.properties ...]
 *   ksink distributed WORKER.properties
 *   ksink --version | --help
 *
 * Start-up: load the worker config (bad key -> exit 1 naming it), load the
 * connector files, create the herder (which reads the config store), open the
 * REST listener, start the stored connectors, create/update the connectors
 * given on the command line, then wait for SIGTERM/SIGINT. Distributed mode
 * (worker/cluster.h) reads the connectors from the config topic instead of
 * the store, before the REST listener opens, and joins the cluster once the
 * herder has started. Shutdown: stop
 * accepting REST requests, stop every task (each finishes or abandons its
 * batch, commits and leaves its group) within
 * task.shutdown.graceful.timeout.ms, exit 0.
 *
 * Exit codes: 0 clean shutdown, 1 start-up error, 2 usage.
 */
#include "../lib/log.h"
#include "../lib/stop_signal.h"
#include "../rest/rest.h"
#include "worker.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOGCTX "worker"

static void usage(FILE *f)
{
	fprintf(f, "usage: ksink standalone WORKER.properties [CONNECTOR.json|CONNECTOR.properties "
	           "...]\n"
	           "       ksink distributed WORKER.properties\n"
	           "       ksink --version\n"
	           "       ksink --help\n"
	           "\n"
	           "Runs a Kafka Connect-compatible sink worker with the Connect REST API.\n"
	           "WORKER.properties uses Connect's worker keys (bootstrap.servers, listeners,\n"
	           "key.converter, value.converter, consumer.*, ...) plus config.storage.file,\n"
	           "where connectors created over REST are kept across restarts.\n"
	           "A connector file is JSON ({\"name\":..,\"config\":{..}} or a flat config map)\n"
	           "or .properties with name=...; it is created, or updated when it exists.\n"
	           "Distributed mode: workers with one group.id share the connectors through\n"
	           "Kafka (config.storage.topic, status.storage.topic, offset.storage.topic).\n"
	           "SIGTERM/SIGINT stop the worker cleanly (exit 0).\n");
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcasecmp(s + n - m, suffix);
}

/* Loads one connector file into (name, props). 0 ok. */
static int load_connector_file(const char *path, char **name, ks_props_t **props, char *errstr,
                               size_t errlen)
{
	ks_props_t *p = ks_props_new();
	const char *n;

	*name = NULL;
	*props = NULL;
	if (!p)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	if (ends_with(path, ".json")) {
		json_error_t jerr;
		json_t *doc = json_load_file(path, 0, &jerr), *cfg;
		const char *jn;
		if (!doc) {
			ks_props_destroy(p);
			return ks_seterr(errstr, errlen, -1, "%s:%d: %s", path, jerr.line,
			                 jerr.text);
		}
		cfg = json_object_get(doc, "config");
		jn = json_string_value(json_object_get(doc, "name"));
		if (!json_is_object(cfg))
			cfg = doc; /* a flat config map */
		if (ks_config_from_json(cfg, p, errstr, errlen)) {
			json_decref(doc);
			ks_props_destroy(p);
			return -1;
		}
		if (jn && !ks_props_get(p, "name") && ks_props_set(p, "name", jn)) {
			json_decref(doc);
			ks_props_destroy(p);
			return ks_seterr(errstr, errlen, -1, "out of memory");
		}
		json_decref(doc);
	} else if (ks_properties_load(path, p, errstr, errlen)) {
		ks_props_destroy(p);
		return -1;
	}
	n = ks_props_get(p, "name");
	if (!n || !*n) {
		ks_props_destroy(p);
		return ks_seterr(errstr, errlen, -1, "%s: the connector has no \"name\"", path);
	}
	*name = ks_strdup(n);
	*props = p;
	return *name ? 0 : ks_seterr(errstr, errlen, -1, "out of memory");
}

static int run(int distributed, int argc, char **argv)
{
	char errstr[KS_ERRSTR_SIZE];
	ks_worker_config_t *wc;
	ks_herder_t *h = NULL;
	ks_rest_t *rest = NULL;
	int nconn = argc - 1, rc = 1, sig = 0;
	char **names = calloc((size_t)nconn + 1, sizeof(char *));
	ks_props_t **props = calloc((size_t)nconn + 1, sizeof(ks_props_t *));
	sigset_t set;

	if (!names || !props) {
		fprintf(stderr, "ksink: out of memory\n");
		free(names);
		free(props);
		return 1;
	}
	ks_stop_signal_block(&set); /* taken below; every thread inherits the mask */

	wc = ks_worker_config_load(argv[0], errstr, sizeof(errstr));
	if (!wc || (distributed && ks_worker_config_distributed(wc, errstr, sizeof(errstr)))) {
		fprintf(stderr, "ksink: %s: %s\n", argv[0], errstr);
		goto out;
	}
	for (int i = 0; i < nconn; i++)
		if (load_connector_file(argv[1 + i], &names[i], &props[i], errstr,
		                        sizeof(errstr))) {
			fprintf(stderr, "ksink: connector file %s: %s\n", argv[1 + i], errstr);
			goto out;
		}
	KS_INFO(LOGCTX, "ksink %s starting (librdkafka %s), worker id %s, connectors in %s",
	        KSINK_VERSION, rd_kafka_version_str(), wc->worker_id,
	        distributed ? ks_config_string(wc->cfg, "config.storage.topic") : wc->store_path);
	h = ks_herder_new(wc, errstr, sizeof(errstr));
	if (!h) {
		fprintf(stderr, "ksink: config.storage.file: %s\n", errstr);
		goto out;
	}
	if (ks_herder_attach(h, errstr, sizeof(errstr))) {
		fprintf(stderr, "ksink: distributed mode: %s\n", errstr);
		goto out;
	}
	rest = ks_rest_start(h, errstr, sizeof(errstr));
	if (!rest) {
		fprintf(stderr, "ksink: listeners: %s\n", errstr);
		goto out;
	}
	ks_herder_start(h);
	if (ks_herder_join(h, errstr, sizeof(errstr))) {
		fprintf(stderr, "ksink: distributed mode: %s\n", errstr);
		goto out;
	}
	for (int i = 0; i < nconn; i++) {
		if (ks_herder_put(h, names[i], props[i], 1, KS_TARGET_STARTED, NULL, NULL, errstr,
		                  sizeof(errstr)) != KS_OK) {
			fprintf(stderr, "ksink: connector %s (%s): %s\n", names[i], argv[1 + i],
			        errstr);
			goto out;
		}
	}
	KS_INFO(LOGCTX, "worker started");
	sig = ks_stop_signal_wait(&set);
	KS_INFO(LOGCTX, "%s received, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	rc = 0;
out:
	ks_rest_quiesce(rest);
	if (h)
		ks_herder_stop(h);
	ks_rest_stop(rest);
	ks_herder_destroy(h);
	ks_worker_config_destroy(wc);
	for (int i = 0; i < nconn; i++) {
		free(names[i]);
		ks_props_destroy(props[i]);
	}
	free(names);
	free(props);
	if (rc == 0)
		KS_INFO(LOGCTX, "worker stopped");
	return rc;
}

int main(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
		printf("ksink %s (Kafka Connect REST %s, librdkafka %s)\n", KSINK_VERSION,
		       KSINK_CONNECT_VERSION, rd_kafka_version_str());
		return 0;
	}
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "standalone"))
		exit(run(0, argc - 2, argv + 2));
	if (argc == 3 && !strcmp(argv[1], "distributed"))
		exit(run(1, argc - 2, argv + 2));
	usage(stderr);
	return 2;
}
