#include "exporter/fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fs.h"
#include "lib/progress.h"
#include "lib/banned.h"

#define PATH_MAX_LEN 4096
#define MAX_PARALLEL 64
#define MAX_RETRIES 10
#define BACKOFF_MAX_MS 60000

enum xstate { X_NEW, X_RUNNING, X_WAIT, X_DONE };

/* Why a callback stopped a transfer (curl then reports a write error or an abort). */
enum xabort { AB_NONE, AB_TOOBIG, AB_EXPECT, AB_IO, AB_STALL };

struct xfer {
	struct fetch_item *it;
	CURL *h;
	enum xstate state;
	int fd;
	struct sha256 sha;
	struct buf part;      /* "<dest>.part" */
	uint64_t have;        /* bytes in the .part, all of them hashed */
	uint64_t start;       /* offset asked for in this attempt */
	uint64_t limit;       /* bytes the finished file may hold */
	int body_seen;        /* the write callback ran in this attempt */
	enum xabort abort;
	int abort_errno;
	int no_resume;        /* the server ignored a Range once: always start over */
	unsigned attempts;    /* failed attempts so far */
	int64_t next_ms;      /* earliest start of the next attempt */
	int64_t idle_until;   /* the stall watchdog fires after this */
	curl_off_t last_dl;   /* bytes seen by the watchdog */
	int64_t idle_ms;      /* allowed silence once data flows */
	struct progress *prog;
	struct err e;
	char cerr[CURL_ERROR_SIZE];
};

struct run {
	struct xfer *x;
	size_t n;
	CURLM *m;
	struct progress prog;
	unsigned parallel, retries;
	long connect_timeout, low_speed_time, low_speed_limit;
	int64_t backoff_ms;
	unsigned running;
	size_t next_new;      /* items before this have been started at least once */
	size_t ndone;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The base backoff; tests shorten it through AIRLOCK_FETCH_BACKOFF_MS. */
static int64_t backoff_base(void)
{
	const char *s = getenv("AIRLOCK_FETCH_BACKOFF_MS");
	char *end;
	unsigned long v;

	if (!s || !*s)
		return 1000;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > BACKOFF_MAX_MS)
		return 1000;
	return (int64_t)v;
}

static void part_close(struct xfer *x)
{
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	sha256_release(&x->sha);
}

static int part_truncate(struct xfer *x)
{
	if (ftruncate(x->fd, 0) < 0)
		return err_errno(&x->e, errno, "cannot truncate '%s'", x->part.ptr);
	sha256_release(&x->sha);
	x->have = 0;
	return sha256_init(&x->sha, &x->e);
}

/*
 * Open the .part and hash what it already holds, so that a resumed
 * download ends with the digest of the whole file.  A .part that cannot be
 * a prefix of an acceptable file is emptied.
 */
static int part_open(struct xfer *x)
{
	char *blk = NULL;
	struct stat st;
	ssize_t k;
	int r;

	x->have = 0;
	r = sha256_init(&x->sha, &x->e);
	if (r)
		goto out;
	/* O_RDWR rather than O_WRONLY: the existing bytes are read back for the hash */
	x->fd = open(x->part.ptr, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (x->fd < 0) {
		r = err_errno(&x->e, errno, "cannot open '%s'", x->part.ptr);
		goto out;
	}
	if (fstat(x->fd, &st) < 0) {
		r = err_errno(&x->e, errno, "cannot stat '%s'", x->part.ptr);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = err_set(&x->e, AE_IO, "'%s' is not a regular file", x->part.ptr);
		goto out;
	}
	if (st.st_size == 0)
		goto out;
	if (x->no_resume || (uint64_t)st.st_size > x->limit) {
		r = part_truncate(x);
		goto out;
	}
	blk = malloc(1 << 20);
	if (!blk) {
		r = err_set(&x->e, AE_NOMEM, "out of memory");
		goto out;
	}
	/* pread: the file offset is irrelevant for O_APPEND writes, but be explicit */
	while ((k = pread(x->fd, blk, 1 << 20, (off_t)x->have)) != 0) {
		if (k < 0) {
			if (errno == EINTR)
				continue;
			r = err_errno(&x->e, errno, "cannot read '%s'", x->part.ptr);
			goto out;
		}
		sha256_update(&x->sha, blk, (size_t)k);
		x->have += (uint64_t)k;
		if (x->have > x->limit) {
			/* grew while we read it: not ours to trust */
			r = part_truncate(x);
			goto out;
		}
	}
out:
	free(blk);
	if (r)
		part_close(x);
	return r;
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;

	if (!x->body_seen) {
		long code = 0;

		x->body_seen = 1;
		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
		/* libcurl refuses a 200 to a resume itself; this keeps us right if it ever lets one by */
		if (x->start && code != 206) {
			if (part_truncate(x)) {
				x->abort = AB_IO;
				x->abort_errno = errno;
				return 0;
			}
			x->no_resume = 1;
		}
	}
	if (n > x->limit - x->have) {
		x->abort = x->limit < x->it->max_size ? AB_EXPECT : AB_TOOBIG;
		return 0;
	}
	while (n) {
		ssize_t k = write(x->fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			x->abort = AB_IO;
			x->abort_errno = errno;
			return 0;
		}
		/* hash exactly what reached the file, so that .part and digest agree */
		sha256_update(&x->sha, p, (size_t)k);
		x->have += (uint64_t)k;
		progress_add(x->prog, (uint64_t)k);
		p += k;
		n -= (size_t)k;
	}
	return size * nmemb;
}

/*
 * A watchdog for silence.  libcurl's low-speed check averages over a
 * window of several seconds, so after a burst a stalled server is only
 * noticed seconds late; this counts from the last byte.  Before the first
 * byte the connect timeout is added, so that a slow connect is left to
 * CURLOPT_CONNECTTIMEOUT.
 */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = ud;
	int64_t t = now_ms();

	if (dlnow != x->last_dl) {
		x->last_dl = dlnow;
		x->idle_until = t + x->idle_ms;
		return 0;
	}
	if (t < x->idle_until)
		return 0;
	x->abort = AB_STALL;
	return 1;
}

static int easy_setup(struct run *R, struct xfer *x)
{
	CURL *h = x->h;
	CURLcode c = CURLE_OK;

#define SET(opt, val)                                  \
	do {                                           \
		if (c == CURLE_OK)                     \
			c = curl_easy_setopt(h, opt, val); \
	} while (0)
	SET(CURLOPT_URL, x->it->url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, 5L);
	SET(CURLOPT_CONNECTTIMEOUT, R->connect_timeout);
	SET(CURLOPT_LOW_SPEED_LIMIT, R->low_speed_limit);
	SET(CURLOPT_LOW_SPEED_TIME, R->low_speed_time);
	/* error bodies never reach the .part; the status is read back afterwards */
	SET(CURLOPT_FAILONERROR, 1L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USERAGENT, "airlock/0.1");
	SET(CURLOPT_ERRORBUFFER, x->cerr);
	SET(CURLOPT_WRITEFUNCTION, on_data);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_PRIVATE, x);
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_XFERINFOFUNCTION, on_progress);
	SET(CURLOPT_XFERINFODATA, x);
	/* no Accept-Encoding: the bytes hashed must be the bytes of the file */
	SET(CURLOPT_RESUME_FROM_LARGE, (curl_off_t)x->start);
	/*
	 * refuses a too large Content-Length before any body arrives.  The
	 * whole limit even when resuming: a server that ignores the Range
	 * answers with the whole file, which must reach the restart logic
	 * below; a 206 that runs past the limit meets the write callback.
	 */
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->limit);
#undef SET
	if (c != CURLE_OK)
		return err_set(&x->e, AE_IO, "'%s': %s", x->it->url, curl_easy_strerror(c));
	return 0;
}

static void item_finish(struct run *R, struct xfer *x, int r)
{
	struct fetch_item *it = x->it;

	if (x->h) {
		if (x->state == X_RUNNING) {
			curl_multi_remove_handle(R->m, x->h);
			R->running--;
		}
		curl_easy_cleanup(x->h);
		x->h = NULL;
	}
	part_close(x);
	/* an empty .part holds nothing worth resuming */
	if (r && x->part.len) {
		struct stat st;

		if (lstat(x->part.ptr, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
			unlink(x->part.ptr);
	}
	it->result = r;
	if (r)
		snprintf(it->error, sizeof(it->error), "%s", x->e.msg);
	else
		it->error[0] = '\0';
	x->state = X_DONE;
	R->ndone++;
}

static int parent_sync(const char *path, struct err *e)
{
	struct buf dir;
	const char *slash = strrchr(path, '/');
	int r;

	buf_init(&dir, PATH_MAX_LEN);
	if (!slash)
		r = buf_adds(&dir, ".", e);
	else if (slash == path)
		r = buf_adds(&dir, "/", e);
	else
		r = buf_add(&dir, path, (size_t)(slash - path), e);
	if (!r)
		r = fs_fsync_dir(buf_str(&dir), e);
	buf_release(&dir);
	return r;
}

/*
 * The .part is complete as far as the transfer goes: check it against what
 * was expected and only then give it its real name.  1 means the leftover
 * .part did not match and the item should start over.
 */
static int verify_and_commit(struct xfer *x, int leftover)
{
	struct fetch_item *it = x->it;
	char want[SHA256_HEX], got[SHA256_HEX];

	sha256_final(&x->sha, it->got_sha256);
	it->got_size = x->have;
	if (it->expect_size && x->have != it->expect_size) {
		if (leftover)
			return 1;
		unlink(x->part.ptr);
		return err_reject(&x->e, "'%s': size mismatch (expected %" PRIu64 " bytes, got %" PRIu64 ")",
				  it->url, it->expect_size, x->have);
	}
	if (it->has_sha256 && memcmp(it->sha256, it->got_sha256, SHA256_LEN)) {
		if (leftover)
			return 1;
		unlink(x->part.ptr);
		hex_encode(it->sha256, SHA256_LEN, want);
		hex_encode(it->got_sha256, SHA256_LEN, got);
		return err_reject(&x->e, "'%s': sha256 mismatch (expected %s, got %s)", it->url, want, got);
	}
	if (fsync(x->fd) < 0)
		return err_errno(&x->e, errno, "cannot sync '%s'", x->part.ptr);
	if (rename(x->part.ptr, it->dest) < 0)
		return err_errno(&x->e, errno, "cannot rename '%s' to '%s'", x->part.ptr, it->dest);
	return parent_sync(it->dest, &x->e);
}

/* Begin one attempt; on failure, or when no transfer is needed, the item is finished here. */
static int item_start(struct run *R, struct xfer *x)
{
	struct fetch_item *it = x->it;
	CURLMcode mc;
	int r, done = 0;

	err_clear(&x->e);
	x->cerr[0] = '\0';
	x->abort = AB_NONE;
	x->body_seen = 0;
	x->last_dl = 0;
	x->idle_ms = R->low_speed_time * 1000;
	x->idle_until = now_ms() + (R->connect_timeout + R->low_speed_time) * 1000;
	r = part_open(x);
	if (r)
		goto out;
	if (it->expect_size && x->have == it->expect_size) {
		/* a complete leftover (a run stopped before its rename) costs no download */
		uint64_t had = x->have;

		r = verify_and_commit(x, 1);
		if (r <= 0) {
			if (!r)
				progress_add(&R->prog, had);
			done = 1;
			goto out;
		}
		/* it did not match: start over, but keep resuming later attempts */
		part_close(x);
		x->no_resume = 1;
		r = part_open(x);
		x->no_resume = 0;
		if (r)
			goto out;
	}
	if (x->attempts == 0)
		progress_add(&R->prog, x->have);
	x->start = x->have;
	if (!x->h) {
		x->h = curl_easy_init();
		if (!x->h) {
			r = err_set(&x->e, AE_NOMEM, "'%s': cannot create a transfer", it->url);
			goto out;
		}
	}
	r = easy_setup(R, x);
	if (r)
		goto out;
	mc = curl_multi_add_handle(R->m, x->h);
	if (mc != CURLM_OK) {
		r = err_set(&x->e, AE_IO, "'%s': %s", it->url, curl_multi_strerror(mc));
		goto out;
	}
	x->state = X_RUNNING;
	R->running++;
out:
	if (r || done)
		item_finish(R, x, r);
	return r;
}

static int retryable_curl(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_AGAIN:
	case CURLE_HTTP3:
	case CURLE_QUIC_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

/*
 * Classify a finished attempt.  Returns 0 when the file is in place, 1 to
 * try again (x->e says why), 2 to start over at once without counting an
 * attempt (the server would not resume), or a negative code to give up.
 */
static int attempt_result(struct run *R, struct xfer *x, CURLcode c)
{
	struct fetch_item *it = x->it;
	long code = 0;
	curl_off_t pre = 0;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	switch (x->abort) {
	case AB_TOOBIG:
		unlink(x->part.ptr);
		return err_reject(&x->e, "'%s': response larger than the %" PRIu64 " bytes allowed", it->url,
				  it->max_size);
	case AB_EXPECT:
		unlink(x->part.ptr);
		return err_reject(&x->e, "'%s': size mismatch (more than the %" PRIu64 " bytes expected)", it->url,
				  it->expect_size);
	case AB_IO:
		return err_errno(&x->e, x->abort_errno, "cannot write '%s'", x->part.ptr);
	case AB_STALL:
		err_set(&x->e, AE_IO, "'%s': timed out (no data for %ld s)", it->url, R->low_speed_time);
		return 1;
	case AB_NONE:
		break;
	}
	if (c == CURLE_FILESIZE_EXCEEDED) {
		unlink(x->part.ptr);
		if (x->limit < it->max_size)
			return err_reject(&x->e, "'%s': size mismatch (more than the %" PRIu64 " bytes expected)",
					  it->url, it->expect_size);
		return err_reject(&x->e, "'%s': response larger than the %" PRIu64 " bytes allowed", it->url,
				  it->max_size);
	}
	/* asked to resume, answered with the whole file (or 416 for a stale .part) */
	if (x->start && !x->no_resume &&
	    (c == CURLE_RANGE_ERROR || (c == CURLE_HTTP_RETURNED_ERROR && code == 416) ||
	     (c == CURLE_OK && code == 200 && !x->body_seen))) {
		x->no_resume = 1;
		return 2;
	}
	if (c == CURLE_HTTP_RETURNED_ERROR || (c == CURLE_OK && code != 200 && code != 206)) {
		char *eff = NULL;

		curl_easy_getinfo(x->h, CURLINFO_EFFECTIVE_URL, &eff);
		/* absent is not failed: a caller may fall back (InRelease -> Release + Release.gpg) */
		int kind = code == 404 || code == 410 ? AE_NOTFOUND : AE_IO;

		if (eff && strcmp(eff, it->url))
			err_set(&x->e, kind, "'%s': HTTP %ld (from '%s')", it->url, code, eff);
		else
			err_set(&x->e, kind, "'%s': HTTP %ld", it->url, code);
		return code >= 500 && code <= 599 ? 1 : -kind;
	}
	if (c == CURLE_OPERATION_TIMEDOUT) {
		curl_easy_getinfo(x->h, CURLINFO_PRETRANSFER_TIME_T, &pre);
		if (pre > 0)
			err_set(&x->e, AE_IO, "'%s': timed out (less than %ld bytes/s for %ld s)", it->url,
				R->low_speed_limit, R->low_speed_time);
		else
			err_set(&x->e, AE_IO, "'%s': timed out (no connection within %ld s)", it->url,
				R->connect_timeout);
		return 1;
	}
	if (c != CURLE_OK) {
		err_set(&x->e, AE_IO, "'%s': %s", it->url, x->cerr[0] ? x->cerr : curl_easy_strerror(c));
		return retryable_curl(c) ? 1 : -AE_IO;
	}
	return verify_and_commit(x, 0);
}

static void item_done(struct run *R, struct xfer *x, CURLcode c)
{
	int r = attempt_result(R, x, c);

	if (r <= 0) {
		item_finish(R, x, r);
		return;
	}
	curl_multi_remove_handle(R->m, x->h);
	R->running--;
	x->state = X_WAIT;
	part_close(x);
	if (r == 1) {
		int64_t delay;

		if (x->attempts >= R->retries) {
			item_finish(R, x, -AE_IO);
			return;
		}
		/* 1 s, 2 s, 4 s ... from the base, never more than a minute at once */
		delay = R->backoff_ms << (x->attempts < 16 ? x->attempts : 16);
		if (delay > BACKOFF_MAX_MS)
			delay = BACKOFF_MAX_MS;
		x->attempts++;
		x->next_ms = now_ms() + delay;
	} else {
		x->next_ms = 0;
	}
}

/* Fill free slots: retries that are due first, then items not yet begun. */
static void start_ready(struct run *R)
{
	int64_t t = now_ms();
	size_t i;

	for (i = 0; i < R->next_new && R->running < R->parallel; i++)
		if (R->x[i].state == X_WAIT && R->x[i].next_ms <= t)
			(void)item_start(R, &R->x[i]);
	while (R->next_new < R->n && R->running < R->parallel) {
		struct xfer *x = &R->x[R->next_new++];

		if (x->state == X_NEW)
			(void)item_start(R, x);
	}
}

/* How long to sleep in curl_multi_poll: until the next retry is due, at most 1 s. */
static int poll_timeout(struct run *R)
{
	int64_t t = now_ms(), wait = 1000;
	size_t i;

	if (R->running >= R->parallel)
		return (int)wait;
	for (i = 0; i < R->next_new; i++)
		if (R->x[i].state == X_WAIT && R->x[i].next_ms - t < wait)
			wait = R->x[i].next_ms - t;
	return wait < 0 ? 0 : (int)wait;
}

static int run_init(struct run *R, struct fetch_item *items, size_t n, const struct fetch_opts *o,
		    struct err *e)
{
	uint64_t total = 0;
	size_t i;
	int r = 0;

	R->n = n;
	R->parallel = o && o->parallel ? o->parallel : 4;
	if (R->parallel > MAX_PARALLEL)
		R->parallel = MAX_PARALLEL;
	R->connect_timeout = o && o->connect_timeout > 0 ? o->connect_timeout : 30;
	R->low_speed_time = o && o->low_speed_time > 0 ? o->low_speed_time : 60;
	R->low_speed_limit = o && o->low_speed_limit > 0 ? o->low_speed_limit : 1;
	R->retries = o && o->retries ? o->retries : 3;
	if (R->retries > MAX_RETRIES)
		R->retries = MAX_RETRIES;
	R->backoff_ms = backoff_base();
	R->x = calloc(n ? n : 1, sizeof(*R->x));
	if (!R->x)
		return err_set(e, AE_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		struct xfer *x = &R->x[i];
		struct fetch_item *it = &items[i];

		x->it = it;
		x->fd = -1;
		x->prog = &R->prog;
		buf_init(&x->part, PATH_MAX_LEN);
		it->result = 0;
		it->error[0] = '\0';
		it->got_size = 0;
		memset(it->got_sha256, 0, sizeof(it->got_sha256));
		x->limit = it->max_size;
		if (it->expect_size && it->expect_size < x->limit)
			x->limit = it->expect_size;
		total += it->expect_size;
		if (!it->url || !it->dest || !it->max_size) {
			err_set(&x->e, AE_USAGE, "'%s': url, dest and max_size are required",
				it->url ? it->url : "(null)");
			item_finish(R, x, -AE_USAGE);
			continue;
		}
		if (buf_addf(&x->part, &x->e, "%s.part", it->dest)) {
			item_finish(R, x, -x->e.code);
			continue;
		}
	}
	R->m = curl_multi_init();
	if (!R->m)
		return err_set(e, AE_NOMEM, "cannot create a curl multi handle");
	curl_multi_setopt(R->m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)R->parallel);
	progress_start(&R->prog, "fetch", total, (o && o->quiet) || total == 0);
	return r;
}

int fetch_run(struct fetch_item *items, size_t n, const struct fetch_opts *o, struct err *e)
{
	struct run R;
	CURLMcode mc;
	CURLMsg *msg;
	size_t i;
	int r = 0, q, still, finished;

	memset(&R, 0, sizeof(R));
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return err_set(e, AE_IO, "cannot initialise libcurl: %s", curl_easy_strerror(global_rc));
	r = run_init(&R, items, n, o, e);
	if (r)
		goto out;
	while (R.ndone < R.n) {
		start_ready(&R);
		mc = curl_multi_perform(R.m, &still);
		if (mc != CURLM_OK) {
			r = err_set(e, AE_IO, "curl: %s", curl_multi_strerror(mc));
			goto out;
		}
		finished = 0;
		while ((msg = curl_multi_info_read(R.m, &q))) {
			char *priv = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
			item_done(&R, (struct xfer *)(void *)priv, msg->data.result);
			finished = 1;
		}
		if (R.ndone == R.n)
			break;
		/* a freed slot is filled at once rather than after the next poll */
		if (finished)
			continue;
		mc = curl_multi_poll(R.m, NULL, 0, poll_timeout(&R), NULL);
		if (mc != CURLM_OK) {
			r = err_set(e, AE_IO, "curl: %s", curl_multi_strerror(mc));
			goto out;
		}
	}
	progress_done(&R.prog);
	for (i = 0; i < n; i++) {
		if (items[i].result) {
			r = err_set(e, -items[i].result, "%s", items[i].error);
			break;
		}
	}
out:
	if (R.x) {
		for (i = 0; i < R.n; i++) {
			struct xfer *x = &R.x[i];

			if (x->state != X_DONE && r) {
				err_set(&x->e, -r, "'%s': not fetched: %s", x->it->url, e->msg);
				item_finish(&R, x, r);
			}
			buf_release(&x->part);
		}
	}
	if (R.m)
		curl_multi_cleanup(R.m);
	free(R.x);
	return r;
}
