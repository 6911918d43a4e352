#include "verify/deb822.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"
#include "lib/banned.h"

/*
 * The window holds at most one stanza plus one read's worth of the next: a
 * stream of any length is read in constant memory.
 */
#define READ_CHUNK ((size_t)64 << 10)
#define WINDOW_MAX (DEB822_MAX_PARA + READ_CHUNK + 1)
#define APT_PATH_MAX 4096

/*
 * A memory reader has read == NULL and its window points at the caller's
 * bytes (cap 0: not ours to free or grow); eof is set from the start, so the
 * window is never refilled or moved.
 */
void deb822_reader_init(struct deb822_reader *r, deb822_read_fn read, void *arg, const char *name)
{
	r->read = read;
	r->arg = arg;
	r->name = name ? name : "stream";
	buf_init(&r->buf, WINDOW_MAX);
	r->pos = 0;
	r->line = 1;
	r->eof = 0;
}

void deb822_reader_init_mem(struct deb822_reader *r, const char *p, size_t len, const char *name)
{
	deb822_reader_init(r, NULL, NULL, name);
	r->buf.ptr = (char *)p;
	r->buf.len = p ? len : 0;
	r->buf.cap = 0;
	r->buf.max = 0;
	r->eof = 1;
}

void deb822_reader_release(struct deb822_reader *r)
{
	if (r->read)
		buf_release(&r->buf);
	else
		buf_init(&r->buf, 0);
	r->pos = 0;
	r->eof = 1;
}

/* Drop consumed bytes and append one read; sets eof when the stream ends. */
static int fill(struct deb822_reader *r, struct err *e)
{
	char tmp[16384];
	size_t want;
	ssize_t got;

	if (r->pos > 0) {
		memmove(r->buf.ptr, r->buf.ptr + r->pos, r->buf.len - r->pos);
		r->buf.len -= r->pos;
		r->buf.ptr[r->buf.len] = '\0';
		r->pos = 0;
	}
	want = r->buf.max - r->buf.len;
	if (want > sizeof(tmp))
		want = sizeof(tmp);
	if (want == 0)
		return err_set(e, AE_TOOBIG, "'%s' line %u: stanza larger than %zu bytes", r->name, r->line,
			       DEB822_MAX_PARA);
	got = r->read(r->arg, tmp, want, e);
	if (got < 0) {
		if (!e->code)
			err_set(e, AE_IO, "cannot read '%s'", r->name);
		return -e->code;
	}
	if ((size_t)got > want)
		return err_set(e, AE_IO, "'%s': reader returned more than asked", r->name);
	if (got == 0) {
		r->eof = 1;
		return 0;
	}
	return buf_add(&r->buf, tmp, (size_t)got, e);
}

static int bad(struct deb822_reader *r, unsigned line, struct err *e, const char *what)
{
	return err_reject(e, "'%s' line %u: %s", r->name, line, what);
}

/* Split the stanza's lines into fields; raw is complete and checked for NUL and CR. */
static int split_fields(struct deb822_reader *r, struct deb822_para *para, struct err *e)
{
	const char *p = para->raw.ptr, *end = p + para->raw.len;
	unsigned line = para->line;
	struct deb822_field *f = NULL;
	size_t i, j;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *colon;

		if (*p == ' ' || *p == '\t') {
			if (!f)
				return bad(r, line, e, "continuation line before any field");
			f->value.len = (size_t)(le - f->value.ptr);
		} else if (*p == '#') {
			return bad(r, line, e, "comment lines are not allowed");
		} else {
			colon = memchr(p, ':', (size_t)(le - p));
			if (!colon)
				return bad(r, line, e, "field without a ':'");
			if (colon == p)
				return bad(r, line, e, "empty field name");
			if (*p == '-')
				return bad(r, line, e, "field name starts with '-'");
			for (i = 0; i < (size_t)(colon - p); i++)
				if ((unsigned char)p[i] < 0x21 || (unsigned char)p[i] > 0x7e)
					return bad(r, line, e,
						   "field name with a byte that is not printable ASCII");
			if (para->nfields == DEB822_MAX_FIELDS)
				return bad(r, line, e, "more fields than allowed in one stanza");
			f = &para->fields[para->nfields++];
			f->name.ptr = p;
			f->name.len = (size_t)(colon - p);
			/*
			 * Two fields of one name would let two readers of the same
			 * stanza see different values (first vs last wins).
			 */
			for (j = 0; j + 1 < para->nfields; j++)
				if (para->fields[j].name.len == f->name.len &&
				    strncasecmp(para->fields[j].name.ptr, p, f->name.len) == 0)
					return bad(r, line, e, "duplicate field");
			p = colon + 1;
			while (p < le && (*p == ' ' || *p == '\t'))
				p++;
			f->value.ptr = p;
			f->value.len = (size_t)(le - p);
		}
		p = nl ? nl + 1 : end;
		line++;
	}
	for (i = 0; i < para->nfields; i++) {
		struct slice *v = &para->fields[i].value;

		while (v->len && (v->ptr[v->len - 1] == ' ' || v->ptr[v->len - 1] == '\t'))
			v->len--;
	}
	return 0;
}

int deb822_next(struct deb822_reader *r, struct deb822_para *para, struct err *e)
{
	size_t ls = 0, scan = 0; /* line start and how far '\n' was searched, relative to pos */
	unsigned nlines = 0;
	int in_stanza = 0, rc;

	para->nfields = 0;
	para->raw = SLICE_NULL;
	para->line = r->line;
	/* the window is compacted only when it must grow (fill), not per stanza */
	for (;;) {
		const char *b = r->buf.ptr ? r->buf.ptr + r->pos : "";
		size_t n = r->buf.len - r->pos, le, i;
		const char *nl = scan < n ? memchr(b + scan, '\n', n - scan) : NULL;
		int blank = 1;

		if (!nl && !r->eof) {
			/* the stanza so far plus the unfinished line cannot fit */
			if (n > DEB822_MAX_PARA)
				return err_set(e, AE_TOOBIG, "'%s' line %u: stanza larger than %zu bytes",
					       r->name, r->line, DEB822_MAX_PARA);
			scan = n;
			rc = fill(r, e);
			if (rc)
				return rc;
			continue;
		}
		le = nl ? (size_t)(nl - b) : n;
		for (i = ls; i < le; i++) {
			if (b[i] == '\0')
				return bad(r, r->line + nlines, e, "NUL byte");
			if (b[i] == '\r')
				return bad(r, r->line + nlines, e, "carriage return (CRLF line ending)");
			if (b[i] != ' ' && b[i] != '\t')
				blank = 0;
		}
		if (blank) {
			size_t next = le + (nl ? 1 : 0);

			if (!in_stanza) {
				/* a blank line before any field: consume it */
				r->pos += next;
				if (nl)
					r->line++;
				ls = scan = 0;
				if (!nl)
					return 0;
				continue;
			}
			para->raw.ptr = b;
			para->raw.len = ls;
			para->line = r->line;
			r->pos += next;
			r->line += nlines + (nl ? 1 : 0);
			break;
		}
		in_stanza = 1;
		if (le + (nl ? 1 : 0) > DEB822_MAX_PARA)
			return err_set(e, AE_TOOBIG, "'%s' line %u: stanza larger than %zu bytes", r->name,
				       r->line, DEB822_MAX_PARA);
		nlines++;
		if (!nl) {
			para->raw.ptr = b;
			para->raw.len = le;
			para->line = r->line;
			r->pos += le;
			r->line += nlines - 1;
			break;
		}
		ls = scan = le + 1;
	}
	rc = split_fields(r, para, e);
	if (rc) {
		para->nfields = 0;
		return rc;
	}
	return 1;
}

struct slice deb822_get(const struct deb822_para *para, const char *name)
{
	size_t n = strlen(name), i;

	for (i = 0; i < para->nfields; i++)
		if (para->fields[i].name.len == n && strncasecmp(para->fields[i].name.ptr, name, n) == 0)
			return para->fields[i].value;
	return SLICE_NULL;
}

/* ---- Release ---- */

int apt_path_valid(const char *p, size_t len)
{
	size_t i, seg = 0;

	if (len == 0 || len > APT_PATH_MAX || p[0] == '/')
		return 0;
	for (i = 0; i <= len; i++) {
		if (i == len || p[i] == '/') {
			size_t sl = i - seg;

			if (sl == 0 || (sl == 1 && p[seg] == '.') ||
			    (sl == 2 && p[seg] == '.' && p[seg + 1] == '.'))
				return 0;
			seg = i + 1;
			continue;
		}
		/* no controls, spaces or backslashes: a path is one token everywhere it is written */
		if ((unsigned char)p[i] <= 0x20 || p[i] == 0x7f || p[i] == '\\')
			return 0;
	}
	return 1;
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe, mm = m, dd = d;

	y -= mm <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (mm + (mm > 2 ? -3 : 9)) + 2) / 5 + dd - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int take_digits(struct slice *s, size_t min, size_t max, unsigned *out)
{
	size_t i = 0;
	unsigned v = 0;

	while (i < s->len && i < max && s->ptr[i] >= '0' && s->ptr[i] <= '9')
		v = v * 10 + (unsigned)(s->ptr[i++] - '0');
	if (i < min || (i < s->len && s->ptr[i] >= '0' && s->ptr[i] <= '9'))
		return -1;
	s->ptr += i;
	s->len -= i;
	*out = v;
	return 0;
}

static int take_char(struct slice *s, char c)
{
	if (s->len == 0 || s->ptr[0] != c)
		return -1;
	s->ptr++;
	s->len--;
	return 0;
}

static int take_spaces(struct slice *s)
{
	size_t i = 0;

	while (i < s->len && (s->ptr[i] == ' ' || s->ptr[i] == '\t'))
		i++;
	s->ptr += i;
	s->len -= i;
	return i ? 0 : -1;
}

/*
 * RFC 2822 as apt writes and reads it: "[Day, ]DD Mon YYYY HH:MM:SS ZONE"
 * with ZONE "UTC", "GMT", "Z" or a numeric offset "+HHMM"/"-HHMM".
 */
static int rfc2822_parse(struct slice s, int64_t *out)
{
	static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned day, mon, year, hh, mm, ss, oh, om;
	int64_t t, off = 0;
	size_t i;

	if (s.len >= 4 && s.ptr[3] == ',') {
		for (i = 0; i < 7; i++)
			if (memcmp(s.ptr, days[i], 3) == 0)
				break;
		if (i == 7)
			return -1;
		s.ptr += 4;
		s.len -= 4;
		if (take_spaces(&s))
			return -1;
	}
	if (take_digits(&s, 1, 2, &day) || take_spaces(&s) || s.len < 3)
		return -1;
	for (mon = 0; mon < 12; mon++)
		if (memcmp(s.ptr, months[mon], 3) == 0)
			break;
	if (mon == 12)
		return -1;
	s.ptr += 3;
	s.len -= 3;
	if (take_spaces(&s) || take_digits(&s, 4, 4, &year) || take_spaces(&s) ||
	    take_digits(&s, 2, 2, &hh) || take_char(&s, ':') || take_digits(&s, 2, 2, &mm) ||
	    take_char(&s, ':') || take_digits(&s, 2, 2, &ss) || take_spaces(&s))
		return -1;
	if (year < 1970 || hh > 23 || mm > 59 || ss > 60 || day < 1 ||
	    day > mdays[mon] + (mon == 1 && is_leap(year) ? 1 : 0))
		return -1;
	if (slice_eq(s, "UTC") || slice_eq(s, "GMT") || slice_eq(s, "Z")) {
		off = 0;
	} else if (s.len == 5 && (s.ptr[0] == '+' || s.ptr[0] == '-')) {
		for (i = 1; i < 5; i++)
			if (s.ptr[i] < '0' || s.ptr[i] > '9')
				return -1;
		oh = (unsigned)(s.ptr[1] - '0') * 10 + (unsigned)(s.ptr[2] - '0');
		om = (unsigned)(s.ptr[3] - '0') * 10 + (unsigned)(s.ptr[4] - '0');
		if (oh > 23 || om > 59)
			return -1;
		off = (int64_t)oh * 3600 + (int64_t)om * 60;
		if (s.ptr[0] == '-')
			off = -off;
	} else {
		return -1;
	}
	t = days_from_civil(year, mon + 1, day) * 86400 + (int64_t)hh * 3600 + (int64_t)mm * 60 + ss;
	*out = t - off;
	return 0;
}

static int dup_field(const struct deb822_para *para, const char *name, char **out, struct err *e)
{
	struct slice v = deb822_get(para, name);
	char *s;

	*out = NULL;
	if (!v.ptr)
		return 0;
	if (memchr(v.ptr, '\n', v.len))
		return err_reject(e, "Release: field '%s' spans lines", name);
	s = malloc(v.len + 1);
	if (!s)
		return err_set(e, AE_NOMEM, "out of memory");
	memcpy(s, v.ptr, v.len);
	s[v.len] = '\0';
	*out = s;
	return 0;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct apt_release_file *)a)->path, ((const struct apt_release_file *)b)->path);
}

/* One checksum line: "<hex64> <size> <path>" with any run of blanks between. */
static int parse_sum_line(struct slice l, struct apt_release_file *f, struct err *e, unsigned lineno)
{
	struct slice tok[3];
	char hex[64];
	size_t i, k;

	for (k = 0; k < 3; k++) {
		take_spaces(&l);
		for (i = 0; i < l.len && l.ptr[i] != ' ' && l.ptr[i] != '\t'; i++)
			;
		if (i == 0)
			return err_reject(e, "Release: SHA256 line %u: expected '<sha256> <size> <path>'",
					  lineno);
		tok[k].ptr = l.ptr;
		tok[k].len = i;
		l.ptr += i;
		l.len -= i;
	}
	take_spaces(&l);
	if (l.len)
		return err_reject(e, "Release: SHA256 line %u: trailing data", lineno);
	if (tok[0].len != 64)
		return err_reject(e, "Release: SHA256 line %u: not a SHA-256 digest", lineno);
	/* apt compares digests case-insensitively; the archive writes lowercase */
	for (i = 0; i < 64; i++)
		hex[i] = (char)tolower((unsigned char)tok[0].ptr[i]);
	if (hex_decode(hex, 64, f->sha256, SHA256_LEN) != 0)
		return err_reject(e, "Release: SHA256 line %u: not a SHA-256 digest", lineno);
	if (parse_u64(tok[1].ptr, tok[1].len, &f->size) != 0)
		return err_reject(e, "Release: SHA256 line %u: bad size", lineno);
	if (!apt_path_valid(tok[2].ptr, tok[2].len))
		return err_reject(e, "Release: SHA256 line %u: path '%.*s' is not a plain relative path",
				  lineno, (int)(tok[2].len > 200 ? 200 : tok[2].len), tok[2].ptr);
	f->path = malloc(tok[2].len + 1);
	if (!f->path)
		return err_set(e, AE_NOMEM, "out of memory");
	memcpy(f->path, tok[2].ptr, tok[2].len);
	f->path[tok[2].len] = '\0';
	return 0;
}

static int parse_sums(struct apt_release *rel, struct slice v, struct err *e)
{
	size_t nlines = 1, i, cap;
	unsigned lineno = 0;
	int rc;

	for (i = 0; i < v.len; i++)
		nlines += v.ptr[i] == '\n';
	cap = nlines;
	rel->files = calloc(cap, sizeof(*rel->files));
	if (!rel->files)
		return err_set(e, AE_NOMEM, "out of memory");
	while (v.len || lineno == 0) {
		struct slice l;
		size_t k;

		if (!slice_cut(&v, '\n', &l)) {
			l = v;
			v.ptr += v.len;
			v.len = 0;
		}
		lineno++;
		for (k = 0; k < l.len && (l.ptr[k] == ' ' || l.ptr[k] == '\t'); k++)
			;
		if (k == l.len) {
			/* the field's own line is empty in apt's layout; a blank continuation line cannot
			 * occur */
			if (lineno == 1)
				continue;
			return err_reject(e, "Release: SHA256 line %u: empty", lineno);
		}
		if (rel->nfiles == cap)
			return err_reject(e, "Release: SHA256 field miscounted");
		rc = parse_sum_line(l, &rel->files[rel->nfiles], e, lineno);
		if (rc)
			return rc;
		rel->nfiles++;
	}
	if (rel->nfiles == 0)
		return err_reject(e, "Release: no SHA256 checksums");
	qsort(rel->files, rel->nfiles, sizeof(*rel->files), cmp_file);
	for (i = 1; i < rel->nfiles; i++)
		if (strcmp(rel->files[i - 1].path, rel->files[i].path) == 0)
			return err_reject(e, "Release: duplicate path '%s' in SHA256", rel->files[i].path);
	return 0;
}

int apt_release_parse(struct apt_release *rel, const char *text, size_t len, struct err *e)
{
	struct deb822_reader r;
	struct deb822_para *para = NULL, *extra = NULL;
	struct slice v;
	int rc;

	memset(rel, 0, sizeof(*rel));
	deb822_reader_init_mem(&r, text, len, "Release");
	para = malloc(sizeof(*para));
	extra = malloc(sizeof(*extra));
	if (!para || !extra) {
		rc = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	rc = deb822_next(&r, para, e);
	if (rc < 0)
		goto out;
	if (rc == 0) {
		rc = err_reject(e, "Release: empty");
		goto out;
	}
	/* Release is one stanza; fields after a blank line would be read by no one */
	rc = deb822_next(&r, extra, e);
	if (rc < 0)
		goto out;
	if (rc > 0) {
		rc = err_reject(e, "Release: more than one stanza (line %u)", extra->line);
		goto out;
	}
	if ((rc = dup_field(para, "Origin", &rel->origin, e)) ||
	    (rc = dup_field(para, "Label", &rel->label, e)) ||
	    (rc = dup_field(para, "Suite", &rel->suite, e)) ||
	    (rc = dup_field(para, "Codename", &rel->codename, e)))
		goto out;
	v = deb822_get(para, "Date");
	if (!v.ptr) {
		rc = err_reject(e, "Release: no Date field");
		goto out;
	}
	if (rfc2822_parse(v, &rel->date) != 0) {
		rc = err_reject(e, "Release: unparseable Date '%.*s'", (int)(v.len > 64 ? 64 : v.len), v.ptr);
		goto out;
	}
	v = deb822_get(para, "Valid-Until");
	if (v.ptr && rfc2822_parse(v, &rel->valid_until) != 0) {
		rc = err_reject(e, "Release: unparseable Valid-Until '%.*s'", (int)(v.len > 64 ? 64 : v.len),
				v.ptr);
		goto out;
	}
	v = deb822_get(para, "Acquire-By-Hash");
	rel->acquire_by_hash = v.ptr && v.len == 3 && strncasecmp(v.ptr, "yes", 3) == 0;
	v = deb822_get(para, "SHA256");
	if (!v.ptr) {
		rc = err_reject(e, "Release: no SHA256 checksums");
		goto out;
	}
	rc = parse_sums(rel, v, e);
out:
	if (rc < 0)
		apt_release_free(rel);
	else
		rc = 0;
	free(para);
	free(extra);
	deb822_reader_release(&r);
	return rc;
}

const struct apt_release_file *apt_release_find(const struct apt_release *rel, const char *path)
{
	struct apt_release_file key;

	if (!rel->nfiles)
		return NULL;
	key.path = (char *)path;
	return bsearch(&key, rel->files, rel->nfiles, sizeof(*rel->files), cmp_file);
}

void apt_release_free(struct apt_release *rel)
{
	size_t i;

	free(rel->origin);
	free(rel->label);
	free(rel->suite);
	free(rel->codename);
	if (rel->files)
		for (i = 0; i < rel->nfiles; i++)
			free(rel->files[i].path);
	free(rel->files);
	memset(rel, 0, sizeof(*rel));
}

/* ---- versions ---- */

/* dpkg's lib/dpkg/version.c order(): '~' before the end, letters before other symbols. */
static int order(int c)
{
	if (c >= '0' && c <= '9')
		return 0;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return c;
	if (c == '~')
		return -1;
	if (c)
		return c + 256;
	return 0;
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* dpkg's verrevcmp() over slices: the end of a slice reads as NUL. */
static int verrevcmp(const char *a, size_t al, const char *b, size_t bl)
{
	size_t i = 0, j = 0;

#define CA (i < al ? (unsigned char)a[i] : 0)
#define CB (j < bl ? (unsigned char)b[j] : 0)
	while (i < al || j < bl) {
		int first_diff = 0;

		while ((CA && !is_digit(CA)) || (CB && !is_digit(CB))) {
			int ac = order(CA), bc = order(CB);

			if (ac != bc)
				return ac - bc;
			i++;
			j++;
		}
		while (CA == '0')
			i++;
		while (CB == '0')
			j++;
		while (is_digit(CA) && is_digit(CB)) {
			if (!first_diff)
				first_diff = CA - CB;
			i++;
			j++;
		}
		if (is_digit(CA))
			return 1;
		if (is_digit(CB))
			return -1;
		if (first_diff)
			return first_diff;
		/* a NUL inside a slice would stall both indexes: treat it as the end */
		if (i < al && !CA && j < bl && !CB)
			break;
	}
#undef CA
#undef CB
	return 0;
}

struct version {
	const char *epoch, *up, *rev;
	size_t elen, ulen, rlen;
};

static void version_split(const char *s, struct version *v)
{
	const char *colon = strchr(s, ':'), *dash;
	size_t i;

	v->epoch = s;
	v->elen = 0;
	if (colon) {
		for (i = 0; s + i < colon && is_digit(s[i]); i++)
			;
		/* only an all-digit prefix is an epoch; anything else compares as text */
		if (s + i == colon && i > 0) {
			v->elen = i;
			s = colon + 1;
		}
	}
	dash = strrchr(s, '-');
	v->up = s;
	if (dash) {
		v->ulen = (size_t)(dash - s);
		v->rev = dash + 1;
		v->rlen = strlen(dash + 1);
	} else {
		v->ulen = strlen(s);
		v->rev = "";
		v->rlen = 0;
	}
}

/* Epochs of any length compared as numbers: strip zeros, then length, then digits. */
static int epoch_cmp(const struct version *a, const struct version *b)
{
	const char *pa = a->epoch, *pb = b->epoch;
	size_t la = a->elen, lb = b->elen;
	int c;

	while (la && *pa == '0')
		pa++, la--;
	while (lb && *pb == '0')
		pb++, lb--;
	if (la != lb)
		return la < lb ? -1 : 1;
	c = la ? memcmp(pa, pb, la) : 0;
	return c < 0 ? -1 : c > 0;
}

int apt_version_cmp(const char *a, const char *b)
{
	struct version va, vb;
	int c;

	version_split(a, &va);
	version_split(b, &vb);
	c = epoch_cmp(&va, &vb);
	if (c)
		return c;
	c = verrevcmp(va.up, va.ulen, vb.up, vb.ulen);
	if (c)
		return c < 0 ? -1 : 1;
	c = verrevcmp(va.rev, va.rlen, vb.rev, vb.rlen);
	return c < 0 ? -1 : c > 0;
}

static int is_alnum(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* dpkg's parseversion() rules, as errors rather than warnings. */
int apt_version_valid(const char *v)
{
	const char *colon, *dash, *up, *p;
	size_t i;

	if (!v || !*v || strlen(v) > 512)
		return 0;
	colon = strchr(v, ':');
	up = v;
	if (colon) {
		uint64_t ep = 0;

		/* dpkg reads the epoch as an int and allows leading zeros */
		if (colon == v)
			return 0;
		for (i = 0; v + i < colon; i++) {
			if (!is_digit(v[i]))
				return 0;
			ep = ep * 10 + (uint64_t)(v[i] - '0');
			if (ep > 2147483647u)
				return 0;
		}
		up = colon + 1;
	}
	if (!*up)
		return 0;
	dash = strrchr(up, '-');
	if (dash && !dash[1])
		return 0;
	if (!is_digit(*up))
		return 0;
	for (p = up; *p && p != dash; p++)
		if (!is_alnum(*p) && !strchr(".-+~:", *p))
			return 0;
	if (dash)
		for (p = dash + 1; *p; p++)
			if (!is_alnum(*p) && !strchr(".+~", *p))
				return 0;
	return 1;
}
