#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "lib/audit.h"
#include "lib/cmd.h"
#include "lib/db.h"
#include "lib/home.h"
#include "lib/json.h"
#include "lib/util.h"
#include "mirror/serve.h"
#include "lib/banned.h"

#define DEFAULT_LISTEN "127.0.0.1:8080"
/* How long a stopping server waits for the requests under way. */
#define DRAIN_SECONDS 10
#define DRAIN_POLL_MS 50

/* Who a server started as root runs as when --user does not say: the first that exists. */
static const char *const default_users[] = {"airlock", "nobody"};

struct run_as {
	char name[64];
	uid_t uid;
	gid_t gid;
	int drop; /* started as root: switch to uid and gid before serving */
};

static int opt_uint(const char *arg, unsigned lo, unsigned hi, unsigned *out)
{
	uint64_t v;

	if (parse_u64(arg, strlen(arg), &v) || v < lo || v > hi)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Root in any of the real, effective or saved ids: any of them would let the process back to root. */
static int started_as_root(void)
{
	uid_t r, eu, s;

	if (getresuid(&r, &eu, &s))
		return 1;
	return r == 0 || eu == 0 || s == 0;
}

static int pick_user(const char *want, struct run_as *ru, struct err *e)
{
	const struct passwd *pw = NULL;
	size_t i;

	memset(ru, 0, sizeof(*ru));
	if (!started_as_root()) {
		/* Nothing to switch: --user may only name the user the server already is. */
		if (want) {
			pw = getpwnam(want);
			if (!pw)
				return err_set(e, AE_USAGE, "no user '%s'", want);
			if (pw->pw_uid != geteuid())
				return err_set(e, AE_USAGE,
					       "--user '%s' needs the server to be started as root", want);
		} else {
			pw = getpwuid(geteuid());
		}
		if (pw)
			snprintf(ru->name, sizeof(ru->name), "%s", pw->pw_name);
		else
			snprintf(ru->name, sizeof(ru->name), "%lu", (unsigned long)geteuid());
		ru->uid = geteuid();
		ru->gid = getegid();
		return 0;
	}
	if (want) {
		pw = getpwnam(want);
		if (!pw)
			return err_set(e, AE_USAGE, "no user '%s'", want);
	} else {
		for (i = 0; !pw && i < sizeof(default_users) / sizeof(default_users[0]); i++)
			pw = getpwnam(default_users[i]);
		if (!pw)
			return err_set(e, AE_STATE,
				       "no user 'airlock' or 'nobody' to serve as; name one with --user");
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		return err_set(
		    e, AE_USAGE,
		    "refusing to serve as '%s', whose user or group is root; name another with --user",
		    pw->pw_name);
	snprintf(ru->name, sizeof(ru->name), "%s", pw->pw_name);
	ru->uid = pw->pw_uid;
	ru->gid = pw->pw_gid;
	ru->drop = 1;
	return 0;
}

/*
 * Switch for good: no supplementary groups, then group and user in all of
 * real, effective and saved ids (group first, while still allowed), and check
 * that the way back is closed.  Called before any thread starts.
 */
static int drop_privileges(const struct run_as *ru, struct err *e)
{
	uid_t r, eu, s;
	gid_t rg, eg, sg;

	if (setgroups(0, NULL))
		return err_errno(e, errno, "cannot clear the supplementary groups");
	if (setresgid(ru->gid, ru->gid, ru->gid))
		return err_errno(e, errno, "cannot switch to the group of '%s'", ru->name);
	if (setresuid(ru->uid, ru->uid, ru->uid))
		return err_errno(e, errno, "cannot switch to user '%s'", ru->name);
	if (setuid(0) == 0 || seteuid(0) == 0)
		return err_set(e, AE_STATE, "could become root again after switching to '%s'", ru->name);
	if (getresuid(&r, &eu, &s) || getresgid(&rg, &eg, &sg) || r != ru->uid || eu != ru->uid ||
	    s != ru->uid || rg != ru->gid || eg != ru->gid || sg != ru->gid)
		return err_set(e, AE_STATE, "the switch to user '%s' did not take", ru->name);
	/* Nothing this process could run would gain privileges either. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return err_errno(e, errno, "cannot set no_new_privs");
	return 0;
}

/* Each connection is a descriptor: make room for the limit while it can still be raised. */
static void fit_nofile(unsigned conns, unsigned threads)
{
	/* The workers' epoll and wake-up descriptors and the catalog readers' files, with room to spare. */
	rlim_t want = (rlim_t)conns + (rlim_t)threads * 8 + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < want)
		fprintf(stderr,
			"airlock: warning: %llu file descriptors allowed, %llu connections asked for\n",
			(unsigned long long)rl.rlim_cur, (unsigned long long)conns);
}

/* One audit record through a connection of its own, as whoever the process is by then. */
static int record(const char *catalog, const char *action, const char *subject, json_t *detail, struct err *e)
{
	struct db *db = NULL;
	int ret;

	ret = db_open(&db, catalog, 0, e);
	if (ret) {
		json_decref(detail);
		return ret;
	}
	ret = audit_record(db, action, subject, detail, e);
	db_close(db);
	return ret;
}

/* The serve.start and serve.stop records: when the catalog will not take them, stderr gets them. */
static void record_or_say(const char *catalog, const char *action, const char *subject, json_t *detail)
{
	struct err e = {0};
	char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	if (record(catalog, action, subject, detail, &e))
		fprintf(stderr, "airlock: %s %s %s: not in the audit log: %s\n", action, subject,
			text ? text : "{}", e.msg);
	free(text);
}

/* serve_config.anchor: each closed segment of the access log file becomes a serve.log record. */
static int anchor_log(void *cls, const char *path, const struct serve_log_segment *seg, struct err *e)
{
	return record(cls, "serve.log", path,
		      json_pack("{s:I, s:I, s:s}", "lines", (json_int_t)seg->lines, "bytes",
				(json_int_t)seg->bytes, "sha256", seg->sha256),
		      e);
}

static const char *sig_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "signal";
}

static void reopen_log(struct server *srv)
{
	struct err e = {0};

	if (!server_log_path(srv))
		return;
	if (server_reopen_log(srv, &e))
		fprintf(stderr, "airlock: %s; still writing to the old file\n", e.msg);
	else
		fprintf(stderr, "airlock: reopened the access log '%s'\n", server_log_path(srv));
}

/*
 * Stop accepting, then give the requests under way up to DRAIN_SECONDS.
 * Idle keep-alive connections are not waited for: they hold no request.
 * Another SIGINT or SIGTERM cuts the wait short.  Returns the requests
 * still under way.
 */
static unsigned drain(struct server *srv, const sigset_t *sigs)
{
	struct timespec now, end, tick = {0, DRAIN_POLL_MS * 1000000L};
	unsigned requests, conns;
	int sig;

	if (server_quiesce(srv))
		fprintf(stderr, "airlock: cannot stop accepting connections; closing them all\n");
	server_load(srv, &requests, &conns);
	if (!requests)
		return 0;
	fprintf(stderr, "airlock: waiting up to %d s for %u requests under way (%u connections open)\n",
		DRAIN_SECONDS, requests, conns);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += DRAIN_SECONDS;
	for (;;) {
		server_load(srv, &requests, &conns);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!requests || now.tv_sec > end.tv_sec ||
		    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			break;
		sig = sigtimedwait(sigs, NULL, &tick);
		if (sig == SIGHUP)
			reopen_log(srv);
		else if (sig == SIGINT || sig == SIGTERM)
			break;
	}
	if (requests)
		fprintf(stderr, "airlock: closing %u requests still under way\n", requests);
	return requests;
}

CMD(serve)
{
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"access-log", required_argument, NULL, 'a'},
	    {"max-connections", required_argument, NULL, 'c'},
	    {"max-per-ip", required_argument, NULL, 'p'},
	    {"timeout", required_argument, NULL, 't'},
	    {"threads", required_argument, NULL, 'n'},
	    {"user", required_argument, NULL, 'u'},
	    {NULL, 0, NULL, 0},
	};
	struct serve_config cfg = {0};
	struct server *srv = NULL;
	struct home h = {0};
	struct err e = {0};
	struct run_as ru;
	const char *user = NULL, *why = "error";
	char url[128] = "";
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	sigset_t sigs, old;
	unsigned unfinished = 0;
	int c, sig = 0, blocked = 0, started = 0, ret;

	cfg.listen = DEFAULT_LISTEN;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			cfg.listen = optarg;
			break;
		case 'a':
			if (!*optarg)
				return cmd_usage(ctx, "--access-log needs a file");
			cfg.access_log = optarg;
			break;
		case 'c':
			if (opt_uint(optarg, 1, 1000000, &cfg.conn_limit))
				return cmd_usage(ctx, "--max-connections takes a number from 1 to 1000000");
			break;
		case 'p':
			if (opt_uint(optarg, 1, 1000000, &cfg.per_ip_limit))
				return cmd_usage(ctx, "--max-per-ip takes a number from 1 to 1000000");
			break;
		case 't':
			if (opt_uint(optarg, 1, 86400, &cfg.timeout))
				return cmd_usage(ctx, "--timeout takes seconds, from 1 to 86400");
			break;
		case 'n':
			if (opt_uint(optarg, 1, 256, &cfg.threads))
				return cmd_usage(ctx, "--threads takes a number from 1 to 256");
			break;
		case 'u':
			if (!*optarg)
				return cmd_usage(ctx, "--user needs a name");
			user = optarg;
			break;
		default:
			return cmd_usage(ctx, "unknown option");
		}
	}
	if (optind != argc)
		return cmd_usage(ctx, "unexpected argument '%s'", argv[optind]);
	{
		struct sockaddr_storage ss;
		socklen_t len;

		if (serve_parse_listen(cfg.listen, &ss, &len, &e))
			return cmd_usage(ctx, "%s", e.msg);
	}
	ret = pick_user(user, &ru, &e);
	if (ret)
		goto out;

	ret = home_open(&h, ctx->home, HOME_IMPORT, &e);
	if (ret)
		goto out;
	/* The server only reads, through read-only connections of its own. */
	db_close(h.db);
	h.db = NULL;
	cfg.store = h.store;
	cfg.catalog = h.catalog;
	cfg.anchor = anchor_log;
	cfg.anchor_cls = h.catalog;

	/*
	 * The workers inherit this mask, so SIGINT, SIGTERM and SIGHUP reach only
	 * the sigwait() below.  A client that hangs up mid-file must not kill the
	 * server with SIGPIPE.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &sigs, &old)) {
		ret = err_set(&e, AE_IO, "cannot block signals");
		goto out;
	}
	blocked = 1;
	signal(SIGPIPE, SIG_IGN);
	if (ncpu < 1 || ncpu > 256)
		ncpu = 256;
	fit_nofile(cfg.conn_limit ? cfg.conn_limit : SERVE_DEFAULT_CONNECTIONS,
		   cfg.threads ? cfg.threads : (unsigned)ncpu);

	/* Everything that needs root happens before the switch: the socket, the catalog, the store. */
	ret = server_open(&srv, &cfg, &e);
	if (ret)
		goto out;
	snprintf(url, sizeof(url), "%s", server_url(srv));
	record_or_say(h.catalog, "serve.start", url,
		      json_pack("{s:s, s:s, s:I}", "user", ru.name, "access_log",
				server_log_path(srv) ? server_log_path(srv) : "stderr", "pid",
				(json_int_t)getpid()));
	started = 1;
	if (ru.drop) {
		ret = drop_privileges(&ru, &e);
		if (ret)
			goto out;
	}
	ret = server_run(srv, &e);
	if (ret)
		goto out;
	fprintf(stderr, "airlock: serving %s on %s\n", h.dir, server_url(srv));
	if (ru.drop)
		fprintf(stderr, "airlock: running as '%s' (uid %lu)\n", ru.name, (unsigned long)ru.uid);
	for (;;) {
		if (sigwait(&sigs, &sig))
			continue;
		if (sig == SIGHUP)
			reopen_log(srv);
		else if (sig == SIGINT || sig == SIGTERM)
			break;
	}
	why = sig_name(sig);
	fprintf(stderr, "airlock: stopping (%s)\n", why);
	unfinished = drain(srv, &sigs);
	ret = 0;
out:
	/* The access log's last segment is anchored here, before serve.stop. */
	server_stop(srv);
	if (started)
		record_or_say(h.catalog, "serve.stop", url,
			      ret ? json_pack("{s:s, s:s}", "user", ru.name, "error", e.msg)
				  : json_pack("{s:s, s:s, s:I}", "user", ru.name, "signal", why, "unfinished",
					      (json_int_t)unfinished));
	if (blocked)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	home_close(&h);
	return ret ? cmd_fail(ctx, &e, 0) : 0;
}
