#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/audit.h"
#include "lib/cmd.h"
#include "lib/home.h"
#include "lib/json.h"
#include "lib/util.h"
#include "mirror/approve.h"
#include "verify/deb822.h"
#include "lib/banned.h"

/*
 * airlock pending | approve | decline | unapprove | status: the operator's
 * decisions per group and package version (mirror/approve.h).
 */

struct target {
	char *source, *name, *version;
};

struct targets {
	struct target *v;
	size_t n, cap;
};

static void targets_free(struct targets *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].source);
		free(t->v[i].name);
		free(t->v[i].version);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* Append every (source, name, version) row st yields. */
static int targets_collect(struct targets *t, struct db_stmt *st, struct err *e)
{
	int r;

	while ((r = db_step(st, e)) == 1) {
		struct target *x;

		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 64;
			struct target *v = realloc(t->v, cap * sizeof(*v));

			if (!v)
				return err_set(e, AE_NOMEM, "out of memory");
			t->v = v;
			t->cap = cap;
		}
		x = &t->v[t->n];
		x->source = strdup(db_col_text(st, 0));
		x->name = strdup(db_col_text(st, 1));
		x->version = strdup(db_col_text(st, 2));
		t->n++;
		if (!x->source || !x->name || !x->version)
			return err_set(e, AE_NOMEM, "out of memory");
	}
	return r;
}

/* "name=version": the version as dpkg writes it; the name as in the index. */
static int split_spec(char *spec, char **name, char **version, struct err *e)
{
	char *eq = strchr(spec, '=');

	if (!eq || eq == spec || !eq[1])
		return err_set(e, AE_USAGE, "'%s' is not PACKAGE=VERSION (e.g. openssl=3.0.15-1~deb12u1)", spec);
	*eq = '\0';
	*name = spec;
	*version = eq + 1;
	if (!apt_version_valid(*version)) {
		*eq = '=';
		return err_set(e, AE_USAGE, "'%s' does not name a valid Debian version", spec);
	}
	return 0;
}

/* The bundle's snapshot: channel may be NULL when only one channel has that sequence. */
static int bundle_snapshot(struct db *db, uint64_t seq, const char *channel, int64_t *id, struct err *e)
{
	struct db_stmt *st = NULL;
	int r, n = 0;

	r = db_prepare(db, "SELECT id, channel FROM snapshot WHERE sequence = ? AND (?2 IS NULL OR channel = ?2)",
		       &st, e);
	if (!r)
		r = db_bind_int(st, 1, (int64_t)seq, e);
	if (!r)
		r = channel ? db_bind_text(st, 2, channel, e) : db_bind_null(st, 2, e);
	while (!r && (r = db_step(st, e)) == 1) {
		*id = db_col_int(st, 0);
		n++;
		r = 0;
	}
	db_finalize(st);
	if (r < 0)
		return r;
	if (!n)
		return err_set(e, AE_NOTFOUND, "no imported bundle %llu%s%s; see 'airlock audit log' for imports",
			       (unsigned long long)seq, channel ? " in channel " : "", channel ? channel : "");
	if (n > 1)
		return err_set(e, AE_USAGE, "several channels have a bundle %llu; say which with --channel",
			       (unsigned long long)seq);
	return 0;
}

/* The versions the arguments name, in every source that carries them (or only in source). */
static int resolve(struct home *h, char **specs, int nspecs, const char *source, int64_t snapshot,
		   struct targets *t, struct err *e)
{
	struct db_stmt *st = NULL;
	size_t before;
	int i, r;

	if (snapshot) {
		r = db_prepare(h->db,
			       "SELECT DISTINCT source, name, version FROM package WHERE snapshot = ?"
			       " AND (?2 IS NULL OR source = ?2) ORDER BY source, name, version",
			       &st, e);
		if (!r)
			r = db_bind_int(st, 1, snapshot, e);
		if (!r)
			r = source ? db_bind_text(st, 2, source, e) : db_bind_null(st, 2, e);
		if (!r)
			r = targets_collect(t, st, e);
		db_finalize(st);
		if (r < 0)
			return r;
		if (!t->n)
			return err_set(e, AE_NOTFOUND, "that bundle brought no new apt package versions%s%s",
				       source ? " in " : "", source ? source : "");
		return 0;
	}
	r = db_prepare(h->db,
		       "SELECT DISTINCT source, name, version FROM package WHERE name = ? AND version = ?"
		       " AND (?3 IS NULL OR source = ?3) ORDER BY source",
		       &st, e);
	for (i = 0; !r && i < nspecs; i++) {
		char *name = NULL, *version = NULL;

		r = split_spec(specs[i], &name, &version, e);
		if (!r)
			r = db_bind_text(st, 1, name, e);
		if (!r)
			r = db_bind_text(st, 2, version, e);
		if (!r)
			r = source ? db_bind_text(st, 3, source, e) : db_bind_null(st, 3, e);
		before = t->n;
		if (!r)
			r = targets_collect(t, st, e);
		db_reset(st);
		if (!r && t->n == before)
			r = err_set(e, AE_NOTFOUND, "no imported apt source%s%s carries %s=%s; see 'airlock pending --all'",
				    source ? " named " : "", source ? source : "", name, version);
	}
	db_finalize(st);
	return r < 0 ? r : 0;
}

/* ---- approve ---- */

struct opts {
	const char *group, *source, *channel, *priority, *ref, *reason;
	uint64_t bundle;
	int force, json, all;
};

static int do_approve(struct home *h, const struct opts *o, char **specs, int nspecs, struct err *e)
{
	struct targets t = { 0 };
	int64_t now, snapshot = 0, secs;
	size_t i;
	int r, in_tx = 0;

	r = time_now_or_sde(&now, e);
	if (!r && o->priority)
		r = approve_deadline(h, o->priority, &secs, e);
	if (!r && o->bundle)
		r = bundle_snapshot(h->db, o->bundle, o->channel, &snapshot, e);
	if (!r)
		r = resolve(h, specs, nspecs, o->source, snapshot, &t, e);
	if (!r)
		r = db_begin(h->db, e);
	in_tx = !r;
	for (i = 0; !r && i < t.n; i++) {
		struct approval a = {
			.group = o->group,
			.source = t.v[i].source,
			.name = t.v[i].name,
			.version = t.v[i].version,
			.priority = o->priority,
			.ref = o->ref ? o->ref : "",
			.reason = o->reason ? o->reason : "",
			.actor = util_actor(),
			.force = o->force,
			.now = now,
		};

		r = approve_one(h, &a, e);
	}
	if (!r)
		r = db_commit(h->db, e);
	if (!r) {
		in_tx = 0;
		printf("approved %zu version%s for '%s'%s; 'airlock publish' makes %s visible\n", t.n,
		       t.n == 1 ? "" : "s", o->group, o->force ? " (forced, reason recorded)" : "",
		       t.n == 1 ? "it" : "them");
	}
	if (in_tx)
		db_rollback(h->db);
	targets_free(&t);
	return r;
}

static int exec_target(struct db *db, const char *sql, const char *group, const struct target *x, struct err *e)
{
	struct db_stmt *st = NULL;
	int r;

	r = db_prepare(db, sql, &st, e);
	if (!r)
		r = db_bind_text(st, 1, group, e);
	if (!r)
		r = db_bind_text(st, 2, x->source, e);
	if (!r)
		r = db_bind_text(st, 3, x->name, e);
	if (!r)
		r = db_bind_text(st, 4, x->version, e);
	if (!r)
		r = db_step(st, e);
	db_finalize(st);
	return r < 0 ? r : 0;
}

/* decline (state "declined") or unapprove (state NULL): for one group, or every group when group is NULL. */
static int do_change(struct home *h, const struct opts *o, char **specs, int nspecs, int decline, struct err *e)
{
	struct targets t = { 0 };
	const char *grp = o->group ? o->group : GROUP_ALL;
	int64_t now, n = 0;
	size_t i;
	int r, in_tx = 0;

	r = time_now_or_sde(&now, e);
	if (!r && o->group)
		r = db_get_int(h->db, "SELECT count(*) FROM grp WHERE name = ?", o->group, 0, &n, e);
	if (!r && o->group && !n)
		r = err_set(e, AE_NOTFOUND, "no group '%s'; see 'airlock group list'", o->group);
	if (!r)
		r = resolve(h, specs, nspecs, o->source, 0, &t, e);
	if (!r)
		r = db_begin(h->db, e);
	in_tx = !r;
	for (i = 0; !r && i < t.n; i++) {
		const struct target *x = &t.v[i];
		char subject[512];
		char *detail = NULL;

		/* a decline for every group withdraws every approval; unapprove without a group clears all */
		r = exec_target(h->db,
				"DELETE FROM decision WHERE (?1 = '" GROUP_ALL "' OR grp = ?1) AND source = ?2"
				" AND name = ?3 AND version = ?4",
				grp, x, e);
		if (!r && decline) {
			struct db_stmt *st = NULL;

			r = db_prepare(h->db,
				       "INSERT INTO decision(grp, source, name, version, state, priority, deadline, ref,"
				       " reason, forced, actor, time) VALUES(?, ?, ?, ?, 'declined', '', 0, ?, ?, 0, ?, ?)",
				       &st, e);
			if (!r && !(r = db_bind_text(st, 1, grp, e)) && !(r = db_bind_text(st, 2, x->source, e)) &&
			    !(r = db_bind_text(st, 3, x->name, e)) && !(r = db_bind_text(st, 4, x->version, e)) &&
			    !(r = db_bind_text(st, 5, o->ref ? o->ref : "", e)) &&
			    !(r = db_bind_text(st, 6, o->reason, e)) && !(r = db_bind_text(st, 7, util_actor(), e)) &&
			    !(r = db_bind_int(st, 8, now, e)))
				r = db_step(st, e);
			db_finalize(st);
			if (r > 0)
				r = 0;
		}
		snprintf(subject, sizeof(subject), "%s/%s/%s=%s", grp, x->source, x->name, x->version);
		if (!r)
			r = json_detail(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "group", grp, "source", x->source,
						  "package", x->name, "version", x->version, "reason",
						  o->reason ? o->reason : "", "ref", o->ref ? o->ref : ""),
					&detail, e);
		if (!r)
			r = audit_append(h->db, decline ? "decline" : "unapprove", subject, detail, e);
		free(detail);
		if (!r && !decline && o->group) {
			/* say so when a later group still has it: the chain is not unwound silently */
			struct db_stmt *st = NULL;

			r = db_prepare(h->db,
				       "SELECT g.name FROM grp g JOIN decision d ON d.grp = g.name AND d.source = ?2"
				       " AND d.name = ?3 AND d.version = ?4 AND d.state = 'approved' WHERE g.after = ?1",
				       &st, e);
			if (!r && !(r = db_bind_text(st, 1, grp, e)) && !(r = db_bind_text(st, 2, x->source, e)) &&
			    !(r = db_bind_text(st, 3, x->name, e)) && !(r = db_bind_text(st, 4, x->version, e)))
				while ((r = db_step(st, e)) == 1)
					printf("note: %s=%s is still approved in '%s', which comes after '%s'\n", x->name,
					       x->version, db_col_text(st, 0), grp);
			db_finalize(st);
			if (r > 0)
				r = 0;
		}
	}
	if (!r)
		r = db_commit(h->db, e);
	if (!r) {
		in_tx = 0;
		printf("%s %zu version%s %s%s; 'airlock publish' to apply\n", decline ? "declined" : "unapproved", t.n,
		       t.n == 1 ? "" : "s", o->group ? "in " : "in every group", o->group ? o->group : "");
	}
	if (in_tx)
		db_rollback(h->db);
	targets_free(&t);
	return r;
}

/* ---- pending and status ---- */

/*
 * Present versions (?1: of one source, or NULL), all of them or (?2 = 1)
 * only those the last import of their source brought, with their archs, the
 * bundle that brought them first, the groups that decided on them (as
 * "\1g1\1g2\1", NULL if none; '*' is a decline for every group) and the
 * rollout's deadline (the earliest approval's, NULL if none).
 */
static const char versions_sql[] =
    "SELECT p.source, p.name, p.version, p.archs,"
    " (SELECT s.channel || ' #' || s.sequence FROM snapshot s WHERE s.id = p.first),"
    " (SELECT char(1) || group_concat(d.grp, char(1)) || char(1) FROM decision d WHERE d.source = p.source"
    "  AND d.name = p.name AND d.version = p.version),"
    " (SELECT min(d.deadline) FROM decision d WHERE d.source = p.source AND d.name = p.name"
    "  AND d.version = p.version AND d.state = 'approved')"
    " FROM (SELECT source, name, version, group_concat(arch, ' ') AS archs, min(snapshot) AS first"
    "  FROM package WHERE present = 1 AND (?1 IS NULL OR source = ?1) GROUP BY source, name, version) p"
    " WHERE ?2 = 0 OR p.first = (SELECT v.snapshot FROM served v WHERE v.source = p.source)"
    " ORDER BY p.source, p.name, p.version";

/* Did group decide on the version whose decided-groups column is set? */
static int decided_in(const char *set, const char *group)
{
	char key[80];

	if (!set || !*set)
		return 0;
	snprintf(key, sizeof(key), "\1%s\1", group);
	return strstr(set, "\1" GROUP_ALL "\1") || strstr(set, key);
}

static int versions_open(struct db *db, const char *source, int only_new, struct db_stmt **st, struct err *e)
{
	int r = db_prepare(db, versions_sql, st, e);

	if (!r)
		r = source ? db_bind_text(*st, 1, source, e) : db_bind_null(*st, 1, e);
	if (!r)
		r = db_bind_int(*st, 2, only_new, e);
	return r;
}

struct names {
	char **v;
	size_t n;
};

static int collect_group(const char *name, const char *after, void *arg, struct err *e)
{
	struct names *g = arg;
	char **v = realloc(g->v, (g->n + 1) * sizeof(*v));

	if (!v)
		return err_set(e, AE_NOMEM, "out of memory");
	g->v = v;
	if (!(g->v[g->n] = strdup(name)))
		return err_set(e, AE_NOMEM, "out of memory");
	g->n++;
	return 0;
}

static void names_free(struct names *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		free(g->v[i]);
	free(g->v);
}

static int do_pending(struct home *h, const struct opts *o, struct err *e)
{
	struct names groups = { 0 };
	struct db_stmt *st = NULL;
	json_t *arr = o->json ? json_array() : NULL;
	char last_source[64] = "";
	size_t shown = 0, i;
	int r;

	if (o->json && !arr)
		return err_set(e, AE_NOMEM, "out of memory");
	r = group_each(h->db, collect_group, &groups, e);
	if (!r && o->group) {
		for (i = 0; i < groups.n && strcmp(groups.v[i], o->group); i++)
			;
		if (i == groups.n)
			r = err_set(e, AE_NOTFOUND, "no group '%s'; see 'airlock group list'", o->group);
	}
	if (!r)
		r = versions_open(h->db, o->source, !o->all, &st, e);
	while (!r && (r = db_step(st, e)) == 1) {
		const char *source = db_col_text(st, 0), *name = db_col_text(st, 1), *version = db_col_text(st, 2);
		const char *set = db_col_is_null(st, 5) ? NULL : db_col_text(st, 5);
		json_t *undecided = json_array();
		size_t nund = 0;

		r = 0;
		if (!undecided) {
			r = err_set(e, AE_NOMEM, "out of memory");
			break;
		}
		for (i = 0; i < groups.n; i++) {
			if ((o->group && strcmp(o->group, groups.v[i])) || decided_in(set, groups.v[i]))
				continue;
			json_array_append_new(undecided, json_string(groups.v[i]));
			nund++;
		}
		if (groups.n && !nund) {
			json_decref(undecided);
			continue;
		}
		shown++;
		if (arr) {
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "source", source,
							     "package", name, "version", version, "architectures",
							     db_col_text(st, 3), "bundle", db_col_text(st, 4),
							     "undecided_in", undecided));
			continue;
		}
		if (strcmp(last_source, source)) {
			printf("%s:\n", source);
			snprintf(last_source, sizeof(last_source), "%s", source);
		}
		printf("  %s=%s [%s] from %s", name, version, db_col_text(st, 3), db_col_text(st, 4));
		if (groups.n) {
			printf("; undecided in:");
			for (i = 0; i < json_array_size(undecided); i++)
				printf(" %s", json_string_value(json_array_get(undecided, i)));
		}
		printf("\n");
		json_decref(undecided);
	}
	db_finalize(st);
	names_free(&groups);
	if (r < 0) {
		json_decref(arr);
		return r;
	}
	if (arr)
		json_print(json_pack("{s:o}", "pending", arr));
	else if (!shown)
		printf("nothing pending%s\n", o->all ? "" : " from the last imports (--all shows every undecided version)");
	else if (!groups.n)
		printf("no groups yet: add them with 'airlock group add NAME [--after GROUP]'\n");
	return 0;
}

/* One pass over the versions counts pending and overdue for every group. */
static int count_pending(struct db *db, const struct names *groups, int64_t now, int64_t *pend, int64_t *over,
			 json_t **overdue, struct err *e)
{
	struct db_stmt *st = NULL;
	size_t i;
	int r;

	r = versions_open(db, NULL, 0, &st, e);
	while (!r && (r = db_step(st, e)) == 1) {
		const char *set = db_col_is_null(st, 5) ? NULL : db_col_text(st, 5);
		/* overdue: the rollout's deadline (set where it was approved first) has passed */
		int late = !db_col_is_null(st, 6) && db_col_int(st, 6) < now;
		char dl[TIME_STR];

		r = 0;
		if (late)
			time_format(db_col_int(st, 6), dl);
		for (i = 0; i < groups->n; i++) {
			if (decided_in(set, groups->v[i]))
				continue;
			pend[i]++;
			if (!late)
				continue;
			over[i]++;
			json_array_append_new(overdue[i], json_pack("{s:s, s:s, s:s, s:s}", "source", db_col_text(st, 0),
								    "package", db_col_text(st, 1), "version",
								    db_col_text(st, 2), "deadline", dl));
		}
	}
	db_finalize(st);
	return r < 0 ? r : 0;
}

static int do_status(struct home *h, const struct opts *o, struct err *e)
{
	struct names groups = { 0 };
	struct db_stmt *st = NULL;
	json_t *out = json_array(), **overdue = NULL;
	int64_t now, *pend = NULL, *over = NULL;
	size_t i;
	int r;

	if (!out)
		return err_set(e, AE_NOMEM, "out of memory");
	r = time_now_or_sde(&now, e);
	if (!r)
		r = group_each(h->db, collect_group, &groups, e);
	if (!r) {
		pend = calloc(groups.n + 1, sizeof(*pend));
		over = calloc(groups.n + 1, sizeof(*over));
		overdue = calloc(groups.n + 1, sizeof(*overdue));
		if (!pend || !over || !overdue)
			r = err_set(e, AE_NOMEM, "out of memory");
	}
	for (i = 0; !r && i < groups.n; i++)
		if (!(overdue[i] = json_array()))
			r = err_set(e, AE_NOMEM, "out of memory");
	if (!r)
		r = count_pending(h->db, &groups, now, pend, over, overdue, e);
	for (i = 0; !r && i < groups.n; i++) {
		json_t *approved = json_array();
		int64_t n_app = 0, n_dec = 0;

		if (!approved) {
			r = err_set(e, AE_NOMEM, "out of memory");
			break;
		}
		r = db_prepare(h->db,
			       "SELECT d.source, d.name, d.version, d.priority, d.deadline, d.ref, d.actor, d.time,"
			       " d.forced FROM decision d WHERE d.grp = ? AND d.state = 'approved'"
			       " ORDER BY d.source, d.name, d.version",
			       &st, e);
		if (!r)
			r = db_bind_text(st, 1, groups.v[i], e);
		while (!r && (r = db_step(st, e)) == 1) {
			char dl[TIME_STR], at[TIME_STR];

			r = 0;
			n_app++;
			time_format(db_col_int(st, 4), dl);
			time_format(db_col_int(st, 7), at);
			json_array_append_new(approved,
					      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "source",
							db_col_text(st, 0), "package", db_col_text(st, 1), "version",
							db_col_text(st, 2), "priority", db_col_text(st, 3), "deadline",
							dl, "ref", db_col_text(st, 5), "by", db_col_text(st, 6),
							"approved", at, "forced", (int)db_col_int(st, 8)));
		}
		db_finalize(st);
		st = NULL;
		if (!r)
			r = db_get_int(h->db,
				       "SELECT count(*) FROM decision WHERE grp IN (?, '*') AND state = 'declined'",
				       groups.v[i], 0, &n_dec, e);
		if (r < 0) {
			json_decref(approved);
			break;
		}
		json_array_append_new(out, json_pack("{s:s, s:I, s:I, s:I, s:I, s:o, s:O}", "group", groups.v[i],
						     "approved", (json_int_t)n_app, "declined", (json_int_t)n_dec,
						     "pending", (json_int_t)pend[i], "overdue", (json_int_t)over[i],
						     "approved_versions", approved, "overdue_versions", overdue[i]));
	}
	for (i = 0; overdue && i < groups.n; i++)
		json_decref(overdue[i]);
	free(overdue);
	free(pend);
	free(over);
	names_free(&groups);
	if (r < 0) {
		json_decref(out);
		return r;
	}
	if (o->json) {
		json_print(json_pack("{s:o}", "groups", out));
		return 0;
	}
	if (!json_array_size(out))
		printf("no groups; add one with 'airlock group add NAME [--after GROUP]'\n");
	else
		printf("%-20s %9s %9s %9s %9s\n", "GROUP", "APPROVED", "DECLINED", "PENDING", "OVERDUE");
	for (i = 0; i < json_array_size(out); i++) {
		json_t *g = json_array_get(out, i);

		printf("%-20s %9lld %9lld %9lld %9lld\n", json_string_value(json_object_get(g, "group")),
		       (long long)json_integer_value(json_object_get(g, "approved")),
		       (long long)json_integer_value(json_object_get(g, "declined")),
		       (long long)json_integer_value(json_object_get(g, "pending")),
		       (long long)json_integer_value(json_object_get(g, "overdue")));
	}
	for (i = 0; i < json_array_size(out); i++) {
		json_t *g = json_array_get(out, i), *ov = json_object_get(g, "overdue_versions");
		size_t j;

		for (j = 0; j < json_array_size(ov); j++) {
			json_t *x = json_array_get(ov, j);

			printf("overdue in %s: %s=%s (%s), deadline %s\n", json_string_value(json_object_get(g, "group")),
			       json_string_value(json_object_get(x, "package")),
			       json_string_value(json_object_get(x, "version")),
			       json_string_value(json_object_get(x, "source")),
			       json_string_value(json_object_get(x, "deadline")));
		}
	}
	json_decref(out);
	return 0;
}

/* ---- the commands ---- */

enum verb { V_PENDING, V_APPROVE, V_DECLINE, V_UNAPPROVE, V_STATUS };

static int run(int argc, char **argv, struct cmd_ctx *ctx, enum verb verb)
{
	static const struct option opts[] = {
		{ "group", required_argument, NULL, 'g' },
		{ "source", required_argument, NULL, 's' },
		{ "bundle", required_argument, NULL, 'b' },
		{ "channel", required_argument, NULL, 'c' },
		{ "priority", required_argument, NULL, 'p' },
		{ "ref", required_argument, NULL, 'r' },
		{ "reason", required_argument, NULL, 'R' },
		{ "force", no_argument, NULL, 'f' },
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { 0 };
	struct home h = { 0 };
	struct err e = { 0 };
	const char *bundle_arg = NULL;
	int c, r, nspecs;
	char **specs;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'g': o.group = optarg; break;
		case 's': o.source = optarg; break;
		case 'b': bundle_arg = optarg; break;
		case 'c': o.channel = optarg; break;
		case 'p': o.priority = optarg; break;
		case 'r': o.ref = optarg; break;
		case 'R': o.reason = optarg; break;
		case 'f': o.force = 1; break;
		case 'a': o.all = 1; break;
		case 'j': o.json = 1; break;
		case ':': return cmd_usage(ctx, "'%s' needs a value", argv[optind - 1]);
		default: return cmd_usage(ctx, "unknown option '%s'", argv[optind - 1]);
		}
	}
	specs = argv + optind;
	nspecs = argc - optind;
	if (bundle_arg && (parse_u64(bundle_arg, strlen(bundle_arg), &o.bundle) || !o.bundle))
		return cmd_usage(ctx, "--bundle takes a bundle's sequence number, not '%s'", bundle_arg);
	switch (verb) {
	case V_PENDING:
	case V_STATUS:
		if (nspecs)
			return cmd_usage(ctx, "unexpected argument '%s'", specs[0]);
		if (bundle_arg || o.channel || o.priority || o.ref || o.reason || o.force ||
		    (verb == V_STATUS && (o.all || o.source || o.group)))
			return cmd_usage(ctx, "that option does not belong to '%s'", ctx->def->name);
		break;
	case V_APPROVE:
		if (!o.group)
			return cmd_usage(ctx, "say for which group: --group GROUP");
		if (!nspecs == !bundle_arg)
			return cmd_usage(ctx, "name PACKAGE=VERSION ... or --bundle N, one of the two");
		if (o.force && (!o.reason || !*o.reason))
			return cmd_usage(ctx, "--force needs --reason WHY: the reason is recorded in the audit log");
		if (o.all || o.json)
			return cmd_usage(ctx, "--all and --json do not belong to 'approve'");
		break;
	case V_DECLINE:
	case V_UNAPPROVE:
		if (!nspecs)
			return cmd_usage(ctx, "name the versions: PACKAGE=VERSION ...");
		if (verb == V_DECLINE && (!o.reason || !*o.reason))
			return cmd_usage(ctx, "say why: --reason TEXT (it is recorded)");
		if (bundle_arg || o.channel || o.priority || o.force || o.all || o.json)
			return cmd_usage(ctx, "that option does not belong to '%s'", ctx->def->name);
		break;
	}
	if (o.channel && !bundle_arg)
		return cmd_usage(ctx, "--channel goes with --bundle");

	r = home_open(&h, ctx->home, HOME_IMPORT, &e);
	if (!r)
		r = approve_sync(&h, NULL, &e);
	if (!r) {
		switch (verb) {
		case V_PENDING: r = do_pending(&h, &o, &e); break;
		case V_APPROVE: r = do_approve(&h, &o, specs, nspecs, &e); break;
		case V_DECLINE: r = do_change(&h, &o, specs, nspecs, 1, &e); break;
		case V_UNAPPROVE: r = do_change(&h, &o, specs, nspecs, 0, &e); break;
		case V_STATUS: r = do_status(&h, &o, &e); break;
		}
	}
	home_close(&h);
	if (r && e.code == AE_USAGE)
		return cmd_usage(ctx, "%s", e.msg);
	return r ? cmd_fail(ctx, &e, o.json) : 0;
}

CMD(pending) { return run(argc, argv, ctx, V_PENDING); }
CMD(approve) { return run(argc, argv, ctx, V_APPROVE); }
CMD(decline) { return run(argc, argv, ctx, V_DECLINE); }
CMD(unapprove) { return run(argc, argv, ctx, V_UNAPPROVE); }
CMD(status) { return run(argc, argv, ctx, V_STATUS); }
