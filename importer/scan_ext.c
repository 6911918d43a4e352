#include "importer/scan_ext.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/banned.h"

#define CMD_MAX 4096
#define CAPTURE_MAX 4096

extern char **environ;

/* What the child wrote: the first CAPTURE_MAX bytes; the rest is read and dropped. */
struct capture {
	char data[CAPTURE_MAX];
	size_t len;
};

static int is_exec_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The program as execve needs it: a name with a slash as it is, else the first match on PATH. */
static int resolve(struct scan_ext *x, struct err *e)
{
	const char *path = getenv("PATH"), *p, *end;
	struct err ignore = {0};
	struct buf b;

	if (strchr(x->words[0], '/')) {
		x->prog = strdup(x->words[0]);
		if (!x->prog)
			return err_set(e, AE_NOMEM, "out of memory");
		if (!is_exec_file(x->prog))
			return err_set(e, AE_NOTFOUND,
				       "scan: external scanner '%s' is not an executable file", x->prog);
		return 0;
	}
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	buf_init(&b, 8192);
	for (p = path; !x->prog && *p; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		buf_reset(&b);
		if (end == p || buf_add(&b, p, (size_t)(end - p), &ignore) ||
		    buf_addf(&b, &ignore, "/%s", x->words[0]))
			continue;
		if (is_exec_file(b.ptr))
			x->prog = buf_detach(&b, NULL);
	}
	buf_release(&b);
	if (!x->prog)
		return err_set(e, AE_NOTFOUND, "scan: external scanner '%s' is not on PATH", x->words[0]);
	return 0;
}

int scan_ext_init(struct scan_ext *x, const char *cmd, unsigned timeout, struct err *e)
{
	const char *p = cmd;

	memset(x, 0, sizeof(*x));
	x->timeout = timeout ? timeout : 60;
	if (strlen(cmd) > CMD_MAX)
		return err_set(e, AE_USAGE, "scan: external scanner command is longer than %d bytes",
			       CMD_MAX);
	x->cmdline = strdup(cmd);
	if (!x->cmdline)
		return err_set(e, AE_NOMEM, "out of memory");
	while (*p) {
		size_t n;

		p += strspn(p, " \t");
		n = strcspn(p, " \t");
		if (!n)
			break;
		if (x->nwords == SCAN_EXT_MAX_WORDS)
			return err_set(e, AE_USAGE, "scan: external scanner command has more than %d words",
				       SCAN_EXT_MAX_WORDS);
		x->words[x->nwords] = strndup(p, n);
		if (!x->words[x->nwords])
			return err_set(e, AE_NOMEM, "out of memory");
		if (strstr(x->words[x->nwords], "{}"))
			x->has_placeholder = 1;
		x->nwords++;
		p += n;
	}
	if (!x->nwords)
		return err_set(e, AE_USAGE, "scan: external scanner command is empty");
	return resolve(x, e);
}

void scan_ext_release(struct scan_ext *x)
{
	size_t i;

	for (i = 0; i < x->nwords; i++)
		free(x->words[i]);
	free(x->prog);
	free(x->cmdline);
	memset(x, 0, sizeof(*x));
}

/* One word with every "{}" replaced by path, newly allocated. */
static char *substitute(const char *word, const char *path)
{
	struct err ignore = {0};
	const char *p = word, *hit;
	struct buf b;

	buf_init(&b, CMD_MAX + 2 * 8192);
	while ((hit = strstr(p, "{}"))) {
		if (buf_add(&b, p, (size_t)(hit - p), &ignore) || buf_adds(&b, path, &ignore))
			goto fail;
		p = hit + 2;
	}
	if (buf_adds(&b, p, &ignore))
		goto fail;
	return buf_detach(&b, NULL);
fail:
	buf_release(&b);
	return NULL;
}

/* argv for one run; the caller frees the words marked in owned[]. */
static int build_argv(const struct scan_ext *x, const char *path, char **argv, int *owned, struct err *e)
{
	size_t i, n = 0;

	for (i = 0; i < x->nwords; i++, n++) {
		owned[n] = strstr(x->words[i], "{}") != NULL;
		argv[n] = owned[n] ? substitute(x->words[i], path) : x->words[i];
		if (!argv[n])
			return err_set(e, AE_NOMEM, "out of memory");
	}
	if (!x->has_placeholder) {
		owned[n] = 0;
		argv[n++] = (char *)path;
	}
	argv[n] = NULL;
	return 0;
}

/*
 * Start the scanner in a process group of its own (so that a timeout can
 * kill all it started), stdin from /dev/null, stdout and stderr into one
 * pipe, no other descriptor inherited, default signal dispositions.
 */
static int spawn(const struct scan_ext *x, char **argv, pid_t *pid, int *outfd, struct err *e)
{
	static const int dflt[] = {SIGPIPE, SIGCHLD, SIGINT,  SIGTERM, SIGHUP,
				   SIGQUIT, SIGALRM, SIGUSR1, SIGUSR2};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	int p[2], rc;
	size_t i;

	if (pipe2(p, O_CLOEXEC) < 0)
		return err_errno(e, errno, "scan: cannot make a pipe for the external scanner");
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
		rc = err_errno(e, errno, "scan: cannot set up the external scanner's pipe");
		close(p[0]);
		close(p[1]);
		return rc;
	}
	sigemptyset(&none);
	sigemptyset(&def);
	for (i = 0; i < sizeof(dflt) / sizeof(dflt[0]); i++)
		sigaddset(&def, dflt[i]);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	if (!rc)
		rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (!rc)
		rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
						       POSIX_SPAWN_SETSIGDEF);
	if (!rc)
		rc = posix_spawnattr_setpgroup(&at, 0);
	if (!rc)
		rc = posix_spawnattr_setsigmask(&at, &none);
	if (!rc)
		rc = posix_spawnattr_setsigdefault(&at, &def);
	if (!rc)
		rc = posix_spawn(pid, x->prog, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(p[1]);
	if (rc) {
		close(p[0]);
		return -rc;
	}
	*outfd = p[0];
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read what is there without blocking; 1 at end of file. */
static int drain(int fd, struct capture *c)
{
	char blk[4096];

	for (;;) {
		ssize_t n = read(fd, blk, sizeof(blk));
		size_t keep;

		if (n == 0)
			return 1;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 0;
		keep = sizeof(c->data) - c->len < (size_t)n ? sizeof(c->data) - c->len : (size_t)n;
		memcpy(c->data + c->len, blk, keep);
		c->len += keep;
	}
}

/* 1 once the child has exited; it stays a zombie (WNOWAIT) so that its group id cannot be reused yet. */
static int exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno != EINTR;
	return si.si_pid == pid;
}

static void reap(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
}

/* Wait for the child, collecting its output; 1 if it ran out of time and was killed. */
static int wait_child(pid_t pid, int fd, unsigned timeout, struct capture *c, int *status)
{
	int64_t deadline = now_ms() + (int64_t)timeout * 1000;
	int timed_out = 0;

	while (!exited(pid)) {
		int64_t left = deadline - now_ms();
		struct pollfd pfd = {fd, POLLIN, 0};

		if (left <= 0) {
			timed_out = 1;
			break;
		}
		if (fd < 0) {
			struct timespec ts = {0, 20 * 1000000L};

			nanosleep(&ts, NULL);
		} else if (poll(&pfd, 1, left < 50 ? (int)left : 50) > 0 && drain(fd, c)) {
			close(fd);
			fd = -1;
		}
	}
	/* whatever it left running in its group goes with it; the child too, should it have left the group */
	kill(-pid, SIGKILL);
	if (timed_out)
		kill(pid, SIGKILL);
	reap(pid, status);
	if (fd >= 0) {
		drain(fd, c);
		close(fd);
	}
	return timed_out;
}

/* The first line of the output in printable ASCII (it goes into JSON reports), at most SCAN_EXT_LINE_MAX
 * characters. */
static void first_line(const struct capture *c, char out[SCAN_EXT_LINE_MAX + 1])
{
	size_t i, n = 0;

	for (i = 0; i < c->len && n < SCAN_EXT_LINE_MAX; i++) {
		unsigned char ch = (unsigned char)c->data[i];

		if (ch == '\n' || ch == '\r')
			break;
		out[n++] = ch < 0x20 || ch >= 0x7f ? '?' : (char)ch;
	}
	while (n && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	if (!n)
		snprintf(out, SCAN_EXT_LINE_MAX + 1, "(no output)");
}

static int verdict(struct scan_ext *x, int status, const struct capture *c, const char *label, struct err *e)
{
	char line[SCAN_EXT_LINE_MAX + 1];

	first_line(c, line);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		x->clean++;
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 1) {
		x->infected++;
		return err_reject(e, "%s: external scanner: infected: %s", label, line);
	}
	x->failed++;
	if (WIFSIGNALED(status))
		return err_reject(e, "%s: external scanner failed (signal %d): %s", label, WTERMSIG(status),
				  line);
	return err_reject(e, "%s: external scanner failed (exit %d): %s", label, WEXITSTATUS(status), line);
}

int scan_ext_run(struct scan_ext *x, const char *path, const char *label, struct err *e)
{
	char *argv[SCAN_EXT_MAX_WORDS + 2];
	int owned[SCAN_EXT_MAX_WORDS + 2] = {0};
	struct capture *c = NULL;
	pid_t pid = -1;
	int fd = -1, status = 0, r;
	size_t i;

	memset(argv, 0, sizeof(argv));
	r = build_argv(x, path, argv, owned, e);
	if (r)
		goto out;
	c = calloc(1, sizeof(*c));
	if (!c) {
		r = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	r = spawn(x, argv, &pid, &fd, e);
	if (r > -AE_BASE && r < 0) {
		x->failed++;
		r = err_reject(e, "%s: external scanner failed (exit 127): cannot run '%s': %s", label,
			       x->prog, strerror(-r));
		goto out;
	}
	if (r)
		goto out;
	if (wait_child(pid, fd, x->timeout, c, &status)) {
		x->timed_out++;
		r = err_reject(e, "%s: external scanner timed out after %u s", label, x->timeout);
		goto out;
	}
	r = verdict(x, status, c, label, e);
out:
	for (i = 0; argv[i]; i++)
		if (owned[i])
			free(argv[i]);
	free(c);
	return r;
}
