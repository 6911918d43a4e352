#include "importer/apt_chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/fs.h"
#include "lib/hash.h"
#include "mirror/store.h"
#include "verify/apt_index.h"
#include "verify/decompress.h"
#include "verify/deb822.h"
#include "verify/gpg.h"
#include "verify/policy.h"
#include "lib/banned.h"

#define INRELEASE_MAX ((size_t)64 << 20)
#define MAX_VENDOR_KEYS 256
#define PROVENANCE "airlock-provenance.json"

int apt_vendor_home(struct home *h, struct buf *out, struct err *e)
{
	return buf_addf(out, e, "%s/gnupg-vendor", h->dir);
}

/* Where an object's bytes are for this import: quarantine if shipped, else the store. */
static int object_path(struct home *h, const char *objdir, const struct manifest *m, const uint8_t sha[SHA256_LEN],
		       struct buf *out, struct err *e)
{
	const struct manifest_object *o = manifest_find_object(m, sha);
	char hex[SHA256_HEX];

	buf_reset(out);
	hex_encode(sha, SHA256_LEN, hex);
	if (o && o->pack)
		return buf_addf(out, e, "%s/%s", objdir, hex);
	return store_path(h->store, sha, out, e);
}

static int load_vendor_keys(struct db *db, char (*fprs)[FPR_LEN + 1], size_t *n, struct err *e)
{
	struct db_stmt *st = NULL;
	int r;

	*n = 0;
	r = db_prepare(db, "SELECT fprs FROM vendor ORDER BY name", &st, e);
	if (r)
		return r;
	while ((r = db_step(st, e)) == 1) {
		const char *p = db_col_text(st, 0);

		/* comma-separated fingerprints */
		while (*p && *n < MAX_VENDOR_KEYS) {
			size_t len = strcspn(p, ",");

			if (len == FPR_LEN)
				snprintf(fprs[(*n)++], FPR_LEN + 1, "%.*s", FPR_LEN, p);
			p += len + (p[len] == ',');
		}
	}
	db_finalize(st);
	return r < 0 ? r : 0;
}

struct chain {
	struct home *h;
	const struct manifest *m;
	const char *objdir;
	const char *source;
	struct apt_release rel;
	int have_rel;
	char suite[256];
	struct apt_index ix[16];
	size_t nix;
	const struct apt_pkg **byname; /* every stanza of ix[], sorted by Filename */
	size_t nbyname;
	struct buf path;
};

/* Files of one source form a contiguous, sorted run in the manifest. */
/* The InRelease (sigf NULL), or the Release f under its detached Release.gpg sigf. */
static int verify_release(struct chain *c, struct gpg *g, const struct policy *p, const struct manifest_file *f,
			  const struct manifest_file *sigf, struct err *e)
{
	struct sig_result sigs[POLICY_MAX_SIGS];
	struct buf in, plain, sig;
	size_t ns = 0;
	int r;

	buf_init(&in, INRELEASE_MAX);
	buf_init(&plain, INRELEASE_MAX);
	buf_init(&sig, (size_t)64 << 10);
	r = object_path(c->h, c->objdir, c->m, f->object, &c->path, e);
	if (!r)
		r = fs_read_file(c->path.ptr, &in, e);
	if (!r && sigf) {
		r = object_path(c->h, c->objdir, c->m, sigf->object, &c->path, e);
		if (!r)
			r = fs_read_file(c->path.ptr, &sig, e);
		if (!r)
			r = gpg_verify_detached_multi(g, sig.ptr ? sig.ptr : "", sig.len, in.ptr ? in.ptr : "", in.len,
						      sigs, POLICY_MAX_SIGS, &ns, e);
		if (!r)
			r = buf_add(&plain, in.ptr ? in.ptr : "", in.len, e);
	} else if (!r) {
		r = gpg_verify_clearsigned(g, in.ptr ? in.ptr : "", in.len, &plain, sigs, POLICY_MAX_SIGS, &ns, e);
	}
	if (!r)
		r = policy_check(p, sigs, ns, NULL, e);
	if (!r)
		r = apt_release_parse(&c->rel, plain.ptr ? plain.ptr : "", plain.len, e);
	if (!r) {
		c->have_rel = 1;
		/* apt refuses a Release whose Suite and Codename both differ from the dists/ folder */
		if ((!c->rel.suite || strcmp(c->rel.suite, c->suite)) &&
		    (!c->rel.codename || strcmp(c->rel.codename, c->suite)))
			r = err_reject(e, "the signed Release is for '%s', not '%s'",
				       c->rel.suite ? c->rel.suite : "?", c->suite);
	}
	if (r)
		err_prefix(e, "'%s/%s': vendor signature", c->source, sigf ? sigf->path : f->path);
	buf_release(&in);
	buf_release(&plain);
	buf_release(&sig);
	return r;
}

static int load_index(struct chain *c, const struct manifest_file *f, struct err *e)
{
	struct deb822_reader rd;
	struct decomp *dz = NULL;
	int r;

	if (c->nix == sizeof(c->ix) / sizeof(c->ix[0]))
		return err_reject(e, "'%s': more than %zu Packages indexes", c->source, c->nix);
	r = object_path(c->h, c->objdir, c->m, f->object, &c->path, e);
	if (!r)
		r = decomp_open(&dz, c->path.ptr, e);
	if (r)
		return r;
	deb822_reader_init(&rd, decomp_read, dz, f->path);
	r = apt_index_load(&c->ix[c->nix], &rd, e);
	deb822_reader_release(&rd);
	decomp_close(dz);
	if (!r)
		c->nix++;
	return r;
}

static int is_packages_index(const char *rel)
{
	const char *base = strrchr(rel, '/');

	base = base ? base + 1 : rel;
	return !strcmp(base, "Packages") || !strcmp(base, "Packages.xz") || !strcmp(base, "Packages.gz");
}

/* A file under dists/<suite>/: listed in the signed Release with its size and hash. */
static int verify_dists_file(struct chain *c, const struct manifest_file *f, uint64_t size, struct err *e)
{
	const char *rel = f->path + strlen("dists/") + strlen(c->suite) + 1;
	const char *bh = strstr(rel, "/by-hash/SHA256/");
	const struct apt_release_file *rf;
	char hex[SHA256_HEX];
	size_t i;

	hex_encode(f->object, SHA256_LEN, hex);
	if (bh) {
		/* a by-hash name must be its own content's hash, and that hash one the Release signs */
		if (strcmp(bh + strlen("/by-hash/SHA256/"), hex))
			return err_reject(e, "'%s/%s': content does not match its by-hash name", c->source, f->path);
		for (i = 0; i < c->rel.nfiles; i++)
			if (!memcmp(c->rel.files[i].sha256, f->object, SHA256_LEN) && c->rel.files[i].size == size)
				return 0;
		return err_reject(e, "'%s/%s': not an index the signed Release lists", c->source, f->path);
	}
	rf = apt_release_find(&c->rel, rel);
	if (!rf)
		return err_reject(e, "'%s/%s': not listed in the signed Release", c->source, f->path);
	if (rf->size != size || memcmp(rf->sha256, f->object, SHA256_LEN))
		return err_reject(e, "'%s/%s': size or sha256 differs from the signed Release", c->source, f->path);
	return is_packages_index(rel) ? load_index(c, f, e) : 0;
}

static int cmp_pkg_filename(const void *a, const void *b)
{
	return strcmp((*(const struct apt_pkg *const *)a)->filename, (*(const struct apt_pkg *const *)b)->filename);
}

/*
 * Every stanza of the loaded indexes, sorted by Filename, so that each pool
 * file is one binary search: a suite carried whole is tens of thousands of
 * files against as many stanzas.
 */
static int sort_filenames(struct chain *c, struct err *e)
{
	size_t i, j, total = 0;

	for (i = 0; i < c->nix; i++)
		total += c->ix[i].n;
	c->byname = malloc((total ? total : 1) * sizeof(*c->byname));
	if (!c->byname)
		return err_set(e, AE_NOMEM, "out of memory");
	for (i = 0; i < c->nix; i++)
		for (j = 0; j < c->ix[i].n; j++)
			c->byname[c->nbyname++] = &c->ix[i].pkgs[j];
	qsort(c->byname, c->nbyname, sizeof(*c->byname), cmp_pkg_filename);
	return 0;
}

/* Any other file (pool/...): a Filename of the signed index; every stanza naming it agrees on size and hash. */
static int verify_pool_file(struct chain *c, const struct manifest_file *f, uint64_t size, struct err *e)
{
	struct apt_pkg key = { .filename = f->path };
	const struct apt_pkg *kp = &key, *const *hit;
	size_t lo;

	hit = bsearch(&kp, c->byname, c->nbyname, sizeof(*c->byname), cmp_pkg_filename);
	if (!hit)
		return err_reject(e, "'%s/%s': not a package of the signed index", c->source, f->path);
	for (lo = (size_t)(hit - c->byname); lo > 0 && !strcmp(c->byname[lo - 1]->filename, f->path); lo--)
		;
	for (; lo < c->nbyname && !strcmp(c->byname[lo]->filename, f->path); lo++)
		if (c->byname[lo]->size != size || memcmp(c->byname[lo]->sha256, f->object, SHA256_LEN))
			return err_reject(e, "'%s/%s': size or sha256 differs from the signed index", c->source,
					  f->path);
	return 0;
}

static void chain_release(struct chain *c)
{
	size_t i;

	if (c->have_rel)
		apt_release_free(&c->rel);
	for (i = 0; i < c->nix; i++)
		apt_index_free(&c->ix[i]);
	free(c->byname);
	c->byname = NULL;
	c->nbyname = 0;
	c->have_rel = 0;
	c->nix = 0;
}

/* The file names the signed Release may come in, relative to dists/<suite>/. */
static int is_release_name(const char *rel)
{
	return !strcmp(rel, "InRelease") || !strcmp(rel, "Release") || !strcmp(rel, "Release.gpg");
}

static int verify_source(struct chain *c, struct gpg *g, const struct policy *p, size_t *checked, struct err *e)
{
	const struct manifest *m = c->m;
	const struct manifest_file *inrel = NULL, *rel = NULL, *relgpg = NULL;
	size_t i, first = m->nfiles, last = 0, nsig = 0;
	char prefix[300];
	int r = 0, pass;

	for (i = 0; i < m->nfiles; i++) {
		const char *path = m->files[i].path;
		const char *slash;

		if (strcmp(m->files[i].source, c->source))
			continue;
		if (first == m->nfiles)
			first = i;
		last = i;
		if (strncmp(path, "dists/", 6) || !(slash = strchr(path + 6, '/')) || !is_release_name(slash + 1))
			continue;
		if (nsig++ && strncmp(c->suite, path + 6, (size_t)(slash - path - 6)))
			return err_reject(e, "apt source '%s' carries Release files of two suites", c->source);
		snprintf(c->suite, sizeof(c->suite), "%.*s", (int)(slash - path - 6), path + 6);
		if (!strcmp(slash + 1, "InRelease"))
			inrel = &m->files[i];
		else if (!strcmp(slash + 1, "Release"))
			rel = &m->files[i];
		else
			relgpg = &m->files[i];
	}
	/* exactly one signed Release: an InRelease, or a Release with its Release.gpg */
	if (!((inrel && !rel && !relgpg) || (!inrel && rel && relgpg)))
		return err_reject(e, "apt source '%s' must carry one InRelease, or one Release with its Release.gpg",
				  c->source);
	r = inrel ? verify_release(c, g, p, inrel, NULL, e) : verify_release(c, g, p, rel, relgpg, e);
	if (r)
		return r;
	snprintf(prefix, sizeof(prefix), "dists/%s/", c->suite);
	/* pass 0: everything under dists/ (indexes loaded); pass 1: the rest, against those indexes */
	for (pass = 0; pass < 2 && !r; pass++) {
		if (pass == 1) {
			r = sort_filenames(c, e);
			if (r)
				break;
		}
		for (i = first; i <= last && !r; i++) {
			const struct manifest_file *f = &m->files[i];
			const struct manifest_object *o = manifest_find_object(m, f->object);
			int in_dists;

			if (strcmp(f->source, c->source) || !o)
				continue;
			in_dists = !strncmp(f->path, prefix, strlen(prefix));
			if (in_dists && is_release_name(f->path + strlen(prefix)))
				continue;
			if (pass == 0 && in_dists)
				r = verify_dists_file(c, f, o->size, e);
			else if (pass == 1 && !in_dists && strcmp(f->path, PROVENANCE))
				r = verify_pool_file(c, f, o->size, e);
			else
				continue;
			if (!r)
				(*checked)++;
		}
	}
	return r;
}

int apt_chain_verify(struct home *h, const struct manifest *m, const char *objdir, size_t *checked,
		     struct err *e)
{
	static char fprs[MAX_VENDOR_KEYS][FPR_LEN + 1];
	struct policy p = { (const char(*)[FPR_LEN + 1])fprs, 0, 1 };
	struct chain c;
	struct gpg *g = NULL;
	struct buf vhome;
	size_t i, n = 0, napt = 0;
	int r = 0;

	*checked = 0;
	for (i = 0; i < m->nsources; i++)
		napt += !strcmp(m->sources[i].kind, "apt");
	if (!napt)
		return 0;
	memset(&c, 0, sizeof(c));
	buf_init(&c.path, 8192);
	buf_init(&vhome, 8192);
	r = load_vendor_keys(h->db, fprs, &n, e);
	if (r)
		goto out;
	if (!n) {
		r = err_reject(e, "the bundle carries apt sources but this site trusts no vendor keys: provision them "
				  "with 'airlock trust vendor add NAME KEYRING' and import again");
		goto out;
	}
	p.ntrusted = n;
	r = apt_vendor_home(h, &vhome, e);
	if (!r)
		r = gpg_open(&g, vhome.ptr, e);
	for (i = 0; i < m->nsources && !r; i++) {
		if (strcmp(m->sources[i].kind, "apt"))
			continue;
		c.h = h;
		c.m = m;
		c.objdir = objdir;
		c.source = m->sources[i].name;
		r = verify_source(&c, g, &p, checked, e);
		chain_release(&c);
	}
out:
	chain_release(&c);
	gpg_close(g);
	buf_release(&c.path);
	buf_release(&vhome);
	return r;
}
