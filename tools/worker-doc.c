/*
 * worker-doc.c — build/ksink-worker-doc: writes the documentation that is
 * derived from the worker config table (ks_worker_defs in
 * worker/worker_config.c), so the example worker.properties and the man
 * page's key list cannot drift from what ksink accepts.
 *
 *   ksink-worker-doc properties [KEY=VALUE ...]
 *       a commented worker.properties: every worker key with its type, range
 *       or allowed values and default, commented out; KEY=VALUE pairs are
 *       written as active settings (the packaged config sets converters and
 *       config.storage.file this way)
 *   ksink-worker-doc man
 *       the roff body of the man page's WORKER KEYS section
 *
 * Used by `make` (build/worker.properties, build/ksink.1) and the Debian
 * package; test 0700 checks the result against `ksink --help`.
 */
#include "../config/config.h"
#include "../worker/worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The active value given for key on the command line, or NULL. */
static const char * override(int argc, char **argv, const char *key)
{
	size_t n = strlen(key);
	for (int i = 0; i < argc; i++)
		if (!strncmp(argv[i], key, n) && argv[i][n] == '=')
			return argv[i] + n + 1;
	return NULL;
}

/* "TYPE[, one of a|b][, min..max]" for a key. */
static void constraints(const ks_cfg_def_t *d, char *buf, size_t len)
{
	size_t o = (size_t)snprintf(buf, len, "%s", ks_cfg_type_name(d->type));
	if (d->allowed && o < len) {
		o += (size_t)snprintf(buf + o, len - o, ", one of ");
		for (int i = 0; d->allowed[i] && o < len; i++)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "|" : "",
			                      d->allowed[i]);
	}
	if ((d->has_min || d->has_max) && o < len) {
		o += (size_t)snprintf(buf + o, len - o, ", ");
		if (d->has_min && o < len)
			o += (size_t)snprintf(buf + o, len - o, "%.0f", d->min);
		if (o < len)
			o += (size_t)snprintf(buf + o, len - o, "..");
		if (d->has_max && o < len)
			snprintf(buf + o, len - o, "%.0f", d->max);
	}
}

/* Writes text as "# " comment lines of at most 78 columns. */
static void comment_wrapped(const char *text)
{
	const char *p = text;
	while (*p) {
		size_t take = strlen(p);
		if (take > 76) {
			take = 76;
			while (take > 0 && p[take] != ' ')
				take--;
			if (!take)
				take = strcspn(p, " ");
		}
		printf("# %.*s\n", (int)take, p);
		p += take;
		while (*p == ' ')
			p++;
	}
}

static int write_properties(int argc, char **argv)
{
	char cons[256];

	printf("# worker.properties — the ksink worker configuration (ksink(1)).\n"
	       "#\n"
	       "# Every worker key ksink knows is listed below with its type and default,\n"
	       "# commented out (the default applies). Keys of a Java Kafka Connect worker\n"
	       "# that ksink does not know are accepted and ignored. consumer.* keys go to\n"
	       "# the sink tasks' Kafka consumers, key.converter.* / value.converter.* to\n"
	       "# the converters. Generated from the worker config table by\n"
	       "# ksink-worker-doc; do not edit the key list by hand.\n");
	for (const ks_cfg_def_t *d = ks_worker_defs; d->name; d++) {
		const char *v = override(argc, argv, d->name);
		constraints(d, cons, sizeof(cons));
		printf("\n");
		if (d->doc)
			comment_wrapped(d->doc);
		printf("# %s%s\n", cons, d->required ? ", required" : "");
		if (v)
			printf("%s=%s\n", d->name, v);
		else if (d->required)
			printf("%s=\n", d->name);
		else
			printf("#%s=%s\n", d->name, d->default_value ? d->default_value : "");
	}
	for (int i = 0; i < argc; i++) { /* pass-through keys (consumer.*, converters) */
		const char *eq = strchr(argv[i], '=');
		int known = 0;
		if (!eq)
			continue;
		for (const ks_cfg_def_t *d = ks_worker_defs; d->name && !known; d++)
			known = strlen(d->name) == (size_t)(eq - argv[i]) &&
			        !strncmp(d->name, argv[i], (size_t)(eq - argv[i]));
		if (!known)
			printf("\n%s\n", argv[i]);
	}
	return 0;
}

/* roff text: backslashes escaped, a leading dot or quote made literal. */
static void roff(const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", stdout);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", stdout);
		else if (*s == '-')
			fputs("\\-", stdout);
		else
			putchar(*s);
	}
}

static int write_man(void)
{
	char cons[256];

	for (const ks_cfg_def_t *d = ks_worker_defs; d->name; d++) {
		constraints(d, cons, sizeof(cons));
		printf(".TP\n.B ");
		roff(d->name);
		printf("\n(");
		roff(cons);
		if (d->required)
			printf("; required");
		else if (d->default_value && *d->default_value) {
			printf("; default \\fI");
			roff(d->default_value);
			printf("\\fR");
		}
		printf(")");
		if (d->doc) {
			printf("\n");
			roff(d->doc);
		}
		printf("\n");
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "properties"))
		return write_properties(argc - 2, argv + 2);
	if (argc == 2 && !strcmp(argv[1], "man"))
		return write_man();
	fprintf(stderr, "usage: ksink-worker-doc properties [KEY=VALUE ...]\n"
	                "       ksink-worker-doc man\n");
	return 2;
}
