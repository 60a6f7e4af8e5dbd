/*
 * store.c — the config store of a ksink worker: one JSON file
 * (config.storage.file) holding every connector's raw config and target
 * state, rewritten atomically (temp file, fsync, rename, fsync of the
 * directory) after each change, read once at start. This is what brings
 * connectors created over REST back after a restart.
 */
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *ks_target_name(ks_target_t t)
{
	switch (t) {
	case KS_TARGET_STARTED:
		return "STARTED";
	case KS_TARGET_PAUSED:
		return "PAUSED";
	case KS_TARGET_STOPPED:
		return "STOPPED";
	}
	return "STARTED";
}

int ks_store_save(const char *path, json_t *doc, char *errstr, size_t errlen)
{
	char tmp[4096], dirbuf[4096];
	char *text;
	size_t len, off = 0;
	int fd, dfd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= sizeof(tmp))
		return ks_seterr(errstr, errlen, -1, "config.storage.file path too long");
	text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	len = strlen(text);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(text);
		return ks_seterr(errstr, errlen, -1, "cannot write %s: %s", tmp, strerror(errno));
	}
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			ks_seterr(errstr, errlen, -1, "write %s: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			free(text);
			return -1;
		}
		off += (size_t)w;
	}
	free(text);
	if (write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		ks_seterr(errstr, errlen, -1, "write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		ks_seterr(errstr, errlen, -1, "rename %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	snprintf(dirbuf, sizeof(dirbuf), "%s", path);
	dfd = open(dirname(dirbuf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

int ks_store_load(const char *path, json_t **doc, char *errstr, size_t errlen)
{
	json_error_t jerr;

	*doc = NULL;
	if (access(path, F_OK) != 0)
		return errno == ENOENT
		               ? 0
		               : ks_seterr(errstr, errlen, -1, "%s: %s", path, strerror(errno));
	*doc = json_load_file(path, 0, &jerr);
	if (!*doc)
		return ks_seterr(errstr, errlen, -1, "%s:%d: %s", path, jerr.line, jerr.text);
	if (!json_is_object(*doc)) {
		json_decref(*doc);
		*doc = NULL;
		return ks_seterr(errstr, errlen, -1, "%s: not a JSON object", path);
	}
	return 0;
}
