#include "mirror/publish.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "importer/apt_chain.h"
#include "lib/audit.h"
#include "lib/buf.h"
#include "lib/crash.h"
#include "lib/fs.h"
#include "lib/hash.h"
#include "lib/json.h"
#include "lib/util.h"
#include "mirror/approve.h"
#include "mirror/aptview.h"
#include "mirror/compress.h"
#include "mirror/store.h"
#include "verify/gpg.h"
#include "verify/policy.h"
#include "lib/banned.h"

#define TEXT_MAX ((size_t)16 << 20)
#define MAX_RELFILES (APTVIEW_MAX_INDEXES * 3)
#define PATH_MAXLEN 4096

struct relfile {
	char path[256]; /* relative to dists/<suite>/ */
	char hex[SHA256_HEX];
	uint64_t size;
};

struct pub {
	struct home *h;
	int64_t id, prev, now, valid_until;
	char fpr[FPR_LEN + 1];
	struct gpg *site;
	struct buf tmp;
	unsigned seq;
	struct db_stmt *ins_file, *ins_obj, *cache_get, *cache_put;
	struct buf keyasc;
	struct publish_result *res;
	json_t *views; /* for the audit record */
};

struct out {
	int fd;
	struct buf path;
	struct sha256 h;
	uint64_t size;
};

/* ---- objects ---- */

static int out_open(struct pub *p, struct out *o, struct err *e)
{
	int r;

	o->fd = -1;
	o->size = 0;
	buf_init(&o->path, PATH_MAXLEN);
	r = buf_addf(&o->path, e, "%s/f%u", buf_str(&p->tmp), p->seq++);
	if (!r)
		r = sha256_init(&o->h, e);
	if (r)
		return r;
	o->fd = open(buf_str(&o->path), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (o->fd < 0)
		return err_errno(e, errno, "cannot create '%s'", buf_str(&o->path));
	return 0;
}

static int out_write(void *arg, const void *data, size_t n, struct err *e)
{
	struct out *o = arg;

	sha256_update(&o->h, data, n);
	o->size += n;
	return fs_write_all(o->fd, data, n, buf_str(&o->path), e);
}

static void out_abort(struct out *o)
{
	if (o->fd >= 0) {
		close(o->fd);
		unlink(buf_str(&o->path));
	}
	o->fd = -1;
	sha256_release(&o->h);
	buf_release(&o->path);
}

/* Into the store (fsynced first, as the store requires) and into the object table. */
static int out_promote(struct pub *p, struct out *o, char hex[SHA256_HEX], struct err *e)
{
	uint8_t sha[SHA256_LEN];
	int r = 0;

	sha256_final(&o->h, sha);
	hex_encode(sha, SHA256_LEN, hex);
	if (fsync(o->fd))
		r = err_errno(e, errno, "cannot write '%s'", buf_str(&o->path));
	if (close(o->fd) && !r)
		r = err_errno(e, errno, "cannot write '%s'", buf_str(&o->path));
	o->fd = -1;
	if (!r)
		r = store_promote(p->h->store, buf_str(&o->path), sha, e);
	if (!r && !(r = db_bind_text(p->ins_obj, 1, hex, e)) && !(r = db_bind_int(p->ins_obj, 2, (int64_t)o->size, e)) &&
	    !(r = db_bind_int(p->ins_obj, 3, p->now, e)))
		r = db_step(p->ins_obj, e);
	db_reset(p->ins_obj);
	if (r)
		unlink(buf_str(&o->path));
	buf_release(&o->path);
	return r < 0 ? r : 0;
}

static int add_file(struct pub *p, const char *path, const char *hex, uint64_t size, struct err *e)
{
	int r;

	if (!(r = db_bind_text(p->ins_file, 1, path, e)) && !(r = db_bind_text(p->ins_file, 2, hex, e)) &&
	    !(r = db_bind_int(p->ins_file, 4, p->id, e)) &&
	    !(r = db_bind_int(p->ins_file, 3, (int64_t)size, e)))
		r = db_step(p->ins_file, e);
	db_reset(p->ins_file);
	if (r < 0)
		return r;
	p->res->files += (uint64_t)db_changes(p->h->db);
	return 0;
}

/* A small generated file: into the store and served at path. */
static int put_blob(struct pub *p, const char *path, const void *data, size_t len, struct relfile *rf,
		    struct err *e)
{
	struct out o;
	char hex[SHA256_HEX];
	int r;

	r = out_open(p, &o, e);
	if (!r)
		r = out_write(&o, data, len, e);
	if (!r)
		r = out_promote(p, &o, hex, e);
	else
		out_abort(&o);
	if (!r)
		r = add_file(p, path, hex, len, e);
	if (!r && rf) {
		memcpy(rf->hex, hex, SHA256_HEX);
		rf->size = len;
	}
	return r;
}

/* ---- one index ---- */

struct nv {
	char *name, *version;
};

struct approved {
	struct nv *v;
	size_t n;
};

static int cmp_nv(const void *a, const void *b)
{
	const struct nv *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->version, y->version);
}

static int slice_cmp(struct slice s, const char *z)
{
	size_t zl = strlen(z);
	int c = memcmp(s.ptr, z, s.len < zl ? s.len : zl);

	return c ? c : (s.len < zl ? -1 : s.len > zl);
}

static int is_approved(const struct approved *a, struct slice name, struct slice version)
{
	size_t lo = 0, hi = a->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = slice_cmp(name, a->v[mid].name);

		if (!c)
			c = slice_cmp(version, a->v[mid].version);
		if (!c)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

static void approved_free(struct approved *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->v[i].name);
		free(a->v[i].version);
	}
	free(a->v);
	memset(a, 0, sizeof(*a));
}

static int approved_load(struct db *db, const char *group, const char *source, struct approved *a, struct err *e)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	int r;

	r = db_prepare(db,
		       "SELECT name, version FROM decision WHERE grp = ? AND source = ? AND state = 'approved'", &st,
		       e);
	if (!r)
		r = db_bind_text(st, 1, group, e);
	if (!r)
		r = db_bind_text(st, 2, source, e);
	while (!r && (r = db_step(st, e)) == 1) {
		r = 0;
		if (a->n == cap) {
			struct nv *v = realloc(a->v, (cap = cap ? cap * 2 : 64) * sizeof(*v));

			if (!v) {
				r = err_set(e, AE_NOMEM, "out of memory");
				break;
			}
			a->v = v;
		}
		a->v[a->n].name = strdup(db_col_text(st, 0));
		a->v[a->n].version = strdup(db_col_text(st, 1));
		a->n++;
		if (!a->v[a->n - 1].name || !a->v[a->n - 1].version)
			r = err_set(e, AE_NOMEM, "out of memory");
	}
	db_finalize(st);
	if (r < 0)
		return r;
	if (a->n)
		qsort(a->v, a->n, sizeof(*a->v), cmp_nv);
	return 0;
}

struct ixctx {
	struct pub *p;
	const struct approved *approved;
	struct out *plain;
	const char *prefix; /* "groups/<g>/<s>/" */
	struct buf path;
	uint64_t n;
};

static int take_stanza(const struct aptview_pkg *pk, void *arg, struct err *e)
{
	struct ixctx *x = arg;
	const struct slice raw = pk->para->raw;
	int r;

	if (!is_approved(x->approved, pk->name, pk->version))
		return 0;
	/* verbatim, as the vendor signed it; one blank line between stanzas */
	r = out_write(x->plain, raw.ptr, raw.len, e);
	if (!r && (!raw.len || raw.ptr[raw.len - 1] != '\n'))
		r = out_write(x->plain, "\n", 1, e);
	if (!r)
		r = out_write(x->plain, "\n", 1, e);
	buf_reset(&x->path);
	if (!r)
		r = buf_addf(&x->path, e, "%s%.*s", x->prefix, (int)pk->filename.len, pk->filename.ptr);
	if (!r)
		r = add_file(x->p, buf_str(&x->path), pk->object, pk->size, e);
	x->n++;
	return r;
}

/* The cached compressed form of plain, when it is still in the store. */
static int cache_get(struct pub *p, const char *plain, const char *kind, char hex[SHA256_HEX], uint64_t *size,
		     struct err *e)
{
	uint8_t sha[SHA256_LEN];
	int r;

	if (!(r = db_bind_text(p->cache_get, 1, plain, e)) && !(r = db_bind_text(p->cache_get, 2, kind, e)))
		r = db_step(p->cache_get, e);
	if (r == 1) {
		snprintf(hex, SHA256_HEX, "%s", db_col_text(p->cache_get, 0));
		*size = (uint64_t)db_col_int(p->cache_get, 1);
		r = !hex_decode(hex, SHA256_HEX - 1, sha, SHA256_LEN) && store_has(p->h->store, sha);
	}
	db_reset(p->cache_get);
	return r;
}

static int compress_object(struct pub *p, const char *plain_hex, enum compress_kind kind, char hex[SHA256_HEX],
			   uint64_t *size, struct err *e)
{
	const char *kname = kind == COMPRESS_GZ ? "gz" : "xz";
	struct compressor *c = NULL;
	struct out o = { .fd = -1 };
	uint8_t sha[SHA256_LEN];
	struct buf src;
	char *blk = NULL;
	int fd = -1, r;
	ssize_t n;

	r = cache_get(p, plain_hex, kname, hex, size, e);
	if (r)
		return r < 0 ? r : 0;
	buf_init(&src, PATH_MAXLEN);
	blk = malloc((size_t)1 << 20);
	if (!blk) {
		r = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	if (hex_decode(plain_hex, SHA256_HEX - 1, sha, SHA256_LEN)) {
		r = err_set(e, AE_STATE, "bad object name '%s'", plain_hex);
		goto out;
	}
	r = store_path(p->h->store, sha, &src, e);
	if (r)
		goto out;
	fd = open(buf_str(&src), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = err_errno(e, errno, "cannot open '%s'", buf_str(&src));
		goto out;
	}
	r = out_open(p, &o, e);
	if (!r)
		r = compress_open(&c, kind, out_write, &o, e);
	while (!r && (n = read(fd, blk, (size_t)1 << 20)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = err_errno(e, errno, "cannot read '%s'", buf_str(&src));
			break;
		}
		r = compress_write(c, blk, (size_t)n, e);
	}
	if (!r)
		r = compress_finish(c, e);
	*size = o.size;
	if (!r)
		r = out_promote(p, &o, hex, e);
	else
		out_abort(&o);
	if (!r && !(r = db_bind_text(p->cache_put, 1, plain_hex, e)) && !(r = db_bind_text(p->cache_put, 2, kname, e)) &&
	    !(r = db_bind_text(p->cache_put, 3, hex, e)) && !(r = db_bind_int(p->cache_put, 4, (int64_t)*size, e)))
		r = db_step(p->cache_put, e);
	db_reset(p->cache_put);
	if (r > 0)
		r = 0;
out:
	compress_free(c);
	if (fd >= 0)
		close(fd);
	free(blk);
	buf_release(&src);
	return r;
}

/* Packages, .gz and .xz of one component and architecture, served by path and by hash. */
static int publish_index(struct pub *p, const char *prefix, const struct aptview *v, const struct aptview_index *ix,
			 const struct approved *ap, struct relfile *rel, size_t *nrel, uint64_t *npkgs, struct err *e)
{
	static const char *const names[3] = { "Packages", "Packages.gz", "Packages.xz" };
	struct ixctx x = { .p = p, .approved = ap, .prefix = prefix };
	struct out plain;
	struct buf path;
	size_t i;
	int r;

	buf_init(&x.path, PATH_MAXLEN);
	buf_init(&path, PATH_MAXLEN);
	x.plain = &plain;
	r = out_open(p, &plain, e);
	if (!r)
		r = aptview_each_pkg(p->h->db, p->h->store, v, ix, take_stanza, &x, e);
	if (!r)
		r = out_promote(p, &plain, rel[0].hex, e);
	else
		out_abort(&plain);
	if (r)
		goto out;
	rel[0].size = plain.size;
	*npkgs += x.n;
	r = compress_object(p, rel[0].hex, COMPRESS_GZ, rel[1].hex, &rel[1].size, e);
	if (!r)
		r = compress_object(p, rel[0].hex, COMPRESS_XZ, rel[2].hex, &rel[2].size, e);
	for (i = 0; !r && i < 3; i++) {
		snprintf(rel[i].path, sizeof(rel[i].path), "%s/binary-%s/%s", ix->comp, ix->arch, names[i]);
		buf_reset(&path);
		r = buf_addf(&path, e, "%sdists/%s/%s", prefix, v->suite, rel[i].path);
		if (!r)
			r = add_file(p, buf_str(&path), rel[i].hex, rel[i].size, e);
		buf_reset(&path);
		if (!r)
			r = buf_addf(&path, e, "%sdists/%s/%s/binary-%s/by-hash/SHA256/%s", prefix, v->suite, ix->comp,
				     ix->arch, rel[i].hex);
		if (!r)
			r = add_file(p, buf_str(&path), rel[i].hex, rel[i].size, e);
	}
	if (!r)
		*nrel += 3;
out:
	buf_release(&x.path);
	buf_release(&path);
	return r;
}

/* ---- one view: a group's repository of one source ---- */

static int add_unique(struct buf *list, const char *word, struct err *e)
{
	const char *s = buf_str(list);
	size_t n = strlen(word);
	const char *q;

	for (q = s; (q = strstr(q, word)); q += n)
		if ((q == s || q[-1] == ' ') && (q[n] == ' ' || !q[n]))
			return 0;
	return buf_addf(list, e, "%s%s", list->len ? " " : "", word);
}

/* A deb822 .sources file with the site key inline (Signed-By as a multi-line field). */
static int sources_file(struct pub *p, const char *group, const struct aptview *v, const struct buf *comps,
			struct buf *out, struct err *e)
{
	const char *k = buf_str(&p->keyasc);
	int r;

	r = buf_addf(out, e,
		     "# Airlock mirror: group %s, source %s, publication %lld.\n"
		     "# Site key %s: compare it with the fingerprint your mirror's operator gave you.\n"
		     "# Install as /etc/apt/sources.list.d/airlock-%s.sources\n"
		     "Types: deb\nURIs: %s/groups/%s/%s\nSuites: %s\nComponents: %s\nSigned-By:\n",
		     group, v->source, (long long)p->id, p->fpr, v->source, conf_str(p->h->conf, "publish.url"),
		     group, v->source, v->suite, buf_str(comps));
	while (!r && *k) {
		const char *nl = strchr(k, '\n');
		size_t n = nl ? (size_t)(nl - k) : strlen(k);

		r = n ? buf_addf(out, e, " %.*s\n", (int)n, k) : buf_adds(out, " .\n", e);
		k += n + (nl ? 1 : 0);
	}
	return r;
}

static int publish_view(struct pub *p, const char *group, const struct aptview *v, const struct apt_release *up,
			struct err *e)
{
	struct relfile *rel = calloc(MAX_RELFILES, sizeof(*rel));
	struct approved ap = { 0 };
	struct buf prefix, text, signed_, archs, comps, path;
	char date[TIME_RFC2822], until[TIME_RFC2822], ir[SHA256_HEX] = "";
	uint64_t npkgs = 0;
	size_t i, nrel = 0;
	int r;

	buf_init(&prefix, PATH_MAXLEN);
	buf_init(&text, TEXT_MAX);
	buf_init(&signed_, TEXT_MAX);
	buf_init(&archs, 4096);
	buf_init(&comps, 4096);
	buf_init(&path, PATH_MAXLEN);
	if (!rel) {
		r = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	r = approved_load(p->h->db, group, v->source, &ap, e);
	if (!r)
		r = buf_addf(&prefix, e, "groups/%s/%s/", group, v->source);
	for (i = 0; !r && i < v->nix; i++) {
		r = publish_index(p, buf_str(&prefix), v, &v->ix[i], &ap, rel + nrel, &nrel, &npkgs, e);
		if (!r)
			r = add_unique(&archs, v->ix[i].arch, e);
		if (!r)
			r = add_unique(&comps, v->ix[i].comp, e);
	}
	if (r)
		goto out;

	/* Origin and Label stay the vendor's, so that clients' pinning and unattended-upgrades still match. */
	time_format_rfc2822(p->now, "UTC", date);
	time_format_rfc2822(p->valid_until, "UTC", until);
	r = buf_addf(&text, e,
		     "Origin: %s\nLabel: %s\nSuite: %s\nCodename: %s\nDate: %s\nValid-Until: %s\n"
		     "Architectures: %s\nComponents: %s\nAcquire-By-Hash: yes\n"
		     "Description: %s for group %s, approved by the site (publication %lld)\nSHA256:\n",
		     up->origin ? up->origin : v->source, up->label ? up->label : v->source,
		     up->suite ? up->suite : v->suite, up->codename ? up->codename : v->suite, date, until,
		     buf_str(&archs), buf_str(&comps), v->source, group, (long long)p->id);
	for (i = 0; !r && i < nrel; i++)
		r = buf_addf(&text, e, " %s %16llu %s\n", rel[i].hex, (unsigned long long)rel[i].size, rel[i].path);

	/* Release, Release.gpg and InRelease: apt takes the InRelease, older tools the pair */
	if (!r)
		r = buf_addf(&path, e, "%sdists/%s/Release", buf_str(&prefix), v->suite);
	if (!r)
		r = put_blob(p, buf_str(&path), text.ptr, text.len, NULL, e);
	if (!r)
		r = gpg_sign_detached(p->site, p->fpr, text.ptr, text.len, &signed_, e);
	if (!r && !(r = buf_adds(&path, ".gpg", e)))
		r = put_blob(p, buf_str(&path), signed_.ptr, signed_.len, NULL, e);
	buf_reset(&signed_);
	buf_reset(&path);
	if (!r)
		r = gpg_sign_clear(p->site, p->fpr, text.ptr, text.len, &signed_, e);
	if (!r)
		r = buf_addf(&path, e, "%sdists/%s/InRelease", buf_str(&prefix), v->suite);
	if (!r) {
		struct relfile rf;

		r = put_blob(p, buf_str(&path), signed_.ptr, signed_.len, &rf, e);
		if (!r)
			memcpy(ir, rf.hex, SHA256_HEX);
	}
	buf_reset(&text);
	buf_reset(&path);
	if (!r)
		r = sources_file(p, group, v, &comps, &text, e);
	if (!r)
		r = buf_addf(&path, e, "groups/%s/%s.sources", group, v->source);
	if (!r)
		r = put_blob(p, buf_str(&path), text.ptr, text.len, NULL, e);
	if (!r) {
		p->res->views++;
		p->res->packages += npkgs;
		if (json_array_append_new(p->views, json_pack("{s:s, s:s, s:s, s:I, s:s}", "group", group, "source",
							      v->source, "suite", v->suite, "packages",
							      (json_int_t)npkgs, "inrelease", ir)))
			r = err_set(e, AE_NOMEM, "out of memory");
	}
	if (r)
		err_prefix(e, "publishing %s for group '%s'", v->source, group);
out:
	approved_free(&ap);
	free(rel);
	buf_release(&prefix);
	buf_release(&text);
	buf_release(&signed_);
	buf_release(&archs);
	buf_release(&comps);
	buf_release(&path);
	return r;
}

/* ---- the whole publication ---- */

struct views {
	struct aptview *v;
	struct apt_release *rel;
	size_t n;
};

static int collect_view(const struct aptview *v, void *arg, struct err *e)
{
	struct views *vs = arg;
	struct aptview *nv = realloc(vs->v, (vs->n + 1) * sizeof(*nv));
	struct apt_release *nr;

	if (!nv)
		return err_set(e, AE_NOMEM, "out of memory");
	vs->v = nv;
	nr = realloc(vs->rel, (vs->n + 1) * sizeof(*nr));
	if (!nr)
		return err_set(e, AE_NOMEM, "out of memory");
	vs->rel = nr;
	vs->v[vs->n] = *v;
	memset(&vs->rel[vs->n], 0, sizeof(vs->rel[vs->n]));
	vs->n++;
	return 0;
}

struct each_group {
	struct pub *p;
	struct views *vs;
	uint64_t groups;
};

static int publish_group(const char *group, const char *after, void *arg, struct err *e)
{
	struct each_group *g = arg;
	size_t i;
	int r = 0;

	g->groups++;
	for (i = 0; !r && i < g->vs->n; i++)
		r = publish_view(g->p, group, &g->vs->v[i], &g->vs->rel[i], e);
	return r;
}

struct keypick {
	char fpr[FPR_LEN + 1];
	size_t n;
};

static int pick_key(const struct gpg_keyinfo *ki, void *arg)
{
	struct keypick *k = arg;

	if (!ki->can_sign || ki->revoked || ki->expired)
		return 0;
	if (!k->n++)
		snprintf(k->fpr, sizeof(k->fpr), "%s", ki->fpr);
	return 0;
}

static int site_key(struct pub *p, struct err *e)
{
	const char *want = conf_str(p->h->conf, "publish.key");
	struct keypick k = { .n = 0 };
	struct gpg_keyinfo ki;
	int r;

	r = gpg_open(&p->site, p->h->gnupg, e);
	if (r)
		return r;
	if (want && *want) {
		r = gpg_key_info(p->site, want, &ki, e);
		if (r)
			return err_prefix(e, "publish.key"), r;
		if (!ki.has_secret || !ki.can_sign || ki.revoked || ki.expired)
			return err_set(e, AE_STATE, "publish.key %s cannot sign here (no secret key, revoked or expired)",
				       want);
		snprintf(p->fpr, sizeof(p->fpr), "%s", ki.fpr);
	} else {
		r = gpg_key_list(p->site, 1, pick_key, &k, e);
		if (r)
			return r;
		if (!k.n)
			return err_set(e, AE_STATE,
				       "the site has no publishing key; make one with 'airlock key generate --name \"Plant A"
				       " mirror\"'");
		if (k.n > 1)
			return err_set(e, AE_STATE,
				       "the site has %zu signing keys; choose one with publish.key = FPR in airlock.conf",
				       k.n);
		memcpy(p->fpr, k.fpr, sizeof(p->fpr));
	}
	return gpg_key_export(p->site, p->fpr, &p->keyasc, e);
}

static int prepare(struct pub *p, struct err *e)
{
	struct { struct db_stmt **st; const char *sql; } s[] = {
		{ &p->ins_file, "INSERT OR IGNORE INTO pubfile(publication, path, object, size) VALUES(?4, ?1, ?2, ?3)" },
		{ &p->ins_obj, "INSERT OR IGNORE INTO object(sha256, size, added) VALUES(?, ?, ?)" },
		{ &p->cache_get, "SELECT object, size FROM pubcache WHERE plain = ? AND kind = ?" },
		{ &p->cache_put, "INSERT OR REPLACE INTO pubcache(plain, kind, object, size) VALUES(?, ?, ?, ?)" },
	};
	size_t i;
	int r = 0;

	for (i = 0; !r && i < sizeof(s) / sizeof(s[0]); i++)
		r = db_prepare(p->h->db, s[i].sql, s[i].st, e);
	return r;
}

int publish_run(struct home *h, const char *static_dir, struct publish_result *res, struct err *e)
{
	struct pub p = { .h = h, .res = res };
	struct views vs = { 0 };
	struct each_group g = { .p = &p, .vs = &vs };
	struct buf vhome;
	struct db_stmt *st = NULL;
	char idstr[32];
	int64_t valid, last = 0;
	size_t i;
	int r, lock = -1, in_tx = 0, have_tmp = 0;

	memset(res, 0, sizeof(*res));
	buf_init(&p.tmp, PATH_MAXLEN);
	buf_init(&p.keyasc, (size_t)1 << 20);
	buf_init(&vhome, PATH_MAXLEN);
	p.views = json_array();
	if (!p.views)
		return err_set(e, AE_NOMEM, "out of memory");
	/* one publisher at a time, and never while an import promotes */
	r = home_lock(h, &lock, e);
	if (!r)
		r = time_now_or_sde(&p.now, e);
	if (!r)
		r = conf_duration(h->conf, "publish.valid-for", &valid, e);
	/*
	 * Each publication is at least one second newer than the last: the
	 * server's Last-Modified is the publication's time, and apt asks for
	 * InRelease with If-Modified-Since, so two publications within one
	 * second would leave a client on the first with a 304.
	 */
	if (!r)
		r = db_get_int(h->db, "SELECT coalesce(max(created), 0) FROM publication", NULL, 0, &last, e);
	if (r)
		goto out;
	if (p.now <= last)
		p.now = last + 1;
	p.valid_until = p.now + valid;
	r = approve_sync(h, NULL, e);
	if (!r)
		r = site_key(&p, e);
	if (!r)
		r = aptview_each_served(h->db, h->store, collect_view, &vs, e);
	if (!r)
		r = apt_vendor_home(h, &vhome, e);
	for (i = 0; !r && i < vs.n; i++)
		r = aptview_release(h->store, buf_str(&vhome), &vs.v[i], &vs.rel[i], e);
	if (!r)
		r = fs_mkdirs(h->published, 0755, e);
	if (!r)
		r = fs_mkdtemp(h->published, "tmp-", &p.tmp, e);
	if (r)
		goto out;
	have_tmp = 1;

	/* everything below is one transaction: readers see the old publication or the whole new one */
	r = db_begin(h->db, e);
	if (r)
		goto out;
	in_tx = 1;
	r = db_get_int(h->db, "SELECT coalesce(max(id), 0) FROM publication", NULL, 0, &p.id, e);
	if (!r)
		r = db_get_int(h->db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'publication'", NULL, 0,
			       &p.prev, e);
	p.id++;
	res->publication = p.id;
	res->valid_until = p.valid_until;
	memcpy(res->signer, p.fpr, sizeof(res->signer));
	if (!r)
		r = db_prepare(h->db,
			       "INSERT INTO publication(id, created, valid_until, signer, files) VALUES(?, ?, ?, ?, 0)",
			       &st, e);
	if (!r && !(r = db_bind_int(st, 1, p.id, e)) && !(r = db_bind_int(st, 2, p.now, e)) &&
	    !(r = db_bind_int(st, 3, p.valid_until, e)) && !(r = db_bind_text(st, 4, p.fpr, e)))
		r = db_step(st, e);
	db_finalize(st);
	st = NULL;
	if (r < 0)
		goto out;
	r = prepare(&p, e);
	if (!r)
		r = put_blob(&p, "keys/site.asc", p.keyasc.ptr, p.keyasc.len, NULL, e);
	if (!r)
		r = group_each(h->db, publish_group, &g, e);
	/* the previous publication's own indexes stay fetchable by hash (a client mid-update has its Release) */
	if (!r && p.prev) {
		r = db_prepare(h->db,
			       "INSERT OR IGNORE INTO pubfile(publication, path, object, size)"
			       " SELECT ?1, b.path, b.object, b.size FROM pubfile b WHERE b.publication = ?2"
			       " AND b.path GLOB 'groups/*/by-hash/SHA256/*' AND b.object IN (SELECT i.object"
			       " FROM pubfile i WHERE i.publication = ?2 AND i.path GLOB 'groups/*/dists/*/Packages*'"
			       " AND i.path NOT GLOB '*/by-hash/*')",
			       &st, e);
		if (!r && !(r = db_bind_int(st, 1, p.id, e)) && !(r = db_bind_int(st, 2, p.prev, e)))
			r = db_step(st, e);
		if (r >= 0)
			res->files += (uint64_t)db_changes(h->db);
		db_finalize(st);
		st = NULL;
		if (r > 0)
			r = 0;
	}
	crash_point("publish.built");
	/* the objects are durable before any row that names them is */
	if (!r)
		r = store_sync_dirs(h->store, e);
	snprintf(idstr, sizeof(idstr), "%lld", (long long)p.id);
	if (!r)
		r = db_meta_set(h->db, "publication", idstr, e);
	if (!r)
		r = db_prepare(h->db, "UPDATE publication SET files = ? WHERE id = ?", &st, e);
	if (!r && !(r = db_bind_int(st, 1, (int64_t)res->files, e)) && !(r = db_bind_int(st, 2, p.id, e)))
		r = db_step(st, e);
	db_finalize(st);
	st = NULL;
	/* only the new and the previous publication stay reachable */
	if (r >= 0)
		r = db_prepare(h->db, "DELETE FROM pubfile WHERE publication < ?", &st, e);
	if (!r && !(r = db_bind_int(st, 1, p.prev ? p.prev : p.id, e)))
		r = db_step(st, e);
	db_finalize(st);
	st = NULL;
	if (r > 0)
		r = 0;
	if (!r) {
		char *detail = NULL;

		r = json_detail(json_pack("{s:I, s:I, s:s, s:I, s:I, s:O}", "publication", (json_int_t)p.id,
					  "previous", (json_int_t)p.prev, "signer", p.fpr, "valid_until",
					  (json_int_t)p.valid_until, "files", (json_int_t)res->files, "views", p.views),
				&detail, e);
		if (!r)
			r = audit_append(h->db, "publish", idstr, detail, e);
		free(detail);
	}
	if (!r)
		r = db_commit(h->db, e);
	if (!r)
		in_tx = 0;
	crash_point("publish.committed");
	if (!r && static_dir)
		r = publish_static(h, p.id, static_dir, &res->static_copied, e);
out:
	if (in_tx)
		db_rollback(h->db);
	db_finalize(p.ins_file);
	db_finalize(p.ins_obj);
	db_finalize(p.cache_get);
	db_finalize(p.cache_put);
	if (have_tmp) {
		struct err ignore = { 0 };

		if (fs_rm_rf(buf_str(&p.tmp), &ignore))
			fprintf(stderr, "airlock: warning: %s\n", ignore.msg);
	}
	for (i = 0; i < vs.n; i++)
		apt_release_free(&vs.rel[i]);
	free(vs.v);
	free(vs.rel);
	gpg_close(p.site);
	json_decref(p.views);
	buf_release(&p.tmp);
	buf_release(&p.keyasc);
	buf_release(&vhome);
	if (lock >= 0)
		close(lock);
	return r;
}

/* ---- the static tree ---- */

static int place(const char *store, const char *root, const char *rel, const char *hex, struct buf *src,
		 struct buf *dst, int *copied, struct err *e)
{
	uint8_t sha[SHA256_LEN];
	int r;

	/* the same plain-path rule the server applies: nothing from the catalog escapes the tree */
	if (!apt_path_valid(rel, strlen(rel)))
		return err_set(e, AE_STATE, "catalog path '%s' is not a plain relative path", rel);
	if (hex_decode(hex, SHA256_HEX - 1, sha, SHA256_LEN))
		return err_set(e, AE_STATE, "catalog names a malformed object '%s'", hex);
	buf_reset(src);
	buf_reset(dst);
	r = store_path(store, sha, src, e);
	if (!r)
		r = buf_addf(dst, e, "%s/%s", root, rel);
	if (!r)
		r = fs_link(buf_str(src), buf_str(dst), copied, e);
	return r;
}

/* Remove base/gen-* except keep and old ("./airlock/gen-N", what current named before). */
static void prune_trees(const char *base, const char *keep, const char *old)
{
	const char *oldname = strrchr(old, '/');
	struct dirent *de;
	DIR *d = opendir(base);
	struct buf p;

	if (!d)
		return;
	oldname = oldname ? oldname + 1 : old;
	buf_init(&p, PATH_MAXLEN);
	while ((de = readdir(d))) {
		struct err ignore = { 0 };

		if (strncmp(de->d_name, "gen-", 4) || !strcmp(de->d_name, keep) || !strcmp(de->d_name, oldname))
			continue;
		buf_reset(&p);
		if (!buf_addf(&p, &ignore, "%s/%s", base, de->d_name))
			if (fs_rm_rf(buf_str(&p), &ignore))
				fprintf(stderr, "airlock: warning: %s\n", ignore.msg);
	}
	closedir(d);
	buf_release(&p);
}

int publish_static(struct home *h, int64_t id, const char *dir, uint64_t *copied_out, struct err *e)
{
	struct db_stmt *st = NULL;
	struct buf gen, src, dst, link_tmp, link_path, base;
	char name[64], old[PATH_MAXLEN] = "";
	int r, copied = 0;

	buf_init(&gen, PATH_MAXLEN);
	buf_init(&src, PATH_MAXLEN);
	buf_init(&dst, PATH_MAXLEN);
	buf_init(&link_tmp, PATH_MAXLEN);
	buf_init(&link_path, PATH_MAXLEN);
	buf_init(&base, PATH_MAXLEN);
	snprintf(name, sizeof(name), "gen-%lld", (long long)id);
	r = buf_addf(&base, e, "%s/.airlock", dir);
	if (!r)
		r = buf_addf(&gen, e, "%s/%s", buf_str(&base), name);
	if (!r && fs_exists(buf_str(&gen)))
		r = fs_rm_rf(buf_str(&gen), e);
	if (!r)
		r = fs_mkdirs(buf_str(&gen), 0755, e);
	/* the publication and the upstream view, exactly what the server resolves */
	if (!r)
		r = db_prepare(h->db,
			       "SELECT path, object FROM pubfile WHERE publication = ?1 UNION ALL"
			       " SELECT v.source || '/' || f.path, f.object FROM served v"
			       " JOIN file f ON f.snapshot = v.snapshot AND f.source = v.source"
			       " WHERE v.source NOT IN ('groups', 'keys')",
			       &st, e);
	if (!r)
		r = db_bind_int(st, 1, id, e);
	while (!r && (r = db_step(st, e)) == 1)
		r = place(h->store, buf_str(&gen), db_col_text(st, 0), db_col_text(st, 1), &src, &dst, &copied, e);
	db_finalize(st);
	if (r < 0)
		goto out;
	/* one rename() switches what dir/current names: nginx sees the old tree or the new one */
	r = buf_addf(&link_tmp, e, "%s/.current.tmp", dir);
	if (!r)
		r = buf_addf(&link_path, e, "%s/current", dir);
	if (r)
		goto out;
	unlink(buf_str(&link_tmp));
	{
		ssize_t n = readlink(buf_str(&link_path), old, sizeof(old) - 1);

		old[n > 0 ? n : 0] = '\0';
	}
	buf_reset(&src);
	if (!(r = buf_addf(&src, e, ".airlock/%s", name)) && symlink(buf_str(&src), buf_str(&link_tmp)))
		r = err_errno(e, errno, "cannot create '%s'", buf_str(&link_tmp));
	if (!r && rename(buf_str(&link_tmp), buf_str(&link_path)))
		r = err_errno(e, errno, "cannot switch '%s'", buf_str(&link_path));
	if (!r)
		r = fs_fsync_dir(dir, e);
	/* older trees than the previous one go; the previous stays for clients mid-update */
	if (!r)
		prune_trees(buf_str(&base), name, old);
	if (!r && copied_out)
		*copied_out = (uint64_t)copied;
out:
	buf_release(&gen);
	buf_release(&src);
	buf_release(&dst);
	buf_release(&link_tmp);
	buf_release(&link_path);
	buf_release(&base);
	return r;
}
