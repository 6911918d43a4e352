/*
 * The ISO9660 reader on hostile images: open, walk, stat and read every
 * regular file.  Whatever the bytes, it must end in a result or a clean
 * refusal (AE_REJECT, AE_IO), never a crash, a leak, a path we could not
 * use, or more bytes than the entry declared.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "media/volume.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bytes read per file and per input: enough to cross many blocks, bounded for speed. */
#define FILE_CAP (1u << 20)
#define INPUT_CAP (4u << 20)

static int img_fd = -1;
static char spec[64];

struct found {
	char *path;
	enum volume_type type;
	uint64_t size;
};

struct walk {
	struct found *f;
	size_t n, cap;
};

/* Every path the walk reports must be one the path rules would let us ask for. */
static void check_path(const char *p)
{
	const char *c = p;
	size_t comp = 0, depth = 1;

	if (!*p || *p == '/')
		abort();
	for (;; c++) {
		if (*c == '/' || !*c) {
			if (comp == 0 || comp > 255)
				abort();
			if ((comp == 1 && c[-1] == '.') || (comp == 2 && c[-1] == '.' && c[-2] == '.'))
				abort();
			if (!*c)
				break;
			comp = 0;
			depth++;
			continue;
		}
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			abort();
		comp++;
	}
	if (depth > VOLUME_MAX_DEPTH)
		abort();
}

static int collect(const struct volume_entry *ent, void *arg)
{
	struct walk *w = arg;

	check_path(ent->path);
	if (ent->type != VENT_FILE && ent->type != VENT_DIR && ent->type != VENT_OTHER)
		abort();
	if (w->n == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 16;
		struct found *nf = realloc(w->f, ncap * sizeof(*nf));

		if (!nf)
			abort();
		w->f = nf;
		w->cap = ncap;
	}
	w->f[w->n].path = strdup(ent->path);
	if (!w->f[w->n].path)
		abort();
	w->f[w->n].type = ent->type;
	w->f[w->n].size = ent->size;
	w->n++;
	return 0;
}

static void check_refusal(const struct err *e, int r)
{
	if (r >= 0 || -r != e->code)
		abort();
	if (e->code != AE_REJECT && e->code != AE_IO && e->code != AE_NOMEM)
		abort();
}

/*
 * One image file per process, unlinked at once and reached through
 * /proc/self/fd: libFuzzer ends with _Exit(), so nothing is left in /tmp.
 */
static void write_input(const uint8_t *data, size_t size)
{
	size_t done = 0;

	if (img_fd < 0) {
		const char *dir = getenv("TMPDIR");
		char img[4096];

		snprintf(img, sizeof(img), "%s/fuzz_iso-XXXXXX", dir && *dir ? dir : "/tmp");
		img_fd = mkostemp(img, O_CLOEXEC);
		if (img_fd < 0)
			abort();
		unlink(img);
		snprintf(spec, sizeof(spec), "iso:/proc/self/fd/%d", img_fd);
	}
	if (ftruncate(img_fd, 0) < 0)
		abort();
	while (done < size) {
		ssize_t k = pwrite(img_fd, data + done, size - done, (off_t)done);

		if (k <= 0)
			abort();
		done += (size_t)k;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char chunk[65536];
	struct volume *v = NULL;
	struct walk w = { 0 };
	uint64_t total = 0;
	struct err e;
	size_t i;
	int r;

	write_input(data, size);
	err_clear(&e);
	r = volume_open(&v, spec, &e);
	if (r) {
		check_refusal(&e, r);
		return 0;
	}
	if (volume_kind(v) != VOLUME_ISO)
		abort();
	r = volume_walk(v, collect, &w, &e);
	if (r)
		check_refusal(&e, r);

	/* Read what the walk saw (all of it, even after a refusal further on). */
	for (i = 0; i < w.n && total < INPUT_CAP; i++) {
		struct volume_file *f = NULL;
		struct volume_entry ent;
		uint64_t got = 0;
		ssize_t k = 0;

		err_clear(&e);
		r = volume_stat(v, w.f[i].path, &ent, &e);
		if (r) {
			check_refusal(&e, r);
			continue;
		}
		if (ent.type != w.f[i].type || ent.size != w.f[i].size)
			abort();
		r = volume_file_open(v, w.f[i].path, &f, &e);
		if (w.f[i].type != VENT_FILE) {
			if (r != -AE_REJECT || f)
				abort();
			continue;
		}
		if (r) {
			check_refusal(&e, r);
			continue;
		}
		while (got < FILE_CAP && (k = volume_file_read(f, chunk, sizeof(chunk), &e)) > 0) {
			got += (uint64_t)k;
			if (got > w.f[i].size)
				abort();
		}
		if (k < 0)
			check_refusal(&e, (int)k);
		else if (k == 0 && got != w.f[i].size)
			abort();
		total += got;
		volume_file_close(f);

		/* A small cap must refuse cleanly, never overflow. */
		{
			struct buf b;

			buf_init(&b, 100);
			err_clear(&e);
			r = volume_read_all(v, w.f[i].path, &b, &e);
			if (r && r != -AE_TOOBIG)
				check_refusal(&e, r);
			if (!r && (b.len != w.f[i].size || b.len > 100))
				abort();
			buf_release(&b);
		}
	}
	for (i = 0; i < w.n; i++)
		free(w.f[i].path);
	free(w.f);
	volume_close(v);
	return 0;
}
