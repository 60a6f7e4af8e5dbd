/*
 * file.h — reading a whole (small) file: worker and connector properties,
 * config provider files, REST credentials and TLS stores, tool inputs.
 */
#ifndef KS_FILE_H
#define KS_FILE_H

#include "buf.h"
#include "ks.h"

/*
 * Appends the contents of path to b. 0 ok (an empty file appends nothing);
 * -1 with "cannot read <path>: <reason>" in errstr (may be NULL). The read
 * chunk is wiped (the file may hold secrets); b's memory is the caller's to
 * wipe and free, also on failure.
 */
int ks_file_read(const char *path, ks_buf_t *b, char *errstr, size_t errlen) KS_WUR;

#endif
