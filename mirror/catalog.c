#include "mirror/catalog.h"

#include <stdlib.h>
#include <string.h>

#include "lib/banned.h"

static const char lookup_sql[] = "SELECT f.object, f.size, f.mode, s.imported FROM served v"
				 " JOIN file f ON f.snapshot = v.snapshot AND f.source = v.source"
				 " JOIN snapshot s ON s.id = v.snapshot"
				 " WHERE v.source = ? AND f.path = ?";

/*
 * The published views (mirror/publish.c) live under two reserved names:
 * groups/<group>/<source>/... and keys/...; everything else is a source's
 * upstream view.  The current publication is meta 'publication'.
 */
static const char pub_lookup_sql[] = "SELECT p.object, p.size, 0, b.created FROM pubfile p"
				     " JOIN publication b ON b.id = p.publication"
				     " WHERE p.publication = (SELECT CAST(value AS INTEGER) FROM meta"
				     " WHERE key = 'publication') AND p.path = ?1 || '/' || ?2";

int catalog_reserved_name(const char *source)
{
	return !strcmp(source, "groups") || !strcmp(source, "keys");
}

struct catalog_reader {
	struct db *db;
	struct db_stmt *lookup, *pub_lookup;
};

/* Run the prepared lookup; the caller resets or finalizes st. */
static int lookup_with(struct db_stmt *st, const char *source, const char *path, struct catalog_hit *hit,
		       struct err *e)
{
	const char *obj;
	int ret;

	ret = db_bind_text(st, 1, source, e);
	if (ret)
		goto out;
	ret = db_bind_text(st, 2, path, e);
	if (ret)
		goto out;
	ret = db_step(st, e);
	if (ret < 0)
		goto out;
	if (ret == 0) {
		ret = err_set(e, AE_NOTFOUND, "'%s/%s' is not served", source, path);
		goto out;
	}
	obj = db_col_text(st, 0);
	/* The server turns this into a store path: never trust it to be a bare hash unchecked. */
	if (!is_sha256_hex(obj, strlen(obj))) {
		ret = err_set(e, AE_DB, "catalog entry '%s/%s' names a malformed object", source, path);
		goto out;
	}
	memcpy(hit->object, obj, SHA256_HEX);
	hit->size = (uint64_t)db_col_int(st, 1);
	hit->mode = (uint32_t)db_col_int(st, 2);
	hit->imported = db_col_int(st, 3);
	ret = 0;
out:
	return ret;
}

int catalog_lookup(struct db *db, const char *source, const char *path, struct catalog_hit *hit,
		   struct err *e)
{
	struct db_stmt *st = NULL;
	int ret;

	ret = db_prepare(db, catalog_reserved_name(source) ? pub_lookup_sql : lookup_sql, &st, e);
	if (ret)
		goto out;
	ret = lookup_with(st, source, path, hit, e);
out:
	db_finalize(st);
	return ret;
}

int catalog_reader_open(struct catalog_reader **out, const char *catalog_path, struct err *e)
{
	struct catalog_reader *r = NULL;
	int ret;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r) {
		ret = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	ret = db_open_readonly(&r->db, catalog_path, e);
	if (ret)
		goto out;
	ret = db_prepare(r->db, lookup_sql, &r->lookup, e);
	if (ret)
		goto out;
	ret = db_prepare(r->db, pub_lookup_sql, &r->pub_lookup, e);
	if (ret)
		goto out;
	*out = r;
	r = NULL;
out:
	catalog_reader_close(r);
	return ret;
}

int catalog_reader_lookup(struct catalog_reader *r, const char *source, const char *path,
			  struct catalog_hit *hit, struct err *e)
{
	struct db_stmt *st = catalog_reserved_name(source) ? r->pub_lookup : r->lookup;
	int ret;

	ret = lookup_with(st, source, path, hit, e);
	/* Resetting ends the read transaction, so the next lookup sees newer imports and publications. */
	db_reset(st);
	return ret;
}

void catalog_reader_close(struct catalog_reader *r)
{
	if (!r)
		return;
	db_finalize(r->lookup);
	db_finalize(r->pub_lookup);
	db_close(r->db);
	free(r);
}

int catalog_channel_last(struct db *db, const char *channel, uint64_t *seq, char manifest_hex[SHA256_HEX],
			 struct err *e)
{
	static const char sql[] =
	    "SELECT sequence, manifest FROM snapshot WHERE channel = ? ORDER BY sequence DESC LIMIT 1";
	struct db_stmt *st = NULL;
	const char *hex;
	int ret;

	*seq = 0;
	manifest_hex[0] = '\0';
	ret = db_prepare(db, sql, &st, e);
	if (ret)
		goto out;
	ret = db_bind_text(st, 1, channel, e);
	if (ret)
		goto out;
	ret = db_step(st, e);
	if (ret <= 0)
		goto out;
	hex = db_col_text(st, 1);
	if (db_col_int(st, 0) < 1 || !is_sha256_hex(hex, strlen(hex))) {
		ret = err_set(e, AE_DB, "catalog snapshot of channel '%s' is malformed", channel);
		goto out;
	}
	*seq = (uint64_t)db_col_int(st, 0);
	memcpy(manifest_hex, hex, SHA256_HEX);
	ret = 0;
out:
	db_finalize(st);
	return ret;
}

int catalog_check_sources(struct db *db, const struct manifest *m, struct err *e)
{
	static const char sql[] = "SELECT channel FROM served WHERE source = ?";
	struct db_stmt *st = NULL;
	const char *other;
	size_t i;
	int ret = 0;

	ret = db_prepare(db, sql, &st, e);
	if (ret)
		goto out;
	for (i = 0; i < m->nsources; i++) {
		if (catalog_reserved_name(m->sources[i].name)) {
			ret = err_reject(e, "source '%s': the name is reserved for the mirror's published views",
					 m->sources[i].name);
			goto out;
		}
		db_reset(st);
		ret = db_bind_text(st, 1, m->sources[i].name, e);
		if (ret)
			goto out;
		ret = db_step(st, e);
		if (ret < 0)
			goto out;
		if (ret == 0)
			continue;
		other = db_col_text(st, 0);
		if (strcmp(other, m->channel)) {
			ret = err_reject(e, "source '%s' is already served from channel '%s'",
					 m->sources[i].name, other);
			goto out;
		}
	}
	ret = 0;
out:
	db_finalize(st);
	return ret;
}

/* Record each object once; a hash already known with another size means the catalog is damaged. */
static int record_objects(struct db *db, const struct manifest *m, int64_t added, struct err *e)
{
	struct db_stmt *ins = NULL, *get = NULL;
	char hex[SHA256_HEX];
	size_t i;
	int ret;

	ret = db_prepare(db, "INSERT OR IGNORE INTO object(sha256, size, added) VALUES(?, ?, ?)", &ins, e);
	if (ret)
		goto out;
	ret = db_prepare(db, "SELECT size FROM object WHERE sha256 = ?", &get, e);
	if (ret)
		goto out;
	for (i = 0; i < m->nobjects; i++) {
		const struct manifest_object *o = &m->objects[i];

		if (o->size > INT64_MAX) {
			ret = err_set(e, AE_TOOBIG, "object size %llu is too large",
				      (unsigned long long)o->size);
			goto out;
		}
		hex_encode(o->sha256, SHA256_LEN, hex);
		db_reset(ins);
		if ((ret = db_bind_text(ins, 1, hex, e)) ||
		    (ret = db_bind_int(ins, 2, (int64_t)o->size, e)) || (ret = db_bind_int(ins, 3, added, e)))
			goto out;
		ret = db_step(ins, e);
		if (ret < 0)
			goto out;
		if (db_changes(db) == 1)
			continue;
		db_reset(get);
		if ((ret = db_bind_text(get, 1, hex, e)))
			goto out;
		ret = db_step(get, e);
		if (ret < 0)
			goto out;
		if (ret == 0 || (uint64_t)db_col_int(get, 0) != o->size) {
			ret = err_set(e, AE_DB, "object %s is already catalogued with another size", hex);
			goto out;
		}
	}
	ret = 0;
out:
	db_finalize(ins);
	db_finalize(get);
	return ret;
}

/* The file's size comes from its object row, which is what the store holds. */
static int record_files(struct db *db, const struct manifest *m, int64_t snap, struct err *e)
{
	struct db_stmt *st = NULL;
	char hex[SHA256_HEX];
	size_t i;
	int ret;

	ret = db_prepare(db,
			 "INSERT INTO file(snapshot, source, path, object, mode, size)"
			 " SELECT ?, ?, ?, sha256, ?, size FROM object WHERE sha256 = ?",
			 &st, e);
	if (ret)
		goto out;
	for (i = 0; i < m->nfiles; i++) {
		const struct manifest_file *f = &m->files[i];

		hex_encode(f->object, SHA256_LEN, hex);
		db_reset(st);
		if ((ret = db_bind_int(st, 1, snap, e)) || (ret = db_bind_text(st, 2, f->source, e)) ||
		    (ret = db_bind_text(st, 3, f->path, e)) || (ret = db_bind_int(st, 4, f->mode, e)) ||
		    (ret = db_bind_text(st, 5, hex, e)))
			goto out;
		ret = db_step(st, e);
		if (ret < 0) {
			err_prefix(e, "file '%s/%s'", f->source, f->path);
			goto out;
		}
		if (db_changes(db) != 1) {
			ret = err_set(e, AE_DB, "file '%s/%s' names object %s, which is not catalogued",
				      f->source, f->path, hex);
			goto out;
		}
	}
	ret = 0;
out:
	db_finalize(st);
	return ret;
}

/*
 * Point each of the channel's sources at the new snapshot.  The upsert only
 * takes over a row that belongs to this channel: a source served from another
 * channel is refused here too, in case a caller skipped catalog_check_sources().
 */
static int switch_served(struct db *db, const struct manifest *m, int64_t snap, struct err *e)
{
	struct db_stmt *up = NULL, *del = NULL;
	size_t i;
	int ret;

	ret = db_prepare(db,
			 "INSERT INTO served(source, channel, snapshot) VALUES(?, ?, ?)"
			 " ON CONFLICT(source) DO UPDATE SET snapshot = excluded.snapshot"
			 " WHERE served.channel = excluded.channel",
			 &up, e);
	if (ret)
		goto out;
	for (i = 0; i < m->nsources; i++) {
		const char *name = m->sources[i].name;

		db_reset(up);
		if ((ret = db_bind_text(up, 1, name, e)) || (ret = db_bind_text(up, 2, m->channel, e)) ||
		    (ret = db_bind_int(up, 3, snap, e)))
			goto out;
		ret = db_step(up, e);
		if (ret < 0)
			goto out;
		if (db_changes(db) != 1) {
			ret = err_reject(e, "source '%s' is already served from another channel", name);
			goto out;
		}
	}
	/* Every source m carries now points at snap; whatever else the channel had is gone. */
	ret = db_prepare(db, "DELETE FROM served WHERE channel = ? AND snapshot <> ?", &del, e);
	if (ret)
		goto out;
	if ((ret = db_bind_text(del, 1, m->channel, e)) || (ret = db_bind_int(del, 2, snap, e)))
		goto out;
	ret = db_step(del, e);
	if (ret < 0)
		goto out;
	ret = 0;
out:
	db_finalize(up);
	db_finalize(del);
	return ret;
}

int catalog_record_snapshot(struct db *db, const struct manifest *m, const char *manifest_hex,
			    const char *signers, int64_t imported, struct err *e)
{
	struct db_stmt *st = NULL;
	int64_t snap;
	int ret;

	if (m->sequence < 1 || m->sequence > INT64_MAX) {
		ret = err_set(e, AE_FORMAT, "sequence %llu of channel '%s' is out of range",
			      (unsigned long long)m->sequence, m->channel);
		goto out;
	}
	if (!is_sha256_hex(manifest_hex, strlen(manifest_hex))) {
		ret = err_set(e, AE_FORMAT, "manifest hash '%s' is not a sha256", manifest_hex);
		goto out;
	}
	ret = db_prepare(
	    db,
	    "INSERT INTO snapshot(channel, sequence, manifest, created, expires, imported, signers)"
	    " VALUES(?, ?, ?, ?, ?, ?, ?)",
	    &st, e);
	if (ret)
		goto out;
	if ((ret = db_bind_text(st, 1, m->channel, e)) ||
	    (ret = db_bind_int(st, 2, (int64_t)m->sequence, e)) ||
	    (ret = db_bind_text(st, 3, manifest_hex, e)) || (ret = db_bind_int(st, 4, m->created, e)) ||
	    (ret = db_bind_int(st, 5, m->expires, e)) || (ret = db_bind_int(st, 6, imported, e)) ||
	    (ret = db_bind_text(st, 7, signers ? signers : "", e)))
		goto out;
	ret = db_step(st, e);
	if (ret < 0) {
		err_prefix(e, "snapshot %llu of channel '%s'", (unsigned long long)m->sequence, m->channel);
		goto out;
	}
	snap = db_last_rowid(db);

	ret = record_objects(db, m, imported, e);
	if (ret)
		goto out;
	ret = record_files(db, m, snap, e);
	if (ret)
		goto out;
	ret = switch_served(db, m, snap, e);
out:
	db_finalize(st);
	return ret;
}
