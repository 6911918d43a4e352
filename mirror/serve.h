#ifndef AIRLOCK_SERVE_H
#define AIRLOCK_SERVE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "lib/err.h"

/*
 * The HTTP server of the mirror (libmicrohttpd, included by serve.c only).
 * GET and HEAD of "/<source>/<path>" resolve through the catalog and nothing
 * else: a request never becomes a filesystem path.  Each request borrows a
 * read-only catalog connection, so imports committed while the server runs
 * are served without a restart.
 */

struct serve_config {
	const char *store;   /* the store folder (objects by sha256) */
	const char *catalog; /* catalog.db */
	const char *listen;  /* "a.b.c.d:port" or "[v6]:port"; port 0 picks a free one */
	unsigned threads;    /* 0: one per CPU */
	unsigned conn_limit; /* 0: a default */
	unsigned per_ip_limit;
	unsigned timeout; /* seconds of idleness before a connection is closed */
	FILE *log;	  /* access log and internal errors; NULL: stderr */
};

struct server;

/*
 * Bind, listen and start the worker threads.  *out is freed by server_stop().
 * Signals the caller wants to handle itself should be blocked before this
 * call, since the workers inherit the signal mask.
 */
int server_start(struct server **out, const struct serve_config *cfg, struct err *e) AL_WUR;
/* "http://127.0.0.1:8080/": where the server actually listens (port 0 resolved). */
const char *server_url(const struct server *s);
/* Stop accepting, finish or drop the open connections, release everything. NULL is fine. */
void server_stop(struct server *s);

/* Parse "a.b.c.d:port" or "[v6]:port" into ss. -AE_USAGE with the reason. */
int serve_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len, struct err *e) AL_WUR;

/*
 * The parsers of network input, exposed for unit tests and fuzzing.
 *
 * serve_decode_path: percent-decode url (which must start with '/') into out
 * (outlen bytes with room for the NUL).  Returns 0, SERVE_BAD (400: invalid
 * escape, %00, control character, no leading '/') or SERVE_NOTFOUND (404:
 * too long to be a catalogued path).
 *
 * serve_split_path: split a decoded "/<source>/<rest>" in place into source
 * and path.  SERVE_NOTFOUND for an empty, "." or ".." component or a missing
 * path.
 */
enum { SERVE_BAD = -1, SERVE_NOTFOUND = -2 };
int serve_decode_path(const char *url, char *out, size_t outlen);
int serve_split_path(char *decoded, const char **source, const char **path);

/*
 * A Range header against a body of size bytes.  SERVE_RANGE_NONE: serve the
 * whole body with 200 (no header, a malformed one, another unit or several
 * ranges); SERVE_RANGE_ONE: serve [*first, *last] with 206;
 * SERVE_RANGE_UNSAT: 416.
 */
enum { SERVE_RANGE_NONE = 0, SERVE_RANGE_ONE = 1, SERVE_RANGE_UNSAT = 2 };
int serve_parse_range(const char *h, uint64_t size, uint64_t *first, uint64_t *last);

/* 1 if an If-None-Match value (a list of entity tags or "*") matches etag ("\"hex\""), weakly. */
int serve_etag_match(const char *h, const char *etag);

/* The Content-Type for a path, by its extension. */
const char *serve_content_type(const char *path);

#endif
