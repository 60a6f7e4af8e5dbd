/*
 * ks.h — the few definitions every ksink module shares: the error classes,
 * the warn_unused_result marker and small helpers.
 *
 * Error classes follow the flow of a record: a retriable error (database,
 * registry or broker outage) is waited out by the caller; a record-level error
 * (a poison record) goes to errors.tolerance / the dead letter queue; a fatal
 * error (bad configuration, a bug) fails the task. The herder's answers to
 * requests use the same type with four more classes (REST maps each to its
 * HTTP status: rest/views.c).
 */
#ifndef KS_H
#define KS_H

#include <stddef.h>
#include <stdint.h>

typedef enum ks_err {
	KS_OK = 0,
	KS_ERR_RETRIABLE = 1, /* outage: back off and try again */
	KS_ERR_RECORD = 2,    /* this record is bad: tolerance / DLQ */
	KS_ERR_FATAL = 3,     /* configuration or programming error */
	KS_ERR_INVALID = 4,   /* a request or config that is not valid (400) */
	KS_ERR_NOTFOUND = 5,  /* no such connector / task (404) */
	KS_ERR_EXISTS = 6,    /* it exists already (409) */
	KS_ERR_FORBIDDEN = 7, /* turned off by the worker config (403) */
	KS_ERR_FENCED = 8,    /* another task owns the partition now: drop it, no retry */
	KS_ERR_CONFLICT = 9,  /* distributed mode: no leader now, try again (409) */
} ks_err_t;

#define KS_WUR           __attribute__((warn_unused_result))
#define KS_PRINTF(f, a)  __attribute__((format(printf, f, a)))
#define KS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KS_ERRSTR_SIZE   512

/* ks_err_name() returns a static name for an error class ("RETRIABLE", ...). */
const char *ks_err_name(ks_err_t err);

/* Monotonic clock in milliseconds / microseconds (CLOCK_MONOTONIC). */
int64_t ks_now_ms(void);
int64_t ks_now_us(void);
/* Wall clock in milliseconds since the epoch. */
int64_t ks_wall_ms(void);

/* strdup that returns NULL on allocation failure or NULL input. */
char *ks_strdup(const char *s);
/* Frees the n strings of v and v itself (an array of heap strings); v may
 * be NULL. */
void ks_strv_free(char **v, size_t n);
/* s (may be NULL) as a whole base-10 number in [min, max] into *out: 0, or
 * -1 (empty, not a number, trailing characters, out of range). */
int ks_parse_ll(const char *s, long long min, long long max, long long *out) KS_WUR;
/* The value of the hex digit c (either case), or -1. */
int ks_hexval(int c);
/* Zeroes the n bytes at p (a secret: a password, a key, credentials) and
 * frees p; p may be NULL. */
void ks_free_wiped(void *p, size_t n);
/* ks_free_wiped of the NUL-terminated secret s (may be NULL). */
void ks_str_free_wiped(char *s);
/* strndup counterpart. */
char *ks_strndup(const char *s, size_t n);
/* Case-insensitive ASCII comparison, 0 when equal. */
int ks_strcaseeq(const char *a, const char *b);
/* Safe formatted copy into errstr (always NUL-terminated); returns ret. */
int ks_seterr(char *errstr, size_t errlen, int ret, const char *fmt, ...) KS_PRINTF(4, 5);

#endif
