/*
 * auth.c — HTTP basic authentication for the REST API (see auth.h): the
 * JAAS file parser, the credentials file and the per-request check.
 *
 * JAAS syntax (Java's ConfigFile): entries `Name { Module Flag k=v ...; ... };`
 * with // and slash-star comments and "double-quoted" values (backslash
 * escapes the next character). Only the KafkaConnect entry is read.
 */
#include "auth.h"

#include "../config/config.h"
#include "../lib/base64.h"
#include "../lib/buf.h"
#include "../lib/file.h"
#include "../lib/log.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOGCTX      "rest"
#define DIGEST_SIZE 32 /* SHA-256 */

typedef struct cred {
	unsigned char user[DIGEST_SIZE];
	unsigned char pass[DIGEST_SIZE];
} cred_t;

struct ks_rest_auth {
	cred_t *creds;
	size_t ncreds;
};

/* ---------------- JAAS parsing ---------------- */

typedef enum { T_EOF = 0, T_WORD, T_STRING, T_PUNCT, T_ERROR } tok_type_t;

typedef struct lexer {
	const char *p, *end;
	int line;
	tok_type_t type;
	ks_buf_t text; /* word / string contents, or the punctuation char */
	char err[128];
} lexer_t;

static int is_punct(char c)
{
	return c == '{' || c == '}' || c == ';' || c == '=';
}

/* Reads the next token into lx. */
static tok_type_t next(lexer_t *lx)
{
	ks_buf_reset(&lx->text);
	for (;;) {
		while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r' ||
		                           *lx->p == '\n' || *lx->p == '\f')) {
			if (*lx->p == '\n')
				lx->line++;
			lx->p++;
		}
		if (lx->p + 1 < lx->end && lx->p[0] == '/' && lx->p[1] == '/') {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
			continue;
		}
		if (lx->p + 1 < lx->end && lx->p[0] == '/' && lx->p[1] == '*') {
			lx->p += 2;
			while (lx->p + 1 < lx->end && !(lx->p[0] == '*' && lx->p[1] == '/')) {
				if (*lx->p == '\n')
					lx->line++;
				lx->p++;
			}
			if (lx->p + 1 >= lx->end) {
				snprintf(lx->err, sizeof(lx->err), "line %d: unterminated comment",
				         lx->line);
				return lx->type = T_ERROR;
			}
			lx->p += 2;
			continue;
		}
		break;
	}
	if (lx->p >= lx->end)
		return lx->type = T_EOF;
	if (is_punct(*lx->p)) {
		ks_buf_putc(&lx->text, *lx->p++);
		return lx->type = T_PUNCT;
	}
	if (*lx->p == '"') {
		lx->p++;
		while (lx->p < lx->end && *lx->p != '"') {
			if (*lx->p == '\\' && lx->p + 1 < lx->end)
				lx->p++;
			if (*lx->p == '\n')
				lx->line++;
			ks_buf_putc(&lx->text, *lx->p++);
		}
		if (lx->p >= lx->end) {
			snprintf(lx->err, sizeof(lx->err), "line %d: unterminated string",
			         lx->line);
			return lx->type = T_ERROR;
		}
		lx->p++;
		if (!lx->text.data)
			ks_buf_puts(&lx->text, "");
		return lx->type = ks_buf_failed(&lx->text) ? T_ERROR : T_STRING;
	}
	while (lx->p < lx->end && !is_punct(*lx->p) && *lx->p != '"' &&
	       !strchr(" \t\r\n\f", *lx->p) && *lx->p != '\0')
		ks_buf_putc(&lx->text, *lx->p++);
	if (!lx->text.len) { /* a NUL byte */
		snprintf(lx->err, sizeof(lx->err), "line %d: unexpected character", lx->line);
		return lx->type = T_ERROR;
	}
	return lx->type = ks_buf_failed(&lx->text) ? T_ERROR : T_WORD;
}

static int is_tok(const lexer_t *lx, char c)
{
	return lx->type == T_PUNCT && lx->text.data[0] == c;
}

static int syntax(lexer_t *lx, char *errstr, size_t errlen, const char *what)
{
	if (lx->type == T_ERROR)
		return ks_seterr(errstr, errlen, -1, "JAAS configuration: %s", lx->err);
	return ks_seterr(errstr, errlen, -1, "JAAS configuration: line %d: expected %s", lx->line,
	                 what);
}

int ks_rest_jaas_credentials_file(const char *text, size_t len, char **file, char *errstr,
                                  size_t errlen)
{
	lexer_t lx = {.p = text, .end = text + len, .line = 1};
	char *found = NULL;
	int in_connect = 0, seen_connect = 0, nmodules = 0, rc = -1;

	*file = NULL;
	for (;;) {
		char entry[128];

		if (next(&lx) == T_EOF)
			break;
		if (lx.type != T_WORD && lx.type != T_STRING) {
			syntax(&lx, errstr, errlen, "an entry name");
			goto out;
		}
		snprintf(entry, sizeof(entry), "%s", lx.text.data);
		in_connect = !strcmp(entry, "KafkaConnect") && !seen_connect;
		if (in_connect)
			seen_connect = 1;
		if (next(&lx), !is_tok(&lx, '{')) {
			syntax(&lx, errstr, errlen, "'{'");
			goto out;
		}
		/* modules */
		for (;;) {
			char module[256];
			if (next(&lx), is_tok(&lx, '}'))
				break;
			if (lx.type != T_WORD) {
				syntax(&lx, errstr, errlen, "a login module class or '}'");
				goto out;
			}
			snprintf(module, sizeof(module), "%s", lx.text.data);
			if (next(&lx) != T_WORD || (strcasecmp(lx.text.data, "required") &&
			                            strcasecmp(lx.text.data, "requisite") &&
			                            strcasecmp(lx.text.data, "sufficient") &&
			                            strcasecmp(lx.text.data, "optional"))) {
				syntax(&lx, errstr, errlen,
				       "a control flag (required, requisite, sufficient, "
				       "optional)");
				goto out;
			}
			if (in_connect) {
				nmodules++;
				if (strcmp(module, KS_REST_PROPERTY_FILE_LOGIN_MODULE)) {
					ks_seterr(errstr, errlen, -1,
					          "JAAS configuration: login module %s is not "
					          "supported "
					          "(ksink implements only %s)",
					          module, KS_REST_PROPERTY_FILE_LOGIN_MODULE);
					goto out;
				}
			}
			/* options up to ';' */
			for (;;) {
				char key[128];
				if (next(&lx), is_tok(&lx, ';'))
					break;
				if (lx.type != T_WORD) {
					syntax(&lx, errstr, errlen, "an option name or ';'");
					goto out;
				}
				snprintf(key, sizeof(key), "%s", lx.text.data);
				if (next(&lx), !is_tok(&lx, '=')) {
					syntax(&lx, errstr, errlen, "'=' after an option name");
					goto out;
				}
				if (next(&lx) != T_WORD && lx.type != T_STRING) {
					syntax(&lx, errstr, errlen, "an option value");
					goto out;
				}
				if (in_connect && !strcmp(key, "file")) {
					free(found);
					if (!(found = ks_strdup(lx.text.data))) {
						ks_seterr(errstr, errlen, -1, "out of memory");
						goto out;
					}
				}
			}
		}
		if (next(&lx), !is_tok(&lx, ';')) {
			syntax(&lx, errstr, errlen, "';' after '}'");
			goto out;
		}
	}
	if (!seen_connect) {
		ks_seterr(errstr, errlen, -1, "JAAS configuration: no KafkaConnect entry");
		goto out;
	}
	if (nmodules != 1) {
		ks_seterr(errstr, errlen, -1,
		          "JAAS configuration: the KafkaConnect entry must have exactly one login "
		          "module (%s), it has %d",
		          KS_REST_PROPERTY_FILE_LOGIN_MODULE, nmodules);
		goto out;
	}
	if (!found || !*found) {
		ks_seterr(errstr, errlen, -1,
		          "JAAS configuration: PropertyFileLoginModule needs file=\"/path/to/"
		          "credentials.properties\"");
		goto out;
	}
	*file = found;
	found = NULL;
	rc = 0;
out:
	free(found);
	ks_buf_free(&lx.text);
	return rc;
}

char *ks_rest_jaas_path_from_opts(const char *opts)
{
	static const char key[] = "-Djava.security.auth.login.config=";
	const char *p = opts, *hit = NULL;
	size_t n;

	/* the last occurrence wins, as with repeated -D options */
	while (p && (p = strstr(p, key))) {
		if (p == opts || p[-1] == ' ' || p[-1] == '\t')
			hit = p;
		p += sizeof(key) - 1;
	}
	if (!hit)
		return NULL;
	p = hit + sizeof(key) - 1;
	if (*p == '=') /* ==PATH: "use only this file", same for us */
		p++;
	if (*p == '"' || *p == '\'') {
		const char *q = strchr(p + 1, *p);
		n = q ? (size_t)(q - p - 1) : strlen(p + 1);
		p++;
	} else {
		n = strcspn(p, " \t");
	}
	if (n > 7 && !strncmp(p, "file://", 7))
		p += 7, n -= 7;
	else if (n > 5 && !strncmp(p, "file:", 5))
		p += 5, n -= 5;
	return n ? ks_strndup(p, n) : NULL;
}

/* ---------------- credentials ---------------- */

static int digest(const char *s, size_t len, unsigned char out[DIGEST_SIZE])
{
	return gnutls_hash_fast(GNUTLS_DIG_SHA256, s, len, out) == 0 ? 0 : -1;
}

static int read_file(const char *path, char **out, size_t *outlen, char *errstr, size_t errlen)
{
	ks_buf_t b = KS_BUF_INIT;

	if (ks_file_read(path, &b, errstr, errlen)) {
		ks_buf_free(&b);
		return -1;
	}
	*outlen = b.len;
	*out = b.data ? ks_buf_steal(&b) : ks_strdup("");
	return *out ? 0 : ks_seterr(errstr, errlen, -1, "out of memory");
}

static int load_credentials(ks_rest_auth_t *a, const char *path, char *errstr, size_t errlen)
{
	ks_props_t *p = ks_props_new();
	char *text = NULL;
	size_t len = 0;
	int rc = -1;

	if (!p)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	if (read_file(path, &text, &len, errstr, errlen))
		goto out;
	if (ks_properties_parse(text, len, p, errstr, errlen))
		goto out;
	if (!ks_props_count(p)) {
		/* Connect would then let every request in; we refuse to start */
		ks_seterr(errstr, errlen, -1,
		          "credentials file %s has no users (Connect would allow every request; "
		          "ksink refuses)",
		          path);
		goto out;
	}
	a->creds = calloc(ks_props_count(p), sizeof(*a->creds));
	if (!a->creds) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ks_props_count(p); i++) {
		const char *u = ks_props_key(p, i), *pw = ks_props_value(p, i);
		if (digest(u, strlen(u), a->creds[i].user) ||
		    digest(pw, strlen(pw), a->creds[i].pass)) {
			ks_seterr(errstr, errlen, -1, "SHA-256 unavailable");
			goto out;
		}
		a->ncreds++;
	}
	rc = 0;
out:
	ks_free_wiped(text, len);
	ks_props_destroy(p);
	return rc;
}

int ks_rest_auth_load(const ks_config_t *worker, const char *kafka_opts, ks_rest_auth_t **out,
                      char *errstr, size_t errlen)
{
	const char *const *classes;
	size_t nclasses = ks_config_list(worker, "rest.extension.classes", &classes);
	const char *jaas_key = ks_config_string(worker, "rest.basic.auth.jaas.config.file");
	char *jaas_path = NULL, *text = NULL, *cred_path = NULL;
	ks_rest_auth_t *a = NULL;
	size_t len = 0;
	int basic = 0, rc = -1;

	*out = NULL;
	for (size_t i = 0; i < nclasses; i++) {
		if (!*classes[i])
			continue;
		if (strcmp(classes[i], KS_REST_BASIC_AUTH_EXTENSION)) {
			ks_seterr(errstr, errlen, -1,
			          "rest.extension.classes: %s is not supported (ksink implements "
			          "only "
			          "%s)",
			          classes[i], KS_REST_BASIC_AUTH_EXTENSION);
			goto out;
		}
		basic = 1;
	}
	if (!basic) {
		if (jaas_key && *jaas_key)
			KS_WARN(LOGCTX, "rest.basic.auth.jaas.config.file is set but "
			                "rest.extension.classes does not list the "
			                "BasicAuthSecurityRestExtension: no authentication");
		rc = 0;
		goto out;
	}
	if (jaas_key && *jaas_key)
		jaas_path = ks_strdup(jaas_key);
	else
		jaas_path = ks_rest_jaas_path_from_opts(kafka_opts);
	if (!jaas_path) {
		ks_seterr(errstr, errlen, -1,
		          "rest.extension.classes: the basic auth extension needs a JAAS file: set "
		          "rest.basic.auth.jaas.config.file or "
		          "-Djava.security.auth.login.config=PATH in KAFKA_OPTS");
		goto out;
	}
	if (read_file(jaas_path, &text, &len, errstr, errlen))
		goto prefix;
	if (ks_rest_jaas_credentials_file(text, len, &cred_path, errstr, errlen))
		goto prefix;
	if (!(a = calloc(1, sizeof(*a)))) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		goto out;
	}
	if (load_credentials(a, cred_path, errstr, errlen))
		goto prefix;
	KS_INFO(LOGCTX, "basic authentication on: %zu user(s) from %s (JAAS %s)", a->ncreds,
	        cred_path, jaas_path);
	*out = a;
	a = NULL;
	rc = 0;
	goto out;
prefix : {
	char why[KS_ERRSTR_SIZE];
	snprintf(why, sizeof(why), "%s", errstr);
	ks_seterr(errstr, errlen, -1, "basic auth (JAAS file %s): %s", jaas_path, why);
}
out:
	ks_rest_auth_destroy(a);
	free(jaas_path);
	free(text);
	free(cred_path);
	return rc;
}

void ks_rest_auth_destroy(ks_rest_auth_t *a)
{
	if (!a)
		return;
	ks_free_wiped(a->creds, a->ncreds * sizeof(*a->creds));
	free(a);
}

size_t ks_rest_auth_users(const ks_rest_auth_t *a)
{
	return a ? a->ncreds : 0;
}

/* ---------------- the check ---------------- */

/* Constant-time comparison of two digests. */
static unsigned ct_same(const unsigned char *a, const unsigned char *b)
{
	unsigned char d = 0;
	for (int i = 0; i < DIGEST_SIZE; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return (unsigned)(1 & ((d - 1u) >> 8));
}

int ks_rest_auth_check(const ks_rest_auth_t *a, const char *authorization)
{
	unsigned char du[DIGEST_SIZE], dp[DIGEST_SIZE], *raw;
	const char *p = authorization, *colon;
	size_t len;
	long n;
	unsigned ok = 0;

	if (!a)
		return 1;
	if (!p)
		return 0;
	while (*p == ' ')
		p++;
	if (strncasecmp(p, "Basic ", 6))
		return 0;
	p += 6;
	while (*p == ' ')
		p++;
	len = strlen(p);
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (len > 8192)
		return 0;
	raw = malloc(len / 4 * 3 + 1);
	if (!raw)
		return 0;
	n = ks_base64_decode_strict(p, len, raw);
	colon = n > 0 ? memchr(raw, ':', (size_t)n) : NULL;
	if (!colon || colon == (const char *)raw || /* empty user: malformed, as Connect */
	    digest((const char *)raw, (size_t)(colon - (const char *)raw), du) ||
	    digest(colon + 1, (size_t)n - (size_t)(colon + 1 - (const char *)raw), dp)) {
		ks_free_wiped(raw, len / 4 * 3 + 1);
		return 0;
	}
	ks_free_wiped(raw, len / 4 * 3 + 1);
	/* every entry is compared, so the time does not depend on which matched */
	for (size_t i = 0; i < a->ncreds; i++)
		ok |= ct_same(du, a->creds[i].user) & ct_same(dp, a->creds[i].pass);
	explicit_bzero(dp, sizeof(dp));
	return (int)ok;
}
