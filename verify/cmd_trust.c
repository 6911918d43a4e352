#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/audit.h"
#include "lib/buf.h"
#include "lib/cmd.h"
#include "lib/fs.h"
#include "lib/home.h"
#include "lib/json.h"
#include "lib/util.h"
#include "verify/gpg.h"
#include "verify/policy.h"
#include "verify/trust.h"
#include "lib/banned.h"

/* more keys than signatures a bundle may carry could never all count */
#define TRUST_MAX POLICY_MAX_SIGS

static int trust_add(struct home *h, const char *channel, uint64_t threshold, char **files, int nfiles,
		     int *usage, struct err *e)
{
	struct trust_key keys[TRUST_MAX];
	struct db_stmt *st = NULL;
	struct gpg *g = NULL;
	json_t *d = NULL, *fprs = NULL;
	char *detail = NULL;
	int64_t now, have = 0, total = 0;
	size_t nkeys = 0, i;
	int r, in_tx = 0;

	r = time_now_or_sde(&now, e);
	if (r)
		goto out;
	r = gpg_open(&g, h->gnupg, e);
	if (r)
		goto out;
	r = trust_import_keyfiles(g, files, nfiles, keys, &nkeys, e);
	if (r)
		goto out;

	r = db_begin(h->db, e);
	if (r)
		goto out;
	in_tx = 1;
	/*
	 * Without --threshold an existing channel keeps its threshold: adding
	 * a key must never quietly weaken a two-person rule back to one.
	 */
	r = db_get_int(h->db, "SELECT threshold FROM channel WHERE name = ?", channel, 0, &have, e);
	if (r)
		goto out;
	if (!threshold)
		threshold = have ? (uint64_t)have : 1;
	r = db_prepare(h->db,
		       "INSERT INTO channel(name, threshold) VALUES(?, ?) "
		       "ON CONFLICT(name) DO UPDATE SET threshold = excluded.threshold",
		       &st, e);
	if (!r)
		r = db_bind_text(st, 1, channel, e);
	if (!r)
		r = db_bind_int(st, 2, (int64_t)threshold, e);
	if (!r)
		r = db_step(st, e);
	db_finalize(st);
	st = NULL;
	if (r < 0)
		goto out;
	/* a key trusted already keeps the time it was first added */
	r = db_prepare(h->db,
		       "INSERT INTO trust(channel, fpr, uid, added) VALUES(?, ?, ?, ?) "
		       "ON CONFLICT(channel, fpr) DO UPDATE SET uid = excluded.uid",
		       &st, e);
	if (r)
		goto out;
	for (i = 0; i < nkeys; i++) {
		db_reset(st);
		r = db_bind_text(st, 1, channel, e);
		if (!r)
			r = db_bind_text(st, 2, keys[i].fpr, e);
		if (!r)
			r = db_bind_text(st, 3, keys[i].uid, e);
		if (!r)
			r = db_bind_int(st, 4, now, e);
		if (!r)
			r = db_step(st, e);
		if (r < 0)
			goto out;
	}
	db_finalize(st);
	st = NULL;
	r = db_get_int(h->db, "SELECT count(*) FROM trust WHERE channel = ?", channel, 0, &total, e);
	if (r)
		goto out;
	if (threshold > (uint64_t)total) {
		*usage = 1;
		r = err_set(e, AE_USAGE, "threshold %llu is more than the %lld trusted key%s of channel '%s'",
			    (unsigned long long)threshold, (long long)total, total == 1 ? "" : "s", channel);
		goto out;
	}

	fprs = json_array();
	for (i = 0; fprs && i < nkeys; i++)
		if (json_array_append_new(fprs, json_string(keys[i].fpr)))
			break;
	d = fprs && i == nkeys ? json_pack("{s:O, s:I}", "keys", fprs, "threshold", (json_int_t)threshold)
			       : NULL;
	r = json_detail(d, &detail, e);
	d = NULL;
	if (r)
		goto out;
	r = audit_append(h->db, "trust.add", channel, detail, e);
	if (r)
		goto out;
	r = db_commit(h->db, e);
	if (r)
		goto out;
	in_tx = 0;
	for (i = 0; i < nkeys; i++)
		printf("channel '%s' trusts %s %s\n", channel, keys[i].fpr, keys[i].uid);
	printf("channel '%s' needs %llu of %lld trusted signatures\n", channel, (unsigned long long)threshold,
	       (long long)total);
out:
	if (in_tx)
		db_rollback(h->db);
	db_finalize(st);
	json_decref(fprs);
	json_decref(d);
	free(detail);
	gpg_close(g);
	return r;
}

static int trust_remove(struct home *h, const char *channel, const char *fpr, struct err *e)
{
	struct db_stmt *st = NULL;
	char *detail = NULL;
	json_t *d = NULL;
	int64_t threshold = 0, left = 0;
	int r, in_tx = 0;

	r = db_begin(h->db, e);
	if (r)
		goto out;
	in_tx = 1;
	r = db_get_int(h->db, "SELECT threshold FROM channel WHERE name = ?", channel, 0, &threshold, e);
	if (r)
		goto out;
	if (!threshold) {
		r = err_set(e, AE_NOTFOUND, "there is no channel '%s'; 'airlock trust list' shows them",
			    channel);
		goto out;
	}
	r = db_prepare(h->db, "DELETE FROM trust WHERE channel = ? AND fpr = ?", &st, e);
	if (!r)
		r = db_bind_text(st, 1, channel, e);
	if (!r)
		r = db_bind_text(st, 2, fpr, e);
	if (!r)
		r = db_step(st, e);
	if (r < 0)
		goto out;
	if (db_changes(h->db) == 0) {
		r = err_set(e, AE_NOTFOUND,
			    "channel '%s' does not trust key %s; 'airlock trust list' shows its keys",
			    channel, fpr);
		goto out;
	}
	r = db_get_int(h->db, "SELECT count(*) FROM trust WHERE channel = ?", channel, 0, &left, e);
	if (r)
		goto out;
	if (left < threshold) {
		r = err_set(e, AE_STATE,
			    "removing key %s would leave channel '%s' with %lld trusted key%s, fewer than "
			    "its threshold "
			    "of %lld; add another key or lower the threshold first "
			    "('airlock trust add --channel %s --threshold N KEYFILE')",
			    fpr, channel, (long long)left, left == 1 ? "" : "s", (long long)threshold,
			    channel);
		goto out;
	}
	d = json_pack("{s:s, s:I}", "key", fpr, "threshold", (json_int_t)threshold);
	r = json_detail(d, &detail, e);
	d = NULL;
	if (r)
		goto out;
	r = audit_append(h->db, "trust.remove", channel, detail, e);
	if (r)
		goto out;
	r = db_commit(h->db, e);
	if (r)
		goto out;
	in_tx = 0;
	printf("channel '%s' no longer trusts %s\n", channel, fpr);
out:
	if (in_tx)
		db_rollback(h->db);
	db_finalize(st);
	json_decref(d);
	free(detail);
	return r;
}

static int trust_list(struct home *h, int json, struct err *e)
{
	struct db_stmt *st = NULL;
	json_t *arr = NULL, *ch = NULL, *keys = NULL;
	char last[128] = "";
	size_t n = 0;
	int r;

	if (json) {
		arr = json_array();
		if (!arr)
			return err_set(e, AE_NOMEM, "out of memory");
	}
	r = db_prepare(
	    h->db,
	    "SELECT c.name, c.threshold, t.fpr, t.uid, t.added,"
	    " (SELECT count(*) FROM trust u WHERE u.channel = c.name)"
	    " FROM channel c LEFT JOIN trust t ON t.channel = c.name ORDER BY c.name, t.added, t.fpr",
	    &st, e);
	if (r)
		goto out;
	while ((r = db_step(st, e)) == 1) {
		const char *name = db_col_text(st, 0);
		char added[TIME_STR];

		if (strcmp(name, last)) {
			snprintf(last, sizeof(last), "%s", name);
			n++;
			if (json) {
				keys = json_array();
				ch = json_pack("{s:s, s:I, s:o}", "channel", name, "threshold",
					       (json_int_t)db_col_int(st, 1), "keys", keys);
				if (!ch || json_array_append_new(arr, ch)) {
					r = err_set(e, AE_NOMEM, "out of memory");
					goto out;
				}
			} else {
				printf("%s%s: %lld of %lld trusted signatures needed\n", n > 1 ? "\n" : "",
				       name, (long long)db_col_int(st, 1), (long long)db_col_int(st, 5));
			}
		}
		if (db_col_is_null(st, 2))
			continue;
		time_format(db_col_int(st, 4), added);
		if (json) {
			if (json_array_append_new(keys,
						  json_pack("{s:s, s:s, s:s}", "fpr", db_col_text(st, 2),
							    "uid", db_col_text(st, 3), "added", added))) {
				r = err_set(e, AE_NOMEM, "out of memory");
				goto out;
			}
		} else {
			printf("  %s  %s  (added %s)\n", db_col_text(st, 2), db_col_text(st, 3), added);
		}
	}
	if (r < 0)
		goto out;
	if (json) {
		json_print(arr);
		arr = NULL;
	} else if (!n) {
		printf("no trusted channels; add one with 'airlock trust add --channel C KEYFILE'\n");
	}
	r = 0;
out:
	json_decref(arr);
	db_finalize(st);
	return r;
}

/* A fingerprint as typed: 40 hex digits, spaces allowed between groups; uppercased. */
/*
 * Vendor keyrings for the apt chain on the offline side: provisioned here by
 * the operator, never taken from a bundle.  They live in their own private
 * GnuPG home (gnupg-vendor/), apart from the officers' keys, so that a
 * vendor key can never count as an officer's signature or the other way.
 */
static int trust_vendor_add(struct home *h, const char *name, const char *file, struct err *e)
{
	char fprs[64][FPR_LEN + 1], *detail = NULL;
	struct buf data, vhome, list;
	struct db_stmt *st = NULL;
	struct gpg *g = NULL;
	size_t n = 0, i;
	int r, in_tx = 0;

	buf_init(&data, (size_t)16 << 20);
	buf_init(&vhome, 4096);
	buf_init(&list, 64 * (FPR_LEN + 1));
	r = fs_read_file(file, &data, e);
	if (!r)
		r = buf_addf(&vhome, e, "%s/gnupg-vendor", h->dir);
	if (!r)
		r = gpg_open(&g, vhome.ptr, e);
	if (!r)
		r = gpg_key_import(g, data.ptr ? data.ptr : "", data.len, fprs, 64, &n, e);
	if (r)
		goto out;
	if (!n) {
		r = err_set(e, AE_USAGE, "'%s' holds no public keys", file);
		goto out;
	}
	for (i = 0; i < n && !r; i++)
		r = buf_addf(&list, e, "%s%s", i ? "," : "", fprs[i]);
	if (!r)
		r = json_detail(json_pack("{s:s, s:s}", "keyring", file, "keys", list.ptr), &detail, e);
	if (!r)
		r = db_begin(h->db, e);
	if (r)
		goto out;
	in_tx = 1;
	r = db_prepare(h->db, "INSERT INTO vendor(name, fprs, added) VALUES(?, ?, ?) ON CONFLICT(name) DO UPDATE "
			      "SET fprs = excluded.fprs, added = excluded.added", &st, e);
	if (!r && !(r = db_bind_text(st, 1, name, e)) && !(r = db_bind_text(st, 2, list.ptr, e)) &&
	    !(r = db_bind_int(st, 3, (int64_t)time(NULL), e)))
		r = db_step(st, e);
	if (r >= 0)
		r = audit_append(h->db, "trust.vendor", name, detail, e);
	if (r >= 0)
		r = db_commit(h->db, e);
	if (r < 0)
		goto out;
	in_tx = 0;
	r = 0;
	printf("vendor '%s': %zu key%s (%s); imports re-verify apt sources against them\n", name, n,
	       n == 1 ? "" : "s", list.ptr);
out:
	if (in_tx)
		db_rollback(h->db);
	db_finalize(st);
	gpg_close(g);
	free(detail);
	buf_release(&data);
	buf_release(&vhome);
	buf_release(&list);
	return r;
}

CMD(trust)
{
	static const struct option opts[] = {
	    {"channel", required_argument, NULL, 'c'},
	    {"threshold", required_argument, NULL, 't'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0},
	};
	const char *verb, *channel = NULL, *threshold_arg = NULL;
	char fpr[FPR_LEN + 1];
	struct home h = {0};
	struct err e = {0};
	uint64_t threshold = 0;
	int json = 0, usage = 0, c, r;

	if (argc < 2 || argv[1][0] == '-')
		return cmd_usage(ctx, "say what to do: add, list, remove, revoke, propose, cosign, apply or vendor add");
	verb = argv[1];
	if (!strcmp(verb, "vendor")) {
		struct home hv = { 0 };
		struct err ev = { 0 };
		int rv;

		if (argc != 5 || strcmp(argv[2], "add"))
			return cmd_usage(ctx, "airlock trust vendor add NAME KEYRING");
		if (!name_valid(argv[3], strlen(argv[3])))
			return cmd_usage(ctx, "'%s' is not a valid vendor name", argv[3]);
		rv = home_open(&hv, ctx->home, HOME_IMPORT, &ev);
		if (!rv)
			rv = trust_vendor_add(&hv, argv[3], argv[4], &ev);
		home_close(&hv);
		return rv ? cmd_fail(ctx, &ev, 0) : 0;
	}
	if (!strcmp(verb, "revoke") || !strcmp(verb, "propose") || !strcmp(verb, "cosign") || !strcmp(verb, "apply"))
		return trust_change_main(argc, argv, ctx);
	if (strcmp(verb, "add") && strcmp(verb, "list") && strcmp(verb, "remove"))
		return cmd_usage(ctx, "'%s' is not a trust command; use add, list or remove", verb);
	/* the verb stands in for argv[0], so getopt starts at what follows it */
	argc -= 1;
	argv += 1;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			channel = optarg;
			break;
		case 't':
			threshold_arg = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case ':':
			return cmd_usage(ctx, "'%s' needs a value", argv[optind - 1]);
		default:
			return cmd_usage(ctx, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!strcmp(verb, "list")) {
		if (optind != argc)
			return cmd_usage(ctx, "unexpected argument '%s'", argv[optind]);
		if (channel || threshold_arg)
			return cmd_usage(ctx, "'trust list' takes no --channel or --threshold");
	} else {
		if (json)
			return cmd_usage(ctx, "--json belongs to 'trust list'");
		if (!channel)
			return cmd_usage(ctx, "say which channel: --channel C");
		if (!name_valid(channel, strlen(channel)))
			return cmd_usage(ctx,
					 "'%s' is not a valid channel name: use a-z, 0-9, '.', '_', '-', "
					 "starting with a letter or digit, at most 64 characters",
					 channel);
		if (!strcmp(verb, "add")) {
			if (threshold_arg &&
			    (parse_u64(threshold_arg, strlen(threshold_arg), &threshold) < 0 ||
			     threshold < 1 || threshold > TRUST_MAX))
				return cmd_usage(
				    ctx,
				    "--threshold takes a number from 1 to the number of trusted keys, "
				    "not '%s'",
				    threshold_arg);
			if (optind >= argc)
				return cmd_usage(
				    ctx,
				    "name at least one public key file: 'airlock trust add --channel "
				    "%s KEYFILE...'",
				    channel);
		} else {
			if (threshold_arg)
				return cmd_usage(ctx, "--threshold belongs to 'trust add'");
			if (optind >= argc)
				return cmd_usage(
				    ctx, "say which key: 'airlock trust remove --channel %s FPR'", channel);
			if (optind + 1 != argc)
				return cmd_usage(ctx, "unexpected argument '%s'", argv[optind + 1]);
			if (trust_fpr_parse(argv[optind], fpr) < 0)
				return cmd_usage(ctx, "'%s' is not a 40-digit key fingerprint", argv[optind]);
		}
	}

	r = home_open(&h, ctx->home, HOME_IMPORT, &e);
	if (r)
		return cmd_fail(ctx, &e, json);
	if (!strcmp(verb, "add"))
		r = trust_add(&h, channel, threshold, argv + optind, argc - optind, &usage, &e);
	else if (!strcmp(verb, "remove"))
		r = trust_remove(&h, channel, fpr, &e);
	else
		r = trust_list(&h, json, &e);
	home_close(&h);
	if (r && usage)
		return cmd_usage(ctx, "%s", e.msg);
	return r ? cmd_fail(ctx, &e, json) : 0;
}
