#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "lib/cmd.h"
#include "lib/db.h"
#include "lib/home.h"
#include "mirror/serve.h"
#include "lib/banned.h"

#define DEFAULT_LISTEN "127.0.0.1:8080"

CMD(serve)
{
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {NULL, 0, NULL, 0},
	};
	struct serve_config cfg = {0};
	struct server *srv = NULL;
	struct home h = {0};
	struct err e = {0};
	sigset_t stop, old;
	int c, sig, blocked = 0, ret;

	cfg.listen = DEFAULT_LISTEN;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			cfg.listen = optarg;
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

	ret = home_open(&h, ctx->home, HOME_IMPORT, &e);
	if (ret)
		goto out;
	/* The server only reads, through read-only connections of its own. */
	db_close(h.db);
	h.db = NULL;
	cfg.store = h.store;
	cfg.catalog = h.catalog;
	cfg.log = stderr;

	/*
	 * The workers inherit this mask, so SIGINT and SIGTERM reach only the
	 * sigwait() below and the server stops in an orderly way.  A client that
	 * hangs up mid-file must not kill the server with SIGPIPE.
	 */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	if (pthread_sigmask(SIG_BLOCK, &stop, &old)) {
		ret = err_set(&e, AE_IO, "cannot block signals");
		goto out;
	}
	blocked = 1;
	signal(SIGPIPE, SIG_IGN);

	ret = server_start(&srv, &cfg, &e);
	if (ret)
		goto out;
	fprintf(stderr, "airlock: serving %s on %s\n", h.dir, server_url(srv));
	for (;;) {
		if (sigwait(&stop, &sig) == 0 && (sig == SIGINT || sig == SIGTERM))
			break;
	}
	fprintf(stderr, "airlock: stopping (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	ret = 0;
out:
	server_stop(srv);
	if (blocked)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	home_close(&h);
	return ret ? cmd_fail(ctx, &e, 0) : 0;
}
