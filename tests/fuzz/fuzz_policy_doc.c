#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "verify/policy_doc.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A trust policy change arrives on media: whatever the parser accepts must
 * be canonical (written back byte for byte) and self-consistent; whatever it
 * refuses must say which line.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_doc d;
	struct buf out;
	struct err e;

	err_clear(&e);
	if (policy_doc_parse(&d, (const char *)data, size, &e) != 0) {
		if (strncmp(e.msg, "policy", 6) != 0) {
			fprintf(stderr, "rejection without 'policy' prefix: %s\n", e.msg);
			abort();
		}
		return 0;
	}
	if (d.threshold < 1 || d.threshold > d.nsigners || d.expires <= d.created) {
		fprintf(stderr, "accepted an inconsistent policy\n");
		abort();
	}
	buf_init(&out, POLICY_DOC_MAX);
	if (policy_doc_write(&d, &out, &e) != 0 || out.len != size || memcmp(out.ptr, data, size) != 0) {
		fprintf(stderr, "write(parse(x)) != x\n");
		abort();
	}
	buf_release(&out);
	return 0;
}
