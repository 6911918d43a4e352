#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lib/audit.h"
#include "lib/cmd.h"
#include "lib/home.h"
#include "lib/json.h"
#include "lib/util.h"
#include "lib/banned.h"

static int audit_log(struct home *h, int json, struct err *e)
{
	struct db_stmt *st = NULL;
	json_t *arr = json ? json_array() : NULL;
	int r;

	r = db_prepare(h->db, "SELECT seq, time, actor, action, subject, detail, hash FROM audit ORDER BY seq",
		       &st, e);
	if (r)
		goto out;
	while ((r = db_step(st, e)) == 1) {
		char t[TIME_STR];

		time_format(db_col_int(st, 1), t);
		if (json)
			json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "seq",
							     (json_int_t)db_col_int(st, 0), "time", t, "actor",
							     db_col_text(st, 2), "action", db_col_text(st, 3),
							     "subject", db_col_text(st, 4), "detail",
							     db_col_text(st, 5), "hash", db_col_text(st, 6)));
		else
			printf("%6" PRId64 " %s %-10s %-16s %s%s%s\n", db_col_int(st, 0), t, db_col_text(st, 2),
			       db_col_text(st, 3), db_col_text(st, 4), *db_col_text(st, 5) ? "  " : "",
			       db_col_text(st, 5));
	}
	if (r == 0 && json) {
		json_print(arr);
		arr = NULL;
	}
out:
	json_decref(arr);
	db_finalize(st);
	return r;
}

CMD(audit)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct audit_report rep;
	struct home h = { 0 };
	struct err e = { 0 };
	const char *verb;
	int json = 0, c, r, rc;

	if (argc < 2 || argv[1][0] == '-')
		return cmd_usage(ctx, "say what to do: verify or log");
	verb = argv[1];
	optind = 0;
	while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
		if (c != 'j')
			return cmd_usage(ctx, "unknown option");
		json = 1;
	}
	if (optind != argc - 1)
		return cmd_usage(ctx, "unexpected argument '%s'", argv[optind + 1]);
	if (strcmp(verb, "verify") && strcmp(verb, "log"))
		return cmd_usage(ctx, "'%s' is not an audit command; use verify or log", verb);
	r = home_open(&h, ctx->home, 0, &e);
	if (r)
		return cmd_fail(ctx, &e, json);
	if (!strcmp(verb, "log")) {
		r = audit_log(&h, json, &e);
		rc = r ? cmd_fail(ctx, &e, json) : 0;
		goto out;
	}
	r = audit_verify(h.db, &rep, &e);
	if (r) {
		rc = cmd_fail(ctx, &e, json);
		goto out;
	}
	if (json)
		json_print(json_pack("{s:s, s:I, s:s}", "status", "ok", "records", (json_int_t)rep.records, "head",
				     rep.head));
	else
		printf("audit log intact: %" PRId64 " records, head %s\n", rep.records, rep.head);
	rc = 0;
out:
	home_close(&h);
	return rc;
}
