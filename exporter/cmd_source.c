#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/audit.h"
#include "lib/cmd.h"
#include "lib/fs.h"
#include "lib/home.h"
#include "lib/json.h"
#include "lib/util.h"
#include "verify/gpg.h"
#include "lib/banned.h"

struct apt_args {
	const char *url, *suite, *keyring;
	const char *components[16], *archs[16], *packages[256];
	size_t ncomponents, narchs, npackages;
	int all, with_depends;
};

#define KEYRING_MAX ((size_t)16 << 20)

static json_t *strings(const char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/*
 * Pin a copy of the source's keyring in the site home: trust in the vendor
 * is decided when the source is added, and a later change to the file it
 * came from (a package upgrade of /usr/share/keyrings, say) changes nothing
 * until the officer adds the source again.  The copy must hold public keys.
 */
static int pin_keyring(struct home *h, const char *name, const char *from, struct buf *to, struct err *e)
{
	char fprs[64][FPR_LEN + 1];
	struct buf data, tmp, dir;
	struct gpg *g = NULL;
	size_t n = 0;
	int r;

	buf_init(&data, KEYRING_MAX);
	buf_init(&tmp, 4096);
	buf_init(&dir, 4096);
	r = fs_read_file(from, &data, e);
	if (r)
		goto out;
	r = fs_mkdtemp(h->staging, "keyring-", &tmp, e);
	if (!r)
		r = gpg_open(&g, tmp.ptr, e);
	if (!r)
		r = gpg_key_import(g, data.ptr ? data.ptr : "", data.len, fprs, 64, &n, e);
	if (r)
		goto out;
	if (n == 0) {
		r = err_set(e, AE_USAGE, "'%s' holds no public keys", from);
		goto out;
	}
	r = buf_addf(&dir, e, "%s/keyrings", h->dir);
	if (!r)
		r = fs_mkdirs(dir.ptr, 0755, e);
	if (!r)
		r = buf_addf(to, e, "%s/%s.gpg", dir.ptr, name);
	if (!r)
		r = fs_write_atomic(to->ptr, data.ptr, data.len, 0644, e);
out:
	gpg_close(g);
	if (tmp.len) {
		struct err ignore = { 0 };

		if (fs_rm_rf(tmp.ptr, &ignore))
			fprintf(stderr, "airlock: cannot remove '%s': %s\n", tmp.ptr, ignore.msg);
	}
	buf_release(&data);
	buf_release(&tmp);
	buf_release(&dir);
	return r;
}

static int source_add(struct home *h, const char *name, const char *dir, const struct apt_args *apt,
		      struct err *e)
{
	struct db_stmt *st = NULL;
	char *abs = NULL, *detail = NULL, *config = NULL;
	struct buf keyring;
	json_t *d = NULL, *cfg = NULL;
	int64_t have = 0;
	int r, in_tx = 0;

	buf_init(&keyring, 4096);
	if (apt) {
		abs = strdup(apt->url);
		if (!abs) {
			r = err_set(e, AE_NOMEM, "out of memory");
			goto out;
		}
		r = pin_keyring(h, name, apt->keyring, &keyring, e);
		if (r)
			goto out;
		cfg = json_pack("{s:s, s:o, s:o, s:s, s:o, s:b, s:b}", "suite", apt->suite, "components",
				strings(apt->components, apt->ncomponents), "architectures",
				strings(apt->archs, apt->narchs), "keyring", keyring.ptr, "packages",
				strings(apt->packages, apt->npackages), "all", apt->all, "with_depends",
				apt->with_depends);
		r = json_detail(json_incref(cfg), &config, e);
		if (r)
			goto out;
		d = json_pack("{s:s, s:s, s:O}", "kind", "apt", "location", abs, "config", cfg);
	} else {
		/* the location is stored resolved, so that an export does not depend on the directory it runs from */
		abs = realpath(dir, NULL);
		if (!abs) {
			r = err_errno(e, errno, "cannot use '%s'", dir);
			goto out;
		}
		if (!fs_is_dir(abs)) {
			r = err_set(e, AE_IO, "'%s' is not a folder", dir);
			goto out;
		}
		d = json_pack("{s:s, s:s}", "kind", "dir", "location", abs);
	}
	r = json_detail(d, &detail, e);
	d = NULL;
	if (r)
		goto out;
	r = db_begin(h->db, e);
	if (r)
		goto out;
	in_tx = 1;
	r = db_get_int(h->db, "SELECT count(*) FROM source WHERE name = ?", name, 0, &have, e);
	if (r)
		goto out;
	if (have) {
		r = err_set(e, AE_EXISTS, "source '%s' exists already; 'airlock source remove %s' first to change it",
			    name, name);
		goto out;
	}
	r = db_prepare(h->db, "INSERT INTO source(name, kind, location, added, config) VALUES(?, ?, ?, ?, ?)", &st,
		       e);
	if (!r)
		r = db_bind_text(st, 1, name, e);
	if (!r)
		r = db_bind_text(st, 2, apt ? "apt" : "dir", e);
	if (!r)
		r = db_bind_text(st, 3, abs, e);
	if (!r)
		r = db_bind_int(st, 4, (int64_t)time(NULL), e);
	if (!r)
		r = db_bind_text(st, 5, config ? config : "{}", e);
	if (!r)
		r = db_step(st, e);
	if (r < 0)
		goto out;
	r = audit_append(h->db, "source.add", name, detail, e);
	if (r)
		goto out;
	r = db_commit(h->db, e);
	if (r)
		goto out;
	in_tx = 0;
	if (apt)
		printf("added apt source '%s': %s %s; next: 'airlock fetch %s'\n", name, abs, apt->suite, name);
	else
		printf("added source '%s': %s\n", name, abs);
out:
	if (in_tx)
		db_rollback(h->db);
	db_finalize(st);
	json_decref(d);
	json_decref(cfg);
	free(detail);
	free(config);
	free(abs);
	buf_release(&keyring);
	return r;
}

static int source_remove(struct home *h, const char *name, struct err *e)
{
	struct db_stmt *st = NULL;
	int r, in_tx = 0;

	r = db_begin(h->db, e);
	if (r)
		goto out;
	in_tx = 1;
	r = db_prepare(h->db, "DELETE FROM source WHERE name = ?", &st, e);
	if (!r)
		r = db_bind_text(st, 1, name, e);
	if (!r)
		r = db_step(st, e);
	if (r < 0)
		goto out;
	if (db_changes(h->db) == 0) {
		r = err_set(e, AE_NOTFOUND, "there is no source '%s'; 'airlock source list' shows them", name);
		goto out;
	}
	r = audit_append(h->db, "source.remove", name, "", e);
	if (r)
		goto out;
	r = db_commit(h->db, e);
	if (r)
		goto out;
	in_tx = 0;
	printf("removed source '%s'\n", name);
out:
	if (in_tx)
		db_rollback(h->db);
	db_finalize(st);
	return r;
}

static int source_list(struct home *h, int json, struct err *e)
{
	struct db_stmt *st = NULL;
	json_t *arr = NULL;
	size_t n = 0;
	int r;

	if (json) {
		arr = json_array();
		if (!arr)
			return err_set(e, AE_NOMEM, "out of memory");
	}
	r = db_prepare(h->db, "SELECT name, kind, location, added FROM source ORDER BY name", &st, e);
	if (r)
		goto out;
	while ((r = db_step(st, e)) == 1) {
		char t[TIME_STR];

		time_format(db_col_int(st, 3), t);
		if (json) {
			if (json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "name", db_col_text(st, 0),
								 "kind", db_col_text(st, 1), "location",
								 db_col_text(st, 2), "added", t))) {
				r = err_set(e, AE_NOMEM, "out of memory");
				goto out;
			}
		} else {
			printf("%-20s %-4s %s  %s\n", db_col_text(st, 0), db_col_text(st, 1), t, db_col_text(st, 2));
		}
		n++;
	}
	if (r < 0)
		goto out;
	if (json) {
		json_print(arr);
		arr = NULL;
	} else if (!n) {
		printf("no sources; add one with 'airlock source add NAME --dir PATH'\n");
	}
	r = 0;
out:
	json_decref(arr);
	db_finalize(st);
	return r;
}

static int check_apt_args(struct cmd_ctx *ctx, struct apt_args *a)
{
	static const char *const dflt_component = "main", *const dflt_arch = "amd64";
	size_t i;

	if (strncmp(a->url, "http://", 7) && strncmp(a->url, "https://", 8))
		return cmd_usage(ctx, "--apt takes an http:// or https:// URL");
	if (strchr(a->url, ' ') || a->url[strlen(a->url) - 1] == '/')
		return cmd_usage(ctx, "--apt URL: no spaces and no trailing '/'");
	if (!a->suite || !*a->suite || strchr(a->suite, '/') || strstr(a->suite, ".."))
		return cmd_usage(ctx, "an apt source needs --suite (e.g. bookworm-security)");
	if (!a->keyring)
		return cmd_usage(ctx, "an apt source needs --keyring FILE: the vendor's keys, and only those, "
				      "verify its InRelease");
	if (!a->all && !a->npackages)
		return cmd_usage(ctx, "say what to carry: --package NAME[=VERSION] (repeatable) or --all");
	if (a->all && a->npackages)
		return cmd_usage(ctx, "--all and --package exclude each other");
	if (!a->ncomponents)
		a->components[a->ncomponents++] = dflt_component;
	if (!a->narchs)
		a->archs[a->narchs++] = dflt_arch;
	for (i = 0; i < a->ncomponents; i++)
		if (!name_valid(a->components[i], strlen(a->components[i])))
			return cmd_usage(ctx, "'%s' is not a component name", a->components[i]);
	for (i = 0; i < a->narchs; i++)
		if (!name_valid(a->archs[i], strlen(a->archs[i])))
			return cmd_usage(ctx, "'%s' is not an architecture name", a->archs[i]);
	return 0;
}

CMD(source)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "apt", required_argument, NULL, 'a' },
		{ "suite", required_argument, NULL, 's' },
		{ "component", required_argument, NULL, 'c' },
		{ "arch", required_argument, NULL, 'A' },
		{ "keyring", required_argument, NULL, 'k' },
		{ "package", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'L' },
		{ "with-depends", no_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct home h = { 0 };
	struct err e = { 0 };
	const char *verb, *dir = NULL, *name = NULL;
	struct apt_args apt = { 0 };
	int json = 0, c, r;

	if (argc < 2 || argv[1][0] == '-')
		return cmd_usage(ctx, "say what to do: add, list or remove");
	verb = argv[1];
	if (strcmp(verb, "add") && strcmp(verb, "list") && strcmp(verb, "remove"))
		return cmd_usage(ctx, "'%s' is not a source command; use add, list or remove", verb);
	optind = 0;
	while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'a':
			apt.url = optarg;
			break;
		case 's':
			apt.suite = optarg;
			break;
		case 'k':
			apt.keyring = optarg;
			break;
		case 'c':
			if (apt.ncomponents == 16)
				return cmd_usage(ctx, "at most 16 components");
			apt.components[apt.ncomponents++] = optarg;
			break;
		case 'A':
			if (apt.narchs == 16)
				return cmd_usage(ctx, "at most 16 architectures");
			apt.archs[apt.narchs++] = optarg;
			break;
		case 'p':
			if (apt.npackages == 256)
				return cmd_usage(ctx, "at most 256 --package options");
			apt.packages[apt.npackages++] = optarg;
			break;
		case 'L':
			apt.all = 1;
			break;
		case 'D':
			apt.with_depends = 1;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cmd_usage(ctx, "unknown option");
		}
	}
	argc -= 1;
	argv += 1;
	if (!strcmp(verb, "list")) {
		if (optind != argc)
			return cmd_usage(ctx, "unexpected argument '%s'", argv[optind]);
		if (dir)
			return cmd_usage(ctx, "--dir belongs to 'source add'");
	} else {
		if (optind >= argc)
			return cmd_usage(ctx, "say which source: 'airlock source %s NAME'", verb);
		if (optind + 1 != argc)
			return cmd_usage(ctx, "unexpected argument '%s'", argv[optind + 1]);
		name = argv[optind];
		if (!name_valid(name, strlen(name)))
			return cmd_usage(ctx, "'%s' is not a valid source name: use a-z, 0-9, '.', '_', '-', "
					      "starting with a letter or digit, at most 64 characters", name);
		if (!strcmp(name, "groups") || !strcmp(name, "keys"))
			return cmd_usage(ctx, "'%s' is reserved for the mirror's published views; choose another name",
					 name);
		if (json)
			return cmd_usage(ctx, "--json belongs to 'source list'");
		if (!strcmp(verb, "add") && !dir && !apt.url)
			return cmd_usage(ctx, "say what it is: --dir PATH or --apt URL");
		if (dir && apt.url)
			return cmd_usage(ctx, "--dir and --apt are two kinds of source: choose one");
		if (apt.url) {
			r = check_apt_args(ctx, &apt);
			if (r)
				return r;
		}
		if (!strcmp(verb, "remove") && dir)
			return cmd_usage(ctx, "--dir belongs to 'source add'");
	}

	r = home_open(&h, ctx->home, HOME_EXPORT, &e);
	if (r)
		return cmd_fail(ctx, &e, json);
	if (!strcmp(verb, "add"))
		r = source_add(&h, name, dir, apt.url ? &apt : NULL, &e);
	else if (!strcmp(verb, "remove"))
		r = source_remove(&h, name, &e);
	else
		r = source_list(&h, json, &e);
	home_close(&h);
	return r ? cmd_fail(ctx, &e, json) : 0;
}
