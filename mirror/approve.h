#ifndef AIRLOCK_APPROVE_H
#define AIRLOCK_APPROVE_H

#include <stdint.h>

#include "lib/home.h"

/*
 * Computer groups, the package inventory and approvals (schema 3 in
 * lib/schema.c; docs/operator.md "Groups and approvals").
 *
 * The inventory is every package version that an imported apt snapshot
 * carried, index stanza and pool file both; `present` marks those the
 * served snapshot carries now.  Decisions are per group and package version
 * (all architectures): approved with a priority and deadline, or declined;
 * a decline for group '*' holds for every group, present and future.
 */

#define GROUP_ALL "*"

/* The priorities, most urgent first; NULL-terminated. */
extern const char *const approve_priorities[];
/* 0 and the deadline's length for priority p (airlock.conf approve.deadline.<p>), -AE_USAGE if unknown. */
int approve_deadline(const struct home *h, const char *p, int64_t *secs, struct err *e) AL_WUR;

/*
 * Bring the inventory up to date with the catalog: read the Packages
 * indexes of every snapshot not yet inventoried and apply the auto-approve
 * rules to the versions each brings.  Its own transaction; cheap when
 * there is nothing new.  *added counts the new versions (may be NULL).
 */
int approve_sync(struct home *h, uint64_t *added, struct err *e) AL_WUR;

/* Groups in rollout order (each after the one it follows); cb gets name and after ("" if none). */
int group_each(struct db *db, int (*cb)(const char *name, const char *after, void *arg, struct err *e), void *arg,
	       struct err *e) AL_WUR;

/*
 * One approval inside the caller's transaction: checks the '*' decline and,
 * unless force, the group it comes after; writes the decision and its
 * audit record.  priority NULL: inherit the earliest deadline another
 * group's approval set, else approve.default-priority.
 */
struct approval {
	const char *group, *source, *name, *version;
	const char *priority; /* NULL: inherit or default */
	const char *ref;      /* change request, "" if none */
	const char *reason;   /* "" unless forced or declined */
	const char *actor;    /* util_actor() or "auto-approve" */
	int force;
	int64_t now;
};
/* -AE_STATE with the reason when the chain or a decline forbids it. */
int approve_one(struct home *h, const struct approval *a, struct err *e) AL_WUR;

#endif
