#ifndef AIRLOCK_SERVE_H
#define AIRLOCK_SERVE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "lib/err.h"
#include "lib/hash.h"

/*
 * The HTTP server of the mirror (libmicrohttpd, included by serve.c only).
 * GET and HEAD of "/<source>/<path>" resolve through the catalog and nothing
 * else: a request never becomes a filesystem path.  Each request borrows one
 * of the read-only catalog connections opened at start and runs its lookup
 * as a read transaction of its own, so imports committed while the server
 * runs are served without a restart.
 */

/* Connections at a time when serve_config.conn_limit is 0. */
#define SERVE_DEFAULT_CONNECTIONS 1024

/* One closed stretch of the access log file: what this process wrote to it since it opened it. */
struct serve_log_segment {
	uint64_t lines; /* whole lines */
	uint64_t bytes; /* every byte written, a cut-short last line included */
	char sha256[SHA256_HEX];
};

struct serve_config {
	const char *store;	/* the store folder (objects by sha256) */
	const char *catalog;	/* catalog.db */
	const char *listen;	/* "a.b.c.d:port" or "[v6]:port"; port 0 picks a free one */
	unsigned threads;	/* 0: one per CPU */
	unsigned conn_limit;	/* 0: SERVE_DEFAULT_CONNECTIONS; more are closed as soon as accepted */
	unsigned per_ip_limit;	/* 0: a default */
	unsigned timeout;	/* seconds of idleness before a connection is closed */
	const char *access_log; /* appended to; NULL: stderr */
	/*
	 * Called on the thread that calls server_reopen_log() or server_stop()
	 * when a segment of the access log file is closed; 0 if it was put on
	 * record (the audit log).  On failure, or without a callback, the
	 * server appends the anchor to the closed file itself and to stderr.
	 */
	int (*anchor)(void *cls, const char *path, const struct serve_log_segment *seg, struct err *e);
	void *anchor_cls;
};

struct server;

/*
 * Everything that may need privileges, and nothing that runs: bind and listen
 * on cfg->listen, open the catalog readers (one per worker, each probed with
 * a lookup), the store folder and the access log's folder.  Nothing is opened
 * by path after this, except the access log file inside its folder, so the
 * caller may switch to an unprivileged user before server_run().  *out is
 * freed by server_stop().
 */
int server_open(struct server **out, const struct serve_config *cfg, struct err *e) AL_WUR;
/*
 * Open the access log file and start the worker threads.  Signals the caller
 * wants to handle itself should be blocked before this call, since the
 * workers inherit the signal mask.
 */
int server_run(struct server *s, struct err *e) AL_WUR;
/* "http://127.0.0.1:8080/": where the server actually listens (port 0 resolved). */
const char *server_url(const struct server *s);
/* The access log file as an absolute path, or NULL when the log is stderr. */
const char *server_log_path(const struct server *s);
/*
 * Reopen the access log file by its name (after logrotate moved it), then
 * anchor the closed segment.  On failure the old file stays in use.  0 when
 * the log is stderr.
 */
int server_reopen_log(struct server *s, struct err *e) AL_WUR;
/*
 * Stop accepting: new connections are refused from now on while the open ones
 * are served.  0, or -1 when the server was not running or is quiesced already.
 */
int server_quiesce(struct server *s);
/* Requests under way (received, response not yet sent) and open connections. */
void server_load(struct server *s, unsigned *requests, unsigned *connections);
/*
 * Close the open connections, anchor the access log's last segment and
 * release everything.  NULL is fine.
 */
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
