/*
 * decimal.h — Connect Decimal values (unscaled big-endian two's-complement
 * integer + scale) as text and back from text, linear in the length and bounded by limits
 * checked before any arithmetic.
 */
#ifndef KS_DECIMAL_H
#define KS_DECIMAL_H

#include "buf.h"
#include "ks.h"

/* What the caller can store; 0 = no limit. */
typedef struct ks_decimal_limits {
	int precision;       /* refuse more digits than this (Connect precision) */
	long max_int_digits; /* refuse more digits before the point */
	int max_scale;       /* refuse a larger scale */
	const char *target;  /* named in messages: "Postgres numeric" */
} ks_decimal_limits_t;

/*
 * Decimal digits of the magnitude, most significant first, without leading
 * zeros ("0" for zero): a malloc'ed string in *out (caller frees), *nd
 * digits, *neg the sign. lim may be NULL. -1 with errstr when a limit is
 * exceeded (a record-level problem) or on allocation failure.
 */
int ks_decimal_digits(const unsigned char *p, size_t len, int scale, const ks_decimal_limits_t *lim,
                      char **out, size_t *nd, int *neg, char *errstr, size_t errlen) KS_WUR;
/* Appends the plain decimal text (BigDecimal.toPlainString: "-12.50",
 * "0.001", "1200" for scale -2). -1 with errstr as above. */
int ks_decimal_text(ks_buf_t *b, const unsigned char *p, size_t len, int scale,
                    const ks_decimal_limits_t *lim, char *errstr, size_t errlen) KS_WUR;
/* Appends BigDecimal.toString (scientific notation when the exponent is
 * below -6 or the scale negative: "1.2E+3"). -1 on allocation failure. */
int ks_decimal_java_string(ks_buf_t *b, const unsigned char *p, size_t len, int scale) KS_WUR;

/*
 * Decimal text ("-12.50") at scale -> the minimal unscaled big-endian
 * two's-complement bytes Connect stores, at the start of out (cap bytes of
 * room). lenient: blanks around the number and zeros past the scale are
 * accepted. The byte count, or -1 when txt is not a decimal number, has
 * more fraction digits than scale or does not fit in cap bytes.
 */
int ks_decimal_parse(const char *txt, int scale, int lenient, unsigned char *out, size_t cap);

#endif
