/*
 * log.h — one line per event to stderr:
 *   2026-11-21T10:00:00.123Z INFO  [jdbc-sink|task-0] message
 * Levels per logger (the component name before any '|'), adjustable at run
 * time (GET/PUT /admin/loggers). Thread-safe. Never pass secrets.
 */
#ifndef KS_LOG_H
#define KS_LOG_H

#include <stddef.h>

#include "ks.h"

typedef enum ks_log_level {
	KS_LOG_TRACE = 0,
	KS_LOG_DEBUG,
	KS_LOG_INFO,
	KS_LOG_WARN,
	KS_LOG_ERROR,
	KS_LOG_OFF,
} ks_log_level_t;

/* Parses "TRACE".."ERROR"/"OFF" (case-insensitive); -1 when unknown. */
int ks_log_level_parse(const char *s);
const char *ks_log_level_name(ks_log_level_t lvl);

/* The root level (default INFO; KSINK_LOG_LEVEL overrides at first use). */
void ks_log_set_root_level(ks_log_level_t lvl);
/* Per-logger override; lvl < 0 removes it. Returns 0, or -1 when full. */
int ks_log_set_level(const char *logger, int lvl);
/* Effective level of a logger. */
ks_log_level_t ks_log_get_level(const char *logger);
/* Calls cb for the root ("root") and each logger with an explicit level. */
void ks_log_foreach(void (*cb)(const char *logger, ks_log_level_t lvl, void *opaque), void *opaque);

/* Bytes from outside (a request line, a record's key or value) made safe
 * for one log line: control bytes, non-ASCII and '\\' as \\xNN, cut with
 * "..." to fit out (outlen > 8). data NULL gives "null". */
void ks_log_escape(const void *data, size_t len, char *out, size_t outlen);
int ks_log_enabled(ks_log_level_t lvl, const char *ctx);
void ks_log(ks_log_level_t lvl, const char *ctx, const char *fmt, ...) KS_PRINTF(3, 4);

#define ks_log_at(lvl, ctx, ...)                                                                   \
	do {                                                                                       \
		if (ks_log_enabled((lvl), (ctx)))                                                  \
			ks_log((lvl), (ctx), __VA_ARGS__);                                         \
	} while (0)
#define KS_TRACE(ctx, ...) ks_log_at(KS_LOG_TRACE, ctx, __VA_ARGS__)
#define KS_DEBUG(ctx, ...) ks_log_at(KS_LOG_DEBUG, ctx, __VA_ARGS__)
#define KS_INFO(ctx, ...)  ks_log_at(KS_LOG_INFO, ctx, __VA_ARGS__)
#define KS_WARN(ctx, ...)  ks_log_at(KS_LOG_WARN, ctx, __VA_ARGS__)
#define KS_ERROR(ctx, ...) ks_log_at(KS_LOG_ERROR, ctx, __VA_ARGS__)

#endif
