/*
 * fetch_run() against tests/tools/httpd.py, a real HTTP server started for
 * each test with the misbehaviour it needs: only a complete file whose size
 * and digest match is renamed into place, oversize answers are cut off
 * rather than downloaded, 4xx is final while 5xx and stalls are retried,
 * and a partial download resumes (or starts over when ranges are ignored).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "exporter/fetch.h"
#include "lib/buf.h"
#include "lib/fs.h"
#include "lib/hash.h"
#include "lib/banned.h"

#define FILE_SIZE (256 * 1024)
#define NPAR 8

struct fx {
	char dir[64];
	char www[128];
	char log[128];
	pid_t pid;
	int port;
	char url[NPAR][160];
	char dest[NPAR][160];
	char part[NPAR][168];
	struct fetch_item it[NPAR];
	struct fetch_opts o;
	struct err e;
};

static unsigned char data[FILE_SIZE];
static uint8_t data_sha[SHA256_LEN];

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[256];
	struct err e;
	int fd;

	err_clear(&e);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(fs_write_all(fd, p, n, path, &e), 0);
	close(fd);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint32_t s = 12345;
	size_t i;

	if (!f)
		return -1;
	for (i = 0; i < sizeof(data); i++) {
		s = s * 1103515245u + 12345u;
		data[i] = (unsigned char)(s >> 16);
	}
	sha256_buf(data, sizeof(data), data_sha);
	snprintf(f->dir, sizeof(f->dir), "/tmp/al-fetch-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->www, sizeof(f->www), "%s/www", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/httpd.log", f->dir);
	if (mkdir(f->www, 0755) < 0)
		return -1;
	write_file(f->www, "a.bin", data, sizeof(data));
	f->pid = -1;
	f->o.parallel = 4;
	f->o.connect_timeout = 5;
	f->o.low_speed_time = 5;
	f->o.low_speed_limit = 1;
	f->o.retries = 3;
	f->o.quiet = 1;
	err_clear(&f->e);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct err e;
	int st, i;

	err_clear(&e);
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		for (i = 0; i < 50 && waitpid(f->pid, &st, WNOHANG) == 0; i++)
			usleep(20000);
		if (i == 50) {
			kill(f->pid, SIGKILL);
			waitpid(f->pid, &st, 0);
		}
	}
	if (!getenv("KEEP_TMP") && fs_rm_rf(f->dir, &e))
		fprintf(stderr, "%s\n", e.msg);
	free(f);
	return 0;
}

static const char *httpd_path(void)
{
	const char *p = getenv("AIRLOCK_HTTPD");

	if (p)
		return p;
	/* tests/run.sh runs unit programs from the top of the tree */
	return "tests/tools/httpd.py";
}

/* Start httpd.py serving f->www with the given extra arguments (NULL-terminated). */
static void server_start(struct fx *f, ...)
{
	const char *argv[24];
	int pipefd[2], logfd, n = 0;
	char line[32];
	size_t got = 0;
	struct pollfd pfd;
	va_list ap;
	const char *a;

	argv[n++] = "python3";
	argv[n++] = httpd_path();
	argv[n++] = f->www;
	va_start(ap, f);
	while ((a = va_arg(ap, const char *)) && n < 22)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;

	assert_int_equal(pipe(pipefd), 0);
	logfd = open(f->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	assert_true(logfd >= 0);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(logfd, STDERR_FILENO);
		close(pipefd[0]);
		close(pipefd[1]);
		execvp("python3", (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	close(logfd);
	pfd.fd = pipefd[0];
	pfd.events = POLLIN;
	while (got < sizeof(line) - 1 && !memchr(line, '\n', got)) {
		ssize_t k;

		assert_int_equal(poll(&pfd, 1, 5000), 1);
		k = read(pipefd[0], line + got, sizeof(line) - 1 - got);
		assert_true(k > 0);
		got += (size_t)k;
	}
	close(pipefd[0]);
	line[got] = '\0';
	f->port = (int)strtol(line, NULL, 10);
	assert_true(f->port > 0);
}

/* Item i fetches name from the server into out<i>.bin; by default the whole a.bin checks. */
static struct fetch_item *item(struct fx *f, int i, const char *name)
{
	struct fetch_item *it = &f->it[i];
	char tmp[sizeof(f->dest[i])];

	/* through a local copy: GCC cannot tell that the fields of *f do not overlap */
	snprintf(f->url[i], sizeof(f->url[i]), "http://127.0.0.1:%d/%s", f->port, name);
	snprintf(tmp, sizeof(tmp), "%s/out%d.bin", f->dir, i);
	memcpy(f->dest[i], tmp, sizeof(tmp));
	snprintf(tmp, sizeof(tmp), "%s.part", f->dest[i]);
	memcpy(f->part[i], tmp, sizeof(f->part[i]) < sizeof(tmp) ? sizeof(f->part[i]) : sizeof(tmp));
	f->part[i][sizeof(f->part[i]) - 1] = '\0';
	memset(it, 0, sizeof(*it));
	it->url = f->url[i];
	it->dest = f->dest[i];
	it->max_size = 1 << 20;
	it->expect_size = FILE_SIZE;
	it->has_sha256 = 1;
	memcpy(it->sha256, data_sha, SHA256_LEN);
	return it;
}

static void assert_fetched(struct fx *f, int i)
{
	struct buf b;
	struct err e;

	err_clear(&e);
	if (f->it[i].result)
		fail_msg("item %d: %s", i, f->it[i].error);
	assert_int_equal(f->it[i].result, 0);
	assert_false(fs_exists(f->part[i]));
	buf_init(&b, 4 << 20);
	assert_int_equal(fs_read_file(f->dest[i], &b, &e), 0);
	assert_int_equal(b.len, FILE_SIZE);
	assert_memory_equal(b.ptr, data, FILE_SIZE);
	assert_int_equal(f->it[i].got_size, FILE_SIZE);
	assert_memory_equal(f->it[i].got_sha256, data_sha, SHA256_LEN);
	buf_release(&b);
}

/* fetch_run() with the message shown when the code is not the one wanted */
static void run_expect(struct fx *f, size_t n, int want)
{
	int r = fetch_run(f->it, n, &f->o, &f->e);

	if (r != want)
		fail_msg("fetch_run returned %d, not %d: %s", r, want, f->e.msg);
}

static void assert_nothing_left(struct fx *f, int i)
{
	assert_false(fs_exists(f->dest[i]));
	assert_false(fs_exists(f->part[i]));
}

static void assert_has(const char *s, const char *sub)
{
	if (!strstr(s, sub))
		fail_msg("'%s' does not contain '%s'", s, sub);
}

/* Server log lines containing pat, once the server has had time to write them. */
static int log_count(struct fx *f, const char *pat, char *last, size_t lastlen)
{
	struct buf b;
	struct err e;
	const char *p;
	int n = 0;

	usleep(150000);
	err_clear(&e);
	buf_init(&b, 1 << 20);
	assert_int_equal(fs_read_file(f->log, &b, &e), 0);
	for (p = buf_str(&b); (p = strstr(p, pat)); p++) {
		n++;
		if (last) {
			const char *eol = strchr(p, '\n');
			size_t len = eol ? (size_t)(eol - p) : strlen(p);

			snprintf(last, lastlen, "%.*s", (int)len, p);
		}
	}
	buf_release(&b);
	return n;
}

static void write_part(struct fx *f, int i, const void *p, size_t n)
{
	const char *slash = strrchr(f->part[i], '/');

	write_file(f->dir, slash + 1, p, n);
}

static void fetch_verified_file_is_renamed(void **state)
{
	struct fx *f = *state;

	server_start(f, NULL);
	item(f, 0, "a.bin");
	run_expect(f, 1, 0);
	assert_fetched(f, 0);
	assert_int_equal(log_count(f, "\"GET /a.bin ", NULL, 0), 1);
}

static void fetch_rejects_sha256_mismatch_without_retry(void **state)
{
	struct fx *f = *state;
	struct fetch_item *it;

	server_start(f, NULL);
	it = item(f, 0, "a.bin");
	it->sha256[7] ^= 1;
	run_expect(f, 1, -AE_REJECT);
	assert_int_equal(it->result, -AE_REJECT);
	assert_has(it->error, "sha256 mismatch");
	assert_has(it->error, f->url[0]);
	assert_has(f->e.msg, "sha256 mismatch");
	assert_nothing_left(f, 0);
	assert_int_equal(log_count(f, "\"GET /a.bin ", NULL, 0), 1);
}

static void fetch_cuts_off_oversize_response(void **state)
{
	struct fx *f = *state;
	char line[512];
	int64_t t0;
	const char *s;
	int i;

	/* 200 MB of junk: downloading it all would show in the time and in the server's count */
	write_file(f->www, "big.bin", data, sizeof(data));
	write_file(f->www, "big2.bin", data, sizeof(data));
	server_start(f, "--oversize", "/big.bin:200000000", "--oversize-nolength", "/big2.bin:200000000", NULL);
	item(f, 0, "big.bin");
	item(f, 1, "big2.bin");
	for (i = 0; i < 2; i++) {
		f->it[i].expect_size = 0;
		f->it[i].has_sha256 = 0;
		f->it[i].max_size = FILE_SIZE + 1000;
	}
	t0 = now_ms();
	run_expect(f, 2, -AE_REJECT);
	assert_true(now_ms() - t0 < 3000);
	for (i = 0; i < 2; i++) {
		assert_int_equal(f->it[i].result, -AE_REJECT);
		assert_has(f->it[i].error, "response larger than the 263144 bytes allowed");
		assert_nothing_left(f, i);
	}
	/* the streamed one (no Content-Length) was stopped early too */
	for (i = 0; i < 40 && log_count(f, "\"GET /big2.bin ", line, sizeof(line)) == 0; i++)
		;
	assert_has(line, "aborted");
	s = strstr(line, "sent=");
	assert_non_null(s);
	assert_true(strtoull(s + 5, NULL, 10) < 100000000ull);
	/* and neither was asked for again */
	assert_int_equal(log_count(f, "\"GET /big.bin ", NULL, 0), 1);
	assert_int_equal(log_count(f, "\"GET /big2.bin ", NULL, 0), 1);
}

static void fetch_rejects_size_mismatch(void **state)
{
	struct fx *f = *state;

	server_start(f, NULL);
	item(f, 0, "a.bin")->expect_size = FILE_SIZE - 1;
	item(f, 1, "a.bin")->expect_size = FILE_SIZE + 1;
	run_expect(f, 2, -AE_REJECT);
	assert_int_equal(f->it[0].result, -AE_REJECT);
	assert_has(f->it[0].error, "size mismatch");
	assert_int_equal(f->it[1].result, -AE_REJECT);
	assert_has(f->it[1].error, "size mismatch");
	assert_nothing_left(f, 0);
	assert_nothing_left(f, 1);
	assert_int_equal(log_count(f, "\"GET /a.bin ", NULL, 0), 2);
}

static void fetch_404_is_final(void **state)
{
	struct fx *f = *state;

	server_start(f, NULL);
	item(f, 0, "missing.bin");
	run_expect(f, 1, -AE_NOTFOUND);
	assert_int_equal(f->it[0].result, -AE_NOTFOUND);
	assert_has(f->it[0].error, "HTTP 404");
	assert_has(f->it[0].error, f->url[0]);
	assert_nothing_left(f, 0);
	assert_int_equal(log_count(f, "\"GET /missing.bin ", NULL, 0), 1);
}

static void fetch_retries_5xx(void **state)
{
	struct fx *f = *state;

	server_start(f, "--fail", "/a.bin:2", NULL);
	item(f, 0, "a.bin");
	run_expect(f, 1, 0);
	assert_fetched(f, 0);
	assert_int_equal(log_count(f, "\"GET /a.bin HTTP/1.1\" 500", NULL, 0), 2);
	assert_int_equal(log_count(f, "\"GET /a.bin ", NULL, 0), 3);
}

static void fetch_gives_up_after_retries(void **state)
{
	struct fx *f = *state;

	server_start(f, "--fail", "/a.bin:100", NULL);
	item(f, 0, "a.bin");
	f->o.retries = 2;
	run_expect(f, 1, -AE_IO);
	assert_has(f->it[0].error, "HTTP 500");
	assert_int_equal(log_count(f, "\"GET /a.bin ", NULL, 0), 3);
}

static void fetch_stall_times_out_and_keeps_part(void **state)
{
	struct fx *f = *state;
	int64_t t0, dt;

	server_start(f, "--stall", "/a.bin:65536", NULL);
	item(f, 0, "a.bin");
	f->o.low_speed_time = 2;
	f->o.retries = 1;
	t0 = now_ms();
	run_expect(f, 1, -AE_IO);
	dt = now_ms() - t0;
	assert_true(dt < 8000);
	assert_has(f->it[0].error, "timed out (no data for 2 s)");
	assert_has(f->it[0].error, f->url[0]);
	/* the retry resumed where the first attempt stalled */
	assert_int_equal(log_count(f, "range=bytes=65536-", NULL, 0), 1);
	/* what arrived stays for the next run to resume */
	assert_false(fs_exists(f->dest[0]));
	assert_true(fs_exists(f->part[0]));
}

static void fetch_resumes_part(void **state)
{
	struct fx *f = *state;

	server_start(f, NULL);
	item(f, 0, "a.bin");
	write_part(f, 0, data, FILE_SIZE / 2);
	run_expect(f, 1, 0);
	assert_fetched(f, 0);
	assert_int_equal(log_count(f, "206 range=bytes=131072-", NULL, 0), 1);
	assert_int_equal(log_count(f, "\"GET /a.bin ", NULL, 0), 1);
}

static void fetch_starts_over_without_range_support(void **state)
{
	struct fx *f = *state;

	server_start(f, "--no-range", NULL);
	item(f, 0, "a.bin");
	/* a wrong first half: only a full restart can end with the right digest */
	write_part(f, 0, data + 1, FILE_SIZE / 2);
	run_expect(f, 1, 0);
	assert_fetched(f, 0);
	assert_int_equal(log_count(f, "\"GET /a.bin HTTP/1.1\" 200 range=- sent=262144", NULL, 0), 1);
}

static void fetch_uses_complete_leftover_part(void **state)
{
	struct fx *f = *state;
	static unsigned char bad[FILE_SIZE];

	server_start(f, NULL);
	item(f, 0, "a.bin");
	item(f, 1, "a.bin");
	/* a run that stopped between the last byte and the rename: no download needed */
	write_part(f, 0, data, FILE_SIZE);
	/* same size, wrong bytes: fetched again rather than rejected */
	memcpy(bad, data, FILE_SIZE);
	bad[100] ^= 0xff;
	write_part(f, 1, bad, FILE_SIZE);
	run_expect(f, 2, 0);
	assert_fetched(f, 0);
	assert_fetched(f, 1);
	assert_int_equal(log_count(f, "\"GET /a.bin ", NULL, 0), 1);
}

static void fetch_drops_part_larger_than_cap(void **state)
{
	struct fx *f = *state;
	static unsigned char junk[FILE_SIZE + 10];

	server_start(f, NULL);
	item(f, 0, "a.bin")->max_size = FILE_SIZE + 5;
	memset(junk, 'x', sizeof(junk));
	write_part(f, 0, junk, sizeof(junk));
	run_expect(f, 1, 0);
	assert_fetched(f, 0);
	assert_int_equal(log_count(f, "range=-", NULL, 0), 1);
}

static void fetch_follows_redirect_to_http_only(void **state)
{
	struct fx *f = *state;

	server_start(f, "--redirect", "/old.bin:/a.bin", "--redirect", "/evil.bin:file:///etc/passwd", NULL);
	item(f, 0, "old.bin");
	item(f, 1, "evil.bin");
	f->it[1].has_sha256 = 0;
	f->it[1].expect_size = 0;
	run_expect(f, 2, -AE_IO);
	assert_fetched(f, 0);
	assert_int_equal(f->it[1].result, -AE_IO);
	assert_nothing_left(f, 1);
	assert_int_equal(log_count(f, "\"GET /evil.bin ", NULL, 0), 1);
}

static void fetch_runs_in_parallel(void **state)
{
	struct fx *f = *state;
	char name[32];
	int i;

	for (i = 0; i < NPAR; i++) {
		snprintf(name, sizeof(name), "p%d.bin", i);
		write_file(f->www, name, data, sizeof(data));
	}
	server_start(f, "--fail", "/p3.bin:1", NULL);
	for (i = 0; i < NPAR; i++) {
		snprintf(name, sizeof(name), "p%d.bin", i);
		item(f, i, name);
	}
	run_expect(f, NPAR, 0);
	for (i = 0; i < NPAR; i++)
		assert_fetched(f, i);
	assert_int_equal(log_count(f, "\"GET /p", NULL, 0), NPAR + 1);
}

static void fetch_refused_connection_is_retried_then_fails(void **state)
{
	struct fx *f = *state;

	/* a port that was just free: bind, note it, close */
	server_start(f, NULL);
	kill(f->pid, SIGTERM);
	waitpid(f->pid, NULL, 0);
	f->pid = -1;
	item(f, 0, "a.bin");
	f->o.retries = 1;
	run_expect(f, 1, -AE_IO);
	assert_has(f->it[0].error, f->url[0]);
	assert_nothing_left(f, 0);
}

static void fetch_requires_max_size(void **state)
{
	struct fx *f = *state;

	f->port = 1;
	item(f, 0, "a.bin")->max_size = 0;
	run_expect(f, 1, -AE_USAGE);
	assert_int_equal(f->it[0].result, -AE_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(fetch_verified_file_is_renamed),
		T(fetch_rejects_sha256_mismatch_without_retry),
		T(fetch_cuts_off_oversize_response),
		T(fetch_rejects_size_mismatch),
		T(fetch_404_is_final),
		T(fetch_retries_5xx),
		T(fetch_gives_up_after_retries),
		T(fetch_stall_times_out_and_keeps_part),
		T(fetch_resumes_part),
		T(fetch_starts_over_without_range_support),
		T(fetch_uses_complete_leftover_part),
		T(fetch_drops_part_larger_than_cap),
		T(fetch_follows_redirect_to_http_only),
		T(fetch_runs_in_parallel),
		T(fetch_refused_connection_is_retried_then_fails),
		T(fetch_requires_max_size),
#undef T
	};

	/* retries wait 50 ms, 100 ms ... instead of 1 s, 2 s ... */
	setenv("AIRLOCK_FETCH_BACKOFF_MS", "50", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
