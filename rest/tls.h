/*
 * tls.h — the key material of https:// REST listeners, read from Connect's
 * worker keys: ssl.keystore.*, ssl.key.password, ssl.truststore.*,
 * ssl.client.auth and ssl.enabled.protocols — or, when any
 * listeners.https.* key is set, only from the listeners.https.ssl.* forms
 * (Connect's "all or nothing" prefix rule).
 *
 * Key stores: PEM (certificate chain + private key in one file, the key
 * optionally encrypted with ssl.key.password, or inline in
 * ssl.keystore.certificate.chain / ssl.keystore.key) and PKCS12. Type JKS,
 * Connect's default, is accepted when the file is really PKCS12 or PEM; a
 * true JKS file is refused with the keytool command that converts it.
 * Everything is turned into unencrypted PEM in memory for libmicrohttpd
 * (GnuTLS); the buffers are wiped when freed.
 */
#ifndef KS_REST_TLS_H
#define KS_REST_TLS_H

#include "../config/props.h"
#include "../lib/ks.h"

typedef enum ks_tls_client_auth {
	KS_TLS_AUTH_NONE = 0,
	KS_TLS_AUTH_REQUESTED, /* asked for; a certificate that is sent must verify */
	KS_TLS_AUTH_REQUIRED,  /* a certificate that verifies is mandatory */
} ks_tls_client_auth_t;

typedef struct ks_rest_tls {
	char *cert_pem;   /* server certificate chain, PEM */
	char *key_pem;    /* its private key, unencrypted PKCS#8 PEM */
	char *trust_pem;  /* CA certificates for client certificates; NULL = none */
	char *priorities; /* GnuTLS priority string from ssl.enabled.protocols */
	ks_tls_client_auth_t client_auth;
	char source[512]; /* where the key came from, for the log */
} ks_rest_tls_t;

/* Loads the TLS settings from the worker props. NULL + errstr (naming the
 * key at fault) on failure. */
ks_rest_tls_t *ks_rest_tls_load(const ks_props_t *worker, char *errstr, size_t errlen) KS_WUR;
/* Wipes and frees. Accepts NULL. */
void ks_rest_tls_destroy(ks_rest_tls_t *t);

#endif
