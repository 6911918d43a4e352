#ifndef AIRLOCK_COMPRESS_H
#define AIRLOCK_COMPRESS_H

#include <stddef.h>

#include "lib/err.h"

/*
 * gzip (zlib) and xz (liblzma, multi-threaded) writers for the indexes
 * publish generates.  A compressor pushes its output through a sink, so
 * that the caller hashes and writes it as it streams.
 */

typedef int (*compress_sink)(void *arg, const void *p, size_t n, struct err *e);

enum compress_kind { COMPRESS_GZ, COMPRESS_XZ };

struct compressor;

int compress_open(struct compressor **out, enum compress_kind kind, compress_sink sink, void *arg,
		  struct err *e) AL_WUR;
int compress_write(struct compressor *c, const void *p, size_t n, struct err *e) AL_WUR;
/* Flush the end of the stream through the sink. */
int compress_finish(struct compressor *c, struct err *e) AL_WUR;
/* NULL is fine. */
void compress_free(struct compressor *c);

#endif
