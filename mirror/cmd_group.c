#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "lib/audit.h"
#include "lib/cmd.h"
#include "lib/home.h"
#include "lib/json.h"
#include "lib/util.h"
#include "mirror/approve.h"
#include "lib/banned.h"

/*
 * airlock group add|list|remove and airlock auto-approve add|list|remove:
 * the computer groups in rollout order and the rules that approve new
 * versions of a source for a group as they are imported.
 */

static int check_group_name(const char *name, struct err *e)
{
	if (!name_valid(name, strlen(name)))
		return err_set(e, AE_USAGE, "'%s' is not a valid group name (letters, digits, '.', '_', '-')",
			       name);
	return 0;
}

static int group_add(struct home *h, const char *name, const char *after, struct err *e)
{
	struct db_stmt *st = NULL;
	int64_t now, n = 0;
	int r;

	r = time_now_or_sde(&now, e);
	if (!r)
		r = db_begin(h->db, e);
	if (r)
		return r;
	r = db_get_int(h->db, "SELECT count(*) FROM grp WHERE name = ?", name, 0, &n, e);
	if (!r && n)
		r = err_set(e, AE_EXISTS, "group '%s' exists already", name);
	if (!r && after) {
		r = db_get_int(h->db, "SELECT count(*) FROM grp WHERE name = ?", after, 0, &n, e);
		if (!r && !n)
			r = err_set(e, AE_NOTFOUND, "no group '%s' to come after; add it first", after);
	}
	if (!r)
		r = db_prepare(h->db, "INSERT INTO grp(name, after, added) VALUES(?, ?, ?)", &st, e);
	if (!r)
		r = db_bind_text(st, 1, name, e);
	if (!r)
		r = after ? db_bind_text(st, 2, after, e) : db_bind_null(st, 2, e);
	if (!r)
		r = db_bind_int(st, 3, now, e);
	if (!r)
		r = db_step(st, e);
	db_finalize(st);
	if (r >= 0) {
		char *detail = NULL;

		r = json_detail(json_pack("{s:s?}", "after", after), &detail, e);
		if (!r)
			r = audit_append(h->db, "group.add", name, detail, e);
		free(detail);
	}
	if (!r)
		r = db_commit(h->db, e);
	else
		db_rollback(h->db);
	if (!r)
		printf("added group '%s'%s%s\n", name, after ? " after " : "", after ? after : "");
	return r;
}

static int group_remove(struct home *h, const char *name, struct err *e)
{
	static const char *const del[] = {
		"DELETE FROM decision WHERE grp = ?",
		"DELETE FROM autoapprove WHERE grp = ?",
		"DELETE FROM grp WHERE name = ?",
	};
	struct db_stmt *st = NULL;
	int64_t n = 0;
	size_t i;
	int r;

	r = db_begin(h->db, e);
	if (r)
		return r;
	r = db_get_int(h->db, "SELECT count(*) FROM grp WHERE name = ?", name, 0, &n, e);
	if (!r && !n)
		r = err_set(e, AE_NOTFOUND, "no group '%s'", name);
	if (!r)
		r = db_get_int(h->db, "SELECT count(*) FROM grp WHERE after = ?", name, 0, &n, e);
	if (!r && n)
		r = err_set(e, AE_STATE, "group '%s' has groups after it; remove those first", name);
	for (i = 0; !r && i < sizeof(del) / sizeof(del[0]); i++) {
		r = db_prepare(h->db, del[i], &st, e);
		if (!r)
			r = db_bind_text(st, 1, name, e);
		if (!r)
			r = db_step(st, e);
		db_finalize(st);
		st = NULL;
		if (r > 0)
			r = 0;
	}
	if (!r)
		r = audit_append(h->db, "group.remove", name, "", e);
	if (!r)
		r = db_commit(h->db, e);
	else
		db_rollback(h->db);
	if (!r)
		printf("removed group '%s' with its approvals and rules; publish to withdraw its view\n", name);
	return r;
}

struct list {
	struct db *db;
	json_t *arr;
	size_t n;
};

static int list_one(const char *name, const char *after, void *arg, struct err *e)
{
	struct list *l = arg;
	int64_t approved = 0;
	int r;

	r = db_get_int(l->db, "SELECT count(*) FROM decision WHERE grp = ? AND state = 'approved'", name, 0,
		       &approved, e);
	if (r)
		return r;
	l->n++;
	if (l->arr)
		return json_array_append_new(l->arr, json_pack("{s:s, s:s?, s:I}", "name", name, "after",
							       *after ? after : NULL, "approved",
							       (json_int_t)approved))
			   ? err_set(e, AE_NOMEM, "out of memory")
			   : 0;
	printf("%-20s %-20s %lld approved\n", name, *after ? after : "-", (long long)approved);
	return 0;
}

static int group_list(struct home *h, int json, struct err *e)
{
	struct list l = { .db = h->db };
	int r;

	if (json && !(l.arr = json_array()))
		return err_set(e, AE_NOMEM, "out of memory");
	if (!json)
		printf("%-20s %-20s %s\n", "GROUP", "AFTER", "APPROVED");
	r = group_each(h->db, list_one, &l, e);
	if (!r && json)
		json_print(json_pack("{s:o}", "groups", l.arr));
	else if (json)
		json_decref(l.arr);
	if (!r && !json && !l.n)
		printf("no groups; add one with 'airlock group add NAME [--after GROUP]'\n");
	return r;
}

CMD(group)
{
	static const struct option opts[] = {
		{ "after", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *verb, *after = NULL;
	struct home h = { 0 };
	struct err e = { 0 };
	int json = 0, c, r;

	if (argc < 2 || argv[1][0] == '-')
		return cmd_usage(ctx, "say what to do: add, list or remove");
	verb = argv[1];
	argc -= 1;
	argv += 1;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			after = optarg;
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
		if (optind != argc || after)
			return cmd_usage(ctx, "'group list' takes only --json");
	} else if (!strcmp(verb, "add") || !strcmp(verb, "remove")) {
		if (optind + 1 != argc)
			return cmd_usage(ctx, "say which group: 'airlock group %s NAME'", verb);
		if (json || (after && strcmp(verb, "add")))
			return cmd_usage(ctx, "'group %s' takes no such option", verb);
		if (check_group_name(argv[optind], &e) || (after && check_group_name(after, &e)))
			return cmd_usage(ctx, "%s", e.msg);
		if (after && !strcmp(after, argv[optind]))
			return cmd_usage(ctx, "a group cannot come after itself");
	} else {
		return cmd_usage(ctx, "'%s' is not a group command; use add, list or remove", verb);
	}
	r = home_open(&h, ctx->home, HOME_IMPORT, &e);
	if (!r) {
		if (!strcmp(verb, "add"))
			r = group_add(&h, argv[optind], after, &e);
		else if (!strcmp(verb, "remove"))
			r = group_remove(&h, argv[optind], &e);
		else
			r = group_list(&h, json, &e);
	}
	home_close(&h);
	return r ? cmd_fail(ctx, &e, json) : 0;
}

/* ---- auto-approve ---- */

static int rule_change(struct home *h, int add, const char *group, const char *source, const char *priority,
		       struct err *e)
{
	struct db_stmt *st = NULL;
	int64_t now, n = 0;
	char subject[200];
	char *detail = NULL;
	int r;

	r = time_now_or_sde(&now, e);
	if (!r)
		r = db_begin(h->db, e);
	if (r)
		return r;
	r = db_get_int(h->db, "SELECT count(*) FROM grp WHERE name = ?", group, 0, &n, e);
	if (!r && !n)
		r = err_set(e, AE_NOTFOUND, "no group '%s'; see 'airlock group list'", group);
	if (!r)
		r = db_prepare(h->db,
			       add ? "INSERT OR REPLACE INTO autoapprove(grp, source, priority, added) VALUES(?, ?, ?, ?)"
				   : "DELETE FROM autoapprove WHERE grp = ? AND source = ?",
			       &st, e);
	if (!r)
		r = db_bind_text(st, 1, group, e);
	if (!r)
		r = db_bind_text(st, 2, source, e);
	if (!r && add)
		r = db_bind_text(st, 3, priority, e);
	if (!r && add)
		r = db_bind_int(st, 4, now, e);
	if (!r)
		r = db_step(st, e);
	db_finalize(st);
	if (r >= 0 && !add && !db_changes(h->db))
		r = err_set(e, AE_NOTFOUND, "no rule for group '%s' and source '%s'", group, source);
	snprintf(subject, sizeof(subject), "%s/%s", group, source);
	if (r >= 0)
		r = json_detail(json_pack("{s:s}", "priority", add ? priority : ""), &detail, e);
	if (!r)
		r = audit_append(h->db, add ? "auto-approve.add" : "auto-approve.remove", subject, detail, e);
	free(detail);
	if (!r)
		r = db_commit(h->db, e);
	else
		db_rollback(h->db);
	if (!r && add)
		printf("new versions of '%s' will be approved for '%s' (priority %s) as they are imported\n", source,
		       group, priority);
	else if (!r)
		printf("removed the rule for '%s' in '%s'\n", source, group);
	return r;
}

static int rule_list(struct home *h, int json, struct err *e)
{
	struct db_stmt *st = NULL;
	json_t *arr = json ? json_array() : NULL;
	size_t n = 0;
	int r;

	if (json && !arr)
		return err_set(e, AE_NOMEM, "out of memory");
	r = db_prepare(h->db, "SELECT grp, source, priority, added FROM autoapprove ORDER BY grp, source", &st, e);
	while (!r && (r = db_step(st, e)) == 1) {
		char when[TIME_STR];

		r = 0;
		n++;
		time_format(db_col_int(st, 3), when);
		if (arr)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "group", db_col_text(st, 0),
							     "source", db_col_text(st, 1), "priority",
							     db_col_text(st, 2), "added", when));
		else
			printf("%-20s %-20s %-10s %s\n", db_col_text(st, 0), db_col_text(st, 1), db_col_text(st, 2),
			       when);
	}
	db_finalize(st);
	if (r < 0) {
		json_decref(arr);
		return r;
	}
	if (arr)
		json_print(json_pack("{s:o}", "rules", arr));
	else if (!n)
		printf("no auto-approve rules; add one with 'airlock auto-approve add --group G --source S'\n");
	return 0;
}

CMD(auto_approve)
{
	static const struct option opts[] = {
		{ "group", required_argument, NULL, 'g' },
		{ "source", required_argument, NULL, 's' },
		{ "priority", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *verb, *group = NULL, *source = NULL, *priority = NULL;
	struct home h = { 0 };
	struct err e = { 0 };
	int64_t secs;
	int json = 0, c, r;

	if (argc < 2 || argv[1][0] == '-')
		return cmd_usage(ctx, "say what to do: add, list or remove");
	verb = argv[1];
	argc -= 1;
	argv += 1;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'g':
			group = optarg;
			break;
		case 's':
			source = optarg;
			break;
		case 'p':
			priority = optarg;
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
	if (!strcmp(verb, "list")) {
		if (group || source || priority)
			return cmd_usage(ctx, "'auto-approve list' takes only --json");
	} else if (!strcmp(verb, "add") || !strcmp(verb, "remove")) {
		if (!group || !source)
			return cmd_usage(ctx, "say which rule: --group GROUP --source SOURCE");
		if (json || (priority && strcmp(verb, "add")))
			return cmd_usage(ctx, "'auto-approve %s' takes no such option", verb);
	} else {
		return cmd_usage(ctx, "'%s' is not an auto-approve command; use add, list or remove", verb);
	}
	r = home_open(&h, ctx->home, HOME_IMPORT, &e);
	if (!r && !strcmp(verb, "add")) {
		if (!priority)
			priority = conf_str(h.conf, "approve.default-priority");
		r = approve_deadline(&h, priority, &secs, &e);
		if (r == -AE_USAGE) {
			home_close(&h);
			return cmd_usage(ctx, "%s", e.msg);
		}
	}
	if (!r) {
		if (!strcmp(verb, "list"))
			r = rule_list(&h, json, &e);
		else
			r = rule_change(&h, !strcmp(verb, "add"), group, source, priority, &e);
	}
	home_close(&h);
	return r ? cmd_fail(ctx, &e, json) : 0;
}
