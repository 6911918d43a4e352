#ifndef AIRLOCK_RECOVER_H
#define AIRLOCK_RECOVER_H

#include "lib/err.h"
#include "lib/home.h"

/*
 * Find imports a crash interrupted in an import home's quarantine and
 * finish or discard each one (importer/recover.c explains how).  Skipped
 * when another import holds the home's lock.  Rejected imports' folders
 * are kept.  Runs from home_open() in every command.
 */
int import_recover(struct home *h, struct err *e) AL_WUR;

#endif
