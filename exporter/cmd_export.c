#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exporter/build.h"
#include "lib/audit.h"
#include "lib/cmd.h"
#include "lib/fs.h"
#include "lib/home.h"
#include "lib/json.h"
#include "lib/util.h"
#include "media/volume.h"
#include "verify/bundle.h"
#include "verify/gpg.h"
#include "lib/banned.h"

enum target_kind { TARGET_DIR = 1, TARGET_ISO = 2 };

struct signer {
	char fpr[FPR_LEN + 1]; /* primary, uppercase */
	char uid[256];
};

struct export_job {
	const char *channel;
	enum target_kind kind;
	const char *path;        /* as given */
	struct buf target;       /* "dir:/abs" or "iso:/abs", as recorded */
	struct buf abspath;      /* the absolute path alone */
	const char *keys[POLICY_MAX_SIGS];
	size_t nkeys;
	struct signer signers[POLICY_MAX_SIGS];
	size_t nsigners;
	int64_t expires_secs;
	uint64_t base; /* 0: a full bundle */
	int json;
};

/* Every exported manifest is kept, so that a later --base N knows what sequence N carried. */
static int manifest_keep_path(struct home *h, const char *channel, uint64_t seq, struct buf *out, struct err *e)
{
	return buf_addf(out, e, "%s/exports/%s/%" PRIu64 ".manifest", h->dir, channel, seq);
}

static int load_base(struct home *h, struct export_job *j, uint64_t next, struct manifest *base, struct err *e)
{
	struct buf path, raw;
	int r;

	if (j->base >= next)
		return err_set(e, AE_USAGE, "--base %" PRIu64 ": channel '%s' is at sequence %" PRIu64
					    ", so the base must be lower", j->base, j->channel, next - 1);
	buf_init(&path, 8192);
	buf_init(&raw, MANIFEST_MAX_BYTES);
	r = manifest_keep_path(h, j->channel, j->base, &path, e);
	if (!r && !fs_exists(path.ptr))
		r = err_set(e, AE_NOTFOUND, "channel '%s' sequence %" PRIu64 " was not exported from this home, so "
					    "there is nothing to build an increment on", j->channel, j->base);
	if (!r)
		r = fs_read_file(path.ptr, &raw, e);
	if (!r)
		r = manifest_parse(base, raw.ptr ? raw.ptr : "", raw.len, e);
	buf_release(&path);
	buf_release(&raw);
	return r;
}

static int keep_manifest(struct home *h, const char *channel, uint64_t seq, const struct buf *raw, struct err *e)
{
	struct buf path;
	char *slash;
	int r;

	buf_init(&path, 8192);
	r = manifest_keep_path(h, channel, seq, &path, e);
	if (!r) {
		slash = strrchr(path.ptr, '/');
		*slash = '\0';
		r = fs_mkdirs(path.ptr, 0755, e);
		*slash = '/';
	}
	if (!r)
		r = fs_write_atomic(path.ptr, raw->ptr, raw->len, 0644, e);
	buf_release(&path);
	return r;
}

/* Resolve every --sign to the primary key that will be named on the media, before any work is done. */
static int resolve_signers(struct export_job *j, struct gpg *g, struct err *e)
{
	struct gpg_keyinfo ki;
	size_t i, k;
	int r;

	for (i = 0; i < j->nkeys; i++) {
		r = gpg_key_info(g, j->keys[i], &ki, e);
		if (r)
			return r;
		if (!ki.has_secret)
			return err_set(e, AE_STATE, "key %s has no secret part in this site's keyring", ki.fpr);
		if (ki.revoked || ki.expired || !ki.can_sign)
			return err_set(e, AE_STATE, "key %s cannot sign: it is %s", ki.fpr,
				       ki.revoked ? "revoked" : ki.expired ? "expired" : "not a signing key");
		for (k = 0; k < j->nsigners; k++)
			if (!strcmp(j->signers[k].fpr, ki.fpr))
				return err_set(e, AE_USAGE, "key %s is given twice: one key signs a bundle once",
					       ki.fpr);
		snprintf(j->signers[j->nsigners].fpr, sizeof(j->signers[0].fpr), "%s", ki.fpr);
		snprintf(j->signers[j->nsigners].uid, sizeof(j->signers[0].uid), "%s", ki.uid);
		j->nsigners++;
	}
	return 0;
}

static int dir_is_empty(const char *path, int *empty, struct err *e)
{
	struct dirent *d;
	DIR *dir = opendir(path);

	if (!dir)
		return err_errno(e, errno, "cannot open folder '%s'", path);
	*empty = 1;
	errno = 0;
	while ((d = readdir(dir))) {
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..")) {
			*empty = 0;
			break;
		}
	}
	closedir(dir);
	return 0;
}

/* Check the target before building, so that a long export does not end on a refusal. */
static int check_target(struct export_job *j, struct err *e)
{
	char *copy = NULL, *real = NULL;
	struct stat st;
	int empty, r;

	if (j->kind == TARGET_DIR) {
		if (stat(j->path, &st) == 0) {
			if (!S_ISDIR(st.st_mode)) {
				r = err_set(e, AE_EXISTS, "'%s' exists and is not a folder", j->path);
				goto out;
			}
			r = dir_is_empty(j->path, &empty, e);
			if (r)
				goto out;
			if (!empty) {
				r = err_set(e, AE_EXISTS, "'%s' is not empty: a bundle folder holds nothing else",
					    j->path);
				goto out;
			}
		} else if (errno != ENOENT) {
			r = err_errno(e, errno, "cannot use '%s'", j->path);
			goto out;
		}
		r = 0;
		goto out;
	}
	if (lstat(j->path, &st) == 0) {
		r = err_set(e, AE_EXISTS, "'%s' exists already: choose a new name for the image", j->path);
		goto out;
	}
	copy = strdup(j->path);
	if (!copy) {
		r = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	real = realpath(dirname(copy), NULL);
	if (!real || !fs_is_dir(real)) {
		r = err_errno(e, real ? ENOTDIR : errno, "cannot write '%s'", j->path);
		goto out;
	}
	free(copy);
	copy = strdup(j->path);
	if (!copy) {
		r = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	buf_reset(&j->abspath);
	r = buf_addf(&j->abspath, e, "%s%s%s", real, strcmp(real, "/") ? "/" : "", basename(copy));
out:
	free(copy);
	free(real);
	return r;
}

static int sign_all(struct export_job *j, struct gpg *g, const char *stage, const struct buf *raw, struct err *e)
{
	struct buf sig, path;
	size_t i;
	int r = 0;

	buf_init(&sig, BUNDLE_SIG_MAX);
	buf_init(&path, 8192);
	for (i = 0; i < j->nsigners; i++) {
		buf_reset(&sig);
		buf_reset(&path);
		r = gpg_sign_detached(g, j->signers[i].fpr, raw->ptr, raw->len, &sig, e);
		if (!r)
			r = buf_addf(&path, e, "%s/%s/%s.asc", stage, BUNDLE_SIGDIR, j->signers[i].fpr);
		if (!r)
			r = fs_write_atomic(path.ptr, sig.ptr, sig.len, 0644, e);
		if (r)
			break;
	}
	buf_release(&sig);
	buf_release(&path);
	return r;
}

/* Rename within one file system; across file systems copy (the copy is fsynced) and drop the original. */
static int move_file(const char *from, const char *to, struct err *e)
{
	int r;

	if (rename(from, to) == 0)
		return 0;
	if (errno != EXDEV)
		return err_errno(e, errno, "cannot move '%s' to '%s'", from, to);
	r = fs_copy_file(from, to, 0644, e);
	if (r)
		return r;
	unlink(from);
	return 0;
}

static int move_rel(const char *stage, const char *dst, const char *rel, struct err *e)
{
	struct buf a, b;
	int r;

	buf_init(&a, 16384);
	buf_init(&b, 16384);
	r = buf_addf(&a, e, "%s/%s", stage, rel);
	if (!r)
		r = buf_addf(&b, e, "%s/%s", dst, rel);
	if (!r)
		r = move_file(a.ptr, b.ptr, e);
	buf_release(&a);
	buf_release(&b);
	return r;
}

static int mkdir_in(const char *dst, const char *name, struct err *e)
{
	struct buf p;
	int r;

	buf_init(&p, 16384);
	r = buf_addf(&p, e, "%s/%s", dst, name);
	if (!r && mkdir(p.ptr, 0755) < 0)
		r = err_errno(e, errno, "cannot create folder '%s'", p.ptr);
	if (!r)
		r = fs_fsync_dir(dst, e);
	buf_release(&p);
	return r;
}

/*
 * The bundle folder is filled payload first and manifest last, so that a
 * folder left half written by a crash or a full stick holds no manifest and
 * is never taken for a bundle.
 */
static int write_dir(struct export_job *j, const char *stage, const struct manifest *m, int *created_any,
		     struct err *e)
{
	struct buf rel, sub;
	char *real = NULL;
	int empty, r;
	size_t i;

	buf_init(&rel, 16384);
	buf_init(&sub, 16384);
	r = fs_mkdirs(j->path, 0755, e);
	if (r)
		goto out;
	real = realpath(j->path, NULL);
	if (!real) {
		r = err_errno(e, errno, "cannot use '%s'", j->path);
		goto out;
	}
	buf_reset(&j->abspath);
	r = buf_adds(&j->abspath, real, e);
	if (r)
		goto out;
	/* again now: something may have been put there while the bundle was built */
	r = dir_is_empty(real, &empty, e);
	if (r)
		goto out;
	if (!empty) {
		r = err_set(e, AE_EXISTS, "'%s' is not empty: a bundle folder holds nothing else", j->path);
		goto out;
	}
	*created_any = 1;
	r = mkdir_in(real, BUNDLE_PACKDIR, e);
	if (!r)
		r = mkdir_in(real, BUNDLE_SIGDIR, e);
	if (r)
		goto out;
	for (i = 0; i < m->nparts; i++) {
		buf_reset(&rel);
		r = buf_addf(&rel, e, "%s/%s", BUNDLE_PACKDIR, m->parts[i].name);
		if (!r)
			r = move_rel(stage, real, rel.ptr, e);
		if (r)
			goto out;
	}
	for (i = 0; i < j->nsigners; i++) {
		buf_reset(&rel);
		r = buf_addf(&rel, e, "%s/%s.asc", BUNDLE_SIGDIR, j->signers[i].fpr);
		if (!r)
			r = move_rel(stage, real, rel.ptr, e);
		if (r)
			goto out;
	}
	r = buf_addf(&sub, e, "%s/%s", real, BUNDLE_PACKDIR);
	if (!r)
		r = fs_fsync_dir(sub.ptr, e);
	buf_reset(&sub);
	if (!r)
		r = buf_addf(&sub, e, "%s/%s", real, BUNDLE_SIGDIR);
	if (!r)
		r = fs_fsync_dir(sub.ptr, e);
	if (!r)
		r = move_rel(stage, real, BUNDLE_MANIFEST, e);
	if (!r)
		r = fs_fsync_dir(real, e);
out:
	free(real);
	buf_release(&rel);
	buf_release(&sub);
	return r;
}

/* Take back what write_dir put into the (previously empty) folder. */
static void undo_dir(struct export_job *j)
{
	static const char *const names[] = { BUNDLE_MANIFEST, BUNDLE_PACKDIR, BUNDLE_SIGDIR };
	struct err ignore;
	struct buf p;
	size_t i;

	buf_init(&p, 16384);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		err_clear(&ignore);
		buf_reset(&p);
		if (!buf_addf(&p, &ignore, "%s/%s", buf_str(&j->abspath), names[i]))
			(void)!fs_rm_rf(p.ptr, &ignore);
	}
	buf_release(&p);
}

static json_t *signers_json(const struct export_job *j)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < j->nsigners; i++)
		json_array_append_new(a, json_string(j->signers[i].fpr));
	return a;
}

static int record(struct home *h, struct export_job *j, const struct manifest *m, const char *hex,
		  const struct build_stats *st, struct err *e)
{
	struct db_stmt *stmt = NULL;
	char *detail = NULL;
	json_t *d;
	int r, in_tx = 0;

	d = json_pack("{s:s, s:I, s:s, s:o, s:I, s:I, s:I}", "channel", j->channel, "sequence",
		      (json_int_t)m->sequence, "target", buf_str(&j->target), "signers", signers_json(j), "files",
		      (json_int_t)st->files, "objects", (json_int_t)st->objects, "bytes",
		      (json_int_t)st->pack_bytes);
	r = json_detail(d, &detail, e);
	d = NULL;
	if (r)
		goto out;
	r = db_begin(h->db, e);
	if (r)
		goto out;
	in_tx = 1;
	r = db_prepare(h->db, "INSERT INTO export(channel, sequence, manifest, created, expires, target) "
			      "VALUES(?, ?, ?, ?, ?, ?)", &stmt, e);
	if (!r)
		r = db_bind_text(stmt, 1, j->channel, e);
	if (!r)
		r = db_bind_int(stmt, 2, (int64_t)m->sequence, e);
	if (!r)
		r = db_bind_text(stmt, 3, hex, e);
	if (!r)
		r = db_bind_int(stmt, 4, m->created, e);
	if (!r)
		r = db_bind_int(stmt, 5, m->expires, e);
	if (!r)
		r = db_bind_text(stmt, 6, buf_str(&j->target), e);
	if (!r)
		r = db_step(stmt, e);
	if (r < 0)
		goto out;
	r = audit_append(h->db, "export", hex, detail, e);
	if (r)
		goto out;
	r = db_commit(h->db, e);
	if (r)
		goto out;
	in_tx = 0;
out:
	if (in_tx)
		db_rollback(h->db);
	db_finalize(stmt);
	free(detail);
	return r;
}

static void report(const struct export_job *j, const struct manifest *m, const char *hex,
		   const struct build_stats *st)
{
	char created[TIME_STR], expires[TIME_STR], b1[32], b2[32], b3[32];
	size_t i;

	time_format(m->created, created);
	time_format(m->expires, expires);
	if (j->json) {
		json_print(json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:s}",
				     "status", "ok", "channel", j->channel, "sequence", (json_int_t)m->sequence,
				     "manifest", hex, "created", created, "expires", expires, "files",
				     (json_int_t)st->files, "file_bytes", (json_int_t)st->file_bytes, "objects",
				     (json_int_t)st->objects, "object_bytes", (json_int_t)st->object_bytes,
				     "stored", (json_int_t)st->stored, "packs", (json_int_t)st->packs, "parts",
				     (json_int_t)st->parts, "bytes", (json_int_t)st->pack_bytes, "signers",
				     signers_json(j), "target", buf_str(&j->target)));
		return;
	}
	size_human(st->file_bytes, b1);
	size_human(st->object_bytes, b2);
	size_human(st->pack_bytes, b3);
	printf("exported channel '%s' sequence %" PRIu64 " to %s\n", j->channel, m->sequence, buf_str(&j->target));
	printf("  files     %" PRIu64 " (%s)\n", st->files, b1);
	printf("  objects   %" PRIu64 " (%s), %" PRIu64 " stored uncompressed\n", st->objects, b2, st->stored);
	printf("  packs     %" PRIu64 " in %" PRIu64 " part%s, %s\n", st->packs, st->parts,
	       st->parts == 1 ? "" : "s", b3);
	printf("  manifest  %s\n", hex);
	printf("  valid     %s to %s\n", created, expires);
	if (!j->nsigners)
		printf("  signers   none: sign it with 'airlock sign %s --key FPR'\n", buf_str(&j->target));
	for (i = 0; i < j->nsigners; i++)
		printf("  %-9s %s %s\n", i ? "" : "signers", j->signers[i].fpr, j->signers[i].uid);
}

static int run_export(struct cmd_ctx *ctx, struct export_job *j, struct err *e)
{
	struct build_source *sources = NULL;
	struct build_spec spec;
	struct build_stats st;
	struct manifest m, basem;
	struct buf stage, raw;
	struct home h = { 0 };
	struct gpg *g = NULL;
	uint8_t sha[SHA256_LEN];
	char hex[SHA256_HEX], volid[BUILD_VOLUME_ID_MAX + 1];
	size_t nsources = 0;
	int r, home_ok = 0, dir_touched = 0, media_written = 0;

	manifest_init(&m);
	manifest_init(&basem);
	buf_init(&stage, 8192);
	buf_init(&raw, MANIFEST_MAX_BYTES);
	memset(&spec, 0, sizeof(spec));
	r = home_open(&h, ctx->home, HOME_EXPORT, e);
	if (r)
		goto out;
	home_ok = 1;
	r = check_target(j, e);
	if (r)
		goto out;
	if (j->nkeys) {
		r = gpg_open(&g, h.gnupg, e);
		if (!r)
			r = resolve_signers(j, g, e);
		if (r)
			goto out;
	}
	r = build_load_sources(h.db, h.staging, &sources, &nsources, e);
	if (r)
		goto out;
	if (!nsources) {
		r = err_set(e, AE_STATE, "there are no sources to export: add one with "
					 "'airlock source add NAME --dir PATH'");
		goto out;
	}
	spec.channel = j->channel;
	spec.sources = sources;
	spec.nsources = nsources;
	r = build_channel_state(h.db, j->channel, &spec.sequence, &spec.has_previous, spec.previous, e);
	if (!r)
		r = time_now_or_sde(&spec.created, e);
	if (r)
		goto out;
	spec.expires = spec.created + j->expires_secs;
	if (j->base) {
		r = load_base(&h, j, spec.sequence, &basem, e);
		if (r)
			goto out;
		spec.base = &basem;
		spec.base_sequence = j->base;
	}

	r = fs_mkdirs(h.staging, 0700, e);
	if (!r)
		r = fs_mkdtemp(h.staging, "export-", &stage, e);
	if (r)
		goto out;
	r = build_run(&spec, stage.ptr, &m, &raw, sha, &st, e);
	if (r)
		goto out;
	hex_encode(sha, SHA256_LEN, hex);
	r = sign_all(j, g, stage.ptr, &raw, e);
	if (r)
		goto out;

	if (j->kind == TARGET_DIR) {
		r = write_dir(j, stage.ptr, &m, &dir_touched, e);
	} else {
		build_volume_id(j->channel, m.sequence, volid);
		r = iso_write_dir(stage.ptr, buf_str(&j->abspath), volid, m.created, e);
	}
	if (r)
		goto out;
	media_written = 1;
	r = buf_addf(&j->target, e, "%s:%s", j->kind == TARGET_DIR ? "dir" : "iso", buf_str(&j->abspath));
	if (!r)
		r = keep_manifest(&h, j->channel, m.sequence, &raw, e);
	if (!r)
		r = record(&h, j, &m, hex, &st, e);
	if (r) {
		err_prefix(e, "the bundle was written to '%s' but could not be recorded, so the next export "
			      "would reuse sequence %" PRIu64 "; remove the bundle and export again",
			   j->path, m.sequence);
		goto out;
	}
	report(j, &m, hex, &st);
	r = 0;
out:
	if (r && dir_touched && !media_written)
		undo_dir(j);
	if (stage.len) {
		struct err ignore;

		err_clear(&ignore);
		(void)!fs_rm_rf(stage.ptr, &ignore);
	}
	gpg_close(g);
	if (home_ok)
		home_close(&h);
	build_sources_free(sources, nsources);
	manifest_release(&m);
	manifest_release(&basem);
	buf_release(&stage);
	buf_release(&raw);
	return r;
}

CMD(export)
{
	static const struct option opts[] = {
		{ "channel", required_argument, NULL, 'c' },
		{ "to", required_argument, NULL, 't' },
		{ "sign", required_argument, NULL, 's' },
		{ "expires", required_argument, NULL, 'x' },
		{ "base", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct export_job j;
	struct err e = { 0 };
	const char *to = NULL;
	int c, r;

	memset(&j, 0, sizeof(j));
	buf_init(&j.target, 16384);
	buf_init(&j.abspath, 16384);
	j.expires_secs = BUILD_DEFAULT_EXPIRES;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			j.channel = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 's':
			if (j.nkeys == POLICY_MAX_SIGS)
				return cmd_usage(ctx, "at most %d --sign keys", POLICY_MAX_SIGS);
			j.keys[j.nkeys++] = optarg;
			break;
		case 'x':
			if (duration_parse(optarg, &j.expires_secs) < 0)
				return cmd_usage(ctx, "'%s' is not a duration: use 30d, 12h, 45m or seconds", optarg);
			break;
		case 'b':
			if (parse_u64(optarg, strlen(optarg), &j.base) < 0 || j.base < 1)
				return cmd_usage(ctx, "--base takes the sequence the far side has imported");
			break;
		case 'j':
			j.json = 1;
			break;
		default:
			return cmd_usage(ctx, "unknown option");
		}
	}
	if (optind != argc)
		return cmd_usage(ctx, "unexpected argument '%s'", argv[optind]);
	if (!j.channel)
		return cmd_usage(ctx, "say which channel: --channel C");
	if (!name_valid(j.channel, strlen(j.channel)))
		return cmd_usage(ctx, "'%s' is not a valid channel name: use a-z, 0-9, '.', '_', '-', starting "
				      "with a letter or digit, at most 64 characters", j.channel);
	if (!to)
		return cmd_usage(ctx, "say where to: --to iso:PATH or --to dir:PATH");
	if (!strncmp(to, "iso:", 4))
		j.kind = TARGET_ISO;
	else if (!strncmp(to, "dir:", 4))
		j.kind = TARGET_DIR;
	else
		return cmd_usage(ctx, "'%s' is not a target: use iso:PATH or dir:PATH", to);
	j.path = to + 4;
	if (!*j.path)
		return cmd_usage(ctx, "'%s' names no path", to);

	r = run_export(ctx, &j, &e);
	buf_release(&j.target);
	buf_release(&j.abspath);
	return r ? cmd_fail(ctx, &e, j.json) : 0;
}
