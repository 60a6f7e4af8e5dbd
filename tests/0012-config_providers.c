/*
 * 0012-config_providers.c — ${env:…}, ${file:…:…} and ${dir:…:…} resolution
 * as Kafka's config.providers, and what is left alone.
 * needs: none (a unit test: tests/run.sh starts no stack for it)
 */
#include "../config/config.h"
#include "lib/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static ks_providers_t *providers(void)
{
	ks_props_t *w = ks_props_new();
	char errstr[256];
	ks_providers_t *p;

	KS_CHECK(!ks_props_set(w, "config.providers", "env, file,dir") &&
	                 !ks_props_set(
	                         w, "config.providers.env.class",
	                         "org.apache.kafka.common.config.provider.EnvVarConfigProvider") &&
	                 !ks_props_set(
	                         w, "config.providers.file.class",
	                         "org.apache.kafka.common.config.provider.FileConfigProvider") &&
	                 !ks_props_set(
	                         w, "config.providers.dir.class",
	                         "org.apache.kafka.common.config.provider.DirectoryConfigProvider"),
	         "set");
	p = ks_providers_new(w, errstr, sizeof(errstr));
	ks_props_destroy(w);
	KS_CHECK(p != NULL, "%s", errstr);
	return p;
}

KS_TEST(env_file_and_dir_resolve)
{
	char dir[] = "/tmp/ksink-prov-XXXXXX", path[300], secret[300];
	FILE *f;
	ks_providers_t *pr = providers();
	ks_props_t *in = ks_props_new(), *out;

	KS_CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(path, sizeof(path), "%s/db.properties", dir);
	f = fopen(path, "w");
	fprintf(f, "# credentials\ndb.password=p@ss:word\n");
	fclose(f);
	snprintf(secret, sizeof(secret), "%s/token", dir);
	f = fopen(secret, "w");
	fprintf(f, "tok123");
	fclose(f);
	setenv("KSINK_TEST_USER", "alice", 1);
	KS_CHECK(!ks_props_set(in, "connection.user", "${env:KSINK_TEST_USER}"), "set");
	snprintf(path + strlen(path), 100, "%s", "");
	{
		char v[600];
		snprintf(v, sizeof(v), "${file:%s:db.password}", path);
		KS_CHECK(!ks_props_set(in, "connection.password", v), "set");
		snprintf(v, sizeof(v), "Bearer ${dir:%s:token}!", dir);
		KS_CHECK(!ks_props_set(in, "token", v), "set");
	}
	KS_CHECK(!ks_props_set(in, "plain", "no refs here"), "set");
	out = ks_providers_resolve(pr, in);
	KS_CHECK(out != NULL, "resolve");
	KS_CHECK_STR(ks_props_get(out, "connection.user"), "alice");
	KS_CHECK_STR(ks_props_get(out, "connection.password"), "p@ss:word");
	KS_CHECK_STR(ks_props_get(out, "token"), "Bearer tok123!");
	KS_CHECK_STR(ks_props_get(out, "plain"), "no refs here");
	ks_props_destroy(out);
	ks_props_destroy(in);
	ks_providers_destroy(pr);
	unlink(secret);
	unlink(path);
	rmdir(dir);
}

KS_TEST(unknown_provider_and_missing_key_left_unchanged)
{
	ks_providers_t *pr = providers();
	ks_props_t *in = ks_props_new(), *out;

	unsetenv("KSINK_TEST_NOPE");
	KS_CHECK(!ks_props_set(in, "a", "${vault:secret/x:key}") &&
	                 !ks_props_set(in, "b", "${env:KSINK_TEST_NOPE}") &&
	                 !ks_props_set(in, "c", "${table}") && !ks_props_set(in, "d", "${env:"),
	         "set");
	out = ks_providers_resolve(pr, in);
	KS_CHECK_STR(ks_props_get(out, "a"), "${vault:secret/x:key}");
	KS_CHECK_STR(ks_props_get(out, "b"), "${env:KSINK_TEST_NOPE}");
	KS_CHECK_STR(ks_props_get(out, "c"), "${table}");
	KS_CHECK_STR(ks_props_get(out, "d"), "${env:");
	ks_props_destroy(out);
	ks_props_destroy(in);
	ks_providers_destroy(pr);
}

KS_TEST(table_name_format_topic_is_not_a_provider)
{
	/* ${topic} in table.name.format must survive provider resolution */
	ks_providers_t *pr = providers();
	ks_props_t *in = ks_props_new(), *out;

	KS_CHECK(!ks_props_set(in, "table.name.format", "kafka_${topic}"), "set");
	out = ks_providers_resolve(pr, in);
	KS_CHECK_STR(ks_props_get(out, "table.name.format"), "kafka_${topic}");
	ks_props_destroy(out);
	ks_props_destroy(in);
	ks_providers_destroy(pr);
}

KS_TEST(no_providers_declared_means_no_resolution)
{
	ks_props_t *w = ks_props_new(), *in = ks_props_new(), *out;
	char errstr[256];
	ks_providers_t *pr = ks_providers_new(w, errstr, sizeof(errstr));

	setenv("KSINK_TEST_USER", "alice", 1);
	KS_CHECK(pr != NULL, "%s", errstr);
	KS_CHECK(!ks_props_set(in, "u", "${env:KSINK_TEST_USER}"), "set");
	out = ks_providers_resolve(pr, in);
	KS_CHECK_STR(ks_props_get(out, "u"), "${env:KSINK_TEST_USER}");
	ks_props_destroy(out);
	ks_props_destroy(in);
	ks_props_destroy(w);
	ks_providers_destroy(pr);
}

KS_TEST(unsupported_provider_class_is_an_error)
{
	ks_props_t *w = ks_props_new();
	char errstr[256] = "";
	ks_providers_t *pr;

	KS_CHECK(!ks_props_set(w, "config.providers", "vault") &&
	                 !ks_props_set(w, "config.providers.vault.class", "com.example.Vault"),
	         "set");
	pr = ks_providers_new(w, errstr, sizeof(errstr));
	KS_CHECK(pr == NULL, "accepted an unknown class");
	KS_CHECK(strstr(errstr, "com.example.Vault") != NULL, "%s", errstr);
	ks_props_destroy(w);
	pr = NULL;
	w = ks_props_new();
	KS_CHECK(!ks_props_set(w, "config.providers", "env"), "set");
	pr = ks_providers_new(w, errstr, sizeof(errstr));
	KS_CHECK(pr == NULL && strstr(errstr, "config.providers.env.class"), "%s", errstr);
	ks_props_destroy(w);
}
