/*
 * The mirror's parsers of request bytes (mirror/serve.h), all run on the same
 * input read as one string: path decoding and splitting, Range, If-None-Match,
 * Content-Type and the listen address.  Besides never crashing, each must
 * agree with an independent reading of its contract: a path that reaches the
 * catalog holds no control byte and no "", "." or ".." component; a range lies
 * inside the body; an entity tag matches only when the header names it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "lib/err.h"
#include "mirror/serve.h"
#include "verify/manifest.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The buffer serve.c's handler decodes into: "/<source>/<path>" and the NUL. */
#define DECODED_MAX (1 + MANIFEST_MAX_NAME + 1 + MANIFEST_MAX_PATH + 1)
#define INPUT_MAX (64u << 10)

#define CHECK(cond)                                                                                          \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			fprintf(stderr, "fuzz_http: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);  \
			abort();                                                                             \
		}                                                                                            \
	} while (0)

static int ref_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * The decoding contract read on its own: how many decoded bytes come before
 * the first invalid one (a bad escape, %00 or another control byte), whether
 * there is one, and the decoded bytes themselves (ref gets up to reflen).
 */
static size_t ref_decode(const char *url, char *ref, size_t reflen, int *bad)
{
	size_t n = 0, i = 0;

	*bad = 0;
	while (url[i]) {
		unsigned char c = (unsigned char)url[i];

		if (c == '%') {
			int hi = ref_hex((unsigned char)url[i + 1]);
			int lo = hi < 0 ? -1 : ref_hex((unsigned char)url[i + 2]);

			if (hi < 0 || lo < 0) {
				*bad = 1;
				break;
			}
			c = (unsigned char)(hi * 16 + lo);
			i += 3;
		} else {
			i++;
		}
		if (c < 0x20 || c == 0x7f) {
			*bad = 1;
			break;
		}
		if (n < reflen)
			ref[n] = (char)c;
		n++;
	}
	return n;
}

static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* 1 if the '/'-separated s (not starting with '/') has an empty, "." or ".." component. */
static int bad_component(const char *s)
{
	const char *c = s;

	for (;;) {
		const char *slash = strchr(c, '/');
		size_t len = slash ? (size_t)(slash - c) : strlen(c);

		if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			return 1;
		if (!slash)
			return 0;
		c = slash + 1;
	}
}

/* Split a private copy (exactly sized, so that ASan sees any overrun) and check the parts. */
static void check_split(const char *d)
{
	size_t len = strlen(d);
	char *copy = malloc(len + 1);
	const char *source = NULL, *path = NULL;
	int r, expect_ok;

	CHECK(copy);
	memcpy(copy, d, len + 1);
	r = serve_split_path(copy, &source, &path);
	CHECK(r == 0 || r == SERVE_NOTFOUND);
	expect_ok = d[0] == '/' && strchr(d + 1, '/') && !bad_component(d + 1);
	CHECK(expect_ok == (r == 0));
	if (r == 0) {
		CHECK(source == copy + 1);
		CHECK(*source && !strchr(source, '/'));
		CHECK(path == source + strlen(source) + 1 && path < copy + len + 1);
		CHECK(*path && !bad_component(path));
		CHECK(strlen(source) + 1 + strlen(path) + 1 == len);
		CHECK(!memcmp(path, d + 1 + strlen(source) + 1, strlen(path)));
	}
	free(copy);
}

static void check_decode(const char *url, size_t outlen)
{
	static char ref[DECODED_MAX];
	char *out = malloc(outlen ? outlen : 1);
	size_t n;
	int r, bad, expect;

	CHECK(out);
	r = serve_decode_path(url, out, outlen);
	CHECK(r == 0 || r == SERVE_BAD || r == SERVE_NOTFOUND);
	n = ref_decode(url, ref, sizeof(ref), &bad);
	/* a byte that would not fit is refused before a later bad byte is seen */
	if (url[0] != '/' || outlen == 0)
		expect = SERVE_BAD;
	else if (n >= outlen)
		expect = SERVE_NOTFOUND;
	else if (bad)
		expect = SERVE_BAD;
	else
		expect = 0;
	CHECK(r == expect);
	if (r == 0) {
		CHECK(memchr(out, '\0', outlen));
		CHECK(strlen(out) == n && n < outlen);
		CHECK(!memcmp(out, ref, n));
		CHECK(out[0] == '/' && !has_control(out));
		/* decoding only shrinks: a path never outgrows its URL */
		CHECK(n <= strlen(url));
		if (outlen == DECODED_MAX)
			check_split(out);
	}
	free(out);
}

static const uint64_t sizes[] = {
    0, 1, 2, 5, 9, 10, 11, 100, 4096, (uint64_t)1 << 32, UINT64_MAX / 10, UINT64_MAX - 1, UINT64_MAX,
};

static void check_range_at(const char *h, uint64_t size, int *prev_kind, uint64_t *prev_first,
			   uint64_t *prev_last)
{
	uint64_t first = 0xa5a5a5a5a5a5a5a5u, last = 0x5a5a5a5a5a5a5a5au, f2 = 0, l2 = 0;
	char again[64];
	int r;

	r = serve_parse_range(h, size, &first, &last);
	CHECK(r == SERVE_RANGE_NONE || r == SERVE_RANGE_ONE || r == SERVE_RANGE_UNSAT);
	if (r != SERVE_RANGE_NONE) {
		const char *p = h;

		while (*p == ' ' || *p == '\t')
			p++;
		CHECK(!strncasecmp(p, "bytes", 5) && strchr(p, '=') && strchr(p, '-') && !strchr(p, ','));
	}
	if (r == SERVE_RANGE_ONE) {
		CHECK(size > 0 && first <= last && last < size);
		/* the Content-Range the server writes names the same range */
		snprintf(again, sizeof(again), "bytes=%llu-%llu", (unsigned long long)first,
			 (unsigned long long)last);
		CHECK(serve_parse_range(again, size, &f2, &l2) == SERVE_RANGE_ONE && f2 == first &&
		      l2 == last);
	}
	/*
	 * Sizes come in increasing order: a header that is ignored is ignored at
	 * every size; one that fits a body fits a larger one; a range that a body
	 * cannot satisfy could not be satisfied by a smaller body.
	 */
	if (*prev_kind >= 0) {
		CHECK((*prev_kind == SERVE_RANGE_NONE) == (r == SERVE_RANGE_NONE));
		if (*prev_kind == SERVE_RANGE_ONE) {
			CHECK(r == SERVE_RANGE_ONE);
			CHECK(last >= *prev_last);
		}
		if (r == SERVE_RANGE_UNSAT)
			CHECK(*prev_kind == SERVE_RANGE_UNSAT);
		(void)prev_first;
	}
	*prev_kind = r;
	*prev_first = first;
	*prev_last = last;
}

static void check_range(const char *h, size_t len)
{
	uint64_t pf = 0, pl = 0;
	int kind = -1;
	size_t i;

	CHECK(serve_parse_range(NULL, 10, &pf, &pl) == SERVE_RANGE_NONE);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		check_range_at(h, sizes[i], &kind, &pf, &pl);
	/* one size the input chooses */
	kind = -1;
	check_range_at(h, (uint64_t)len, &kind, &pf, &pl);
}

static void check_etag_with(const char *h, size_t len, const char *etag)
{
	size_t elen = strlen(etag);
	char *more = malloc(len + elen + 8);
	int r;

	CHECK(more);
	r = serve_etag_match(h, etag);
	CHECK(r == 0 || r == 1);
	/* a match must come from the header: the tag itself or "*" */
	if (r)
		CHECK(strstr(h, etag) || strchr(h, '*'));
	/* the list is read left to right: what follows a match cannot undo it */
	memcpy(more, h, len);
	memcpy(more + len, ", W/", 4);
	memcpy(more + len + 4, etag, elen + 1);
	if (r)
		CHECK(serve_etag_match(more, etag) == 1);
	/* the tag first in the list always matches, weak or strong */
	memcpy(more, etag, elen);
	memcpy(more + elen, ", ", 2);
	memcpy(more + elen + 2, h, len + 1);
	CHECK(serve_etag_match(more, etag) == 1);
	more[0] = 'W';
	more[1] = '/';
	memcpy(more + 2, etag, elen);
	memcpy(more + 2 + elen, ",", 1);
	memcpy(more + 3 + elen, h, len + 1);
	CHECK(serve_etag_match(more, etag) == 1);
	free(more);
}

static void check_etag(const char *h, size_t len)
{
	check_etag_with(h, len, "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"");
	check_etag_with(h, len, "\"a\"");
	check_etag_with(h, len, "\"\"");
}

static void check_content_type(const char *path)
{
	const char *t = serve_content_type(path), *base = strrchr(path, '/');

	CHECK(t && *t);
	base = base ? base + 1 : path;
	/* only the last component counts, and a dot file has no extension */
	CHECK(!strcmp(serve_content_type(base), t));
	if (!strchr(base, '.') || (base[0] == '.' && !strchr(base + 1, '.')))
		CHECK(!strcmp(t, "application/octet-stream"));
}

static void check_listen(const char *s)
{
	struct sockaddr_storage ss;
	socklen_t slen = 0;
	struct err e;
	int r;

	err_clear(&e);
	r = serve_parse_listen(s, &ss, &slen, &e);
	if (r) {
		CHECK(r == -AE_USAGE && e.code == AE_USAGE && e.msg[0]);
		return;
	}
	CHECK((ss.ss_family == AF_INET && slen == sizeof(struct sockaddr_in)) ||
	      (ss.ss_family == AF_INET6 && slen == sizeof(struct sockaddr_in6)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t outlens[] = {0, 1, 2, 3, 8, 64, DECODED_MAX};
	char *s;
	size_t len, i;

	if (size > INPUT_MAX)
		return 0;
	/* Headers and the URL reach us as C strings: the input up to its first NUL. */
	s = malloc(size + 1);
	CHECK(s);
	memcpy(s, data, size);
	s[size] = '\0';
	len = strlen(s);

	for (i = 0; i < sizeof(outlens) / sizeof(outlens[0]); i++)
		check_decode(s, outlens[i]);
	check_split(s);
	check_range(s, len);
	check_etag(s, len);
	check_content_type(s);
	check_listen(s);
	free(s);
	return 0;
}
