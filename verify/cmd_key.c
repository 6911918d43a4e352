#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/audit.h"
#include "lib/buf.h"
#include "lib/cmd.h"
#include "lib/home.h"
#include "lib/json.h"
#include "lib/util.h"
#include "verify/gpg.h"
#include "lib/banned.h"

#define EXPORT_MAX ((size_t)1 << 20)

static int key_generate(struct home *h, const char *name, const char *email, int64_t expires, struct err *e)
{
	char fpr[FPR_LEN + 1], until[TIME_STR];
	struct gpg_keyinfo ki;
	struct gpg *g = NULL;
	json_t *d = NULL;
	char *detail = NULL;
	int r;

	r = gpg_open(&g, h->gnupg, e);
	if (r)
		goto out;
	r = gpg_key_generate(g, name, email, expires, fpr, e);
	if (r)
		goto out;
	/* the record holds gpg's own expiry time, not our estimate of it */
	r = gpg_key_info(g, fpr, &ki, e);
	if (r)
		goto out;
	if (ki.expires)
		time_format(ki.expires, until);
	d = json_pack("{s:s, s:s?}", "uid", ki.uid, "expires", ki.expires ? until : NULL);
	r = json_detail(d, &detail, e);
	d = NULL;
	if (r)
		goto out;
	/* the key exists from here on: say which one even if the record fails */
	r = audit_append(h->db, "key.generate", fpr, detail, e);
	if (r) {
		err_prefix(e, "key %s was generated but not recorded in the audit log", fpr);
		goto out;
	}
	printf("%s\n", fpr);
out:
	json_decref(d);
	free(detail);
	gpg_close(g);
	return r;
}

struct list_state {
	json_t *arr;
	size_t n;
	struct err *e;
};

static int list_one(const struct gpg_keyinfo *ki, void *arg)
{
	struct list_state *ls = arg;
	char created[TIME_STR], expires[TIME_STR];

	time_format(ki->created, created);
	if (ki->expires)
		time_format(ki->expires, expires);
	ls->n++;
	if (ls->arr) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:b, s:b}", "fpr", ki->fpr, "uid", ki->uid,
				      "created", created, "expires", ki->expires ? expires : NULL, "revoked",
				      ki->revoked, "expired", ki->expired);

		if (json_array_append_new(ls->arr, o))
			return err_set(ls->e, AE_NOMEM, "out of memory");
		return 0;
	}
	printf("%s  %s\n    created %s, expires %s%s%s\n", ki->fpr, ki->uid, created,
	       ki->expires ? expires : "never", ki->revoked ? ", revoked" : "",
	       ki->expired ? ", expired" : "");
	return 0;
}

static int key_list(struct home *h, int json, struct err *e)
{
	struct list_state ls = {NULL, 0, e};
	struct gpg *g = NULL;
	int r;

	if (json) {
		ls.arr = json_array();
		if (!ls.arr)
			return err_set(e, AE_NOMEM, "out of memory");
	}
	r = gpg_open(&g, h->gnupg, e);
	if (r)
		goto out;
	r = gpg_key_list(g, 1, list_one, &ls, e);
	if (r)
		goto out;
	if (json) {
		json_print(ls.arr);
		ls.arr = NULL;
	} else if (!ls.n) {
		printf("no signing keys; make one with 'airlock key generate --name NAME'\n");
	}
out:
	json_decref(ls.arr);
	gpg_close(g);
	return r;
}

static int key_export(struct home *h, const char *fpr, struct err *e)
{
	struct gpg *g = NULL;
	struct buf out;
	int r;

	buf_init(&out, EXPORT_MAX);
	r = gpg_open(&g, h->gnupg, e);
	if (r)
		goto out;
	r = gpg_key_export(g, fpr, &out, e);
	if (r)
		goto out;
	if (fwrite(out.ptr, 1, out.len, stdout) != out.len || fflush(stdout) != 0)
		r = err_set(e, AE_IO, "cannot write the key to standard output");
out:
	buf_release(&out);
	gpg_close(g);
	return r;
}

CMD(key)
{
	static const struct option opts[] = {
	    {"name", required_argument, NULL, 'n'},
	    {"email", required_argument, NULL, 'm'},
	    {"expires", required_argument, NULL, 'x'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0},
	};
	const char *verb, *name = NULL, *email = NULL, *expires_arg = NULL;
	struct home h = {0};
	struct err e = {0};
	int64_t expires = 0;
	int json = 0, c, r;

	if (argc < 2 || argv[1][0] == '-')
		return cmd_usage(ctx, "say what to do: generate, list or export");
	verb = argv[1];
	if (strcmp(verb, "generate") && strcmp(verb, "list") && strcmp(verb, "export"))
		return cmd_usage(ctx, "'%s' is not a key command; use generate, list or export", verb);
	/* the verb stands in for argv[0], so getopt starts at what follows it */
	argc -= 1;
	argv += 1;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'm':
			email = optarg;
			break;
		case 'x':
			expires_arg = optarg;
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
	if (!strcmp(verb, "generate")) {
		if (optind != argc)
			return cmd_usage(ctx, "unexpected argument '%s'", argv[optind]);
		if (!name || !*name)
			return cmd_usage(ctx, "say whose key it is: --name NAME");
		if (expires_arg && duration_parse(expires_arg, &expires) < 0)
			return cmd_usage(
			    ctx,
			    "--expires takes a duration such as 2y, 90d, 12h or a number of seconds, "
			    "not '%s'",
			    expires_arg);
		if (json)
			return cmd_usage(ctx, "--json belongs to 'key list'");
	} else {
		if (name || email || expires_arg)
			return cmd_usage(ctx, "--name, --email and --expires belong to 'key generate'");
		if (!strcmp(verb, "list")) {
			if (optind != argc)
				return cmd_usage(ctx, "unexpected argument '%s'", argv[optind]);
		} else {
			if (json)
				return cmd_usage(ctx, "--json belongs to 'key list'");
			if (optind >= argc)
				return cmd_usage(ctx, "say which key: 'airlock key export FPR'");
			if (optind + 1 != argc)
				return cmd_usage(ctx, "unexpected argument '%s'", argv[optind + 1]);
		}
	}

	/* both sides hold keys: officers sign bundles, the import side signs what it publishes */
	r = home_open(&h, ctx->home, 0, &e);
	if (r)
		return cmd_fail(ctx, &e, json);
	if (!strcmp(verb, "generate"))
		r = key_generate(&h, name, email, expires, &e);
	else if (!strcmp(verb, "list"))
		r = key_list(&h, json, &e);
	else
		r = key_export(&h, argv[optind], &e);
	home_close(&h);
	if (r && e.code == AE_USAGE)
		return cmd_usage(ctx, "%s", e.msg);
	return r ? cmd_fail(ctx, &e, json) : 0;
}
