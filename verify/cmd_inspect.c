#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cmd.h"
#include "lib/fs.h"
#include "lib/home.h"
#include "lib/json.h"
#include "lib/util.h"
#include "verify/bundle.h"
#include "verify/gpg.h"
#include "lib/banned.h"

/*
 * inspect shows what a bundle says about itself.  Signatures are checked
 * against the keys of the site home when there is one, but no trust policy
 * is applied: that is what 'verify' and 'import' are for, and the output
 * says so.
 */
static void print_human(const struct bundle *b, int have_keys)
{
	const struct manifest *m = &b->m;
	char t[TIME_STR], hex[SHA256_HEX], sz[32];
	uint64_t bytes = 0;
	size_t i;

	printf("bundle %s\n", volume_name(b->vol));
	printf("  format    %u\n  channel   %s\n  sequence  %" PRIu64 "\n", m->format, m->channel, m->sequence);
	time_format(m->created, t);
	printf("  created   %s\n", t);
	time_format(m->expires, t);
	printf("  expires   %s\n", t);
	if (m->has_previous)
		hex_encode(m->previous, SHA256_LEN, hex);
	printf("  previous  %s\n", m->has_previous ? hex : "none");
	if (m->base)
		printf("  base      %" PRIu64 " (increment)\n", m->base);
	else
		printf("  base      none (full snapshot)\n");
	printf("  manifest  sha256 %s\n", b->manifest_hex);
	for (i = 0; i < m->nsources; i++)
		printf("  source    %s (%s)\n", m->sources[i].name, m->sources[i].kind);
	for (i = 0; i < m->npacks; i++) {
		size_human(m->packs[i].size, sz);
		bytes += m->packs[i].size;
		printf("  pack      %u %s %s\n", m->packs[i].id, m->packs[i].compression == PACK_ZSTD ? "zstd" : "none",
		       sz);
	}
	size_human(bytes, sz);
	printf("  content   %zu files, %zu objects, %s in packs\n", m->nfiles, m->nobjects, sz);
	printf("signatures (%zu)%s:\n", b->nsigs, have_keys ? " against this site's keyring, no policy applied"
							      : ", unchecked: no site home");
	for (i = 0; i < b->nsigs; i++)
		printf("  %-12s %s %s\n", sig_status_name(b->sigs[i].status),
		       b->sigs[i].primary_fpr[0] ? b->sigs[i].primary_fpr : b->signame[i], b->sigs[i].uid);
	printf("files:\n");
	for (i = 0; i < m->nfiles; i++) {
		const struct manifest_object *o = manifest_find_object(m, m->files[i].object);

		printf("  %04o %12" PRIu64 " %s/%s\n", m->files[i].mode, o ? o->size : 0, m->files[i].source,
		       m->files[i].path);
	}
	printf("check it with 'airlock verify BUNDLE --keyring KEYS' or import it with 'airlock import'\n");
}

static json_t *to_json(const struct bundle *b)
{
	const struct manifest *m = &b->m;
	json_t *files = json_array(), *sigs = json_array(), *packs = json_array();
	char t1[TIME_STR], t2[TIME_STR], hex[SHA256_HEX];
	size_t i;

	for (i = 0; i < m->nfiles; i++) {
		const struct manifest_object *o = manifest_find_object(m, m->files[i].object);

		hex_encode(m->files[i].object, SHA256_LEN, hex);
		json_array_append_new(files, json_pack("{s:s, s:s, s:i, s:s, s:I}", "source", m->files[i].source, "path",
						       m->files[i].path, "mode", (int)m->files[i].mode, "sha256", hex,
						       "size", (json_int_t)(o ? o->size : 0)));
	}
	for (i = 0; i < m->npacks; i++) {
		hex_encode(m->packs[i].sha256, SHA256_LEN, hex);
		json_array_append_new(packs, json_pack("{s:i, s:s, s:I, s:s}", "id", (int)m->packs[i].id, "compression",
						       m->packs[i].compression == PACK_ZSTD ? "zstd" : "none", "size",
						       (json_int_t)m->packs[i].size, "sha256", hex));
	}
	for (i = 0; i < b->nsigs; i++)
		json_array_append_new(sigs, json_pack("{s:s, s:s, s:s, s:s}", "file", b->signame[i], "status",
						      sig_status_name(b->sigs[i].status), "primary",
						      b->sigs[i].primary_fpr, "uid", b->sigs[i].uid));
	time_format(m->created, t1);
	time_format(m->expires, t2);
	if (m->has_previous)
		hex_encode(m->previous, SHA256_LEN, hex);
	return json_pack("{s:s, s:i, s:s, s:I, s:s, s:s, s:s, s:I, s:s, s:o, s:o, s:o, s:b}", "volume",
			 volume_name(b->vol), "format", (int)m->format, "channel", m->channel, "sequence",
			 (json_int_t)m->sequence, "created", t1, "expires", t2, "previous",
			 m->has_previous ? hex : "none", "base", (json_int_t)m->base, "manifest", b->manifest_hex,
			 "files", files, "packs", packs, "signatures", sigs, "policy_applied", 0);
}

CMD(inspect)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct home h = { 0 };
	struct err e = { 0 }, ignore = { 0 };
	struct gpg *g = NULL;
	struct bundle b;
	int json = 0, c, r, have_keys = 0;
	size_t i;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			return cmd_usage(ctx, "unknown option");
		json = 1;
	}
	if (optind + 1 != argc)
		return cmd_usage(ctx, "name one bundle: an ISO image, a drive or a bundle folder");
	r = bundle_open(&b, argv[optind], &e);
	if (r)
		goto out;
	if (!home_open(&h, ctx->home, 0, &ignore) && !gpg_open(&g, h.gnupg, &ignore)) {
		have_keys = 1;
		for (i = 0; i < b.nsigs; i++) {
			snprintf(b.sigs[i].file, sizeof(b.sigs[i].file), "%s", b.signame[i]);
			if (gpg_verify_detached(g, b.sigdata[i].ptr ? b.sigdata[i].ptr : "", b.sigdata[i].len,
						b.manifest_raw.ptr ? b.manifest_raw.ptr : "", b.manifest_raw.len,
						&b.sigs[i], &ignore))
				b.sigs[i].status = SIG_ERROR;
		}
	} else {
		for (i = 0; i < b.nsigs; i++)
			b.sigs[i].status = SIG_UNKNOWN_KEY;
	}
	r = bundle_parse(&b, &e);
	if (r)
		goto out;
	if (json)
		json_print(to_json(&b));
	else
		print_human(&b, have_keys);
out:
	bundle_close(&b);
	gpg_close(g);
	home_close(&h);
	return r ? cmd_fail(ctx, &e, json) : 0;
}
