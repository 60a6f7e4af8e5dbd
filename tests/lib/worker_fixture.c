/*
 * worker_fixture.c — see worker_fixture.h.
 */
#include "worker_fixture.h"

#include "harness.h"

ks_worker_config_t *ks_test_worker_config(const char *base_dir, const char *store, const char *k,
                                          const char *v)
{
	char err[KS_ERRSTR_SIZE];
	ks_props_t *p = ks_props_new();
	ks_worker_config_t *wc;

	KS_CHECK(p && !ks_props_set(p, "bootstrap.servers", "127.0.0.1:1") &&
	                 !ks_props_set(p, "key.converter",
	                               "org.apache.kafka.connect.storage.StringConverter") &&
	                 !ks_props_set(p, "value.converter",
	                               "org.apache.kafka.connect.storage.StringConverter") &&
	                 !ks_props_set(p, "config.storage.file", store) &&
	                 (!k || !ks_props_set(p, k, v)),
	         "oom");
	wc = ks_worker_config_new(p, base_dir, err, sizeof(err));
	ks_props_destroy(p);
	KS_CHECK(wc, "%s", err);
	return wc;
}
