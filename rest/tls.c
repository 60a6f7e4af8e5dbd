/*
 * tls.c — loads the HTTPS listener's key store and trust store (see tls.h)
 * with GnuTLS, the TLS library libmicrohttpd uses, and hands them over as
 * PEM. Every problem is reported naming the worker key at fault.
 */
#include "tls.h"

#include "../lib/buf.h"
#include "../lib/file.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/pkcs12.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PREFIX "listeners.https."

typedef enum { K_UNKNOWN = 0, K_PEM, K_PKCS12, K_JKS } kind_t;

typedef struct src {
	const ks_props_t *props;
	int prefixed; /* any listeners.https.* key: only those count */
} src_t;

/* The value of an ssl.* key per Connect's all-or-nothing prefix rule. */
static const char *get(const src_t *s, const char *key)
{
	char k[160];
	if (!s->prefixed)
		return ks_props_get(s->props, key);
	snprintf(k, sizeof(k), PREFIX "%s", key);
	return ks_props_get(s->props, k);
}

/* get() with "" meaning unset. */
static const char *get_set(const src_t *s, const char *key)
{
	const char *v = get(s, key);
	return v && *v ? v : NULL;
}

/* The key's full name, for messages (static buffer per call site is not
 * thread-safe, so the caller passes one). */
static const char *kname(const src_t *s, const char *key, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", s->prefixed ? PREFIX : "", key);
	return buf;
}

static void buf_wipe_free(ks_buf_t *b)
{
	if (b->data)
		explicit_bzero(b->data, b->cap);
	ks_buf_free(b);
}

static kind_t sniff(const ks_buf_t *b)
{
	const unsigned char *d = (const unsigned char *)b->data;
	if (b->len >= 4 && ((d[0] == 0xFE && d[1] == 0xED && d[2] == 0xFE && d[3] == 0xED) ||
	                    (d[0] == 0xCE && d[1] == 0xCE && d[2] == 0xCE && d[3] == 0xCE)))
		return K_JKS;
	if (memmem(b->data, b->len, "-----BEGIN ", 11))
		return K_PEM;
	if (b->len >= 2 && d[0] == 0x30)
		return K_PKCS12;
	return K_UNKNOWN;
}

/* Reads the key or trust store (which) at path into b and finds its kind:
 * the type key, checked against the content. */
static int read_store(const src_t *s, const char *which, const char *path, ks_buf_t *b, kind_t *out,
                      char *errstr, size_t errlen)
{
	char tk[96], lk[96], key[64], why[KS_ERRSTR_SIZE];
	const char *type;
	kind_t k;

	snprintf(key, sizeof(key), "ssl.%s.type", which);
	type = get_set(s, key);
	kname(s, key, tk, sizeof(tk));
	snprintf(key, sizeof(key), "ssl.%s.location", which);
	kname(s, key, lk, sizeof(lk));
	if (ks_file_read(path, b, why, sizeof(why)))
		return ks_seterr(errstr, errlen, -1, "%s: %s", lk, why);
	if (!b->len)
		return ks_seterr(errstr, errlen, -1, "%s: cannot read %s: empty file", lk, path);
	k = sniff(b);
	if (k == K_JKS)
		return ks_seterr(errstr, errlen, -1,
		                 "%s: %s is a Java JKS/JCEKS key store, which ksink cannot read; "
		                 "convert it with: keytool -importkeystore -srckeystore %s "
		                 "-destkeystore %s.p12 -deststoretype PKCS12, then set %s=PKCS12",
		                 lk, path, path, path, tk);
	if (!type || ks_strcaseeq(type, "JKS")) { /* Connect's default: go by the content */
		if (k == K_UNKNOWN)
			return ks_seterr(errstr, errlen, -1,
			                 "%s: %s is neither PEM nor PKCS12 (set %s=PEM or PKCS12)",
			                 lk, path, tk);
		*out = k;
		return 0;
	}
	if (ks_strcaseeq(type, "PEM")) {
		if (k != K_PEM)
			return ks_seterr(errstr, errlen, -1, "%s: %s is not a PEM file (%s=PEM)",
			                 lk, path, tk);
		*out = K_PEM;
		return 0;
	}
	if (ks_strcaseeq(type, "PKCS12") || ks_strcaseeq(type, "PKCS#12") ||
	    ks_strcaseeq(type, "PFX")) {
		if (k != K_PKCS12)
			return ks_seterr(errstr, errlen, -1, "%s: %s is not a PKCS12 file (%s=%s)",
			                 lk, path, tk, type);
		*out = K_PKCS12;
		return 0;
	}
	return ks_seterr(errstr, errlen, -1, "%s=%s is not supported (PEM or PKCS12)", tk, type);
}

/* Appends the PEM of each certificate. */
static int put_certs(ks_buf_t *out, gnutls_x509_crt_t *crts, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		gnutls_datum_t d = {NULL, 0};
		if (gnutls_x509_crt_export2(crts[i], GNUTLS_X509_FMT_PEM, &d) < 0)
			return -1;
		ks_buf_append(out, d.data, d.size);
		gnutls_free(d.data);
	}
	return ks_buf_failed(out) ? -1 : 0;
}

static int put_key(ks_buf_t *out, gnutls_x509_privkey_t key)
{
	gnutls_datum_t d = {NULL, 0};
	if (gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN,
	                                      &d) < 0)
		return -1;
	ks_buf_append(out, d.data, d.size);
	explicit_bzero(d.data, d.size);
	gnutls_free(d.data);
	return ks_buf_failed(out) ? -1 : 0;
}

/* Does key belong to the first certificate of the chain? */
static int check_pair(gnutls_x509_crt_t *crts, unsigned n, gnutls_x509_privkey_t key,
                      const char *what, char *errstr, size_t errlen)
{
	gnutls_certificate_credentials_t c;
	int ret;

	if (gnutls_certificate_allocate_credentials(&c) < 0)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	ret = gnutls_certificate_set_x509_key(c, crts, n, key);
	gnutls_certificate_free_credentials(c);
	if (ret < 0)
		return ks_seterr(errstr, errlen, -1, "%s: %s", what,
		                 ret == GNUTLS_E_CERTIFICATE_KEY_MISMATCH
		                         ? "the private key does not belong to the first "
		                           "certificate (put the server certificate first)"
		                         : gnutls_strerror(ret));
	return 0;
}

static void free_crts(gnutls_x509_crt_t *crts, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
}

/* PEM text with certificates and a private key -> t->cert_pem, t->key_pem. */
static int pem_keypair(ks_rest_tls_t *t, const char *certs, size_t clen, const char *keytext,
                       size_t klen, const char *password, const char *what, const char *pwkey,
                       char *errstr, size_t errlen)
{
	gnutls_datum_t dc = {(unsigned char *)certs, (unsigned)clen};
	gnutls_datum_t dk = {(unsigned char *)keytext, (unsigned)klen};
	gnutls_x509_crt_t *crts = NULL;
	gnutls_x509_privkey_t key = NULL;
	ks_buf_t bc = KS_BUF_INIT, bk = KS_BUF_INIT;
	unsigned n = 0;
	int ret, rc = -1;

	ret = gnutls_x509_crt_list_import2(&crts, &n, &dc, GNUTLS_X509_FMT_PEM, 0);
	if (ret < 0 || !n) {
		ks_seterr(errstr, errlen, -1, "%s: no readable certificate (%s)", what,
		          ret < 0 ? gnutls_strerror(ret) : "none found");
		crts = ret < 0 ? NULL : crts;
		n = 0;
		goto out;
	}
	if (gnutls_x509_privkey_init(&key) < 0) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		goto out;
	}
	if (!memmem(keytext, klen, "PRIVATE KEY-----", 16)) {
		ks_seterr(errstr, errlen, -1, "%s: no private key", what);
		goto out;
	}
	ret = gnutls_x509_privkey_import2(key, &dk, GNUTLS_X509_FMT_PEM, password,
	                                  password ? 0 : GNUTLS_PKCS_PLAIN);
	if (ret < 0) {
		int enc = memmem(keytext, klen, "ENCRYPTED", 9) != NULL;
		if (enc && !password)
			ks_seterr(errstr, errlen, -1, "%s: the private key is encrypted: set %s",
			          what, pwkey);
		else if (enc)
			ks_seterr(errstr, errlen, -1,
			          "%s: %s does not decrypt the private key (%s)", what, pwkey,
			          gnutls_strerror(ret));
		else
			ks_seterr(errstr, errlen, -1, "%s: cannot read the private key: %s", what,
			          gnutls_strerror(ret));
		goto out;
	}
	if (check_pair(crts, n, key, what, errstr, errlen))
		goto out;
	if (put_certs(&bc, crts, n) || put_key(&bk, key)) {
		ks_seterr(errstr, errlen, -1, "%s: cannot re-encode the key pair", what);
		goto out;
	}
	t->cert_pem = ks_buf_steal(&bc);
	t->key_pem = ks_buf_steal(&bk);
	rc = 0;
out:
	if (key)
		gnutls_x509_privkey_deinit(key);
	free_crts(crts, n);
	buf_wipe_free(&bc);
	buf_wipe_free(&bk);
	return rc;
}

/* Decrypts the bags of a PKCS12 file and collects its certificates (for a
 * trust store). */
static int p12_certs(gnutls_pkcs12_t p12, const char *password, ks_buf_t *out, const char *what,
                     char *errstr, size_t errlen)
{
	int ncerts = 0;

	for (int i = 0;; i++) {
		gnutls_pkcs12_bag_t bag;
		int ret, cnt;

		if (gnutls_pkcs12_bag_init(&bag) < 0)
			return ks_seterr(errstr, errlen, -1, "out of memory");
		ret = gnutls_pkcs12_get_bag(p12, i, bag);
		if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
			gnutls_pkcs12_bag_deinit(bag);
			break;
		}
		if (ret >= 0 && gnutls_pkcs12_bag_get_type(bag, 0) == GNUTLS_BAG_ENCRYPTED)
			ret = gnutls_pkcs12_bag_decrypt(bag, password);
		if (ret < 0) {
			gnutls_pkcs12_bag_deinit(bag);
			return ks_seterr(errstr, errlen, -1, "%s: %s", what, gnutls_strerror(ret));
		}
		cnt = gnutls_pkcs12_bag_get_count(bag);
		for (int j = 0; j < cnt; j++) {
			gnutls_datum_t d;
			gnutls_x509_crt_t crt;
			if (gnutls_pkcs12_bag_get_type(bag, (unsigned)j) !=
			            GNUTLS_BAG_CERTIFICATE ||
			    gnutls_pkcs12_bag_get_data(bag, (unsigned)j, &d) < 0)
				continue;
			if (gnutls_x509_crt_init(&crt) < 0)
				continue;
			if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) >= 0 &&
			    put_certs(out, &crt, 1) == 0)
				ncerts++;
			gnutls_x509_crt_deinit(crt);
		}
		gnutls_pkcs12_bag_deinit(bag);
	}
	if (!ncerts)
		return ks_seterr(errstr, errlen, -1, "%s: no certificate in the PKCS12 file", what);
	return 0;
}

static int p12_open(const ks_buf_t *b, const char *password, const char *pwkey,
                    gnutls_pkcs12_t *out, const char *what, char *errstr, size_t errlen)
{
	gnutls_datum_t d = {(unsigned char *)b->data, (unsigned)b->len};
	int ret;

	if (gnutls_pkcs12_init(out) < 0)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	ret = gnutls_pkcs12_import(*out, &d, GNUTLS_X509_FMT_DER, 0);
	if (ret < 0) {
		gnutls_pkcs12_deinit(*out);
		*out = NULL;
		return ks_seterr(errstr, errlen, -1, "%s: not a readable PKCS12 file (%s)", what,
		                 gnutls_strerror(ret));
	}
	ret = gnutls_pkcs12_verify_mac(*out, password ? password : "");
	if (ret < 0 && ret != GNUTLS_E_UNKNOWN_HASH_ALGORITHM) {
		gnutls_pkcs12_deinit(*out);
		*out = NULL;
		return ks_seterr(errstr, errlen, -1, "%s: %s is wrong (the integrity check failed)",
		                 what, pwkey);
	}
	return 0;
}

static int load_keystore(const src_t *s, ks_rest_tls_t *t, char *errstr, size_t errlen)
{
	char lk[96], pk[96], kk[96];
	const char *loc = get_set(s, "ssl.keystore.location");
	const char *inline_key = get_set(s, "ssl.keystore.key");
	const char *inline_chain = get_set(s, "ssl.keystore.certificate.chain");
	const char *key_pw = get(s, "ssl.key.password");
	const char *store_pw = get(s, "ssl.keystore.password");
	ks_buf_t b = KS_BUF_INIT;
	kind_t kind;
	int rc = -1;

	kname(s, "ssl.keystore.location", lk, sizeof(lk));
	kname(s, "ssl.key.password", kk, sizeof(kk));
	kname(s, "ssl.keystore.password", pk, sizeof(pk));
	if (inline_key || inline_chain) {
		char ik[96], ic[96];
		kname(s, "ssl.keystore.key", ik, sizeof(ik));
		kname(s, "ssl.keystore.certificate.chain", ic, sizeof(ic));
		if (!inline_key || !inline_chain || loc)
			return ks_seterr(errstr, errlen, -1, "%s and %s go together, without %s",
			                 ik, ic, lk);
		snprintf(t->source, sizeof(t->source), "%s", ic);
		return pem_keypair(t, inline_chain, strlen(inline_chain), inline_key,
		                   strlen(inline_key), key_pw, ik, kk, errstr, errlen);
	}
	if (!loc)
		return ks_seterr(errstr, errlen, -1,
		                 "an https:// listener needs %s (a PEM or PKCS12 key store)", lk);
	snprintf(t->source, sizeof(t->source), "%s", loc);
	if (read_store(s, "keystore", loc, &b, &kind, errstr, errlen))
		goto out;
	if (kind == K_PEM) {
		rc = pem_keypair(t, b.data, b.len, b.data, b.len, key_pw, lk, kk, errstr, errlen);
		goto out;
	}
	/* PKCS12 */
	{
		gnutls_pkcs12_t p12 = NULL;
		gnutls_x509_privkey_t key = NULL;
		gnutls_x509_crt_t *chain = NULL;
		unsigned nchain = 0;
		ks_buf_t bc = KS_BUF_INIT, bk = KS_BUF_INIT;
		int ret;

		if (p12_open(&b, store_pw, pk, &p12, lk, errstr, errlen))
			goto out;
		ret = gnutls_pkcs12_simple_parse(p12, store_pw ? store_pw : "", &key, &chain,
		                                 &nchain, NULL, NULL, NULL, 0);
		if (ret < 0 && key_pw && (!store_pw || strcmp(key_pw, store_pw)))
			ret = gnutls_pkcs12_simple_parse(p12, key_pw, &key, &chain, &nchain, NULL,
			                                 NULL, NULL, 0);
		gnutls_pkcs12_deinit(p12);
		if (ret < 0 || !key || !nchain) {
			ks_seterr(
			        errstr, errlen, -1,
			        "%s: no private key with its certificate could be read (%s; check "
			        "%s / %s)",
			        lk, ret < 0 ? gnutls_strerror(ret) : "missing", pk, kk);
		} else if (!check_pair(chain, nchain, key, lk, errstr, errlen)) {
			if (put_certs(&bc, chain, nchain) || put_key(&bk, key)) {
				ks_seterr(errstr, errlen, -1, "%s: cannot re-encode the key pair",
				          lk);
			} else {
				t->cert_pem = ks_buf_steal(&bc);
				t->key_pem = ks_buf_steal(&bk);
				rc = 0;
			}
		}
		if (key)
			gnutls_x509_privkey_deinit(key);
		free_crts(chain, nchain);
		buf_wipe_free(&bc);
		buf_wipe_free(&bk);
	}
out:
	buf_wipe_free(&b);
	return rc;
}

static int load_truststore(const src_t *s, ks_rest_tls_t *t, char *errstr, size_t errlen)
{
	char lk[96], pk[96];
	const char *loc = get_set(s, "ssl.truststore.location");
	const char *inline_certs = get_set(s, "ssl.truststore.certificates");
	const char *pw = get(s, "ssl.truststore.password");
	ks_buf_t b = KS_BUF_INIT, out = KS_BUF_INIT;
	kind_t kind = K_PEM;
	int rc = -1;

	kname(s, "ssl.truststore.location", lk, sizeof(lk));
	kname(s, "ssl.truststore.password", pk, sizeof(pk));
	if (!loc && !inline_certs)
		return 0;
	if (loc && inline_certs)
		return ks_seterr(errstr, errlen, -1,
		                 "set %s or %sssl.truststore.certificates, not both", lk,
		                 s->prefixed ? PREFIX : "");
	if (inline_certs) {
		ks_buf_puts(&b, inline_certs);
	} else if (read_store(s, "truststore", loc, &b, &kind, errstr, errlen)) {
		goto out;
	}
	if (kind == K_PEM) {
		gnutls_datum_t d = {(unsigned char *)b.data, (unsigned)b.len};
		gnutls_x509_crt_t *crts = NULL;
		unsigned n = 0;
		int ret = gnutls_x509_crt_list_import2(&crts, &n, &d, GNUTLS_X509_FMT_PEM, 0);
		if (ret < 0 || !n) {
			ks_seterr(errstr, errlen, -1, "%s: no readable certificate (%s)", lk,
			          ret < 0 ? gnutls_strerror(ret) : "none found");
			if (ret >= 0)
				free_crts(crts, n);
			goto out;
		}
		ret = put_certs(&out, crts, n);
		free_crts(crts, n);
		if (ret) {
			ks_seterr(errstr, errlen, -1, "out of memory");
			goto out;
		}
	} else {
		gnutls_pkcs12_t p12;
		if (p12_open(&b, pw, pk, &p12, lk, errstr, errlen))
			goto out;
		rc = p12_certs(p12, pw, &out, lk, errstr, errlen);
		gnutls_pkcs12_deinit(p12);
		if (rc)
			goto out;
	}
	t->trust_pem = ks_buf_steal(&out);
	rc = t->trust_pem ? 0 : ks_seterr(errstr, errlen, -1, "out of memory");
out:
	buf_wipe_free(&b);
	ks_buf_free(&out);
	return rc;
}

/* ssl.enabled.protocols -> a GnuTLS priority string. */
static int priorities(const src_t *s, ks_rest_tls_t *t, char *errstr, size_t errlen)
{
	const char *v = get(s, "ssl.enabled.protocols");
	char key[96], *copy, *save = NULL;
	ks_buf_t b = KS_BUF_INIT;
	int n = 0;
	gnutls_priority_t prio;
	const char *epos;

	kname(s, "ssl.enabled.protocols", key, sizeof(key));
	if (!v || !*v)
		v = "TLSv1.2,TLSv1.3";
	if (!(copy = ks_strdup(v)))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	ks_buf_puts(&b, "NORMAL:-VERS-ALL");
	for (char *p = strtok_r(copy, ", \t", &save); p; p = strtok_r(NULL, ", \t", &save)) {
		const char *g = !strcmp(p, "TLSv1.3")   ? "VERS-TLS1.3"
		                : !strcmp(p, "TLSv1.2") ? "VERS-TLS1.2"
		                : !strcmp(p, "TLSv1.1") ? "VERS-TLS1.1"
		                : !strcmp(p, "TLSv1")   ? "VERS-TLS1.0"
		                                        : NULL;
		if (!g) {
			ks_seterr(errstr, errlen, -1,
			          "%s: unknown protocol '%s' (TLSv1.2, TLSv1.3, TLSv1.1, TLSv1)",
			          key, p);
			free(copy);
			ks_buf_free(&b);
			return -1;
		}
		ks_buf_printf(&b, ":+%s", g);
		n++;
	}
	free(copy);
	if (!n) {
		ks_buf_free(&b);
		return ks_seterr(errstr, errlen, -1, "%s: no protocol", key);
	}
	if (ks_buf_failed(&b))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	if (gnutls_priority_init(&prio, b.data, &epos) < 0) {
		ks_buf_free(&b);
		return ks_seterr(errstr, errlen, -1, "%s: not usable with this GnuTLS", key);
	}
	gnutls_priority_deinit(prio);
	t->priorities = ks_buf_steal(&b);
	return 0;
}

ks_rest_tls_t *ks_rest_tls_load(const ks_props_t *worker, char *errstr, size_t errlen)
{
	ks_rest_tls_t *t = calloc(1, sizeof(*t));
	src_t s = {worker, 0};
	const char *ca;
	char key[96];

	if (!t) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < ks_props_count(worker); i++)
		if (!strncmp(ks_props_key(worker, i), PREFIX, sizeof(PREFIX) - 1))
			s.prefixed = 1;
	ca = get_set(&s, "ssl.client.auth");
	kname(&s, "ssl.client.auth", key, sizeof(key));
	if (!ca || ks_strcaseeq(ca, "none"))
		t->client_auth = KS_TLS_AUTH_NONE;
	else if (ks_strcaseeq(ca, "requested"))
		t->client_auth = KS_TLS_AUTH_REQUESTED;
	else if (ks_strcaseeq(ca, "required"))
		t->client_auth = KS_TLS_AUTH_REQUIRED;
	else {
		ks_seterr(errstr, errlen, -1, "%s=%s: expected none, requested or required", key,
		          ca);
		goto fail;
	}
	if (load_keystore(&s, t, errstr, errlen) || load_truststore(&s, t, errstr, errlen) ||
	    priorities(&s, t, errstr, errlen))
		goto fail;
	if (t->client_auth != KS_TLS_AUTH_NONE && !t->trust_pem) {
		char tk[96];
		ks_seterr(errstr, errlen, -1,
		          "%s=%s needs a trust store for client certificates (%s)", key, ca,
		          kname(&s, "ssl.truststore.location", tk, sizeof(tk)));
		goto fail;
	}
	return t;
fail:
	ks_rest_tls_destroy(t);
	return NULL;
}

void ks_rest_tls_destroy(ks_rest_tls_t *t)
{
	if (!t)
		return;
	ks_str_free_wiped(t->key_pem);
	free(t->cert_pem);
	free(t->trust_pem);
	free(t->priorities);
	free(t);
}
