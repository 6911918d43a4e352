#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "verify/manifest.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_written(const struct manifest *m, const uint8_t *data, size_t size, const char *what)
{
	struct buf out;
	struct err e;

	err_clear(&e);
	buf_init(&out, MANIFEST_MAX_BYTES);
	if (manifest_write(m, &out, &e) != 0) {
		fprintf(stderr, "%s: write failed after a successful parse: %s\n", what, e.msg);
		abort();
	}
	if (out.len != size || memcmp(out.ptr, data, size) != 0) {
		fprintf(stderr, "%s: write(parse(x)) != x\n", what);
		abort();
	}
	buf_release(&out);
}

/*
 * The manifest is canonical: anything the parser accepts must be written back
 * byte for byte, and sorting it again must change nothing.  Rejections must
 * leave the manifest released and a message naming the line.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest m;
	struct err e;
	size_t i;

	/* the path rules on their own, with bytes no manifest line could carry */
	err_clear(&e);
	if (manifest_path_valid((const char *)data, size, &e) != 0 && e.code != AE_REJECT)
		abort();

	err_clear(&e);
	if (manifest_parse(&m, (const char *)data, size, &e) != 0) {
		if (m.files || m.objects || m.channel || m.sources || m.packs || m.parts)
			abort();
		if (e.code == AE_NOMEM)
			return 0;
		if (e.code != AE_REJECT || strncmp(e.msg, "manifest", 8) != 0)
			abort();
		return 0;
	}
	check_written(&m, data, size, "parse");
	if (manifest_canonicalize(&m, &e) != 0) {
		fprintf(stderr, "canonicalize refused a parsed manifest: %s\n", e.msg);
		abort();
	}
	check_written(&m, data, size, "canonicalize");
	for (i = 0; i < m.nobjects; i++)
		if (manifest_find_object(&m, m.objects[i].sha256) != &m.objects[i])
			abort();
	for (i = 0; i < m.npacks; i++)
		if (manifest_find_pack(&m, m.packs[i].id) != &m.packs[i])
			abort();
	for (i = 0; i < m.nfiles; i++) {
		err_clear(&e);
		if (manifest_path_valid(m.files[i].path, strlen(m.files[i].path), &e) != 0)
			abort();
	}
	manifest_release(&m);
	return 0;
}
