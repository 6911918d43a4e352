#include "media/volume.h"

#include <cdio/iso9660.h>
#include <cdio/logging.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/banned.h"

/*
 * Everything on a volume is hostile.  A directory volume is only ever
 * reached through openat() below the folder we opened, never following a
 * link.  An ISO9660 image is parsed by libiso9660 (libcdio 2.1), which
 * trusts the bytes it reads: every directory extent is read and checked
 * here first (record bounds, Rock Ridge entry bounds, extents inside the
 * image) and only then handed to libiso9660, and what it returns is
 * cross-checked against the records we checked.
 */

#define ISO_BLOCK 2048u
/* Largest directory extent read; 100000 records of 255 bytes fit in 25 MB. */
#define ISO_DIR_MAX (32u << 20)
/*
 * libiso9660 finds a folder by reading every folder above it again, so a
 * deep tree of big folders costs far more than its size: cap the total.
 */
#define ISO_DIR_BUDGET (1ull << 30)
/* Rock Ridge names libiso9660 would cut short (it truncates at 254 bytes). */
#define ISO_RR_NAME_MAX 253
#define NAME_MAX_LEN 255
#define PATH_MAX_LEN 4096
#define READ_CHUNK 65536
/* Whole blocks read straight into the caller's buffer per call. */
#define ISO_READ_BLOCKS 256

/* A folder entry: the ISO tree, and a directory volume's sorted listing. */
struct iso_node {
	char *name;
	uint32_t lsn;
	uint32_t size;
	enum volume_type type;
	int loaded;         /* 1 read, -1 refused */
	struct iso_node *kids;
	size_t nkids;
};

struct volume {
	enum volume_kind kind;
	char *name;
	int fd;             /* the folder, or the image (libiso9660 reads it through /proc/self/fd) */
	iso9660_t *iso;
	uint64_t blocks;    /* whole 2048-byte blocks in the image */
	struct iso_node root;
	size_t nentries;
	uint64_t dir_bytes; /* directory bytes handed to libiso9660 so far */
	uint64_t *dirset;   /* open-addressing set of loaded folder extents, lsn + 1 */
	size_t dirset_cap, dirset_n;
};

struct volume_file {
	struct volume *v;
	char *path;
	int fd;             /* directory volume */
	uint32_t lsn;       /* ISO volume */
	uint64_t size, pos;
	uint64_t blk_no;
	int blk_valid;
	unsigned char blk[ISO_BLOCK];
};

/* One directory record as checked by iso_check_dir(), in on-disc order. */
struct rawrec {
	uint32_t lsn;
	uint32_t size;
	uint8_t flags;
};

enum volume_kind volume_kind(const struct volume *v)
{
	return v->kind;
}

const char *volume_name(const struct volume *v)
{
	return v->name;
}

/* A name read from media: one path component we can print and compare. */
static int name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > NAME_MAX_LEN)
		return 0;
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '/')
			return 0;
	}
	return 1;
}

/* A path asked for by the caller: relative, no empty, "." or ".." parts. */
static int path_ok(const char *path)
{
	const char *p = path, *slash;
	size_t len;
	int depth = 0;

	if (!path || !*path || *path == '/' || strlen(path) > PATH_MAX_LEN)
		return 0;
	for (;;) {
		slash = strchr(p, '/');
		len = slash ? (size_t)(slash - p) : strlen(p);
		if (!name_ok(p, len) || ++depth > VOLUME_MAX_DEPTH)
			return 0;
		if (!slash)
			return 1;
		p = slash + 1;
	}
}

static int path_check(const struct volume *v, const char *path, struct err *e)
{
	if (path_ok(path))
		return 0;
	return err_reject(e, "'%s': invalid path '%s'", v->name, path ? path : "");
}

static int ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct iso_node *)a)->name, ((const struct iso_node *)b)->name);
}

static void nodes_free(struct iso_node *kids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		nodes_free(kids[i].kids, kids[i].nkids);
		free(kids[i].name);
	}
	free(kids);
}

/* --- directory volumes --------------------------------------------------- */

/*
 * Open the folder holding the last component of path, one component at a
 * time, refusing links.  *last points into path.  The caller closes *dfd.
 */
static int dir_parent(struct volume *v, const char *path, int *dfd, const char **last,
		      struct err *e)
{
	char comp[NAME_MAX_LEN + 1];
	const char *p = path, *slash;
	int fd, nfd, r = 0;

	fd = dup(v->fd);
	if (fd < 0)
		return err_errno(e, errno, "'%s'", v->name);
	while ((slash = strchr(p, '/'))) {
		size_t len = (size_t)(slash - p);

		memcpy(comp, p, len);
		comp[len] = '\0';
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			struct stat st;
			int err = errno;

			/* O_DIRECTORY|O_NOFOLLOW on a link says ENOTDIR or ELOOP: tell links apart. */
			if ((err == ENOTDIR || err == ELOOP) &&
			    fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
				r = err_reject(e, "'%s': '%s' goes through a symbolic link", v->name,
					       path);
			else if (err == ENOENT || err == ENOTDIR)
				r = err_set(e, AE_NOTFOUND, "'%s': no '%s' on the volume", v->name, path);
			else
				r = err_errno(e, err, "'%s': cannot open '%s'", v->name, path);
			close(fd);
			return r;
		}
		close(fd);
		fd = nfd;
		p = slash + 1;
	}
	*dfd = fd;
	*last = p;
	return 0;
}

static enum volume_type mode_type(mode_t m)
{
	if (S_ISREG(m))
		return VENT_FILE;
	if (S_ISDIR(m))
		return VENT_DIR;
	return VENT_OTHER;
}

static int dir_stat(struct volume *v, const char *path, struct volume_entry *ent, struct err *e)
{
	const char *last;
	struct stat st;
	int dfd = -1, r;

	r = dir_parent(v, path, &dfd, &last, e);
	if (r)
		return r;
	if (fstatat(dfd, last, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			r = err_set(e, AE_NOTFOUND, "'%s': no '%s' on the volume", v->name, path);
		else
			r = err_errno(e, errno, "'%s': cannot stat '%s'", v->name, path);
		goto out;
	}
	ent->path = path;
	ent->type = mode_type(st.st_mode);
	ent->size = ent->type == VENT_FILE ? (uint64_t)st.st_size : 0;
out:
	close(dfd);
	return r;
}

static int dir_file_open(struct volume *v, const char *path, struct volume_file *f,
			 struct err *e)
{
	const char *last;
	struct stat pre, st;
	int dfd = -1, fd = -1, r, fl;

	r = dir_parent(v, path, &dfd, &last, e);
	if (r)
		return r;
	/*
	 * Look before opening: opening a device node or a FIFO has effects
	 * (or blocks) even if we refuse it right after.
	 */
	if (fstatat(dfd, last, &pre, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			r = err_set(e, AE_NOTFOUND, "'%s': no '%s' on the volume", v->name, path);
		else
			r = err_errno(e, errno, "'%s': cannot stat '%s'", v->name, path);
		goto out;
	}
	if (!S_ISREG(pre.st_mode)) {
		r = err_reject(e, "'%s': '%s' is not a regular file", v->name, path);
		goto out;
	}
	fd = openat(dfd, last, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			r = err_reject(e, "'%s': '%s' is not a regular file", v->name, path);
		else
			r = err_errno(e, errno, "'%s': cannot open '%s'", v->name, path);
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		r = err_errno(e, errno, "'%s': cannot stat '%s'", v->name, path);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_dev != pre.st_dev || st.st_ino != pre.st_ino) {
		r = err_reject(e, "'%s': '%s' changed while being opened", v->name, path);
		goto out;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		r = err_errno(e, errno, "'%s': cannot open '%s'", v->name, path);
		goto out;
	}
	f->fd = fd;
	f->size = (uint64_t)st.st_size;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	close(dfd);
	return r;
}

struct walker {
	struct volume *v;
	int (*cb)(const struct volume_entry *ent, void *arg);
	void *arg;
	struct buf path;
	size_t count;
	struct err *e;
};

/* Read the names in a folder, checked and sorted. */
static int dir_list(struct walker *w, int dfd, struct iso_node **out, size_t *count)
{
	struct volume *v = w->v;
	struct iso_node *kids = NULL;
	struct dirent *de;
	size_t n = 0, cap = 0, i;
	DIR *d = NULL;
	int fd, r = 0;

	fd = dup(dfd);
	if (fd < 0 || !(d = fdopendir(fd))) {
		r = err_errno(w->e, errno, "'%s': cannot read folder '%s'", v->name,
			      w->path.len ? buf_str(&w->path) : ".");
		if (fd >= 0)
			close(fd);
		goto out;
	}
	/*
	 * A dup()ed descriptor shares its read position with the original: a
	 * second walk of the same folder would otherwise list nothing, and an
	 * unlisted file on a USB bundle would go unseen.
	 */
	rewinddir(d);
	for (;;) {
		size_t len;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				r = err_errno(w->e, errno, "'%s': cannot read folder '%s'", v->name,
					      w->path.len ? buf_str(&w->path) : ".");
			break;
		}
		len = strlen(de->d_name);
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!name_ok(de->d_name, len)) {
			r = err_reject(w->e, "'%s': bad name in folder '%s'", v->name,
				       w->path.len ? buf_str(&w->path) : ".");
			break;
		}
		if (w->count + n >= VOLUME_MAX_ENTRIES) {
			r = err_reject(w->e, "'%s': more than %d entries", v->name,
				       VOLUME_MAX_ENTRIES);
			break;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			struct iso_node *nk = realloc(kids, ncap * sizeof(*nk));

			if (!nk) {
				r = err_set(w->e, AE_NOMEM, "out of memory");
				break;
			}
			kids = nk;
			cap = ncap;
		}
		memset(&kids[n], 0, sizeof(kids[n]));
		kids[n].name = strdup(de->d_name);
		if (!kids[n].name) {
			r = err_set(w->e, AE_NOMEM, "out of memory");
			break;
		}
		n++;
	}
	if (!r && n)
		qsort(kids, n, sizeof(*kids), ent_cmp);
	for (i = 1; !r && i < n; i++)
		if (!strcmp(kids[i - 1].name, kids[i].name))
			r = err_reject(w->e, "'%s': duplicate name in folder '%s'", v->name,
				       w->path.len ? buf_str(&w->path) : ".");
out:
	if (d)
		closedir(d);
	if (r) {
		nodes_free(kids, n);
		return r;
	}
	w->count += n;
	*out = kids;
	*count = n;
	return 0;
}

static int add_component(struct buf *b, const char *name, struct err *e)
{
	int r = 0;

	if (b->len)
		r = buf_adds(b, "/", e);
	if (!r)
		r = buf_adds(b, name, e);
	return r;
}

static void cut(struct buf *b, size_t mark)
{
	if (b->ptr) {
		b->len = mark;
		b->ptr[mark] = '\0';
	}
}

static int dir_walk(struct walker *w, int dfd, int depth)
{
	struct volume *v = w->v;
	struct iso_node *kids = NULL;
	size_t n = 0, i;
	int r;

	r = dir_list(w, dfd, &kids, &n);
	if (r)
		return r;
	if (n && depth + 1 > VOLUME_MAX_DEPTH) {
		r = err_reject(w->e, "'%s': folders nested deeper than %d levels at '%s'", v->name,
			       VOLUME_MAX_DEPTH, buf_str(&w->path));
		goto out;
	}
	for (i = 0; i < n && !r; i++) {
		struct volume_entry ent;
		struct stat st;
		size_t mark = w->path.len;
		int sub;

		r = add_component(&w->path, kids[i].name, w->e);
		if (r)
			break;
		if (fstatat(dfd, kids[i].name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = err_errno(w->e, errno, "'%s': cannot stat '%s'", v->name,
				      buf_str(&w->path));
			break;
		}
		ent.path = buf_str(&w->path);
		ent.type = mode_type(st.st_mode);
		ent.size = ent.type == VENT_FILE ? (uint64_t)st.st_size : 0;
		r = w->cb(&ent, w->arg);
		if (r)
			break;
		if (ent.type == VENT_DIR) {
			sub = openat(dfd, kids[i].name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				r = err_errno(w->e, errno, "'%s': cannot open folder '%s'", v->name,
					      buf_str(&w->path));
				break;
			}
			r = dir_walk(w, sub, depth + 1);
			close(sub);
		}
		cut(&w->path, mark);
	}
out:
	nodes_free(kids, n);
	return r;
}

/* --- ISO9660 volumes ------------------------------------------------------- */

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}

/* A both-endian 32-bit field (ECMA-119 7.3.3); 0 if the halves disagree. */
static int both32(const unsigned char *p, uint32_t *out)
{
	*out = le32(p);
	return *out == be32(p + 4);
}

static uint64_t blocks_of(uint64_t size)
{
	return (size + ISO_BLOCK - 1) / ISO_BLOCK;
}

/*
 * The Rock Ridge / SUSP entries of one record, walked exactly as
 * libiso9660 2.1's get_rock_ridge_filename() walks them, so that it never
 * reads past an entry: it trusts every length byte and, for symbolic links,
 * can also leak or overrun on odd component lists.
 */
static int susp_check(const unsigned char *p, int len, int dotdot)
{
	int nm_len = 0;

	while (len > 1) {
		int elen;

		if (len < 4)
			return -1;
		elen = p[2];
		if (elen == 0)
			break; /* libiso9660 stops here too */
		if (elen < 4 || elen > len)
			return -1;
		switch (p[0] << 8 | p[1]) {
		case 'S' << 8 | 'P':
			if (elen < 7)
				return -1;
			break;
		case 'C' << 8 | 'E':
			if (elen < 28)
				return -1;
			break;
		case 'E' << 8 | 'R':
			if (elen < 8 || 8 + p[4] + p[5] + p[6] > elen)
				return -1;
			break;
		case 'P' << 8 | 'X':
			if (elen < 36)
				return -1;
			break;
		case 'P' << 8 | 'N':
			if (elen < 20)
				return -1;
			break;
		case 'T' << 8 | 'F': {
			int i, n = 0, sz = (p[4] & 0x80) ? 17 : 7;

			if (elen < 5)
				return -1;
			for (i = 0; i < 7; i++)
				n += (p[4] >> i) & 1;
			if (5 + n * sz > elen)
				return -1;
			break;
		}
		case 'N' << 8 | 'M': {
			int i;

			if (elen < 5)
				return -1;
			/* "." and ".." may say so; any other flag makes libiso9660 drop the name. */
			if (dotdot)
				break;
			if (p[4] & ~1)
				return -1;
			for (i = 5; i < elen; i++)
				if (p[i] == '\0' || p[i] == '/')
					return -1;
			nm_len += elen - 5;
			if (nm_len > ISO_RR_NAME_MAX)
				return -1;
			break;
		}
		case 'S' << 8 | 'L': {
			int slen = elen - 5;
			const unsigned char *c = p + 5;

			/* No component, or an empty one, makes libiso9660 leak its link buffer. */
			if (elen < 5 || slen < 2)
				return -1;
			while (slen > 1) {
				int cl = c[1];

				if (2 + cl > slen)
					return -1;
				switch (c[0] & ~1) {
				case 0:
					if (!cl)
						return -1;
					break;
				case 2:
				case 4:
				case 8:
					break;
				default:
					return -1;
				}
				slen -= 2 + cl;
				c += 2 + cl;
			}
			break;
		}
		case 'R' << 8 | 'E':
		case 'C' << 8 | 'L':
		case 'P' << 8 | 'L':
			/* Relocated deep folders: libiso9660 does not follow them. */
			return -1;
		case 'Z' << 8 | 'F':
			/* zisofs: libiso9660 would hand us the compressed bytes. */
			return -1;
		default:
			break;
		}
		p += elen;
		len -= elen;
	}
	return 0;
}

/*
 * Check every record of a directory extent as libiso9660 will step through
 * it (a zero length byte moves one byte on), and collect them.
 */
static int iso_check_dir(struct volume *v, const char *dpath, const unsigned char *buf,
			 size_t len, struct rawrec **out, size_t *count, struct err *e)
{
	struct rawrec *recs = NULL;
	size_t off = 0, n = 0, cap = 0;
	const char *bad = NULL;
	int r = 0;

	while (off < len && !bad) {
		const unsigned char *rec = buf + off;
		unsigned rl = rec[0], nl, su;
		uint32_t lsn, size;

		if (!rl) {
			off++;
			continue;
		}
		/* A record may not cross a block: libiso9660 would read past its buffer. */
		if (rl < 34 || off % ISO_BLOCK + rl > ISO_BLOCK) {
			bad = "malformed directory record";
			break;
		}
		nl = rec[32];
		su = 33 + nl + !(nl & 1);
		if (nl == 0 || su > rl || !both32(rec + 2, &lsn) || !both32(rec + 10, &size))
			bad = "malformed directory record";
		/* "." then "..", as ECMA-119 6.8.2.2 requires, and only there. */
		else if (n < 2 && (nl != 1 || rec[33] != n || !(rec[25] & ISO_DIRECTORY)))
			bad = "malformed directory record";
		else if (n >= 2 && nl == 1 && (rec[33] == 0 || rec[33] == 1))
			bad = "malformed directory record";
		else if (rec[25] & ISO_MULTIEXTENT)
			bad = "multi-extent file";
		else if (rec[26] || rec[27])
			bad = "interleaved file";
		else if (susp_check(rec + su, (int)(rl - su), n < 2))
			bad = "malformed Rock Ridge entry, relocated folder or compressed file";
		else if (n >= VOLUME_MAX_ENTRIES + 2)
			bad = "too many entries";
		if (bad)
			break;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct rawrec *nr = realloc(recs, ncap * sizeof(*nr));

			if (!nr) {
				r = err_set(e, AE_NOMEM, "out of memory");
				goto out;
			}
			recs = nr;
			cap = ncap;
		}
		recs[n].lsn = lsn;
		recs[n].size = size;
		recs[n].flags = rec[25];
		n++;
		off += rl;
	}
	if (!bad && n < 2)
		bad = "malformed directory";
	if (bad) {
		r = err_reject(e, "'%s': %s in folder '%s'", v->name, bad, *dpath ? dpath : "/");
		goto out;
	}
	*out = recs;
	*count = n;
	recs = NULL;
out:
	free(recs);
	return r;
}

/* Put key in an open-addressing set of cap (a power of two) slots; 1 if it was there. */
static int set_put(uint64_t *set, size_t cap, uint64_t key)
{
	size_t mask = cap - 1, i;

	for (i = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & mask; set[i]; i = (i + 1) & mask)
		if (set[i] == key)
			return 1;
	set[i] = key;
	return 0;
}

/* Folders already read, by extent: a second folder on the same extent means a loop. */
static int dirset_add(struct volume *v, uint32_t lsn, const char *shown, struct err *e)
{
	size_t i;

	if (2 * (v->dirset_n + 1) > v->dirset_cap) {
		size_t ncap = v->dirset_cap ? v->dirset_cap * 2 : 64;
		uint64_t *ns = calloc(ncap, sizeof(*ns));

		if (!ns)
			return err_set(e, AE_NOMEM, "out of memory");
		for (i = 0; i < v->dirset_cap; i++)
			if (v->dirset[i])
				set_put(ns, ncap, v->dirset[i]);
		free(v->dirset);
		v->dirset = ns;
		v->dirset_cap = ncap;
	}
	/* Stored as lsn + 1: 0 marks an empty slot. */
	if (set_put(v->dirset, v->dirset_cap, (uint64_t)lsn + 1))
		return err_reject(e, "'%s': folder loop at '%s'", v->name, shown);
	v->dirset_n++;
	return 0;
}

static int iso_extent_ok(const struct volume *v, uint32_t lsn, uint64_t size)
{
	return size == 0 || (uint64_t)lsn + blocks_of(size) <= v->blocks;
}

/*
 * The kind of an entry from its ISO9660 flags and, when present, its Rock
 * Ridge mode; -1 when the two disagree.
 */
static int iso_entry_type(const iso9660_stat_t *s, uint8_t flags)
{
	int isdir = (flags & ISO_DIRECTORY) != 0;

	if (s->rr.b3_rock == yep && s->rr.st_mode) {
		mode_t m = (mode_t)s->rr.st_mode;

		if (S_ISDIR(m) != isdir)
			return -1;
		if (!S_ISDIR(m) && !S_ISREG(m))
			return VENT_OTHER;
	}
	if (s->rr.i_symlink > 0 || s->rr.psz_symlink)
		return isdir ? -1 : VENT_OTHER;
	if (isdir)
		return VENT_DIR;
	if (flags & ISO_ASSOCIATED)
		return VENT_OTHER;
	return VENT_FILE;
}

/*
 * Read one folder into node->kids: check its extent ourselves, make sure
 * libiso9660 resolves its path to that same extent, list it, and check the
 * listing against the records.  rel is the folder's path ("" for the root),
 * anc the size of the folders above it.
 */
static int iso_load(struct volume *v, struct iso_node *node, const char *rel, int depth,
		    uint64_t anc, struct err *e)
{
	struct rawrec *recs = NULL;
	struct iso_node *kids = NULL;
	unsigned char *raw = NULL;
	CdioList_t *list = NULL;
	CdioListNode_t *ln;
	iso9660_stat_t *st = NULL;
	struct buf cpath;
	char *tname = NULL;
	size_t nrecs = 0, nk = 0, i = 0;
	uint64_t nblk;
	const char *shown = *rel ? rel : "/";
	int r = 0;

	if (node->loaded > 0)
		return 0;
	/* Once refused, always refused (and not mistaken for a loop the second time). */
	if (node->loaded < 0)
		return err_reject(e, "'%s': folder '%s' was refused", v->name, shown);
	buf_init(&cpath, PATH_MAX_LEN + 2);
	if (node->size == 0 || node->size > ISO_DIR_MAX) {
		r = err_reject(e, "'%s': folder '%s' has a bad size", v->name, shown);
		goto out;
	}
	if (!iso_extent_ok(v, node->lsn, node->size)) {
		r = err_reject(e, "'%s': folder '%s' extends past the end of the image", v->name,
			       shown);
		goto out;
	}
	r = dirset_add(v, node->lsn, shown, e);
	if (r)
		goto out;
	nblk = blocks_of(node->size);
	v->dir_bytes += 2 * (anc + nblk * ISO_BLOCK);
	if (v->dir_bytes > ISO_DIR_BUDGET) {
		r = err_reject(e, "'%s': folder tree too large", v->name);
		goto out;
	}

	raw = malloc(nblk * ISO_BLOCK);
	if (!raw) {
		r = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	if (iso9660_iso_seek_read(v->iso, raw, (lsn_t)node->lsn, (long)nblk) !=
	    (long)(nblk * ISO_BLOCK)) {
		r = err_set(e, AE_IO, "'%s': cannot read folder '%s'", v->name, shown);
		goto out;
	}
	r = iso_check_dir(v, rel, raw, nblk * ISO_BLOCK, &recs, &nrecs, e);
	if (r)
		goto out;

	r = buf_addf(&cpath, e, "/%s", rel);
	if (r)
		goto out;
	if (depth > 0) {
		/*
		 * libiso9660 finds the folder by name again; it must land on the
		 * extent checked above, not on some other record of that name.
		 */
		st = iso9660_ifs_stat_translate(v->iso, buf_str(&cpath));
		if (!st || st->type != _STAT_DIR || (uint32_t)st->lsn != node->lsn ||
		    st->size != node->size) {
			r = err_reject(e, "'%s': folder '%s' is ambiguous", v->name, shown);
			goto out;
		}
	}
	list = iso9660_ifs_readdir(v->iso, buf_str(&cpath));
	if (!list) {
		r = err_reject(e, "'%s': cannot list folder '%s'", v->name, shown);
		goto out;
	}
	kids = calloc(nrecs, sizeof(*kids));
	if (!kids) {
		r = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	_CDIO_LIST_FOREACH (ln, list) {
		iso9660_stat_t *s = _cdio_list_node_data(ln);
		struct iso_node *k;
		const char *name;
		size_t len;
		int type;

		if (i >= nrecs || (uint32_t)s->lsn != recs[i].lsn || s->size != recs[i].size ||
		    (s->type == _STAT_DIR) != !!(recs[i].flags & ISO_DIRECTORY)) {
			r = err_reject(e, "'%s': folder '%s' does not read back consistently",
				       v->name, shown);
			goto out;
		}
		if (i++ < 2)
			continue;
		/*
		 * A Rock Ridge name is used as it is; a plain ISO9660 name
		 * ("MANIFEST.;1") the way libiso9660 matches it in a path.
		 */
		name = s->filename;
		if (s->rr.b3_rock != yep) {
			free(tname);
			tname = malloc(strlen(s->filename) + 1);
			if (!tname) {
				r = err_set(e, AE_NOMEM, "out of memory");
				goto out;
			}
			/* It leaves the output unterminated for an empty name (a leading NUL). */
			tname[0] = '\0';
			iso9660_name_translate_ext(s->filename, tname, 0);
			name = tname;
		}
		len = strlen(name);
		if (!name_ok(name, len)) {
			r = err_reject(e, "'%s': bad name in folder '%s'", v->name, shown);
			goto out;
		}
		type = iso_entry_type(s, recs[i - 1].flags);
		if (type < 0) {
			r = err_reject(e, "'%s': '%s' in folder '%s' has conflicting types", v->name,
				       name, shown);
			goto out;
		}
		if (type == VENT_FILE && !iso_extent_ok(v, recs[i - 1].lsn, recs[i - 1].size)) {
			r = err_reject(e, "'%s': '%s' in folder '%s' extends past the end of the image",
				       v->name, name, shown);
			goto out;
		}
		k = &kids[nk];
		k->name = strdup(name);
		if (!k->name) {
			r = err_set(e, AE_NOMEM, "out of memory");
			goto out;
		}
		k->lsn = recs[i - 1].lsn;
		k->size = recs[i - 1].size;
		k->type = (enum volume_type)type;
		nk++;
	}
	if (i != nrecs) {
		r = err_reject(e, "'%s': folder '%s' does not read back consistently", v->name,
			       shown);
		goto out;
	}
	if (nk)
		qsort(kids, nk, sizeof(*kids), ent_cmp);
	for (i = 1; i < nk; i++)
		if (!strcmp(kids[i - 1].name, kids[i].name)) {
			r = err_reject(e, "'%s': duplicate name '%s' in folder '%s'", v->name,
				       kids[i].name, shown);
			goto out;
		}
	if (nk && depth + 1 > VOLUME_MAX_DEPTH) {
		r = err_reject(e, "'%s': folders nested deeper than %d levels at '%s'", v->name,
			       VOLUME_MAX_DEPTH, shown);
		goto out;
	}
	v->nentries += nk;
	if (v->nentries > VOLUME_MAX_ENTRIES) {
		r = err_reject(e, "'%s': more than %d entries", v->name, VOLUME_MAX_ENTRIES);
		goto out;
	}
	node->kids = kids;
	node->nkids = nk;
	node->loaded = 1;
	kids = NULL;
	nk = 0;
out:
	if (r)
		node->loaded = -1;
	nodes_free(kids, nk);
	if (list)
		iso9660_filelist_free(list);
	if (st)
		iso9660_stat_free(st);
	free(tname);
	free(recs);
	free(raw);
	buf_release(&cpath);
	return r;
}

static int iso_lookup(struct volume *v, const char *path, struct iso_node **out, struct err *e)
{
	struct iso_node *node = &v->root, key;
	struct buf rel;
	const char *p = path, *slash;
	uint64_t anc = 0;
	int depth = 0, r = 0;

	buf_init(&rel, PATH_MAX_LEN + 1);
	for (;;) {
		struct iso_node *kid;
		size_t mark = rel.len;

		if (node->type != VENT_DIR) {
			r = err_set(e, AE_NOTFOUND, "'%s': no '%s' on the volume", v->name, path);
			break;
		}
		r = iso_load(v, node, buf_str(&rel), depth, anc, e);
		if (r)
			break;
		slash = strchr(p, '/');
		if (mark)
			r = buf_adds(&rel, "/", e);
		if (!r)
			r = buf_add(&rel, p, slash ? (size_t)(slash - p) : strlen(p), e);
		if (r)
			break;
		key.name = rel.ptr + mark + !!mark;
		kid = bsearch(&key, node->kids, node->nkids, sizeof(key), ent_cmp);
		if (!kid) {
			r = err_set(e, AE_NOTFOUND, "'%s': no '%s' on the volume", v->name, path);
			break;
		}
		anc += node->size;
		node = kid;
		depth++;
		if (!slash) {
			*out = node;
			break;
		}
		p = slash + 1;
	}
	buf_release(&rel);
	return r;
}

static int iso_walk(struct walker *w, struct iso_node *node, int depth, uint64_t anc)
{
	size_t i;
	int r;

	r = iso_load(w->v, node, buf_str(&w->path), depth, anc, w->e);
	for (i = 0; !r && i < node->nkids; i++) {
		struct iso_node *k = &node->kids[i];
		struct volume_entry ent;
		size_t mark = w->path.len;

		r = add_component(&w->path, k->name, w->e);
		if (r)
			break;
		ent.path = buf_str(&w->path);
		ent.type = k->type;
		ent.size = k->type == VENT_FILE ? k->size : 0;
		r = w->cb(&ent, w->arg);
		if (!r && k->type == VENT_DIR)
			r = iso_walk(w, k, depth + 1, anc + node->size);
		cut(&w->path, mark);
	}
	return r;
}

/*
 * libcdio reports every oddity of a hostile image on stderr; we report our
 * own verdict instead.  Assertions still get through.
 */
static void iso_quiet(void)
{
	if (cdio_loglevel_default < CDIO_LOG_ASSERT)
		cdio_loglevel_default = CDIO_LOG_ASSERT;
}

static int iso_open(struct volume *v, const char *path, struct err *e)
{
	iso9660_pvd_t pvd;
	const unsigned char *root, *bs;
	char fdpath[64];
	struct stat st;
	uint64_t size = 0;
	uint32_t lsn, dsize;
	int fl;

	/* O_NONBLOCK: a FIFO given as an image must not hang the open. */
	v->fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (v->fd < 0) {
		if (errno == ENOENT)
			return err_set(e, AE_NOTFOUND, "cannot open '%s': %s", path, strerror(errno));
		return err_errno(e, errno, "cannot open '%s'", path);
	}
	if (fstat(v->fd, &st) < 0)
		return err_errno(e, errno, "cannot stat '%s'", path);
	if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(v->fd, BLKGETSIZE64, &size) < 0)
			return err_errno(e, errno, "cannot get the size of '%s'", path);
	} else {
		return err_reject(e, "'%s': not a readable ISO9660 image", path);
	}
	fl = fcntl(v->fd, F_GETFL);
	if (fl < 0 || fcntl(v->fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return err_errno(e, errno, "cannot open '%s'", path);
	/* lsn_t is signed 32-bit in libiso9660: nothing past 2^31 blocks is addressable. */
	v->blocks = size / ISO_BLOCK;
	if (v->blocks > INT32_MAX)
		v->blocks = INT32_MAX;
	if (v->blocks < 18)
		return err_reject(e, "'%s': not a readable ISO9660 image", path);

	/*
	 * libiso9660 opens by name: hand it the file we opened and measured,
	 * not whatever the name points to a moment later.
	 */
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", v->fd);
	if (access(fdpath, R_OK) != 0)
		snprintf(fdpath, sizeof(fdpath), "%s", "");
	iso_quiet();
	/*
	 * Not ISO_EXTENSION_ALL: with Joliet allowed, libiso9660 reads the
	 * Joliet tree, which has no Rock Ridge (no file types) and names cut
	 * at 64 characters.
	 */
	v->iso = iso9660_open_ext(*fdpath ? fdpath : path,
				  ISO_EXTENSION_ALL & ~ISO_EXTENSION_JOLIET);
	if (!v->iso || !iso9660_ifs_read_pvd(v->iso, &pvd))
		return err_reject(e, "'%s': not a readable ISO9660 image", path);

	/* libiso9660 assumes 2048-byte blocks; the field is 16-bit both-endian (ECMA-119 7.2.3). */
	bs = (const unsigned char *)&pvd.logical_block_size;
	if ((bs[0] | bs[1] << 8) != ISO_BLOCK || (bs[2] << 8 | bs[3]) != ISO_BLOCK)
		return err_reject(e, "'%s': unsupported ISO9660 block size", path);
	/* The root's own record sits in the PVD: exactly 34 bytes, no Rock Ridge to misparse. */
	root = (const unsigned char *)&pvd.root_directory_record;
	if (root[0] != 34 || root[32] != 1 || root[33] != 0 || !(root[25] & ISO_DIRECTORY) ||
	    (root[25] & ISO_MULTIEXTENT) || !both32(root + 2, &lsn) || !both32(root + 10, &dsize))
		return err_reject(e, "'%s': malformed root folder record", path);
	v->root.name = NULL;
	v->root.type = VENT_DIR;
	v->root.lsn = lsn;
	v->root.size = dsize;
	return 0;
}

static ssize_t iso_read(struct volume_file *f, void *p, size_t n, struct err *e)
{
	struct volume *v = f->v;
	uint64_t blk = f->pos / ISO_BLOCK, off = f->pos % ISO_BLOCK;
	size_t take;

	if (off == 0 && n >= ISO_BLOCK) {
		uint64_t nb = n / ISO_BLOCK;

		if (nb > ISO_READ_BLOCKS)
			nb = ISO_READ_BLOCKS;
		if (iso9660_iso_seek_read(v->iso, p, (lsn_t)(f->lsn + blk), (long)nb) !=
		    (long)(nb * ISO_BLOCK))
			return err_set(e, AE_IO, "'%s': cannot read '%s'", v->name, f->path);
		f->pos += nb * ISO_BLOCK;
		return (ssize_t)(nb * ISO_BLOCK);
	}
	if (!f->blk_valid || f->blk_no != blk) {
		f->blk_valid = 0;
		if (iso9660_iso_seek_read(v->iso, f->blk, (lsn_t)(f->lsn + blk), 1) != ISO_BLOCK)
			return err_set(e, AE_IO, "'%s': cannot read '%s'", v->name, f->path);
		f->blk_no = blk;
		f->blk_valid = 1;
	}
	take = ISO_BLOCK - off;
	if (take > n)
		take = n;
	memcpy(p, f->blk + off, take);
	f->pos += take;
	return (ssize_t)take;
}

/* --- the API --------------------------------------------------------------- */

int volume_open(struct volume **out, const char *spec, struct err *e)
{
	struct volume *v = NULL;
	const char *path = spec;
	enum volume_kind kind = 0;
	struct stat st;
	int r = 0;

	*out = NULL;
	if (!strncmp(spec, "iso:", 4)) {
		kind = VOLUME_ISO;
		path = spec + 4;
	} else if (!strncmp(spec, "dir:", 4)) {
		kind = VOLUME_DIR;
		path = spec + 4;
	}
	if (!*path)
		return err_set(e, AE_USAGE, "'%s': no path given", spec);
	if (!kind) {
		if (stat(path, &st) < 0) {
			if (errno == ENOENT)
				return err_set(e, AE_NOTFOUND, "cannot open '%s': %s", path,
					       strerror(errno));
			return err_errno(e, errno, "cannot open '%s'", path);
		}
		if (S_ISDIR(st.st_mode))
			kind = VOLUME_DIR;
		else if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
			kind = VOLUME_ISO;
		else
			return err_set(e, AE_USAGE, "'%s': not a folder, ISO9660 image or block device",
				       path);
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return err_set(e, AE_NOMEM, "out of memory");
	v->fd = -1;
	v->kind = kind;
	v->name = strdup(path);
	if (!v->name) {
		r = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	if (kind == VOLUME_DIR) {
		v->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (v->fd < 0) {
			if (errno == ENOENT)
				r = err_set(e, AE_NOTFOUND, "cannot open '%s': %s", path,
					    strerror(errno));
			else
				r = err_errno(e, errno, "cannot open folder '%s'", path);
		}
	} else {
		r = iso_open(v, path, e);
	}
out:
	if (r) {
		volume_close(v);
		return r;
	}
	*out = v;
	return 0;
}

void volume_close(struct volume *v)
{
	if (!v)
		return;
	if (v->iso)
		iso9660_close(v->iso);
	if (v->fd >= 0)
		close(v->fd);
	nodes_free(v->root.kids, v->root.nkids);
	free(v->dirset);
	free(v->name);
	free(v);
}

int volume_walk(struct volume *v, int (*cb)(const struct volume_entry *ent, void *arg), void *arg,
		struct err *e)
{
	struct walker w = { .v = v, .cb = cb, .arg = arg, .e = e };
	int r;

	buf_init(&w.path, PATH_MAX_LEN + 1);
	if (v->kind == VOLUME_DIR)
		r = dir_walk(&w, v->fd, 0);
	else
		r = iso_walk(&w, &v->root, 0, 0);
	buf_release(&w.path);
	return r;
}

int volume_stat(struct volume *v, const char *path, struct volume_entry *ent, struct err *e)
{
	struct iso_node *node;
	int r;

	r = path_check(v, path, e);
	if (r)
		return r;
	if (v->kind == VOLUME_DIR)
		return dir_stat(v, path, ent, e);
	r = iso_lookup(v, path, &node, e);
	if (r)
		return r;
	ent->path = path;
	ent->type = node->type;
	ent->size = node->type == VENT_FILE ? node->size : 0;
	return 0;
}

int volume_file_open(struct volume *v, const char *path, struct volume_file **out, struct err *e)
{
	struct volume_file *f = NULL;
	struct iso_node *node;
	int r;

	*out = NULL;
	r = path_check(v, path, e);
	if (r)
		return r;
	f = calloc(1, sizeof(*f));
	if (!f)
		return err_set(e, AE_NOMEM, "out of memory");
	f->v = v;
	f->fd = -1;
	f->path = strdup(path);
	if (!f->path) {
		r = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	if (v->kind == VOLUME_DIR) {
		r = dir_file_open(v, path, f, e);
		goto out;
	}
	r = iso_lookup(v, path, &node, e);
	if (r)
		goto out;
	if (node->type != VENT_FILE) {
		r = err_reject(e, "'%s': '%s' is not a regular file", v->name, path);
		goto out;
	}
	f->lsn = node->lsn;
	f->size = node->size;
out:
	if (r) {
		volume_file_close(f);
		return r;
	}
	*out = f;
	return 0;
}

ssize_t volume_file_read(struct volume_file *f, void *p, size_t n, struct err *e)
{
	if (n > SSIZE_MAX)
		n = SSIZE_MAX;
	if (f->v->kind == VOLUME_DIR) {
		for (;;) {
			ssize_t k = read(f->fd, p, n);

			if (k >= 0)
				return k;
			if (errno != EINTR)
				return err_errno(e, errno, "'%s': cannot read '%s'", f->v->name, f->path);
		}
	}
	if (f->pos >= f->size || n == 0)
		return 0;
	if (n > f->size - f->pos)
		n = (size_t)(f->size - f->pos);
	return iso_read(f, p, n, e);
}

void volume_file_close(struct volume_file *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	free(f);
}

int volume_read_all(struct volume *v, const char *path, struct buf *out, struct err *e)
{
	struct volume_file *f = NULL;
	char *chunk = NULL;
	ssize_t n;
	int r;

	r = volume_file_open(v, path, &f, e);
	if (r)
		return r;
	/* Refuse before reading when the size alone says it will not fit. */
	if (f->size > out->max - out->len) {
		r = err_set(e, AE_TOOBIG, "'%s': '%s' is larger than %zu bytes", v->name, path,
			    out->max);
		goto out;
	}
	chunk = malloc(READ_CHUNK);
	if (!chunk) {
		r = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	while ((n = volume_file_read(f, chunk, READ_CHUNK, e)) > 0) {
		r = buf_add(out, chunk, (size_t)n, e);
		if (r) {
			err_prefix(e, "'%s': '%s'", v->name, path);
			goto out;
		}
	}
	if (n < 0)
		r = (int)n;
out:
	free(chunk);
	volume_file_close(f);
	return r;
}
