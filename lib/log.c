/*
 * log.c — leveled, per-logger logging to stderr (see log.h). Each line is
 * formatted into a local buffer and written with one write(2) so lines from
 * different threads never interleave.
 */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_LOGGERS     64
#define LOGGER_NAME_MAX 256

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int root_level = -1;
static struct {
	char name[LOGGER_NAME_MAX];
	int level;
} loggers[MAX_LOGGERS];
static int nloggers;

static const char *names[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF"};

int ks_log_level_parse(const char *s)
{
	if (!s)
		return -1;
	for (size_t i = 0; i < KS_ARRAY_SIZE(names); i++)
		if (ks_strcaseeq(s, names[i]))
			return (int)i;
	if (ks_strcaseeq(s, "WARNING"))
		return KS_LOG_WARN;
	if (ks_strcaseeq(s, "FATAL"))
		return KS_LOG_ERROR;
	return -1;
}

const char *ks_log_level_name(ks_log_level_t lvl)
{
	return (unsigned)lvl < KS_ARRAY_SIZE(names) ? names[lvl] : "?";
}

/* caller holds lock */
static int root_locked(void)
{
	if (root_level < 0) {
		int l = ks_log_level_parse(getenv("KSINK_LOG_LEVEL"));
		root_level = l >= 0 ? l : KS_LOG_INFO;
	}
	return root_level;
}

void ks_log_set_root_level(ks_log_level_t lvl)
{
	pthread_mutex_lock(&lock);
	root_level = (int)lvl;
	pthread_mutex_unlock(&lock);
}

int ks_log_set_level(const char *logger, int lvl)
{
	int ret = 0, i;

	if (!strcmp(logger, "root")) {
		if (lvl >= 0)
			ks_log_set_root_level((ks_log_level_t)lvl);
		return 0;
	}
	pthread_mutex_lock(&lock);
	for (i = 0; i < nloggers; i++)
		if (!strcmp(loggers[i].name, logger))
			break;
	if (lvl < 0) {
		if (i < nloggers)
			loggers[i] = loggers[--nloggers];
	} else if (i < nloggers) {
		loggers[i].level = lvl;
	} else if (nloggers < MAX_LOGGERS && strlen(logger) < LOGGER_NAME_MAX) {
		snprintf(loggers[nloggers].name, LOGGER_NAME_MAX, "%s", logger);
		loggers[nloggers++].level = lvl;
	} else {
		ret = -1;
	}
	pthread_mutex_unlock(&lock);
	return ret;
}

/* caller holds lock; ctx may be "logger|detail" */
static int level_locked(const char *ctx)
{
	size_t n = ctx ? strcspn(ctx, "|") : 0;

	for (int i = 0; i < nloggers; i++)
		if (strlen(loggers[i].name) == n && !strncmp(loggers[i].name, ctx, n))
			return loggers[i].level;
	return root_locked();
}

ks_log_level_t ks_log_get_level(const char *logger)
{
	int l;

	pthread_mutex_lock(&lock);
	l = level_locked(logger);
	pthread_mutex_unlock(&lock);
	return (ks_log_level_t)l;
}

void ks_log_foreach(void (*cb)(const char *, ks_log_level_t, void *), void *opaque)
{
	char copy[MAX_LOGGERS][LOGGER_NAME_MAX];
	int lv[MAX_LOGGERS], n, root;

	pthread_mutex_lock(&lock);
	root = root_locked();
	n = nloggers;
	for (int i = 0; i < n; i++) {
		memcpy(copy[i], loggers[i].name, LOGGER_NAME_MAX);
		lv[i] = loggers[i].level;
	}
	pthread_mutex_unlock(&lock);
	cb("root", (ks_log_level_t)root, opaque);
	for (int i = 0; i < n; i++)
		cb(copy[i], (ks_log_level_t)lv[i], opaque);
}

int ks_log_enabled(ks_log_level_t lvl, const char *ctx)
{
	int l;

	pthread_mutex_lock(&lock);
	l = level_locked(ctx);
	pthread_mutex_unlock(&lock);
	return (int)lvl >= l && l != KS_LOG_OFF;
}

void ks_log(ks_log_level_t lvl, const char *ctx, const char *fmt, ...)
{
	char line[4096];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int r;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03ldZ %-5s [%s] ", ts.tv_nsec / 1000000,
	             ks_log_level_name(lvl), ctx ? ctx : "ksink");
	if (r > 0)
		n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
	va_start(ap, fmt);
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (r > 0)
		n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
	/* one event per line: fold embedded newlines */
	for (size_t i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to report it */
	}
}

void ks_log_escape(const void *data, size_t len, char *out, size_t outlen)
{
	const unsigned char *p = data;
	size_t o = 0, i = 0;

	if (!data) {
		snprintf(out, outlen, "null");
		return;
	}
	for (; i < len && o + 8 < outlen; i++) {
		if (p[i] < 0x20 || p[i] >= 0x7f || p[i] == '\\')
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", p[i]);
		else
			out[o++] = (char)p[i];
	}
	if (i < len && o + 4 < outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}
