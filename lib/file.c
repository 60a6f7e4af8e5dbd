/*
 * file.c — the one read-a-whole-file loop (file.h), used by
 * config/properties.c, config/providers.c, rest/auth.c, rest/tls.c and the
 * tools. Unit test: tests/0001-lib.c.
 */
#include "file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int ks_file_read(const char *path, ks_buf_t *b, char *errstr, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char chunk[8192];
	size_t n;
	int err;

	if (!f)
		return ks_seterr(errstr, errlen, -1, "cannot read %s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ks_buf_append(b, chunk, n);
	explicit_bzero(chunk, sizeof(chunk));
	err = ferror(f);
	fclose(f);
	if (err)
		return ks_seterr(errstr, errlen, -1, "cannot read %s: read error", path);
	if (ks_buf_failed(b))
		return ks_seterr(errstr, errlen, -1, "cannot read %s: out of memory", path);
	return 0;
}
