/*
 * The command table and the set-up every command shares: the site home from
 * --home or AIRLOCK_HOME, and --help.  Each command lives in its component's
 * folder as cmd_<name>.c.
 */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "importer/recover.h"
#include "lib/cmd.h"
#include "lib/home.h"
#include "lib/banned.h"

static const struct cmd_def commands[] = {
	{ "init", cmd_init, "airlock init --export|--import", "create a site home" },
	{ "key", cmd_key,
	  "airlock key generate --name NAME [--email EMAIL] [--expires DURATION]\n"
	  "airlock key list [--json]\n"
	  "airlock key export FPR",
	  "manage the site's signing keys" },
	{ "source", cmd_source,
	  "airlock source add NAME --dir PATH\n"
	  "airlock source add NAME --apt URL --suite SUITE [--component C]... [--arch A]... --keyring FILE\n"
	  "                   (--package NAME[=VERSION]... | --all) [--with-depends]\n"
	  "airlock source list [--json]\n"
	  "airlock source remove NAME",
	  "configure what the export side carries" },
	{ "fetch", cmd_fetch, "airlock fetch [SOURCE]... [--timeout SECS] [--json] [--quiet]",
	  "download and verify what the apt sources select" },
	{ "export", cmd_export,
	  "airlock export --channel C --to iso:PATH|dir:PATH [--sign FPR]... [--expires DURATION] [--base N] [--json]",
	  "write a signed bundle of the current sources" },
	{ "sign", cmd_sign, "airlock sign BUNDLE --key FPR [--json]", "add a signature to an existing bundle" },
	{ "inspect", cmd_inspect, "airlock inspect BUNDLE [--json]",
	  "show what a bundle holds, who signed it, its sequence and expiry" },
	{ "trust", cmd_trust,
	  "airlock trust add --channel C [--threshold K] KEYFILE...\n"
	  "airlock trust list [--json]\n"
	  "airlock trust remove --channel C FPR\n"
	  "airlock trust revoke REVCERT\n"
	  "airlock trust propose --channel C --threshold K --to DIR --sign FPR... [--expires DURATION] KEYFILE...\n"
	  "airlock trust cosign DIR --key FPR\n"
	  "airlock trust apply DIR\n"
	  "airlock trust vendor add NAME KEYRING",
	  "decide whose signatures a channel needs" },
	{ "import", cmd_import, "airlock import MEDIA [--dry-run] [--at TIME] [--json]",
	  "verify, quarantine and promote a bundle" },
	{ "scan-db", cmd_scan_db, "airlock scan-db update DIR [--json]\nairlock scan-db status [--json]",
	  "install and show the malware scanners' databases" },
	{ "quarantine", cmd_quarantine, "airlock quarantine list [--json]\nairlock quarantine purge [ID...]",
	  "list or remove the folders of rejected imports" },
	{ "group", cmd_group, "airlock group add NAME [--after GROUP]\nairlock group list [--json]\nairlock group remove NAME",
	  "the computer groups updates roll out through" },
	{ "pending", cmd_pending, "airlock pending [--group G] [--source S] [--all] [--json]",
	  "show package versions no decision covers yet" },
	{ "approve", cmd_approve,
	  "airlock approve PACKAGE=VERSION... --group G [--source S] [--priority P] [--ref CR]\n"
	  "airlock approve --bundle N [--channel C] --group G [--priority P] [--ref CR]\n"
	  "                [--force --reason WHY]",
	  "approve package versions for a group" },
	{ "decline", cmd_decline, "airlock decline PACKAGE=VERSION... [--group G] [--source S] --reason WHY [--ref CR]",
	  "keep package versions out of a group, or out of every group" },
	{ "unapprove", cmd_unapprove, "airlock unapprove PACKAGE=VERSION... [--group G] [--source S] [--ref CR] [--reason WHY]",
	  "withdraw an approval or decline" },
	{ "auto-approve", cmd_auto_approve,
	  "airlock auto-approve add --group G --source S [--priority P]\n"
	  "airlock auto-approve list [--json]\nairlock auto-approve remove --group G --source S",
	  "approve new versions of a source for a group as they are imported" },
	{ "status", cmd_status, "airlock status [--json]", "per group: approved, declined, pending and overdue versions" },
	{ "publish", cmd_publish, "airlock publish [--static DIR] [--json]",
	  "build every group's signed apt repository and switch to it atomically" },
	{ "serve", cmd_serve,
	  "airlock serve [--listen ADDR:PORT] [--access-log FILE] [--max-connections N] [--max-per-ip N]\n"
	  "              [--timeout SECONDS] [--threads N] [--user NAME]", "serve the imported files over HTTP" },
	{ "verify", cmd_verify, "airlock verify BUNDLE --keyring FILE [--threshold K] [--json]",
	  "check a bundle's signatures and contents without a site home" },
	{ "audit", cmd_audit, "airlock audit verify [--json]\nairlock audit log [--json]",
	  "check and show the hash-chained audit log" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: airlock [--home DIR] COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'airlock COMMAND --help' shows a command's options; 'man airlock-COMMAND' explains it.\n"
		   "Exit codes: 0 success, 1 error, 2 usage, 3 rejected.\n");
}

/* Take --home DIR / --home=DIR out of argv wherever it stands (before "--"). */
static int take_home(int *argc, char **argv, const char **home)
{
	int i, j;

	for (i = 1; i < *argc; i++) {
		int skip = 0;

		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--home")) {
			if (i + 1 >= *argc)
				return -1;
			*home = argv[i + 1];
			skip = 2;
		} else if (!strncmp(argv[i], "--home=", 7)) {
			*home = argv[i] + 7;
			skip = 1;
		}
		if (skip) {
			for (j = i; j + skip <= *argc; j++)
				argv[j] = argv[j + skip];
			*argc -= skip;
			i--;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *home = NULL;
	struct cmd_ctx ctx;
	size_t i;
	int k;

	setlocale(LC_ALL, "C");
	/* a file size limit must be an error that names the file, not a silent death */
	signal(SIGXFSZ, SIG_IGN);
	home_recover_hook = import_recover;
	if (take_home(&argc, argv, &home) < 0) {
		fprintf(stderr, "airlock: --home needs a folder\n");
		return 2;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("airlock 0.1 (bundle format 1)\n");
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		for (k = 2; k < argc && strcmp(argv[k], "--"); k++) {
			if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
				cmd_help(&commands[i]);
				return 0;
			}
		}
		ctx.home = home_resolve(home);
		ctx.def = &commands[i];
		return commands[i].fn(argc - 1, argv + 1, &ctx);
	}
	fprintf(stderr, "airlock: '%s' is not a command; 'airlock --help' lists them\n", argv[1]);
	return 2;
}
