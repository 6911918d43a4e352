#include "verify/policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/banned.h"

/*
 * The rejection message is built in a fixed buffer of the same size as
 * err.msg: reporting a verdict never allocates, and a message that would not
 * fit ends in "..." rather than failing.  cap leaves room for a closing
 * parenthesis after a cut list.
 */
struct msg {
	char s[sizeof(((struct err *)0)->msg)];
	size_t len;
	size_t cap;
	int full;
};

static void msg_init(struct msg *m, size_t reserve)
{
	m->s[0] = '\0';
	m->len = 0;
	m->cap = sizeof(m->s) - reserve;
	m->full = 0;
}

static void msg_add(struct msg *m, const char *fmt, ...) AL_PRINTF(2, 3);

static void msg_add(struct msg *m, const char *fmt, ...)
{
	size_t room = m->cap - m->len;
	va_list ap;
	int n;

	if (m->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(m->s + m->len, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		m->s[m->len] = '\0';
		return;
	}
	if ((size_t)n >= room) {
		/* keep the message a valid string that says it was cut */
		m->len = m->cap - 1;
		memcpy(m->s + m->len - 3, "...", 3);
		m->s[m->len] = '\0';
		m->full = 1;
		return;
	}
	m->len += (size_t)n;
}

/* Append after the cap, into the reserved room. */
static void msg_close(struct msg *m, const char *tail)
{
	size_t n = strlen(tail);

	if (m->len + n < sizeof(m->s)) {
		memcpy(m->s + m->len, tail, n + 1);
		m->len += n;
	}
}

/*
 * File names come from the media and details from GPGME: print them with
 * control characters replaced, so that a hostile name cannot rewrite the
 * operator's terminal.  The source field need not be NUL-terminated.
 */
static void safe_text(const char *in, size_t cap, char *out, size_t outcap)
{
	size_t i;

	for (i = 0; i < cap && i + 1 < outcap && in[i]; i++) {
		unsigned char c = (unsigned char)in[i];

		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[i] = '\0';
}

static void safe_name(const struct sig_result *s, char out[sizeof(s->file)])
{
	safe_text(s->file, sizeof(s->file), out, sizeof(s->file));
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A v4 fingerprint: exactly 40 hex digits, NUL-terminated inside the field. */
static int fpr_valid(const char *f)
{
	size_t i;

	for (i = 0; i < FPR_LEN; i++)
		if (!is_hex(f[i]))
			return 0;
	return f[FPR_LEN] == '\0';
}

static int fpr_eq(const char *a, const char *b)
{
	size_t i;

	for (i = 0; i < FPR_LEN; i++) {
		char x = a[i], y = b[i];

		if (x >= 'a' && x <= 'f')
			x = (char)(x - 'a' + 'A');
		if (y >= 'a' && y <= 'f')
			y = (char)(y - 'a' + 'A');
		if (x != y)
			return 0;
	}
	return 1;
}

static void fpr_upper(const char *in, char out[FPR_LEN + 1])
{
	size_t i;

	for (i = 0; i < FPR_LEN; i++)
		out[i] = (in[i] >= 'a' && in[i] <= 'f') ? (char)(in[i] - 'a' + 'A') : in[i];
	out[FPR_LEN] = '\0';
}

static int is_trusted(const struct policy *p, const char *fpr)
{
	size_t i;

	for (i = 0; i < p->ntrusted; i++)
		if (fpr_valid(p->trusted[i]) && fpr_eq(p->trusted[i], fpr))
			return 1;
	return 0;
}

/*
 * The primary key a good signature speaks for.  A signature whose signing key
 * equals a primary fingerprint was made by that primary, so key_fpr stands in
 * when the primary was not filled; anything else does not count.
 */
static const char *good_primary(const struct sig_result *s)
{
	if (fpr_valid(s->primary_fpr))
		return s->primary_fpr;
	if (!s->primary_fpr[0] && fpr_valid(s->key_fpr))
		return s->key_fpr;
	return NULL;
}

const char *sig_status_name(enum sig_status s)
{
	switch (s) {
	case SIG_GOOD:
		return "good";
	case SIG_BAD:
		return "bad";
	case SIG_MALFORMED:
		return "malformed";
	case SIG_UNKNOWN_KEY:
		return "unknown-key";
	case SIG_KEY_EXPIRED:
		return "key-expired";
	case SIG_KEY_REVOKED:
		return "key-revoked";
	case SIG_EXPIRED:
		return "expired";
	case SIG_ERROR:
		return "error";
	}
	return "error";
}

/* What became of each signature file, decided before the message is written. */
enum fate {
	COUNTED,
	NOT_GOOD,  /* the status says why */
	NO_FPR,	   /* good, but no usable primary fingerprint */
	UNTRUSTED, /* good, but the primary is not in the channel's list */
	DUPLICATE  /* good, but its primary counted already */
};

/* "'b.asc': key revoked" for a signature that did not count. */
static void add_reason(struct msg *m, const struct sig_result *s, enum fate f, const char *prim)
{
	char name[sizeof(s->file)], key[FPR_LEN + 1], detail[sizeof(s->detail)];

	safe_name(s, name);
	safe_text(s->key_fpr, sizeof(s->key_fpr), key, sizeof(key));
	safe_text(s->detail, sizeof(s->detail), detail, sizeof(detail));
	msg_add(m, "'%s': ", name);
	switch (f) {
	case NO_FPR:
		msg_add(m, "signing key has no fingerprint");
		return;
	case UNTRUSTED:
		msg_add(m, "key %.40s is not trusted for this channel", prim);
		return;
	case DUPLICATE:
		msg_add(m, "key %.40s already counted", prim);
		return;
	case COUNTED:
	case NOT_GOOD:
		break;
	}
	switch (s->status) {
	case SIG_UNKNOWN_KEY:
		msg_add(m, "unknown key%s%s", key[0] ? " " : "", key);
		break;
	case SIG_KEY_EXPIRED:
		msg_add(m, "key expired");
		break;
	case SIG_KEY_REVOKED:
		msg_add(m, "key revoked");
		break;
	case SIG_EXPIRED:
		msg_add(m, "signature expired");
		break;
	case SIG_GOOD:
	case SIG_BAD:
	case SIG_MALFORMED:
	case SIG_ERROR:
	default:
		msg_add(m, "error%s%s", detail[0] ? ": " : "", detail);
		break;
	}
}

/* A BAD or MALFORMED file rejects on its own; name every such file. */
static int reject_tampered(const struct sig_result *sigs, size_t nsigs, struct err *e)
{
	struct msg m;
	size_t i, n = 0;

	msg_init(&m, 0);
	for (i = 0; i < nsigs; i++) {
		char name[sizeof(sigs[i].file)], detail[sizeof(sigs[i].detail)];

		if (sigs[i].status != SIG_BAD && sigs[i].status != SIG_MALFORMED)
			continue;
		safe_name(&sigs[i], name);
		msg_add(&m, "%s'%s': ", n++ ? "; " : "", name);
		if (sigs[i].status == SIG_BAD) {
			msg_add(&m, "bad signature: the signed data does not match it");
		} else {
			safe_text(sigs[i].detail, sizeof(sigs[i].detail), detail, sizeof(detail));
			msg_add(&m, "malformed signature file%s%s", detail[0] ? ": " : "", detail);
		}
	}
	if (!n)
		return 0;
	return err_reject(e, "%s", m.s);
}

/* Messages carry no "rejected: " prefix: cmd_fail() adds it for AE_REJECT. */
int policy_check(const struct policy *p, const struct sig_result *sigs, size_t nsigs,
		 struct policy_verdict *v, struct err *e)
{
	struct policy_verdict local;
	enum fate fate[POLICY_MAX_SIGS];
	const char *prim[POLICY_MAX_SIGS];
	struct msg m;
	size_t i, j, nwhy = 0;
	int r;

	if (!v)
		v = &local;
	memset(v, 0, sizeof(*v));
	if (!p || p->threshold < 1)
		return err_set(e, AE_STATE, "signature policy has no threshold (must be at least 1)");
	if (nsigs == 0)
		return err_reject(e, "no signatures");
	if (nsigs > POLICY_MAX_SIGS)
		return err_reject(e, "%zu signature files, more than the limit of %d", nsigs,
				  POLICY_MAX_SIGS);
	r = reject_tampered(sigs, nsigs, e);
	if (r)
		return r;

	for (i = 0; i < nsigs; i++) {
		prim[i] = NULL;
		if (sigs[i].status != SIG_GOOD) {
			fate[i] = NOT_GOOD;
			continue;
		}
		prim[i] = good_primary(&sigs[i]);
		if (!prim[i]) {
			fate[i] = NO_FPR;
			continue;
		}
		if (!is_trusted(p, prim[i])) {
			fate[i] = UNTRUSTED;
			continue;
		}
		fate[i] = COUNTED;
		for (j = 0; j < v->counted; j++)
			if (fpr_eq(v->signers[j], prim[i]))
				fate[i] = DUPLICATE;
		if (fate[i] == COUNTED)
			fpr_upper(prim[i], v->signers[v->counted++]);
	}
	if (v->counted >= p->threshold) {
		v->ok = 1;
		return 0;
	}

	/* room for the closing parenthesis even when the list is cut */
	msg_init(&m, 1);
	msg_add(&m, "threshold not met: %u of %u required trusted signatures", v->counted, p->threshold);
	for (i = 0; i < nsigs; i++) {
		if (fate[i] == COUNTED)
			continue;
		msg_add(&m, nwhy++ ? "; " : " (");
		add_reason(&m, &sigs[i], fate[i], prim[i]);
	}
	if (nwhy)
		msg_close(&m, ")");
	return err_reject(e, "%s", m.s);
}
