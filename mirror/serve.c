#include "mirror/serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/hash.h"
#include "lib/util.h"
#include "mirror/catalog.h"
#include "mirror/store.h"
#include "verify/manifest.h"
#include "lib/banned.h"

/* A decoded "/<source>/<path>" that could be in the catalog, with its NUL. */
#define DECODED_MAX (1 + MANIFEST_MAX_NAME + 1 + MANIFEST_MAX_PATH + 1)
#define LOG_URL_MAX 1024
#define SAY_MAX 2048

#define DEFAULT_CONN_LIMIT SERVE_DEFAULT_CONNECTIONS
/* wrk -c64 from one host is the benchmark: the per-address cap stays above it. */
#define DEFAULT_PER_IP_LIMIT 256
#define DEFAULT_TIMEOUT 30
/* Request line and headers live in this pool; the body is never copied into it. */
#define CONN_MEMORY_LIMIT ((size_t)64 << 10)

/*
 * The access log: lines go out one write() each on an O_APPEND descriptor,
 * so that they never interleave with each other or with another writer's.
 * For a file, the lines this process wrote since it opened the file (a
 * segment) are counted and hashed as they are written, under the same lock,
 * so the hash covers exactly the bytes in the file's order.
 */
struct access_log {
	pthread_mutex_t mu;
	int mu_ok;
	int fd;		  /* STDERR_FILENO without a file; -1 until server_run() opens it */
	int dir_fd;	  /* the file's folder, opened by server_open(); -1 without a file */
	char *path;	  /* absolute; NULL without a file */
	const char *name; /* the last component of path */
	struct sha256 h;  /* the segment's hash, initialised while fd is a file */
	uint64_t lines, bytes;
	int failed; /* a write failed: said once per segment */
};

struct server {
	struct MHD_Daemon *daemon;
	char *store;
	char *catalog;
	int store_fd;  /* the store folder: objects are opened below it, never by full path */
	int listen_fd; /* ours before server_run() and again once quiesced; -1 while MHD has it */
	int quiesced;
	char url[96];
	unsigned threads, conn_limit, per_ip_limit, timeout;
	struct access_log log;
	int (*anchor)(void *cls, const char *path, const struct serve_log_segment *seg, struct err *e);
	void *anchor_cls;

	/* Counted by the MHD callbacks, read by the accept policy and server_load(). */
	atomic_uint connections;
	atomic_uint requests;

	/* Idle catalog readers (read-only connections); a worker borrows one per request. */
	pthread_mutex_t mu;
	int mu_ok;
	struct catalog_reader **idle;
	size_t nidle, cap;

	/* Fixed answers, built once and shared by every worker. */
	struct MHD_Response *r400, *r404, *r405, *r500;
};

static const char body400[] = "bad request\n";
static const char body404[] = "not found\n";
static const char body405[] = "method not allowed\n";
static const char body500[] = "internal error\n";

/* ---- parsers of network input ---- */

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int serve_decode_path(const char *url, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)url;
	size_t n = 0;

	if (*p != '/' || outlen == 0)
		return SERVE_BAD;
	while (*p) {
		unsigned c = *p;
		int hi, lo;

		if (c == '%') {
			/* p[2] is read only when p[1] was a hex digit, so never past the NUL. */
			hi = hexval(p[1]);
			if (hi < 0 || (lo = hexval(p[2])) < 0)
				return SERVE_BAD;
			c = (unsigned)(hi << 4 | lo);
			p += 3;
		} else {
			p++;
		}
		if (c < 0x20 || c == 0x7f)
			return SERVE_BAD;
		if (n + 1 >= outlen)
			return SERVE_NOTFOUND;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return 0;
}

int serve_split_path(char *d, const char **source, const char **path)
{
	char *comp, *end, *slash;
	size_t len;

	if (d[0] != '/')
		return SERVE_NOTFOUND;
	/* Every component, the source's included, must be a plain name. */
	for (comp = d + 1;; comp = end + 1) {
		end = strchr(comp, '/');
		len = end ? (size_t)(end - comp) : strlen(comp);
		if (len == 0 || (len == 1 && comp[0] == '.') ||
		    (len == 2 && comp[0] == '.' && comp[1] == '.'))
			return SERVE_NOTFOUND;
		if (!end)
			break;
	}
	slash = strchr(d + 1, '/');
	if (!slash)
		return SERVE_NOTFOUND;
	*slash = '\0';
	*source = d + 1;
	*path = slash + 1;
	return 0;
}

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Decimal digits, saturating at UINT64_MAX (a huge position is simply past the end). */
static void digits(const char **pp, uint64_t *v)
{
	const char *p = *pp;
	uint64_t n = 0;

	while (*p >= '0' && *p <= '9') {
		unsigned d = (unsigned)(*p - '0');

		n = n > (UINT64_MAX - d) / 10 ? UINT64_MAX : n * 10 + d;
		p++;
	}
	*v = n;
	*pp = p;
}

int serve_parse_range(const char *h, uint64_t size, uint64_t *first, uint64_t *last)
{
	const char *p, *start;
	uint64_t a = 0, b = 0;
	int has_a, has_b;

	if (!h)
		return SERVE_RANGE_NONE;
	p = skip_ows(h);
	if (strncasecmp(p, "bytes", 5))
		return SERVE_RANGE_NONE;
	p = skip_ows(p + 5);
	if (*p != '=')
		return SERVE_RANGE_NONE;
	p++;
	/* Several ranges would need multipart/byteranges; the whole body is a valid answer. */
	if (strchr(p, ','))
		return SERVE_RANGE_NONE;
	p = skip_ows(p);
	start = p;
	digits(&p, &a);
	has_a = p != start;
	if (*p != '-')
		return SERVE_RANGE_NONE;
	p++;
	start = p;
	digits(&p, &b);
	has_b = p != start;
	p = skip_ows(p);
	if (*p || (!has_a && !has_b))
		return SERVE_RANGE_NONE;
	if (has_a) {
		if (has_b && b < a)
			return SERVE_RANGE_NONE;
		if (a >= size)
			return SERVE_RANGE_UNSAT;
		*first = a;
		*last = has_b && b < size - 1 ? b : size - 1;
		return SERVE_RANGE_ONE;
	}
	/* "-n": the last n bytes. */
	if (b == 0 || size == 0)
		return SERVE_RANGE_UNSAT;
	*first = b >= size ? 0 : size - b;
	*last = size - 1;
	return SERVE_RANGE_ONE;
}

int serve_etag_match(const char *h, const char *etag)
{
	size_t elen = strlen(etag);
	const char *p = h, *q;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			return 0;
		if (*p == '*')
			return 1;
		/* If-None-Match compares weakly: W/"x" matches "x". */
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		if (*p != '"')
			return 0;
		q = strchr(p + 1, '"');
		if (!q)
			return 0;
		if ((size_t)(q + 1 - p) == elen && !memcmp(p, etag, elen))
			return 1;
		p = q + 1;
	}
}

static const struct {
	const char *ext;
	const char *type;
} content_types[] = {
    {"deb", "application/vnd.debian.binary-package"},
    {"udeb", "application/vnd.debian.binary-package"},
    {"gz", "application/gzip"},
    {"xz", "application/x-xz"},
    {"bz2", "application/x-bzip2"},
    {"zst", "application/zstd"},
    {"txt", "text/plain; charset=utf-8"},
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"json", "application/json"},
    {"iso", "application/x-iso9660-image"},
    {"asc", "application/pgp-signature"},
    {"sig", "application/pgp-signature"},
    {"gpg", "application/pgp-keys"},
    {"rpm", "application/x-rpm"},
    {"tar", "application/x-tar"},
};

const char *serve_content_type(const char *path)
{
	const char *base = strrchr(path, '/'), *dot;
	size_t i;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	if (dot && dot != base) {
		for (i = 0; i < sizeof(content_types) / sizeof(content_types[0]); i++)
			if (!strcasecmp(dot + 1, content_types[i].ext))
				return content_types[i].type;
	}
	return "application/octet-stream";
}

int serve_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len, struct err *e)
{
	char host[INET6_ADDRSTRLEN];
	const char *colon, *hs, *he;
	uint64_t port;
	size_t hlen;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		hs = s + 1;
		he = strchr(hs, ']');
		if (!he || he[1] != ':')
			return err_set(e, AE_USAGE, "'%s' is not ADDR:PORT or [IPV6]:PORT", s);
		colon = he + 1;
	} else {
		hs = s;
		colon = strrchr(s, ':');
		if (!colon)
			return err_set(e, AE_USAGE, "'%s' is not ADDR:PORT or [IPV6]:PORT", s);
		he = colon;
	}
	hlen = (size_t)(he - hs);
	if (hlen == 0 || hlen >= sizeof(host))
		return err_set(e, AE_USAGE, "'%s' has no valid address", s);
	memcpy(host, hs, hlen);
	host[hlen] = '\0';
	if (parse_u64(colon + 1, strlen(colon + 1), &port) || port > 65535)
		return err_set(e, AE_USAGE, "'%s' has no valid port (0-65535)", s);
	if (s[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return err_set(e, AE_USAGE, "'%s' is not an IPv6 address", host);
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return err_set(e, AE_USAGE, "'%s' is not an IPv4 address (write IPv6 as [ADDR]:PORT)",
				       host);
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
	}
	return 0;
}

/* ---- HTTP dates ---- */

/* IMF-fixdate only ("Sun, 06 Nov 1994 08:49:37 GMT"); anything else is ignored, which only costs a 200. */
static int http_date_parse(const char *s, int64_t *t)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end || *skip_ows(end))
		return -1;
	*t = (int64_t)timegm(&tm);
	return 0;
}

/* ---- the catalog connection pool ---- */

/*
 * The readers are all opened and probed by server_open(), before the caller
 * drops privileges, and never reopened.  An unprivileged server could not
 * open catalog.db again (the site home is not its own), and a read-only WAL
 * connection also needs the -wal file and the shared-memory index (-shm)
 * opened read-write.  A probed reader holds all three open, and in WAL mode
 * keeps a shared lock on the database, which stops any writer's close from
 * deleting them; each lookup is still its own read transaction, so imports
 * committed later are seen.  One reader per worker thread is enough: a
 * worker runs one request at a time.  A lookup that failed leaves its reader
 * reset and usable, so it goes back to the pool like any other.
 */
static struct catalog_reader *pool_get(struct server *s)
{
	struct catalog_reader *r = NULL;

	pthread_mutex_lock(&s->mu);
	if (s->nidle)
		r = s->idle[--s->nidle];
	pthread_mutex_unlock(&s->mu);
	return r;
}

static void pool_put(struct server *s, struct catalog_reader *r)
{
	pthread_mutex_lock(&s->mu);
	if (s->nidle < s->cap) {
		s->idle[s->nidle++] = r;
		r = NULL;
	}
	pthread_mutex_unlock(&s->mu);
	catalog_reader_close(r);
}

/* ---- logging ---- */

struct req {
	const char *method;
	const char *url;
	char object[SHA256_HEX];
	uint64_t bytes;
	unsigned status;
};

/* All of p, retrying on EINTR and short writes; how much went out, and errno in *err if not all. */
static size_t write_all(int fd, const char *p, size_t n, int *err)
{
	size_t off = 0;
	ssize_t w;

	*err = 0;
	while (off < n) {
		w = write(fd, p + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			*err = w < 0 ? errno : EIO;
			break;
		}
		off += (size_t)w;
	}
	return off;
}

/* A message on stderr in one write(), so that it never splits an access log line written there. */
AL_PRINTF(1, 2) static void say(const char *fmt, ...)
{
	char line[SAY_MAX];
	va_list ap;
	size_t n;
	int r, err;

	va_start(ap, fmt);
	r = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	n = (size_t)r < sizeof(line) - 1 ? (size_t)r : sizeof(line) - 2;
	if (n == 0 || line[n - 1] != '\n')
		line[n++] = '\n';
	(void)write_all(STDERR_FILENO, line, n, &err);
}

/* Bytes that could forge a log line or split a field are written as %XX. */
static void log_escape(const char *in, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)in;
	size_t n = 0;

	for (; *p && n + 4 < outlen; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '\\') {
			out[n++] = '%';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 15];
		} else {
			out[n++] = (char)*p;
		}
	}
	if (*p && n + 4 <= outlen) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

static void log_write(struct server *s, const char *line, size_t n)
{
	struct access_log *l = &s->log;
	size_t done;
	int err, tell = 0;

	pthread_mutex_lock(&l->mu);
	done = write_all(l->fd, line, n, &err);
	if (l->path) {
		sha256_update(&l->h, line, done);
		l->bytes += done;
		l->lines += done == n;
	}
	if (err && !l->failed) {
		l->failed = 1;
		tell = 1;
	}
	pthread_mutex_unlock(&l->mu);
	if (tell)
		say("airlock: serve: cannot write the access log '%s': %s", l->path ? l->path : "stderr",
		    strerror(err));
}

static void client_addr(struct MHD_Connection *c, char *out, size_t outlen)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, outlen, "-");
	if (!sa)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  (socklen_t)outlen);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
			  (socklen_t)outlen);
}

static void access_log(struct server *s, struct MHD_Connection *c, const struct req *r)
{
	char when[TIME_STR], addr[INET6_ADDRSTRLEN], url[LOG_URL_MAX], method[32], line[LOG_URL_MAX + 256];
	int n;

	time_format((int64_t)time(NULL), when);
	client_addr(c, addr, sizeof(addr));
	log_escape(r->url, url, sizeof(url));
	log_escape(r->method, method, sizeof(method));
	n = snprintf(line, sizeof(line), "%s %s %s %s %s %llu %u\n", when, addr, method, url,
		     r->object[0] ? r->object : "-", (unsigned long long)r->bytes, r->status);
	if (n > 0)
		log_write(s, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* Internal failures (the request gets a 500) go to stderr, whole lines at a time. */
static void error_log(const struct req *r, const struct err *e)
{
	char url[LOG_URL_MAX];

	log_escape(r->url, url, sizeof(url));
	say("airlock: serve: %s: %s", url, e->msg);
}

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[SAY_MAX - 32];
	size_t n;

	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		return;
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	say("airlock: http: %s", msg);
}

/* ---- the access log file and its anchors ---- */

static int log_open_file(struct access_log *l, int *fd, struct err *e)
{
	/* By name inside the folder opened at start, so its parents need not admit the server's user. */
	*fd = openat(l->dir_fd, l->name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (*fd < 0)
		return err_errno(e, errno, "cannot open the access log '%s'", l->path);
	return 0;
}

/* Under the lock: close the books of the current segment and start the next one's. */
static void segment_take(struct access_log *l, struct serve_log_segment *seg)
{
	uint8_t d[SHA256_LEN];

	sha256_final(&l->h, d);
	hex_encode(d, SHA256_LEN, seg->sha256);
	seg->lines = l->lines;
	seg->bytes = l->bytes;
	l->lines = l->bytes = 0;
	l->failed = 0;
}

/*
 * The segment written to fd is complete: make it durable, put its hash on
 * record, then close fd.  When the record cannot be made, the anchor goes to
 * the end of the file itself (after the hashed bytes) and to stderr, so that
 * it still exists somewhere other than the file alone.
 */
static void segment_finish(struct server *s, int fd, const struct serve_log_segment *seg)
{
	char path[PATH_MAX], line[PATH_MAX + 1536];
	struct err e;
	int n, err;

	err_clear(&e);
	/* fsync fails on a pipe or a terminal, which hold nothing to make durable. */
	if (fsync(fd) && errno != EINVAL && errno != EROFS)
		say("airlock: serve: cannot sync the access log '%s': %s", s->log.path, strerror(errno));
	if (s->anchor && !s->anchor(s->anchor_cls, s->log.path, seg, &e))
		goto out;
	if (!s->anchor)
		err_set(&e, AE_STATE, "no audit log");
	log_escape(s->log.path, path, sizeof(path));
	n = snprintf(line, sizeof(line),
		     "airlock: serve.log '%s' {\"bytes\":%llu,\"lines\":%llu,\"sha256\":\"%s\"}: "
		     "not in the audit log: %s\n",
		     path, (unsigned long long)seg->bytes, (unsigned long long)seg->lines, seg->sha256,
		     e.msg);
	if (n > 0) {
		if ((size_t)n >= sizeof(line))
			n = (int)sizeof(line) - 1;
		(void)write_all(fd, line, (size_t)n, &err);
		(void)write_all(STDERR_FILENO, line, (size_t)n, &err);
	}
out:
	close(fd);
}

int server_reopen_log(struct server *s, struct err *e)
{
	struct access_log *l = &s->log;
	struct serve_log_segment seg;
	struct sha256 h = {0};
	int fd = -1, old, ret;

	if (!l->path)
		return 0;
	if (l->fd < 0)
		return err_set(e, AE_STATE, "the access log '%s' is not open", l->path);
	ret = log_open_file(l, &fd, e);
	if (ret)
		goto out;
	ret = sha256_init(&h, e);
	if (ret)
		goto out;
	pthread_mutex_lock(&l->mu);
	segment_take(l, &seg);
	old = l->fd;
	l->fd = fd;
	l->h = h;
	pthread_mutex_unlock(&l->mu);
	fd = -1;
	segment_finish(s, old, &seg);
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Split path into its folder, opened now, and its last component; record the absolute path. */
static int log_prepare(struct access_log *l, const char *path, struct err *e)
{
	char real[PATH_MAX];
	const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
	char *dir = NULL;
	size_t n;
	int ret;

	if (!*name || !strcmp(name, ".") || !strcmp(name, "..")) {
		ret = err_set(e, AE_USAGE, "the access log '%s' does not name a file", path);
		goto out;
	}
	dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	if (!dir) {
		ret = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	l->dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (l->dir_fd < 0) {
		ret = err_errno(e, errno, "cannot open the folder of the access log '%s'", path);
		goto out;
	}
	if (!realpath(dir, real)) {
		ret = err_errno(e, errno, "cannot resolve the folder of the access log '%s'", path);
		goto out;
	}
	n = strlen(real) + 1 + strlen(name) + 1;
	l->path = malloc(n);
	if (!l->path) {
		ret = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	snprintf(l->path, n, "%s%s%s", real, strcmp(real, "/") ? "/" : "", name);
	l->name = strrchr(l->path, '/') + 1;
	ret = 0;
out:
	free(dir);
	return ret;
}

/* ---- requests ---- */

/* We decode the path ourselves (serve_decode_path): MHD must hand it over untouched. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	return strlen(s);
}

static enum MHD_Result respond(struct server *s, struct MHD_Connection *c, struct req *r, unsigned status,
			       struct MHD_Response *resp, uint64_t body, int head)
{
	enum MHD_Result ok;

	r->status = status;
	r->bytes = head ? 0 : body;
	access_log(s, c, r);
	ok = MHD_queue_response(c, status, resp);
	return ok;
}

/* A response without a body that is built for this request (304, 416). */
static enum MHD_Result send_empty(struct server *s, struct MHD_Connection *c, struct req *r, unsigned status,
				  const char *h1, const char *v1, const char *h2, const char *v2)
{
	struct MHD_Response *resp;
	enum MHD_Result ok;

	resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	if (h1)
		MHD_add_response_header(resp, h1, v1);
	if (h2)
		MHD_add_response_header(resp, h2, v2);
	ok = respond(s, c, r, status, resp, 0, 1);
	MHD_destroy_response(resp);
	return ok;
}

static int not_modified(struct MHD_Connection *c, const char *etag, int64_t imported)
{
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	const char *ims;
	int64_t t;

	/* When both are sent, If-None-Match decides alone (RFC 9110 13.2.2). */
	if (inm)
		return serve_etag_match(inm, etag);
	ims = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
	return ims && !http_date_parse(ims, &t) && imported <= t;
}

/* If-Range: the range applies only to the representation the client already has part of. */
static int range_applies(struct MHD_Connection *c, const char *etag, const char *lastmod)
{
	const char *ir = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_RANGE);

	if (!ir)
		return 1;
	ir = skip_ows(ir);
	if (ir[0] == '"')
		return !strcmp(ir, etag); /* strong comparison: a weak tag never matches */
	return !strcmp(ir, lastmod);
}

static enum MHD_Result serve_object(struct server *s, struct MHD_Connection *c, struct req *r, int head,
				    const char *path, const struct catalog_hit *hit)
{
	uint8_t sha[SHA256_LEN];
	char etag[SHA256_HEX + 2], lastmod[TIME_RFC2822], crange[96];
	struct MHD_Response *resp = NULL;
	uint64_t first = 0, last = 0, len;
	struct buf file;
	struct stat st;
	struct err e;
	enum MHD_Result ok;
	unsigned status;
	int fd = -1, kind = SERVE_RANGE_NONE;

	err_clear(&e);
	buf_init(&file, 8192);
	memcpy(r->object, hit->object, SHA256_HEX);
	/* "./aa/<hex>", opened below the store folder opened at start (server_open). */
	if (hex_decode(hit->object, SHA256_HEX - 1, sha, SHA256_LEN) || store_path(".", sha, &file, &e)) {
		if (!e.code)
			err_set(&e, AE_DB, "catalog names a malformed object");
		goto fail;
	}
	fd = openat(s->store_fd, buf_str(&file), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		err_errno(&e, errno, "cannot open object '%s%s'", s->store, buf_str(&file) + 1);
		goto fail;
	}
	if (fstat(fd, &st)) {
		err_errno(&e, errno, "cannot stat object '%s%s'", s->store, buf_str(&file) + 1);
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != hit->size) {
		err_set(&e, AE_STATE, "object '%s%s' is not a %llu-byte file as catalogued", s->store,
			buf_str(&file) + 1, (unsigned long long)hit->size);
		goto fail;
	}

	snprintf(etag, sizeof(etag), "\"%s\"", hit->object);
	time_format_rfc2822(hit->imported, "GMT", lastmod);
	if (not_modified(c, etag, hit->imported)) {
		/*
		 * MHD 0.9.75 labels this "Content-Length: 0" whatever we add (a
		 * second header would be sent beside it); clients ignore it on a 304.
		 */
		ok = send_empty(s, c, r, MHD_HTTP_NOT_MODIFIED, MHD_HTTP_HEADER_ETAG, etag,
				MHD_HTTP_HEADER_LAST_MODIFIED, lastmod);
		goto out;
	}
	/* RFC 9110 14.2: Range is defined for GET only. */
	if (!head && range_applies(c, etag, lastmod))
		kind =
		    serve_parse_range(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE),
				      hit->size, &first, &last);
	if (kind == SERVE_RANGE_UNSAT) {
		snprintf(crange, sizeof(crange), "bytes */%llu", (unsigned long long)hit->size);
		ok = send_empty(s, c, r, MHD_HTTP_RANGE_NOT_SATISFIABLE, MHD_HTTP_HEADER_CONTENT_RANGE,
				crange, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
		goto out;
	}
	if (kind == SERVE_RANGE_ONE) {
		status = MHD_HTTP_PARTIAL_CONTENT;
		len = last - first + 1;
	} else {
		status = MHD_HTTP_OK;
		first = 0;
		len = hit->size;
	}
	/* MHD sends the file with sendfile() and closes fd with the response. */
	resp = MHD_create_response_from_fd_at_offset64(len, fd, first);
	if (!resp) {
		err_set(&e, AE_NOMEM, "cannot create a response for '%s'", path);
		goto fail;
	}
	fd = -1;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, serve_content_type(path)) == MHD_NO ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag) == MHD_NO ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, lastmod) == MHD_NO ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes") == MHD_NO ||
	    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") == MHD_NO) {
		err_set(&e, AE_NOMEM, "cannot add headers for '%s'", path);
		goto fail;
	}
	if (kind == SERVE_RANGE_ONE) {
		snprintf(crange, sizeof(crange), "bytes %llu-%llu/%llu", (unsigned long long)first,
			 (unsigned long long)last, (unsigned long long)hit->size);
		if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, crange) == MHD_NO) {
			err_set(&e, AE_NOMEM, "cannot add headers for '%s'", path);
			goto fail;
		}
	}
	ok = respond(s, c, r, status, resp, len, head);
	goto out;
fail:
	error_log(r, &e);
	ok = respond(s, c, r, MHD_HTTP_INTERNAL_SERVER_ERROR, s->r500, sizeof(body500) - 1, head);
out:
	if (resp)
		MHD_destroy_response(resp);
	if (fd >= 0)
		close(fd);
	buf_release(&file);
	return ok;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_data_size,
			      void **req_cls)
{
	struct server *s = cls;
	char decoded[DECODED_MAX];
	const char *source, *path;
	struct catalog_hit hit;
	struct req r = {.method = method, .url = url};
	struct catalog_reader *cat;
	struct err e;
	int head, ret;

	err_clear(&e);
	if (!strcmp(method, MHD_HTTP_METHOD_GET))
		head = 0;
	else if (!strcmp(method, MHD_HTTP_METHOD_HEAD))
		head = 1;
	else
		head = -1;

	/*
	 * MHD calls first with the headers alone.  A response queued then would
	 * make MHD close the connection, so answer on the call after the
	 * (empty) body to keep the connection alive for the next request.
	 * From this first call until request_done() the request counts as under
	 * way, which is what a draining server waits for.
	 */
	if (!*req_cls) {
		*req_cls = s;
		atomic_fetch_add(&s->requests, 1);
		if (head < 0) /* answered at once, so that no upload is read */
			return respond(s, c, &r, MHD_HTTP_METHOD_NOT_ALLOWED, s->r405, sizeof(body405) - 1,
				       0);
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0; /* a body on GET or HEAD means nothing: drop it */
		return MHD_YES;
	}

	ret = serve_decode_path(url, decoded, sizeof(decoded));
	if (ret == SERVE_BAD)
		return respond(s, c, &r, MHD_HTTP_BAD_REQUEST, s->r400, sizeof(body400) - 1, head);
	if (ret || serve_split_path(decoded, &source, &path) || !name_valid(source, strlen(source)))
		return respond(s, c, &r, MHD_HTTP_NOT_FOUND, s->r404, sizeof(body404) - 1, head);

	cat = pool_get(s);
	if (!cat) {
		err_set(&e, AE_STATE, "no idle catalog reader");
		error_log(&r, &e);
		return respond(s, c, &r, MHD_HTTP_INTERNAL_SERVER_ERROR, s->r500, sizeof(body500) - 1, head);
	}
	ret = catalog_reader_lookup(cat, source, path, &hit, &e);
	pool_put(s, cat);
	if (ret == -AE_NOTFOUND)
		return respond(s, c, &r, MHD_HTTP_NOT_FOUND, s->r404, sizeof(body404) - 1, head);
	if (ret) {
		error_log(&r, &e);
		return respond(s, c, &r, MHD_HTTP_INTERNAL_SERVER_ERROR, s->r500, sizeof(body500) - 1, head);
	}
	return serve_object(s, c, &r, head, path, &hit);
}

/* ---- start and stop ---- */

static void request_done(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct server *s = cls;

	if (*req_cls) {
		*req_cls = NULL;
		atomic_fetch_sub(&s->requests, 1);
	}
}

static void connection_event(void *cls, struct MHD_Connection *c, void **socket_context,
			     enum MHD_ConnectionNotificationCode toe)
{
	struct server *s = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		atomic_fetch_add(&s->connections, 1);
	else if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
		atomic_fetch_sub(&s->connections, 1);
}

/*
 * The connection limit.  MHD's own limit is set above it: at its limit MHD
 * stops accepting, and new clients would wait in the listen backlog with no
 * answer; here the connection over the limit is accepted and closed at once,
 * so the client knows.  Workers accepting at the same moment may each let
 * one more through; MHD's limit, threads higher, bounds that.
 */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct server *s = cls;

	return atomic_load(&s->connections) < s->conn_limit ? MHD_YES : MHD_NO;
}

static struct MHD_Response *fixed(const char *body, size_t len, const char *allow)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT);

	if (!r)
		return NULL;
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8") == MHD_NO ||
	    (allow && MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow) == MHD_NO)) {
		MHD_destroy_response(r);
		return NULL;
	}
	return r;
}

/* Our own socket, so that a bind failure is reported with its errno and port 0 can be resolved. */
static int listen_on(struct server *s, const char *where, int *out, struct err *e)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char host[INET6_ADDRSTRLEN];
	int fd = -1, one = 1, ret;
	uint16_t port;

	ret = serve_parse_listen(where, &ss, &len, e);
	if (ret)
		goto out;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		ret = err_errno(e, errno, "cannot create a socket for '%s'", where);
		goto out;
	}
	/* A restart must not wait for the old connections' TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))) {
		ret = err_errno(e, errno, "cannot set socket options for '%s'", where);
		goto out;
	}
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		ret = err_errno(e, errno, "cannot listen on '%s'", where);
		goto out;
	}
	if (listen(fd, SOMAXCONN)) {
		ret = err_errno(e, errno, "cannot listen on '%s'", where);
		goto out;
	}
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len)) {
		ret = err_errno(e, errno, "cannot read the address of '%s'", where);
		goto out;
	}
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof(host));
		port = ntohs(a6->sin6_port);
		snprintf(s->url, sizeof(s->url), "http://[%s]:%u/", host, (unsigned)port);
	} else {
		const struct sockaddr_in *a4 = (const struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a4->sin_addr, host, sizeof(host));
		port = ntohs(a4->sin_port);
		snprintf(s->url, sizeof(s->url), "http://%s:%u/", host, (unsigned)port);
	}
	*out = fd;
	fd = -1;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

int server_open(struct server **out, const struct serve_config *cfg, struct err *e)
{
	struct server *s = NULL;
	struct catalog_reader *r = NULL;
	struct catalog_hit hit;
	unsigned i;
	long ncpu;
	int ret;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		ret = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	s->store_fd = s->listen_fd = s->log.dir_fd = -1;
	s->log.fd = cfg->access_log ? -1 : STDERR_FILENO;
	atomic_init(&s->connections, 0);
	atomic_init(&s->requests, 0);
	s->anchor = cfg->anchor;
	s->anchor_cls = cfg->anchor_cls;
	s->conn_limit = cfg->conn_limit ? cfg->conn_limit : DEFAULT_CONN_LIMIT;
	s->per_ip_limit = cfg->per_ip_limit ? cfg->per_ip_limit : DEFAULT_PER_IP_LIMIT;
	s->timeout = cfg->timeout ? cfg->timeout : DEFAULT_TIMEOUT;
	s->threads = cfg->threads;
	if (!s->threads) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		s->threads = ncpu > 0 ? (unsigned)(ncpu > 256 ? 256 : ncpu) : 1;
	}
	s->store = strdup(cfg->store);
	s->catalog = strdup(cfg->catalog);
	if (!s->store || !s->catalog) {
		ret = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	if (pthread_mutex_init(&s->mu, NULL)) {
		ret = err_set(e, AE_NOMEM, "cannot create a mutex");
		goto out;
	}
	s->mu_ok = 1;
	if (pthread_mutex_init(&s->log.mu, NULL)) {
		ret = err_set(e, AE_NOMEM, "cannot create a mutex");
		goto out;
	}
	s->log.mu_ok = 1;

	/* Open and probe every reader now: see pool_get(). */
	s->cap = s->threads;
	s->idle = calloc(s->cap, sizeof(*s->idle));
	if (!s->idle) {
		ret = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < s->cap; i++) {
		ret = catalog_reader_open(&r, s->catalog, e);
		if (ret)
			goto out;
		/* A lookup maps the WAL index and opens the -wal file; no source is named "-". */
		ret = catalog_reader_lookup(r, "-", "-", &hit, e);
		if (ret && ret != -AE_NOTFOUND)
			goto out;
		err_clear(e);
		pool_put(s, r);
		r = NULL;
	}

	s->store_fd = open(s->store, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->store_fd < 0) {
		ret = err_errno(e, errno, "cannot open the store '%s'", s->store);
		goto out;
	}
	if (cfg->access_log) {
		ret = log_prepare(&s->log, cfg->access_log, e);
		if (ret)
			goto out;
	}

	s->r400 = fixed(body400, sizeof(body400) - 1, NULL);
	s->r404 = fixed(body404, sizeof(body404) - 1, NULL);
	s->r405 = fixed(body405, sizeof(body405) - 1, "GET, HEAD");
	s->r500 = fixed(body500, sizeof(body500) - 1, NULL);
	if (!s->r400 || !s->r404 || !s->r405 || !s->r500) {
		ret = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}

	ret = listen_on(s, cfg->listen, &s->listen_fd, e);
	if (ret)
		goto out;
	*out = s;
	s = NULL;
	ret = 0;
out:
	catalog_reader_close(r);
	server_stop(s);
	return ret;
}

int server_run(struct server *s, struct err *e)
{
	unsigned flags;
	int fd = -1, ret;

	if (s->daemon)
		return err_set(e, AE_STATE, "the server is running already");
	if (s->log.path) {
		ret = log_open_file(&s->log, &fd, e);
		if (ret)
			goto out;
		ret = sha256_init(&s->log.h, e);
		if (ret)
			goto out;
		s->log.fd = fd;
		fd = -1;
	}

	/* MHD_USE_ITC: server_quiesce() needs it with worker threads. */
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;
	flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? MHD_USE_EPOLL : MHD_USE_AUTO;
	/*
	 * The socket is MHD's from here on, even if the start fails (whether MHD
	 * closes it then is not documented: a leak before exit beats a double close).
	 */
	fd = s->listen_fd;
	s->listen_fd = -1;
	s->daemon = MHD_start_daemon(
	    flags, 0, accept_policy, s, handle, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    /* above ours, which accept_policy() enforces */
	    MHD_OPTION_CONNECTION_LIMIT, s->conn_limit + s->threads, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    s->per_ip_limit, MHD_OPTION_CONNECTION_TIMEOUT, s->timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    CONN_MEMORY_LIMIT, MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL, MHD_OPTION_NOTIFY_COMPLETED,
	    request_done, s, MHD_OPTION_NOTIFY_CONNECTION, connection_event, s,
	    /*
	     * Last: one thread means no pool, and MHD warns about a pool of 0 or 1,
	     * so the list ends here (MHD reads no further than MHD_OPTION_END).
	     */
	    s->threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, s->threads, MHD_OPTION_END);
	fd = -1;
	if (!s->daemon) {
		ret = err_set(e, AE_IO, "cannot start the HTTP server on '%s'", s->url);
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

const char *server_url(const struct server *s)
{
	return s->url;
}

const char *server_log_path(const struct server *s)
{
	return s->log.path;
}

int server_quiesce(struct server *s)
{
	MHD_socket fd;

	if (!s->daemon || s->quiesced)
		return -1;
	fd = MHD_quiesce_daemon(s->daemon);
	if (fd == MHD_INVALID_SOCKET)
		return -1;
	s->quiesced = 1;
	s->listen_fd = fd;
	/*
	 * MHD no longer polls the socket, but the kernel would still complete
	 * handshakes into its backlog and leave those clients waiting.  Shut
	 * down, a listening socket stops listening (Linux): new connections are
	 * refused at once and clients can go elsewhere.  The descriptor stays
	 * valid, so a worker still inside accept() gets an error, not another file.
	 */
	shutdown(fd, SHUT_RDWR);
	return 0;
}

void server_load(struct server *s, unsigned *requests, unsigned *connections)
{
	const union MHD_DaemonInfo *di = NULL;

	*requests = atomic_load(&s->requests);
	if (s->daemon)
		di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	*connections = di ? di->num_connections : atomic_load(&s->connections);
}

void server_stop(struct server *s)
{
	struct serve_log_segment seg;
	size_t i;
	int fd;

	if (!s)
		return;
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	/* MHD closes the socket unless it was quiesced, when it handed it back to us. */
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	/* No worker is left to write: the last segment is complete. */
	if (s->log.path && s->log.fd >= 0) {
		segment_take(&s->log, &seg);
		fd = s->log.fd;
		s->log.fd = -1;
		segment_finish(s, fd, &seg);
	}
	if (s->log.dir_fd >= 0)
		close(s->log.dir_fd);
	free(s->log.path);
	if (s->log.mu_ok)
		pthread_mutex_destroy(&s->log.mu);
	if (s->store_fd >= 0)
		close(s->store_fd);
	for (i = 0; i < s->nidle; i++)
		catalog_reader_close(s->idle[i]);
	free(s->idle);
	if (s->mu_ok)
		pthread_mutex_destroy(&s->mu);
	if (s->r400)
		MHD_destroy_response(s->r400);
	if (s->r404)
		MHD_destroy_response(s->r404);
	if (s->r405)
		MHD_destroy_response(s->r405);
	if (s->r500)
		MHD_destroy_response(s->r500);
	free(s->store);
	free(s->catalog);
	free(s);
}
