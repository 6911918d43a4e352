#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "verify/deb822.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Hands out the input in pieces of 1 to 7 bytes, the sizes taken from the input itself. */
struct feed {
	const uint8_t *p;
	size_t len, pos, k;
};

static ssize_t feed_read(void *arg, void *p, size_t n, struct err *e)
{
	struct feed *f = arg;
	size_t chunk = 1 + (f->len ? f->p[f->k++ % f->len] % 7 : 0);

	if (n > chunk)
		n = chunk;
	if (n > f->len - f->pos)
		n = f->len - f->pos;
	memcpy(p, f->p + f->pos, n);
	f->pos += n;
	return (ssize_t)n;
}

static int same_slice(struct slice a, struct slice b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static void check_para(const struct deb822_para *p)
{
	size_t i;

	if (p->nfields == 0 || p->nfields > DEB822_MAX_FIELDS || p->raw.len > DEB822_MAX_PARA)
		abort();
	for (i = 0; i < p->nfields; i++) {
		const struct deb822_field *f = &p->fields[i];
		char name[256];
		struct slice got;

		if (f->name.len == 0 || memchr(f->name.ptr, ':', f->name.len))
			abort();
		if (f->name.ptr < p->raw.ptr || f->value.ptr + f->value.len > p->raw.ptr + p->raw.len)
			abort();
		if (f->name.len >= sizeof(name))
			continue;
		memcpy(name, f->name.ptr, f->name.len);
		name[f->name.len] = '\0';
		/* names are unique, so lookup finds this very field */
		got = deb822_get(p, name);
		if (got.ptr != f->value.ptr || got.len != f->value.len)
			abort();
	}
}

/* The memory reader and the chunked stream reader must agree stanza by stanza, error by error. */
static void compare_readers(const uint8_t *data, size_t size)
{
	struct deb822_reader rm, rs;
	struct deb822_para *pm = malloc(sizeof(*pm)), *ps = malloc(sizeof(*ps));
	struct feed f = {data, size, 0, 0};
	struct err em, es;
	int a, b;
	size_t i;

	if (!pm || !ps)
		abort();
	err_clear(&em);
	err_clear(&es);
	deb822_reader_init_mem(&rm, (const char *)data, size, "fuzz");
	deb822_reader_init(&rs, feed_read, &f, "fuzz");
	for (;;) {
		a = deb822_next(&rm, pm, &em);
		b = deb822_next(&rs, ps, &es);
		if (a != b) {
			fprintf(stderr, "memory reader %d, stream reader %d (%s / %s)\n", a, b, em.msg,
				es.msg);
			abort();
		}
		if (a <= 0)
			break;
		check_para(pm);
		if (pm->line != ps->line || pm->nfields != ps->nfields || !same_slice(pm->raw, ps->raw))
			abort();
		for (i = 0; i < pm->nfields; i++)
			if (!same_slice(pm->fields[i].name, ps->fields[i].name) ||
			    !same_slice(pm->fields[i].value, ps->fields[i].value))
				abort();
	}
	if (a < 0) {
		if (em.code != AE_REJECT && em.code != AE_TOOBIG && em.code != AE_NOMEM)
			abort();
		if (strcmp(em.msg, es.msg) != 0 || strncmp(em.msg, "'fuzz' line ", 12) != 0)
			abort();
	}
	deb822_reader_release(&rm);
	deb822_reader_release(&rs);
	free(pm);
	free(ps);
}

static void check_release(const uint8_t *data, size_t size)
{
	struct apt_release rel;
	struct err e;
	size_t i;

	err_clear(&e);
	if (apt_release_parse(&rel, (const char *)data, size, &e) != 0) {
		if (rel.files || rel.origin || rel.nfiles)
			abort();
		if (e.code != AE_REJECT && e.code != AE_TOOBIG && e.code != AE_NOMEM)
			abort();
		return;
	}
	if (rel.nfiles == 0)
		abort();
	for (i = 0; i < rel.nfiles; i++) {
		if (!apt_path_valid(rel.files[i].path, strlen(rel.files[i].path)))
			abort();
		if (i && strcmp(rel.files[i - 1].path, rel.files[i].path) >= 0)
			abort();
		if (apt_release_find(&rel, rel.files[i].path) != &rel.files[i])
			abort();
	}
	apt_release_free(&rel);
}

/* dpkg's order is total: antisymmetric and reflexive on any two strings. */
static void check_versions(const uint8_t *data, size_t size)
{
	char a[128], b[128];
	const uint8_t *nl = memchr(data, '\n', size);
	size_t la = nl ? (size_t)(nl - data) : size, lb = nl ? size - la - 1 : 0;
	int ab, ba;

	if (la >= sizeof(a) || lb >= sizeof(b) || memchr(data, '\0', size))
		return;
	memcpy(a, data, la);
	a[la] = '\0';
	memcpy(b, nl ? nl + 1 : data, lb);
	b[lb] = '\0';
	ab = apt_version_cmp(a, b);
	ba = apt_version_cmp(b, a);
	if ((ab < 0) != (ba > 0) || (ab == 0) != (ba == 0) || apt_version_cmp(a, a) != 0)
		abort();
	(void)apt_version_valid(a);
	(void)apt_version_valid(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	compare_readers(data, size);
	check_release(data, size);
	check_versions(data, size);
	return 0;
}
