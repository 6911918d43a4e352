#include "exporter/apt_fetch.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exporter/apt_select.h"
#include "exporter/fetch.h"
#include "lib/audit.h"
#include "lib/buf.h"
#include "lib/fs.h"
#include "lib/hash.h"
#include "lib/util.h"
#include "verify/decompress.h"
#include "verify/gpg.h"
#include "verify/policy.h"
#include "lib/banned.h"

#define INRELEASE_MAX ((uint64_t)64 << 20)
#define INDEX_MAX ((uint64_t)1 << 30)
#define MAX_KEYS 64
#define MAX_LIST 256
#define APT_PARALLEL 4
#define RELEASE_GPG_MAX ((uint64_t)64 << 10)

struct apt_cfg {
	char *url, *suite, *keyring;
	const char *components[MAX_LIST], *archs[MAX_LIST], *packages[MAX_LIST];
	size_t ncomponents, narchs, npackages;
	int all, with_depends;
	json_t *json; /* owns the strings above */
};

int apt_release_check(const struct apt_release *rel, int64_t now, const struct apt_floor *floor, const char *name,
		      struct err *e)
{
	char t1[TIME_STR], t2[TIME_STR];

	time_format(rel->date, t1);
	if (rel->date > now + APT_CLOCK_SKEW) {
		time_format(now, t2);
		return err_reject(e, "source '%s': InRelease Date %s is in the future (now %s)", name, t1, t2);
	}
	if (floor->have && rel->date < floor->date) {
		time_format(floor->date, t2);
		return err_reject(e, "source '%s': InRelease Date %s is older than the last accepted %s "
				     "(rollback or freeze attack?)", name, t1, t2);
	}
	if (rel->valid_until && now > rel->valid_until) {
		time_format(rel->valid_until, t2);
		return err_reject(e, "source '%s': InRelease expired (Valid-Until %s)", name, t2);
	}
	if (floor->have && (strcmp(floor->origin, rel->origin ? rel->origin : "") ||
			    strcmp(floor->suite, rel->suite ? rel->suite : "") ||
			    strcmp(floor->codename, rel->codename ? rel->codename : "")))
		return err_set(e, AE_STATE, "source '%s': Origin/Suite/Codename changed from '%s/%s/%s' to '%s/%s/%s'; "
					    "if that is expected, remove the source and add it again",
			       name, floor->origin, floor->suite, floor->codename, rel->origin ? rel->origin : "",
			       rel->suite ? rel->suite : "", rel->codename ? rel->codename : "");
	return 0;
}

static int list_of(json_t *cfg, const char *key, const char **out, size_t *n)
{
	json_t *a = json_object_get(cfg, key), *v;
	size_t i;

	*n = 0;
	if (!json_is_array(a) || json_array_size(a) > MAX_LIST)
		return -1;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			return -1;
		out[(*n)++] = json_string_value(v);
	}
	return 0;
}

static int load_cfg(struct home *h, const char *name, struct apt_cfg *c, struct apt_floor *fl, struct err *e)
{
	struct db_stmt *st = NULL;
	json_error_t jerr;
	int r;

	memset(c, 0, sizeof(*c));
	memset(fl, 0, sizeof(*fl));
	r = db_prepare(h->db, "SELECT kind, location, config FROM source WHERE name = ?", &st, e);
	if (!r)
		r = db_bind_text(st, 1, name, e);
	if (!r)
		r = db_step(st, e);
	if (r == 0)
		r = err_set(e, AE_NOTFOUND, "no source '%s'; 'airlock source list' shows them", name);
	if (r < 0)
		goto out;
	if (strcmp(db_col_text(st, 0), "apt")) {
		r = err_set(e, AE_USAGE, "source '%s' is a folder source; only apt sources are fetched", name);
		goto out;
	}
	c->url = strdup(db_col_text(st, 1));
	c->json = json_loads(db_col_text(st, 2), 0, &jerr);
	if (!c->url || !c->json) {
		r = err_set(e, AE_STATE, "source '%s': unreadable settings in the catalog", name);
		goto out;
	}
	c->suite = (char *)json_string_value(json_object_get(c->json, "suite"));
	c->keyring = (char *)json_string_value(json_object_get(c->json, "keyring"));
	c->all = json_is_true(json_object_get(c->json, "all"));
	c->with_depends = json_is_true(json_object_get(c->json, "with_depends"));
	if (!c->suite || !c->keyring || list_of(c->json, "components", c->components, &c->ncomponents) ||
	    list_of(c->json, "architectures", c->archs, &c->narchs) ||
	    list_of(c->json, "packages", c->packages, &c->npackages)) {
		r = err_set(e, AE_STATE, "source '%s': unreadable settings in the catalog", name);
		goto out;
	}
	db_finalize(st);
	st = NULL;
	r = db_prepare(h->db, "SELECT date, origin, suite, codename FROM apt_state WHERE source = ?", &st, e);
	if (!r)
		r = db_bind_text(st, 1, name, e);
	if (!r)
		r = db_step(st, e);
	if (r == 1) {
		fl->have = 1;
		fl->date = db_col_int(st, 0);
		snprintf(fl->origin, sizeof(fl->origin), "%s", db_col_text(st, 1));
		snprintf(fl->suite, sizeof(fl->suite), "%s", db_col_text(st, 2));
		snprintf(fl->codename, sizeof(fl->codename), "%s", db_col_text(st, 3));
	}
	r = r < 0 ? r : 0;
out:
	db_finalize(st);
	return r;
}

static void cfg_free(struct apt_cfg *c)
{
	free(c->url);
	json_decref(c->json);
}

/* One download, verified; msg names the source. */
static int fetch_one(const char *url, const char *dest, uint64_t max, uint64_t size, const uint8_t *sha,
		     const struct apt_fetch_opts *ao, uint64_t *downloaded, struct err *e)
{
	struct fetch_opts o = { .parallel = 1, .quiet = ao->quiet, .low_speed_time = ao->timeout };
	struct fetch_item it;
	int r;

	memset(&it, 0, sizeof(it));
	it.url = url;
	it.dest = dest;
	it.max_size = max;
	it.expect_size = size;
	if (sha) {
		it.has_sha256 = 1;
		memcpy(it.sha256, sha, SHA256_LEN);
	}
	r = fs_parent_dirs(dest, e);
	if (!r)
		r = fetch_run(&it, 1, &o, e);
	*downloaded += it.got_size;
	return r;
}

/*
 * Verify the Release with the source's keyring only, and parse what was
 * signed: the InRelease's signed plaintext, or (sigpath set) the Release file
 * itself under its detached Release.gpg.
 */
static int verify_release(struct home *h, const struct apt_cfg *c, const char *name, const char *path,
			  const char *sigpath, struct apt_release *rel, struct apt_fetch_result *res, struct err *e)
{
	static char fprs[MAX_KEYS][FPR_LEN + 1];
	struct sig_result sigs[POLICY_MAX_SIGS];
	struct policy_verdict v;
	struct policy p = { (const char(*)[FPR_LEN + 1])fprs, 0, 1 };
	struct buf keys, in, plain, home, sig;
	struct gpg *g = NULL;
	uint8_t d[SHA256_LEN];
	const char *what = sigpath ? "Release.gpg" : "InRelease";
	size_t nk = 0, ns = 0;
	int r;

	buf_init(&keys, (size_t)16 << 20);
	buf_init(&in, INRELEASE_MAX);
	buf_init(&plain, INRELEASE_MAX);
	buf_init(&home, 4096);
	buf_init(&sig, RELEASE_GPG_MAX);
	/* a private GnuPG home per fetch, holding this source's keyring and nothing else */
	r = fs_read_file(c->keyring, &keys, e);
	if (!r)
		r = fs_mkdtemp(h->staging, "gpg-", &home, e);
	if (!r)
		r = gpg_open(&g, home.ptr, e);
	if (!r)
		r = gpg_key_import(g, keys.ptr ? keys.ptr : "", keys.len, fprs, MAX_KEYS, &nk, e);
	if (!r)
		r = fs_read_file(path, &in, e);
	if (r)
		goto out;
	p.ntrusted = nk;
	if (sigpath) {
		r = fs_read_file(sigpath, &sig, e);
		if (!r)
			r = gpg_verify_detached_multi(g, sig.ptr ? sig.ptr : "", sig.len, in.ptr ? in.ptr : "", in.len, sigs,
						      POLICY_MAX_SIGS, &ns, e);
		/* the signed bytes are the Release file itself */
		if (!r)
			r = buf_add(&plain, in.ptr ? in.ptr : "", in.len, e);
	} else {
		r = gpg_verify_clearsigned(g, in.ptr ? in.ptr : "", in.len, &plain, sigs, POLICY_MAX_SIGS, &ns, e);
	}
	if (!r)
		r = policy_check(&p, sigs, ns, &v, e);
	if (r) {
		err_prefix(e, "source '%s': %s", name, what);
		goto out;
	}
	r = apt_release_parse(rel, plain.ptr ? plain.ptr : "", plain.len, e);
	if (r) {
		err_prefix(e, "source '%s': %s", name, what);
		goto out;
	}
	sha256_buf(in.ptr ? in.ptr : "", in.len, d);
	hex_encode(d, SHA256_LEN, res->inrelease);
	snprintf(res->signer, sizeof(res->signer), "%s", v.signers[0]);
	res->date = rel->date;
out:
	gpg_close(g);
	if (home.len) {
		struct err ignore = { 0 };

		if (fs_rm_rf(home.ptr, &ignore))
			fprintf(stderr, "airlock: cannot remove '%s': %s\n", home.ptr, ignore.msg);
	}
	buf_release(&keys);
	buf_release(&in);
	buf_release(&plain);
	buf_release(&home);
	buf_release(&sig);
	return r;
}

/* The index apt will use: the first of .xz, .gz and plain that the Release lists. */
static const struct apt_release_file *pick_index(const struct apt_release *rel, const char *comp, const char *arch,
						 struct buf *path, struct err *e)
{
	static const char *const ext[] = { ".xz", ".gz", "" };
	const struct apt_release_file *f;
	size_t i;

	for (i = 0; i < 3; i++) {
		buf_reset(path);
		if (buf_addf(path, e, "%s/binary-%s/Packages%s", comp, arch, ext[i]))
			return NULL;
		f = apt_release_find(rel, path->ptr);
		if (f)
			return f;
	}
	err_set(e, AE_NOTFOUND, "the Release lists no Packages index for %s/binary-%s", comp, arch);
	return NULL;
}

static int write_provenance(const char *tree, const char *name, const struct apt_cfg *c,
			    const struct apt_fetch_result *res, json_t *files, struct err *e)
{
	struct buf path;
	char t[TIME_STR], *text = NULL;
	json_t *p;
	int r;

	buf_init(&path, 8192);
	time_format(res->date, t);
	p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O}", "source", name, "url", c->url, "suite", c->suite,
		      "inrelease_sha256", res->inrelease, "signer", res->signer, "date", t, "files", files);
	text = p ? json_dumps(p, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
	json_decref(p);
	if (!text)
		return err_set(e, AE_NOMEM, "out of memory");
	r = buf_addf(&path, e, "%s/airlock-provenance.json", tree);
	if (!r)
		r = fs_write_atomic(path.ptr, text, strlen(text), 0644, e);
	free(text);
	buf_release(&path);
	return r;
}

static int record(struct home *h, const char *name, const struct apt_release *rel, const struct apt_fetch_result *res,
		  struct err *e)
{
	struct db_stmt *st = NULL;
	char *detail = NULL;
	int r;

	r = json_detail(json_pack("{s:s, s:s, s:I, s:i, s:I}", "inrelease", res->inrelease, "signer", res->signer,
				  "date", (json_int_t)res->date, "packages", (int)res->packages, "bytes",
				  (json_int_t)res->bytes), &detail, e);
	if (r)
		return r;
	r = db_begin(h->db, e);
	if (r)
		goto out;
	r = db_prepare(h->db, "INSERT INTO apt_state(source, date, valid_until, origin, suite, codename, inrelease, "
			      "signer, fetched) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(source) DO UPDATE SET "
			      "date = excluded.date, valid_until = excluded.valid_until, origin = excluded.origin, "
			      "suite = excluded.suite, codename = excluded.codename, inrelease = excluded.inrelease, "
			      "signer = excluded.signer, fetched = excluded.fetched", &st, e);
	if (!r && !(r = db_bind_text(st, 1, name, e)) && !(r = db_bind_int(st, 2, rel->date, e)) &&
	    !(r = db_bind_int(st, 3, rel->valid_until, e)) &&
	    !(r = db_bind_text(st, 4, rel->origin ? rel->origin : "", e)) &&
	    !(r = db_bind_text(st, 5, rel->suite ? rel->suite : "", e)) &&
	    !(r = db_bind_text(st, 6, rel->codename ? rel->codename : "", e)) &&
	    !(r = db_bind_text(st, 7, res->inrelease, e)) && !(r = db_bind_text(st, 8, res->signer, e)) &&
	    !(r = db_bind_int(st, 9, (int64_t)time(NULL), e)))
		r = db_step(st, e);
	if (r >= 0)
		r = audit_append(h->db, "fetch", name, detail, e);
	if (r >= 0)
		r = db_commit(h->db, e);
	if (r < 0)
		db_rollback(h->db);
out:
	db_finalize(st);
	free(detail);
	return r < 0 ? r : 0;
}

int apt_fetch_source(struct home *h, const char *name, const struct apt_fetch_opts *ao, struct apt_fetch_result *res,
		     struct err *e)
{
	struct apt_cfg c;
	struct apt_floor fl;
	struct apt_release rel;
	struct apt_index ix;
	const struct apt_pkg **sel = NULL;
	struct buf base, fresh, tree, old, p1, p2, url, idx;
	json_t *files = json_array();
	struct fetch_item *items = NULL;
	char **paths = NULL;
	size_t nsel = 0, nitems = 0, i, j, k;
	int r, have_rel = 0, have_ix = 0, pair = 0;

	memset(res, 0, sizeof(*res));
	memset(&rel, 0, sizeof(rel));
	memset(&ix, 0, sizeof(ix));
	buf_init(&base, 8192);
	buf_init(&fresh, 8192);
	buf_init(&tree, 8192);
	buf_init(&old, 8192);
	buf_init(&p1, 8192);
	buf_init(&p2, 8192);
	buf_init(&url, 8192);
	buf_init(&idx, 8192);
	r = load_cfg(h, name, &c, &fl, e);
	if (r)
		goto out;
	if ((r = buf_addf(&base, e, "%s/apt/%s", h->staging, name)) || (r = fs_mkdirs(base.ptr, 0755, e)) ||
	    (r = buf_addf(&tree, e, "%s/tree", base.ptr)) || (r = buf_addf(&old, e, "%s/old", base.ptr)) ||
	    (r = fs_mkdtemp(base.ptr, "new-", &fresh, e)))
		goto out;

	/* 1. InRelease, verified with this source's keyring only */
	if ((r = buf_addf(&url, e, "%s/dists/%s/InRelease", c.url, c.suite)) ||
	    (r = buf_addf(&p1, e, "%s/dists/%s/InRelease", fresh.ptr, c.suite)))
		goto out;
	r = fetch_one(url.ptr, p1.ptr, INRELEASE_MAX, 0, NULL, ao, &res->downloaded, e);
	if (r == -AE_NOTFOUND) {
		pair = 1;
		/* no InRelease: the older pair, Release and its detached Release.gpg, checked the same way */
		err_clear(e);
		buf_reset(&url);
		buf_reset(&p1);
		buf_reset(&p2);
		if ((r = buf_addf(&url, e, "%s/dists/%s/Release", c.url, c.suite)) ||
		    (r = buf_addf(&p1, e, "%s/dists/%s/Release", fresh.ptr, c.suite)) ||
		    (r = buf_addf(&p2, e, "%s/dists/%s/Release.gpg", fresh.ptr, c.suite)))
			goto out;
		r = fetch_one(url.ptr, p1.ptr, INRELEASE_MAX, 0, NULL, ao, &res->downloaded, e);
		if (!r) {
			json_array_append_new(files, json_pack("{s:s, s:s}", "path", p1.ptr + fresh.len + 1, "url",
							       url.ptr));
			buf_reset(&url);
			r = buf_addf(&url, e, "%s/dists/%s/Release.gpg", c.url, c.suite);
		}
		if (!r)
			r = fetch_one(url.ptr, p2.ptr, RELEASE_GPG_MAX, 0, NULL, ao, &res->downloaded, e);
		if (!r)
			r = verify_release(h, &c, name, p1.ptr, p2.ptr, &rel, res, e);
	} else if (!r) {
		r = verify_release(h, &c, name, p1.ptr, NULL, &rel, res, e);
	}
	if (r)
		goto out;
	have_rel = 1;
	r = apt_release_check(&rel, (int64_t)time(NULL), &fl, name, e);
	if (r)
		goto out;
	/* the signature file of the two: the InRelease, or the Release.gpg (the Release is listed above) */
	json_array_append_new(files, json_pack("{s:s, s:s}", "path", (pair ? p2.ptr : p1.ptr) + fresh.len + 1, "url",
					       url.ptr));

	/* 2. each index against the signed size and hash, before it is decompressed */
	for (i = 0; i < c.ncomponents; i++) {
		for (j = 0; j < c.narchs; j++) {
			const struct apt_release_file *f = pick_index(&rel, c.components[i], c.archs[j], &idx, e);
			struct deb822_reader rd;
			struct decomp *dz = NULL;
			char hex[SHA256_HEX];

			if (!f) {
				r = err_prefix(e, "source '%s'", name);
				goto out;
			}
			buf_reset(&url);
			buf_reset(&p1);
			if ((r = buf_addf(&url, e, "%s/dists/%s/%s", c.url, c.suite, f->path)) ||
			    (r = buf_addf(&p1, e, "%s/dists/%s/%s", fresh.ptr, c.suite, f->path)))
				goto out;
			r = fetch_one(url.ptr, p1.ptr, f->size, f->size, f->sha256, ao, &res->downloaded, e);
			if (r)
				goto out;
			hex_encode(f->sha256, SHA256_LEN, hex);
			json_array_append_new(files, json_pack("{s:s, s:s, s:s, s:I}", "path", p1.ptr + fresh.len + 1,
							       "url", url.ptr, "sha256", hex, "size",
							       (json_int_t)f->size));
			/* apt asks for by-hash/SHA256/<hash> first when the Release says Acquire-By-Hash */
			buf_reset(&p2);
			if ((r = buf_addf(&p2, e, "%s/dists/%s/%s/binary-%s/by-hash/SHA256/%s", fresh.ptr, c.suite,
					  c.components[i], c.archs[j], hex)) ||
			    (r = fs_link(p1.ptr, p2.ptr, NULL, e)))
				goto out;
			if (have_ix) {
				/* one index is what this version selects from; more would need merging */
				r = err_set(e, AE_USAGE, "source '%s': one component and one architecture per apt "
							 "source for now; add one source per pair", name);
				goto out;
			}
			r = decomp_open(&dz, p1.ptr, e);
			if (r)
				goto out;
			deb822_reader_init(&rd, decomp_read, dz, p1.ptr);
			r = apt_index_load(&ix, &rd, e);
			deb822_reader_release(&rd);
			decomp_close(dz);
			if (r)
				goto out;
			have_ix = 1;
		}
	}

	/* 3. the selection, and every .deb by size and hash */
	r = apt_select(&ix, c.packages, c.npackages, c.all, c.with_depends, &sel, &nsel, e);
	if (r) {
		err_prefix(e, "source '%s'", name);
		goto out;
	}
	/* packages already fetched and verified last time are kept; the rest download in parallel */
	items = calloc(nsel ? nsel : 1, sizeof(*items));
	paths = calloc(nsel ? nsel * 2 : 1, sizeof(*paths));
	if (!items || !paths) {
		r = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	for (k = 0; k < nsel; k++) {
		const struct apt_pkg *pk = sel[k];
		struct stat sb;
		char hex[SHA256_HEX];
		int kept = 0;

		buf_reset(&url);
		buf_reset(&p1);
		buf_reset(&p2);
		if ((r = buf_addf(&url, e, "%s/%s", c.url, pk->filename)) ||
		    (r = buf_addf(&p1, e, "%s/%s", fresh.ptr, pk->filename)) ||
		    (r = buf_addf(&p2, e, "%s/%s", tree.ptr, pk->filename)))
			goto out;
		if (stat(p2.ptr, &sb) == 0 && (uint64_t)sb.st_size == pk->size) {
			uint8_t d[SHA256_LEN];

			r = sha256_file(p2.ptr, d, NULL, e);
			if (r)
				goto out;
			if (!memcmp(d, pk->sha256, SHA256_LEN)) {
				r = fs_link(p2.ptr, p1.ptr, NULL, e);
				if (r)
					goto out;
				kept = 1;
			}
		}
		hex_encode(pk->sha256, SHA256_LEN, hex);
		buf_reset(&p2);
		if ((r = buf_addf(&p2, e, "%s/partial/%s", base.ptr, hex)))
			goto out;
		/* verified by a run that failed later: partial/<sha256> holds exactly those bytes */
		if (!kept && stat(p2.ptr, &sb) == 0 && (uint64_t)sb.st_size == pk->size) {
			uint8_t d[SHA256_LEN];

			r = sha256_file(p2.ptr, d, NULL, e);
			if (r)
				goto out;
			if (!memcmp(d, pk->sha256, SHA256_LEN)) {
				r = fs_parent_dirs(p1.ptr, e);
				if (!r && rename(p2.ptr, p1.ptr) < 0)
					r = err_errno(e, errno, "cannot move '%s' into the tree", p2.ptr);
				if (r)
					goto out;
				kept = 1;
			}
		}
		if (!kept) {
			struct fetch_item *it = &items[nitems++];

			/*
			 * Downloads land in partial/<sha256>, which outlives a failed
			 * or interrupted fetch, so that the next run resumes the .part
			 * instead of starting over; only verified files are moved
			 * into the new tree.
			 */
			paths[2 * k] = strdup(url.ptr);
			paths[2 * k + 1] = strdup(p2.ptr);
			if (!paths[2 * k] || !paths[2 * k + 1]) {
				r = err_set(e, AE_NOMEM, "out of memory");
				goto out;
			}
			r = fs_parent_dirs(p2.ptr, e);
			if (!r)
				r = fs_parent_dirs(p1.ptr, e);
			if (r)
				goto out;
			it->url = paths[2 * k];
			it->dest = paths[2 * k + 1];
			it->max_size = it->expect_size = pk->size;
			it->has_sha256 = 1;
			memcpy(it->sha256, pk->sha256, SHA256_LEN);
		}
		res->packages++;
		res->bytes += pk->size;
		hex_encode(pk->sha256, SHA256_LEN, hex);
		json_array_append_new(files, json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "path", pk->filename, "url",
						       url.ptr, "sha256", hex, "size", (json_int_t)pk->size,
						       "package", pk->name, "version", pk->version));
	}
	if (nitems) {
		struct fetch_opts fo = { .parallel = APT_PARALLEL, .quiet = ao->quiet, .low_speed_time = ao->timeout };

		r = fetch_run(items, nitems, &fo, e);
		for (k = 0; k < nitems; k++)
			res->downloaded += items[k].got_size;
		if (r)
			goto out;
		/* verified: move each into the new tree at its pool path */
		for (k = 0; k < nsel; k++) {
			if (!paths[2 * k])
				continue;
			buf_reset(&p1);
			if ((r = buf_addf(&p1, e, "%s/%s", fresh.ptr, sel[k]->filename)))
				goto out;
			if (rename(paths[2 * k + 1], p1.ptr) < 0) {
				r = err_errno(e, errno, "cannot move '%s' into the tree", paths[2 * k + 1]);
				goto out;
			}
		}
	}
	r = write_provenance(fresh.ptr, name, &c, res, files, e);
	if (r)
		goto out;

	/* 4. swap the verified tree in whole, then record the new floor */
	if (fs_rm_rf(old.ptr, e))
		goto fail_r;
	if (fs_is_dir(tree.ptr) && rename(tree.ptr, old.ptr) < 0) {
		r = err_errno(e, errno, "cannot move '%s' aside", tree.ptr);
		goto out;
	}
	if (rename(fresh.ptr, tree.ptr) < 0) {
		r = err_errno(e, errno, "cannot rename '%s'", fresh.ptr);
		if (fs_is_dir(old.ptr) && rename(old.ptr, tree.ptr) < 0)
			err_prefix(e, "and the old tree stays at '%s'", old.ptr);
		goto out;
	}
	buf_reset(&fresh);
	if (fs_rm_rf(old.ptr, e))
		goto fail_r;
	r = record(h, name, &rel, res, e);
	goto out;
fail_r:
	r = -e->code;
out:
	if (fresh.len) {
		struct err ignore = { 0 };

		if (fs_rm_rf(fresh.ptr, &ignore))
			fprintf(stderr, "airlock: cannot remove '%s': %s\n", fresh.ptr, ignore.msg);
	}
	for (k = 0; paths && k < 2 * nsel; k++)
		free(paths[k]);
	free(paths);
	free(items);
	free(sel);
	if (have_ix)
		apt_index_free(&ix);
	if (have_rel)
		apt_release_free(&rel);
	json_decref(files);
	cfg_free(&c);
	buf_release(&base);
	buf_release(&fresh);
	buf_release(&tree);
	buf_release(&old);
	buf_release(&p1);
	buf_release(&p2);
	buf_release(&url);
	buf_release(&idx);
	return r;
}
