/*
 * worker_fixture.h — a worker configuration for unit tests that need one but
 * no running worker: string converters, an unreachable Kafka (never dialled)
 * and a config store file, plus one extra key.
 */
#ifndef KS_TEST_WORKER_FIXTURE_H
#define KS_TEST_WORKER_FIXTURE_H

#include "../../worker/worker.h"

/* The worker config for base_dir with its connectors stored in store (a
 * file path) and k=v added (k NULL: nothing); fails the test case when it
 * cannot be made. Owned by the caller (ks_worker_config_destroy). */
ks_worker_config_t *ks_test_worker_config(const char *base_dir, const char *store, const char *k,
                                          const char *v);

#endif
