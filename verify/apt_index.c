#include "verify/apt_index.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "lib/banned.h"
/* bookworm main amd64 has 63,440 stanzas; this leaves room for any real index */
#define INDEX_MAX_PKGS ((size_t)1 << 22)
#define ARENA_BLOCK ((size_t)1 << 20)

/*
 * Every string of an index goes into large blocks freed together: 63,000
 * stanzas make six strings each, and one malloc per string would double the
 * memory and the time.
 */
struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	char data[];
};

/* n + 1 bytes that live as long as the index. */
static char *arena_alloc(struct apt_index *ix, size_t n, struct err *e)
{
	struct arena_block *b = ix->arena;
	char *s;

	if (!b || b->cap - b->used < n + 1) {
		size_t cap = n + 1 > ARENA_BLOCK ? n + 1 : ARENA_BLOCK;

		b = malloc(sizeof(*b) + cap);
		if (!b) {
			err_set(e, AE_NOMEM, "out of memory");
			return NULL;
		}
		b->next = ix->arena;
		b->used = 0;
		b->cap = cap;
		ix->arena = b;
	}
	s = b->data + b->used;
	b->used += n + 1;
	return s;
}

static char *arena_strndup(struct apt_index *ix, const char *p, size_t n, struct err *e)
{
	char *s = arena_alloc(ix, n, e);

	if (!s)
		return NULL;
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

void apt_index_free(struct apt_index *ix)
{
	struct arena_block *b = ix->arena, *next;

	while (b) {
		next = b->next;
		free(b);
		b = next;
	}
	free(ix->pkgs);
	memset(ix, 0, sizeof(*ix));
}

/* Debian policy allows [a-z0-9][a-z0-9+.-]+; apt also reads uppercase and '_' from third parties. */
int apt_pkg_name_valid(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > 255)
		return 0;
	for (i = 0; i < n; i++) {
		char c = p[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '+' && c != '.' && c != '-' && c != '_')))
			return 0;
	}
	return 1;
}

/* Relations may be folded over lines; keep them on one line for the selector and for messages. */
static char *arena_relation(struct apt_index *ix, struct slice a, struct slice b, struct err *e)
{
	size_t n = a.len + (a.len && b.len ? 2 : 0) + b.len, i;
	char *d = arena_alloc(ix, n, e);

	if (!d)
		return NULL;
	if (a.len)
		memcpy(d, a.ptr, a.len);
	i = a.len;
	if (a.len && b.len) {
		d[i++] = ',';
		d[i++] = ' ';
	}
	if (b.len)
		memcpy(d + i, b.ptr, b.len);
	for (i = 0; i < n; i++)
		if (d[i] == '\n' || d[i] == '\t')
			d[i] = ' ';
	d[n] = '\0';
	return d;
}

static int load_one(struct apt_index *ix, struct deb822_reader *r, const struct deb822_para *para,
		    struct err *e)
{
	struct slice name = deb822_get(para, "Package"), ver = deb822_get(para, "Version"),
		     arch = deb822_get(para, "Architecture"), file = deb822_get(para, "Filename"),
		     size = deb822_get(para, "Size"), sum = deb822_get(para, "SHA256"),
		     pre = deb822_get(para, "Pre-Depends"), dep = deb822_get(para, "Depends"),
		     prov = deb822_get(para, "Provides");
	struct apt_pkg *p;
	char vbuf[APT_VERSION_MAX + 1];

	if (!name.ptr || !ver.ptr || !arch.ptr || !file.ptr || !size.ptr || !sum.ptr)
		return err_reject(e, "'%s' line %u: stanza without %s", r->name, para->line,
				  !name.ptr   ? "Package"
				  : !ver.ptr  ? "Version"
				  : !arch.ptr ? "Architecture"
				  : !file.ptr ? "Filename"
				  : !size.ptr ? "Size"
					      : "SHA256");
	if (!apt_pkg_name_valid(name.ptr, name.len))
		return err_reject(e, "'%s' line %u: invalid package name", r->name, para->line);
	if (ver.len > APT_VERSION_MAX)
		return err_reject(e, "'%s' line %u: version too long", r->name, para->line);
	memcpy(vbuf, ver.ptr, ver.len);
	vbuf[ver.len] = '\0';
	if (!apt_version_valid(vbuf))
		return err_reject(e, "'%s' line %u: invalid version '%s'", r->name, para->line, vbuf);
	if (!apt_pkg_name_valid(arch.ptr, arch.len))
		return err_reject(e, "'%s' line %u: invalid architecture", r->name, para->line);
	if (!apt_path_valid(file.ptr, file.len))
		return err_reject(e, "'%s' line %u: Filename is not a plain relative path", r->name,
				  para->line);
	if (ix->n == ix->cap) {
		size_t cap = ix->cap ? ix->cap * 2 : 1024;
		struct apt_pkg *np;

		if (ix->n >= INDEX_MAX_PKGS)
			return err_set(e, AE_TOOBIG, "'%s': more than %zu packages", r->name, INDEX_MAX_PKGS);
		np = realloc(ix->pkgs, cap * sizeof(*np));
		if (!np)
			return err_set(e, AE_NOMEM, "out of memory");
		ix->pkgs = np;
		ix->cap = cap;
	}
	p = &ix->pkgs[ix->n];
	memset(p, 0, sizeof(*p));
	if (parse_u64(size.ptr, size.len, &p->size) != 0)
		return err_reject(e, "'%s' line %u: bad Size", r->name, para->line);
	if (!is_sha256_hex(sum.ptr, sum.len) || hex_decode(sum.ptr, sum.len, p->sha256, SHA256_LEN) != 0)
		return err_reject(e, "'%s' line %u: bad SHA256", r->name, para->line);
	/* most stanzas share the architecture of the one before */
	if (ix->n && strlen(ix->pkgs[ix->n - 1].arch) == arch.len &&
	    memcmp(ix->pkgs[ix->n - 1].arch, arch.ptr, arch.len) == 0)
		p->arch = ix->pkgs[ix->n - 1].arch;
	else if (!(p->arch = arena_strndup(ix, arch.ptr, arch.len, e)))
		return -e->code;
	if (!ix->arch && strcmp(p->arch, "all") != 0)
		ix->arch = p->arch;
	if (!(p->name = arena_strndup(ix, name.ptr, name.len, e)) ||
	    !(p->version = arena_strndup(ix, ver.ptr, ver.len, e)) ||
	    !(p->filename = arena_strndup(ix, file.ptr, file.len, e)) ||
	    !(p->depends = arena_relation(ix, pre, dep, e)) ||
	    !(p->provides = arena_relation(ix, prov, SLICE_NULL, e)))
		return -e->code;
	ix->n++;
	return 0;
}

int apt_index_load(struct apt_index *ix, struct deb822_reader *r, struct err *e)
{
	struct deb822_para *para = NULL;
	int rc;

	memset(ix, 0, sizeof(*ix));
	para = malloc(sizeof(*para));
	if (!para) {
		rc = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	while ((rc = deb822_next(r, para, e)) > 0)
		if ((rc = load_one(ix, r, para, e)) != 0)
			goto out;
out:
	free(para);
	if (rc < 0)
		apt_index_free(ix);
	return rc < 0 ? rc : 0;
}

/* ---- selection ---- */


