#include "verify/bundle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fs.h"
#include "lib/banned.h"

#define STREAM_BLOCK ((size_t)1 << 20)

#define SIG_NAME_LEN (sizeof(BUNDLE_SIGDIR "/") - 1 + FPR_LEN + 4)

int bundle_is_sig_name(const char *path)
{
	const char *p = path + sizeof(BUNDLE_SIGDIR "/") - 1;
	size_t i;

	if (strlen(path) != SIG_NAME_LEN || strncmp(path, BUNDLE_SIGDIR "/", sizeof(BUNDLE_SIGDIR "/") - 1))
		return 0;
	for (i = 0; i < FPR_LEN; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'A' && p[i] <= 'F')))
			return 0;
	return !strcmp(p + FPR_LEN, ".asc");
}

struct sig_walk {
	struct bundle *b;
	struct err *e;
};

static int collect_sig(const struct volume_entry *ent, void *arg)
{
	struct sig_walk *w = arg;
	struct bundle *b = w->b;

	if (ent->type != VENT_FILE || !bundle_is_sig_name(ent->path))
		return 0;
	if (b->nsigs == POLICY_MAX_SIGS)
		return err_reject(w->e, "'%s': more than %d signature files", volume_name(b->vol), POLICY_MAX_SIGS);
	if (ent->size > BUNDLE_SIG_MAX)
		return err_reject(w->e, "signature '%s': %llu bytes, more than a signature can be", ent->path,
				  (unsigned long long)ent->size);
	snprintf(b->signame[b->nsigs], sizeof(b->signame[0]), "%s", ent->path);
	b->nsigs++;
	return 0;
}

int bundle_open(struct bundle *b, const char *spec, struct err *e)
{
	return bundle_open_doc(b, spec, BUNDLE_MANIFEST, MANIFEST_MAX_BYTES, e);
}

int bundle_open_doc(struct bundle *b, const char *spec, const char *doc, size_t max, struct err *e)
{
	struct volume_entry ent;
	struct sig_walk w = { b, e };
	size_t i;
	int r;

	memset(b, 0, sizeof(*b));
	buf_init(&b->manifest_raw, MANIFEST_MAX_BYTES);
	for (i = 0; i < POLICY_MAX_SIGS; i++)
		buf_init(&b->sigdata[i], BUNDLE_SIG_MAX);
	manifest_init(&b->m);
	r = volume_open(&b->vol, spec, e);
	if (r)
		return r;
	r = volume_stat(b->vol, doc, &ent, e);
	if (r == -AE_NOTFOUND || (!r && ent.type != VENT_FILE)) {
		err_clear(e);
		return err_reject(e, "'%s': no '%s' file: not an airlock %s", volume_name(b->vol), doc,
				  strcmp(doc, BUNDLE_MANIFEST) ? "document" : "bundle");
	}
	if (r)
		return r;
	if (ent.size > max)
		return err_reject(e, "'%s': %s of %llu bytes is over the limit of %zu", volume_name(b->vol), doc,
				  (unsigned long long)ent.size, max);
	b->manifest_raw.max = max;
	r = volume_read_all(b->vol, doc, &b->manifest_raw, e);
	if (r == -AE_TOOBIG) {
		err_clear(e);
		return err_reject(e, "'%s': %s over the limit of %zu bytes", volume_name(b->vol), doc, max);
	}
	if (r)
		return r;
	sha256_buf(b->manifest_raw.ptr ? b->manifest_raw.ptr : "", b->manifest_raw.len, b->manifest_sha256);
	hex_encode(b->manifest_sha256, SHA256_LEN, b->manifest_hex);
	r = volume_walk(b->vol, collect_sig, &w, e);
	if (r)
		return r;
	for (i = 0; i < b->nsigs; i++) {
		r = volume_read_all(b->vol, b->signame[i], &b->sigdata[i], e);
		if (r == -AE_TOOBIG) {
			err_clear(e);
			return err_reject(e, "signature '%s': over %zu bytes", b->signame[i], BUNDLE_SIG_MAX);
		}
		if (r)
			return r;
	}
	return 0;
}

int bundle_verify_sigs(struct bundle *b, struct gpg *g, const struct policy *p, struct err *e)
{
	size_t i;
	int r;

	for (i = 0; i < b->nsigs; i++) {
		struct sig_result *s = &b->sigs[i];

		memset(s, 0, sizeof(*s));
		snprintf(s->file, sizeof(s->file), "%s", b->signame[i]);
		r = gpg_verify_detached(g, b->sigdata[i].ptr ? b->sigdata[i].ptr : "", b->sigdata[i].len,
					b->manifest_raw.ptr ? b->manifest_raw.ptr : "", b->manifest_raw.len, s, e);
		if (r)
			return r;
	}
	r = policy_check(p, b->sigs, b->nsigs, &b->verdict, e);
	if (r)
		return err_prefix(e, "'%s'", volume_name(b->vol));
	return 0;
}

int bundle_parse(struct bundle *b, struct err *e)
{
	int r = manifest_parse(&b->m, b->manifest_raw.ptr ? b->manifest_raw.ptr : "", b->manifest_raw.len, e);

	if (r)
		return err_prefix(e, "'%s'", volume_name(b->vol));
	b->parsed = 1;
	return 0;
}

const struct manifest_part *bundle_part_by_path(const struct manifest *m, const char *path)
{
	size_t i, n = sizeof(BUNDLE_PACKDIR "/") - 1;

	if (strncmp(path, BUNDLE_PACKDIR "/", n))
		return NULL;
	for (i = 0; i < m->nparts; i++)
		if (!strcmp(m->parts[i].name, path + n))
			return &m->parts[i];
	return NULL;
}

struct listing {
	struct bundle *b;
	struct err *e;
};

static int check_entry(const struct volume_entry *ent, void *arg)
{
	struct listing *l = arg;
	const char *p = ent->path;

	if (ent->type == VENT_DIR && (!strcmp(p, BUNDLE_SIGDIR) || !strcmp(p, BUNDLE_PACKDIR)))
		return 0;
	if (ent->type == VENT_FILE &&
	    (!strcmp(p, BUNDLE_MANIFEST) || bundle_is_sig_name(p) || bundle_part_by_path(&l->b->m, p)))
		return 0;
	if (ent->type == VENT_OTHER)
		return err_reject(l->e, "'%s': '%s' is not a regular file or folder (link or device)",
				  volume_name(l->b->vol), p);
	return err_reject(l->e, "'%s': unlisted %s '%s' on the volume: the manifest does not name it",
			  volume_name(l->b->vol), ent->type == VENT_DIR ? "folder" : "file", p);
}

int bundle_check_listing(struct bundle *b, struct err *e)
{
	struct listing l = { b, e };
	struct volume_entry ent;
	struct buf path;
	size_t i;
	int r;

	r = volume_walk(b->vol, check_entry, &l, e);
	if (r)
		return r;
	buf_init(&path, 256);
	for (i = 0; i < b->m.nparts && !r; i++) {
		const struct manifest_part *pt = &b->m.parts[i];

		buf_reset(&path);
		r = buf_addf(&path, e, "%s/%s", BUNDLE_PACKDIR, pt->name);
		if (r)
			break;
		if (pt->volume != 1) {
			r = err_set(e, AE_STATE, "'%s': part '%s' is on volume %u; multi-volume import is not "
						 "supported yet", volume_name(b->vol), buf_str(&path), pt->volume);
			break;
		}
		r = volume_stat(b->vol, buf_str(&path), &ent, e);
		if (r == -AE_NOTFOUND) {
			err_clear(e);
			r = err_reject(e, "'%s': part '%s' is missing", volume_name(b->vol), buf_str(&path));
		} else if (!r && ent.size != pt->size) {
			r = err_reject(e, "'%s': part '%s' is %llu bytes, the manifest says %llu (truncated or padded)",
				       volume_name(b->vol), buf_str(&path), (unsigned long long)ent.size,
				       (unsigned long long)pt->size);
		}
	}
	buf_release(&path);
	return r;
}

int bundle_stream_part(struct volume *vol, const struct manifest_part *pt, int fd, const char *fdname,
		       struct sha256 *pack_hash, struct progress *prog, struct err *e)
{
	struct volume_file *f = NULL;
	struct sha256 hp = { 0 };
	uint8_t d[SHA256_LEN];
	uint64_t left = pt->size;
	char *blk = NULL, name[256];
	ssize_t n;
	int r;

	snprintf(name, sizeof(name), "%s/%s", BUNDLE_PACKDIR, pt->name);
	blk = malloc(STREAM_BLOCK);
	if (!blk)
		return err_set(e, AE_NOMEM, "out of memory");
	r = volume_file_open(vol, name, &f, e);
	if (r)
		goto out;
	r = sha256_init(&hp, e);
	if (r)
		goto out;
	/* ask for one byte past the declared size, so that a longer file shows, but never more */
	while ((n = volume_file_read(f, blk, left < STREAM_BLOCK ? (size_t)left + 1 : STREAM_BLOCK, e)) > 0) {
		if ((uint64_t)n > left) {
			r = err_reject(e, "part '%s': longer than the %llu bytes the manifest says", name,
				       (unsigned long long)pt->size);
			goto out;
		}
		sha256_update(&hp, blk, (size_t)n);
		if (pack_hash)
			sha256_update(pack_hash, blk, (size_t)n);
		if (fd >= 0) {
			r = fs_write_all(fd, blk, (size_t)n, fdname, e);
			if (r)
				goto out;
		}
		left -= (uint64_t)n;
		if (prog)
			progress_add(prog, (uint64_t)n);
	}
	if (n < 0) {
		r = (int)n;
		goto out;
	}
	if (left) {
		r = err_reject(e, "part '%s': truncated, %llu bytes short", name, (unsigned long long)left);
		goto out;
	}
	sha256_final(&hp, d);
	if (memcmp(d, pt->sha256, SHA256_LEN))
		r = err_reject(e, "part '%s': sha256 mismatch", name);
out:
	volume_file_close(f);
	sha256_release(&hp);
	free(blk);
	return r;
}

int bundle_stream_pack(struct bundle *b, const struct manifest_pack *pk, int fd, const char *fdname,
		       struct progress *prog, struct err *e)
{
	struct sha256 hk = { 0 };
	uint8_t d[SHA256_LEN];
	size_t i;
	int r;

	r = sha256_init(&hk, e);
	for (i = 0; i < b->m.nparts && !r; i++)
		if (b->m.parts[i].pack == pk->id)
			r = bundle_stream_part(b->vol, &b->m.parts[i], fd, fdname, &hk, prog, e);
	if (r) {
		sha256_release(&hk);
		return r;
	}
	sha256_final(&hk, d);
	if (memcmp(d, pk->sha256, SHA256_LEN))
		return err_reject(e, "pack %u: sha256 of its parts together does not match", pk->id);
	return 0;
}

int bundle_check_parts(struct bundle *b, int quiet, struct err *e)
{
	struct progress prog;
	uint64_t total = 0;
	size_t i;
	int r = 0;

	for (i = 0; i < b->m.nparts; i++)
		total += b->m.parts[i].size;
	progress_start(&prog, "verifying", total, quiet);
	for (i = 0; i < b->m.npacks && !r; i++)
		r = bundle_stream_pack(b, &b->m.packs[i], -1, NULL, &prog, e);
	progress_done(&prog);
	return r;
}

void bundle_close(struct bundle *b)
{
	size_t i;

	volume_close(b->vol);
	b->vol = NULL;
	buf_release(&b->manifest_raw);
	for (i = 0; i < POLICY_MAX_SIGS; i++)
		buf_release(&b->sigdata[i]);
	manifest_release(&b->m);
}
