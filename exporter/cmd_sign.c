#include <errno.h>
#include <fcntl.h>
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
#include "lib/hash.h"
#include "lib/home.h"
#include "lib/json.h"
#include "lib/progress.h"
#include "lib/util.h"
#include "media/volume.h"
#include "verify/bundle.h"
#include "verify/gpg.h"
#include "verify/manifest.h"
#include "lib/banned.h"

#define SIG_PATH_LEN (sizeof(BUNDLE_SIGDIR "/") - 1 + FPR_LEN + 4)

struct sign_job {
	const char *spec;  /* as given */
	const char *path;  /* without a "dir:"/"iso:" prefix */
	struct volume *vol;
	struct gpg_keyinfo key;
	struct buf raw;    /* manifest bytes */
	struct manifest m;
	char hex[SHA256_HEX];
	char sigpath[SIG_PATH_LEN + 1];
	char *tmpdir;      /* ISO only: the bundle's files while the image is rewritten */
	/* the signature files the bundle holds, for the report and the ISO copy */
	char (*sigs)[SIG_PATH_LEN + 1];
	size_t nsigs;
	size_t dropped;
	int json;
};

struct walk_ctx {
	struct sign_job *j;
	struct err *e;
};

static int note_entry(const struct volume_entry *ent, void *arg)
{
	struct walk_ctx *w = arg;
	struct sign_job *j = w->j;

	if (ent->type == VENT_DIR)
		return 0;
	if (ent->type == VENT_FILE && bundle_is_sig_name(ent->path)) {
		if (j->nsigs == POLICY_MAX_SIGS)
			return err_set(w->e, AE_FORMAT, "'%s' holds more than %d signatures", j->spec,
				       POLICY_MAX_SIGS);
		snprintf(j->sigs[j->nsigs++], SIG_PATH_LEN + 1, "%s", ent->path);
		return 0;
	}
	if (ent->type == VENT_FILE && (!strcmp(ent->path, BUNDLE_MANIFEST) || bundle_part_by_path(&j->m, ent->path)))
		return 0;
	/* only the ISO is rewritten, and what the manifest does not name would be refused on import anyway */
	if (volume_kind(j->vol) == VOLUME_ISO)
		fprintf(stderr, "airlock: note: '%s' on '%s' is not part of the bundle and is left out\n", ent->path,
			j->spec);
	j->dropped++;
	return 0;
}

/*
 * Hash one part as it stands on the volume and, for an ISO, copy it into the
 * temporary folder in the same pass: an officer's signature vouches for the
 * payload too, so a part that does not match its manifest line stops here.
 */
static int check_part(struct sign_job *j, const struct manifest_part *pt, struct progress *prog, struct err *e)
{
	struct buf out;
	int fd = -1, r = 0;

	buf_init(&out, 16384);
	if (j->tmpdir) {
		r = buf_addf(&out, e, "%s/%s/%s", j->tmpdir, BUNDLE_PACKDIR, pt->name);
		if (r)
			goto out;
		fd = open(out.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0) {
			r = err_errno(e, errno, "cannot create '%s'", out.ptr);
			goto out;
		}
	}
	r = bundle_stream_part(j->vol, pt, fd, buf_str(&out), NULL, prog, e);
	if (r) {
		err_prefix(e, "'%s': not signing", j->spec);
		goto out;
	}
	if (fd >= 0 && fsync(fd) < 0)
		r = err_errno(e, errno, "cannot sync '%s'", out.ptr);
out:
	if (fd >= 0)
		close(fd);
	buf_release(&out);
	return r;
}

static int copy_small(struct sign_job *j, const char *rel, size_t max, struct err *e)
{
	struct buf data, out;
	int r;

	buf_init(&data, max);
	buf_init(&out, 16384);
	r = volume_read_all(j->vol, rel, &data, e);
	if (!r)
		r = buf_addf(&out, e, "%s/%s", j->tmpdir, rel);
	if (!r)
		r = fs_write_atomic(out.ptr, data.ptr ? data.ptr : "", data.len, 0644, e);
	buf_release(&data);
	buf_release(&out);
	return r;
}

static int make_tmpdir(struct sign_job *j, struct err *e)
{
	struct buf dir, sub;
	char *copy = NULL;
	int r;

	buf_init(&dir, 16384);
	buf_init(&sub, 16384);
	copy = strdup(j->path);
	if (!copy) {
		r = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	/* next to the image: the new image is renamed over the old one, on the same file system */
	r = fs_mkdtemp(dirname(copy), ".airlock-sign-", &dir, e);
	if (r)
		goto out;
	j->tmpdir = buf_detach(&dir, NULL);
	r = buf_addf(&sub, e, "%s/%s", j->tmpdir, BUNDLE_PACKDIR);
	if (!r && mkdir(sub.ptr, 0755) < 0)
		r = err_errno(e, errno, "cannot create folder '%s'", sub.ptr);
	buf_reset(&sub);
	if (!r)
		r = buf_addf(&sub, e, "%s/%s", j->tmpdir, BUNDLE_SIGDIR);
	if (!r && mkdir(sub.ptr, 0755) < 0)
		r = err_errno(e, errno, "cannot create folder '%s'", sub.ptr);
out:
	free(copy);
	buf_release(&dir);
	buf_release(&sub);
	return r;
}

static int open_bundle(struct sign_job *j, struct err *e)
{
	struct volume_entry ent;
	struct walk_ctx w = { j, e };
	uint8_t sha[SHA256_LEN];
	struct err pe;
	int64_t now;
	struct stat st;
	char t[TIME_STR];
	int r;

	r = volume_open(&j->vol, j->spec, e);
	if (r)
		return r;
	/* an image is signed by writing a new one: that needs a file, not a disc in a drive */
	if (volume_kind(j->vol) == VOLUME_ISO && (stat(j->path, &st) < 0 || !S_ISREG(st.st_mode)))
		return err_set(e, AE_STATE, "'%s' is not an image file: co-sign a bundle before it is written "
					    "to disc", j->spec);
	r = volume_stat(j->vol, BUNDLE_MANIFEST, &ent, e);
	if (r == -AE_NOTFOUND) {
		err_clear(e);
		return err_set(e, AE_NOTFOUND, "'%s' holds no manifest: it is not a bundle", j->spec);
	}
	if (r)
		return r;
	r = volume_read_all(j->vol, BUNDLE_MANIFEST, &j->raw, e);
	if (r)
		return r;
	sha256_buf(j->raw.ptr ? j->raw.ptr : "", j->raw.len, sha);
	hex_encode(sha, SHA256_LEN, j->hex);
	/* sign only what the import side would accept: never vouch for bytes that do not parse */
	err_clear(&pe);
	if (manifest_parse(&j->m, j->raw.ptr ? j->raw.ptr : "", j->raw.len, &pe))
		return err_set(e, AE_REJECT, "'%s': %s; not signing", j->spec, pe.msg);
	r = time_now_or_sde(&now, e);
	if (r)
		return r;
	if (j->m.expires <= now) {
		time_format(j->m.expires, t);
		return err_set(e, AE_STATE, "'%s' expired at %s: export a new bundle instead of signing this one",
			       j->spec, t);
	}
	j->sigs = calloc(POLICY_MAX_SIGS, sizeof(*j->sigs));
	if (!j->sigs)
		return err_set(e, AE_NOMEM, "out of memory");
	r = volume_walk(j->vol, note_entry, &w, e);
	if (r)
		return r;
	snprintf(j->sigpath, sizeof(j->sigpath), "%s/%s.asc", BUNDLE_SIGDIR, j->key.fpr);
	r = volume_stat(j->vol, j->sigpath, &ent, e);
	if (r == 0)
		return err_set(e, AE_EXISTS, "'%s' is already signed by key %s", j->spec, j->key.fpr);
	if (r != -AE_NOTFOUND)
		return r;
	err_clear(e);
	return 0;
}

static int check_and_copy(struct sign_job *j, struct err *e)
{
	struct progress prog;
	uint64_t total = 0;
	size_t i;
	int r;

	if (volume_kind(j->vol) == VOLUME_ISO) {
		r = make_tmpdir(j, e);
		if (r)
			return r;
	}
	for (i = 0; i < j->m.nparts; i++)
		total += j->m.parts[i].size;
	progress_start(&prog, "check", total, j->json);
	for (i = 0, r = 0; i < j->m.nparts && !r; i++)
		r = check_part(j, &j->m.parts[i], &prog, e);
	if (r) {
		if (prog.active)
			fputc('\n', stderr);
	} else {
		progress_done(&prog);
	}
	if (r || !j->tmpdir)
		return r;
	r = copy_small(j, BUNDLE_MANIFEST, MANIFEST_MAX_BYTES, e);
	for (i = 0; i < j->nsigs && !r; i++)
		r = copy_small(j, j->sigs[i], BUNDLE_SIG_MAX, e);
	return r;
}

static int write_signature(struct sign_job *j, const struct buf *sig, struct err *e)
{
	char volid[BUILD_VOLUME_ID_MAX + 1];
	struct buf p;
	int r;

	buf_init(&p, 16384);
	if (!j->tmpdir) {
		r = buf_addf(&p, e, "%s/%s", j->path, BUNDLE_SIGDIR);
		if (!r && mkdir(p.ptr, 0755) < 0 && errno != EEXIST)
			r = err_errno(e, errno, "cannot create folder '%s'", p.ptr);
		buf_reset(&p);
		if (!r)
			r = buf_addf(&p, e, "%s/%s", j->path, j->sigpath);
		/* again: hashing a large bundle takes a while, and another run may have signed meanwhile */
		if (!r && fs_exists(p.ptr))
			r = err_set(e, AE_EXISTS, "'%s' is already signed by key %s", j->spec, j->key.fpr);
		if (!r)
			r = fs_write_atomic(p.ptr, sig->ptr, sig->len, 0644, e);
		goto out;
	}
	r = buf_addf(&p, e, "%s/%s", j->tmpdir, j->sigpath);
	if (!r)
		r = fs_write_atomic(p.ptr, sig->ptr, sig->len, 0644, e);
	if (r)
		goto out;
	/* the reader holds the old image open; it has been copied out entirely, so let it go first */
	volume_close(j->vol);
	j->vol = NULL;
	build_volume_id(j->m.channel, j->m.sequence, volid);
	r = iso_write_dir(j->tmpdir, j->path, volid, j->m.created, e);
out:
	buf_release(&p);
	return r;
}

static int record(struct home *h, struct sign_job *j, struct err *e)
{
	int r;

	r = db_begin(h->db, e);
	if (r)
		return r;
	r = audit_append(h->db, "sign", j->hex, j->key.fpr, e);
	if (!r)
		r = db_commit(h->db, e);
	if (r)
		db_rollback(h->db);
	return r;
}

static void report(const struct sign_job *j)
{
	json_t *a;
	size_t i;

	if (j->json) {
		a = json_array();
		for (i = 0; a && i < j->nsigs; i++)
			json_array_append_new(a, json_string(j->sigs[i]));
		json_array_append_new(a, json_string(j->sigpath));
		json_print(json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:o}", "status", "ok", "bundle", j->spec,
				     "channel", j->m.channel, "sequence", (json_int_t)j->m.sequence, "manifest",
				     j->hex, "key", j->key.fpr, "uid", j->key.uid, "signatures", a));
		return;
	}
	printf("signed '%s' (channel '%s' sequence %" PRIu64 ") with key %s %s\n", j->spec, j->m.channel,
	       j->m.sequence, j->key.fpr, j->key.uid);
	printf("  manifest    %s\n", j->hex);
	printf("  signatures  %zu\n", j->nsigs + 1);
}

static int run_sign(struct cmd_ctx *ctx, struct sign_job *j, const char *keyarg, struct err *e)
{
	struct home h = { 0 };
	struct gpg *g = NULL;
	struct buf sig;
	int r, home_ok = 0;

	buf_init(&sig, BUNDLE_SIG_MAX);
	r = home_open(&h, ctx->home, HOME_EXPORT, e);
	if (r)
		goto out;
	home_ok = 1;
	r = gpg_open(&g, h.gnupg, e);
	if (!r)
		r = gpg_key_info(g, keyarg, &j->key, e);
	if (r)
		goto out;
	if (!j->key.has_secret) {
		r = err_set(e, AE_STATE, "key %s has no secret part in this site's keyring", j->key.fpr);
		goto out;
	}
	if (j->key.revoked || j->key.expired || !j->key.can_sign) {
		r = err_set(e, AE_STATE, "key %s cannot sign: it is %s", j->key.fpr,
			    j->key.revoked ? "revoked" : j->key.expired ? "expired" : "not a signing key");
		goto out;
	}
	r = open_bundle(j, e);
	if (!r)
		r = check_and_copy(j, e);
	if (!r)
		r = gpg_sign_detached(g, j->key.fpr, j->raw.ptr, j->raw.len, &sig, e);
	if (!r)
		r = write_signature(j, &sig, e);
	if (r)
		goto out;
	r = record(&h, j, e);
	if (r) {
		err_prefix(e, "the signature was added to '%s' but not recorded in the audit log", j->spec);
		goto out;
	}
	report(j);
out:
	if (j->tmpdir) {
		struct err ignore;

		err_clear(&ignore);
		(void)!fs_rm_rf(j->tmpdir, &ignore);
	}
	gpg_close(g);
	if (home_ok)
		home_close(&h);
	buf_release(&sig);
	return r;
}

CMD(sign)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct sign_job j;
	struct err e = { 0 };
	const char *key = NULL;
	int c, r;

	memset(&j, 0, sizeof(j));
	buf_init(&j.raw, MANIFEST_MAX_BYTES);
	manifest_init(&j.m);
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			key = optarg;
			break;
		case 'j':
			j.json = 1;
			break;
		default:
			return cmd_usage(ctx, "unknown option");
		}
	}
	if (optind >= argc)
		return cmd_usage(ctx, "say which bundle: a folder, an ISO image, dir:PATH or iso:PATH");
	if (optind + 1 != argc)
		return cmd_usage(ctx, "unexpected argument '%s'", argv[optind + 1]);
	if (!key)
		return cmd_usage(ctx, "say which key signs: --key FPR");
	j.spec = argv[optind];
	j.path = j.spec;
	if (!strncmp(j.path, "dir:", 4) || !strncmp(j.path, "iso:", 4))
		j.path += 4;
	if (!*j.path)
		return cmd_usage(ctx, "'%s' names no path", j.spec);

	r = run_sign(ctx, &j, key, &e);
	if (j.vol)
		volume_close(j.vol);
	manifest_release(&j.m);
	buf_release(&j.raw);
	free(j.sigs);
	free(j.tmpdir);
	return r ? cmd_fail(ctx, &e, j.json) : 0;
}
