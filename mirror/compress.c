#include "mirror/compress.h"

#include <lzma.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/banned.h"

#define OUTBUF ((size_t)256 << 10)
/*
 * xz preset 1: apt's indexes are text that compresses well at any level.
 * On Debian's 50 MB main index -1 takes ~3.5 s where -3 takes ~13 s and
 * the default -6 longer still (bench/publish), for about a tenth more
 * bytes; that keeps publishing a whole suite in seconds.  Unchanged
 * indexes are never compressed twice (pubcache).
 */
#define XZ_PRESET 1

struct compressor {
	enum compress_kind kind;
	compress_sink sink;
	void *arg;
	z_stream z;
	lzma_stream x;
	int inited;
	unsigned char out[OUTBUF];
};

int compress_open(struct compressor **out, enum compress_kind kind, compress_sink sink, void *arg, struct err *e)
{
	struct compressor *c = calloc(1, sizeof(*c));
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	*out = NULL;
	if (!c)
		return err_set(e, AE_NOMEM, "out of memory");
	c->kind = kind;
	c->sink = sink;
	c->arg = arg;
	if (kind == COMPRESS_GZ) {
		/* 15 + 16: a gzip header and trailer around the deflate stream, as gzip(1) writes */
		if (deflateInit2(&c->z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
			free(c);
			return err_set(e, AE_NOMEM, "cannot start a gzip stream");
		}
	} else {
		lzma_mt mt = {
			.threads = ncpu > 0 ? (uint32_t)(ncpu > 16 ? 16 : ncpu) : 1,
			.preset = XZ_PRESET,
			.check = LZMA_CHECK_CRC64,
		};
		lzma_stream init = LZMA_STREAM_INIT;

		c->x = init;
		if (lzma_stream_encoder_mt(&c->x, &mt) != LZMA_OK) {
			free(c);
			return err_set(e, AE_NOMEM, "cannot start an xz stream");
		}
	}
	c->inited = 1;
	*out = c;
	return 0;
}

static int run(struct compressor *c, const void *p, size_t n, int finish, struct err *e)
{
	int r;

	if (c->kind == COMPRESS_GZ) {
		c->z.next_in = (Bytef *)(uintptr_t)p;
		c->z.avail_in = (uInt)n;
		for (;;) {
			int zr;

			c->z.next_out = c->out;
			c->z.avail_out = (uInt)sizeof(c->out);
			zr = deflate(&c->z, finish ? Z_FINISH : Z_NO_FLUSH);
			if (zr == Z_STREAM_ERROR)
				return err_set(e, AE_IO, "gzip compression failed");
			if (sizeof(c->out) - c->z.avail_out &&
			    (r = c->sink(c->arg, c->out, sizeof(c->out) - c->z.avail_out, e)))
				return r;
			if (finish ? zr == Z_STREAM_END : c->z.avail_in == 0 && c->z.avail_out != 0)
				return 0;
		}
	}
	c->x.next_in = p;
	c->x.avail_in = n;
	for (;;) {
		lzma_ret lr;

		c->x.next_out = c->out;
		c->x.avail_out = sizeof(c->out);
		lr = lzma_code(&c->x, finish ? LZMA_FINISH : LZMA_RUN);
		if (lr != LZMA_OK && lr != LZMA_STREAM_END)
			return err_set(e, lr == LZMA_MEM_ERROR ? AE_NOMEM : AE_IO, "xz compression failed (%d)", (int)lr);
		if (sizeof(c->out) - c->x.avail_out && (r = c->sink(c->arg, c->out, sizeof(c->out) - c->x.avail_out, e)))
			return r;
		if (finish ? lr == LZMA_STREAM_END : c->x.avail_in == 0 && c->x.avail_out != 0)
			return 0;
	}
}

/* zlib counts in uInt: feed big writes in pieces. */
int compress_write(struct compressor *c, const void *p, size_t n, struct err *e)
{
	const unsigned char *q = p;
	int r;

	while (n) {
		size_t k = n > ((size_t)1 << 30) ? (size_t)1 << 30 : n;

		r = run(c, q, k, 0, e);
		if (r)
			return r;
		q += k;
		n -= k;
	}
	return 0;
}

int compress_finish(struct compressor *c, struct err *e)
{
	return run(c, "", 0, 1, e);
}

void compress_free(struct compressor *c)
{
	if (!c)
		return;
	if (c->inited) {
		if (c->kind == COMPRESS_GZ)
			deflateEnd(&c->z);
		else
			lzma_end(&c->x);
	}
	free(c);
}
