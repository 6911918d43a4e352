/*
 * Finding an import that a crash interrupted, and undoing it.
 *
 * The import promotes in a fixed order: every object is on disk (one
 * syncfs), the journal lists the objects it is about to add, the objects
 * are renamed into the store, and one SQLite transaction records the
 * snapshot and switches the served view.  So after a crash:
 *   - no journal, or stage "checking": nothing outside quarantine changed;
 *   - stage "promoting" and the catalog holds the manifest: the commit
 *     happened; only the quarantine folder is left to remove;
 *   - stage "promoting" and the catalog does not: some listed objects may
 *     be in the store, referenced by nothing; they are removed.
 * Either way the folder goes, the catalog and store agree again, the
 * previous snapshot is what is served, and importing the media again
 * completes the import from the start.  A rejected import's folder (it has
 * a report) is kept for forensics and left alone.
 */
#include "importer/recover.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lib/audit.h"
#include "lib/buf.h"
#include "lib/fs.h"
#include "lib/hash.h"
#include "lib/json.h"
#include "mirror/store.h"
#include "lib/banned.h"

#define JOURNAL_MAX ((size_t)1 << 30)

static int is_referenced(struct db *db, const char *hex, int *yes, struct err *e)
{
	int64_t n = 0;
	int r = db_get_int(db, "SELECT count(*) FROM object WHERE sha256 = ?", hex, 0, &n, e);

	*yes = n > 0;
	return r;
}

static int committed(struct db *db, const char *manifest_hex, int *yes, struct err *e)
{
	int64_t n = 0;
	int r = db_get_int(db, "SELECT count(*) FROM snapshot WHERE manifest = ?", manifest_hex, 0, &n, e);

	*yes = n > 0;
	return r;
}

/* Remove a store object no snapshot references, and its fan-out folder if that is now empty. */
static int drop_orphan(struct home *h, const char *hex, size_t *dropped, struct err *e)
{
	uint8_t sha[SHA256_LEN];
	struct buf p;
	char *slash;
	int r, ref;

	if (!is_sha256_hex(hex, strlen(hex)) || hex_decode(hex, SHA256_HEX - 1, sha, SHA256_LEN))
		return err_set(e, AE_STATE, "journal: '%.80s' is not an object hash", hex);
	r = is_referenced(h->db, hex, &ref, e);
	if (r || ref)
		return r;
	buf_init(&p, 8192);
	r = store_path(h->store, sha, &p, e);
	if (!r && unlink(p.ptr) == 0) {
		(*dropped)++;
		slash = strrchr(p.ptr, '/');
		*slash = '\0';
		if (rmdir(p.ptr) < 0 && errno != ENOTEMPTY && errno != EEXIST)
			r = err_errno(e, errno, "cannot remove '%s'", p.ptr);
	} else if (!r && errno != ENOENT) {
		r = err_errno(e, errno, "cannot remove '%s'", p.ptr);
	}
	buf_release(&p);
	return r;
}

static int recover_one(struct home *h, const char *dir, struct err *e)
{
	struct buf path, j;
	char stage[32] = "none", media[1024] = "", manifest[SHA256_HEX] = "", *line, *save = NULL;
	size_t dropped = 0;
	int r, done = 0;

	buf_init(&path, 8192);
	buf_init(&j, JOURNAL_MAX);
	r = buf_addf(&path, e, "%s/journal", dir);
	if (!r && fs_exists(path.ptr))
		r = fs_read_file(path.ptr, &j, e);
	if (r)
		goto out;
	for (line = strtok_r(j.ptr ? j.ptr : (char[]){ 0 }, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "stage ", 6))
			snprintf(stage, sizeof(stage), "%s", line + 6);
		else if (!strncmp(line, "media ", 6))
			snprintf(media, sizeof(media), "%s", line + 6);
		else if (!strncmp(line, "manifest ", 9))
			snprintf(manifest, sizeof(manifest), "%s", line + 9);
		else if (!strncmp(line, "object ", 7) && strcmp(stage, "promoting") == 0 && !done) {
			/* only when the commit did not happen: decided once, before the first object line */
			r = drop_orphan(h, line + 7, &dropped, e);
			if (r)
				goto out;
		}
		if (!strncmp(line, "manifest ", 9)) {
			r = committed(h->db, manifest, &done, e);
			if (r)
				goto out;
		}
	}
	if (dropped) {
		r = store_sync_dirs(h->store, e);
		if (r)
			goto out;
	}
	r = fs_rm_rf(dir, e);
	if (r)
		goto out;
	r = audit_record(h->db, done ? "import.finished-after-crash" : "import.interrupted", media[0] ? media : dir,
			 json_pack("{s:s, s:s, s:b, s:I}", "quarantine", dir, "stage", stage, "committed", done,
				   "objects_removed", (json_int_t)dropped), e);
	if (!r)
		fprintf(stderr, "airlock: %s import of '%s' was interrupted (stage %s); %s\n",
			done ? "an accepted" : "an", media[0] ? media : dir, stage,
			done ? "it had committed: cleaned up its quarantine folder"
			     : "discarded it: the previous snapshot is still served; import the media again");
out:
	buf_release(&path);
	buf_release(&j);
	return r;
}

int import_recover(struct home *h, struct err *e)
{
	struct buf sub, rep;
	struct dirent *d;
	DIR *dh = NULL;
	int fd = -1, r = 0;

	if (h->role != HOME_IMPORT)
		return 0;
	buf_init(&sub, 8192);
	buf_init(&rep, 8192);
	/* an import running now holds the lock: its folder is not interrupted */
	if (home_lock(h, &fd, e)) {
		err_clear(e);
		goto out;
	}
	dh = opendir(h->quarantine);
	if (!dh)
		goto out;
	while ((d = readdir(dh)) != NULL) {
		if (strncmp(d->d_name, "import-", 7))
			continue;
		buf_reset(&sub);
		buf_reset(&rep);
		r = buf_addf(&sub, e, "%s/%s", h->quarantine, d->d_name);
		if (!r)
			r = buf_addf(&rep, e, "%s/report.json", sub.ptr);
		if (r)
			goto out;
		if (fs_exists(rep.ptr))
			continue; /* a rejection, kept for forensics */
		r = recover_one(h, sub.ptr, e);
		if (r) {
			err_prefix(e, "recovering the interrupted import in '%s'", sub.ptr);
			goto out;
		}
	}
out:
	if (dh)
		closedir(dh);
	if (fd >= 0)
		close(fd);
	buf_release(&sub);
	buf_release(&rep);
	return r;
}
