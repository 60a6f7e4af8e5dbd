/*
 * 0013-config_props_scale.c — the ordered map every config goes through
 * (config/props.c) keeps its behaviour past the size where it switches from
 * a scan to a hash index: insertion order, replace in place, remove and
 * re-add, copies, subsets; prints the time to build, copy and look up a
 * 100,000-key map (the issue 12 connector with 60,000 keys took 51 s with a
 * scan per key). And a connector name with a C1 control character (U+0085,
 * UTF-8 C2 85) is an error of the common connector config, as C0 and DEL
 * are (Connect: Character.isISOControl), while U+00A0 is not.
 * needs: none (a unit test: tests/run.sh starts no stack for it)
 */
#include "../config/config.h"
#include "../connectors/connector.h"
#include "lib/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 100000

static double secs_since(int64_t t0)
{
	return (double)(ks_now_us() - t0) / 1e6;
}

KS_TEST(many_keys_keep_order_and_semantics)
{
	ks_props_t *p = ks_props_new(), *d, *s;
	char k[32], v[32];
	int64_t t0;

	KS_CHECK(p, "oom");
	t0 = ks_now_us();
	for (int i = 0; i < N; i++) {
		snprintf(k, sizeof(k), "key.%d", i);
		snprintf(v, sizeof(v), "v%d", i);
		KS_CHECK(!ks_props_set(p, k, v), "oom");
	}
	printf("# %d keys set in %.3f s\n", N, secs_since(t0));
	KS_CHECK_INT(ks_props_count(p), N);
	t0 = ks_now_us();
	for (int i = 0; i < N; i++) {
		snprintf(k, sizeof(k), "key.%d", i);
		snprintf(v, sizeof(v), "v%d", i);
		KS_CHECK_STR(ks_props_get(p, k), v);
	}
	KS_CHECK(!ks_props_get(p, "key.100000") && !ks_props_get(p, "key.") && !ks_props_get(p, ""),
	         "absent key found");
	printf("# %d lookups in %.3f s\n", N, secs_since(t0));
	/* replace keeps the position */
	KS_CHECK(!ks_props_set(p, "key.5", "five"), "oom");
	KS_CHECK_STR(ks_props_key(p, 5), "key.5");
	KS_CHECK_STR(ks_props_value(p, 5), "five");
	KS_CHECK_INT(ks_props_count(p), N);
	/* remove shifts the rest down and they are still found */
	KS_CHECK_INT(ks_props_remove(p, "key.3"), 1);
	KS_CHECK_INT(ks_props_remove(p, "key.3"), 0);
	KS_CHECK_INT(ks_props_count(p), N - 1);
	KS_CHECK_STR(ks_props_key(p, 3), "key.4");
	KS_CHECK(!ks_props_get(p, "key.3"), "removed key found");
	KS_CHECK_STR(ks_props_get(p, "key.99999"), "v99999");
	KS_CHECK_STR(ks_props_get(p, "key.4"), "v4");
	KS_CHECK(!ks_props_set(p, "key.3", "again"), "oom");
	KS_CHECK_STR(ks_props_key(p, N - 1), "key.3");
	KS_CHECK_STR(ks_props_get(p, "key.3"), "again");
	/* copies */
	t0 = ks_now_us();
	d = ks_props_dup(p);
	KS_CHECK(d, "oom");
	printf("# copy of %d keys in %.3f s\n", N, secs_since(t0));
	KS_CHECK_INT(ks_props_count(d), N);
	for (size_t i = 0; i < ks_props_count(p); i++)
		KS_CHECK(!strcmp(ks_props_key(d, i), ks_props_key(p, i)) &&
		                 !strcmp(ks_props_value(d, i), ks_props_value(p, i)),
		         "entry %zu differs", i);
	KS_CHECK_STR(ks_props_get(d, "key.77777"), "v77777");
	s = ks_props_subset(p, "key.1");
	KS_CHECK(s, "oom");
	KS_CHECK_INT(ks_props_count(s), 11110); /* key.10-19, ..., key.10000-19999 */
	KS_CHECK_STR(ks_props_get(s, "2345"), "v12345");
	/* a small map: grows past the scan size, shrinks below it, grows again */
	ks_props_destroy(d);
	d = ks_props_new();
	KS_CHECK(d, "oom");
	for (int i = 0; i < 40; i++) {
		snprintf(k, sizeof(k), "key.%d", i);
		KS_CHECK(!ks_props_set(d, k, "x"), "oom");
	}
	for (int i = 0; i < 40; i++) {
		snprintf(k, sizeof(k), "key.%d", i);
		if (i % 8)
			KS_CHECK_INT(ks_props_remove(d, k), 1);
	}
	KS_CHECK_INT(ks_props_count(d), 5);
	KS_CHECK_STR(ks_props_key(d, 4), "key.32");
	KS_CHECK_STR(ks_props_get(d, "key.32"), "x");
	KS_CHECK(!ks_props_get(d, "key.33"), "removed key found");
	KS_CHECK(!ks_props_merge(d, s), "oom");
	KS_CHECK_INT(ks_props_count(d), 5 + 11110);
	KS_CHECK_STR(ks_props_get(d, "2345"), "v12345");
	KS_CHECK_STR(ks_props_get(d, "key.24"), "x");
	ks_props_destroy(s);
	ks_props_destroy(d);
	ks_props_destroy(p);
}

static int name_errors(const char *name)
{
	const ks_cfg_def_t *const t[] = {ks_connector_common_defs, NULL};
	ks_props_t *p = ks_props_new();
	ks_config_t *c;
	int n;

	KS_CHECK(p && !ks_props_set(p, "name", name) && !ks_props_set(p, "connector.class", "x") &&
	                 !ks_props_set(p, "topics", "t"),
	         "oom");
	c = ks_config_new(t, p);
	KS_CHECK(c, "oom");
	n = ks_config_error_count(c);
	if (n)
		KS_CHECK(strstr(ks_config_errors_text(c), "control characters"), "%s",
		         ks_config_errors_text(c));
	ks_config_destroy(c);
	ks_props_destroy(p);
	return n;
}

KS_TEST(c1_control_characters_in_name_rejected)
{
	KS_CHECK_INT(name_errors("bad\xc2\x85name"), 1); /* U+0085 NEL */
	KS_CHECK_INT(name_errors("\xc2\x80"), 1);        /* U+0080 */
	KS_CHECK_INT(name_errors("x\xc2\x9f"), 1);       /* U+009F */
	KS_CHECK_INT(name_errors("a\x7f"), 1);           /* DEL */
	KS_CHECK_INT(name_errors("a\x1f"), 1);
	KS_CHECK_INT(name_errors("nb\xc2\xa0sp"), 0);             /* U+00A0 is not a control */
	KS_CHECK_INT(name_errors("caf\xc3\xa9 \xe2\x82\xac"), 0); /* é € */
	KS_CHECK_INT(name_errors("\xe2\x80\x85"), 0); /* U+2005: 80 85 as continuation bytes */
}
