/*
 * 0409-consumer_prefetch.c — a task's consumer settings
 * (ks_worker_consumer_props): the prefetch bounds are a budget per
 * connector divided by tasks.max with a floor per task, so a worker's
 * memory does not grow with tasks.max; what the user sets (worker
 * consumer.*, connector consumer.override.*) wins; Connect's fixed keys
 * stay fixed.
 * needs: none (a unit test: tests/run.sh starts no stack for it)
 */
#include "../worker/worker.h"
#include "lib/harness.h"
#include "lib/worker_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[] = "/tmp/ksink-0409.XXXXXX";

/* A worker config with one extra worker key (k = NULL: none). */
static ks_worker_config_t *worker(const char *k, const char *v)
{
	char path[300];

	if (!strcmp(dir + strlen(dir) - 6, "XXXXXX"))
		KS_CHECK(mkdtemp(dir), "mkdtemp");
	snprintf(path, sizeof(path), "%s/store.json", dir);
	return ks_test_worker_config(dir, path, k, v);
}

/* The consumer props of task 0 of connector "c" with tasks.max = tasks
 * (NULL: unset) and one extra connector key. */
static ks_props_t *consumer(const ks_worker_config_t *wc, const char *tasks, const char *k,
                            const char *v)
{
	ks_props_t *conn = ks_props_new(), *out;

	KS_CHECK(conn && (!tasks || !ks_props_set(conn, "tasks.max", tasks)) &&
	                 (!k || !ks_props_set(conn, k, v)),
	         "oom");
	out = ks_worker_consumer_props(wc, conn, "c", 0);
	KS_CHECK(out, "ks_worker_consumer_props failed");
	ks_props_destroy(conn);
	return out;
}

static void check_prefetch(const char *tasks, const char *min_msgs, const char *kbytes,
                           const char *fetch)
{
	ks_worker_config_t *wc = worker(NULL, NULL);
	ks_props_t *c = consumer(wc, tasks, NULL, NULL);

	KS_CHECK_STR(ks_props_get(c, "queued.min.messages"), min_msgs);
	KS_CHECK_STR(ks_props_get(c, "queued.max.messages.kbytes"), kbytes);
	KS_CHECK_STR(ks_props_get(c, "fetch.max.bytes"), fetch);
	KS_CHECK_STR(ks_props_get(c, "group.id"), "connect-c");
	KS_CHECK_STR(ks_props_get(c, "enable.auto.commit"), "false");
	ks_props_destroy(c);
	ks_worker_config_destroy(wc);
}

KS_TEST(one_task_gets_the_whole_budget)
{
	check_prefetch("1", "25000", "8192", "4194304");
	check_prefetch(NULL, "25000", "8192", "4194304");
}

KS_TEST(four_tasks_share_it)
{
	check_prefetch("4", "6250", "2048", "1048576");
}

KS_TEST(many_tasks_stop_at_the_floor)
{
	check_prefetch("100", "5000", "1024", "1048576");
	check_prefetch("0", "25000", "8192", "4194304"); /* invalid: as one */
}

KS_TEST(the_user_setting_wins)
{
	ks_worker_config_t *wc = worker("consumer.queued.max.messages.kbytes", "65536");
	ks_props_t *c = consumer(wc, "4", "consumer.override.fetch.max.bytes", "52428800");

	KS_CHECK_STR(ks_props_get(c, "queued.max.messages.kbytes"), "65536");
	KS_CHECK_STR(ks_props_get(c, "fetch.max.bytes"), "52428800");
	KS_CHECK_STR(ks_props_get(c, "queued.min.messages"), "6250");
	ks_props_destroy(c);
	ks_worker_config_destroy(wc);
}

KS_TEST(auto_commit_stays_off)
{
	ks_worker_config_t *wc = worker("consumer.enable.auto.commit", "true");
	ks_props_t *c = consumer(wc, "1", "consumer.override.enable.auto.offset.store", "true");

	KS_CHECK_STR(ks_props_get(c, "enable.auto.commit"), "false");
	KS_CHECK_STR(ks_props_get(c, "enable.auto.offset.store"), "false");
	ks_props_destroy(c);
	ks_worker_config_destroy(wc);
}
