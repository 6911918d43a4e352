/*
 * The check a detached signature file passes before GPGME sees it
 * (gpg_sig_precheck), on arbitrary bytes; no gpg process is started.  What
 * it accepts must be, read independently of it, one armored block of
 * printable lines holding one OpenPGP signature packet (v3, v4 or v5) over a
 * binary document, with nothing around it: so anything added before or after
 * an accepted file, or the file twice, must be refused.  Line endings are
 * free (LF or CRLF), so changing them must not change the verdict.  The
 * reason for a refusal must fit the caller's buffer, however small.
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
 * decoded whole, and the one packet in it.  Any rule broken aborts.
 */
static void check_accepted(const uint8_t *data, size_t size)
{
	struct line *lines;
	uint8_t *bin;
	size_t nlines = 0, i, start = 0, nbin = 0, hl, bl;
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

	/* exactly one signature packet, whole */
	CHECK(nbin >= 2 && (bin[0] & 0x80));
	if (bin[0] & 0x40) {
		tag = bin[0] & 0x3f;
		if (bin[1] < 192) {
			hl = 2;
			bl = bin[1];
		} else if (bin[1] < 224) {
			CHECK(nbin >= 3);
			hl = 3;
			bl = ((size_t)(bin[1] - 192) << 8) + bin[2] + 192;
		} else {
			CHECK(bin[1] == 255 && nbin >= 6);
			hl = 6;
			bl = (size_t)bin[2] << 24 | (size_t)bin[3] << 16 | (size_t)bin[4] << 8 | bin[5];
		}
	} else {
		static const size_t lenlen[3] = {1, 2, 4};
		size_t k;

		tag = (bin[0] >> 2) & 0x0f;
		CHECK((bin[0] & 3) != 3);
		hl = 1 + lenlen[bin[0] & 3];
		CHECK(nbin >= hl);
		for (bl = 0, k = 1; k < hl; k++)
			bl = bl << 8 | bin[k];
	}
	CHECK(tag == 2);
	CHECK(hl + bl == nbin);
	CHECK(bl >= 2);
	if (bin[hl] == 3)
		CHECK(bl >= 3 && bin[hl + 1] == 5 && bin[hl + 2] == 0x00);
	else
		CHECK((bin[hl] == 4 || bin[hl] == 5) && bin[hl + 1] == 0x00);
	free(lines);
	free(bin);
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

static void check_nothing_around(const uint8_t *data, size_t size)
{
	static const char junk[] = "x\n";
	uint8_t *o = malloc(2 * size + sizeof(junk));
	size_t n;

	CHECK(o);
	memcpy(o, data, size);
	memcpy(o + size, junk, sizeof(junk) - 1);
	CHECK(precheck(o, size + sizeof(junk) - 1, WHY) == -1);
	memcpy(o, junk, sizeof(junk) - 1);
	memcpy(o + sizeof(junk) - 1, data, size);
	CHECK(precheck(o, size + sizeof(junk) - 1, WHY) == -1);
	memcpy(o, data, size);
	memcpy(o + size, data, size);
	CHECK(precheck(o, 2 * size, WHY) == -1);
	/* a signature, its line ending, and a second one */
	n = size;
	if (data[n - 1] != '\n')
		o[n++] = '\n';
	memcpy(o + n, data, size);
	CHECK(precheck(o, n + size, WHY) == -1);
	free(o);
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
	if (r)
		return 0;
	check_accepted(data, size);
	check_nothing_around(data, size);
	other = other_endings(data, size, &olen);
	if (olen <= SIG_MAX)
		CHECK(precheck(other, olen, WHY) == 0);
	free(other);
	return 0;
}
