/*
 * The one file that includes <magic.h>.  The rule table below is the whole
 * policy; docs/scanning.md shows it to operators, so change both together.
 */
#include "importer/filetype.h"

#include <magic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/banned.h"

#define MIMES_MAX 4

struct kind {
	const char *name;
	const char *what;	     /* "... not the <what> its name declares" */
	const char *mime[MIMES_MAX]; /* "text/" ending in '/' matches the whole top-level type */
	int empty_ok;		     /* an empty file is a valid one */
};

enum {
	K_DEB,
	K_XZ,
	K_GZIP,
	K_ZSTD,
	K_BZIP2,
	K_CLEARSIGNED,
	K_SIGNATURE,
	K_ARMORED,
	K_TEXT,
	K_JSON,
	K_SHELL,
	K_TAR,
	K_ZIP,
	K_ISO,
	K_PDF,
	K_PNG,
	K_JPEG
};

/* clang-format off */
static const struct kind kinds[] = {
	[K_DEB]         = { "deb", "Debian package", { "application/vnd.debian.binary-package" }, 0 },
	[K_XZ]          = { "xz", "xz data", { "application/x-xz" }, 0 },
	[K_GZIP]        = { "gzip", "gzip data", { "application/gzip" }, 0 },
	[K_ZSTD]        = { "zstd", "zstd data", { "application/zstd" }, 0 },
	[K_BZIP2]       = { "bzip2", "bzip2 data", { "application/x-bzip2" }, 0 },
	[K_CLEARSIGNED] = { "clearsigned", "OpenPGP clearsigned text", { "text/PGP" }, 0 },
	/* libmagic 5.44 knows armored signatures; binary ones it calls octet-stream */
	[K_SIGNATURE]   = { "signature", "OpenPGP signature",
			    { "application/pgp-signature", "application/octet-stream" }, 0 },
	[K_ARMORED]     = { "armored", "ASCII-armored OpenPGP data",
			    { "application/pgp-signature", "application/pgp-keys", "text/PGP" }, 0 },
	[K_TEXT]        = { "text", "text", { "text/" }, 1 },
	[K_JSON]        = { "json", "JSON text", { "application/json", "text/" }, 1 },
	[K_SHELL]       = { "shell", "shell script", { "text/" }, 1 },
	[K_TAR]         = { "tar", "tar archive", { "application/x-tar" }, 0 },
	[K_ZIP]         = { "zip", "zip archive", { "application/zip" }, 0 },
	[K_ISO]         = { "iso", "ISO 9660 image", { "application/x-iso9660-image" }, 0 },
	[K_PDF]         = { "pdf", "PDF document", { "application/pdf" }, 0 },
	[K_PNG]         = { "png", "PNG image", { "image/png" }, 0 },
	[K_JPEG]        = { "jpeg", "JPEG image", { "image/jpeg" }, 0 },
};

struct rule {
	const char *name;
	int kind;
};

/* A whole file name first (apt's own names), then the extension after the last dot, any case. */
static const struct rule names[] = {
	{ "InRelease", K_CLEARSIGNED }, { "Release", K_TEXT }, { "Release.gpg", K_SIGNATURE },
	{ "Packages", K_TEXT }, { "Sources", K_TEXT },
};

static const struct rule exts[] = {
	{ ".deb", K_DEB }, { ".udeb", K_DEB },
	{ ".xz", K_XZ }, { ".gz", K_GZIP }, { ".tgz", K_GZIP }, { ".zst", K_ZSTD }, { ".bz2", K_BZIP2 },
	{ ".sig", K_SIGNATURE }, { ".asc", K_ARMORED },
	{ ".txt", K_TEXT }, { ".md", K_TEXT }, { ".conf", K_TEXT }, { ".ini", K_TEXT },
	{ ".json", K_JSON }, { ".sh", K_SHELL },
	{ ".tar", K_TAR }, { ".zip", K_ZIP }, { ".iso", K_ISO },
	{ ".pdf", K_PDF }, { ".png", K_PNG }, { ".jpg", K_JPEG }, { ".jpeg", K_JPEG },
};
/* clang-format on */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *merr(magic_t m)
{
	const char *s = magic_error(m);

	return s ? s : "unknown error";
}

struct filetype {
	magic_t m;
};

static const struct kind *kind_of(const char *logical)
{
	const char *base = strrchr(logical, '/'), *dot;
	size_t i;

	base = base ? base + 1 : logical;
	/* apt's content-addressed copies are named by hash: their names declare nothing */
	if (!strncmp(logical, "by-hash/", 8) || strstr(logical, "/by-hash/"))
		return NULL;
	for (i = 0; i < NELEM(names); i++)
		if (!strcmp(base, names[i].name))
			return &kinds[names[i].kind];
	dot = strrchr(base, '.');
	if (!dot || dot == base)
		return NULL;
	for (i = 0; i < NELEM(exts); i++)
		if (!strcasecmp(dot, exts[i].name))
			return &kinds[exts[i].kind];
	return NULL;
}

const char *filetype_kind(const char *logical)
{
	const struct kind *k = kind_of(logical);

	return k ? k->name : "any";
}

static int mime_ok(const struct kind *k, const char *mime)
{
	size_t i;

	if (k->empty_ok && (!strcmp(mime, "inode/x-empty") || !strcmp(mime, "application/x-empty")))
		return 1;
	for (i = 0; i < MIMES_MAX && k->mime[i]; i++) {
		size_t n = strlen(k->mime[i]);

		if (k->mime[i][n - 1] == '/' ? !strncmp(mime, k->mime[i], n) : !strcmp(mime, k->mime[i]))
			return 1;
	}
	return 0;
}

/* Bounds on the work libmagic does per file: it reads the first MiB at most. */
static int set_limits(magic_t m)
{
	static const struct {
		int param;
		size_t value;
	} lim[] = {
	    {MAGIC_PARAM_INDIR_MAX, 15},       {MAGIC_PARAM_NAME_MAX, 50},
	    {MAGIC_PARAM_REGEX_MAX, 8192},     {MAGIC_PARAM_BYTES_MAX, (size_t)1 << 20},
	    {MAGIC_PARAM_ENCODING_MAX, 65536},
	};
	size_t i;

	for (i = 0; i < NELEM(lim); i++)
		if (magic_setparam(m, lim[i].param, &lim[i].value) < 0)
			return -1;
	return 0;
}

int filetype_open(struct filetype **out, struct err *e)
{
	/* no decompression, no ELF or OLE2 parsing: those parsers are not needed to name the type */
	const int flags = MAGIC_MIME_TYPE | MAGIC_ERROR | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_ELF |
			  MAGIC_NO_CHECK_CDF | MAGIC_NO_CHECK_CSV;
	struct filetype *ft;

	*out = NULL;
	ft = calloc(1, sizeof(*ft));
	if (!ft)
		return err_set(e, AE_NOMEM, "out of memory");
	ft->m = magic_open(flags);
	if (!ft->m) {
		free(ft);
		return err_set(e, AE_NOMEM, "filetype: cannot start libmagic");
	}
	if (magic_load(ft->m, NULL) < 0 || set_limits(ft->m) < 0) {
		err_set(e, AE_FORMAT, "filetype: cannot load libmagic's database: %s", merr(ft->m));
		filetype_close(ft);
		return -AE_FORMAT;
	}
	*out = ft;
	return 0;
}

void filetype_close(struct filetype *ft)
{
	if (!ft)
		return;
	magic_close(ft->m);
	free(ft);
}

int filetype_check(struct filetype *ft, const char *path, const char *logical, const char **kind_out,
		   struct err *e)
{
	const struct kind *k = kind_of(logical);
	const char *mime;

	if (kind_out)
		*kind_out = k ? k->name : "any";
	if (!k)
		return 0;
	mime = magic_file(ft->m, path);
	if (!mime)
		return err_set(e, AE_IO, "%s: cannot tell the content type: %s", logical, merr(ft->m));
	if (!mime_ok(k, mime))
		return err_reject(e, "%s: content is %s, not the %s its name declares", logical, mime,
				  k->what);
	return 0;
}
