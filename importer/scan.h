#ifndef AIRLOCK_SCAN_H
#define AIRLOCK_SCAN_H

#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/home.h"
#include "lib/json.h"

/*
 * The import's malware scanners (docs/scanning.md): ClamAV signatures,
 * YARA rules compiled from source, and a site's own external command.
 * Everything fails closed: a missing or stale database, a limit hit, a
 * timeout or a scanner error is a rejection, never a silent "clean".
 * A scanner is used from one thread at a time; several scanners may run in
 * several threads.
 */

enum scan_mode { SCAN_OFF = 0, SCAN_REQUIRED = 1, SCAN_IF_PRESENT = 2 };

struct scan_opts {
	const char *dbdir;	   /* a database generation (ClamAV files, *.yar); NULL or absent = none */
	enum scan_mode clamav;	   /* default SCAN_REQUIRED */
	enum scan_mode yara;	   /* default SCAN_IF_PRESENT: used when dbdir holds .yar/.yara rules */
	int64_t now;		   /* the import's reference time, for staleness */
	int64_t max_db_age;	   /* seconds; 0 = no limit; default 30 days */
	uint64_t max_scan_size;	   /* CL_ENGINE_MAX_SCANSIZE; 0 = ClamAV's cap; default 4 GiB - 1 */
	uint64_t max_file_size;	   /* CL_ENGINE_MAX_FILESIZE; 0 = ClamAV's cap; default 2 GiB - 1 */
	unsigned max_recursion;	   /* CL_ENGINE_MAX_RECURSION; default 17 */
	unsigned max_files;	   /* CL_ENGINE_MAX_FILES; default 100000 */
	unsigned max_scan_ms;	   /* CL_ENGINE_MAX_SCANTIME and YARA's timeout; 0 = none; default 10 min */
	const char *external;	   /* "CMD ARG {}": split on blanks, no shell; NULL = none */
	unsigned external_timeout; /* seconds; default 60 */
};

/* The largest file ClamAV can scan (its internal limit): bigger ones are rejected. */
#define SCAN_CLAMAV_FILE_CAP ((uint64_t)2 * 1024 * 1024 * 1024 - 1)
#define SCAN_CLAMAV_SCAN_CAP ((uint64_t)4 * 1024 * 1024 * 1024 - 1)

struct scanner;

/* The defaults above; dbdir, external = NULL, now = 0. */
void scan_opts_defaults(struct scan_opts *o);
/* The defaults, then the site's scan.* settings from airlock.conf (docs/scanning.md). */
struct conf;
int scan_opts_from_conf(const struct conf *c, struct scan_opts *o, struct err *e) AL_WUR;

/*
 * Load and check the databases of o->dbdir (copied; o need not outlive the
 * scanner).  -AE_REJECT when a required database is missing or the ClamAV
 * database is older than max_db_age; other codes when a database does not
 * load or compile (the message names the file and, for YARA, the line).
 * On success *s is the caller's, freed with scan_close().
 */
int scan_open(struct scanner **s, const struct scan_opts *o, struct err *e) AL_WUR;

/*
 * Scan one regular file with every scanner in use.  0 when all say clean;
 * -AE_REJECT "<label>: ..." on a detection, a limit hit, a timeout or any
 * scanner failure.
 */
int scan_object(struct scanner *s, const char *path, const char *label, struct err *e) AL_WUR;

/*
 * What the scanner uses, as JSON (caller owns *out): engines and versions,
 * each database file with its version, signature count and build time, the
 * newest build time, the YARA rule count, the external command and its
 * verdict counts, the limits.
 */
int scan_describe(struct scanner *s, json_t **out, struct err *e) AL_WUR;

/* The newest ClamAV build time the age check uses; 0 without a ClamAV database. */
int64_t scan_db_built(const struct scanner *s);

/* -AE_REJECT when that time is older than now - max_age (max_age 0: never). */
int scan_check_age(const struct scanner *s, int64_t now, int64_t max_age, struct err *e) AL_WUR;

void scan_close(struct scanner *s);

/* "<home>/scan-db/current", the installed generation (it may not exist), into out. */
int scan_db_current(const struct home *h, struct buf *out, struct err *e) AL_WUR;

/* 1 if name is a database file 'scan-db update' takes (ClamAV or YARA), else 0. */
int scan_db_name_ok(const char *name);

/* The mode's name in the configuration: "off", "required", "if-present". */
const char *scan_mode_name(enum scan_mode m);

#endif
