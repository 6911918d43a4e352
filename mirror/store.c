#include "mirror/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/banned.h"

/* Room for "<store>/<aa>/<64 hex>" on the stack, so that store_has() needs no allocation. */
#define STORE_PATH_MAX 4096

static int fixed_path(const char *store, const uint8_t sha[SHA256_LEN], char *out, size_t outlen)
{
	char hex[SHA256_HEX];
	int n;

	hex_encode(sha, SHA256_LEN, hex);
	n = snprintf(out, outlen, "%s/%.2s/%s", store, hex, hex);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return 0;
}

int store_path(const char *store, const uint8_t sha[SHA256_LEN], struct buf *out, struct err *e)
{
	char hex[SHA256_HEX];

	hex_encode(sha, SHA256_LEN, hex);
	buf_reset(out);
	return buf_addf(out, e, "%s/%.2s/%s", store, hex, hex);
}

int store_has(const char *store, const uint8_t sha[SHA256_LEN])
{
	char path[STORE_PATH_MAX];
	struct stat st;

	if (fixed_path(store, sha, path, sizeof(path)))
		return 0;
	return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int store_promote(const char *store, const char *tmpfile, const uint8_t sha[SHA256_LEN], struct err *e)
{
	char path[STORE_PATH_MAX], hex[SHA256_HEX];
	struct stat st;
	size_t dirlen;
	int ret;

	hex_encode(sha, SHA256_LEN, hex);
	if (fixed_path(store, sha, path, sizeof(path))) {
		ret = err_set(e, AE_TOOBIG, "store path for object %s is too long", hex);
		goto out;
	}
	/* The fan-out folder is everything before the last '/'. */
	dirlen = strlen(path) - (SHA256_HEX - 1) - 1;
	path[dirlen] = '\0';
	if (mkdir(path, 0755) && errno != EEXIST) {
		ret = err_errno(e, errno, "cannot create '%s'", path);
		goto out;
	}
	path[dirlen] = '/';

	/*
	 * Same name means same bytes: an object already in the store is never
	 * replaced, so a reader holding it open or a concurrent import sees no
	 * change.
	 */
	if (lstat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			ret = err_set(e, AE_STATE, "store entry '%s' is not a regular file", path);
			goto out;
		}
		if (unlink(tmpfile) && errno != ENOENT) {
			ret = err_errno(e, errno, "cannot remove '%s'", tmpfile);
			goto out;
		}
		ret = 0;
		goto out;
	}
	if (errno != ENOENT) {
		ret = err_errno(e, errno, "cannot stat '%s'", path);
		goto out;
	}
	/* Read-only before it gets its name, so that no writable object is ever visible. */
	if (chmod(tmpfile, 0444)) {
		ret = err_errno(e, errno, "cannot set mode of '%s'", tmpfile);
		goto out;
	}
	if (rename(tmpfile, path)) {
		ret = err_errno(e, errno, "cannot move '%s' to '%s'", tmpfile, path);
		goto out;
	}
	ret = 0;
out:
	return ret;
}

/* fsync one folder; 1 if it does not exist (nothing to sync), 0 done, <0 error. */
static int sync_dir(const char *path, struct err *e)
{
	int fd = -1, ret;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		ret = errno == ENOENT ? 1 : err_errno(e, errno, "cannot open '%s'", path);
		goto out;
	}
	/* Some file systems refuse fsync on folders; their renames are durable anyway. */
	if (fsync(fd) && errno != EINVAL && errno != ENOTSUP) {
		ret = err_errno(e, errno, "cannot fsync '%s'", path);
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

int store_sync_dirs(const char *store, struct err *e)
{
	char path[STORE_PATH_MAX];
	unsigned i;
	int n, ret;

	for (i = 0; i < 256; i++) {
		n = snprintf(path, sizeof(path), "%s/%02x", store, i);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			ret = err_set(e, AE_TOOBIG, "store path '%s' is too long", store);
			goto out;
		}
		ret = sync_dir(path, e);
		if (ret < 0)
			goto out;
	}
	ret = sync_dir(store, e);
	if (ret > 0)
		ret = err_set(e, AE_NOTFOUND, "store '%s' does not exist", store);
out:
	return ret;
}
