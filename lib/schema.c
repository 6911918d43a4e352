#include "lib/schema.h"

const char *const schema_migrations[] = {
	/* 1: the first catalog */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	/* the hash-chained audit log (lib/audit.c) */
	"CREATE TABLE audit(seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, actor TEXT NOT NULL,"
	" action TEXT NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL,"
	" prev TEXT NOT NULL, hash TEXT NOT NULL);"
	/* export side: what is carried, and what was written */
	"CREATE TABLE source(name TEXT PRIMARY KEY, kind TEXT NOT NULL, location TEXT NOT NULL,"
	" added INTEGER NOT NULL);"
	"CREATE TABLE export(channel TEXT NOT NULL, sequence INTEGER NOT NULL, manifest TEXT NOT NULL,"
	" created INTEGER NOT NULL, expires INTEGER NOT NULL, target TEXT NOT NULL,"
	" PRIMARY KEY(channel, sequence));"
	/* import side: whose signatures each channel needs */
	"CREATE TABLE channel(name TEXT PRIMARY KEY, threshold INTEGER NOT NULL CHECK(threshold >= 1));"
	"CREATE TABLE trust(channel TEXT NOT NULL REFERENCES channel(name), fpr TEXT NOT NULL,"
	" uid TEXT NOT NULL, added INTEGER NOT NULL, PRIMARY KEY(channel, fpr));"
	/* the store's objects and the snapshots that name them */
	"CREATE TABLE object(sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, added INTEGER NOT NULL);"
	"CREATE TABLE snapshot(id INTEGER PRIMARY KEY, channel TEXT NOT NULL, sequence INTEGER NOT NULL,"
	" manifest TEXT NOT NULL, created INTEGER NOT NULL, expires INTEGER NOT NULL,"
	" imported INTEGER NOT NULL, signers TEXT NOT NULL, UNIQUE(channel, sequence));"
	"CREATE TABLE file(snapshot INTEGER NOT NULL REFERENCES snapshot(id), source TEXT NOT NULL,"
	" path TEXT NOT NULL, object TEXT NOT NULL REFERENCES object(sha256), mode INTEGER NOT NULL,"
	" size INTEGER NOT NULL, PRIMARY KEY(snapshot, source, path));"
	/* which snapshot serves each source: switched in the import's transaction */
	"CREATE TABLE served(source TEXT PRIMARY KEY, channel TEXT NOT NULL,"
	" snapshot INTEGER NOT NULL REFERENCES snapshot(id));"
	/* every import attempt, accepted or rejected, with where its report is */
	"CREATE TABLE import(id INTEGER PRIMARY KEY, started INTEGER NOT NULL, media TEXT NOT NULL,"
	" channel TEXT, sequence INTEGER, result TEXT NOT NULL, reason TEXT NOT NULL, report TEXT NOT NULL);",
	/* 2: apt sources */
	/* the source's settings as JSON (apt: url, suite, components, architectures, keyring, selection) */
	"ALTER TABLE source ADD COLUMN config TEXT NOT NULL DEFAULT '{}';"
	/* what the last accepted InRelease of each apt source said: the floor for the next fetch */
	"CREATE TABLE apt_state(source TEXT PRIMARY KEY REFERENCES source(name) ON DELETE CASCADE,"
	" date INTEGER NOT NULL, valid_until INTEGER NOT NULL, origin TEXT NOT NULL, suite TEXT NOT NULL,"
	" codename TEXT NOT NULL, inrelease TEXT NOT NULL, signer TEXT NOT NULL, fetched INTEGER NOT NULL);"
	/* import side: vendor keyrings provisioned at the site, never taken from a bundle */
	"CREATE TABLE vendor(name TEXT PRIMARY KEY, fprs TEXT NOT NULL, added INTEGER NOT NULL);",
	/* 3: the offline mirror (mirror/approve.c, mirror/publish.c) */
	/* computer groups in rollout order: a group may come after one other */
	"CREATE TABLE grp(name TEXT PRIMARY KEY, after TEXT REFERENCES grp(name), added INTEGER NOT NULL);"
	/* every package version an imported apt snapshot carried (index stanza and pool file), first seen where */
	/* present: carried by the snapshot that serves the source now */
	"CREATE TABLE package(source TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL, arch TEXT NOT NULL,"
	" snapshot INTEGER NOT NULL REFERENCES snapshot(id), present INTEGER NOT NULL,"
	" PRIMARY KEY(source, name, version, arch));"
	"CREATE INDEX package_snapshot ON package(snapshot);"
	"CREATE TABLE inventoried(snapshot INTEGER PRIMARY KEY REFERENCES snapshot(id));"
	/* per group ('*': every group, for declines) and package version: approved or declined, by whom, why */
	"CREATE TABLE decision(grp TEXT NOT NULL, source TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL,"
	" state TEXT NOT NULL CHECK(state IN ('approved', 'declined')), priority TEXT NOT NULL,"
	" deadline INTEGER NOT NULL, ref TEXT NOT NULL, reason TEXT NOT NULL, forced INTEGER NOT NULL,"
	" actor TEXT NOT NULL, time INTEGER NOT NULL, PRIMARY KEY(grp, source, name, version));"
	"CREATE INDEX decision_version ON decision(source, name, version);"
	"CREATE TABLE autoapprove(grp TEXT NOT NULL REFERENCES grp(name), source TEXT NOT NULL,"
	" priority TEXT NOT NULL, added INTEGER NOT NULL, PRIMARY KEY(grp, source));"
	/* publications: the served one is meta 'publication'; its files (and the last one's by-hash files) */
	"CREATE TABLE publication(id INTEGER PRIMARY KEY, created INTEGER NOT NULL, valid_until INTEGER NOT NULL,"
	" signer TEXT NOT NULL, files INTEGER NOT NULL);"
	"CREATE TABLE pubfile(publication INTEGER NOT NULL REFERENCES publication(id), path TEXT NOT NULL,"
	" object TEXT NOT NULL REFERENCES object(sha256), size INTEGER NOT NULL, PRIMARY KEY(publication, path));"
	/* compressed forms of a generated index, by the plain index's sha256: publish compresses once */
	"CREATE TABLE pubcache(plain TEXT NOT NULL, kind TEXT NOT NULL, object TEXT NOT NULL REFERENCES object(sha256),"
	" size INTEGER NOT NULL, PRIMARY KEY(plain, kind));",
};

const size_t schema_nmigrations = sizeof(schema_migrations) / sizeof(schema_migrations[0]);
