#include "importer/import.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "importer/apt_chain.h"
#include "importer/filetype.h"
#include "importer/scan.h"
#include "importer/unpack.h"
#include "lib/audit.h"
#include "lib/conf.h"
#include "lib/crash.h"
#include "lib/fs.h"
#include "lib/hash.h"
#include "lib/json.h"
#include "lib/util.h"
#include "mirror/catalog.h"
#include "mirror/store.h"
#include "verify/bundle.h"
#include "verify/gpg.h"
#include "verify/policy.h"
#include "verify/trust.h"
#include "lib/banned.h"

#define MAX_TRUSTED TRUST_MAX_KEYS

struct import {
	struct home *h;
	const struct import_opts *o;
	struct report *rep;
	int64_t start;
	struct bundle b;
	int bundle_open;
	struct gpg *g;
	struct buf qdir;   /* quarantine/import-... */
	struct buf tmp;
	uint8_t *seen;     /* per manifest object: extracted into quarantine */
	uint64_t last_seq;
	char last_hex[SHA256_HEX];
	char signers[POLICY_MAX_SIGS * (FPR_LEN + 1) + 1];
	uint64_t bytes;
};

/*
 * The quarantine folder's journal says how far an import got, for the
 * recovery that runs when the next command opens the home after a crash
 * (importer/recover.c): "checking" (nothing outside quarantine changed
 * yet) or "promoting" with the manifest and every object this import is
 * adding to the store.  Written with fsync before the state it describes.
 */
static int write_journal(struct import *im, const char *stage, struct err *e)
{
	const struct manifest *m = &im->b.m;
	struct buf j, path;
	size_t i;
	int r;

	buf_init(&j, (size_t)1 << 30);
	buf_init(&path, 8192);
	r = buf_addf(&j, e, "airlock-import-journal 1\nstage %s\nmedia %s\n", stage, im->o->media);
	if (!r && !strcmp(stage, "promoting")) {
		r = buf_addf(&j, e, "manifest %s\n", im->b.manifest_hex);
		for (i = 0; !r && i < m->nobjects; i++) {
			char hex[SHA256_HEX];

			if (!im->seen[i] || store_has(im->h->store, m->objects[i].sha256))
				continue;
			hex_encode(m->objects[i].sha256, SHA256_LEN, hex);
			r = buf_addf(&j, e, "object %s\n", hex);
		}
	}
	if (!r)
		r = buf_addf(&path, e, "%s/journal", im->qdir.ptr);
	if (!r)
		r = fs_write_atomic(path.ptr, j.ptr, j.len, 0600, e);
	buf_release(&j);
	buf_release(&path);
	return r;
}

static int step_signatures(struct import *im, struct err *e)
{
	static char trusted[MAX_TRUSTED][FPR_LEN + 1];
	struct policy p = { (const char(*)[FPR_LEN + 1])trusted, 0, 1 };
	size_t n;
	int r;

	r = trust_load(im->h->db, NULL, trusted, &n, NULL, e);
	if (r)
		return r;
	if (n == 0)
		return err_set(e, AE_STATE, "this site trusts no signing keys yet; add the officers' keys with "
					    "'airlock trust add --channel C KEYFILE'");
	p.ntrusted = n;
	r = gpg_open(&im->g, im->h->gnupg, e);
	if (r)
		return r;
	/* verify before parse: at least one good signature by a key this site trusts */
	return bundle_verify_sigs(&im->b, im->g, &p, e);
}

static int step_channel_policy(struct import *im, struct err *e)
{
	static char trusted[MAX_TRUSTED][FPR_LEN + 1];
	struct policy p = { (const char(*)[FPR_LEN + 1])trusted, 0, 0 };
	const struct manifest *m = &im->b.m;
	size_t n, i, len = 0;
	int r;

	r = trust_load(im->h->db, m->channel, trusted, &n, &p.threshold, e);
	if (r)
		return r;
	if (n == 0 || p.threshold == 0)
		return err_reject(e, "'%s': channel '%s' is not trusted at this site (add it with 'airlock trust "
				     "add --channel %s KEYFILE')", volume_name(im->b.vol), m->channel, m->channel);
	p.ntrusted = n;
	r = policy_check(&p, im->b.sigs, im->b.nsigs, &im->b.verdict, e);
	if (r)
		return err_prefix(e, "'%s': channel '%s'", volume_name(im->b.vol), m->channel);
	for (i = 0; i < im->b.verdict.counted; i++)
		len += (size_t)snprintf(im->signers + len, sizeof(im->signers) - len, "%s%s", i ? "," : "",
					im->b.verdict.signers[i]);
	report_ok(im->rep, "signatures", "%u of %u required for channel '%s': %s", im->b.verdict.counted,
		  p.threshold, m->channel, im->signers);
	return 0;
}

static int step_order(struct import *im, struct err *e)
{
	const struct manifest *m = &im->b.m;
	char t[TIME_STR], have[SHA256_HEX];
	int r;

	r = catalog_channel_last(im->h->db, m->channel, &im->last_seq, im->last_hex, e);
	if (r)
		return r;
	if (m->sequence == im->last_seq) {
		if (!strcmp(im->last_hex, im->b.manifest_hex))
			return err_set(e, AE_NOOP, "channel '%s' sequence %" PRIu64 " is already imported; nothing to do",
				       m->channel, m->sequence);
		return err_reject(e, "'%s': channel '%s' sequence %" PRIu64 " was already imported with a different "
				     "manifest (a fork or a forgery)", volume_name(im->b.vol), m->channel, m->sequence);
	}
	if (m->sequence < im->last_seq)
		return err_reject(e, "'%s': channel '%s' sequence %" PRIu64 " is older than the last imported %" PRIu64
				     " (replay)", volume_name(im->b.vol), m->channel, m->sequence, im->last_seq);
	/*
	 * An increment only makes sense on top of exactly the state this site
	 * has: it must chain to the last imported manifest.  A full snapshot
	 * may skip sequences (a site that missed bundles resynchronises with
	 * one), but when it claims to follow the last one, the claim must hold.
	 */
	if (im->last_seq && (m->base || (m->sequence == im->last_seq + 1 && m->has_previous))) {
		if (!m->has_previous)
			return err_reject(e, "'%s': increment names no previous manifest; it must chain to sequence %" PRIu64
					     " of channel '%s'", volume_name(im->b.vol), im->last_seq, m->channel);
		hex_encode(m->previous, SHA256_LEN, have);
		if (strcmp(have, im->last_hex))
			return err_reject(e, "'%s': previous-manifest hash does not match the last imported manifest of "
					     "channel '%s' (sequence %" PRIu64 ")", volume_name(im->b.vol), m->channel,
					  im->last_seq);
	}
	report_ok(im->rep, "sequence", "%" PRIu64 " follows %" PRIu64, m->sequence, im->last_seq);
	if (im->start >= m->expires) {
		time_format(m->expires, t);
		return err_reject(e, "'%s': bundle expired at %s", volume_name(im->b.vol), t);
	}
	time_format(m->expires, t);
	report_ok(im->rep, "expiry", "valid until %s", t);
	return 0;
}

/*
 * The newest signed time this site has accepted: manifests' created times
 * and officers' signature times.  A clock that reads earlier than that (a
 * dead RTC battery, a reset, an attacker at the kiosk) would reopen bundles
 * that have expired, so it stops the import instead.
 */
static int clock_floor(struct db *db, int64_t *floor, struct err *e)
{
	char v[64];
	int r = db_meta_get(db, "clock-floor", v, sizeof(v), e);

	*floor = 0;
	if (r == -AE_NOTFOUND) {
		err_clear(e);
		return 0;
	}
	if (r)
		return r;
	if (time_parse(v, strlen(v), floor) < 0)
		return err_set(e, AE_STATE, "catalog: malformed clock-floor '%s'", v);
	return 0;
}

static int64_t newest_signed_time(const struct import *im)
{
	int64_t t = im->b.m.created;
	size_t i;

	for (i = 0; i < im->b.nsigs; i++)
		if (im->b.sigs[i].status == SIG_GOOD && im->b.sigs[i].time > t)
			t = im->b.sigs[i].time;
	return t;
}

static int step_clock(struct import *im, struct err *e)
{
	char ref[TIME_STR], t[TIME_STR];
	int64_t skew, floor;
	int r;

	r = conf_duration(im->h->conf, "import.clock-skew", &skew, e);
	if (!r)
		r = clock_floor(im->h->db, &floor, e);
	if (r)
		return r;
	time_format(im->start, ref);
	if (floor && im->start + skew < floor) {
		time_format(floor, t);
		return err_reject(e, "'%s': the reference time %s is before %s, the newest signed time this site has "
				     "accepted: the clock looks wrong; set it, or give the true time with 'airlock import "
				     "--at TIME' (recorded in the audit log)", volume_name(im->b.vol), ref, t);
	}
	if (newest_signed_time(im) > im->start + skew) {
		time_format(newest_signed_time(im), t);
		return err_reject(e, "'%s': signed at %s, later than the reference time %s: the clock looks wrong "
				     "(or the export side's clock is); set it, or use 'airlock import --at TIME'",
				  volume_name(im->b.vol), t, ref);
	}
	report_ok(im->rep, "clock", "reference time %s%s; not before the site's clock floor", ref,
		  im->o->at ? " (set with --at)" : "");
	return 0;
}

/* Size budgets from airlock.conf, against what the signed manifest declares; streaming never exceeds those. */
static int step_budget(struct import *im, struct err *e)
{
	const struct manifest *m = &im->b.m;
	uint64_t max_bundle, max_object, total = 0;
	char a[32], b[32];
	size_t i;
	int r;

	r = conf_size(im->h->conf, "import.max-bundle-size", &max_bundle, e);
	if (!r)
		r = conf_size(im->h->conf, "import.max-object-size", &max_object, e);
	if (r)
		return r;
	for (i = 0; i < m->nobjects; i++) {
		char hex[SHA256_HEX];

		if (m->objects[i].size > max_object) {
			hex_encode(m->objects[i].sha256, SHA256_LEN, hex);
			size_human(m->objects[i].size, a);
			size_human(max_object, b);
			return err_reject(e, "'%s': object %s is %s, over the site's import.max-object-size of %s",
					  volume_name(im->b.vol), hex, a, b);
		}
		if (m->objects[i].pack)
			total += m->objects[i].size;
	}
	for (i = 0; i < m->npacks; i++)
		total += m->packs[i].size;
	if (total > max_bundle) {
		size_human(total, a);
		size_human(max_bundle, b);
		return err_reject(e, "'%s': packs and objects come to %s, over the site's import.max-bundle-size of %s",
				  volume_name(im->b.vol), a, b);
	}
	size_human(total, a);
	report_ok(im->rep, "budget", "%s to unpack, within the site's limits", a);
	return 0;
}

static int step_base(struct import *im, struct err *e)
{
	const struct manifest *m = &im->b.m;
	struct db_stmt *st = NULL;
	size_t i;
	int r;

	if (!m->base)
		return 0;
	r = db_prepare(im->h->db, "SELECT 1 FROM snapshot WHERE channel = ? AND sequence = ?", &st, e);
	if (r)
		return r;
	if (!(r = db_bind_text(st, 1, m->channel, e)) && !(r = db_bind_int(st, 2, (int64_t)m->base, e)))
		r = db_step(st, e);
	db_finalize(st);
	if (r < 0)
		return r;
	if (r == 0)
		return err_set(e, AE_STATE, "'%s' is an increment on channel '%s' sequence %" PRIu64
					    ", which this site has not imported: import sequence %" PRIu64 " first",
			       volume_name(im->b.vol), m->channel, m->base, m->base);
	for (i = 0; i < m->nobjects; i++) {
		char hex[SHA256_HEX];

		if (m->objects[i].pack || store_has(im->h->store, m->objects[i].sha256))
			continue;
		hex_encode(m->objects[i].sha256, SHA256_LEN, hex);
		return err_reject(e, "'%s': object %s is not shipped and not in the store (base %" PRIu64 " incomplete)",
				  volume_name(im->b.vol), hex, m->base);
	}
	report_ok(im->rep, "base", "increment on sequence %" PRIu64 ", base objects present", m->base);
	return 0;
}

/* Copy one pack's parts from the media into quarantine, hashing as it goes; stop at the declared size. */
static int copy_pack(struct import *im, const struct manifest_pack *pk, const char *dst, struct err *e)
{
	int fd, r;

	fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_errno(e, errno, "cannot create '%s'", dst);
	r = bundle_stream_pack(&im->b, pk, fd, dst, NULL, e);
	close(fd);
	return r;
}

static int step_payload(struct import *im, struct err *e)
{
	const struct manifest *m = &im->b.m;
	struct buf objdir, packpath;
	size_t i;
	int r;

	buf_init(&objdir, 8192);
	buf_init(&packpath, 8192);
	im->seen = calloc(m->nobjects ? m->nobjects : 1, 1);
	if (!im->seen) {
		r = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	r = buf_addf(&objdir, e, "%s/objects", im->qdir.ptr);
	if (r)
		goto out;
	if (mkdir(objdir.ptr, 0700) < 0) {
		r = err_errno(e, errno, "cannot create '%s'", objdir.ptr);
		goto out;
	}
	for (i = 0; i < m->npacks; i++) {
		const struct manifest_pack *pk = &m->packs[i];

		buf_reset(&packpath);
		r = buf_addf(&packpath, e, "%s/pack-%u", im->qdir.ptr, pk->id);
		if (r)
			goto out;
		/* verify before parse: the whole pack is hashed before libarchive sees a byte of it */
		r = copy_pack(im, pk, packpath.ptr, e);
		if (r)
			goto out;
		crash_point("pack-copied");
		r = unpack_pack(packpath.ptr, m, pk, objdir.ptr, im->seen, &im->bytes, e);
		if (r)
			goto out;
		/* the pack is no longer needed once its objects are out: keep quarantine small */
		unlink(packpath.ptr);
	}
	report_ok(im->rep, "payload", "%zu packs, %zu objects, %" PRIu64 " bytes: hashes and sizes match",
		  m->npacks, m->nobjects, im->bytes);
out:
	buf_release(&objdir);
	buf_release(&packpath);
	return r;
}

static int sync_filesystem(const char *dir, struct err *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return err_errno(e, errno, "cannot open '%s'", dir);
	if (syncfs(fd) < 0)
		r = err_errno(e, errno, "cannot flush the file system of '%s' to disk", dir);
	close(fd);
	return r;
}

/* apt sources: the vendor's own chain again, against keys provisioned at this site */
static int step_vendor(struct import *im, struct err *e)
{
	struct buf objdir;
	size_t checked = 0;
	int r;

	buf_init(&objdir, 8192);
	r = buf_addf(&objdir, e, "%s/objects", im->qdir.ptr);
	if (!r)
		r = apt_chain_verify(im->h, &im->b.m, objdir.ptr, &checked, e);
	if (!r && checked)
		report_ok(im->rep, "vendor", "%zu apt files verified: InRelease by a vendor key of this site, "
					     "indexes by the signed Release, packages by the signed index", checked);
	buf_release(&objdir);
	return r;
}

static int raise_clock_floor(struct import *im, struct err *e)
{
	char t[TIME_STR];
	int64_t floor, seen = newest_signed_time(im);
	int r = clock_floor(im->h->db, &floor, e);

	if (r || seen <= floor)
		return r;
	time_format(seen, t);
	return db_meta_set(im->h->db, "clock-floor", t, e);
}

/* The path of a shipped object in quarantine; NULL in b when this bundle does not ship it (the base has it). */
static int quarantined(struct import *im, const struct manifest_object *o, struct buf *b, struct err *e)
{
	char hex[SHA256_HEX];

	buf_reset(b);
	if (!im->seen[o - im->b.m.objects])
		return 0;
	hex_encode(o->sha256, SHA256_LEN, hex);
	return buf_addf(b, e, "%s/objects/%s", im->qdir.ptr, hex);
}

/* Every name a shipped object has must agree with its content's type (libmagic). */
static int step_filetype(struct import *im, struct err *e)
{
	const struct manifest *m = &im->b.m;
	struct filetype *ft = NULL;
	struct buf path, label;
	size_t i, ruled = 0;
	unsigned mode;
	int r;

	r = conf_choice(im->h->conf, "scan.filetype", "required|off", &mode, e);
	if (r || mode == 1) {
		if (!r)
			report_ok(im->rep, "filetype", "off (scan.filetype = off in airlock.conf)");
		return r;
	}
	buf_init(&path, 8192);
	buf_init(&label, 8192);
	r = filetype_open(&ft, e);
	for (i = 0; !r && i < m->nfiles; i++) {
		const struct manifest_file *f = &m->files[i];
		const char *kind = NULL;

		r = quarantined(im, manifest_find_object(m, f->object), &path, e);
		if (r || !path.len)
			continue;
		buf_reset(&label);
		r = buf_addf(&label, e, "%s/%s", f->source, f->path);
		if (!r)
			r = filetype_check(ft, path.ptr, label.ptr, &kind, e);
		if (!r && kind && strcmp(kind, "any"))
			ruled++;
	}
	if (!r)
		report_ok(im->rep, "filetype", "%zu files checked by content; %zu of them against the kind their name "
						"declares", m->nfiles, ruled);
	filetype_close(ft);
	buf_release(&path);
	buf_release(&label);
	return r;
}

/* ClamAV, YARA and the site's own scanner on every shipped object, once each, named by its first path. */
static int step_scan(struct import *im, struct err *e)
{
	const struct manifest *m = &im->b.m;
	struct scanner *sc = NULL;
	struct scan_opts o;
	struct buf db, path, label;
	uint8_t *done = calloc(m->nobjects ? m->nobjects : 1, 1);
	json_t *desc = NULL;
	size_t i, n = 0;
	int r;

	buf_init(&db, 8192);
	buf_init(&path, 8192);
	buf_init(&label, 8192);
	if (!done) {
		r = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	r = scan_opts_from_conf(im->h->conf, &o, e);
	if (!r)
		r = scan_db_current(im->h, &db, e);
	if (r)
		goto out;
	o.dbdir = db.ptr;
	o.now = im->start;
	r = scan_open(&sc, &o, e);
	for (i = 0; !r && i < m->nfiles; i++) {
		const struct manifest_file *f = &m->files[i];
		const struct manifest_object *ob = manifest_find_object(m, f->object);

		if (done[ob - m->objects])
			continue;
		done[ob - m->objects] = 1;
		r = quarantined(im, ob, &path, e);
		if (r || !path.len)
			continue;
		buf_reset(&label);
		r = buf_addf(&label, e, "%s/%s", f->source, f->path);
		if (!r)
			r = scan_object(sc, path.ptr, label.ptr, e);
		n++;
	}
	if (sc && !scan_describe(sc, &desc, &(struct err){ 0 }))
		report_set(im->rep, "scanners", desc);
	if (!r) {
		json_t *cl = json_object_get(desc, "clamav"), *ya = json_object_get(desc, "yara");

		report_ok(im->rep, "scan", "%zu objects clean: ClamAV %s with %" JSON_INTEGER_FORMAT
					   " signatures, YARA %" JSON_INTEGER_FORMAT " rules%s",
			  n, json_string_value(json_object_get(cl, "engine")) ?: "off",
			  json_integer_value(json_object_get(cl, "signatures")),
			  json_integer_value(json_object_get(ya, "rules")), o.external ? ", external scanner" : "");
	}
out:
	scan_close(sc);
	free(done);
	buf_release(&db);
	buf_release(&path);
	buf_release(&label);
	return r;
}

static int step_promote(struct import *im, struct err *e)
{
	const struct manifest *m = &im->b.m;
	struct buf src;
	size_t i;
	int r = 0;

	buf_init(&src, 8192);
	/*
	 * One flush for the whole import instead of one fsync per object
	 * (objects cost ~1 ms each otherwise): every object's data is on disk
	 * before the first rename makes any of it visible in the store.
	 * Quarantine and store share the site home's file system.
	 */
	r = sync_filesystem(im->qdir.ptr, e);
	if (r)
		goto out;
	crash_point("synced");
	r = write_journal(im, "promoting", e);
	if (r)
		goto out;
	crash_point("journal");
	for (i = 0; i < m->nobjects; i++) {
		char hex[SHA256_HEX];

		if (!im->seen[i])
			continue;
		hex_encode(m->objects[i].sha256, SHA256_LEN, hex);
		buf_reset(&src);
		r = buf_addf(&src, e, "%s/objects/%s", im->qdir.ptr, hex);
		if (!r)
			r = store_promote(im->h->store, src.ptr, m->objects[i].sha256, e);
		if (r)
			goto out;
		crash_point("object-promoted");
	}
	r = store_sync_dirs(im->h->store, e);
	if (r)
		goto out;
	crash_point("store-synced");
	/* the catalog switches the served view in one transaction, after every object is durable */
	r = db_begin(im->h->db, e);
	if (r)
		goto out;
	r = catalog_record_snapshot(im->h->db, m, im->b.manifest_hex, im->signers, im->start, e);
	if (!r)
		r = raise_clock_floor(im, e);
	if (!r) {
		char *detail = NULL;

		r = json_detail(json_pack("{s:s, s:I, s:s, s:s}", "channel", m->channel, "sequence",
					  (json_int_t)m->sequence, "manifest", im->b.manifest_hex, "signers",
					  im->signers), &detail, e);
		if (!r)
			r = audit_append(im->h->db, "import.accepted", volume_name(im->b.vol), detail, e);
		free(detail);
	}
	if (!r)
		crash_point("recorded");
	if (!r)
		r = db_commit(im->h->db, e);
	if (r)
		db_rollback(im->h->db);
	else
		crash_point("committed");
out:
	buf_release(&src);
	return r;
}

/*
 * Every rejection reads the same way: "'<media>': <check>: <detail>", so
 * that an operator (or a script) sees the media, the check and the file
 * in one line, whichever layer found the problem.
 */
static void name_media_and_check(struct err *e, const char *media, const char *check)
{
	char quoted[600], rest[sizeof(e->msg)];
	size_t n;

	n = (size_t)snprintf(quoted, sizeof(quoted), "'%s': ", media);
	snprintf(rest, sizeof(rest), "%s", strncmp(e->msg, quoted, n) ? e->msg : e->msg + n);
	snprintf(e->msg, sizeof(e->msg), "%s%s: %s", quoted, check, rest);
}

static int run_checks(struct import *im, struct err *e)
{
	const char *step = "media";
	int r;

	r = bundle_open(&im->b, im->o->media, e);
	im->bundle_open = 1;
	if (r)
		goto fail;
	report_ok(im->rep, step, "%s: manifest %s, %zu signature files", volume_name(im->b.vol), im->b.manifest_hex,
		  im->b.nsigs);
	step = "signatures";
	r = step_signatures(im, e);
	if (r)
		goto fail;
	step = "manifest";
	r = bundle_parse(&im->b, e);
	if (r)
		goto fail;
	report_ok(im->rep, step, "channel '%s' sequence %" PRIu64 ", %zu files, %zu objects", im->b.m.channel,
		  im->b.m.sequence, im->b.m.nfiles, im->b.m.nobjects);
	report_set(im->rep, "channel", json_string(im->b.m.channel));
	report_set(im->rep, "sequence", json_integer((json_int_t)im->b.m.sequence));
	report_set(im->rep, "manifest", json_string(im->b.manifest_hex));
	step = "signatures";
	r = step_channel_policy(im, e);
	if (r)
		goto fail;
	step = "clock";
	r = step_clock(im, e);
	if (r)
		goto fail;
	step = "order";
	r = step_order(im, e);
	if (r)
		goto fail;
	step = "budget";
	r = step_budget(im, e);
	if (r)
		goto fail;
	step = "base";
	r = step_base(im, e);
	if (r)
		goto fail;
	step = "sources";
	r = catalog_check_sources(im->h->db, &im->b.m, e);
	if (r)
		goto fail;
	report_ok(im->rep, step, "%zu sources, none served by another channel", im->b.m.nsources);
	step = "listing";
	r = bundle_check_listing(&im->b, e);
	if (r)
		goto fail;
	report_ok(im->rep, step, "every file on the volume is named by the manifest; parts present");
	step = "payload";
	r = step_payload(im, e);
	if (r)
		goto fail;
	/* the vendor's signatures decide first: a file the vendor did not sign is that, whatever its type */
	step = "vendor";
	r = step_vendor(im, e);
	if (r)
		goto fail;
	step = "filetype";
	r = step_filetype(im, e);
	if (r)
		goto fail;
	step = "scan";
	r = step_scan(im, e);
	if (r)
		goto fail;
	return 0;
fail:
	if (r != -AE_NOOP)
		report_fail(im->rep, step, e);
	if (r == -AE_REJECT)
		name_media_and_check(e, im->b.vol ? volume_name(im->b.vol) : im->o->media, step);
	return r;
}

static int record_outcome(struct import *im, const char *result, const struct err *verdict, const char *report,
			  struct err *e)
{
	struct db_stmt *st = NULL;
	int r;

	r = db_begin(im->h->db, e);
	if (r)
		return r;
	r = db_prepare(im->h->db, "INSERT INTO import(started, media, channel, sequence, result, reason, report) "
				  "VALUES(?, ?, ?, ?, ?, ?, ?)", &st, e);
	if (!r && !(r = db_bind_int(st, 1, im->start, e)) && !(r = db_bind_text(st, 2, im->o->media, e))) {
		if (im->b.parsed) {
			r = db_bind_text(st, 3, im->b.m.channel, e);
			if (!r)
				r = db_bind_int(st, 4, (int64_t)im->b.m.sequence, e);
		}
		if (!r && !(r = db_bind_text(st, 5, result, e)) &&
		    !(r = db_bind_text(st, 6, verdict ? verdict->msg : "", e)) &&
		    !(r = db_bind_text(st, 7, report, e)))
			r = db_step(st, e);
	}
	db_finalize(st);
	if (r >= 0 && strcmp(result, "accepted"))
		r = audit_append(im->h->db, "import.rejected", im->o->media, verdict ? verdict->msg : "", e);
	if (r >= 0)
		r = db_commit(im->h->db, e);
	if (r < 0) {
		db_rollback(im->h->db);
		return r;
	}
	return 0;
}

/*
 * A rejected import keeps its quarantine folder, report inside, for
 * forensics; any other outcome leaves nothing in quarantine and files its
 * report under reports/ by the same name.
 */
static int set_report_base(struct import *im, int clean, struct buf *base, struct err *e)
{
	const char *leaf = strrchr(im->qdir.ptr, '/') + 1;
	int r;

	buf_reset(base);
	if (!clean)
		return buf_addf(base, e, "%s/report", im->qdir.ptr);
	buf_reset(&im->tmp);
	r = buf_addf(&im->tmp, e, "%s/reports", im->h->dir);
	if (!r)
		r = fs_mkdirs(im->tmp.ptr, 0755, e);
	if (!r)
		r = buf_addf(base, e, "%s/%s", im->tmp.ptr, leaf);
	return r;
}

/* An operator who overrides the clock does so on the record, before any check runs. */
static int record_time_override(struct import *im, struct err *e)
{
	char at[TIME_STR], clock[TIME_STR];

	time_format(im->start, at);
	time_format((int64_t)time(NULL), clock);
	report_set(im->rep, "time_override", json_pack("{s:s, s:s}", "reference", at, "clock", clock));
	report_ok(im->rep, "time-override", "reference time %s given with --at; this machine's clock says %s", at,
		  clock);
	return audit_record(im->h->db, "import.time-override", im->o->media,
			    json_pack("{s:s, s:s, s:s}", "media", im->o->media, "reference", at, "clock", clock), e);
}

int import_run(struct home *h, const struct import_opts *o, struct report *rep, struct buf *report_base,
	       struct err *e)
{
	struct import im;
	struct err e2 = { 0 };
	int lockfd = -1, r;

	memset(&im, 0, sizeof(im));
	im.h = h;
	im.o = o;
	im.rep = rep;
	im.start = o->at ? o->at : (int64_t)time(NULL);
	buf_init(&im.qdir, 8192);
	buf_init(&im.tmp, 8192);
	r = report_init(rep, o->media, im.start, e);
	if (r)
		goto out;
	r = home_lock(h, &lockfd, e);
	if (r)
		goto out;
	r = fs_mkdtemp(h->quarantine, "import-", &im.qdir, e);
	if (r)
		goto out;
	r = write_journal(&im, "checking", e);
	if (r)
		goto out;
	crash_point("quarantine");
	if (o->at) {
		r = record_time_override(&im, e);
		if (r)
			goto out;
	}
	r = run_checks(&im, e);
	if (r == -AE_NOOP) {
		report_result(rep, "no-op", e->msg);
		goto out;
	}
	if (!r && o->dry_run) {
		report_result(rep, "dry-run", "every check passed; nothing was promoted (--dry-run)");
		goto out;
	}
	if (!r) {
		r = step_promote(&im, e);
		if (!r)
			report_ok(rep, "promote", "%zu files now served from snapshot %s sequence %" PRIu64,
				  im.b.m.nfiles, im.b.m.channel, im.b.m.sequence);
		else
			report_fail(rep, "promote", e);
	}
	if (r) {
		report_result(rep, r == -AE_REJECT ? "rejected" : "error", e->msg);
		/* a rejection's folder is evidence and stays; after an error (a full disk) it would only take space */
		if (set_report_base(&im, r != -AE_REJECT, report_base, &e2) ||
		    record_outcome(&im, r == -AE_REJECT ? "rejected" : "error", e, report_base->ptr, &e2))
			fprintf(stderr, "airlock: cannot record the rejection: %s\n", e2.msg);
	} else {
		report_result(rep, "accepted", "promoted");
		if (set_report_base(&im, 1, report_base, &e2) ||
		    record_outcome(&im, "accepted", NULL, report_base->ptr, &e2))
			fprintf(stderr, "airlock: cannot record the import: %s\n", e2.msg);
	}
out:
	if (im.qdir.len && !report_base->len && set_report_base(&im, r != -AE_REJECT, report_base, &e2))
		fprintf(stderr, "airlock: cannot file the report: %s\n", e2.msg);
	if (im.qdir.len && r != -AE_REJECT && fs_rm_rf(im.qdir.ptr, &e2))
		fprintf(stderr, "airlock: cannot clean '%s': %s\n", im.qdir.ptr, e2.msg);
	if (report_base->len && report_write(rep, report_base->ptr, &e2))
		fprintf(stderr, "airlock: cannot write the report: %s\n", e2.msg);
	crash_point("reported");
	if (im.bundle_open)
		bundle_close(&im.b);
	gpg_close(im.g);
	free(im.seen);
	buf_release(&im.qdir);
	buf_release(&im.tmp);
	if (lockfd >= 0)
		close(lockfd);
	return r;
}
