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
#include "lib/banned.h"

static int source_add(struct home *h, const char *name, const char *dir, struct err *e)
{
	struct db_stmt *st = NULL;
	char *abs = NULL, *detail = NULL;
	json_t *d = NULL;
	int64_t have = 0;
	int r, in_tx = 0;

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
	r = db_prepare(h->db, "INSERT INTO source(name, kind, location, added) VALUES(?, 'dir', ?, ?)", &st, e);
	if (!r)
		r = db_bind_text(st, 1, name, e);
	if (!r)
		r = db_bind_text(st, 2, abs, e);
	if (!r)
		r = db_bind_int(st, 3, (int64_t)time(NULL), e);
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
	printf("added source '%s': %s\n", name, abs);
out:
	if (in_tx)
		db_rollback(h->db);
	db_finalize(st);
	json_decref(d);
	free(detail);
	free(abs);
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

CMD(source)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct home h = { 0 };
	struct err e = { 0 };
	const char *verb, *dir = NULL, *name = NULL;
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
		if (json)
			return cmd_usage(ctx, "--json belongs to 'source list'");
		if (!strcmp(verb, "add") && !dir)
			return cmd_usage(ctx, "say which folder: --dir PATH");
		if (!strcmp(verb, "remove") && dir)
			return cmd_usage(ctx, "--dir belongs to 'source add'");
	}

	r = home_open(&h, ctx->home, HOME_EXPORT, &e);
	if (r)
		return cmd_fail(ctx, &e, json);
	if (!strcmp(verb, "add"))
		r = source_add(&h, name, dir, &e);
	else if (!strcmp(verb, "remove"))
		r = source_remove(&h, name, &e);
	else
		r = source_list(&h, json, &e);
	home_close(&h);
	return r ? cmd_fail(ctx, &e, json) : 0;
}
