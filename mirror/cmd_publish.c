#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "lib/cmd.h"
#include "lib/home.h"
#include "lib/json.h"
#include "lib/util.h"
#include "mirror/publish.h"
#include "lib/banned.h"

CMD(publish)
{
	static const struct option opts[] = {
		{ "static", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct publish_result res;
	const char *static_dir = NULL;
	struct home h = { 0 };
	struct err e = { 0 };
	int json = 0, c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			static_dir = optarg;
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
	if (optind != argc)
		return cmd_usage(ctx, "unexpected argument '%s'", argv[optind]);
	if (static_dir && static_dir[0] != '/')
		return cmd_usage(ctx, "--static takes an absolute folder, not '%s'", static_dir);
	r = home_open(&h, ctx->home, HOME_IMPORT, &e);
	if (!r)
		r = publish_run(&h, static_dir, &res, &e);
	home_close(&h);
	if (r)
		return cmd_fail(ctx, &e, json);
	if (json) {
		char until[TIME_STR];

		time_format(res.valid_until, until);
		json_print(json_pack("{s:s, s:I, s:I, s:I, s:I, s:s, s:s, s:s?}", "status", "published", "publication",
				     (json_int_t)res.publication, "files", (json_int_t)res.files, "views",
				     (json_int_t)res.views, "packages", (json_int_t)res.packages, "signer", res.signer,
				     "valid_until", until, "static", static_dir));
	} else {
		char until[TIME_STR];

		time_format(res.valid_until, until);
		printf("published %lld: %llu repositories (group x source), %llu packages, signed by %s\n",
		       (long long)res.publication, (unsigned long long)res.views, (unsigned long long)res.packages,
		       res.signer);
		printf("valid until %s: publish again before then (clients refuse an expired Release)\n", until);
		if (static_dir)
			printf("static tree: %s/current -> .airlock/gen-%lld%s\n", static_dir, (long long)res.publication,
			       res.static_copied ? " (copied: the folder is on another file system than the store)"
						 : " (hard links into the store)");
	}
	return 0;
}
