#include "verify/policy_doc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "lib/banned.h"

static int cmp_fpr(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int is_fpr(const char *s, size_t n)
{
	size_t i;

	if (n != FPR_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

int policy_doc_write(struct policy_doc *d, struct buf *out, struct err *e)
{
	char c[TIME_STR], x[TIME_STR];
	size_t i;
	int r;

	if (!name_valid(d->channel, strlen(d->channel)))
		return err_set(e, AE_USAGE, "'%s' is not a valid channel name", d->channel);
	if (d->nsigners == 0 || d->threshold < 1 || d->threshold > d->nsigners)
		return err_set(e, AE_USAGE, "threshold %u needs at least that many signers (have %zu)", d->threshold,
			       d->nsigners);
	if (d->expires <= d->created)
		return err_set(e, AE_USAGE, "the change must expire after it is made");
	qsort(d->signers, d->nsigners, sizeof(d->signers[0]), cmp_fpr);
	for (i = 1; i < d->nsigners; i++)
		if (!strcmp(d->signers[i - 1], d->signers[i]))
			return err_set(e, AE_USAGE, "signer %s named twice", d->signers[i]);
	time_format(d->created, c);
	time_format(d->expires, x);
	r = buf_addf(out, e, "airlock-policy 1\nchannel %s\ncreated %s\nexpires %s\nthreshold %u\n", d->channel, c, x,
		     d->threshold);
	for (i = 0; !r && i < d->nsigners; i++)
		r = buf_addf(out, e, "signer %s\n", d->signers[i]);
	return r ? r : buf_addf(out, e, "end\n");
}

/* The next line, without its '\n'; -1 when there is no complete line left. */
static int next_line(const char **p, const char *end, struct slice *line)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));

	if (!nl)
		return -1;
	line->ptr = *p;
	line->len = (size_t)(nl - *p);
	*p = nl + 1;
	return 0;
}

/* "<kw> <value>": the value, or NULL. */
static const char *value_of(struct slice line, const char *kw, size_t *vlen)
{
	size_t k = strlen(kw);

	if (line.len <= k + 1 || memcmp(line.ptr, kw, k) || line.ptr[k] != ' ')
		return NULL;
	*vlen = line.len - k - 1;
	return line.ptr + k + 1;
}

int policy_doc_parse(struct policy_doc *d, const char *data, size_t len, struct err *e)
{
	const char *p = data, *end = data + len, *v;
	struct slice line;
	struct buf again;
	uint64_t th;
	size_t ln = 0, vl;
	int r = 0;

	memset(d, 0, sizeof(*d));
	if (len > POLICY_DOC_MAX)
		return err_reject(e, "policy: %zu bytes, over the limit of %d", len, POLICY_DOC_MAX);
	if (memchr(data, '\0', len))
		return err_reject(e, "policy: NUL byte");
#define LINE(cond, what)                                                                                  \
	do {                                                                                              \
		ln++;                                                                                     \
		if (next_line(&p, end, &line) < 0 || !(cond))                                            \
			return err_reject(e, "policy line %zu: expected %s", ln, what);                  \
	} while (0)
	LINE(line.len == 16 && !memcmp(line.ptr, "airlock-policy 1", 16), "'airlock-policy 1'");
	LINE((v = value_of(line, "channel", &vl)) && vl < sizeof(d->channel) && name_valid(v, vl), "'channel NAME'");
	memcpy(d->channel, v, vl);
	LINE((v = value_of(line, "created", &vl)) && time_parse(v, vl, &d->created) == 0, "'created TIME'");
	LINE((v = value_of(line, "expires", &vl)) && time_parse(v, vl, &d->expires) == 0, "'expires TIME'");
	LINE((v = value_of(line, "threshold", &vl)) && parse_u64(v, vl, &th) == 0 && th >= 1 && th <= POLICY_MAX_SIGS,
	     "'threshold K' (1 to 64)");
	d->threshold = (unsigned)th;
	for (;;) {
		ln++;
		if (next_line(&p, end, &line) < 0)
			return err_reject(e, "policy line %zu: missing 'end'", ln);
		if (line.len == 3 && !memcmp(line.ptr, "end", 3))
			break;
		v = value_of(line, "signer", &vl);
		if (!v || !is_fpr(v, vl))
			return err_reject(e, "policy line %zu: expected 'signer FPR' (40 uppercase hex digits) or 'end'", ln);
		if (d->nsigners == POLICY_MAX_SIGS)
			return err_reject(e, "policy line %zu: more than %d signers", ln, POLICY_MAX_SIGS);
		memcpy(d->signers[d->nsigners++], v, FPR_LEN);
	}
	if (p != end)
		return err_reject(e, "policy line %zu: data after 'end'", ln + 1);
	/* canonical, or refused: the same rule as the manifest, checked by writing it back */
	buf_init(&again, POLICY_DOC_MAX);
	r = policy_doc_write(d, &again, e);
	if (r) {
		char why[sizeof(e->msg)];

		snprintf(why, sizeof(why), "%s", e->msg);
		err_clear(e);
		r = err_reject(e, "policy: %s", why);
	} else if (again.len != len || memcmp(again.ptr, data, len)) {
		r = err_reject(e, "policy: not in canonical form (signers strictly ascending, no extra spaces)");
	}
	buf_release(&again);
	return r;
#undef LINE
}
