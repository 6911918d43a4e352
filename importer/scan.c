/*
 * The one file that includes <clamav.h> and <yara.h>.  Every path out of a
 * scan that is not a clean verdict from every scanner in use is a rejection.
 */
#include "importer/scan.h"

#include "lib/conf.h"

#include <clamav.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yara.h>

#include "importer/scan_ext.h"
#include "lib/fs.h"
#include "lib/util.h"
#include "lib/banned.h"

#define DAY 86400
#define MAX_DBFILES 256
#define GENERATION_MAX ((size_t)1 << 20)

/* The database files 'scan-db update' takes; ClamAV's loader knows each of these. */
static const char *const clamav_ext[] = {
    ".cvd", ".cld", ".cud", ".hdb", ".hsb", ".hdu", ".hsu",  ".mdb",  ".msb", ".ndb",
    ".ndu", ".ldb", ".ldu", ".cdb", ".fp",  ".sfp", ".ign",  ".ign2", ".ftm", ".pdb",
    ".gdb", ".wdb", ".cbc", ".cat", ".crb", ".idb", ".info", ".cfg",
};
static const char *const yara_ext[] = {".yar", ".yara"};

enum db_kind { DB_NONE, DB_CLAMAV, DB_YARA };

struct dbfile {
	char name[NAME_MAX + 1];
	enum db_kind kind;
	int has_head; /* .cvd/.cld/.cud: version and build time from the header */
	unsigned version;
	unsigned sigs;
	int64_t built;
};

struct scanner {
	struct scan_opts o;
	char *dbdir; /* resolved, or NULL when there is none */
	struct dbfile *files;
	size_t nfiles, nclamav, nyara;
	struct cl_engine *engine;
	unsigned clam_sigs;
	int64_t built;	   /* newest ClamAV build time, or the generation's install time */
	int64_t installed; /* from generation.json, 0 without */
	int64_t generation;
	int clam_used; /* ClamAV is in use: its database is dated and loaded */
	int yara_up;
	YR_RULES *rules;
	struct scan_ext ext;
	int has_ext;
	uint64_t scanned;
};

/* --- ClamAV's process-wide state ---------------------------------------- */

static pthread_once_t clam_once = PTHREAD_ONCE_INIT;
static cl_error_t clam_init_rc;
/* libclamav reports load problems through a global callback; keep the last per thread */
static _Thread_local char clam_last[512];

static void clam_msg(enum cl_msg severity, const char *fullmsg, const char *msg, void *ctx)
{
	size_t n;

	(void)fullmsg;
	(void)ctx;
	if (severity != CL_MSG_ERROR || !msg)
		return;
	snprintf(clam_last, sizeof(clam_last), "%s", msg);
	n = strlen(clam_last);
	while (n && (clam_last[n - 1] == '\n' || clam_last[n - 1] == ' '))
		clam_last[--n] = '\0';
}

static void clam_init_once(void)
{
	cl_set_clcb_msg(clam_msg);
	clam_init_rc = cl_init(CL_INIT_DEFAULT);
}

/* --- names and the folder ----------------------------------------------- */

static int ext_in(const char *name, const char *const *list, size_t n)
{
	const char *dot = strrchr(name, '.');
	size_t i;

	if (!dot || dot == name)
		return 0;
	for (i = 0; i < n; i++)
		if (!strcasecmp(dot, list[i]))
			return 1;
	return 0;
}

static enum db_kind db_kind_of(const char *name)
{
	if (ext_in(name, clamav_ext, sizeof(clamav_ext) / sizeof(clamav_ext[0])))
		return DB_CLAMAV;
	if (ext_in(name, yara_ext, sizeof(yara_ext) / sizeof(yara_ext[0])))
		return DB_YARA;
	return DB_NONE;
}

int scan_db_name_ok(const char *name)
{
	return db_kind_of(name) != DB_NONE;
}

const char *scan_mode_name(enum scan_mode m)
{
	return m == SCAN_OFF ? "off" : m == SCAN_REQUIRED ? "required" : "if-present";
}

int scan_db_current(const struct home *h, struct buf *out, struct err *e)
{
	buf_reset(out);
	return buf_addf(out, e, "%s/scan-db/current", h->dir);
}

void scan_opts_defaults(struct scan_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->clamav = SCAN_REQUIRED;
	o->yara = SCAN_IF_PRESENT;
	o->max_db_age = 30 * DAY;
	o->max_scan_size = SCAN_CLAMAV_SCAN_CAP;
	o->max_file_size = SCAN_CLAMAV_FILE_CAP;
	o->max_recursion = 17;
	o->max_files = 100000;
	o->max_scan_ms = 600000;
	o->external_timeout = 60;
}

int scan_opts_from_conf(const struct conf *c, struct scan_opts *o, struct err *e)
{
	static const enum scan_mode clamav[] = { SCAN_REQUIRED, SCAN_OFF };
	static const enum scan_mode yara[] = { SCAN_IF_PRESENT, SCAN_REQUIRED, SCAN_OFF };
	const char *ext = conf_str(c, "scan.external");
	uint64_t v;
	int64_t d;
	unsigned k;
	int r;

	scan_opts_defaults(o);
	if ((r = conf_choice(c, "scan.clamav", "required|off", &k, e)))
		return r;
	o->clamav = clamav[k];
	if ((r = conf_choice(c, "scan.yara", "if-present|required|off", &k, e)))
		return r;
	o->yara = yara[k];
	if ((r = conf_duration(c, "scan.max-db-age", &o->max_db_age, e)))
		return r;
	if ((r = conf_size(c, "scan.max-scan-size", &v, e)))
		return r;
	o->max_scan_size = v > SCAN_CLAMAV_SCAN_CAP ? SCAN_CLAMAV_SCAN_CAP : v;
	if ((r = conf_size(c, "scan.max-file-size", &v, e)))
		return r;
	o->max_file_size = v > SCAN_CLAMAV_FILE_CAP ? SCAN_CLAMAV_FILE_CAP : v;
	if ((r = conf_uint(c, "scan.max-recursion", 64, &v, e)))
		return r;
	o->max_recursion = (unsigned)v;
	if ((r = conf_uint(c, "scan.max-files", 10000000, &v, e)))
		return r;
	o->max_files = (unsigned)v;
	if ((r = conf_duration(c, "scan.max-scan-time", &d, e)))
		return r;
	o->max_scan_ms = d > 86400 ? 86400000u : (unsigned)d * 1000u;
	if ((r = conf_duration(c, "scan.external-timeout", &d, e)))
		return r;
	o->external_timeout = d > 86400 ? 86400u : (unsigned)d;
	o->external = ext && *ext ? ext : NULL;
	return 0;
}

static int path_of(const struct scanner *s, const char *name, struct buf *b, struct err *e)
{
	buf_reset(b);
	return buf_addf(b, e, "%s/%s", s->dbdir, name);
}

static int cmp_dbfile(const void *a, const void *b)
{
	return strcmp(((const struct dbfile *)a)->name, ((const struct dbfile *)b)->name);
}

/* The database files of the folder, sorted by name; anything else there is left alone. */
static int list_dbdir(struct scanner *s, struct err *e)
{
	struct dirent *d;
	DIR *dir;
	int r = 0;

	dir = opendir(s->dbdir);
	if (!dir)
		return err_errno(e, errno, "scan-db: cannot open '%s'", s->dbdir);
	s->files = calloc(MAX_DBFILES, sizeof(*s->files));
	if (!s->files)
		r = err_set(e, AE_NOMEM, "out of memory");
	while (!r && (d = readdir(dir))) {
		enum db_kind k = db_kind_of(d->d_name);
		struct dbfile *f;

		if (k == DB_NONE)
			continue;
		if (s->nfiles == MAX_DBFILES) {
			r = err_set(e, AE_TOOBIG, "scan-db: '%s' holds more than %d database files", s->dbdir,
				    MAX_DBFILES);
			break;
		}
		f = &s->files[s->nfiles++];
		snprintf(f->name, sizeof(f->name), "%s", d->d_name);
		f->kind = k;
		if (k == DB_CLAMAV)
			s->nclamav++;
		else
			s->nyara++;
	}
	closedir(dir);
	if (!r)
		qsort(s->files, s->nfiles, sizeof(*s->files), cmp_dbfile);
	return r;
}

/* The generation's own record, when 'scan-db update' wrote one: its install time and number. */
static int read_generation(struct scanner *s, struct err *e)
{
	json_t *root = NULL, *v;
	struct buf p, data;
	int r;

	buf_init(&p, 8192);
	buf_init(&data, GENERATION_MAX);
	r = path_of(s, "generation.json", &p, e);
	if (r || !fs_exists(p.ptr))
		goto out;
	r = fs_read_file(p.ptr, &data, e);
	if (r)
		goto out;
	root = json_loadb(data.ptr ? data.ptr : "", data.len, 0, NULL);
	v = root ? json_object_get(root, "installed") : NULL;
	if (!json_is_string(v) ||
	    time_parse(json_string_value(v), strlen(json_string_value(v)), &s->installed) < 0) {
		r = err_set(e, AE_FORMAT, "scan-db: '%s' has no valid \"installed\" time", p.ptr);
		goto out;
	}
	v = json_object_get(root, "generation");
	s->generation = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
out:
	json_decref(root);
	buf_release(&p);
	buf_release(&data);
	return r;
}

/* --- ClamAV -------------------------------------------------------------- */

static int has_cvd_head(const char *name)
{
	static const char *const heads[] = {".cvd", ".cld", ".cud"};

	return ext_in(name, heads, sizeof(heads) / sizeof(heads[0]));
}

/* Version, signature count and build time of each file; the newest build time is the database's age. */
static int clam_headers(struct scanner *s, struct err *e)
{
	struct buf p;
	size_t i;
	int r = 0;

	buf_init(&p, 8192);
	clam_last[0] = '\0';
	for (i = 0; i < s->nfiles && !r; i++) {
		struct dbfile *f = &s->files[i];
		struct cl_cvd *cvd;

		if (f->kind != DB_CLAMAV || (r = path_of(s, f->name, &p, e)))
			continue;
		if (!has_cvd_head(f->name)) {
			if (cl_countsigs(p.ptr, CL_COUNTSIGS_ALL, &f->sigs) != CL_SUCCESS)
				f->sigs = 0;
			continue;
		}
		cvd = cl_cvdhead(p.ptr);
		if (!cvd) {
			r = err_set(e, AE_FORMAT, "scan-db: '%s' has no valid ClamAV database header%s%s",
				    p.ptr, clam_last[0] ? ": " : "", clam_last);
			break;
		}
		f->has_head = 1;
		f->version = cvd->version;
		f->sigs = cvd->sigs;
		f->built = (int64_t)cvd->stime;
		if (f->built > s->built)
			s->built = f->built;
		cl_cvdfree(cvd);
	}
	if (!r && !s->built)
		s->built = s->installed;
	buf_release(&p);
	return r;
}

int64_t scan_db_built(const struct scanner *s)
{
	return s->clam_used ? s->built : 0;
}

int scan_check_age(const struct scanner *s, int64_t now, int64_t max_age, struct err *e)
{
	if (!s->clam_used || !max_age)
		return 0;
	if (!s->built)
		return err_reject(
		    e,
		    "scan-db: cannot tell how old the ClamAV database in '%s' is (no .cvd/.cld "
		    "header and no generation.json); install it with 'airlock scan-db update DIR'",
		    s->dbdir);
	if (now - s->built > max_age) {
		char built[TIME_STR];

		time_format(s->built, built);
		return err_reject(e, "scan-db: ClamAV database is %lld days old (limit %lld days; built %s): stale; "
				     "bring a newer one with 'airlock scan-db update'",
				  (long long)((now - s->built) / DAY), (long long)(max_age / DAY), built);
	}
	return 0;
}

static int clam_limit(struct scanner *s, enum cl_engine_field f, long long v, const char *what, struct err *e)
{
	cl_error_t rc = cl_engine_set_num(s->engine, f, v);

	if (rc != CL_SUCCESS)
		return err_set(e, AE_FORMAT, "scan: cannot set ClamAV's %s to %lld: %s", what, v,
			       cl_strerror(rc));
	return 0;
}

static uint64_t capped(uint64_t v, uint64_t cap)
{
	return v == 0 || v > cap ? cap : v;
}

static int clam_limits(struct scanner *s, struct err *e)
{
	const struct scan_opts *o = &s->o;
	int r;

	r = clam_limit(s, CL_ENGINE_MAX_SCANSIZE, (long long)o->max_scan_size, "max-scan-size", e);
	if (!r)
		r = clam_limit(s, CL_ENGINE_MAX_FILESIZE, (long long)o->max_file_size, "max-file-size", e);
	if (!r)
		r = clam_limit(s, CL_ENGINE_MAX_RECURSION, o->max_recursion, "max-recursion", e);
	if (!r)
		r = clam_limit(s, CL_ENGINE_MAX_FILES, o->max_files, "max-files", e);
	if (!r)
		r = clam_limit(s, CL_ENGINE_MAX_SCANTIME, o->max_scan_ms, "max-scan-time", e);
	return r;
}

struct clam_hit {
	char name[256];
};

/* The name of the first alert: for some (a limit exceeded) libclamav leaves virname unset. */
static void clam_found(int fd, const char *virname, void *ctx)
{
	struct clam_hit *hit = ctx;

	(void)fd;
	if (hit && !hit->name[0] && virname)
		snprintf(hit->name, sizeof(hit->name), "%s", virname);
}

/* Once per process, before any other libclamav call (its messages go to clam_msg, not stderr). */
static int clam_init(struct err *e)
{
	pthread_once(&clam_once, clam_init_once);
	if (clam_init_rc != CL_SUCCESS)
		return err_set(e, AE_FORMAT, "scan: cannot initialise libclamav: %s",
			       cl_strerror(clam_init_rc));
	return 0;
}

static int clam_open(struct scanner *s, struct err *e)
{
	cl_error_t rc;

	s->engine = cl_engine_new();
	if (!s->engine)
		return err_set(e, AE_NOMEM, "scan: cannot create a ClamAV engine");
	cl_engine_set_clcb_virus_found(s->engine, clam_found);
	if (clam_limits(s, e))
		return -e->code;
	clam_last[0] = '\0';
	/* YARA rules are compiled by libyara itself, in full, not by ClamAV's subset */
	rc = cl_load(s->dbdir, s->engine, &s->clam_sigs, CL_DB_STDOPT | CL_DB_YARA_EXCLUDE);
	if (rc != CL_SUCCESS)
		return err_set(e, AE_FORMAT, "scan-db: cannot load the ClamAV database in '%s': %s%s%s",
			       s->dbdir, cl_strerror(rc), clam_last[0] ? ": " : "", clam_last);
	if (!s->clam_sigs)
		return err_reject(
		    e,
		    "scan-db: the ClamAV database in '%s' holds no signatures; install one with "
		    "'airlock scan-db update DIR'",
		    s->dbdir);
	rc = cl_engine_compile(s->engine);
	if (rc != CL_SUCCESS)
		return err_set(e, AE_FORMAT, "scan-db: cannot compile the ClamAV database in '%s': %s%s%s",
			       s->dbdir, cl_strerror(rc), clam_last[0] ? ": " : "", clam_last);
	return 0;
}

/*
 * Heuristics on, and a limit hit is a detection (Heuristics.Limits.Exceeded.*)
 * rather than a silent clean; encrypted archives and documents, which no
 * scanner can look into, are detections too.  Every parser is on.
 */
static void clam_options(struct cl_scan_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->general = CL_SCAN_GENERAL_HEURISTICS;
	opt->parse = ~(uint32_t)0;
	opt->heuristic = CL_SCAN_HEURISTIC_EXCEEDS_MAX | CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE |
			 CL_SCAN_HEURISTIC_ENCRYPTED_DOC;
}

static int clam_scan(struct scanner *s, int fd, uint64_t size, const char *path, const char *label,
		     struct err *e)
{
	struct clam_hit hit = {""};
	struct cl_scan_options opt;
	const char *virname = NULL;
	unsigned long scanned = 0;
	cl_error_t rc;

	/* past this libclamav stops looking, whatever max-file-size says */
	if (size > SCAN_CLAMAV_FILE_CAP)
		return err_reject(e, "%s: ClamAV: scan failed: %llu bytes is more than ClamAV can scan",
				  label, (unsigned long long)size);
	clam_options(&opt);
	rc = cl_scandesc_callback(fd, path, &virname, &scanned, s->engine, &opt, &hit);
	if (rc == CL_VIRUS)
		return err_reject(e, "%s: ClamAV: %s", label,
				  virname	? virname
				  : hit.name[0] ? hit.name
						: "(unnamed detection)");
	if (rc != CL_CLEAN)
		return err_reject(e, "%s: ClamAV: scan failed: %s", label, cl_strerror(rc));
	return 0;
}

/* --- YARA ---------------------------------------------------------------- */

struct yara_compile {
	struct err *e;
};

static void yara_error(int level, const char *file, int line, const YR_RULE *rule, const char *msg,
		       void *data)
{
	struct yara_compile *c = data;

	(void)rule;
	if (level == YARA_ERROR_LEVEL_ERROR)
		err_set(c->e, AE_FORMAT, "scan-db: YARA rules '%s:%d': %s", file ? file : "?", line, msg);
}

static int yara_add(YR_COMPILER *comp, const char *path, const char *name, struct err *e)
{
	int fd, errors;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_errno(e, errno, "scan-db: cannot open '%s'", path);
	/* each file its own namespace, so that two files may use the same rule name */
	errors = yr_compiler_add_fd(comp, fd, name, path);
	close(fd);
	if (errors)
		return err_set(e, AE_FORMAT, "scan-db: YARA rules '%s': %d errors", path, errors);
	return 0;
}

/* Every .yar/.yara from source; never precompiled rules, never an include from elsewhere. */
static int yara_open(struct scanner *s, struct err *e)
{
	struct yara_compile c = {e};
	YR_COMPILER *comp = NULL;
	struct buf p;
	size_t i;
	int r = 0;

	if (yr_initialize() != ERROR_SUCCESS)
		return err_set(e, AE_NOMEM, "scan: cannot initialise libyara");
	s->yara_up = 1;
	if (yr_compiler_create(&comp) != ERROR_SUCCESS)
		return err_set(e, AE_NOMEM, "scan: cannot create a YARA compiler");
	yr_compiler_set_callback(comp, yara_error, &c);
	yr_compiler_set_include_callback(comp, NULL, NULL, NULL);
	buf_init(&p, 8192);
	for (i = 0; i < s->nfiles && !r; i++) {
		if (s->files[i].kind != DB_YARA)
			continue;
		r = path_of(s, s->files[i].name, &p, e);
		if (!r)
			r = yara_add(comp, p.ptr, s->files[i].name, e);
	}
	if (!r && yr_compiler_get_rules(comp, &s->rules) != ERROR_SUCCESS)
		r = err_set(e, AE_NOMEM, "scan-db: cannot build the YARA rules of '%s'", s->dbdir);
	buf_release(&p);
	yr_compiler_destroy(comp);
	return r;
}

struct yara_match {
	char rule[256];
};

static int yara_hit(YR_SCAN_CONTEXT *ctx, int message, void *data, void *user)
{
	struct yara_match *m = user;

	(void)ctx;
	if (message != CALLBACK_MSG_RULE_MATCHING)
		return CALLBACK_CONTINUE;
	snprintf(m->rule, sizeof(m->rule), "%s", ((const YR_RULE *)data)->identifier);
	return CALLBACK_ABORT;
}

static int yara_timeout(const struct scan_opts *o)
{
	return o->max_scan_ms ? (int)((o->max_scan_ms + 999) / 1000) : 0;
}

static int yara_scan(struct scanner *s, int fd, const char *label, struct err *e)
{
	struct yara_match m = {""};
	int rc;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return err_errno(e, errno, "%s: cannot rewind", label);
	rc = yr_rules_scan_fd(s->rules, fd, SCAN_FLAGS_FAST_MODE, yara_hit, &m, yara_timeout(&s->o));
	if (m.rule[0])
		return err_reject(e, "%s: YARA rule '%s' matched", label, m.rule);
	if (rc == ERROR_SCAN_TIMEOUT)
		return err_reject(e, "%s: YARA: scan timed out", label);
	if (rc != ERROR_SUCCESS)
		return err_reject(e, "%s: YARA: scan failed (error %d)", label, rc);
	return 0;
}

/* --- the scanner --------------------------------------------------------- */

/* The folder, resolved once so that a 'scan-db update' meanwhile cannot mix two generations. */
static int resolve_dbdir(struct scanner *s, struct err *e)
{
	char real[PATH_MAX];

	if (!s->o.dbdir)
		return 0;
	if (!realpath(s->o.dbdir, real))
		return errno == ENOENT ? 0 : err_errno(e, errno, "scan-db: cannot open '%s'", s->o.dbdir);
	if (!fs_is_dir(real))
		return err_set(e, AE_FORMAT, "scan-db: '%s' is not a folder", s->o.dbdir);
	s->dbdir = strdup(real);
	return s->dbdir ? 0 : err_set(e, AE_NOMEM, "out of memory");
}

static int want(enum scan_mode mode, size_t have, const char *what, struct err *e)
{
	if (mode == SCAN_OFF)
		return 0;
	if (have)
		return 1;
	if (mode == SCAN_REQUIRED)
		return err_reject(
		    e, "scan-db: no %s installed; install one with 'airlock scan-db update DIR'", what);
	return 0;
}

static int open_engines(struct scanner *s, struct err *e)
{
	int r, use;

	use = want(s->o.clamav, s->nclamav, "ClamAV database", e);
	if (use < 0)
		return use;
	if (use) {
		s->clam_used = 1;
		r = clam_init(e);
		if (!r)
			r = clam_headers(s, e);
		if (!r)
			r = scan_check_age(s, s->o.now, s->o.max_db_age, e);
		if (!r)
			r = clam_open(s, e);
		if (r)
			return r;
	}
	use = want(s->o.yara, s->nyara, "YARA rules", e);
	if (use < 0)
		return use;
	return use ? yara_open(s, e) : 0;
}

int scan_open(struct scanner **out, const struct scan_opts *o, struct err *e)
{
	struct scanner *s;
	int r;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return err_set(e, AE_NOMEM, "out of memory");
	s->o = *o;
	s->o.max_scan_size = capped(o->max_scan_size, SCAN_CLAMAV_SCAN_CAP);
	s->o.max_file_size = capped(o->max_file_size, SCAN_CLAMAV_FILE_CAP);
	r = resolve_dbdir(s, e);
	if (!r && s->dbdir)
		r = list_dbdir(s, e);
	if (!r && s->dbdir)
		r = read_generation(s, e);
	if (!r)
		r = open_engines(s, e);
	if (!r && o->external && *o->external) {
		s->has_ext = 1;
		r = scan_ext_init(&s->ext, o->external, o->external_timeout, e);
	}
	s->o.dbdir = s->dbdir;
	s->o.external = s->has_ext ? s->ext.cmdline : NULL;
	if (r) {
		scan_close(s);
		return r;
	}
	*out = s;
	return 0;
}

void scan_close(struct scanner *s)
{
	if (!s)
		return;
	if (s->engine)
		cl_engine_free(s->engine);
	if (s->rules)
		yr_rules_destroy(s->rules);
	if (s->yara_up)
		yr_finalize();
	if (s->has_ext)
		scan_ext_release(&s->ext);
	free(s->files);
	free(s->dbdir);
	free(s);
}

int scan_object(struct scanner *s, const char *path, const char *label, struct err *e)
{
	struct stat st;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_errno(e, errno, "%s: cannot open '%s' to scan it", label, path);
	if (fstat(fd, &st) < 0)
		r = err_errno(e, errno, "%s: cannot stat '%s'", label, path);
	else if (!S_ISREG(st.st_mode))
		r = err_reject(e, "%s: not a regular file", label);
	if (!r && s->engine)
		r = clam_scan(s, fd, (uint64_t)st.st_size, path, label, e);
	if (!r && s->rules)
		r = yara_scan(s, fd, label, e);
	close(fd);
	if (!r && s->has_ext)
		r = scan_ext_run(&s->ext, path, label, e);
	s->scanned++;
	return r;
}

/* --- description --------------------------------------------------------- */

static json_t *time_json(int64_t t)
{
	char buf[TIME_STR];

	if (!t)
		return json_null();
	time_format(t, buf);
	return json_string(buf);
}

static json_t *files_json(const struct scanner *s, enum db_kind kind)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < s->nfiles; i++) {
		const struct dbfile *f = &s->files[i];
		json_t *o;

		if (f->kind != kind)
			continue;
		o = kind == DB_YARA ? json_pack("{s:s}", "name", f->name)
		    : f->has_head
			? json_pack("{s:s, s:I, s:I, s:o}", "name", f->name, "version",
				    (json_int_t)f->version, "signatures", (json_int_t)f->sigs, "built",
				    time_json(f->built))
			: json_pack("{s:s, s:I}", "name", f->name, "signatures", (json_int_t)f->sigs);
		if (!o || json_array_append_new(arr, o)) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static json_t *clamav_json(const struct scanner *s)
{
	if (!s->engine)
		return json_pack("{s:s, s:b}", "mode", scan_mode_name(s->o.clamav), "used", 0);
	return json_pack("{s:s, s:b, s:s, s:I, s:o, s:o}", "mode", scan_mode_name(s->o.clamav), "used", 1,
			 "engine", cl_retver(), "signatures", (json_int_t)s->clam_sigs, "built",
			 time_json(s->built), "databases", files_json(s, DB_CLAMAV));
}

static json_t *yara_json(const struct scanner *s)
{
	if (!s->rules)
		return json_pack("{s:s, s:b}", "mode", scan_mode_name(s->o.yara), "used", 0);
	return json_pack("{s:s, s:b, s:s, s:I, s:o}", "mode", scan_mode_name(s->o.yara), "used", 1, "engine",
			 YR_VERSION, "rules", (json_int_t)s->rules->num_rules, "files",
			 files_json(s, DB_YARA));
}

static json_t *external_json(const struct scanner *s)
{
	const struct scan_ext *x = &s->ext;

	if (!s->has_ext)
		return json_null();
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "command", x->cmdline, "program", x->prog,
			 "timeout", (json_int_t)x->timeout, "clean", (json_int_t)x->clean, "infected",
			 (json_int_t)x->infected, "failed", (json_int_t)x->failed, "timed_out",
			 (json_int_t)x->timed_out);
}

static json_t *limits_json(const struct scan_opts *o)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "max_db_age", (json_int_t)o->max_db_age,
			 "max_scan_size", (json_int_t)o->max_scan_size, "max_file_size",
			 (json_int_t)o->max_file_size, "max_recursion", (json_int_t)o->max_recursion,
			 "max_files", (json_int_t)o->max_files, "max_scan_ms", (json_int_t)o->max_scan_ms,
			 "yara_timeout", (json_int_t)yara_timeout(o));
}

int scan_describe(struct scanner *s, json_t **out, struct err *e)
{
	*out = json_pack("{s:s?, s:I, s:o, s:o, s:o, s:o, s:o, s:I}", "dbdir", s->dbdir, "generation",
			 (json_int_t)s->generation, "installed", time_json(s->installed), "clamav",
			 clamav_json(s), "yara", yara_json(s), "external", external_json(s), "limits",
			 limits_json(&s->o), "scanned", (json_int_t)s->scanned);
	return *out ? 0 : err_set(e, AE_NOMEM, "out of memory");
}
