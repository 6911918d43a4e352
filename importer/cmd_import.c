#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "importer/import.h"
#include "lib/cmd.h"
#include "lib/home.h"
#include "lib/json.h"
#include "lib/util.h"
#include "mirror/approve.h"
#include "lib/banned.h"

CMD(import)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "at", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct import_opts o = { 0 };
	struct report rep = { 0 };
	struct home h = { 0 };
	struct err e = { 0 };
	struct buf base;
	int json = 0, c, r, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': o.dry_run = 1; break;
		case 'j': json = 1; break;
		case 'q': o.quiet = 1; break;
		case 'a':
			if (time_parse(optarg, strlen(optarg), &o.at) < 0 || o.at <= 0)
				return cmd_usage(ctx, "--at wants a UTC time such as 2026-11-22T09:30:00Z");
			break;
		default: return cmd_usage(ctx, "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cmd_usage(ctx, optind == argc ? "name the media: an ISO image, a drive or a bundle folder"
						     : "one media at a time");
	o.media = argv[optind];
	o.quiet |= json;
	r = home_open(&h, ctx->home, HOME_IMPORT, &e);
	if (r)
		return cmd_fail(ctx, &e, json);
	buf_init(&base, 8192);
	r = import_run(&h, &o, &rep, &base, &e);
	if (json && rep.root) {
		json_object_set_new(rep.root, "report", json_string(base.len ? buf_str(&base) : ""));
		json_print(json_incref(rep.root));
	} else if (rep.text.len) {
		fputs(buf_str(&rep.text), stdout);
		if (base.len)
			printf("report: %s.txt\n", buf_str(&base));
	}
	if (r == -AE_NOOP) {
		fprintf(stderr, "airlock: %s\n", e.msg);
		rc = 0;
	} else if (r) {
		rc = cmd_fail(ctx, &e, 0);
	} else {
		uint64_t added = 0;

		rc = 0;
		/*
		 * The import is committed; reading the new apt indexes into the
		 * inventory (and applying the auto-approve rules) is the mirror's
		 * bookkeeping.  If it fails, every mirror command retries it.
		 */
		if (!o.dry_run && approve_sync(&h, &added, &e)) {
			fprintf(stderr, "airlock: warning: %s; 'airlock pending' retries it\n", e.msg);
		} else if (added && !json && !o.quiet) {
			printf("%llu new package version%s for the mirror: 'airlock pending' lists them\n",
			       (unsigned long long)added, added == 1 ? "" : "s");
		}
	}
	report_release(&rep);
	buf_release(&base);
	home_close(&h);
	return rc;
}
