/*
 * registry_client.c — Schema Registry HTTP client: URL failover, basic auth,
 * bounded retries with exponential back-off, and an id → schema cache that
 * is never evicted (ids are immutable, and the converter keeps the schemas
 * built from them alive for the task's lifetime).
 */
#include "registry_client.h"

#include "../config/config.h"
#include "../lib/buf.h"
#include "../lib/log.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOGCTX   "schema-registry"
#define NBUCKETS 256

typedef struct cache_ent {
	int id;
	char *key; /* "subject\nversion" for subject-version entries, NULL for ids */
	char *json;
	char *type; /* NULL = AVRO */
	ks_registry_ref_t *refs;
	size_t nrefs;
	struct cache_ent *next;
} cache_ent_t;

struct ks_registry {
	char **urls;     /* without trailing '/' */
	char **log_urls; /* the same with any user:password@ removed */
	size_t nurls;
	size_t cur; /* the URL that answered last */
	char *userpwd;
	long connect_timeout_ms, read_timeout_ms;
	int max_retries;
	long retry_wait_ms, retry_max_wait_ms;
	CURL *curl;
	pthread_mutex_t lock;
	cache_ent_t *buckets[NBUCKETS];
	cache_ent_t *versions; /* subject-version entries (schema references) */
	long requests;
};

static void ent_free(cache_ent_t *e);

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static const char *const cred_sources[] = {"URL", "USER_INFO", NULL};

const ks_cfg_def_t ks_registry_config_defs[] = {
        {.name = "schema.registry.url",
         .type = KS_CFG_LIST,
         .required = 1,
         .non_empty = 1,
         .importance = KS_IMP_HIGH,
         .group = "Schema Registry",
         .display_name = "Schema Registry URLs",
         .doc = "Comma-separated Schema Registry URLs; on a connection error or 5xx the next "
                "one is tried."},
        {.name = "basic.auth.credentials.source",
         .type = KS_CFG_STRING,
         .default_value = "URL",
         .allowed = cred_sources,
         .importance = KS_IMP_MEDIUM,
         .group = "Schema Registry",
         .display_name = "Basic auth credentials source",
         .doc = "URL (user:password@ in the URL) or USER_INFO (basic.auth.user.info)."},
        {.name = "basic.auth.user.info",
         .type = KS_CFG_PASSWORD,
         .default_value = "",
         .importance = KS_IMP_MEDIUM,
         .group = "Schema Registry",
         .display_name = "Basic auth user info",
         .doc = "user:password for basic.auth.credentials.source=USER_INFO."},
        {.name = "schema.registry.basic.auth.user.info",
         .type = KS_CFG_PASSWORD,
         .default_value = "",
         .importance = KS_IMP_LOW,
         .group = "Schema Registry",
         .display_name = "Basic auth user info (deprecated)",
         .doc = "Deprecated alias of basic.auth.user.info."},
        {.name = "http.connect.timeout.ms",
         .type = KS_CFG_INT,
         .default_value = "10000",
         .has_min = 1,
         .min = 1,
         .importance = KS_IMP_LOW,
         .group = "Schema Registry",
         .display_name = "Connect timeout (ms)",
         .doc = "TCP connect timeout per registry request."},
        {.name = "http.read.timeout.ms",
         .type = KS_CFG_INT,
         .default_value = "30000",
         .has_min = 1,
         .min = 1,
         .importance = KS_IMP_LOW,
         .group = "Schema Registry",
         .display_name = "Request timeout (ms)",
         .doc = "Timeout of a whole registry request."},
        {.name = "max.retries",
         .type = KS_CFG_INT,
         .default_value = "3",
         .has_min = 1,
         .min = 0,
         .has_max = 1,
         .max = 100,
         .importance = KS_IMP_LOW,
         .group = "Schema Registry",
         .display_name = "Max retries",
         .doc = "Rounds over all URLs after the first before a lookup is reported retriable "
                "(the task then waits and tries again; no record is lost)."},
        {.name = "retries.wait.ms",
         .type = KS_CFG_INT,
         .default_value = "200",
         .has_min = 1,
         .min = 0,
         .importance = KS_IMP_LOW,
         .group = "Schema Registry",
         .display_name = "Retry wait (ms)",
         .doc = "First back-off between retry rounds; doubled each round."},
        {.name = "retries.max.wait.ms",
         .type = KS_CFG_INT,
         .default_value = "2000",
         .has_min = 1,
         .min = 0,
         .importance = KS_IMP_LOW,
         .group = "Schema Registry",
         .display_name = "Max retry wait (ms)",
         .doc = "Cap of the back-off between retry rounds."},
        KS_CFG_END,
};

/* "http://user:pw@host:1/" -> "http://host:1" for logs. */
static char *redact_url(const char *url)
{
	const char *scheme = strstr(url, "://");
	const char *host = scheme ? scheme + 3 : url;
	const char *at = strchr(host, '@');
	const char *slash = strchr(host, '/');
	ks_buf_t b = KS_BUF_INIT;

	if (at && (!slash || at < slash)) {
		ks_buf_append(&b, url, (size_t)(host - url));
		ks_buf_puts(&b, at + 1);
	} else {
		ks_buf_puts(&b, url);
	}
	return ks_buf_failed(&b) ? (ks_buf_free(&b), NULL) : ks_buf_steal(&b);
}

static int add_url(ks_registry_t *r, const char *s, size_t n)
{
	char **u, **l;

	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '/'))
		n--;
	if (!n)
		return 0;
	u = realloc(r->urls, (r->nurls + 1) * sizeof(*u));
	if (!u)
		return -1;
	r->urls = u;
	l = realloc(r->log_urls, (r->nurls + 1) * sizeof(*l));
	if (!l)
		return -1;
	r->log_urls = l;
	u[r->nurls] = ks_strndup(s, n);
	l[r->nurls] = u[r->nurls] ? redact_url(u[r->nurls]) : NULL;
	if (!u[r->nurls] || !l[r->nurls]) {
		free(u[r->nurls]);
		free(l[r->nurls]);
		return -1;
	}
	r->nurls++;
	return 0;
}

ks_registry_t *ks_registry_new(const ks_props_t *props, char *errstr, size_t errlen)
{
	const ks_cfg_def_t *const defs[] = {ks_registry_config_defs, NULL};
	ks_config_t *cfg = ks_config_parse(defs, props, errstr, errlen);
	const char *const *urls;
	size_t nurls;
	const char *ui;
	ks_registry_t *r = NULL;

	if (!cfg)
		return NULL;
	if (!(r = calloc(1, sizeof(*r)))) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		goto fail;
	}
	pthread_mutex_init(&r->lock, NULL);
	nurls = ks_config_list(cfg, "schema.registry.url", &urls);
	for (size_t i = 0; i < nurls; i++)
		if (add_url(r, urls[i], strlen(urls[i]))) {
			ks_seterr(errstr, errlen, -1, "out of memory");
			goto fail;
		}
	if (!r->nurls) {
		ks_seterr(errstr, errlen, -1, "schema.registry.url: no URL given");
		goto fail;
	}
	ui = ks_config_string(cfg, "basic.auth.user.info");
	if (!ui || !*ui)
		ui = ks_config_string(cfg, "schema.registry.basic.auth.user.info");
	if (ks_strcaseeq(ks_config_string(cfg, "basic.auth.credentials.source"), "USER_INFO")) {
		if (!ui || !strchr(ui, ':')) {
			ks_seterr(errstr, errlen, -1,
			          "basic.auth.credentials.source=USER_INFO needs "
			          "basic.auth.user.info "
			          "as user:password");
			goto fail;
		}
		if (!(r->userpwd = ks_strdup(ui))) {
			ks_seterr(errstr, errlen, -1, "out of memory");
			goto fail;
		}
	}
	r->connect_timeout_ms = ks_config_int(cfg, "http.connect.timeout.ms");
	r->read_timeout_ms = ks_config_int(cfg, "http.read.timeout.ms");
	r->max_retries = ks_config_int(cfg, "max.retries");
	r->retry_wait_ms = ks_config_int(cfg, "retries.wait.ms");
	r->retry_max_wait_ms = ks_config_int(cfg, "retries.max.wait.ms");
	pthread_once(&curl_once, curl_init_once);
	if (!(r->curl = curl_easy_init())) {
		ks_seterr(errstr, errlen, -1, "curl_easy_init failed");
		goto fail;
	}
	ks_config_destroy(cfg);
	return r;
fail:
	ks_config_destroy(cfg);
	ks_registry_destroy(r);
	return NULL;
}

void ks_registry_destroy(ks_registry_t *r)
{
	if (!r)
		return;
	ks_strv_free(r->urls, r->nurls);
	ks_strv_free(r->log_urls, r->nurls);
	ks_str_free_wiped(r->userpwd);
	if (r->curl)
		curl_easy_cleanup(r->curl);
	for (int i = 0; i <= NBUCKETS; i++) {
		cache_ent_t *e = i < NBUCKETS ? r->buckets[i] : r->versions, *n;
		for (; e; e = n) {
			n = e->next;
			ent_free(e);
		}
	}
	pthread_mutex_destroy(&r->lock);
	free(r);
}

long ks_registry_requests(const ks_registry_t *r)
{
	return __atomic_load_n(&r->requests, __ATOMIC_RELAXED);
}

static void ent_free(cache_ent_t *e)
{
	for (size_t i = 0; i < e->nrefs; i++) {
		free((char *)e->refs[i].name);
		free((char *)e->refs[i].subject);
	}
	free(e->refs);
	free(e->key);
	free(e->json);
	free(e->type);
	free(e);
}

static cache_ent_t *cache_find(ks_registry_t *r, int id)
{
	for (cache_ent_t *e = r->buckets[(unsigned)id % NBUCKETS]; e; e = e->next)
		if (e->id == id)
			return e;
	return NULL;
}

static cache_ent_t *version_find(ks_registry_t *r, const char *key)
{
	for (cache_ent_t *e = r->versions; e; e = e->next)
		if (!strcmp(e->key, key))
			return e;
	return NULL;
}

/* A new entry from a registry answer ({"schema", "schemaType", "references"}). */
static cache_ent_t *ent_new(const char *json, const char *type, const json_t *refs)
{
	cache_ent_t *e = calloc(1, sizeof(*e));
	size_t i;
	json_t *rj;

	if (!e)
		return NULL;
	e->json = ks_strdup(json);
	e->type = type && strcmp(type, "AVRO") ? ks_strdup(type) : NULL;
	if (!e->json || (type && strcmp(type, "AVRO") && !e->type))
		goto fail;
	if (json_array_size(refs)) {
		if (!(e->refs = calloc(json_array_size(refs), sizeof(*e->refs))))
			goto fail;
		json_array_foreach(refs, i, rj)
		{
			ks_registry_ref_t *ref = &e->refs[e->nrefs];
			const char *name = json_string_value(json_object_get(rj, "name"));
			const char *subj = json_string_value(json_object_get(rj, "subject"));
			if (!name || !subj)
				continue;
			ref->name = ks_strdup(name);
			ref->subject = ks_strdup(subj);
			ref->version = (int)json_integer_value(json_object_get(rj, "version"));
			e->nrefs++;
			if (!ref->name || !ref->subject)
				goto fail;
		}
	}
	return e;
fail:
	ent_free(e);
	return NULL;
}

static cache_ent_t *cache_put(ks_registry_t *r, int id, const char *json, const char *type)
{
	cache_ent_t *e = cache_find(r, id);

	if (e)
		return e;
	if (!(e = ent_new(json, type, NULL)))
		return NULL;
	e->id = id;
	e->next = r->buckets[(unsigned)id % NBUCKETS];
	r->buckets[(unsigned)id % NBUCKETS] = e;
	return e;
}

int ks_registry_seed(ks_registry_t *r, int id, const char *schema_json)
{
	cache_ent_t *e;

	pthread_mutex_lock(&r->lock);
	e = cache_put(r, id, schema_json, NULL);
	pthread_mutex_unlock(&r->lock);
	return e ? 0 : -1;
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *opaque)
{
	ks_buf_t *b = opaque;

	ks_buf_append(b, ptr, size * nmemb);
	return ks_buf_failed(b) ? 0 : size * nmemb;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * One logical request with failover and retries. On a response (any status
 * below 500) returns KS_OK with *status and body filled; KS_ERR_RETRIABLE when
 * every attempt failed with a connection error or a 5xx. Called with the lock.
 */
static ks_err_t do_request(ks_registry_t *r, const char *path, const char *body, long *status,
                           ks_buf_t *resp, char *errstr, size_t errlen)
{
	long wait = r->retry_wait_ms;
	char lasterr[256] = "";
	struct curl_slist *hdrs = NULL;
	ks_err_t err = KS_ERR_RETRIABLE;

	hdrs = curl_slist_append(hdrs, "Accept: application/vnd.schemaregistry.v1+json, "
	                               "application/vnd.schemaregistry+json, application/json");
	if (hdrs && body)
		hdrs = curl_slist_append(hdrs,
		                         "Content-Type: application/vnd.schemaregistry.v1+json");
	if (!hdrs)
		return ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");

	for (int round = 0; round <= r->max_retries; round++) {
		if (round > 0) {
			sleep_ms(wait);
			wait = wait * 2 > r->retry_max_wait_ms ? r->retry_max_wait_ms : wait * 2;
		}
		for (size_t k = 0; k < r->nurls; k++) {
			size_t i = (r->cur + k) % r->nurls;
			ks_buf_t url = KS_BUF_INIT;
			CURLcode cc;
			char cerr[CURL_ERROR_SIZE] = "";

			ks_buf_printf(&url, "%s%s", r->urls[i], path);
			if (ks_buf_failed(&url)) {
				ks_buf_free(&url);
				continue;
			}
			ks_buf_reset(resp);
			curl_easy_reset(r->curl);
			curl_easy_setopt(r->curl, CURLOPT_URL, url.data);
			curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, hdrs);
			curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, write_cb);
			curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, resp);
			curl_easy_setopt(r->curl, CURLOPT_ERRORBUFFER, cerr);
			curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L);
			curl_easy_setopt(r->curl, CURLOPT_CONNECTTIMEOUT_MS, r->connect_timeout_ms);
			curl_easy_setopt(r->curl, CURLOPT_TIMEOUT_MS, r->read_timeout_ms);
			curl_easy_setopt(r->curl, CURLOPT_PROTOCOLS_STR, "http,https");
			if (r->userpwd) {
				curl_easy_setopt(r->curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
				curl_easy_setopt(r->curl, CURLOPT_USERPWD, r->userpwd);
			}
			if (body) {
				curl_easy_setopt(r->curl, CURLOPT_POST, 1L);
				curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, body);
			}
			__atomic_add_fetch(&r->requests, 1, __ATOMIC_RELAXED);
			cc = curl_easy_perform(r->curl);
			ks_buf_free(&url);
			if (cc != CURLE_OK) {
				snprintf(lasterr, sizeof(lasterr), "%.120s: %.120s", r->log_urls[i],
				         cerr[0] ? cerr : curl_easy_strerror(cc));
				KS_WARN(LOGCTX, "request to %s%s failed: %s", r->log_urls[i], path,
				        cerr[0] ? cerr : curl_easy_strerror(cc));
				continue;
			}
			curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, status);
			if (*status >= 500) {
				snprintf(lasterr, sizeof(lasterr), "%.200s: HTTP %ld",
				         r->log_urls[i], *status);
				KS_WARN(LOGCTX, "%s%s answered HTTP %ld", r->log_urls[i], path,
				        *status);
				continue;
			}
			r->cur = i;
			err = KS_OK;
			goto done;
		}
	}
	ks_seterr(errstr, errlen, KS_ERR_RETRIABLE,
	          "schema registry unreachable after %d attempt(s) on %zu URL(s) (last: %s)",
	          r->max_retries + 1, r->nurls, lasterr);
done:
	curl_slist_free_all(hdrs);
	return err;
}

/* Maps a non-2xx answer to an error class and message. */
static ks_err_t http_error(long status, const ks_buf_t *resp, const char *what, char *errstr,
                           size_t errlen)
{
	json_t *j = resp->data ? json_loadb(resp->data, resp->len, 0, NULL) : NULL;
	const char *msg = j ? json_string_value(json_object_get(j, "message")) : NULL;
	long code = j ? (long)json_integer_value(json_object_get(j, "error_code")) : 0;
	ks_err_t err = status == 401 || status == 403 ? KS_ERR_FATAL : KS_ERR_RECORD;

	ks_seterr(errstr, errlen, err, "%s: HTTP %ld%s%.0ld%s%s", what, status,
	          code ? " error_code " : "", code, msg ? ": " : "", msg ? msg : "");
	json_decref(j);
	return err;
}

/* GET path -> a new cache entry (not linked). Called with the lock. */
static ks_err_t fetch(ks_registry_t *r, const char *path, const char *what, cache_ent_t **out,
                      char *errstr, size_t errlen)
{
	ks_buf_t resp = KS_BUF_INIT;
	long status = 0;
	ks_err_t err;
	json_t *j = NULL;
	const char *s, *t;

	if ((err = do_request(r, path, NULL, &status, &resp, errstr, errlen)))
		goto out;
	if (status == 404) {
		err = ks_seterr(errstr, errlen, KS_ERR_RECORD, "%s not found", what);
		goto out;
	}
	if (status < 200 || status >= 300) {
		err = http_error(status, &resp, what, errstr, errlen);
		goto out;
	}
	j = resp.data ? json_loadb(resp.data, resp.len, 0, NULL) : NULL;
	s = json_string_value(json_object_get(j, "schema"));
	t = json_string_value(json_object_get(j, "schemaType"));
	if (!s) {
		err = ks_seterr(errstr, errlen, KS_ERR_RETRIABLE,
		                "%s: registry answer has no \"schema\" string", what);
		goto out;
	}
	if (!(*out = ent_new(s, t, json_object_get(j, "references"))))
		err = ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
out:
	json_decref(j);
	ks_buf_free(&resp);
	return err;
}

ks_err_t ks_registry_get_schema(ks_registry_t *r, int id, const char **schema_json,
                                const char **schema_type, char *errstr, size_t errlen)
{
	const ks_registry_ref_t *refs;
	size_t nrefs;

	return ks_registry_get_schema_refs(r, id, schema_json, schema_type, &refs, &nrefs, errstr,
	                                   errlen);
}

ks_err_t ks_registry_get_schema_refs(ks_registry_t *r, int id, const char **schema_json,
                                     const char **schema_type, const ks_registry_ref_t **refs,
                                     size_t *nrefs, char *errstr, size_t errlen)
{
	cache_ent_t *e;
	char path[64], what[64];
	ks_err_t err = KS_OK;

	pthread_mutex_lock(&r->lock);
	if (!(e = cache_find(r, id))) {
		snprintf(path, sizeof(path), "/schemas/ids/%d", id);
		snprintf(what, sizeof(what), "schema id %d", id);
		if (!(err = fetch(r, path, what, &e, errstr, errlen))) {
			e->id = id;
			e->next = r->buckets[(unsigned)id % NBUCKETS];
			r->buckets[(unsigned)id % NBUCKETS] = e;
		}
	}
	if (!err) {
		*schema_json = e->json;
		if (schema_type)
			*schema_type = e->type ? e->type : "AVRO";
		*refs = e->refs;
		*nrefs = e->nrefs;
	}
	pthread_mutex_unlock(&r->lock);
	return err;
}

ks_err_t ks_registry_get_version(ks_registry_t *r, const char *subject, int version,
                                 const char **schema_json, const ks_registry_ref_t **refs,
                                 size_t *nrefs, char *errstr, size_t errlen)
{
	ks_buf_t key = KS_BUF_INIT, path = KS_BUF_INIT;
	cache_ent_t *e;
	char *esc = NULL;
	ks_err_t err = KS_OK;

	pthread_mutex_lock(&r->lock);
	ks_buf_printf(&key, "%s\n%d", subject, version);
	if (ks_buf_failed(&key)) {
		err = ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
		goto out;
	}
	if (!(e = version_find(r, key.data))) {
		char what[300];
		if (!(esc = curl_easy_escape(r->curl, subject, 0))) {
			err = ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
			goto out;
		}
		ks_buf_printf(&path, "/subjects/%s/versions/%d", esc, version);
		snprintf(what, sizeof(what), "subject %.200s version %d", subject, version);
		if (ks_buf_failed(&path)) {
			err = ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
			goto out;
		}
		if ((err = fetch(r, path.data, what, &e, errstr, errlen)))
			goto out;
		e->key = ks_buf_steal(&key);
		e->next = r->versions;
		r->versions = e;
	}
	*schema_json = e->json;
	*refs = e->refs;
	*nrefs = e->nrefs;
out:
	pthread_mutex_unlock(&r->lock);
	curl_free(esc);
	ks_buf_free(&key);
	ks_buf_free(&path);
	return err;
}

ks_err_t ks_registry_register(ks_registry_t *r, const char *subject, const char *schema_json,
                              int *id, char *errstr, size_t errlen)
{
	json_t *req = json_pack("{s:s}", "schema", schema_json), *j = NULL;
	char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	char *esc = NULL;
	ks_buf_t path = KS_BUF_INIT, resp = KS_BUF_INIT;
	long status = 0;
	ks_err_t err;

	json_decref(req);
	pthread_mutex_lock(&r->lock);
	esc = curl_easy_escape(r->curl, subject, 0);
	if (!body || !esc) {
		err = ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
		goto out;
	}
	ks_buf_printf(&path, "/subjects/%s/versions", esc);
	if (ks_buf_failed(&path)) {
		err = ks_seterr(errstr, errlen, KS_ERR_RETRIABLE, "out of memory");
		goto out;
	}
	if ((err = do_request(r, path.data, body, &status, &resp, errstr, errlen)))
		goto out;
	if (status < 200 || status >= 300) {
		char what[300];
		snprintf(what, sizeof(what), "register subject %s", subject);
		err = http_error(status, &resp, what, errstr, errlen);
		goto out;
	}
	j = resp.data ? json_loadb(resp.data, resp.len, 0, NULL) : NULL;
	if (!json_is_integer(json_object_get(j, "id"))) {
		err = ks_seterr(errstr, errlen, KS_ERR_RETRIABLE,
		                "register subject %s: registry answer has no \"id\"", subject);
		goto out;
	}
	*id = (int)json_integer_value(json_object_get(j, "id"));
	if (!cache_put(r, *id, schema_json, NULL))
		KS_DEBUG(LOGCTX, "could not cache schema id %d", *id);
	err = KS_OK;
out:
	pthread_mutex_unlock(&r->lock);
	curl_free(esc);
	free(body);
	json_decref(j);
	ks_buf_free(&path);
	ks_buf_free(&resp);
	return err;
}
