#include "exporter/build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "exporter/pack.h"
#include "lib/fs.h"
#include "lib/progress.h"
#include "lib/util.h"
#include "verify/bundle.h"
#include "lib/banned.h"

#define STREAM_BLOCK ((size_t)1 << 20)
/* Below this a test compression says little, and the tar header around it compresses anyway. */
#define SAMPLE_MIN 4096

enum { CLS_ZSTD = 0, CLS_NONE = 1, NCLS, CLS_BASE = NCLS /* not packed: the base has it */ };

struct fentry {
	size_t src; /* index into the sorted sources */
	char *path; /* relative, '/'-separated */
	uint64_t size;
};

struct objent {
	uint8_t sha[SHA256_LEN];
	uint64_t size;
	int cls;
};

struct builder {
	const struct build_spec *spec;
	const struct build_source **src; /* sorted by name */
	struct fentry *files;
	size_t nfiles, files_cap;

	/* distinct contents, with an open-addressing index by hash (slot = index + 1) */
	struct objent *objs;
	size_t nobjs, objs_cap;
	uint32_t *slots;
	size_t nslots;

	struct pack_writer pw[NCLS];
	uint32_t pack_id[NCLS]; /* 0 until the pack is opened */
	uint32_t npacks;
	char *packdir;

	uint8_t *small;  /* BUILD_SMALL_MAX + 1: the extra byte catches a file that grew */
	uint8_t *blk;    /* STREAM_BLOCK */
	uint8_t *sample; /* BUILD_SAMPLE */
	ZSTD_CCtx *zc;
	void *zout;
	size_t zout_cap;
	struct progress prog;
	struct build_stats *st;
};

/* ---- the catalog ---- */

int build_channel_state(struct db *db, const char *channel, uint64_t *next_sequence, int *has_previous,
			uint8_t previous[SHA256_LEN], struct err *e)
{
	struct db_stmt *st = NULL;
	const char *hex;
	int64_t seq;
	int r;

	*next_sequence = 1;
	*has_previous = 0;
	r = db_prepare(db, "SELECT sequence, manifest FROM export WHERE channel = ?1 ORDER BY sequence DESC LIMIT 1",
		       &st, e);
	if (r)
		goto out;
	r = db_bind_text(st, 1, channel, e);
	if (r)
		goto out;
	r = db_step(st, e);
	if (r < 0)
		goto out;
	if (r == 1) {
		seq = db_col_int(st, 0);
		hex = db_col_text(st, 1);
		if (seq < 1 || hex_decode(hex, strlen(hex), previous, SHA256_LEN) < 0) {
			r = err_set(e, AE_STATE, "the catalog's last export of channel '%s' is malformed", channel);
			goto out;
		}
		*next_sequence = (uint64_t)seq + 1;
		*has_previous = 1;
	}
	r = 0;
out:
	db_finalize(st);
	return r;
}

void build_sources_free(struct build_source *s, size_t n)
{
	size_t i;

	for (i = 0; s && i < n; i++) {
		free(s[i].name);
		free(s[i].kind);
		free(s[i].location);
	}
	free(s);
}

int build_load_sources(struct db *db, const char *staging, struct build_source **out, size_t *n,
		       struct err *e)
{
	struct build_source *s = NULL, *grown;
	struct db_stmt *st = NULL;
	size_t cnt = 0, cap = 0;
	int r;

	*out = NULL;
	*n = 0;
	r = db_prepare(db, "SELECT name, kind, location FROM source ORDER BY name", &st, e);
	if (r)
		goto out;
	while ((r = db_step(st, e)) == 1) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			grown = realloc(s, cap * sizeof(*s));
			if (!grown) {
				r = err_set(e, AE_NOMEM, "out of memory");
				goto out;
			}
			s = grown;
		}
		s[cnt].name = strdup(db_col_text(st, 0));
		s[cnt].kind = strdup(db_col_text(st, 1));
		if (!strcmp(db_col_text(st, 1), "apt")) {
			size_t len = strlen(staging) + strlen(db_col_text(st, 0)) + sizeof("/apt//tree");

			s[cnt].location = malloc(len);
			if (s[cnt].location)
				snprintf(s[cnt].location, len, "%s/apt/%s/tree", staging, db_col_text(st, 0));
		} else {
			s[cnt].location = strdup(db_col_text(st, 2));
		}
		cnt++;
		if (!s[cnt - 1].name || !s[cnt - 1].kind || !s[cnt - 1].location) {
			r = err_set(e, AE_NOMEM, "out of memory");
			goto out;
		}
	}
	if (r < 0)
		goto out;
	*out = s;
	*n = cnt;
	s = NULL;
	r = 0;
out:
	db_finalize(st);
	build_sources_free(s, cnt);
	return r;
}

void build_volume_id(const char *channel, uint64_t sequence, char out[BUILD_VOLUME_ID_MAX + 1])
{
	char seq[24];
	size_t i, o = 0, room;

	snprintf(seq, sizeof(seq), "_%llu", (unsigned long long)sequence);
	/* the channel gives way first, so that discs of one channel stay told apart by sequence */
	room = BUILD_VOLUME_ID_MAX - strlen(seq);
	o = (size_t)snprintf(out, BUILD_VOLUME_ID_MAX + 1, "AIRLOCK_");
	for (i = 0; channel[i] && o < room; i++) {
		char c = channel[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			c = '_';
		out[o++] = c;
	}
	snprintf(out + o, BUILD_VOLUME_ID_MAX + 1 - o, "%s", seq);
}

/* ---- the walk ---- */

static const char *type_name(mode_t m)
{
	if (S_ISLNK(m))
		return "a symbolic link";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISFIFO(m))
		return "a fifo";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int push_file(struct builder *b, size_t src, const char *rel, uint64_t size, struct err *e)
{
	struct fentry *f;

	if (b->nfiles == b->files_cap) {
		size_t cap = b->files_cap ? b->files_cap * 2 : 256;

		f = realloc(b->files, cap * sizeof(*f));
		if (!f)
			return err_set(e, AE_NOMEM, "out of memory");
		b->files = f;
		b->files_cap = cap;
	}
	f = &b->files[b->nfiles];
	f->path = strdup(rel);
	if (!f->path)
		return err_set(e, AE_NOMEM, "out of memory");
	f->src = src;
	f->size = size;
	b->nfiles++;
	return 0;
}

static void free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

/*
 * List one folder (names only, then closed, so that the depth of the tree
 * never holds more than one folder open) and go through it in byte order.
 */
static int walk_dir(struct builder *b, size_t src, const char *root, struct buf *rel, struct err *e)
{
	struct buf abs;
	char **names = NULL, **grown;
	size_t n = 0, cap = 0, i, keep = rel->len;
	struct dirent *d;
	struct stat st;
	struct err pe;
	DIR *dir = NULL;
	int r;

	buf_init(&abs, MANIFEST_MAX_PATH * 2 + 8192);
	r = rel->len ? buf_addf(&abs, e, "%s/%s", root, buf_str(rel)) : buf_adds(&abs, root, e);
	if (r)
		goto out;
	dir = opendir(abs.ptr);
	if (!dir) {
		r = err_errno(e, errno, "cannot open folder '%s'", abs.ptr);
		goto out;
	}
	for (;;) {
		errno = 0;
		d = readdir(dir);
		if (!d)
			break;
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			grown = realloc(names, cap * sizeof(*names));
			if (!grown) {
				r = err_set(e, AE_NOMEM, "out of memory");
				goto out;
			}
			names = grown;
		}
		names[n] = strdup(d->d_name);
		if (!names[n]) {
			r = err_set(e, AE_NOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	if (errno) {
		r = err_errno(e, errno, "cannot read folder '%s'", abs.ptr);
		goto out;
	}
	closedir(dir);
	dir = NULL;
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);

	for (i = 0; i < n; i++) {
		rel->len = keep;
		if (rel->ptr)
			rel->ptr[keep] = '\0';
		if (keep) {
			r = buf_adds(rel, "/", e);
			if (r)
				goto out;
		}
		r = buf_adds(rel, names[i], e);
		if (r) {
			r = err_set(e, AE_FORMAT, "'%s/%s' cannot be exported: path too long", abs.ptr, names[i]);
			goto out;
		}
		buf_reset(&abs);
		r = buf_addf(&abs, e, "%s/%s", root, rel->ptr);
		if (r)
			goto out;
		if (lstat(abs.ptr, &st) < 0) {
			r = err_errno(e, errno, "cannot stat '%s'", abs.ptr);
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			r = walk_dir(b, src, root, rel, e);
			if (r)
				goto out;
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			/* refused rather than skipped, so that the officer notices what would be missing */
			r = err_set(e, AE_FORMAT, "'%s' is %s: only regular files and folders can be exported",
				    abs.ptr, type_name(st.st_mode));
			goto out;
		}
		err_clear(&pe);
		if (manifest_path_valid(rel->ptr, rel->len, &pe)) {
			/* pe names the path with its bad bytes escaped; abs would print them raw */
			r = err_set(e, AE_FORMAT, "a file in '%s' cannot be exported: %s", root, pe.msg);
			goto out;
		}
		r = push_file(b, src, rel->ptr, (uint64_t)st.st_size, e);
		if (r)
			goto out;
	}
	r = 0;
out:
	rel->len = keep;
	if (rel->ptr)
		rel->ptr[keep] = '\0';
	if (dir)
		closedir(dir);
	free_names(names, n);
	buf_release(&abs);
	return r;
}

static int cmp_fentry(const void *a, const void *b)
{
	const struct fentry *x = a, *y = b;

	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int cmp_source_ptr(const void *a, const void *b)
{
	return strcmp((*(const struct build_source *const *)a)->name, (*(const struct build_source *const *)b)->name);
}

static int walk_sources(struct builder *b, struct err *e)
{
	const struct build_spec *s = b->spec;
	struct buf rel;
	size_t i;
	int r = 0;

	buf_init(&rel, MANIFEST_MAX_PATH);
	for (i = 0; i < s->nsources; i++) {
		const struct build_source *src = b->src[i];

		if (strcmp(src->kind, "dir") && strcmp(src->kind, "apt")) {
			r = err_set(e, AE_STATE, "source '%s' is of kind '%s', which this version cannot export",
				    src->name, src->kind);
			goto out;
		}
		if (!strcmp(src->kind, "apt") && !fs_is_dir(src->location)) {
			r = err_set(e, AE_STATE, "apt source '%s' has not been fetched yet: run 'airlock fetch %s'",
				    src->name, src->name);
			goto out;
		}
		if (!fs_is_dir(src->location)) {
			r = err_set(e, AE_STATE, "source '%s': '%s' is not a folder (any more)", src->name,
				    src->location);
			goto out;
		}
		buf_reset(&rel);
		r = walk_dir(b, i, src->location, &rel, e);
		if (r)
			goto out;
	}
	if (b->nfiles)
		qsort(b->files, b->nfiles, sizeof(*b->files), cmp_fentry);
out:
	buf_release(&rel);
	return r;
}

/* ---- objects ---- */

static size_t slot_of(const uint8_t sha[SHA256_LEN], size_t nslots)
{
	uint64_t h;

	memcpy(&h, sha, sizeof(h));
	return (size_t)(h & (nslots - 1));
}

static struct objent *obj_find(struct builder *b, const uint8_t sha[SHA256_LEN])
{
	size_t i;

	if (!b->nslots)
		return NULL;
	for (i = slot_of(sha, b->nslots); b->slots[i]; i = (i + 1) & (b->nslots - 1)) {
		struct objent *o = &b->objs[b->slots[i] - 1];

		if (!memcmp(o->sha, sha, SHA256_LEN))
			return o;
	}
	return NULL;
}

static int obj_insert(struct builder *b, const uint8_t sha[SHA256_LEN], uint64_t size, int cls, struct err *e)
{
	size_t i;

	if (b->nobjs >= UINT32_MAX - 1)
		return err_set(e, AE_TOOBIG, "too many distinct files");
	if (b->nobjs == b->objs_cap) {
		size_t cap = b->objs_cap ? b->objs_cap * 2 : 256;
		struct objent *o = realloc(b->objs, cap * sizeof(*o));

		if (!o)
			return err_set(e, AE_NOMEM, "out of memory");
		b->objs = o;
		b->objs_cap = cap;
	}
	/* keep the index at most half full, so that probes stay short */
	if ((b->nobjs + 1) * 2 > b->nslots) {
		size_t n = b->nslots ? b->nslots * 2 : 1024, k;
		uint32_t *s = calloc(n, sizeof(*s));

		if (!s)
			return err_set(e, AE_NOMEM, "out of memory");
		for (k = 0; k < b->nobjs; k++) {
			for (i = slot_of(b->objs[k].sha, n); s[i]; i = (i + 1) & (n - 1))
				;
			s[i] = (uint32_t)k + 1;
		}
		free(b->slots);
		b->slots = s;
		b->nslots = n;
	}
	memcpy(b->objs[b->nobjs].sha, sha, SHA256_LEN);
	b->objs[b->nobjs].size = size;
	b->objs[b->nobjs].cls = cls;
	for (i = slot_of(sha, b->nslots); b->slots[i]; i = (i + 1) & (b->nslots - 1))
		;
	b->slots[i] = (uint32_t)b->nobjs + 1;
	b->nobjs++;
	return 0;
}

/*
 * Already-compressed data (.deb, .rpm, .msu, images, archives) gains nothing
 * from zstd but costs its full CPU time; a fast level-1 trial on the first
 * 64 KiB tells it apart, whatever the file is called.
 */
static int classify(struct builder *b, const uint8_t *p, size_t n)
{
	size_t r;

	if (n < SAMPLE_MIN)
		return CLS_ZSTD;
	if (n > BUILD_SAMPLE)
		n = BUILD_SAMPLE;
	r = ZSTD_compressCCtx(b->zc, b->zout, b->zout_cap, p, n, 1);
	if (ZSTD_isError(r))
		return CLS_ZSTD;
	return (uint64_t)r * 100 > (uint64_t)n * 95 ? CLS_NONE : CLS_ZSTD;
}

static int pack_for(struct builder *b, int cls, struct pack_writer **out, struct err *e)
{
	int r;

	/* packs are opened on first use, so that an empty one is never written and ids stay 1..n */
	if (!b->pack_id[cls]) {
		r = pack_open(&b->pw[cls], b->packdir, b->npacks + 1, cls == CLS_NONE ? PACK_NONE : PACK_ZSTD,
			      b->spec->part_size, b->spec->created, e);
		if (r)
			return r;
		b->pack_id[cls] = ++b->npacks;
	}
	*out = &b->pw[cls];
	return 0;
}

static int changed(struct err *e, const char *path)
{
	return err_set(e, AE_STATE, "'%s' changed while it was exported", path);
}

/*
 * One file: small ones are read once and packed from memory; large ones are
 * hashed streaming, then (when their content is new) streamed into the pack
 * and hashed again there, so memory stays bounded and a file changing between
 * the two reads is caught.
 */
static int add_file(struct builder *b, const struct fentry *f, struct manifest *m, struct err *e)
{
	const struct build_source *src = b->src[f->src];
	uint8_t sha[SHA256_LEN];
	struct pack_writer *pw;
	struct sha256 h = { 0 };
	struct objent *o;
	struct stat st;
	struct buf abs;
	uint64_t size, got = 0;
	size_t nsample = 0;
	const uint8_t *sample;
	ssize_t n;
	int fd = -1, r, cls;

	buf_init(&abs, MANIFEST_MAX_PATH * 2 + 8192);
	r = buf_addf(&abs, e, "%s/%s", src->location, f->path);
	if (r)
		goto out;
	/* O_NOFOLLOW and O_NONBLOCK: a file swapped for a link or a fifo since the walk must not be followed or hang */
	fd = open(abs.ptr, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		r = errno == ELOOP ? changed(e, abs.ptr) : err_errno(e, errno, "cannot open '%s'", abs.ptr);
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		r = err_errno(e, errno, "cannot stat '%s'", abs.ptr);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != f->size) {
		r = changed(e, abs.ptr);
		goto out;
	}
	size = f->size;
	if (size <= BUILD_SMALL_MAX) {
		n = fs_read_full(fd, b->small, (size_t)size + 1, abs.ptr, e);
		if (n < 0) {
			r = (int)n;
			goto out;
		}
		if ((uint64_t)n != size) {
			r = changed(e, abs.ptr);
			goto out;
		}
		sha256_buf(b->small, (size_t)size, sha);
		sample = b->small;
		nsample = (size_t)size;
	} else {
		r = sha256_init(&h, e);
		if (r)
			goto out;
		while ((n = fs_read_full(fd, b->blk, STREAM_BLOCK, abs.ptr, e)) > 0) {
			if (nsample < BUILD_SAMPLE) {
				size_t k = BUILD_SAMPLE - nsample < (size_t)n ? BUILD_SAMPLE - nsample : (size_t)n;

				memcpy(b->sample + nsample, b->blk, k);
				nsample += k;
			}
			sha256_update(&h, b->blk, (size_t)n);
			got += (uint64_t)n;
			progress_add(&b->prog, (uint64_t)n);
			if (got > size)
				break;
		}
		if (n < 0) {
			r = (int)n;
			goto out;
		}
		if (got != size) {
			r = changed(e, abs.ptr);
			goto out;
		}
		sha256_final(&h, sha);
		sample = b->sample;
	}

	o = obj_find(b, sha);
	if (!o && b->spec->base && manifest_find_object(b->spec->base, sha)) {
		/* the far side has it from the base: list it, do not carry it */
		r = obj_insert(b, sha, size, CLS_BASE, e);
		if (r)
			goto out;
	} else if (!o) {
		cls = classify(b, sample, nsample);
		r = pack_for(b, cls, &pw, e);
		if (r)
			goto out;
		if (size <= BUILD_SMALL_MAX) {
			r = pack_add_mem(pw, sha, b->small, (size_t)size, e);
		} else if (lseek(fd, 0, SEEK_SET) < 0) {
			r = err_errno(e, errno, "cannot rewind '%s'", abs.ptr);
		} else {
			r = pack_add_fd(pw, sha, size, fd, abs.ptr, e);
		}
		if (r)
			goto out;
		r = obj_insert(b, sha, size, cls, e);
		if (r)
			goto out;
		b->st->object_bytes += size;
		if (cls == CLS_NONE)
			b->st->stored++;
	}
	progress_add(&b->prog, size);
	/* permission bits only: any x bit makes it executable for everyone, nothing else travels */
	r = manifest_add_file(m, src->name, (st.st_mode & 0111) ? 0755 : 0644, sha, f->path, e);
	if (r)
		goto out;
	b->st->files++;
	b->st->file_bytes += size;
	r = 0;
out:
	sha256_release(&h);
	if (fd >= 0)
		close(fd);
	buf_release(&abs);
	return r;
}

/* ---- the whole build ---- */

static int builder_init(struct builder *b, const struct build_spec *spec, const char *dir, struct build_stats *st,
			struct err *e)
{
	size_t i;

	memset(b, 0, sizeof(*b));
	b->spec = spec;
	b->st = st;
	b->src = calloc(spec->nsources ? spec->nsources : 1, sizeof(*b->src));
	b->small = malloc(BUILD_SMALL_MAX + 1);
	b->blk = malloc(STREAM_BLOCK);
	b->sample = malloc(BUILD_SAMPLE);
	b->zout_cap = ZSTD_compressBound(BUILD_SAMPLE);
	b->zout = malloc(b->zout_cap);
	b->zc = ZSTD_createCCtx();
	b->packdir = malloc(strlen(dir) + sizeof("/" BUNDLE_PACKDIR));
	if (!b->src || !b->small || !b->blk || !b->sample || !b->zout || !b->zc || !b->packdir)
		return err_set(e, AE_NOMEM, "out of memory");
	snprintf(b->packdir, strlen(dir) + sizeof("/" BUNDLE_PACKDIR), "%s/%s", dir, BUNDLE_PACKDIR);
	for (i = 0; i < spec->nsources; i++)
		b->src[i] = &spec->sources[i];
	if (spec->nsources)
		qsort(b->src, spec->nsources, sizeof(*b->src), cmp_source_ptr);
	for (i = 1; i < spec->nsources; i++)
		if (!strcmp(b->src[i - 1]->name, b->src[i]->name))
			return err_set(e, AE_STATE, "source '%s' is configured twice", b->src[i]->name);
	return 0;
}

static void builder_release(struct builder *b)
{
	size_t i;

	for (i = 0; i < NCLS; i++)
		pack_release(&b->pw[i]);
	for (i = 0; i < b->nfiles; i++)
		free(b->files[i].path);
	free(b->files);
	free(b->objs);
	free(b->slots);
	free(b->src);
	free(b->small);
	free(b->blk);
	free(b->sample);
	free(b->zout);
	ZSTD_freeCCtx(b->zc);
	free(b->packdir);
}

static int fill_header(const struct build_spec *s, struct builder *b, struct manifest *m, struct err *e)
{
	size_t i;
	int r;

	m->format = MANIFEST_FORMAT;
	m->channel = strdup(s->channel);
	if (!m->channel)
		return err_set(e, AE_NOMEM, "out of memory");
	m->sequence = s->sequence;
	m->created = s->created;
	m->expires = s->expires;
	m->has_previous = s->has_previous;
	if (s->has_previous)
		memcpy(m->previous, s->previous, SHA256_LEN);
	m->base = s->base ? s->base_sequence : 0;
	for (i = 0; i < s->nsources; i++) {
		r = manifest_add_source(m, b->src[i]->name, b->src[i]->kind, e);
		if (r)
			return r;
	}
	return 0;
}

int build_run(const struct build_spec *spec, const char *dir, struct manifest *m, struct buf *raw,
	      uint8_t sha[SHA256_LEN], struct build_stats *st, struct err *e)
{
	struct manifest check;
	struct builder b;
	struct buf path;
	uint64_t total = 0;
	size_t i;
	int r, c;

	memset(st, 0, sizeof(*st));
	manifest_init(&check);
	buf_init(&path, 8192);
	r = builder_init(&b, spec, dir, st, e);
	if (r)
		goto out;
	if (!name_valid(spec->channel, strlen(spec->channel))) {
		r = err_set(e, AE_USAGE, "'%s' is not a valid channel name", spec->channel);
		goto out;
	}
	if (spec->sequence < 1 || spec->expires <= spec->created) {
		r = err_set(e, AE_USAGE, "a bundle needs a sequence >= 1 and an expiry after its creation");
		goto out;
	}
	if (!spec->nsources) {
		r = err_set(e, AE_STATE, "there are no sources to export: add one with "
					 "'airlock source add NAME --dir PATH'");
		goto out;
	}
	r = fill_header(spec, &b, m, e);
	if (r)
		goto out;
	r = buf_addf(&path, e, "%s/%s", dir, BUNDLE_SIGDIR);
	if (!r && mkdir(path.ptr, 0755) < 0)
		r = err_errno(e, errno, "cannot create folder '%s'", path.ptr);
	if (!r && mkdir(b.packdir, 0755) < 0)
		r = err_errno(e, errno, "cannot create folder '%s'", b.packdir);
	if (r)
		goto out;

	r = walk_sources(&b, e);
	if (r)
		goto out;
	if (!b.nfiles) {
		r = err_set(e, AE_STATE, "the sources hold no files: put files in them, or add one with "
					 "'airlock source add NAME --dir PATH'");
		goto out;
	}
	for (i = 0; i < b.nfiles; i++)
		total += b.files[i].size > BUILD_SMALL_MAX ? 2 * b.files[i].size : b.files[i].size;
	progress_start(&b.prog, "export", total, spec->quiet);
	for (i = 0; i < b.nfiles; i++) {
		r = add_file(&b, &b.files[i], m, e);
		if (r)
			goto out;
	}
	progress_done(&b.prog);

	for (c = 0; c < NCLS; c++) {
		if (!b.pack_id[c])
			continue;
		r = pack_close(&b.pw[c], m, e);
		if (r)
			goto out;
	}
	for (i = 0; i < b.nobjs; i++) {
		struct manifest_object mo;

		memset(&mo, 0, sizeof(mo));
		memcpy(mo.sha256, b.objs[i].sha, SHA256_LEN);
		mo.size = b.objs[i].size;
		mo.pack = b.objs[i].cls == CLS_BASE ? 0 : b.pack_id[b.objs[i].cls];
		r = manifest_add_object(m, &mo, e);
		if (r)
			goto out;
	}
	r = manifest_canonicalize(m, e);
	if (r)
		goto out;
	r = manifest_write(m, raw, e);
	if (r) {
		err_prefix(e, "cannot write the manifest");
		goto out;
	}
	/* never sign what the import side would refuse: read it back with the one parser it will use */
	r = manifest_parse(&check, raw->ptr, raw->len, e);
	if (r) {
		err_prefix(e, "the manifest just built does not parse back (a bug)");
		goto out;
	}
	sha256_buf(raw->ptr, raw->len, sha);
	buf_reset(&path);
	r = buf_addf(&path, e, "%s/%s", dir, BUNDLE_MANIFEST);
	if (!r)
		r = fs_write_atomic(path.ptr, raw->ptr, raw->len, 0644, e);
	if (r)
		goto out;
	st->objects = b.nobjs;
	st->packs = m->npacks;
	st->parts = m->nparts;
	for (i = 0; i < m->npacks; i++)
		st->pack_bytes += m->packs[i].size;
	r = 0;
out:
	/* end the bar's line without drawing it full, so that the error reads on a line of its own */
	if (b.prog.active) {
		fputc('\n', stderr);
		b.prog.active = 0;
	}
	manifest_release(&check);
	buf_release(&path);
	builder_release(&b);
	return r;
}
