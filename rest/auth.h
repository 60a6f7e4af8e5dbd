/*
 * auth.h — HTTP basic authentication of the REST API, as Connect's
 * BasicAuthSecurityRestExtension does it: a JAAS file names a credentials
 * file of `user: password` lines, and every request must carry
 * `Authorization: Basic base64(user:password)` matching one of them.
 *
 * Turned on by rest.extension.classes listing
 * org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension;
 * the JAAS file comes from rest.basic.auth.jaas.config.file (ksink) or, as
 * Connect users set it, -Djava.security.auth.login.config=PATH in KAFKA_OPTS.
 * The JAAS file must have a KafkaConnect entry with exactly one
 * org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule
 * and its file="..." option. The credentials are read once, at start-up.
 *
 * Passwords are kept only as SHA-256 digests and compared in constant time;
 * nothing here logs a password or an Authorization header.
 */
#ifndef KS_REST_AUTH_H
#define KS_REST_AUTH_H

#include "../config/config.h"
#include "../lib/ks.h"

typedef struct ks_rest_auth ks_rest_auth_t;

#define KS_REST_BASIC_AUTH_EXTENSION                                                               \
	"org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"
#define KS_REST_PROPERTY_FILE_LOGIN_MODULE                                                         \
	"org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule"

/*
 * Reads the basic auth settings from the parsed worker config
 * (rest.extension.classes, rest.basic.auth.jaas.config.file). kafka_opts is the
 * KAFKA_OPTS environment value (may be NULL). *out = NULL when no REST
 * extension is configured; a new authenticator otherwise (caller destroys).
 * Errors (unknown extension class, no or bad JAAS file, unreadable or empty
 * credentials file): -1 and errstr.
 */
int ks_rest_auth_load(const ks_config_t *worker, const char *kafka_opts, ks_rest_auth_t **out,
                      char *errstr, size_t errlen) KS_WUR;
void ks_rest_auth_destroy(ks_rest_auth_t *a);

/* 1 when the Authorization header value (may be NULL) names a known user
 * with the right password. Thread-safe (read-only). */
int ks_rest_auth_check(const ks_rest_auth_t *a, const char *authorization);

/* Number of users (for the start-up log line). */
size_t ks_rest_auth_users(const ks_rest_auth_t *a);

/*
 * Parses JAAS configuration text and returns the `file` option of the
 * PropertyFileLoginModule in its KafkaConnect entry (*file: new string).
 * Exposed for tests and the fuzzer. -1 + errstr on a syntax error, a
 * missing entry, another login module or a missing file option.
 */
int ks_rest_jaas_credentials_file(const char *text, size_t len, char **file, char *errstr,
                                  size_t errlen) KS_WUR;

/* The path in -Djava.security.auth.login.config=PATH (also ==PATH and
 * file: URLs) of a KAFKA_OPTS value; new string, NULL when absent. */
char *ks_rest_jaas_path_from_opts(const char *kafka_opts);

#endif
