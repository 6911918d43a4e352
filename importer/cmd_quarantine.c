/*
 * airlock quarantine list|purge: the folders of rejected imports, kept with
 * their report and whatever was copied off the media, for forensics.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/audit.h"
#include "lib/buf.h"
#include "lib/cmd.h"
#include "lib/fs.h"
#include "lib/home.h"
#include "lib/json.h"
#include "lib/util.h"
#include "lib/banned.h"

#define MAX_ENTRIES 10000

struct qentry {
	char name[64];
	char started[32];
	char media[512];
	char check[64];
	char reason[512];
	uint64_t bytes;
	struct timespec written; /* the report's mtime: orders imports within one second */
};

static int cmp_entry(const void *a, const void *b)
{
	const struct qentry *x = a, *y = b;
	int c = strcmp(x->started, y->started);

	if (c)
		return c;
	if (x->written.tv_sec != y->written.tv_sec)
		return x->written.tv_sec < y->written.tv_sec ? -1 : 1;
	if (x->written.tv_nsec != y->written.tv_nsec)
		return x->written.tv_nsec < y->written.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

static uint64_t tree_bytes(const char *dir)
{
	struct buf p;
	struct dirent *d;
	uint64_t n = 0;
	DIR *dh = opendir(dir);
	struct err e = { 0 };

	if (!dh)
		return 0;
	buf_init(&p, 8192);
	while ((d = readdir(dh)) != NULL) {
		struct stat st;

		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		buf_reset(&p);
		if (buf_addf(&p, &e, "%s/%s", dir, d->d_name) || lstat(p.ptr, &st) < 0)
			continue;
		n += S_ISDIR(st.st_mode) ? tree_bytes(p.ptr) : (uint64_t)st.st_size;
	}
	closedir(dh);
	buf_release(&p);
	return n;
}

static void fill_from_report(struct qentry *q, const char *report)
{
	json_t *root = json_load_file(report, 0, NULL), *checks, *c;
	size_t i;

	if (!root)
		return;
	snprintf(q->started, sizeof(q->started), "%s", json_string_value(json_object_get(root, "started")) ?: "");
	snprintf(q->media, sizeof(q->media), "%s", json_string_value(json_object_get(root, "media")) ?: "");
	snprintf(q->reason, sizeof(q->reason), "%s", json_string_value(json_object_get(root, "message")) ?: "");
	checks = json_object_get(root, "checks");
	json_array_foreach(checks, i, c) {
		const char *res = json_string_value(json_object_get(c, "result"));

		if (res && strcmp(res, "ok"))
			snprintf(q->check, sizeof(q->check), "%s", json_string_value(json_object_get(c, "check")) ?: "");
	}
	json_decref(root);
}

/* Every kept (rejected) import folder, oldest first. */
static int collect(struct home *h, struct qentry **out, size_t *n, struct err *e)
{
	struct qentry *q = calloc(MAX_ENTRIES, sizeof(*q));
	struct buf p;
	struct dirent *d;
	DIR *dh;
	int r = 0;

	*n = 0;
	*out = q;
	if (!q)
		return err_set(e, AE_NOMEM, "out of memory");
	dh = opendir(h->quarantine);
	if (!dh)
		return err_errno(e, errno, "cannot open '%s'", h->quarantine);
	buf_init(&p, 8192);
	while ((d = readdir(dh)) != NULL && *n < MAX_ENTRIES) {
		struct stat st;

		if (strncmp(d->d_name, "import-", 7) || strlen(d->d_name) >= sizeof(q->name))
			continue;
		buf_reset(&p);
		r = buf_addf(&p, e, "%s/%s/report.json", h->quarantine, d->d_name);
		if (r)
			break;
		if (!fs_exists(p.ptr))
			continue; /* an import running now, or one the recovery will handle */
		snprintf(q[*n].name, sizeof(q[*n].name), "%s", d->d_name);
		fill_from_report(&q[*n], p.ptr);
		if (stat(p.ptr, &st) == 0)
			q[*n].written = st.st_mtim;
		p.ptr[p.len - sizeof("/report.json") + 1] = '\0';
		q[*n].bytes = tree_bytes(p.ptr);
		(*n)++;
	}
	closedir(dh);
	buf_release(&p);
	qsort(q, *n, sizeof(*q), cmp_entry);
	return r;
}

static int q_list(struct home *h, int json, struct err *e)
{
	struct qentry *q = NULL;
	size_t n, i;
	int r = collect(h, &q, &n, e);

	if (r)
		goto out;
	if (json) {
		json_t *arr = json_array();

		for (i = 0; i < n; i++)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "id", q[i].name, "started",
							     q[i].started, "media", q[i].media, "check", q[i].check,
							     "reason", q[i].reason, "bytes", (json_int_t)q[i].bytes));
		json_print(json_pack("{s:o}", "rejected", arr));
		goto out;
	}
	if (n == 0) {
		printf("quarantine is empty: no rejected imports are kept\n");
		goto out;
	}
	for (i = 0; i < n; i++) {
		char sz[32];

		size_human(q[i].bytes, sz);
		printf("%s  %s  %s  check %s  %s\n    %s\n", q[i].name, q[i].started, sz, q[i].check[0] ? q[i].check : "?",
		       q[i].media, q[i].reason);
	}
	printf("%zu rejected import%s kept in %s; read a report with 'cat %s/ID/report.txt'; remove them with "
	       "'airlock quarantine purge [ID...]'\n", n, n == 1 ? "" : "s", h->quarantine, h->quarantine);
out:
	free(q);
	return r;
}

static int q_purge(struct home *h, char **ids, int nids, struct err *e)
{
	struct qentry *q = NULL;
	struct buf p;
	size_t n, i, removed = 0;
	int r, k;

	buf_init(&p, 8192);
	r = collect(h, &q, &n, e);
	for (k = 0; !r && k < nids; k++) {
		for (i = 0; i < n && strcmp(q[i].name, ids[k]); i++)
			;
		if (i == n)
			r = err_set(e, AE_NOTFOUND, "no rejected import '%s' in quarantine ('airlock quarantine list' shows them)",
				    ids[k]);
	}
	for (i = 0; !r && i < n; i++) {
		for (k = 0; k < nids && strcmp(q[i].name, ids[k]); k++)
			;
		if (nids && k == nids)
			continue;
		buf_reset(&p);
		r = buf_addf(&p, e, "%s/%s", h->quarantine, q[i].name);
		/* the record first: a purge that is not on the record does not happen */
		if (!r)
			r = audit_record(h->db, "quarantine.purge", q[i].name,
					 json_pack("{s:s, s:s, s:s}", "media", q[i].media, "check", q[i].check, "reason",
						   q[i].reason), e);
		if (!r)
			r = fs_rm_rf(p.ptr, e);
		if (!r)
			removed++;
	}
	if (!r)
		printf("removed %zu rejected import folder%s\n", removed, removed == 1 ? "" : "s");
	free(q);
	buf_release(&p);
	return r;
}

CMD(quarantine)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 } };
	struct home h = { 0 };
	struct err e = { 0 };
	int json = 0, c, r;

	if (argc < 2 || (strcmp(argv[1], "list") && strcmp(argv[1], "purge")))
		return cmd_usage(ctx, "say what to do: list or purge");
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
		if (c != 'j')
			return cmd_usage(ctx, "unknown option '%s'", argv[optind]);
		json = 1;
	}
	optind++;
	if (!strcmp(argv[1], "list") && optind != argc)
		return cmd_usage(ctx, "'quarantine list' takes no arguments");
	r = home_open(&h, ctx->home, HOME_IMPORT, &e);
	if (!r)
		r = !strcmp(argv[1], "list") ? q_list(&h, json, &e) : q_purge(&h, argv + optind, argc - optind, &e);
	home_close(&h);
	return r ? cmd_fail(ctx, &e, json) : 0;
}
