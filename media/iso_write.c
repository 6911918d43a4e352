#include "media/volume.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fs.h"

#include "lib/banned.h"

/* Data is streamed through this much memory, whatever the file's size. */
#define COPY_BLOCK (1024 * 1024)

/*
 * libarchive stores a file larger than this as several extents
 * (MULTI_EXTENT_SIZE in its ISO9660 writer); our reader rejects multi-extent
 * files, so the writer refuses them instead of producing unreadable media.
 */
#define ISO_MAX_EXTENT 0xfffff800ULL

struct writer {
	struct archive *a;
	const char *root;   /* for messages */
	int64_t mtime;
	char *block;        /* COPY_BLOCK bytes */
	struct buf path;    /* relative path of the entry being added */
	size_t entries;
	int fd;             /* the temporary image */
	int abandon;        /* failing: make libarchive's closing writes fail at once */
	struct err *e;
};

/*
 * Our own output callback rather than archive_write_open_fd(): when adding
 * fails half way, libarchive still lays out the whole image as it is freed
 * (and archive_write_fail() leaks its output buffer in 3.6), so the writes
 * are refused instead.
 */
static la_ssize_t write_cb(struct archive *a, void *client, const void *p, size_t n)
{
	struct writer *w = client;
	const char *c = p;
	size_t left = n;

	if (w->abandon) {
		archive_set_error(a, ECANCELED, "abandoned");
		return -1;
	}
	while (left) {
		ssize_t k = write(w->fd, c, left);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			archive_set_error(a, errno, "%s", strerror(errno));
			return -1;
		}
		c += k;
		left -= (size_t)k;
	}
	return (la_ssize_t)n;
}

static int arch_err(struct writer *w, const char *what)
{
	const char *s = archive_error_string(w->a);

	return err_set(w->e, AE_ARCHIVE, "cannot write ISO9660 image: %s '%s': %s", what,
		       w->path.len ? buf_str(&w->path) : w->root, s ? s : "unknown error");
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The names in an open folder, sorted so that the image does not depend on readdir order. */
static int list_sorted(int dfd, const char *where, char ***out, size_t *count, struct err *e)
{
	DIR *d = NULL;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int fd, r = 0;

	fd = dup(dfd);
	if (fd < 0) {
		r = err_errno(e, errno, "cannot read folder '%s'", where);
		goto out;
	}
	d = fdopendir(fd);
	if (!d) {
		r = err_errno(e, errno, "cannot read folder '%s'", where);
		close(fd);
		goto out;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				r = err_errno(e, errno, "cannot read folder '%s'", where);
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			char **nn = realloc(names, ncap * sizeof(*nn));

			if (!nn) {
				r = err_set(e, AE_NOMEM, "out of memory");
				break;
			}
			names = nn;
			cap = ncap;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			r = err_set(e, AE_NOMEM, "out of memory");
			break;
		}
		n++;
	}
	if (!r && n)
		qsort(names, n, sizeof(*names), name_cmp);
out:
	if (d)
		closedir(d);
	if (r) {
		free_names(names, n);
		return r;
	}
	*out = names;
	*count = n;
	return 0;
}

/*
 * Names the reader would refuse are refused here too: media we write must
 * read back.
 */
static int check_name(struct writer *w, const char *name)
{
	const unsigned char *c;
	size_t len = strlen(name);

	if (len > VOLUME_ISO_NAME_MAX)
		return err_set(w->e, AE_FORMAT, "'%s/%s': name longer than %d bytes", w->root,
			       buf_str(&w->path), VOLUME_ISO_NAME_MAX);
	for (c = (const unsigned char *)name; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return err_set(w->e, AE_FORMAT, "'%s/%s': control character in name",
				       w->root, buf_str(&w->path));
	return 0;
}

static struct archive_entry *new_entry(struct writer *w, mode_t type, mode_t perm)
{
	struct archive_entry *ent = archive_entry_new();

	if (!ent)
		return NULL;
	archive_entry_set_pathname(ent, buf_str(&w->path));
	archive_entry_set_filetype(ent, type);
	archive_entry_set_perm(ent, perm);
	/* Fixed owner and times: nothing about the exporting host leaks onto the media. */
	archive_entry_set_uid(ent, 0);
	archive_entry_set_gid(ent, 0);
	archive_entry_set_uname(ent, "");
	archive_entry_set_gname(ent, "");
	archive_entry_set_mtime(ent, w->mtime, 0);
	archive_entry_set_ctime(ent, w->mtime, 0);
	archive_entry_set_atime(ent, w->mtime, 0);
	archive_entry_set_nlink(ent, 1);
	return ent;
}

static int add_file(struct writer *w, int dfd, const char *name, const struct stat *lst)
{
	struct archive_entry *ent = NULL;
	struct stat st;
	uint64_t left;
	int fd = -1, r = 0;

	if ((uint64_t)lst->st_size > ISO_MAX_EXTENT) {
		r = err_set(w->e, AE_TOOBIG, "'%s/%s': larger than one ISO9660 extent (4 GiB)",
			    w->root, buf_str(&w->path));
		goto out;
	}
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = err_errno(w->e, errno, "cannot open '%s/%s'", w->root, buf_str(&w->path));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		r = err_errno(w->e, errno, "cannot stat '%s/%s'", w->root, buf_str(&w->path));
		goto out;
	}
	/* The same file that was listed: a swap in between would change what we sign for. */
	if (!S_ISREG(st.st_mode) || st.st_dev != lst->st_dev || st.st_ino != lst->st_ino ||
	    st.st_size != lst->st_size) {
		r = err_set(w->e, AE_IO, "'%s/%s': changed while writing the image", w->root,
			    buf_str(&w->path));
		goto out;
	}
	ent = new_entry(w, AE_IFREG, 0644);
	if (!ent) {
		r = err_set(w->e, AE_NOMEM, "out of memory");
		goto out;
	}
	archive_entry_set_size(ent, st.st_size);
	if (archive_write_header(w->a, ent) != ARCHIVE_OK) {
		r = arch_err(w, "adding");
		goto out;
	}
	left = (uint64_t)st.st_size;
	while (left) {
		size_t want = left < COPY_BLOCK ? (size_t)left : COPY_BLOCK;
		ssize_t n = fs_read_full(fd, w->block, want, name, w->e);
		la_ssize_t k;

		if (n < 0) {
			r = err_prefix(w->e, "'%s'", w->root);
			goto out;
		}
		if ((size_t)n != want) {
			r = err_set(w->e, AE_IO, "'%s/%s': changed while writing the image",
				    w->root, buf_str(&w->path));
			goto out;
		}
		k = archive_write_data(w->a, w->block, (size_t)n);
		if (k != n) {
			r = arch_err(w, "writing");
			goto out;
		}
		left -= (uint64_t)n;
	}
	if (archive_write_finish_entry(w->a) != ARCHIVE_OK)
		r = arch_err(w, "finishing");
out:
	if (ent)
		archive_entry_free(ent);
	if (fd >= 0)
		close(fd);
	return r;
}

static int add_dir(struct writer *w, int dfd, int depth);

static int add_one(struct writer *w, int dfd, const char *name, int depth)
{
	struct archive_entry *ent = NULL;
	struct stat st;
	size_t mark = w->path.len;
	int sub = -1, r;

	if (mark) {
		r = buf_adds(&w->path, "/", w->e);
		if (r)
			goto out;
	}
	r = buf_adds(&w->path, name, w->e);
	if (r)
		goto out;
	r = check_name(w, name);
	if (r)
		goto out;
	if (++w->entries > VOLUME_MAX_ENTRIES) {
		r = err_set(w->e, AE_TOOBIG, "'%s': more than %d entries", w->root,
			    VOLUME_MAX_ENTRIES);
		goto out;
	}
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		r = err_errno(w->e, errno, "cannot stat '%s/%s'", w->root, buf_str(&w->path));
		goto out;
	}
	if (S_ISREG(st.st_mode)) {
		r = add_file(w, dfd, name, &st);
		goto out;
	}
	/*
	 * ISO9660 counts the root as a level: libarchive would relocate a
	 * folder of VOLUME_MAX_DEPTH components (Rock Ridge RE/CL records),
	 * which the reader refuses.  Files there are fine, so no path ever
	 * has more than VOLUME_MAX_DEPTH components.
	 */
	if (S_ISDIR(st.st_mode) && depth >= VOLUME_MAX_DEPTH) {
		r = err_set(w->e, AE_TOOBIG, "'%s/%s': folder deeper than %d levels", w->root,
			    buf_str(&w->path), VOLUME_MAX_DEPTH - 1);
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		/* Links and devices have no place in a bundle; dropping them silently would hide a mistake. */
		r = err_set(w->e, AE_FORMAT, "'%s/%s': not a regular file or folder", w->root,
			    buf_str(&w->path));
		goto out;
	}
	sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0) {
		r = err_errno(w->e, errno, "cannot open folder '%s/%s'", w->root, buf_str(&w->path));
		goto out;
	}
	ent = new_entry(w, AE_IFDIR, 0755);
	if (!ent) {
		r = err_set(w->e, AE_NOMEM, "out of memory");
		goto out;
	}
	if (archive_write_header(w->a, ent) != ARCHIVE_OK) {
		r = arch_err(w, "adding");
		goto out;
	}
	r = add_dir(w, sub, depth);
out:
	if (ent)
		archive_entry_free(ent);
	if (sub >= 0)
		close(sub);
	if (w->path.ptr) {
		w->path.len = mark;
		w->path.ptr[mark] = '\0';
	}
	return r;
}

static int add_dir(struct writer *w, int dfd, int depth)
{
	char **names = NULL;
	size_t n = 0, i;
	int r;

	r = list_sorted(dfd, w->root, &names, &n, w->e);
	if (r)
		return r;
	for (i = 0; i < n && !r; i++)
		r = add_one(w, dfd, names[i], depth + 1);
	free_names(names, n);
	return r;
}

static int set_opt(struct writer *w, const char *key, const char *val)
{
	if (archive_write_set_format_option(w->a, "iso9660", key, val) == ARCHIVE_OK)
		return 0;
	return err_set(w->e, AE_ARCHIVE, "cannot set ISO9660 option %s: %s", key,
		       archive_error_string(w->a) ? archive_error_string(w->a) : "unknown error");
}

int iso_write_dir(const char *dir, const char *iso_path, const char *volume_id, int64_t mtime,
		  struct err *e)
{
	struct writer w = { 0 };
	struct buf tmp, parent;
	const char *slash;
	int dfd = -1, fd = -1, r;

	buf_init(&tmp, 8192);
	buf_init(&parent, 8192);
	buf_init(&w.path, 8192);
	w.root = dir;
	w.mtime = mtime;
	w.e = e;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = err_errno(e, errno, "cannot open folder '%s'", dir);
		goto out;
	}
	w.block = malloc(COPY_BLOCK);
	if (!w.block) {
		r = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	r = buf_addf(&tmp, e, "%s.tmp-XXXXXX", iso_path);
	if (r)
		goto out;
	fd = mkostemp(tmp.ptr, O_CLOEXEC);
	if (fd < 0) {
		r = err_errno(e, errno, "cannot create '%s'", tmp.ptr);
		buf_reset(&tmp);
		goto out;
	}

	w.a = archive_write_new();
	if (!w.a) {
		r = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	if (archive_write_set_format_iso9660(w.a) != ARCHIVE_OK) {
		r = err_set(e, AE_ARCHIVE, "cannot write ISO9660: %s", archive_error_string(w.a));
		goto out;
	}
	/*
	 * Level 3 for long ISO names and big files; Rock Ridge carries the real
	 * names (what our reader and `isoinfo -R` use); Joliet for Windows.
	 */
	r = set_opt(&w, "iso-level", "3");
	if (!r)
		r = set_opt(&w, "rockridge", "1");
	if (!r)
		r = set_opt(&w, "joliet", "1");
	if (!r && volume_id && *volume_id)
		r = set_opt(&w, "volume-id", volume_id);
	if (r)
		goto out;
	/* The image is a plain file: no padding of the last block to the tape block size. */
	archive_write_set_bytes_in_last_block(w.a, 1);
	w.fd = fd;
	if (archive_write_open(w.a, &w, NULL, write_cb, NULL) != ARCHIVE_OK) {
		r = err_set(e, AE_ARCHIVE, "cannot write '%s': %s", tmp.ptr,
			    archive_error_string(w.a));
		goto out;
	}
	r = add_dir(&w, dfd, 0);
	if (r)
		goto out;
	/* libarchive lays out the whole image at close: this is where most of the writing happens. */
	if (archive_write_close(w.a) != ARCHIVE_OK) {
		r = err_set(e, AE_ARCHIVE, "cannot write '%s': %s", iso_path,
			    archive_error_string(w.a) ? archive_error_string(w.a) : "unknown error");
		goto out;
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		r = err_errno(e, errno, "cannot sync '%s'", tmp.ptr);
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = err_errno(e, errno, "cannot write '%s'", tmp.ptr);
		goto out;
	}
	fd = -1;
	if (rename(tmp.ptr, iso_path) < 0) {
		r = err_errno(e, errno, "cannot rename '%s' to '%s'", tmp.ptr, iso_path);
		goto out;
	}
	buf_reset(&tmp);
	slash = strrchr(iso_path, '/');
	if (!slash)
		r = buf_adds(&parent, ".", e);
	else if (slash == iso_path)
		r = buf_adds(&parent, "/", e);
	else
		r = buf_add(&parent, iso_path, (size_t)(slash - iso_path), e);
	if (!r)
		r = fs_fsync_dir(buf_str(&parent), e);
out:
	if (w.a) {
		w.abandon = 1;
		archive_write_free(w.a);
	}
	if (fd >= 0)
		close(fd);
	if (tmp.len)
		unlink(tmp.ptr);
	if (dfd >= 0)
		close(dfd);
	free(w.block);
	buf_release(&tmp);
	buf_release(&parent);
	buf_release(&w.path);
	return r;
}
