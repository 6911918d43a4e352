#ifndef AIRLOCK_CONF_H
#define AIRLOCK_CONF_H

#include <stdint.h>

#include "lib/err.h"

/*
 * airlock.conf: "key = value" lines, '#' comments, blank lines.  Every key
 * must be one this version knows (a misspelt security setting that is
 * silently ignored is worse than a refusal), each at most once.  The table of
 * keys with their defaults is in conf.c and in docs/operator.md.
 */
struct conf;

int conf_load(struct conf **c, const char *path, struct err *e) AL_WUR;
int conf_parse(struct conf **c, const char *path, const char *text, struct err *e) AL_WUR;
void conf_free(struct conf *c);

/* The value, or the key's built-in default (never NULL for a known key). */
const char *conf_str(const struct conf *c, const char *key);
/* Typed reads: -AE_STATE naming the file, key and value when malformed. */
int conf_duration(const struct conf *c, const char *key, int64_t *secs, struct err *e) AL_WUR;
int conf_size(const struct conf *c, const char *key, uint64_t *out, struct err *e) AL_WUR;
int conf_uint(const struct conf *c, const char *key, uint64_t max, uint64_t *out, struct err *e) AL_WUR;
/* One of a '|'-separated list of words ("required|off"); returns its index in *idx. */
int conf_choice(const struct conf *c, const char *key, const char *choices, unsigned *idx, struct err *e) AL_WUR;

#endif
