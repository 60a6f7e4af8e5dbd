/*
 * url.c — turns the pgjdbc connection URL a Confluent JDBC sink config
 * carries (jdbc:postgresql://host[:port][,host2[:port]...]/db?k=v&...) plus
 * the driver properties (connection.<x> pass-through keys) into a libpq
 * conninfo string. Values are quoted per libpq's rules ('...' with \ and '
 * backslash-escaped), so nothing in a URL can add conninfo keys.
 *
 * pgjdbc property       libpq
 *   user, password      user, password
 *   ssl=true            sslmode=verify-full (pgjdbc's default with ssl=true)
 *   sslmode, sslrootcert, sslcert, sslkey, sslpassword, sslcrl   same names
 *   currentSchema       options=-csearch_path=<value>
 *   ApplicationName     application_name
 *   loginTimeout, connectTimeout (seconds)   connect_timeout
 *   targetServerType    target_session_attrs (primary/master -> primary,
 *                       secondary/slave -> standby, preferSecondary ->
 *                       prefer-standby, any -> any)
 *   tcpKeepAlive=true   keepalives=1
 *   options             options
 *   gssEncMode          gssencmode
 */
#include "jdbc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Percent-decodes [p, p+n) into a malloc'd string ('+' stays '+', as pgjdbc). */
static char *pct_decode(const char *p, size_t n)
{
	char *o = malloc(n + 1), *q = o;

	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '%' && i + 2 < n && ks_hexval(p[i + 1]) >= 0 &&
		    ks_hexval(p[i + 2]) >= 0) {
			*q++ = (char)(ks_hexval(p[i + 1]) * 16 + ks_hexval(p[i + 2]));
			i += 2;
		} else {
			*q++ = p[i];
		}
	}
	*q = 0;
	return o;
}

/* Appends key='value' with libpq quoting. */
static void ci_put(ks_buf_t *b, const char *key, const char *val)
{
	if (b->len)
		ks_buf_putc(b, ' ');
	ks_buf_puts(b, key);
	ks_buf_puts(b, "='");
	for (const char *p = val; *p; p++) {
		if (*p == '\'' || *p == '\\')
			ks_buf_putc(b, '\\');
		ks_buf_putc(b, *p);
	}
	ks_buf_putc(b, '\'');
}

/* Appends key='value' to the conninfo and to its log-safe copy, where the
 * values of password and sslpassword are masked. */
static void ci_put2(ks_buf_t *ci, ks_buf_t *safe, const char *key, const char *val)
{
	ci_put(ci, key, val);
	if (strcmp(key, "password") && strcmp(key, "sslpassword")) {
		ci_put(safe, key, val);
		return;
	}
	if (safe->len)
		ks_buf_putc(safe, ' ');
	ks_buf_printf(safe, "%s=********", key);
}

/* Escapes a value for the libpq "options" setting (spaces and backslashes
 * are backslash-escaped). */
static void opt_escape(ks_buf_t *b, const char *v)
{
	for (const char *p = v; *p; p++) {
		if (*p == ' ' || *p == '\\' || *p == '\t')
			ks_buf_putc(b, '\\');
		ks_buf_putc(b, *p);
	}
}

static int is_true(const char *v)
{
	return v && (ks_strcaseeq(v, "true") || !strcmp(v, "1"));
}

int ks_jdbc_url_to_conninfo(const char *url, const ks_props_t *driver_props, const char *user,
                            const char *password, char **conninfo, char **safe, char **ignored,
                            char *errstr, size_t errlen)
{
	static const char prefix[] = "jdbc:postgresql:";
	ks_props_t *pr = NULL;
	ks_buf_t hosts = KS_BUF_INIT, ports = KS_BUF_INIT, ci = KS_BUF_INIT, sf = KS_BUF_INIT,
	         ign = KS_BUF_INIT, opts = KS_BUF_INIT;
	char *db = NULL;
	const char *p, *q;
	int rc = -1;

	*conninfo = NULL;
	*safe = NULL;
	if (ignored)
		*ignored = NULL;
	if (!url || strncmp(url, prefix, sizeof(prefix) - 1))
		return ks_seterr(errstr, errlen, -1,
		                 "connection.url must start with jdbc:postgresql: (got a URL for "
		                 "another driver or not a JDBC URL)");
	if (!(pr = driver_props ? ks_props_dup(driver_props) : ks_props_new()))
		goto oom;
	p = url + sizeof(prefix) - 1;
	q = strchr(p, '?');
	if (!strncmp(p, "//", 2)) {
		const char *hs = p + 2, *slash = strchr(hs, '/');
		const char *hend = slash && (!q || slash < q) ? slash : (q ? q : hs + strlen(hs));

		/* host list: h[:port],h2[:port]; IPv6 as [addr]:port */
		for (const char *h = hs; h < hend;) {
			const char *e = memchr(h, ',', (size_t)(hend - h));
			const char *colon = NULL, *hstart = h, *hstop;
			size_t n;

			if (!e)
				e = hend;
			if (*h == '[') {
				const char *rb = memchr(h, ']', (size_t)(e - h));
				if (!rb) {
					ks_seterr(errstr, errlen, -1,
					          "connection.url: bad IPv6 host");
					goto out;
				}
				hstart = h + 1;
				hstop = rb;
				if (rb + 1 < e && rb[1] == ':')
					colon = rb + 1;
			} else {
				colon = memchr(h, ':', (size_t)(e - h));
				hstop = colon ? colon : e;
			}
			n = (size_t)(hstop - hstart);
			if (hosts.len)
				ks_buf_putc(&hosts, ','), ks_buf_putc(&ports, ',');
			if (n)
				ks_buf_append(&hosts, hstart, n);
			else
				ks_buf_puts(&hosts, "localhost");
			if (colon && colon + 1 < e) {
				for (const char *d = colon + 1; d < e; d++)
					if (!isdigit((unsigned char)*d)) {
						ks_seterr(errstr, errlen, -1,
						          "connection.url: bad port in host list");
						goto out;
					}
				ks_buf_append(&ports, colon + 1, (size_t)(e - colon - 1));
			} else {
				ks_buf_puts(&ports, "5432");
			}
			h = e < hend ? e + 1 : e;
		}
		if (!hosts.len) {
			ks_buf_puts(&hosts, "localhost");
			ks_buf_puts(&ports, "5432");
		}
		p = hend < (q ? q : hend + 1) && *hend == '/' ? hend + 1 : hend;
	} else {
		/* jdbc:postgresql:db or jdbc:postgresql:/ */
		ks_buf_puts(&hosts, "localhost");
		ks_buf_puts(&ports, "5432");
		if (*p == '/')
			p++;
	}
	{
		size_t n = q ? (size_t)(q - p) : strlen(p);
		if (n && !(db = pct_decode(p, n)))
			goto oom;
	}
	/* URL parameters (they win over driver properties, as in pgjdbc) */
	for (const char *a = q ? q + 1 : NULL; a && *a;) {
		const char *amp = strchr(a, '&'), *end = amp ? amp : a + strlen(a);
		const char *eq = memchr(a, '=', (size_t)(end - a));
		char *k, *v;

		if (end > a) {
			k = pct_decode(a, (size_t)((eq ? eq : end) - a));
			v = eq ? pct_decode(eq + 1, (size_t)(end - eq - 1)) : strdup("");
			if (!k || !v || ks_props_set(pr, k, v)) {
				free(k);
				free(v);
				goto oom;
			}
			free(k);
			free(v);
		}
		a = amp ? amp + 1 : end;
	}
	if (user && ks_props_set(pr, "user", user))
		goto oom;
	if (password && ks_props_set(pr, "password", password))
		goto oom;

	ci_put2(&ci, &sf, "host", hosts.len ? hosts.data : "localhost");
	ci_put2(&ci, &sf, "port", ports.len ? ports.data : "5432");
	if (db)
		ci_put2(&ci, &sf, "dbname", db);
	const char *sslmode = NULL, *timeout = NULL;
	for (size_t i = 0; i < ks_props_count(pr); i++) {
		const char *k = ks_props_key(pr, i), *v = ks_props_value(pr, i);

		if (!strcmp(k, "user") || !strcmp(k, "password") || !strcmp(k, "sslrootcert") ||
		    !strcmp(k, "sslcert") || !strcmp(k, "sslkey") || !strcmp(k, "sslpassword") ||
		    !strcmp(k, "sslcrl"))
			ci_put2(&ci, &sf, k, v);
		else if (!strcmp(k, "sslmode"))
			sslmode = v;
		else if (!strcmp(k, "ssl")) {
			if (is_true(v) && !ks_props_get(pr, "sslmode"))
				sslmode = "verify-full";
		} else if (!strcmp(k, "currentSchema")) {
			if (opts.len)
				ks_buf_putc(&opts, ' ');
			ks_buf_puts(&opts, "-csearch_path=");
			opt_escape(&opts, v);
		} else if (!strcmp(k, "options")) {
			if (opts.len)
				ks_buf_putc(&opts, ' ');
			ks_buf_puts(&opts, v);
		} else if (!strcmp(k, "ApplicationName"))
			ci_put2(&ci, &sf, "application_name", v);
		else if (!strcmp(k, "loginTimeout"))
			timeout = v;
		else if (!strcmp(k, "connectTimeout")) {
			if (!timeout)
				timeout = v;
		} else if (!strcmp(k, "targetServerType")) {
			const char *t = ks_strcaseeq(v, "primary") || ks_strcaseeq(v, "master")
			                        ? "primary"
			                : ks_strcaseeq(v, "secondary") || ks_strcaseeq(v, "slave")
			                        ? "standby"
			                : ks_strcaseeq(v, "preferSecondary") ? "prefer-standby"
			                                                     : "any";
			ci_put2(&ci, &sf, "target_session_attrs", t);
		} else if (!strcmp(k, "tcpKeepAlive"))
			ci_put2(&ci, &sf, "keepalives", is_true(v) ? "1" : "0");
		else if (!strcmp(k, "gssEncMode"))
			ci_put2(&ci, &sf, "gssencmode", v);
		else {
			if (ign.len)
				ks_buf_putc(&ign, ',');
			ks_buf_puts(&ign, k);
		}
	}
	if (sslmode)
		ci_put2(&ci, &sf, "sslmode", sslmode);
	if (timeout) {
		/* pgjdbc: seconds, 0 = none; libpq: seconds, 0 = none */
		char tb[24];
		long t = strtol(timeout, NULL, 10);
		snprintf(tb, sizeof(tb), "%ld", t < 0 ? 0 : t);
		ci_put2(&ci, &sf, "connect_timeout", tb);
	}
	if (opts.len)
		ci_put2(&ci, &sf, "options", opts.data);
	if (ks_buf_failed(&ci) || ks_buf_failed(&sf) || ks_buf_failed(&ign) ||
	    ks_buf_failed(&hosts) || ks_buf_failed(&ports) || ks_buf_failed(&opts))
		goto oom;
	*conninfo = ks_buf_steal(&ci);
	*safe = ks_buf_steal(&sf);
	if (ignored)
		*ignored = ign.len ? ks_buf_steal(&ign) : NULL;
	rc = 0;
	goto out;
oom:
	ks_seterr(errstr, errlen, -1, "out of memory");
out:
	if (ci.data)
		explicit_bzero(ci.data, ci.len);
	ks_buf_free(&ci);
	ks_buf_free(&sf);
	ks_buf_free(&ign);
	ks_buf_free(&hosts);
	ks_buf_free(&ports);
	ks_buf_free(&opts);
	free(db);
	ks_props_destroy(pr);
	return rc;
}
