/*
 * The check a detached signature file passes before GPGME sees it
 * (gpg_sig_precheck), on arbitrary bytes; no gpg process is started.  What
 * it accepts must be, read independently of it, one armored block of
 * printable lines holding one OpenPGP signature packet (v3, v4 or v5) over a
 * binary document, with nothing around it: so anything added before or after
 * an accepted file, or the file twice, must be refused.  Line endings are
 * free (LF or CRLF), so changing them must not change the verdict.  The
 * reason for a refusal must fit the caller's buffer, however small.
 *
 * The check for files holding several signatures (gpg_sig_precheck_multi,
 * up to max packets) is held to the same rules with 1..max packets end to
 * end, each a signature over a binary document; it accepts whatever the
 * single check accepts, and with max 1 it is the single check.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify/gpg.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SIG_MAX ((size_t)64 << 10)
#define WHY 256
/* enough for every seed and more; an apt Release.gpg rarely holds over four */
#define MULTI_MAX 8

#define CHECK(cond)                                                                                          \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			fprintf(stderr, "fuzz_sigarmor: %s:%d: check failed: %s\n", __FILE__, __LINE__,      \
				#cond);                                                                      \
			abort();                                                                             \
		}                                                                                            \
	} while (0)

static const char begin[] = "-----BEGIN PGP SIGNATURE-----";
static const char end[] = "-----END PGP SIGNATURE-----";

/* Run the check with a reason buffer of exactly whylen bytes (so that ASan sees an overrun). */
static int precheck(const void *p, size_t n, size_t whylen)
{
	char *why = malloc(whylen ? whylen : 1);
	int r;

	CHECK(why);
	memset(why, 'x', whylen ? whylen : 1);
	r = gpg_sig_precheck(p, n, why, whylen);
	CHECK(r == 0 || r == -1);
	if (r && whylen) {
		CHECK(memchr(why, '\0', whylen));
		CHECK(whylen == 1 || why[0] != '\0');
	}
	free(why);
	return r;
}

/* As precheck(), for the several-signature check; *count is the packets it counted. */
static int precheck_multi(const void *p, size_t n, size_t max, size_t whylen, size_t *count)
{
	char *why = malloc(whylen ? whylen : 1);
	int r;

	CHECK(why);
	memset(why, 'x', whylen ? whylen : 1);
	*count = (size_t)-1;
	r = gpg_sig_precheck_multi(p, n, max, count, why, whylen);
	CHECK(r == 0 || r == -1);
	if (r) {
		CHECK(*count == 0);
		if (whylen) {
			CHECK(memchr(why, '\0', whylen));
			CHECK(whylen == 1 || why[0] != '\0');
		}
	} else {
		CHECK(*count >= 1 && *count <= max);
	}
	free(why);
	return r;
}

static int b64(unsigned char c)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *q = c ? strchr(alphabet, c) : NULL;

	return q ? (int)(q - alphabet) : -1;
}

struct line {
	const char *p;
	size_t len; /* without "\n" or "\r\n" */
};

/*
 * An independent reading of an accepted file: its lines, its base64 data
 * decoded whole, and the 1..max packets in it, which it returns.  Any rule
 * broken aborts.
 */
static size_t check_accepted(const uint8_t *data, size_t size, size_t max)
{
	struct line *lines;
	uint8_t *bin;
	size_t nlines = 0, i, start = 0, nbin = 0, hl, bl, off, npkt = 0;
	unsigned acc = 0;
	int bits = 0, padded = 0, tag;

	CHECK(size <= SIG_MAX);
	lines = calloc(size + 1, sizeof(*lines));
	bin = malloc(size + 1);
	CHECK(lines && bin);
	for (i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		lines[nlines].p = (const char *)data + start;
		lines[nlines].len = i - start;
		if (lines[nlines].len && lines[nlines].p[lines[nlines].len - 1] == '\r')
			lines[nlines].len--;
		nlines++;
		start = i + 1;
	}
	/* a final line ending is allowed, and then the "line" after it is empty */
	if (nlines > 1 && lines[nlines - 1].len == 0 &&
	    (size_t)(lines[nlines - 1].p - (const char *)data) == size)
		nlines--;
	/* printable text; a CR only right before an LF or as the very last byte */
	for (i = 0; i < size; i++) {
		unsigned char c = data[i];

		if (c == '\r')
			CHECK(i + 1 == size || data[i + 1] == '\n');
		else if (c != '\n')
			CHECK(c >= 0x20 && c <= 0x7e);
	}
	CHECK(nlines >= 3);
	CHECK(lines[0].len == strlen(begin) && !memcmp(lines[0].p, begin, strlen(begin)));
	CHECK(lines[nlines - 1].len == strlen(end) && !memcmp(lines[nlines - 1].p, end, strlen(end)));
	for (i = 1; i + 1 < nlines; i++)
		CHECK(lines[i].len < 5 || memcmp(lines[i].p, "-----", 5));

	/* armor headers up to the blank line, then data up to the checksum line */
	for (i = 1; i + 1 < nlines && lines[i].len; i++)
		;
	CHECK(i + 1 < nlines);
	for (i++; i + 1 < nlines; i++) {
		size_t k;

		if (lines[i].len && lines[i].p[0] == '=')
			break;
		for (k = 0; k < lines[i].len; k++) {
			unsigned char c = (unsigned char)lines[i].p[k];
			int v = b64(c);

			if (c == '=') {
				padded = 1;
				continue;
			}
			CHECK(v >= 0 && !padded);
			acc = (acc << 6 | (unsigned)v) & 0xffffu;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				bin[nbin++] = (uint8_t)(acc >> bits);
			}
		}
	}

	/* signature packets end to end, each whole, the last ending with the data */
	CHECK(nbin >= 2);
	for (off = 0; off < nbin; off += hl + bl) {
		const uint8_t *p = bin + off;
		size_t left = nbin - off;

		CHECK(p[0] & 0x80);
		if (p[0] & 0x40) {
			tag = p[0] & 0x3f;
			CHECK(left >= 2);
			if (p[1] < 192) {
				hl = 2;
				bl = p[1];
			} else if (p[1] < 224) {
				CHECK(left >= 3);
				hl = 3;
				bl = ((size_t)(p[1] - 192) << 8) + p[2] + 192;
			} else {
				CHECK(p[1] == 255 && left >= 6);
				hl = 6;
				bl = (size_t)p[2] << 24 | (size_t)p[3] << 16 | (size_t)p[4] << 8 | p[5];
			}
		} else {
			static const size_t lenlen[3] = {1, 2, 4};
			size_t k;

			tag = (p[0] >> 2) & 0x0f;
			CHECK((p[0] & 3) != 3);
			hl = 1 + lenlen[p[0] & 3];
			CHECK(left >= hl);
			for (bl = 0, k = 1; k < hl; k++)
				bl = bl << 8 | p[k];
		}
		CHECK(tag == 2);
		CHECK(bl <= left - hl);
		CHECK(bl >= 2);
		if (p[hl] == 3)
			CHECK(bl >= 3 && p[hl + 1] == 5 && p[hl + 2] == 0x00);
		else
			CHECK((p[hl] == 4 || p[hl] == 5) && p[hl + 1] == 0x00);
		npkt++;
	}
	CHECK(off == nbin);
	CHECK(npkt >= 1 && npkt <= max);
	free(lines);
	free(bin);
	return npkt;
}

/* The same file with every LF as CRLF (when it has no CR), or every CRLF as LF. */
static uint8_t *other_endings(const uint8_t *data, size_t size, size_t *out_len)
{
	uint8_t *o;
	size_t i, n = 0;

	if (!memchr(data, '\r', size)) {
		o = malloc(2 * size + 1);
		CHECK(o);
		for (i = 0; i < size; i++) {
			if (data[i] == '\n')
				o[n++] = '\r';
			o[n++] = data[i];
		}
	} else {
		o = malloc(size + 1);
		CHECK(o);
		for (i = 0; i < size; i++)
			if (data[i] != '\r')
				o[n++] = data[i];
	}
	*out_len = n;
	return o;
}

/* The check in use: the single one (max 0) or the several-signature one with max. */
static int verdict(const void *p, size_t n, size_t max)
{
	size_t count;

	return max ? precheck_multi(p, n, max, WHY, &count) : precheck(p, n, WHY);
}

static void check_nothing_around(const uint8_t *data, size_t size, size_t max)
{
	static const char junk[] = "x\n";
	uint8_t *o = malloc(2 * size + sizeof(junk));
	size_t n;

	CHECK(o);
	memcpy(o, data, size);
	memcpy(o + size, junk, sizeof(junk) - 1);
	CHECK(verdict(o, size + sizeof(junk) - 1, max) == -1);
	memcpy(o, junk, sizeof(junk) - 1);
	memcpy(o + sizeof(junk) - 1, data, size);
	CHECK(verdict(o, size + sizeof(junk) - 1, max) == -1);
	memcpy(o, data, size);
	memcpy(o + size, data, size);
	CHECK(verdict(o, 2 * size, max) == -1);
	/* a signature, its line ending, and a second one */
	n = size;
	if (data[n - 1] != '\n')
		o[n++] = '\n';
	memcpy(o + n, data, size);
	CHECK(verdict(o, n + size, max) == -1);
	free(o);
}

/* The several-signature check on the same bytes; r is the single check's verdict. */
static void check_multi(const uint8_t *data, size_t size, int r)
{
	uint8_t *other;
	size_t count, c, olen;
	int rm;

	rm = precheck_multi(data, size, MULTI_MAX, WHY, &count);
	CHECK(precheck_multi(data, size, MULTI_MAX, 0, &c) == rm);
	CHECK(precheck_multi(data, size, MULTI_MAX, 1, &c) == rm);
	CHECK(precheck_multi(data, size, MULTI_MAX, 17, &c) == rm);
	/* with room for one it is the single check; what that accepts holds one packet */
	CHECK(precheck_multi(data, size, 1, WHY, &c) == r);
	CHECK(r || (rm == 0 && count == 1));
	/* no room at all refuses everything */
	CHECK(precheck_multi(data, size, 0, WHY, &c) == -1);
	if (rm)
		return;
	CHECK(check_accepted(data, size, MULTI_MAX) == count);
	/* the count is exact: room for it is enough, one less is not */
	CHECK(precheck_multi(data, size, count, WHY, &c) == 0 && c == count);
	CHECK(precheck_multi(data, size, count - 1, WHY, &c) == -1);
	CHECK((count == 1) == (r == 0));
	check_nothing_around(data, size, MULTI_MAX);
	other = other_endings(data, size, &olen);
	if (olen <= SIG_MAX) {
		CHECK(precheck_multi(other, olen, MULTI_MAX, WHY, &c) == 0);
		CHECK(c == count);
	}
	free(other);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *other;
	size_t olen;
	int r;

	if (size > 2 * SIG_MAX)
		return 0;
	r = precheck(data, size, WHY);
	/* the verdict never depends on the room for the reason */
	CHECK(precheck(data, size, 0) == r);
	CHECK(precheck(data, size, 1) == r);
	CHECK(precheck(data, size, 17) == r);
	check_multi(data, size, r);
	if (r)
		return 0;
	CHECK(check_accepted(data, size, 1) == 1);
	check_nothing_around(data, size, 0);
	other = other_endings(data, size, &olen);
	if (olen <= SIG_MAX)
		CHECK(precheck(other, olen, WHY) == 0);
	free(other);
	return 0;
}
