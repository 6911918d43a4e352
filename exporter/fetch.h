#ifndef AIRLOCK_FETCH_H
#define AIRLOCK_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/hash.h"

/*
 * Downloads with libcurl (the one file that includes <curl/curl.h>).  Bytes
 * land in "<dest>.part", hashed as they arrive; the transfer is aborted the
 * moment it exceeds max_size; only a complete file whose size and SHA-256
 * match what was expected is renamed to dest.  Redirects are followed, but
 * only the bytes are trusted, never the URL.
 */
struct fetch_item {
	const char *url;
	const char *dest;
	uint64_t max_size;       /* hard cap; required (> 0) */
	uint64_t expect_size;    /* 0 = unknown (then only the cap applies) */
	int has_sha256;
	uint8_t sha256[SHA256_LEN];
	/* results */
	int result;              /* 0, or -AE_* */
	char error[512];         /* one line: url and what went wrong */
	uint64_t got_size;
	uint8_t got_sha256[SHA256_LEN];
};

struct fetch_opts {
	unsigned parallel;        /* transfers at once (default 4) */
	long connect_timeout;     /* seconds (default 30) */
	long low_speed_time;      /* abort when below low_speed_limit for this long (default 60 s) */
	long low_speed_limit;     /* bytes/s (default 1) */
	unsigned retries;         /* per item, with exponential backoff from 1 s (default 3) */
	int quiet;                /* no progress bar */
};

/*
 * Fetch every item.  A partial "<dest>.part" left by an interrupted run is
 * resumed with a Range request (and started over if the server ignores it).
 * Network errors, timeouts and 5xx are retried; 404 and verification
 * failures are not.  Returns 0 when every item succeeded, else the first
 * failing item's code (-AE_REJECT for size/hash failures, -AE_NOTFOUND for
 * HTTP 404/410, -AE_IO for other network ones) with its message in e; each
 * item's result says its own.
 */
int fetch_run(struct fetch_item *items, size_t n, const struct fetch_opts *o, struct err *e) AL_WUR;

#endif
