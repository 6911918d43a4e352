#ifndef AIRLOCK_DEB822_H
#define AIRLOCK_DEB822_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/hash.h"

/*
 * Debian control-file (deb822) reading for the apt chain: Release files and
 * Packages indexes.  Every byte reaching these parsers has been checked
 * first (the Release text is what GPGME returned as signed; an index was
 * hashed against the signed Release before it is decompressed), but the
 * parsers still treat it as hostile: bounded memory, every length checked.
 */

#define DEB822_MAX_PARA ((size_t)1 << 20)  /* one stanza */
#define DEB822_MAX_FIELDS 128

struct deb822_field {
	struct slice name;
	struct slice value; /* first line's value without leading space, continuation lines included verbatim */
};

struct deb822_para {
	struct deb822_field fields[DEB822_MAX_FIELDS];
	size_t nfields;
	struct slice raw; /* the stanza's bytes, verbatim, without the blank line that ends it */
	unsigned line;    /* first line number, for messages */
};

/* Pulls bytes from a stream (a decompressor, a file): returns bytes read, 0 at end, <0 on error. */
typedef ssize_t (*deb822_read_fn)(void *arg, void *p, size_t n, struct err *e);

struct deb822_reader {
	deb822_read_fn read;
	void *arg;
	const char *name; /* for messages */
	struct buf buf;   /* bounded window; internal */
	size_t pos;
	unsigned line;
	int eof;
};

/* Read from a stream; name is used in messages. */
void deb822_reader_init(struct deb822_reader *r, deb822_read_fn read, void *arg, const char *name);
/* Read from memory (no copy is made beyond the window). */
void deb822_reader_init_mem(struct deb822_reader *r, const char *p, size_t len, const char *name);
void deb822_reader_release(struct deb822_reader *r);
/*
 * The next stanza: 1 and *para filled (slices valid until the next call), 0
 * at the end, <0 on malformed input (-AE_REJECT "'name' line N: ...") or a
 * stanza over DEB822_MAX_PARA.
 */
int deb822_next(struct deb822_reader *r, struct deb822_para *para, struct err *e) AL_WUR;
/* A field by name, case-insensitive; {NULL, 0} if absent. */
struct slice deb822_get(const struct deb822_para *para, const char *name);

/* ---- Release / InRelease (the signed plaintext) ---- */

struct apt_release_file {
	char *path; /* "main/binary-amd64/Packages.xz" */
	uint64_t size;
	uint8_t sha256[SHA256_LEN];
};

struct apt_release {
	char *origin, *label, *suite, *codename;
	int64_t date;
	int64_t valid_until; /* 0 = none */
	int acquire_by_hash;
	struct apt_release_file *files; /* from the SHA256 field only, sorted by path */
	size_t nfiles;
};

/*
 * Parse the signed Release text.  Requires Date and a SHA256 field (a
 * Release with only MD5Sum/SHA1 is -AE_REJECT "no SHA256 checksums");
 * dates in RFC 2822 form as apt writes them ("Sat, 11 Jul 2026 10:05:00
 * UTC"); rejects duplicate paths and malformed checksum lines.
 */
int apt_release_parse(struct apt_release *rel, const char *text, size_t len, struct err *e) AL_WUR;
/*
 * 1 if p[0..len) is a plain relative path as Release and Packages may name
 * one: not empty, no leading '/', no empty, "." or ".." component, no
 * control bytes, spaces or backslashes.
 */
int apt_path_valid(const char *p, size_t len);
const struct apt_release_file *apt_release_find(const struct apt_release *rel, const char *path);
void apt_release_free(struct apt_release *rel);

/* ---- versions ---- */

/* dpkg's ordering of Debian versions (epoch:upstream-revision, '~' sorts first). <0, 0, >0. */
int apt_version_cmp(const char *a, const char *b);
/* 1 if v is a syntactically valid Debian version. */
int apt_version_valid(const char *v);

#endif
