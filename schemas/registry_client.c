/*
 * registry_client.c — Schema Registry HTTP client: URL failover, basic auth,
 * bounded retries with exponential back-off, and an id → schema cache that
 * is never evicted (ids are immutable, and the converter keeps the schemas
 * built from them alive for the task's lifetime).
 */
#include "registry_client.h"

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

static int parse_long(const ks_props_t *props, const char *key, long def, long min, long *out,
                      char *errstr, size_t errlen)
{
	const char *v = ks_props_get(props, key);
	char *end;

	*out = def;
	if (!v || !*v)
		return 0;
	errno = 0;
	*out = strtol(v, &end, 10);
	if (errno || *end || *out < min)
		return ks_seterr(errstr, errlen, -1, "Invalid value %s for configuration %s", v,
		                 key);
	return 0;
}

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
	const char *urls = ks_props_get(props, "schema.registry.url");
	const char *src = ks_props_get(props, "basic.auth.credentials.source");
	const char *ui = ks_props_get(props, "basic.auth.user.info");
	ks_registry_t *r;
	long retries;

	if (!urls || !*urls) {
		ks_seterr(errstr, errlen, -1,
		          "Missing required configuration \"schema.registry.url\"");
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		ks_seterr(errstr, errlen, -1, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&r->lock, NULL);
	for (const char *p = urls;;) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		if (add_url(r, p, n)) {
			ks_seterr(errstr, errlen, -1, "out of memory");
			goto fail;
		}
		if (!c)
			break;
		p = c + 1;
	}
	if (!r->nurls) {
		ks_seterr(errstr, errlen, -1,
		          "Invalid value %s for configuration schema.registry.url", urls);
		goto fail;
	}
	if (!ui || !*ui)
		ui = ks_props_get(props, "schema.registry.basic.auth.user.info");
	if (src && ks_strcaseeq(src, "USER_INFO")) {
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
	} else if (src && *src && !ks_strcaseeq(src, "URL")) {
		ks_seterr(errstr, errlen, -1,
		          "Invalid value %s for configuration basic.auth.credentials.source "
		          "(supported: URL, USER_INFO)",
		          src);
		goto fail;
	}
	if (parse_long(props, "http.connect.timeout.ms", 10000, 1, &r->connect_timeout_ms, errstr,
	               errlen) ||
	    parse_long(props, "http.read.timeout.ms", 30000, 1, &r->read_timeout_ms, errstr,
	               errlen) ||
	    parse_long(props, "max.retries", 3, 0, &retries, errstr, errlen) ||
	    parse_long(props, "retries.wait.ms", 200, 0, &r->retry_wait_ms, errstr, errlen) ||
	    parse_long(props, "retries.max.wait.ms", 2000, 0, &r->retry_max_wait_ms, errstr,
	               errlen))
		goto fail;
	r->max_retries = retries > 100 ? 100 : (int)retries;
	pthread_once(&curl_once, curl_init_once);
	if (!(r->curl = curl_easy_init())) {
		ks_seterr(errstr, errlen, -1, "curl_easy_init failed");
		goto fail;
	}
	return r;
fail:
	ks_registry_destroy(r);
	return NULL;
}

void ks_registry_destroy(ks_registry_t *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nurls; i++) {
		free(r->urls[i]);
		free(r->log_urls[i]);
	}
	free(r->urls);
	free(r->log_urls);
	if (r->userpwd) {
		memset(r->userpwd, 0, strlen(r->userpwd));
		free(r->userpwd);
	}
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
