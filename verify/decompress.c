#include "verify/decompress.h"

#include <archive.h>
#include <stdlib.h>

#include "lib/banned.h"

struct decomp {
	struct archive *a;
	const char *path;
	uint64_t total;
};

int decomp_open(struct decomp **out, const char *path, struct err *e)
{
	struct archive_entry *ent;
	struct decomp *d = calloc(1, sizeof(*d));

	*out = NULL;
	if (!d || !(d->a = archive_read_new())) {
		free(d);
		return err_set(e, AE_NOMEM, "out of memory");
	}
	d->path = path;
	/* only what apt indexes come in: no archive formats, no other filters */
	archive_read_support_format_raw(d->a);
	archive_read_support_filter_xz(d->a);
	archive_read_support_filter_gzip(d->a);
	if (archive_read_open_filename(d->a, path, 1 << 16) != ARCHIVE_OK ||
	    archive_read_next_header(d->a, &ent) != ARCHIVE_OK) {
		int r = err_reject(e, "'%s': cannot decompress: %s", path, archive_error_string(d->a));

		decomp_close(d);
		return r;
	}
	*out = d;
	return 0;
}

ssize_t decomp_read(void *arg, void *p, size_t n, struct err *e)
{
	struct decomp *d = arg;
	la_ssize_t got = archive_read_data(d->a, p, n);

	if (got < 0)
		return err_reject(e, "'%s': damaged compressed data: %s", d->path, archive_error_string(d->a));
	d->total += (uint64_t)got;
	if (d->total > DECOMPRESS_MAX)
		return err_reject(e, "'%s': decompresses to more than %llu bytes", d->path,
				  (unsigned long long)DECOMPRESS_MAX);
	return got;
}

void decomp_close(struct decomp *d)
{
	if (!d)
		return;
	archive_read_free(d->a);
	free(d);
}
