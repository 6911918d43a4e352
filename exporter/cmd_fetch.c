#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "exporter/apt_fetch.h"
#include "lib/cmd.h"
#include "lib/home.h"
#include "lib/json.h"
#include "lib/util.h"
#include "lib/banned.h"

#define MAX_SOURCES 256

/* Every apt source when none is named. */
static int all_apt_sources(struct home *h, char (*names)[65], size_t *n, struct err *e)
{
	struct db_stmt *st = NULL;
	int r;

	*n = 0;
	r = db_prepare(h->db, "SELECT name FROM source WHERE kind = 'apt' ORDER BY name", &st, e);
	if (r)
		return r;
	while ((r = db_step(st, e)) == 1 && *n < MAX_SOURCES)
		snprintf(names[(*n)++], 65, "%s", db_col_text(st, 0));
	db_finalize(st);
	return r < 0 ? r : 0;
}

CMD(fetch)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	static char names[MAX_SOURCES][65];
	struct home h = { 0 };
	struct err e = { 0 };
	json_t *out = NULL;
	size_t n = 0, i;
	struct apt_fetch_opts ao = { 0 };
	uint64_t secs;
	int json = 0, c, r, rc = 0;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'q': ao.quiet = 1; break;
		case 't':
			if (parse_u64(optarg, strlen(optarg), &secs) < 0 || secs < 1 || secs > 3600)
				return cmd_usage(ctx, "--timeout takes seconds, 1 to 3600");
			ao.timeout = (long)secs;
			break;
		default: return cmd_usage(ctx, "unknown option");
		}
	}
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		if (!name_valid(argv[i], strlen(argv[i])))
			return cmd_usage(ctx, "'%s' is not a source name", argv[i]);
		if (n == MAX_SOURCES)
			return cmd_usage(ctx, "at most %d sources at once", MAX_SOURCES);
		snprintf(names[n++], 65, "%s", argv[i]);
	}
	r = home_open(&h, ctx->home, HOME_EXPORT, &e);
	if (r)
		return cmd_fail(ctx, &e, json);
	if (!n && (r = all_apt_sources(&h, names, &n, &e))) {
		rc = cmd_fail(ctx, &e, json);
		goto out;
	}
	if (!n) {
		err_set(&e, AE_USAGE, "no apt sources to fetch; add one with 'airlock source add NAME --apt URL ...'");
		rc = cmd_fail(ctx, &e, json);
		goto out;
	}
	out = json_array();
	for (i = 0; i < n; i++) {
		struct apt_fetch_result res;
		char t[TIME_STR], sz[32];

		err_clear(&e);
		ao.quiet |= json;
		r = apt_fetch_source(&h, names[i], &ao, &res, &e);
		if (r) {
			/* the first failure decides the exit code; the others still run */
			if (json)
				json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "source", names[i], "status",
								     err_name(e.code), "message", e.msg));
			fprintf(stderr, "airlock: %s%s\n", r == -AE_REJECT ? "rejected: " : "", e.msg);
			if (!rc)
				rc = err_exit_code(e.code);
			continue;
		}
		time_format(res.date, t);
		size_human(res.bytes, sz);
		if (json)
			json_array_append_new(out, json_pack("{s:s, s:s, s:i, s:I, s:I, s:s, s:s, s:s}", "source",
							     names[i], "status", "ok", "packages", (int)res.packages,
							     "bytes", (json_int_t)res.bytes, "downloaded",
							     (json_int_t)res.downloaded, "inrelease", res.inrelease,
							     "signer", res.signer, "date", t));
		else
			printf("fetched '%s': %u packages (%s), InRelease of %s signed by %s\n", names[i], res.packages,
			       sz, t, res.signer);
	}
	if (json)
		json_print(json_incref(out));
	else if (!rc)
		printf("next: 'airlock export --channel C --to iso:PATH --sign FPR'\n");
out:
	json_decref(out);
	home_close(&h);
	return rc;
}
