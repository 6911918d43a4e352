#include "lib/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/banned.h"

int fs_mkdirs(const char *path, mode_t mode, struct err *e)
{
	struct buf b;
	size_t i;
	int r = 0;

	/* the common case when placing many files: the folder is there already (one stat, no mkdirs) */
	if (fs_is_dir(path))
		return 0;
	buf_init(&b, 8192);
	r = buf_adds(&b, path, e);
	if (r)
		goto out;
	for (i = 1; i <= b.len; i++) {
		char c = b.ptr[i];

		if (c != '/' && c != '\0')
			continue;
		b.ptr[i] = '\0';
		if (mkdir(b.ptr, mode) < 0 && errno != EEXIST) {
			r = err_errno(e, errno, "cannot create folder '%s'", b.ptr);
			goto out;
		}
		b.ptr[i] = c;
	}
	if (!fs_is_dir(path))
		r = err_set(e, AE_IO, "'%s' is not a folder", path);
out:
	buf_release(&b);
	return r;
}

int fs_parent_dirs(const char *path, struct err *e)
{
	const char *slash = strrchr(path, '/');
	struct buf b;
	int r;

	if (!slash || slash == path)
		return 0;
	buf_init(&b, 8192);
	r = buf_add(&b, path, (size_t)(slash - path), e);
	if (!r)
		r = fs_mkdirs(buf_str(&b), 0755, e);
	buf_release(&b);
	return r;
}

int fs_link(const char *src, const char *dst, int *copied, struct err *e)
{
	int r = fs_parent_dirs(dst, e);

	if (r || !link(src, dst) || errno == EEXIST)
		return r;
	if (!copied || (errno != EXDEV && errno != EPERM && errno != EMLINK))
		return err_errno(e, errno, "cannot link '%s' to '%s'", dst, src);
	(*copied)++;
	return fs_copy_file(src, dst, 0444, e);
}

ssize_t fs_read_full(int fd, void *p, size_t n, const char *name, struct err *e)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = read(fd, (char *)p + got, n - got);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return err_errno(e, errno, "cannot read '%s'", name);
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

int fs_read_file(const char *path, struct buf *b, struct err *e)
{
	char blk[65536];
	int fd, r = 0;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(e, errno, "cannot open '%s'", path);
	while ((n = fs_read_full(fd, blk, sizeof(blk), path, e)) > 0) {
		r = buf_add(b, blk, (size_t)n, e);
		if (r) {
			err_prefix(e, "'%s'", path);
			break;
		}
	}
	if (n < 0)
		r = (int)n;
	close(fd);
	return r;
}

int fs_write_all(int fd, const void *p, size_t n, const char *name, struct err *e)
{
	const char *c = p;

	while (n) {
		ssize_t k = write(fd, c, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOSPC || errno == EFBIG || errno == EDQUOT)
				return err_errno(e, errno, "cannot write '%s' (the disk is full or a file size limit was "
							   "reached: free space, then run the command again)", name);
			return err_errno(e, errno, "cannot write '%s'", name);
		}
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

static int parent_of(const char *path, struct buf *out, struct err *e)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return buf_adds(out, ".", e);
	if (slash == path)
		return buf_adds(out, "/", e);
	return buf_add(out, path, (size_t)(slash - path), e);
}

int fs_fsync_dir(const char *dir, struct err *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return err_errno(e, errno, "cannot open folder '%s'", dir);
	if (fsync(fd) < 0 && errno != EINVAL) {
		int r = err_errno(e, errno, "cannot sync folder '%s'", dir);

		close(fd);
		return r;
	}
	close(fd);
	return 0;
}

int fs_write_atomic(const char *path, const void *p, size_t n, mode_t mode, struct err *e)
{
	struct buf tmp, dir;
	int fd = -1, r;

	buf_init(&tmp, 8192);
	buf_init(&dir, 8192);
	r = buf_addf(&tmp, e, "%s.tmp-XXXXXX", path);
	if (r)
		goto out;
	fd = mkostemp(tmp.ptr, O_CLOEXEC);
	if (fd < 0) {
		r = err_errno(e, errno, "cannot create '%s'", tmp.ptr);
		goto out;
	}
	r = fs_write_all(fd, p, n, path, e);
	if (r)
		goto out;
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		r = err_errno(e, errno, "cannot sync '%s'", path);
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp.ptr, path) < 0) {
		r = err_errno(e, errno, "cannot rename '%s' to '%s'", tmp.ptr, path);
		goto out;
	}
	buf_reset(&tmp);
	r = parent_of(path, &dir, e);
	if (!r)
		r = fs_fsync_dir(buf_str(&dir), e);
out:
	if (fd >= 0)
		close(fd);
	if (tmp.len)
		unlink(tmp.ptr);
	buf_release(&tmp);
	buf_release(&dir);
	return r;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D)
		return rmdir(p) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(p) < 0 && errno != ENOENT ? -1 : 0;
}

int fs_rm_rf(const char *path, struct err *e)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : err_errno(e, errno, "cannot remove '%s'", path);
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0)
			return err_errno(e, errno, "cannot remove '%s'", path);
		return 0;
	}
	/* read-only objects in quarantine need their folders writable to go */
	if (nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS) < 0)
		return err_errno(e, errno, "cannot remove '%s'", path);
	return 0;
}

int fs_copy_file(const char *from, const char *to, mode_t mode, struct err *e)
{
	char *blk = NULL;
	int in = -1, out = -1, r = 0;
	ssize_t n;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return err_errno(e, errno, "cannot open '%s'", from);
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0) {
		r = err_errno(e, errno, "cannot create '%s'", to);
		goto done;
	}
	blk = malloc(1 << 20);
	if (!blk) {
		r = err_set(e, AE_NOMEM, "out of memory");
		goto done;
	}
	while ((n = fs_read_full(in, blk, 1 << 20, from, e)) > 0) {
		r = fs_write_all(out, blk, (size_t)n, to, e);
		if (r)
			goto done;
	}
	if (n < 0) {
		r = (int)n;
		goto done;
	}
	if (fsync(out) < 0)
		r = err_errno(e, errno, "cannot sync '%s'", to);
done:
	free(blk);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return r;
}

int fs_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int fs_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int fs_mkdtemp(const char *parent, const char *prefix, struct buf *out, struct err *e)
{
	int r;

	buf_reset(out);
	r = buf_addf(out, e, "%s/%sXXXXXX", parent, prefix);
	if (r)
		return r;
	if (!mkdtemp(out->ptr))
		return err_errno(e, errno, "cannot create a folder in '%s'", parent);
	return 0;
}
