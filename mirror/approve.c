#include "mirror/approve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/audit.h"
#include "lib/json.h"
#include "lib/util.h"
#include "mirror/aptview.h"
#include "lib/banned.h"

const char *const approve_priorities[] = { "emergency", "high", "medium", "low", NULL };

int approve_deadline(const struct home *h, const char *p, int64_t *secs, struct err *e)
{
	char key[64];
	size_t i;

	for (i = 0; approve_priorities[i]; i++)
		if (!strcmp(p, approve_priorities[i]))
			break;
	if (!approve_priorities[i])
		return err_set(e, AE_USAGE, "'%s' is not a priority: emergency, high, medium or low", p);
	snprintf(key, sizeof(key), "approve.deadline.%s", p);
	return conf_duration(h->conf, key, secs, e);
}

/* ---- inventory ---- */

struct sync {
	struct home *h;
	struct db_stmt *ins;
	const char *source;
	int64_t snapshot;
	int present;
	uint64_t added;
};

static int add_pkg(const struct aptview_pkg *p, void *arg, struct err *e)
{
	struct sync *s = arg;
	int r;

	/* db_reset() clears the bindings: all of them, every time */
	r = db_bind_textn(s->ins, 1, p->name.ptr, p->name.len, e);
	if (!r)
		r = db_bind_text(s->ins, 4, s->source, e);
	if (!r)
		r = db_bind_int(s->ins, 5, s->snapshot, e);
	if (!r)
		r = db_bind_int(s->ins, 6, s->present, e);
	if (!r)
		r = db_bind_textn(s->ins, 2, p->version.ptr, p->version.len, e);
	if (!r)
		r = db_bind_textn(s->ins, 3, p->arch.ptr, p->arch.len, e);
	if (!r)
		r = db_step(s->ins, e);
	db_reset(s->ins);
	return r < 0 ? r : 0;
}

static int inventory_source(struct sync *s, const char *source, struct err *e)
{
	struct aptview *v = malloc(sizeof(*v));
	int64_t before = 0, after = 0;
	size_t i;
	int r;

	if (!v)
		return err_set(e, AE_NOMEM, "out of memory");
	r = aptview_load(s->h->db, source, s->snapshot, v, e);
	if (r == -AE_NOTFOUND) {
		err_clear(e);
		r = 0;
		goto out;
	}
	if (r)
		goto out;
	r = db_get_int(s->h->db, "SELECT count(*) FROM package WHERE source = ?", source, 0, &before, e);
	if (!r && s->present) {
		struct db_stmt *st = NULL;

		r = db_prepare(s->h->db, "UPDATE package SET present = 0 WHERE source = ?", &st, e);
		if (!r)
			r = db_bind_text(st, 1, source, e);
		if (!r)
			r = db_step(st, e);
		db_finalize(st);
		if (r > 0)
			r = 0;
	}
	if (r)
		goto out;
	s->source = source;
	for (i = 0; !r && i < v->nix; i++)
		r = aptview_each_pkg(s->h->db, s->h->store, v, &v->ix[i], add_pkg, s, e);
	if (!r)
		r = db_get_int(s->h->db, "SELECT count(*) FROM package WHERE source = ?", source, 0, &after, e);
	if (!r)
		s->added += (uint64_t)(after - before);
out:
	free(v);
	return r;
}

/* Groups in rollout order: roots first, then each group after the one it follows. */
int group_each(struct db *db, int (*cb)(const char *name, const char *after, void *arg, struct err *e), void *arg,
	       struct err *e)
{
	static const char sql[] =
	    "WITH RECURSIVE chain(name, after, depth) AS ("
	    " SELECT name, '', 0 FROM grp WHERE after IS NULL"
	    " UNION ALL SELECT g.name, g.after, c.depth + 1 FROM grp g JOIN chain c ON g.after = c.name"
	    " WHERE c.depth < 1000)"
	    " SELECT name, after FROM chain ORDER BY depth, name";
	struct db_stmt *st = NULL;
	int r;

	r = db_prepare(db, sql, &st, e);
	while (!r && (r = db_step(st, e)) == 1)
		r = cb(db_col_text(st, 0), db_col_text(st, 1), arg, e);
	db_finalize(st);
	return r < 0 ? r : 0;
}

struct rules {
	struct home *h;
	int64_t snapshot;
	int64_t now;
};

/* One group's rules against the versions the snapshot brought. */
static int apply_rules(const char *group, const char *after, void *arg, struct err *e)
{
	struct rules *ru = arg;
	struct db_stmt *st = NULL;
	int r;

	r = db_prepare(ru->h->db,
		       "SELECT DISTINCT p.source, p.name, p.version, a.priority FROM package p"
		       " JOIN autoapprove a ON a.source = p.source AND a.grp = ?1"
		       " WHERE p.snapshot = ?2 AND NOT EXISTS (SELECT 1 FROM decision d WHERE d.source = p.source"
		       " AND d.name = p.name AND d.version = p.version AND d.grp IN (?1, '*'))"
		       " ORDER BY p.source, p.name, p.version",
		       &st, e);
	if (!r)
		r = db_bind_text(st, 1, group, e);
	if (!r)
		r = db_bind_int(st, 2, ru->snapshot, e);
	while (!r && (r = db_step(st, e)) == 1) {
		char rule[200];
		struct approval a = {
			.group = group,
			.source = db_col_text(st, 0),
			.name = db_col_text(st, 1),
			.version = db_col_text(st, 2),
			.priority = db_col_text(st, 3),
			.ref = rule,
			.reason = "",
			.actor = "auto-approve",
			.now = ru->now,
		};

		snprintf(rule, sizeof(rule), "auto-approve %s/%s", group, a.source);
		r = approve_one(ru->h, &a, e);
		/* a rule never forces: what the earlier group has not approved waits for a person */
		if (r == -AE_STATE) {
			err_clear(e);
			r = 0;
		}
	}
	db_finalize(st);
	return r < 0 ? r : 0;
}

int approve_sync(struct home *h, uint64_t *added, struct err *e)
{
	struct db_stmt *snaps = NULL, *srcs = NULL;
	struct sync s = { .h = h };
	int64_t now, pending = 0;
	int r, in_tx = 0;

	if (added)
		*added = 0;
	r = db_get_int(h->db,
		       "SELECT count(*) FROM snapshot WHERE id NOT IN (SELECT snapshot FROM inventoried)", NULL, 0,
		       &pending, e);
	if (r || !pending)
		return r;
	r = time_now_or_sde(&now, e);
	if (!r)
		r = db_begin(h->db, e);
	if (r)
		return r;
	in_tx = 1;
	r = db_exec(h->db, "UPDATE package SET present = 0 WHERE source NOT IN (SELECT source FROM served)", e);
	if (!r)
		r = db_prepare(h->db,
			       "INSERT INTO package(name, version, arch, source, snapshot, present)"
			       " VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
			       " ON CONFLICT(source, name, version, arch) DO UPDATE SET present = max(present, ?6)",
			       &s.ins, e);
	if (!r)
		r = db_prepare(h->db,
			       "SELECT id FROM snapshot WHERE id NOT IN (SELECT snapshot FROM inventoried) ORDER BY id",
			       &snaps, e);
	if (!r)
		r = db_prepare(h->db,
			       "SELECT DISTINCT f.source, EXISTS (SELECT 1 FROM served v WHERE v.source = f.source"
			       " AND v.snapshot = f.snapshot) FROM file f WHERE f.snapshot = ? ORDER BY f.source",
			       &srcs, e);
	while (!r && (r = db_step(snaps, e)) == 1) {
		struct rules ru = { .h = h, .now = now };
		struct db_stmt *done = NULL;

		s.snapshot = ru.snapshot = db_col_int(snaps, 0);
		r = db_bind_int(srcs, 1, s.snapshot, e);
		while (!r && (r = db_step(srcs, e)) == 1) {
			char source[64];

			snprintf(source, sizeof(source), "%s", db_col_text(srcs, 0));
			s.present = (int)db_col_int(srcs, 1);
			r = inventory_source(&s, source, e);
		}
		db_reset(srcs);
		if (r < 0)
			break;
		r = group_each(h->db, apply_rules, &ru, e);
		if (!r)
			r = db_prepare(h->db, "INSERT INTO inventoried(snapshot) VALUES(?)", &done, e);
		if (!r)
			r = db_bind_int(done, 1, s.snapshot, e);
		if (!r)
			r = db_step(done, e);
		db_finalize(done);
		if (r > 0)
			r = 0;
	}
	if (r < 0)
		goto out;
	r = db_commit(h->db, e);
	in_tx = 0;
	if (!r && added)
		*added = s.added;
out:
	if (in_tx)
		db_rollback(h->db);
	db_finalize(s.ins);
	db_finalize(snaps);
	db_finalize(srcs);
	if (r)
		err_prefix(e, "package inventory");
	return r;
}

/* ---- decisions ---- */

int approve_one(struct home *h, const struct approval *a, struct err *e)
{
	struct db_stmt *st = NULL;
	const char *priority = a->priority;
	char prio[32] = "", subject[512];
	int64_t deadline = 0, secs;
	json_t *d;
	char *detail = NULL;
	int r;

	/* a decline for every group, or for this one, stands until unapproved */
	r = db_prepare(h->db,
		       "SELECT grp, reason, actor FROM decision WHERE source = ? AND name = ? AND version = ?"
		       " AND state = 'declined' AND grp IN (?, '*')",
		       &st, e);
	if (!r && !(r = db_bind_text(st, 1, a->source, e)) && !(r = db_bind_text(st, 2, a->name, e)) &&
	    !(r = db_bind_text(st, 3, a->version, e)) && !(r = db_bind_text(st, 4, a->group, e)) &&
	    (r = db_step(st, e)) == 1)
		r = err_set(e, AE_STATE,
			    "%s=%s (%s) was declined for %s by %s (\"%s\"); 'airlock unapprove %s=%s' first", a->name,
			    a->version, a->source, !strcmp(db_col_text(st, 0), "*") ? "every group" : a->group,
			    db_col_text(st, 2), db_col_text(st, 1), a->name, a->version);
	db_finalize(st);
	st = NULL;
	if (r)
		return r;

	/* the group it comes after must have approved it, unless forced with a reason */
	r = db_prepare(h->db,
		       "SELECT g.after, (SELECT count(*) FROM decision d WHERE d.grp = g.after AND d.source = ?2"
		       " AND d.name = ?3 AND d.version = ?4 AND d.state = 'approved') FROM grp g WHERE g.name = ?1",
		       &st, e);
	if (!r && !(r = db_bind_text(st, 1, a->group, e)) && !(r = db_bind_text(st, 2, a->source, e)) &&
	    !(r = db_bind_text(st, 3, a->name, e)) && !(r = db_bind_text(st, 4, a->version, e)))
		r = db_step(st, e);
	if (r == 0)
		r = err_set(e, AE_NOTFOUND, "no group '%s'; see 'airlock group list'", a->group);
	else if (r == 1) {
		r = 0;
		if (!db_col_is_null(st, 0) && db_col_int(st, 1) == 0 && !a->force)
			r = err_set(e, AE_STATE,
				    "%s=%s (%s) is not approved in '%s', which '%s' comes after; approve it there"
				    " first, or use --force --reason WHY for an emergency",
				    a->name, a->version, a->source, db_col_text(st, 0), a->group);
	}
	db_finalize(st);
	st = NULL;
	if (r)
		return r;

	if (!priority) {
		/* the rollout's deadline holds in every group: inherit the earliest one set */
		r = db_prepare(h->db,
			       "SELECT priority, deadline FROM decision WHERE source = ? AND name = ? AND version = ?"
			       " AND state = 'approved' ORDER BY deadline LIMIT 1",
			       &st, e);
		if (!r && !(r = db_bind_text(st, 1, a->source, e)) && !(r = db_bind_text(st, 2, a->name, e)) &&
		    !(r = db_bind_text(st, 3, a->version, e)) && (r = db_step(st, e)) == 1) {
			snprintf(prio, sizeof(prio), "%s", db_col_text(st, 0));
			deadline = db_col_int(st, 1);
			r = 0;
		}
		db_finalize(st);
		st = NULL;
		if (r)
			return r;
		if (!prio[0])
			snprintf(prio, sizeof(prio), "%s", conf_str(h->conf, "approve.default-priority"));
		priority = prio;
	}
	if (!deadline) {
		r = approve_deadline(h, priority, &secs, e);
		if (r)
			return r;
		deadline = a->now + secs;
	}

	r = db_prepare(h->db,
		       "INSERT OR REPLACE INTO decision(grp, source, name, version, state, priority, deadline, ref,"
		       " reason, forced, actor, time) VALUES(?, ?, ?, ?, 'approved', ?, ?, ?, ?, ?, ?, ?)",
		       &st, e);
	if (!r && !(r = db_bind_text(st, 1, a->group, e)) && !(r = db_bind_text(st, 2, a->source, e)) &&
	    !(r = db_bind_text(st, 3, a->name, e)) && !(r = db_bind_text(st, 4, a->version, e)) &&
	    !(r = db_bind_text(st, 5, priority, e)) && !(r = db_bind_int(st, 6, deadline, e)) &&
	    !(r = db_bind_text(st, 7, a->ref, e)) && !(r = db_bind_text(st, 8, a->reason, e)) &&
	    !(r = db_bind_int(st, 9, a->force, e)) && !(r = db_bind_text(st, 10, a->actor, e)) &&
	    !(r = db_bind_int(st, 11, a->now, e)))
		r = db_step(st, e);
	db_finalize(st);
	if (r < 0)
		return r;

	snprintf(subject, sizeof(subject), "%s/%s/%s=%s", a->group, a->source, a->name, a->version);
	d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:b, s:s, s:s}", "group", a->group, "source", a->source,
		      "package", a->name, "version", a->version, "priority", priority, "deadline",
		      (json_int_t)deadline, "ref", a->ref, "forced", a->force, "reason", a->reason, "by", a->actor);
	r = json_detail(d, &detail, e);
	if (!r)
		r = audit_append(h->db, a->force ? "approve.forced" : "approve", subject, detail, e);
	free(detail);
	return r;
}
