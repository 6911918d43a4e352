/*
 * Changes of trust that travel or arrive later: a key's revocation
 * certificate, and a signed change of a channel's signer set and threshold
 * (propose on the export side, apply at the kiosk).  A change is accepted
 * only when the current threshold of the current signers signed it, so that
 * one stolen key cannot vote itself in or lower the bar.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/audit.h"
#include "lib/buf.h"
#include "lib/cmd.h"
#include "lib/conf.h"
#include "lib/fs.h"
#include "lib/home.h"
#include "lib/json.h"
#include "lib/util.h"
#include "verify/bundle.h"
#include "verify/gpg.h"
#include "verify/policy.h"
#include "verify/policy_doc.h"
#include "verify/trust.h"
#include "lib/banned.h"


/* airlock trust revoke REVCERT: from now on, signatures by that key count for nothing. */
static int trust_revoke(struct home *h, const char *file, struct err *e)
{
	char got[POLICY_MAX_SIGS][FPR_LEN + 1];
	struct gpg_keyinfo ki;
	struct gpg *g = NULL;
	struct buf b;
	size_t n = 0, i, revoked = 0;
	int r;

	buf_init(&b, TRUST_KEYFILE_MAX);
	r = fs_read_file(file, &b, e);
	if (!r)
		r = gpg_open(&g, h->gnupg, e);
	if (!r)
		r = gpg_key_import(g, buf_str(&b), b.len, got, POLICY_MAX_SIGS, &n, e);
	if (r) {
		err_prefix(e, "'%s'", file);
		goto out;
	}
	for (i = 0; i < n; i++) {
		r = gpg_key_info(g, got[i], &ki, e);
		if (r)
			goto out;
		if (!ki.revoked)
			continue;
		revoked++;
		r = audit_record(h->db, "trust.revoke", ki.fpr, json_pack("{s:s, s:s, s:s}", "key", ki.fpr, "uid", ki.uid,
									  "file", file), e);
		if (r)
			goto out;
		printf("key %s (%s) is revoked: its signatures no longer count for any channel\n", ki.fpr, ki.uid);
	}
	if (!revoked)
		r = err_set(e, AE_STATE, "'%s' revokes no key this site knows; it must be a revocation certificate "
					 "of a trusted key (gpg writes one to openpgp-revocs.d/ when it makes a key)", file);
out:
	gpg_close(g);
	buf_release(&b);
	return r;
}

struct propose_opts {
	const char *channel, *to;
	unsigned threshold;
	int64_t expires;
	char sign[POLICY_MAX_SIGS][FPR_LEN + 1];
	size_t nsign;
	char **keyfiles;
	int nkeyfiles;
};

static int write_in(const char *dir, const char *sub, const char *name, const struct buf *b, struct err *e)
{
	struct buf p;
	int r;

	buf_init(&p, 8192);
	r = buf_addf(&p, e, "%s/%s", dir, sub);
	if (!r)
		r = fs_mkdirs(p.ptr, 0755, e);
	if (!r)
		r = buf_addf(&p, e, "/%s", name);
	if (!r)
		r = fs_write_atomic(p.ptr, b->ptr ? b->ptr : "", b->len, 0644, e);
	buf_release(&p);
	return r;
}

/* airlock trust propose (export side): the new complete policy, signed, with the signers' public keys. */
static int trust_propose(struct home *h, const struct propose_opts *o, struct err *e)
{
	struct trust_key keys[POLICY_MAX_SIGS];
	struct policy_doc d;
	struct gpg *g = NULL;
	struct buf text, sig, key;
	char name[FPR_LEN + 8];
	size_t nkeys = 0, i;
	int64_t now;
	int r;

	buf_init(&text, POLICY_DOC_MAX);
	buf_init(&sig, BUNDLE_SIG_MAX);
	buf_init(&key, TRUST_KEYFILE_MAX);
	memset(&d, 0, sizeof(d));
	if (fs_exists(o->to)) {
		r = err_set(e, AE_EXISTS, "'%s' exists; name a new folder for the policy change", o->to);
		goto out;
	}
	r = time_now_or_sde(&now, e);
	if (!r)
		r = gpg_open(&g, h->gnupg, e);
	if (!r)
		r = trust_import_keyfiles(g, o->keyfiles, o->nkeyfiles, keys, &nkeys, e);
	if (r)
		goto out;
	snprintf(d.channel, sizeof(d.channel), "%s", o->channel);
	d.created = now;
	d.expires = now + o->expires;
	d.threshold = o->threshold;
	for (i = 0; i < nkeys; i++)
		memcpy(d.signers[i], keys[i].fpr, sizeof(d.signers[i]));
	d.nsigners = nkeys;
	r = policy_doc_write(&d, &text, e);
	if (r)
		goto out;
	r = fs_mkdirs(o->to, 0755, e);
	if (!r)
		r = write_in(o->to, ".", POLICY_DOC_NAME, &text, e);
	for (i = 0; !r && i < o->nsign; i++) {
		buf_reset(&sig);
		snprintf(name, sizeof(name), "%s.asc", o->sign[i]);
		r = gpg_sign_detached(g, o->sign[i], text.ptr, text.len, &sig, e);
		if (!r)
			r = write_in(o->to, BUNDLE_SIGDIR, name, &sig, e);
	}
	for (i = 0; !r && i < d.nsigners; i++) {
		buf_reset(&key);
		snprintf(name, sizeof(name), "%s.asc", d.signers[i]);
		r = gpg_key_export(g, d.signers[i], &key, e);
		if (!r)
			r = write_in(o->to, "keys", name, &key, e);
	}
	if (!r)
		r = audit_record(h->db, "trust.propose", o->channel,
			     json_pack("{s:s, s:I, s:I}", "to", o->to, "threshold", (json_int_t)d.threshold, "signers",
				       (json_int_t)d.nsigners), e);
	if (r)
		goto out;
	fputs(text.ptr, stdout);
	printf("policy change for channel '%s' written to %s with %zu signature%s; other officers add theirs with "
	       "'airlock trust cosign %s --key FPR'; the kiosk applies it with 'airlock trust apply %s'\n",
	       o->channel, o->to, o->nsign, o->nsign == 1 ? "" : "s", o->to, o->to);
out:
	gpg_close(g);
	buf_release(&text);
	buf_release(&sig);
	buf_release(&key);
	return r;
}

/* airlock trust cosign DIR --key FPR: one more officer's signature on a proposed change. */
static int trust_cosign(struct home *h, const char *dir, const char *fpr, struct err *e)
{
	struct policy_doc d;
	struct gpg *g = NULL;
	struct buf text, sig, p;
	char name[FPR_LEN + 8];
	int r;

	buf_init(&text, POLICY_DOC_MAX);
	buf_init(&sig, BUNDLE_SIG_MAX);
	buf_init(&p, 8192);
	r = buf_addf(&p, e, "%s/%s", dir, POLICY_DOC_NAME);
	if (!r)
		r = fs_read_file(p.ptr, &text, e);
	/* never vouch for bytes that would not parse */
	if (!r && (r = policy_doc_parse(&d, text.ptr ? text.ptr : "", text.len, e)))
		err_prefix(e, "'%s'", p.ptr);
	if (!r)
		r = gpg_open(&g, h->gnupg, e);
	if (!r)
		r = gpg_sign_detached(g, fpr, text.ptr, text.len, &sig, e);
	snprintf(name, sizeof(name), "%s.asc", fpr);
	if (!r)
		r = write_in(dir, BUNDLE_SIGDIR, name, &sig, e);
	if (!r)
		printf("signed the policy change for channel '%s' in %s with key %s\n", d.channel, dir, fpr);
	gpg_close(g);
	buf_release(&text);
	buf_release(&sig);
	buf_release(&p);
	return r;
}

/* Signers the keyring lacks come from keys/<FPR>.asc in the change, and must be exactly that key. */
static int provision_signers(struct gpg *g, struct bundle *b, const struct policy_doc *d, char (*uids)[256],
			     struct err *e)
{
	char got[POLICY_MAX_SIGS][FPR_LEN + 1];
	struct gpg_keyinfo ki;
	struct buf key, path;
	size_t i, n;
	int r = 0;

	buf_init(&key, TRUST_KEYFILE_MAX);
	buf_init(&path, 256);
	for (i = 0; !r && i < d->nsigners; i++) {
		r = gpg_key_info(g, d->signers[i], &ki, e);
		if (r == -AE_NOTFOUND) {
			err_clear(e);
			buf_reset(&key);
			buf_reset(&path);
			r = buf_addf(&path, e, "keys/%s.asc", d->signers[i]);
			if (!r && (r = volume_read_all(b->vol, path.ptr, &key, e)) == -AE_NOTFOUND) {
				err_clear(e);
				r = err_reject(e, "new signer %s: no '%s' in the change to provision the key", d->signers[i],
					       path.ptr);
			}
			if (!r)
				r = gpg_key_import(g, key.ptr ? key.ptr : "", key.len, got, POLICY_MAX_SIGS, &n, e);
			if (!r && (n != 1 || strcmp(got[0], d->signers[i])))
				r = err_reject(e, "'%s' does not hold exactly the key %s", path.ptr, d->signers[i]);
			if (!r)
				r = gpg_key_info(g, d->signers[i], &ki, e);
		}
		if (!r)
			snprintf(uids[i], 256, "%s", ki.uid);
		if (!r && (ki.revoked || ki.expired || !ki.can_sign))
			r = err_reject(e, "signer %s (%s) is %s", ki.fpr, ki.uid,
				       ki.revoked ? "revoked" : ki.expired ? "expired" : "not a signing key");
	}
	buf_release(&key);
	buf_release(&path);
	return r;
}

static int replace_policy(struct home *h, const struct policy_doc *d, char (*uids)[256], const char *dir,
			  const char *signed_by, struct err *e)
{
	char created[TIME_STR], key[128];
	struct db_stmt *st = NULL;
	json_t *signers = json_array();
	char *detail = NULL;
	size_t i;
	int r;

	time_format(d->created, created);
	snprintf(key, sizeof(key), "policy-created:%s", d->channel);
	r = db_begin(h->db, e);
	if (r)
		goto out;
	r = db_prepare(h->db, "DELETE FROM trust WHERE channel = ?", &st, e);
	if (!r && !(r = db_bind_text(st, 1, d->channel, e)))
		r = db_step(st, e);
	db_finalize(st);
	st = NULL;
	if (r >= 0)
		r = db_prepare(h->db, "INSERT INTO trust(channel, fpr, uid, added) VALUES(?, ?, ?, ?)", &st, e);
	for (i = 0; r >= 0 && i < d->nsigners; i++) {
		db_reset(st);
		if (!(r = db_bind_text(st, 1, d->channel, e)) && !(r = db_bind_text(st, 2, d->signers[i], e)) &&
		    !(r = db_bind_text(st, 3, uids[i], e)) && !(r = db_bind_int(st, 4, (int64_t)time(NULL), e)))
			r = db_step(st, e);
		json_array_append_new(signers, json_string(d->signers[i]));
	}
	db_finalize(st);
	st = NULL;
	if (r >= 0)
		r = db_prepare(h->db, "UPDATE channel SET threshold = ? WHERE name = ?", &st, e);
	if (r >= 0 && !(r = db_bind_int(st, 1, d->threshold, e)) && !(r = db_bind_text(st, 2, d->channel, e)))
		r = db_step(st, e);
	if (r >= 0)
		r = db_meta_set(h->db, key, created, e);
	if (r >= 0)
		r = json_detail(json_pack("{s:s, s:s, s:I, s:O, s:s}", "from", dir, "created", created, "threshold",
					  (json_int_t)d->threshold, "signers", signers, "signed_by", signed_by),
				&detail, e);
	if (r >= 0)
		r = audit_append(h->db, "trust.policy-change", d->channel, detail, e);
	if (r >= 0)
		r = db_commit(h->db, e);
	if (r < 0)
		db_rollback(h->db);
out:
	db_finalize(st);
	json_decref(signers);
	free(detail);
	return r < 0 ? r : 0;
}

/* Replay and freshness: a change newer than the last one applied to this channel, not expired, not from the future. */
static int check_fresh(struct home *h, const struct policy_doc *d, int64_t now, struct err *e)
{
	char key[128], last[64], t[TIME_STR];
	int64_t skew, prev = 0;
	int r;

	r = conf_duration(h->conf, "import.clock-skew", &skew, e);
	if (r)
		return r;
	snprintf(key, sizeof(key), "policy-created:%s", d->channel);
	r = db_meta_get(h->db, key, last, sizeof(last), e);
	if (r == -AE_NOTFOUND)
		err_clear(e);
	else if (r)
		return r;
	else if (time_parse(last, strlen(last), &prev) < 0)
		return err_set(e, AE_STATE, "catalog: malformed %s '%s'", key, last);
	if (prev && d->created <= prev)
		return err_reject(e, "order: made at or before the change already applied to channel '%s' (%s): a replay",
				  d->channel, last);
	if (now >= d->expires) {
		time_format(d->expires, t);
		return err_reject(e, "expiry: the change expired at %s", t);
	}
	if (d->created > now + skew) {
		time_format(d->created, t);
		return err_reject(e, "clock: made at %s, later than this machine's clock: the clock looks wrong", t);
	}
	return 0;
}

/* airlock trust apply DIR (kiosk): verify before parse, then the current channel policy, then switch. */
static int trust_apply(struct home *h, const char *dir, struct err *e)
{
	static char trusted[TRUST_MAX_KEYS][FPR_LEN + 1];
	struct policy any = { (const char(*)[FPR_LEN + 1])trusted, 0, 1 };
	struct policy cur = { (const char(*)[FPR_LEN + 1])trusted, 0, 0 };
	char signed_by[POLICY_MAX_SIGS * (FPR_LEN + 1) + 1] = "";
	static char uids[POLICY_MAX_SIGS][256];
	struct policy_doc d;
	struct bundle b;
	struct gpg *g = NULL;
	size_t n, i, len = 0;
	const char *step = "media";
	int r;

	r = bundle_open_doc(&b, dir, POLICY_DOC_NAME, POLICY_DOC_MAX, e);
	if (r)
		goto out;
	step = "signatures";
	r = trust_load(h->db, NULL, trusted, &n, NULL, e);
	if (!r && n == 0)
		r = err_set(e, AE_STATE, "this site trusts no keys yet; start with 'airlock trust add'");
	any.ntrusted = n;
	if (!r)
		r = gpg_open(&g, h->gnupg, e);
	if (!r)
		r = bundle_verify_sigs(&b, g, &any, e);
	if (r)
		goto out;
	step = "policy";
	r = policy_doc_parse(&d, b.manifest_raw.ptr ? b.manifest_raw.ptr : "", b.manifest_raw.len, e);
	if (r)
		goto out;
	r = check_fresh(h, &d, (int64_t)time(NULL), e);
	if (r)
		goto out;
	step = "signatures";
	r = trust_load(h->db, d.channel, trusted, &n, &cur.threshold, e);
	if (!r && (n == 0 || cur.threshold == 0))
		r = err_reject(e, "channel '%s' is not trusted at this site; a change can only follow a policy set "
				  "with 'airlock trust add'", d.channel);
	cur.ntrusted = n;
	if (!r && (r = policy_check(&cur, b.sigs, b.nsigs, &b.verdict, e)))
		err_prefix(e, "the current policy of channel '%s'", d.channel);
	if (r)
		goto out;
	for (i = 0; i < b.verdict.counted; i++)
		len += (size_t)snprintf(signed_by + len, sizeof(signed_by) - len, "%s%s", i ? "," : "",
					b.verdict.signers[i]);
	step = "policy";
	r = provision_signers(g, &b, &d, uids, e);
	if (!r)
		r = replace_policy(h, &d, uids, dir, signed_by, e);
	if (!r)
		printf("channel '%s' now needs %u of %zu signers (change signed by %s)\n", d.channel, d.threshold,
		       d.nsigners, signed_by);
out:
	if (r == -AE_REJECT) {
		char msg[sizeof(e->msg)];
		struct err e2 = { 0 };

		snprintf(msg, sizeof(msg), "%s", e->msg);
		err_clear(e);
		err_reject(e, "'%s': %s: %s", dir, step, msg);
		if (audit_record(h->db, "trust.policy-rejected", dir, json_pack("{s:s}", "reason", msg), &e2))
			fprintf(stderr, "airlock: cannot record the rejection: %s\n", e2.msg);
	}
	bundle_close(&b);
	gpg_close(g);
	return r;
}

static int parse_propose(int argc, char **argv, struct cmd_ctx *ctx, struct propose_opts *o)
{
	static const struct option opts[] = {
		{ "channel", required_argument, NULL, 'c' }, { "threshold", required_argument, NULL, 't' },
		{ "to", required_argument, NULL, 'o' },      { "sign", required_argument, NULL, 's' },
		{ "expires", required_argument, NULL, 'x' }, { NULL, 0, NULL, 0 },
	};
	uint64_t th = 0;
	int c;

	o->expires = 30 * 86400;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o->channel = optarg; break;
		case 'o': o->to = optarg; break;
		case 't':
			if (parse_u64(optarg, strlen(optarg), &th) < 0 || th < 1 || th > POLICY_MAX_SIGS)
				return cmd_usage(ctx, "--threshold takes a number from 1 to 64, not '%s'", optarg);
			o->threshold = (unsigned)th;
			break;
		case 's':
			if (o->nsign == POLICY_MAX_SIGS || trust_fpr_parse(optarg, o->sign[o->nsign]) < 0)
				return cmd_usage(ctx, "'%s' is not a 40-digit key fingerprint", optarg);
			o->nsign++;
			break;
		case 'x':
			if (duration_parse(optarg, &o->expires) < 0)
				return cmd_usage(ctx, "--expires takes a duration such as 7d, not '%s'", optarg);
			break;
		case ':': return cmd_usage(ctx, "'%s' needs a value", argv[optind - 1]);
		default: return cmd_usage(ctx, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!o->channel || !name_valid(o->channel, strlen(o->channel)))
		return cmd_usage(ctx, "say which channel: --channel C");
	if (!o->to || !o->threshold || !o->nsign || optind >= argc)
		return cmd_usage(ctx, "airlock trust propose --channel C --threshold K --to DIR --sign FPR... KEYFILE...");
	o->keyfiles = argv + optind;
	o->nkeyfiles = argc - optind;
	return 0;
}

int trust_change_main(int argc, char **argv, struct cmd_ctx *ctx)
{
	const char *verb = argv[1];
	struct propose_opts po;
	struct home h = { 0 };
	struct err e = { 0 };
	char fpr[FPR_LEN + 1];
	int r, role = HOME_IMPORT;

	memset(&po, 0, sizeof(po));
	if (!strcmp(verb, "propose")) {
		r = parse_propose(argc - 1, argv + 1, ctx, &po);
		if (r)
			return r;
		role = HOME_EXPORT;
	} else if (!strcmp(verb, "cosign")) {
		if (argc != 5 || strcmp(argv[3], "--key") || trust_fpr_parse(argv[4], fpr) < 0)
			return cmd_usage(ctx, "airlock trust cosign DIR --key FPR");
		role = HOME_EXPORT;
	} else if (argc != 3 || argv[2][0] == '-') {
		return cmd_usage(ctx, "airlock trust %s %s", verb, strcmp(verb, "apply") ? "REVCERT" : "DIR");
	}
	r = home_open(&h, ctx->home, role, &e);
	if (!r) {
		if (!strcmp(verb, "propose"))
			r = trust_propose(&h, &po, &e);
		else if (!strcmp(verb, "cosign"))
			r = trust_cosign(&h, argv[2], fpr, &e);
		else if (!strcmp(verb, "apply"))
			r = trust_apply(&h, argv[2], &e);
		else
			r = trust_revoke(&h, argv[2], &e);
	}
	home_close(&h);
	return r ? cmd_fail(ctx, &e, 0) : 0;
}
