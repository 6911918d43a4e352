#include "mirror/aptview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/fs.h"
#include "mirror/store.h"
#include "verify/decompress.h"
#include "verify/gpg.h"
#include "verify/policy.h"
#include "lib/banned.h"

#define RELEASE_MAX ((size_t)64 << 20)

/* "Packages" 0, ".xz" 1, ".gz" 2: any is the same index; the plain one costs nothing to read. */
static int variant_rank(const char *base)
{
	if (!strcmp(base, "Packages"))
		return 0;
	if (!strcmp(base, "Packages.xz"))
		return 1;
	if (!strcmp(base, "Packages.gz"))
		return 2;
	return -1;
}

/* "dists/<suite>/<comp>/binary-<arch>/Packages[.xz|.gz]" under the view's suite. */
static int add_index(struct aptview *v, const char *path, const char *object, struct err *e)
{
	size_t sl = strlen(v->suite);
	const char *rel, *bin, *base, *arch_end;
	int rank;
	size_t i, clen, alen;

	if (strncmp(path, "dists/", 6) || strncmp(path + 6, v->suite, sl) || path[6 + sl] != '/')
		return 0;
	rel = path + 6 + sl + 1;
	if (strstr(rel, "/by-hash/"))
		return 0;
	base = strrchr(rel, '/');
	if (!base || (rank = variant_rank(base + 1)) < 0)
		return 0;
	/* the folder before the file must be binary-<arch>, the rest before it the component */
	for (bin = base; bin > rel && bin[-1] != '/'; bin--)
		;
	if (bin == rel || strncmp(bin, "binary-", 7))
		return 0;
	arch_end = base;
	clen = (size_t)(bin - 1 - rel);
	alen = (size_t)(arch_end - bin - 7);
	if (!clen || !alen || clen >= sizeof(v->ix[0].comp) || alen >= sizeof(v->ix[0].arch))
		return 0;
	for (i = 0; i < v->nix; i++)
		if (strlen(v->ix[i].comp) == clen && !memcmp(v->ix[i].comp, rel, clen) &&
		    strlen(v->ix[i].arch) == alen && !memcmp(v->ix[i].arch, bin + 7, alen))
			break;
	if (i == v->nix) {
		if (v->nix == APTVIEW_MAX_INDEXES)
			return err_set(e, AE_TOOBIG, "apt source '%s' has more than %d Packages indexes", v->source,
				       APTVIEW_MAX_INDEXES);
		memcpy(v->ix[i].comp, rel, clen);
		v->ix[i].comp[clen] = '\0';
		memcpy(v->ix[i].arch, bin + 7, alen);
		v->ix[i].arch[alen] = '\0';
		v->ix[i].rank = 99;
		v->nix++;
	}
	if (rank < v->ix[i].rank) {
		v->ix[i].rank = rank;
		snprintf(v->ix[i].object, sizeof(v->ix[i].object), "%s", object);
	}
	return 0;
}

static int cmp_index(const void *a, const void *b)
{
	const struct aptview_index *x = a, *y = b;
	int c = strcmp(x->comp, y->comp);

	return c ? c : strcmp(x->arch, y->arch);
}

int aptview_load(struct db *db, const char *source, int64_t snapshot, struct aptview *v, struct err *e)
{
	struct db_stmt *st = NULL;
	int r;

	memset(v, 0, sizeof(*v));
	if (strlen(source) >= sizeof(v->source))
		return err_set(e, AE_NOTFOUND, "'%s' is not an apt source", source);
	snprintf(v->source, sizeof(v->source), "%s", source);
	v->snapshot = snapshot;
	r = db_prepare(db,
		       "SELECT f.path, f.object, s.imported FROM file f JOIN snapshot s ON s.id = f.snapshot"
		       " WHERE f.snapshot = ? AND f.source = ? AND f.path GLOB 'dists/*'"
		       " ORDER BY f.path",
		       &st, e);
	if (!r)
		r = db_bind_int(st, 1, snapshot, e);
	if (!r)
		r = db_bind_text(st, 2, source, e);
	/* first the signed Release: it names the suite */
	while (!r && (r = db_step(st, e)) == 1) {
		const char *path = db_col_text(st, 0), *suite = path + 6, *slash = strchr(suite, '/');
		size_t n;

		v->imported = db_col_int(st, 2);
		if (!slash || strchr(slash + 1, '/'))
			continue;
		n = (size_t)(slash - suite);
		if (n >= sizeof(v->suite))
			continue;
		if (!strcmp(slash + 1, "InRelease") || !strcmp(slash + 1, "Release"))
			snprintf(v->release, sizeof(v->release), "%s", db_col_text(st, 1));
		else if (!strcmp(slash + 1, "Release.gpg"))
			snprintf(v->relgpg, sizeof(v->relgpg), "%s", db_col_text(st, 1));
		else
			continue;
		memcpy(v->suite, suite, n);
		v->suite[n] = '\0';
		/* an InRelease wins over Release + Release.gpg, as apt prefers it */
		if (!strcmp(slash + 1, "InRelease"))
			v->relgpg[0] = '\0';
	}
	if (r < 0)
		goto out;
	r = 0;
	if (!v->release[0]) {
		r = err_set(e, AE_NOTFOUND, "'%s' carries no apt Release in snapshot %lld", source,
			    (long long)snapshot);
		goto out;
	}
	db_reset(st); /* and its bindings */
	r = db_bind_int(st, 1, snapshot, e);
	if (!r)
		r = db_bind_text(st, 2, source, e);
	while (!r && (r = db_step(st, e)) == 1)
		r = add_index(v, db_col_text(st, 0), db_col_text(st, 1), e);
	if (r < 0)
		goto out;
	r = 0;
	qsort(v->ix, v->nix, sizeof(v->ix[0]), cmp_index);
out:
	db_finalize(st);
	return r;
}

int aptview_each_served(struct db *db, const char *store,
			int (*cb)(const struct aptview *v, void *arg, struct err *e), void *arg, struct err *e)
{
	struct db_stmt *st = NULL;
	struct aptview *v = malloc(sizeof(*v));
	int r;

	if (!v)
		return err_set(e, AE_NOMEM, "out of memory");
	r = db_prepare(db, "SELECT source, snapshot FROM served ORDER BY source", &st, e);
	while (!r && (r = db_step(st, e)) == 1) {
		r = aptview_load(db, db_col_text(st, 0), db_col_int(st, 1), v, e);
		if (r == -AE_NOTFOUND) {
			err_clear(e);
			r = 0;
			continue;
		}
		if (!r)
			r = cb(v, arg, e);
	}
	db_finalize(st);
	free(v);
	return r < 0 ? r : 0;
}

static int open_object(const char *store, const char *hex, struct buf *path, struct err *e)
{
	uint8_t sha[SHA256_LEN];

	if (hex_decode(hex, SHA256_HEX - 1, sha, SHA256_LEN))
		return err_set(e, AE_DB, "catalog names a malformed object '%s'", hex);
	buf_reset(path);
	return store_path(store, sha, path, e);
}

int aptview_each_pkg(struct db *db, const char *store, const struct aptview *v, const struct aptview_index *ix,
		     int (*cb)(const struct aptview_pkg *p, void *arg, struct err *e), void *arg, struct err *e)
{
	struct deb822_reader rd;
	struct deb822_para *para = NULL;
	struct decomp *dz = NULL;
	struct db_stmt *st = NULL;
	struct buf path, name;
	int r, have_rd = 0;

	buf_init(&path, 8192);
	buf_init(&name, 8192);
	para = malloc(sizeof(*para));
	if (!para) {
		r = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	r = open_object(store, ix->object, &path, e);
	if (!r)
		r = decomp_open(&dz, buf_str(&path), e);
	if (!r)
		r = db_prepare(db, "SELECT object, size FROM file WHERE snapshot = ? AND source = ? AND path = ?",
			       &st, e);
	if (r)
		goto out;
	buf_reset(&name);
	r = buf_addf(&name, e, "%s/dists/%s/%s/binary-%s/Packages", v->source, v->suite, ix->comp, ix->arch);
	if (r)
		goto out;
	deb822_reader_init(&rd, decomp_read, dz, buf_str(&name));
	have_rd = 1;
	while ((r = deb822_next(&rd, para, e)) == 1) {
		struct aptview_pkg p = { .para = para };

		p.name = deb822_get(para, "Package");
		p.version = deb822_get(para, "Version");
		p.arch = deb822_get(para, "Architecture");
		p.filename = deb822_get(para, "Filename");
		if (!p.name.ptr || !p.version.ptr || !p.arch.ptr || !p.filename.ptr)
			continue; /* apt_index_load refused such an index at import; never reached */
		/* db_reset() clears the bindings: all three, every time */
		r = db_bind_int(st, 1, v->snapshot, e);
		if (!r)
			r = db_bind_text(st, 2, v->source, e);
		if (!r)
			r = db_bind_textn(st, 3, p.filename.ptr, p.filename.len, e);
		if (r)
			break;
		r = db_step(st, e);
		if (r < 0)
			break;
		if (r == 1) {
			snprintf(p.object, sizeof(p.object), "%s", db_col_text(st, 0));
			p.size = (uint64_t)db_col_int(st, 1);
		}
		db_reset(st);
		if (r == 0)
			continue;
		r = cb(&p, arg, e);
		if (r)
			break;
	}
	if (r > 0)
		r = 0;
out:
	if (have_rd)
		deb822_reader_release(&rd);
	decomp_close(dz);
	db_finalize(st);
	free(para);
	buf_release(&path);
	buf_release(&name);
	return r;
}

int aptview_release(const char *store, const char *gnupg_home, const struct aptview *v, struct apt_release *rel,
		    struct err *e)
{
	struct sig_result sigs[POLICY_MAX_SIGS];
	struct gpg *g = NULL;
	struct buf path, in, plain;
	size_t ns = 0;
	int r;

	buf_init(&path, 8192);
	buf_init(&in, RELEASE_MAX);
	buf_init(&plain, RELEASE_MAX);
	r = open_object(store, v->release, &path, e);
	if (!r)
		r = fs_read_file(buf_str(&path), &in, e);
	if (r)
		goto out;
	if (v->relgpg[0]) {
		r = buf_add(&plain, in.ptr ? in.ptr : "", in.len, e);
	} else {
		/*
		 * The signature was checked against the vendor's key at import;
		 * the store's content address guarantees these are those bytes.
		 * GPGME still does the taking apart, so that no hand-written
		 * armor parser sees them.
		 */
		r = gpg_open(&g, gnupg_home, e);
		if (!r)
			r = gpg_verify_clearsigned(g, in.ptr ? in.ptr : "", in.len, &plain, sigs, POLICY_MAX_SIGS, &ns,
						   e);
	}
	if (!r)
		r = apt_release_parse(rel, plain.ptr ? plain.ptr : "", plain.len, e);
	if (r)
		err_prefix(e, "'%s/dists/%s': the vendor's Release", v->source, v->suite);
out:
	gpg_close(g);
	buf_release(&path);
	buf_release(&in);
	buf_release(&plain);
	return r;
}
