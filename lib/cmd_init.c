#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "lib/cmd.h"
#include "lib/home.h"
#include "lib/banned.h"

CMD(init)
{
	static const struct option opts[] = {
		{ "export", no_argument, NULL, 'e' },
		{ "import", no_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	struct err e = { 0 };
	int role = 0, c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
		case 'i':
			if (role)
				return cmd_usage(ctx, "choose one of --export and --import");
			role = c == 'e' ? HOME_EXPORT : HOME_IMPORT;
			break;
		default:
			return cmd_usage(ctx, "unknown option");
		}
	}
	if (!role)
		return cmd_usage(ctx, "say which side this site is: --export (internet) or --import (offline)");
	if (optind != argc)
		return cmd_usage(ctx, "unexpected argument '%s'", argv[optind]);
	r = home_create(ctx->home, (enum home_role)role, &e);
	if (r)
		return cmd_fail(ctx, &e, 0);
	printf("initialised %s site home in %s\n", role == HOME_EXPORT ? "an export" : "an import", ctx->home);
	if (role == HOME_EXPORT)
		printf("next: 'airlock key generate --name NAME' and 'airlock source add NAME --dir PATH'\n");
	else
		printf("next: 'airlock trust add --channel C KEYFILE' with the officers' public keys\n");
	return 0;
}
