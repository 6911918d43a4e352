#ifndef AIRLOCK_FS_H
#define AIRLOCK_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/buf.h"
#include "lib/err.h"

/* mkdir -p; existing directories are fine. */
int fs_mkdirs(const char *path, mode_t mode, struct err *e) AL_WUR;
/* mkdir -p of the folder path is in (nothing for a bare name). */
int fs_parent_dirs(const char *path, struct err *e) AL_WUR;
/*
 * Hard-link dst to src, creating dst's folders; an existing dst is kept.
 * With copied non-NULL, a link the file system refuses (another file system,
 * link count) becomes a copy (mode 0444) and *copied is incremented.
 */
int fs_link(const char *src, const char *dst, int *copied, struct err *e) AL_WUR;
/* Read a whole file into b (initialised by the caller, whose max is the cap). */
int fs_read_file(const char *path, struct buf *b, struct err *e) AL_WUR;
/* Write all of p to fd; name is for the message. */
int fs_write_all(int fd, const void *p, size_t n, const char *name, struct err *e) AL_WUR;
/* Read up to n bytes, retrying on EINTR and short reads; returns bytes read (< n only at EOF) or <0. */
ssize_t fs_read_full(int fd, void *p, size_t n, const char *name, struct err *e);
/* Write path atomically: temp file in the same folder, fsync, rename, fsync folder. */
int fs_write_atomic(const char *path, const void *p, size_t n, mode_t mode, struct err *e) AL_WUR;
int fs_fsync_dir(const char *dir, struct err *e) AL_WUR;
/* Remove a tree; ENOENT is fine. */
int fs_rm_rf(const char *path, struct err *e) AL_WUR;
/* Copy a file (used for volume targets); fsyncs the copy. */
int fs_copy_file(const char *from, const char *to, mode_t mode, struct err *e) AL_WUR;
int fs_exists(const char *path);
int fs_is_dir(const char *path);
/* Make a fresh directory "<parent>/<prefix>XXXXXX" and put its path in out. */
int fs_mkdtemp(const char *parent, const char *prefix, struct buf *out, struct err *e) AL_WUR;

#endif
