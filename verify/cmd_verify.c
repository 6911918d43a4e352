#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/cmd.h"
#include "lib/fs.h"
#include "lib/json.h"
#include "lib/util.h"
#include "verify/bundle.h"
#include "verify/gpg.h"
#include "lib/banned.h"

#define KEYRING_MAX ((size_t)16 << 20)
#define MAX_KEYS 256

static json_t *sigs_json(const struct bundle *b)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < b->nsigs; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s}", "file", b->sigs[i].file, "status",
						     sig_status_name(b->sigs[i].status), "key", b->sigs[i].key_fpr,
						     "primary", b->sigs[i].primary_fpr, "uid", b->sigs[i].uid));
	return arr;
}

static int run(const char *media, const char *keyring, unsigned threshold, int json, struct err *e)
{
	static char fprs[MAX_KEYS][FPR_LEN + 1];
	struct policy p = { (const char(*)[FPR_LEN + 1])fprs, 0, threshold };
	struct bundle b;
	struct gpg *g = NULL;
	struct buf home, keys;
	const char *tmp = getenv("TMPDIR");
	char created[TIME_STR], expires[TIME_STR];
	uint64_t bytes = 0;
	size_t i, n = 0;
	int r, opened = 0;

	buf_init(&home, 8192);
	buf_init(&keys, KEYRING_MAX);
	r = fs_read_file(keyring, &keys, e);
	if (r)
		goto out;
	/* a private, temporary GnuPG home holding only the keys we were given */
	r = fs_mkdtemp(tmp && *tmp ? tmp : "/tmp", "airlock-verify-", &home, e);
	if (r)
		goto out;
	r = gpg_open(&g, home.ptr, e);
	if (r)
		goto out;
	r = gpg_key_import(g, keys.ptr ? keys.ptr : "", keys.len, fprs, MAX_KEYS, &n, e);
	if (r)
		goto out;
	if (n == 0) {
		r = err_set(e, AE_USAGE, "'%s' holds no public keys", keyring);
		goto out;
	}
	p.ntrusted = n;
	r = bundle_open(&b, media, e);
	opened = 1;
	if (!r)
		r = bundle_verify_sigs(&b, g, &p, e);
	if (!r)
		r = bundle_parse(&b, e);
	if (!r)
		r = bundle_check_listing(&b, e);
	if (!r)
		r = bundle_check_parts(&b, json, e);
	if (!r && (int64_t)time(NULL) >= b.m.expires) {
		time_format(b.m.expires, expires);
		r = err_reject(e, "'%s': bundle expired at %s", volume_name(b.vol), expires);
	}
	if (r)
		goto out;
	for (i = 0; i < b.m.nparts; i++)
		bytes += b.m.parts[i].size;
	time_format(b.m.created, created);
	time_format(b.m.expires, expires);
	if (json) {
		json_t *signers = json_array();

		for (i = 0; i < b.verdict.counted; i++)
			json_array_append_new(signers, json_string(b.verdict.signers[i]));
		json_print(json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:I, s:o, s:o}", "status", "ok",
				     "manifest", b.manifest_hex, "channel", b.m.channel, "sequence",
				     (json_int_t)b.m.sequence, "created", created, "expires", expires, "files",
				     (json_int_t)b.m.nfiles, "objects", (json_int_t)b.m.nobjects, "bytes",
				     (json_int_t)bytes, "signers", signers, "signatures", sigs_json(&b)));
	} else {
		printf("bundle verified: %s\n", volume_name(b.vol));
		printf("  channel   %s, sequence %" PRIu64 "\n", b.m.channel, b.m.sequence);
		printf("  created   %s\n  expires   %s\n", created, expires);
		printf("  manifest  sha256 %s\n", b.manifest_hex);
		printf("  content   %zu files, %zu objects, %zu packs, %" PRIu64 " bytes on the volume\n", b.m.nfiles,
		       b.m.nobjects, b.m.npacks, bytes);
		printf("  signed by %u trusted key%s (threshold %u):\n", b.verdict.counted,
		       b.verdict.counted == 1 ? "" : "s", threshold);
		for (i = 0; i < b.nsigs; i++)
			printf("    %-8s %s %s\n", sig_status_name(b.sigs[i].status),
			       b.sigs[i].primary_fpr[0] ? b.sigs[i].primary_fpr : b.sigs[i].key_fpr, b.sigs[i].uid);
	}
out:
	if (opened)
		bundle_close(&b);
	gpg_close(g);
	if (home.len) {
		struct err ignore = { 0 };

		if (fs_rm_rf(home.ptr, &ignore))
			fprintf(stderr, "airlock: cannot remove '%s': %s\n", home.ptr, ignore.msg);
	}
	buf_release(&home);
	buf_release(&keys);
	return r;
}

CMD(verify)
{
	static const struct option opts[] = {
		{ "keyring", required_argument, NULL, 'k' },
		{ "threshold", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *keyring = NULL;
	struct err e = { 0 };
	uint64_t th = 1;
	int json = 0, c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k': keyring = optarg; break;
		case 't':
			if (parse_u64(optarg, strlen(optarg), &th) < 0 || th < 1 || th > POLICY_MAX_SIGS)
				return cmd_usage(ctx, "--threshold takes a number from 1 to %d", POLICY_MAX_SIGS);
			break;
		case 'j': json = 1; break;
		default: return cmd_usage(ctx, "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cmd_usage(ctx, "name one bundle: an ISO image, a drive or a bundle folder");
	if (!keyring)
		return cmd_usage(ctx, "--keyring FILE is needed: the public keys whose signatures count");
	if (run(argv[optind], keyring, (unsigned)th, json, &e))
		return cmd_fail(ctx, &e, json);
	return 0;
}
