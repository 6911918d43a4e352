/*
 * airlock scan-db: install the scanners' databases on an import site, one
 * generation at a time (<home>/scan-db/gen-N, with 'current' pointing at
 * the one in use), and show what is installed (docs/scanning.md).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "importer/scan.h"
#include "lib/audit.h"
#include "lib/buf.h"
#include "lib/cmd.h"
#include "lib/fs.h"
#include "lib/hash.h"
#include "lib/home.h"
#include "lib/json.h"
#include "lib/util.h"
#include "lib/banned.h"

#define MAX_FILES 256
#define DAY 86400

struct newfile {
	char name[NAME_MAX + 1];
	char sha256[SHA256_HEX];
	uint64_t size;
};

struct update {
	struct home *h;
	char *src; /* DIR, resolved */
	struct newfile *files;
	size_t nfiles;
	int64_t now;
	uint64_t gen;
	struct buf root;  /* <home>/scan-db */
	struct buf tmp;	  /* gen-N.tmp */
	struct buf final; /* gen-N */
	struct buf p;
};

/* The scanners' settings as an import uses them; the site's airlock.conf scan.* keys belong here. */
/* The site's settings (set once the home is open); a malformed setting falls back to the defaults here, and stops imports. */
static const struct conf *site_conf;

static void site_opts(struct scan_opts *o, int64_t now)
{
	struct err ignore = { 0 };

	if (scan_opts_from_conf(site_conf, o, &ignore))
		scan_opts_defaults(o);
	o->now = now;
}

static int cmp_newfile(const void *a, const void *b)
{
	return strcmp(((const struct newfile *)a)->name, ((const struct newfile *)b)->name);
}

/* One entry of DIR: a regular file with a database name, or a refusal naming it. */
static int take_entry(struct update *u, const char *name, struct err *e)
{
	struct stat st;

	buf_reset(&u->p);
	if (buf_addf(&u->p, e, "%s/%s", u->src, name))
		return -e->code;
	if (lstat(u->p.ptr, &st) < 0)
		return err_errno(e, errno, "cannot read '%s'", u->p.ptr);
	if (!S_ISREG(st.st_mode))
		return err_set(e, AE_FORMAT,
			       "'%s' is not a regular file: scan-db update takes database files only, "
			       "no folders or symlinks",
			       u->p.ptr);
	if (!scan_db_name_ok(name))
		return err_set(e, AE_FORMAT,
			       "'%s' is not a scanner database file: take only ClamAV databases "
			       "(.cvd .cld .cud .hdb .ndb .ldb ... .info .cfg) and YARA rules (.yar .yara)",
			       u->p.ptr);
	if (u->nfiles == MAX_FILES)
		return err_set(e, AE_TOOBIG, "'%s' holds more than %d files", u->src, MAX_FILES);
	snprintf(u->files[u->nfiles++].name, sizeof(u->files[0].name), "%s", name);
	return 0;
}

static int collect(struct update *u, struct err *e)
{
	struct dirent *d;
	DIR *dir;
	int r = 0;

	u->files = calloc(MAX_FILES, sizeof(*u->files));
	if (!u->files)
		return err_set(e, AE_NOMEM, "out of memory");
	dir = opendir(u->src);
	if (!dir)
		return err_errno(e, errno, "cannot open folder '%s'", u->src);
	while (!r && (d = readdir(dir)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			r = take_entry(u, d->d_name, e);
	closedir(dir);
	if (!r && !u->nfiles)
		r = err_set(e, AE_FORMAT, "'%s' holds no database files", u->src);
	if (!r)
		qsort(u->files, u->nfiles, sizeof(*u->files), cmp_newfile);
	return r;
}

/* "gen-N" or "gen-N.tmp": N, else 0. */
static uint64_t gen_number(const char *name)
{
	const char *end;
	uint64_t n;

	if (strncmp(name, "gen-", 4))
		return 0;
	end = strchr(name + 4, '.');
	if (end && strcmp(end, ".tmp"))
		return 0;
	if (parse_u64(name + 4, end ? (size_t)(end - name - 4) : strlen(name + 4), &n) < 0)
		return 0;
	return n;
}

/*
 * The next generation number, past every one there (finished or not), so
 * that a number is never used twice; leftovers of an interrupted update go.
 */
static int next_generation(struct update *u, struct err *e)
{
	struct dirent *d;
	DIR *dir;
	int r = 0;

	dir = opendir(u->root.ptr);
	if (!dir)
		return err_errno(e, errno, "cannot open folder '%s'", u->root.ptr);
	while (!r && (d = readdir(dir))) {
		uint64_t n = gen_number(d->d_name);
		int leftover = (n && strstr(d->d_name, ".tmp")) || !strcmp(d->d_name, "current.new");

		if (n > u->gen)
			u->gen = n;
		if (!leftover)
			continue;
		buf_reset(&u->p);
		r = buf_addf(&u->p, e, "%s/%s", u->root.ptr, d->d_name);
		if (!r)
			r = fs_rm_rf(u->p.ptr, e);
	}
	closedir(dir);
	u->gen++;
	return r;
}

static int copy_one(struct update *u, struct newfile *f, struct err *e)
{
	uint8_t d[SHA256_LEN];
	struct buf from;
	int r;

	buf_init(&from, 8192);
	buf_reset(&u->p);
	r = buf_addf(&from, e, "%s/%s", u->src, f->name);
	if (!r)
		r = buf_addf(&u->p, e, "%s/%s", u->tmp.ptr, f->name);
	if (!r)
		r = fs_copy_file(from.ptr, u->p.ptr, 0444, e);
	/* the record is of what was installed: hash the copy */
	if (!r)
		r = sha256_file(u->p.ptr, d, &f->size, e);
	if (!r)
		hex_encode(d, SHA256_LEN, f->sha256);
	buf_release(&from);
	return r;
}

static json_t *files_json(const struct update *u)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < u->nfiles; i++) {
		json_t *o = json_pack("{s:s, s:s, s:I}", "name", u->files[i].name, "sha256",
				      u->files[i].sha256, "size", (json_int_t)u->files[i].size);

		if (!o || json_array_append_new(arr, o)) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static int write_generation_json(struct update *u, struct err *e)
{
	char t[TIME_STR], *text = NULL;
	int r;

	time_format(u->now, t);
	r = json_detail(json_pack("{s:I, s:s, s:s, s:o}", "generation", (json_int_t)u->gen, "installed", t,
				  "source", u->src, "files", files_json(u)),
			&text, e);
	buf_reset(&u->p);
	if (!r)
		r = buf_addf(&u->p, e, "%s/generation.json", u->tmp.ptr);
	if (!r)
		r = fs_write_atomic(u->p.ptr, text, strlen(text), 0444, e);
	free(text);
	return r;
}

/* gen-N.tmp with every file, its record, all on disk. */
static int build(struct update *u, struct err *e)
{
	size_t i;
	int r;

	r = buf_addf(&u->tmp, e, "%s/gen-%" PRIu64 ".tmp", u->root.ptr, u->gen);
	if (!r)
		r = buf_addf(&u->final, e, "%s/gen-%" PRIu64, u->root.ptr, u->gen);
	if (r)
		return r;
	if (mkdir(u->tmp.ptr, 0755) < 0)
		return err_errno(e, errno, "cannot create '%s'", u->tmp.ptr);
	for (i = 0; i < u->nfiles && !r; i++)
		r = copy_one(u, &u->files[i], e);
	if (!r)
		r = write_generation_json(u, e);
	if (!r)
		r = fs_fsync_dir(u->tmp.ptr, e);
	return r;
}

/* Name the operator's files, not their copies in gen-N.tmp, in a load error. */
static void name_source(struct err *e, const char *tmp, const char *src)
{
	char rest[sizeof(e->msg)], *hit, *from = e->msg;

	while ((hit = strstr(from, tmp))) {
		size_t at = (size_t)(hit - e->msg);

		snprintf(rest, sizeof(rest), "%s", hit + strlen(tmp));
		snprintf(hit, sizeof(e->msg) - at, "%s%s", src, rest);
		from = e->msg + (at + strlen(src) < sizeof(e->msg) ? at + strlen(src) : sizeof(e->msg) - 1);
	}
}

/*
 * Everything in it must load and compile, and it must hold something to
 * scan with; its age is the import's business (printed, not refused here).
 */
static int test_load(struct update *u, struct scanner **s, struct err *e)
{
	struct scan_opts o;
	int r;

	site_opts(&o, u->now);
	o.dbdir = u->tmp.ptr;
	o.clamav = SCAN_IF_PRESENT;
	o.yara = SCAN_IF_PRESENT;
	o.max_db_age = 0;
	o.external = NULL;
	r = scan_open(s, &o, e);
	if (r) {
		name_source(e, u->tmp.ptr, u->src);
		return err_prefix(e, "nothing was installed");
	}
	return 0;
}

/* 'current' now names gen-N: a new symlink renamed over the old one, in one step. */
static int switch_current(struct update *u, struct err *e)
{
	struct buf cur;
	char target[64];
	int r;

	buf_init(&cur, 8192);
	snprintf(target, sizeof(target), "gen-%" PRIu64, u->gen);
	if (rename(u->tmp.ptr, u->final.ptr) < 0) {
		r = err_errno(e, errno, "cannot rename '%s' to '%s'", u->tmp.ptr, u->final.ptr);
		goto out;
	}
	buf_reset(&u->p);
	r = buf_addf(&u->p, e, "%s/current.new", u->root.ptr);
	if (!r)
		r = buf_addf(&cur, e, "%s/current", u->root.ptr);
	if (r)
		goto out;
	if (symlink(target, u->p.ptr) < 0) {
		r = err_errno(e, errno, "cannot create '%s'", u->p.ptr);
		goto out;
	}
	if (rename(u->p.ptr, cur.ptr) < 0) {
		r = err_errno(e, errno, "cannot rename '%s' to '%s'", u->p.ptr, cur.ptr);
		unlink(u->p.ptr);
		goto out;
	}
	r = fs_fsync_dir(u->root.ptr, e);
out:
	buf_release(&cur);
	return r;
}

/* Every generation but the new one. */
static int remove_old(struct update *u, struct err *e)
{
	struct dirent *d;
	DIR *dir;
	int r = 0;

	dir = opendir(u->root.ptr);
	if (!dir)
		return err_errno(e, errno, "cannot open folder '%s'", u->root.ptr);
	while (!r && (d = readdir(dir))) {
		uint64_t n = gen_number(d->d_name);

		if (!n || n == u->gen)
			continue;
		buf_reset(&u->p);
		r = buf_addf(&u->p, e, "%s/%s", u->root.ptr, d->d_name);
		if (!r)
			r = fs_rm_rf(u->p.ptr, e);
	}
	closedir(dir);
	return r;
}

static int record(struct update *u, json_t *desc, struct err *e)
{
	json_t *cl = json_object_get(desc, "clamav"), *ya = json_object_get(desc, "yara");

	return audit_record(u->h->db, "scan-db.update", u->src,
			    json_pack("{s:I, s:o, s:O?, s:O?}", "generation", (json_int_t)u->gen, "files", files_json(u),
				      "clamav_signatures", json_object_get(cl, "signatures"), "yara_rules",
				      json_object_get(ya, "rules")), e);
}

/* --- output -------------------------------------------------------------- */

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static long long jint(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static void print_clamav(json_t *cl, int64_t now)
{
	json_t *db;
	int64_t built = 0;
	size_t i;

	if (!json_is_true(json_object_get(cl, "used"))) {
		printf("  ClamAV: no database\n");
		return;
	}
	if (time_parse(jstr(cl, "built"), strlen(jstr(cl, "built")), &built) < 0)
		built = 0;
	printf("  ClamAV %s: %lld signature%s, newest built %s (%lld days ago)\n", jstr(cl, "engine"),
	       jint(cl, "signatures"), jint(cl, "signatures") == 1 ? "" : "s",
	       built ? jstr(cl, "built") : "at an unknown time",
	       built && now > built ? (long long)((now - built) / DAY) : 0LL);
	json_array_foreach(json_object_get(cl, "databases"), i, db)
	{
		if (json_object_get(db, "version"))
			printf("    %-24s version %lld, %lld signature%s, built %s\n", jstr(db, "name"),
			       jint(db, "version"), jint(db, "signatures"),
			       jint(db, "signatures") == 1 ? "" : "s", jstr(db, "built"));
		else
			printf("    %-24s %lld signature%s\n", jstr(db, "name"), jint(db, "signatures"),
			       jint(db, "signatures") == 1 ? "" : "s");
	}
}

static void print_describe(json_t *d, int64_t now)
{
	json_t *ya = json_object_get(d, "yara"), *f;
	size_t i;

	print_clamav(json_object_get(d, "clamav"), now);
	if (!json_is_true(json_object_get(ya, "used"))) {
		printf("  YARA: no rules\n");
		return;
	}
	printf("  YARA %s: %lld rule%s from %zu file%s\n", jstr(ya, "engine"), jint(ya, "rules"),
	       jint(ya, "rules") == 1 ? "" : "s", json_array_size(json_object_get(ya, "files")),
	       json_array_size(json_object_get(ya, "files")) == 1 ? "" : "s");
	json_array_foreach(json_object_get(ya, "files"), i, f) printf("    %s\n", jstr(f, "name"));
}

/* The verdict an import would reach on this generation with the site's settings. */
static int readiness(struct scanner *s, json_t *d, int64_t now, struct err *verdict)
{
	struct scan_opts o;

	site_opts(&o, now);
	if (o.clamav == SCAN_REQUIRED && !json_is_true(json_object_get(json_object_get(d, "clamav"), "used")))
		return err_reject(verdict, "scan-db: no ClamAV database installed; install one with 'airlock "
					   "scan-db update DIR'");
	if (o.yara == SCAN_REQUIRED && !json_is_true(json_object_get(json_object_get(d, "yara"), "used")))
		return err_reject(verdict,
				  "scan-db: no YARA rules installed; install some with 'airlock scan-db "
				  "update DIR'");
	return o.clamav == SCAN_OFF ? 0 : scan_check_age(s, now, o.max_db_age, verdict);
}

/* --- the verbs ----------------------------------------------------------- */

static int update_steps(struct update *u, struct scanner **s, json_t **desc, struct err *e)
{
	int r;

	r = collect(u, e);
	if (!r)
		r = buf_addf(&u->root, e, "%s/scan-db", u->h->dir);
	if (!r)
		r = fs_mkdirs(u->root.ptr, 0755, e);
	if (!r)
		r = next_generation(u, e);
	if (!r)
		r = build(u, e);
	if (!r)
		r = test_load(u, s, e);
	if (!r)
		r = scan_describe(*s, desc, e);
	if (!r)
		r = switch_current(u, e);
	if (!r && json_object_set_new(*desc, "dbdir", json_string(u->final.ptr)))
		r = err_set(e, AE_NOMEM, "out of memory");
	if (!r)
		r = record(u, *desc, e);
	if (!r)
		r = remove_old(u, e);
	return r;
}

static void print_update(struct update *u, json_t *desc, const struct err *verdict, int json)
{
	if (json) {
		json_print(json_pack("{s:s, s:I, s:s, s:O, s:b, s:s?}", "status", "installed", "generation",
				     (json_int_t)u->gen, "dbdir", u->final.ptr, "scanner", desc, "ready",
				     !verdict->code, "problem", verdict->code ? verdict->msg : NULL));
		return;
	}
	printf("installed scanner database generation %" PRIu64 " from '%s' into '%s'\n", u->gen, u->src,
	       u->final.ptr);
	print_describe(desc, u->now);
	if (verdict->code)
		fprintf(stderr, "airlock: warning: imports will refuse it: %s\n", verdict->msg);
	else
		printf("next: every import scans with it; 'airlock scan-db status' shows it\n");
}

static int scan_db_update(struct home *h, const char *src, int json, struct err *e)
{
	struct err ignore = {0}, verdict = {0};
	struct scanner *s = NULL;
	struct update u = {0};
	json_t *desc = NULL;
	int lock = -1, r;

	u.h = h;
	buf_init(&u.root, 8192);
	buf_init(&u.tmp, 8192);
	buf_init(&u.final, 8192);
	buf_init(&u.p, 8192);
	u.src = realpath(src, NULL);
	if (!u.src)
		r = err_errno(e, errno, "cannot open folder '%s'", src);
	else
		r = time_now_or_sde(&u.now, e);
	if (!r)
		r = home_lock(h, &lock, e);
	if (!r)
		r = update_steps(&u, &s, &desc, e);
	if (r && u.tmp.len && fs_rm_rf(u.tmp.ptr, &ignore))
		fprintf(stderr, "airlock: cannot remove '%s': %s\n", u.tmp.ptr, ignore.msg);
	if (!r) {
		readiness(s, desc, u.now, &verdict);
		print_update(&u, desc, &verdict, json);
	}
	scan_close(s);
	json_decref(desc);
	if (lock >= 0)
		close(lock);
	free(u.files);
	free(u.src);
	buf_release(&u.root);
	buf_release(&u.tmp);
	buf_release(&u.final);
	buf_release(&u.p);
	return r;
}

static int scan_db_status(struct home *h, int json, struct err *e)
{
	struct err verdict = {0};
	struct scanner *s = NULL;
	struct scan_opts o;
	struct buf cur;
	json_t *d = NULL;
	int64_t now, limit;
	int r;

	buf_init(&cur, 8192);
	r = time_now_or_sde(&now, e);
	if (!r)
		r = scan_db_current(h, &cur, e);
	if (r)
		goto out;
	site_opts(&o, now);
	limit = o.max_db_age;
	/* load whatever is there, however old, to show it; readiness() judges it */
	o.dbdir = cur.ptr;
	o.clamav = SCAN_IF_PRESENT;
	o.yara = SCAN_IF_PRESENT;
	o.max_db_age = 0;
	o.external = NULL;
	r = scan_open(&s, &o, e);
	if (!r)
		r = scan_describe(s, &d, e);
	if (r)
		goto out;
	readiness(s, d, now, &verdict);
	if (json) {
		json_print(json_pack("{s:b, s:O, s:b, s:s?, s:I}", "installed", fs_exists(cur.ptr), "scanner",
				     d, "ready", !verdict.code, "problem", verdict.code ? verdict.msg : NULL,
				     "max_db_age", (json_int_t)limit));
	} else {
		if (fs_exists(cur.ptr))
			printf("scanner database: '%s' (generation %lld, installed %s)\n", jstr(d, "dbdir"),
			       jint(d, "generation"),
			       json_is_string(json_object_get(d, "installed")) ? jstr(d, "installed")
									       : "at an unknown time");
		else
			printf("scanner database: none installed\n");
		print_describe(d, now);
		if (verdict.code)
			printf("imports: refused: %s\n", verdict.msg);
		else if (limit)
			printf("imports: ready (ClamAV database age limit %lld days)\n",
			       (long long)(limit / DAY));
		else
			printf("imports: ready\n");
	}
out:
	json_decref(d);
	scan_close(s);
	buf_release(&cur);
	return r;
}

CMD(scan_db)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0},
	};
	struct home h = {0};
	struct err e = {0};
	const char *verb;
	int json = 0, c, r;

	if (argc < 2 || argv[1][0] == '-')
		return cmd_usage(ctx, "say what to do: update or status");
	verb = argv[1];
	if (strcmp(verb, "update") && strcmp(verb, "status"))
		return cmd_usage(ctx, "'%s' is not a scan-db command; use update or status", verb);
	argc -= 1;
	argv += 1;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c != 'j')
			return cmd_usage(ctx, "unknown option '%s'", argv[optind - 1]);
		json = 1;
	}
	if (!strcmp(verb, "update") && optind == argc)
		return cmd_usage(ctx, "name the folder that holds the database files");
	if (!strcmp(verb, "update") && optind + 1 != argc)
		return cmd_usage(ctx, "unexpected argument '%s'", argv[optind + 1]);
	if (!strcmp(verb, "status") && optind != argc)
		return cmd_usage(ctx, "unexpected argument '%s'", argv[optind]);
	r = home_open(&h, ctx->home, HOME_IMPORT, &e);
	site_conf = h.conf;
	if (!r)
		r = !strcmp(verb, "update") ? scan_db_update(&h, argv[optind], json, &e)
					    : scan_db_status(&h, json, &e);
	home_close(&h);
	return r ? cmd_fail(ctx, &e, json) : 0;
}
