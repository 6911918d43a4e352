#ifndef AIRLOCK_UTIL_H
#define AIRLOCK_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

#define TIME_STR 32

/* RFC 3339 UTC, second precision: "2026-11-21T23:19:07Z". */
void time_format(int64_t t, char out[TIME_STR]);
/*
 * "Sun, 06 Nov 1994 08:49:37 <zone>": HTTP dates (zone "GMT") and apt's
 * Release dates ("UTC").  zone is at most 3 characters.
 */
#define TIME_RFC2822 40
void time_format_rfc2822(int64_t t, const char *zone, char out[TIME_RFC2822]);
/* Parse exactly that form; 0 or -1. */
int time_parse(const char *s, size_t len, int64_t *t);
/* Now, or SOURCE_DATE_EPOCH when set (for reproducible output); -AE_USAGE if malformed. */
int time_now_or_sde(int64_t *t, struct err *e) AL_WUR;
/* "30d", "12h", "45m", "90s" or a bare number of seconds. */
int duration_parse(const char *s, int64_t *secs);
/* Strict decimal parse of the whole slice, no sign, no leading zeros (except "0"). */
int parse_u64(const char *s, size_t len, uint64_t *out);
/* Bytes: plain number or with K/M/G/T (binary) suffix, or "cd", "dvd", "bd". */
int size_parse(const char *s, uint64_t *out);
/* Human size, "12.3 MiB". */
void size_human(uint64_t n, char out[32]);
/* Name rules for channels and sources: [a-z0-9][a-z0-9._-]{0,63}. */
int name_valid(const char *s, size_t len);
/* User name for audit records. */
const char *util_actor(void);

#endif
