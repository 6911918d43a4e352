#include "verify/manifest.h"

#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "lib/util.h"
#include "lib/banned.h"

/* Lines of the fixed header; the repeated sections start on the next line. */
#define HEADER_LINES 7

/* Room for a quoted value inside a message: enough to recognise it, short enough to read. */
#define SHOW_MAX 96

enum section { S_HEADER, S_SOURCE, S_PACK, S_PART, S_OBJECT, S_FILE, S_END };

static const char *const header_kw[HEADER_LINES] = {
	"airlock-manifest", "channel", "sequence", "created", "expires", "previous", "base",
};

/*
 * Render untrusted bytes for a message: printable ASCII as is, anything else
 * as \xNN, cut with "..." so that a hostile value cannot fill the message or
 * drive the terminal.
 */
static const char *show(struct slice s, char out[SHOW_MAX])
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.ptr[i];

		if (o + 4 + 3 >= SHOW_MAX) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

static const char *show_str(const char *s, char out[SHOW_MAX])
{
	return show(slice_from(s), out);
}

/* Every parse error goes through here so that each one names its line. */
static int rej(struct err *e, size_t line, const char *fmt, ...) AL_PRINTF(3, 4);
static int rej(struct err *e, size_t line, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_reject(e, "manifest line %zu: %s", line, msg);
}

static int nomem(struct err *e)
{
	return err_set(e, AE_NOMEM, "out of memory");
}

void manifest_init(struct manifest *m)
{
	memset(m, 0, sizeof(*m));
	m->format = MANIFEST_FORMAT;
}

void manifest_release(struct manifest *m)
{
	size_t i;

	free(m->channel);
	for (i = 0; i < m->nsources; i++) {
		free(m->sources[i].name);
		free(m->sources[i].kind);
	}
	free(m->sources);
	free(m->packs);
	for (i = 0; i < m->nparts; i++)
		free(m->parts[i].name);
	free(m->parts);
	free(m->objects);
	for (i = 0; i < m->nfiles; i++) {
		free(m->files[i].source);
		free(m->files[i].path);
	}
	free(m->files);
	manifest_init(m);
}

/*
 * Append one element to an array whose count is *n.  struct manifest keeps no
 * capacity, so the capacity is implied by the count: 0, then 8, then the next
 * power of two.  Growing only when the count reaches such a size keeps appends
 * amortised O(1) without another field callers could get wrong.
 */
static int push(void *arrp, size_t *n, size_t size, const void *elem, struct err *e)
{
	size_t cnt = *n, want;
	void *arr, *p;

	/* arrp points at a typed pointer; copy it rather than alias it as void * */
	memcpy(&arr, arrp, sizeof(arr));
	if (cnt >= MANIFEST_MAX_ENTRIES)
		return err_set(e, AE_TOOBIG, "manifest holds more than %d entries of one kind", MANIFEST_MAX_ENTRIES);
	if (cnt == 0 || (cnt >= 8 && (cnt & (cnt - 1)) == 0)) {
		want = cnt ? cnt * 2 : 8;
		p = realloc(arr, want * size);
		if (!p)
			return nomem(e);
		arr = p;
		memcpy(arrp, &arr, sizeof(arr));
	}
	memcpy((char *)arr + cnt * size, elem, size);
	*n = cnt + 1;
	return 0;
}

static int dup_slice(struct slice s, char **out, struct err *e)
{
	char *p = malloc(s.len + 1);

	if (!p)
		return nomem(e);
	if (s.len)
		memcpy(p, s.ptr, s.len);
	p[s.len] = '\0';
	*out = p;
	return 0;
}

/* Byte order of a slice against a C string, as strcmp() would order them. */
static int slice_cmp(struct slice a, const char *b)
{
	size_t bl = strlen(b), n = a.len < bl ? a.len : bl;
	int r = n ? memcmp(a.ptr, b, n) : 0;

	if (r)
		return r;
	return a.len < bl ? -1 : a.len > bl;
}

/*
 * Length of the UTF-8 sequence at p (at most n bytes), or 0 if it is not
 * valid: no overlong forms, no surrogates, nothing above U+10FFFF.
 */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0) || (c == 0xf0 && p[1] < 0x90) ||
	    (c == 0xf4 && p[1] >= 0x90))
		return 0;
	return len;
}

int manifest_path_valid(const char *path, size_t len, struct err *e)
{
	const unsigned char *p = (const unsigned char *)path;
	struct slice s = { path, len };
	char q[SHOW_MAX];
	size_t i, start = 0;

	if (len == 0)
		return err_reject(e, "empty path");
	if (len > MANIFEST_MAX_PATH)
		return err_reject(e, "path too long (%zu bytes, limit %d) '%s'", len, MANIFEST_MAX_PATH, show(s, q));
	if (p[0] == '/')
		return err_reject(e, "absolute path '%s'", show(s, q));
	if (p[len - 1] == '/')
		return err_reject(e, "trailing slash in path '%s'", show(s, q));
	for (i = 0; i < len;) {
		size_t n;

		if (p[i] < 0x20 || p[i] == 0x7f)
			return err_reject(e, "control character in path '%s'", show(s, q));
		if (p[i] == '\\')
			return err_reject(e, "backslash in path '%s'", show(s, q));
		n = utf8_seq(p + i, len - i);
		if (n == 0)
			return err_reject(e, "invalid utf-8 in path '%s'", show(s, q));
		/* C1 controls (U+0080..U+009F): some terminals act on them as on ESC */
		if (n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)
			return err_reject(e, "control character in path '%s'", show(s, q));
		i += n;
	}
	for (i = 0; i <= len; i++) {
		size_t clen;

		if (i < len && p[i] != '/')
			continue;
		clen = i - start;
		if (clen == 0)
			return err_reject(e, "empty component in path '%s'", show(s, q));
		if (clen == 1 && p[start] == '.')
			return err_reject(e, "'.' component in path '%s'", show(s, q));
		if (clen == 2 && p[start] == '.' && p[start + 1] == '.')
			return err_reject(e, "'..' component in path '%s'", show(s, q));
		if (clen > MANIFEST_MAX_COMPONENT)
			return err_reject(e, "component too long (%zu bytes, limit %d) in path '%s'", clen,
					  MANIFEST_MAX_COMPONENT, show(s, q));
		start = i + 1;
	}
	return 0;
}

/* Part names become file names under packs/ on the volume: [a-z0-9][a-z0-9._-]{0,63}. */
static int part_name_valid(struct slice s)
{
	return s.len <= MANIFEST_MAX_PART_NAME && name_valid(s.ptr, s.len);
}

static int parse_u32(struct slice s, uint32_t *out)
{
	uint64_t v;

	if (parse_u64(s.ptr, s.len, &v) < 0 || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* hex_decode() takes exactly 64 lowercase hex digits, so it is also the syntax check. */
static int parse_hash(struct slice s, uint8_t out[SHA256_LEN])
{
	return hex_decode(s.ptr, s.len, out, SHA256_LEN);
}

/* time_parse() already insists on one form; formatting back guards the round trip. */
static int parse_time(struct slice s, int64_t *t)
{
	char back[TIME_STR];

	if (time_parse(s.ptr, s.len, t) < 0)
		return -1;
	time_format(*t, back);
	return slice_eq(s, back) ? 0 : -1;
}

/* Exactly "0" and three octal digits: permission bits only, as the writer's %04o gives them. */
static int parse_mode(struct slice s, uint32_t *mode)
{
	size_t i;

	if (s.len != 4 || s.ptr[0] != '0')
		return -1;
	*mode = 0;
	for (i = 1; i < 4; i++) {
		if (s.ptr[i] < '0' || s.ptr[i] > '7')
			return -1;
		*mode = *mode * 8 + (uint32_t)(s.ptr[i] - '0');
	}
	return 0;
}

/*
 * Split a line into exactly n fields separated by single spaces.  With
 * rest_is_path the last field is the rest of the line, spaces included.
 * Returns 0, or -1 (too few), -2 (too many), -3 (empty field: a double,
 * leading or trailing space).
 */
static int split(struct slice line, struct slice *f, size_t n, int rest_is_path)
{
	struct slice rest = line;
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		if (!slice_cut(&rest, ' ', &f[i]))
			return rest.len == 0 && i > 0 ? -3 : -1;
		if (f[i].len == 0)
			return -3;
	}
	f[n - 1] = rest;
	if (rest_is_path)
		return 0;
	if (rest.len == 0)
		return -3;
	if (memchr(rest.ptr, ' ', rest.len)) {
		struct slice head;

		slice_cut(&rest, ' ', &head);
		return head.len == 0 || rest.len == 0 ? -3 : -2;
	}
	return 0;
}

static int split_line(struct slice line, struct slice *f, size_t n, int rest_is_path, size_t ln, struct err *e)
{
	char q[SHOW_MAX];

	switch (split(line, f, n, rest_is_path)) {
	case 0:
		return 0;
	case -1:
		return rej(e, ln, "missing field in '%s'", show(line, q));
	case -2:
		return rej(e, ln, "extra field in '%s'", show(line, q));
	default:
		return rej(e, ln, "fields must be separated by one space: '%s'", show(line, q));
	}
}

static int parse_header(struct manifest *m, size_t h, struct slice line, size_t ln, struct err *e)
{
	struct slice f[2];
	char q[SHOW_MAX];
	uint64_t v;
	int r;

	if (h == 0 && !slice_eq(line, "airlock-manifest 1")) {
		struct slice kw = line, rest = line;

		if (slice_cut(&rest, ' ', &kw) && slice_eq(kw, "airlock-manifest"))
			return rej(e, ln, "unsupported manifest format '%s'", show(rest, q));
		return rej(e, ln, "not an airlock manifest");
	}
	/* name the missing line rather than its shape when the keyword is wrong */
	f[1] = line;
	if (!slice_cut(&f[1], ' ', &f[0]))
		f[0] = line;
	if (!slice_eq(f[0], header_kw[h]))
		return rej(e, ln, "expected '%s'", header_kw[h]);
	r = split_line(line, f, 2, 0, ln, e);
	if (r)
		return r;
	switch (h) {
	case 0:
		m->format = MANIFEST_FORMAT;
		return 0;
	case 1:
		if (!name_valid(f[1].ptr, f[1].len))
			return rej(e, ln, "invalid channel name '%s'", show(f[1], q));
		return dup_slice(f[1], &m->channel, e);
	case 2:
		if (parse_u64(f[1].ptr, f[1].len, &m->sequence) < 0 || m->sequence == 0)
			return rej(e, ln, "invalid sequence '%s'", show(f[1], q));
		return 0;
	case 3:
		if (parse_time(f[1], &m->created) < 0)
			return rej(e, ln, "invalid created time '%s'", show(f[1], q));
		return 0;
	case 4:
		if (parse_time(f[1], &m->expires) < 0)
			return rej(e, ln, "invalid expires time '%s'", show(f[1], q));
		if (m->expires <= m->created)
			return rej(e, ln, "expires '%s' is not after created", show(f[1], q));
		return 0;
	case 5:
		if (slice_eq(f[1], "none"))
			return 0;
		if (parse_hash(f[1], m->previous) < 0)
			return rej(e, ln, "invalid previous manifest hash '%s'", show(f[1], q));
		m->has_previous = 1;
		return 0;
	default:
		if (slice_eq(f[1], "none"))
			return 0;
		if (parse_u64(f[1].ptr, f[1].len, &v) < 0 || v == 0)
			return rej(e, ln, "invalid base '%s'", show(f[1], q));
		if (v >= m->sequence)
			return rej(e, ln, "base %llu is not below sequence %llu", (unsigned long long)v,
				   (unsigned long long)m->sequence);
		m->base = v;
		return 0;
	}
}

static int parse_source(struct manifest *m, struct slice line, size_t ln, struct err *e)
{
	struct manifest_source s = { NULL, NULL };
	struct slice f[3];
	char q[SHOW_MAX];
	int r, c;

	r = split_line(line, f, 3, 0, ln, e);
	if (r)
		return r;
	if (!name_valid(f[1].ptr, f[1].len))
		return rej(e, ln, "invalid source name '%s'", show(f[1], q));
	if (!slice_eq(f[2], "dir") && !slice_eq(f[2], "apt") && !slice_eq(f[2], "http"))
		return rej(e, ln, "unknown source kind '%s'", show(f[2], q));
	if (m->nsources) {
		c = slice_cmp(f[1], m->sources[m->nsources - 1].name);
		if (c == 0)
			return rej(e, ln, "duplicate source '%s'", show(f[1], q));
		if (c < 0)
			return rej(e, ln, "source '%s' out of order", show(f[1], q));
	}
	if (m->nsources >= MANIFEST_MAX_ENTRIES)
		return rej(e, ln, "too many sources (limit %d)", MANIFEST_MAX_ENTRIES);
	r = dup_slice(f[1], &s.name, e);
	if (!r)
		r = dup_slice(f[2], &s.kind, e);
	if (!r)
		r = push(&m->sources, &m->nsources, sizeof(s), &s, e);
	if (r) {
		free(s.name);
		free(s.kind);
	}
	return r;
}

static int parse_pack(struct manifest *m, struct slice line, size_t ln, struct err *e)
{
	struct manifest_pack p;
	struct slice f[5];
	char q[SHOW_MAX];
	int r;

	memset(&p, 0, sizeof(p));
	r = split_line(line, f, 5, 0, ln, e);
	if (r)
		return r;
	if (parse_u32(f[1], &p.id) < 0 || p.id == 0)
		return rej(e, ln, "invalid pack id '%s'", show(f[1], q));
	/* ids run 1..n, so the only acceptable id is the next one */
	if (p.id <= m->npacks) {
		if (p.id == m->npacks)
			return rej(e, ln, "duplicate pack %u", p.id);
		return rej(e, ln, "pack %u out of order", p.id);
	}
	if (p.id != m->npacks + 1)
		return rej(e, ln, "pack id gap: pack %u where %zu was expected", p.id, m->npacks + 1);
	if (slice_eq(f[2], "zstd"))
		p.compression = PACK_ZSTD;
	else if (slice_eq(f[2], "none"))
		p.compression = PACK_NONE;
	else
		return rej(e, ln, "unknown pack compression '%s'", show(f[2], q));
	if (parse_u64(f[3].ptr, f[3].len, &p.size) < 0)
		return rej(e, ln, "invalid pack size '%s'", show(f[3], q));
	if (parse_hash(f[4], p.sha256) < 0)
		return rej(e, ln, "invalid pack sha256 '%s'", show(f[4], q));
	if (m->npacks >= MANIFEST_MAX_ENTRIES)
		return rej(e, ln, "too many packs (limit %d)", MANIFEST_MAX_ENTRIES);
	return push(&m->packs, &m->npacks, sizeof(p), &p, e);
}

static int parse_part(struct manifest *m, struct slice line, size_t ln, struct err *e)
{
	struct manifest_part p;
	struct slice f[7];
	char q[SHOW_MAX];
	int r;

	memset(&p, 0, sizeof(p));
	r = split_line(line, f, 7, 0, ln, e);
	if (r)
		return r;
	if (parse_u32(f[1], &p.pack) < 0 || p.pack == 0)
		return rej(e, ln, "invalid part pack '%s'", show(f[1], q));
	if (parse_u32(f[2], &p.index) < 0 || p.index == 0)
		return rej(e, ln, "invalid part index '%s'", show(f[2], q));
	if (parse_u32(f[3], &p.volume) < 0 || p.volume == 0)
		return rej(e, ln, "invalid part volume '%s'", show(f[3], q));
	if (parse_u64(f[4].ptr, f[4].len, &p.size) < 0 || p.size == 0)
		return rej(e, ln, "invalid part size '%s'", show(f[4], q));
	if (parse_hash(f[5], p.sha256) < 0)
		return rej(e, ln, "invalid part sha256 '%s'", show(f[5], q));
	if (!part_name_valid(f[6]))
		return rej(e, ln, "invalid part name '%s'", show(f[6], q));
	if (m->nparts) {
		const struct manifest_part *l = &m->parts[m->nparts - 1];

		if (p.pack == l->pack && p.index == l->index)
			return rej(e, ln, "duplicate part %u.%u", p.pack, p.index);
		if (p.pack < l->pack || (p.pack == l->pack && p.index < l->index))
			return rej(e, ln, "part %u.%u out of order", p.pack, p.index);
	}
	if (m->nparts >= MANIFEST_MAX_ENTRIES)
		return rej(e, ln, "too many parts (limit %d)", MANIFEST_MAX_ENTRIES);
	r = dup_slice(f[6], &p.name, e);
	if (!r)
		r = push(&m->parts, &m->nparts, sizeof(p), &p, e);
	if (r)
		free(p.name);
	return r;
}

static int parse_object(struct manifest *m, struct slice line, size_t ln, struct err *e)
{
	struct manifest_object o;
	struct slice f[4];
	char q[SHOW_MAX];
	int r, c;

	memset(&o, 0, sizeof(o));
	r = split_line(line, f, 4, 0, ln, e);
	if (r)
		return r;
	if (parse_hash(f[1], o.sha256) < 0)
		return rej(e, ln, "invalid object sha256 '%s'", show(f[1], q));
	if (parse_u64(f[2].ptr, f[2].len, &o.size) < 0)
		return rej(e, ln, "invalid object size '%s'", show(f[2], q));
	if (parse_u32(f[3], &o.pack) < 0)
		return rej(e, ln, "invalid object pack '%s'", show(f[3], q));
	if (m->nobjects) {
		c = memcmp(o.sha256, m->objects[m->nobjects - 1].sha256, SHA256_LEN);
		if (c == 0)
			return rej(e, ln, "duplicate object %s", show(f[1], q));
		if (c < 0)
			return rej(e, ln, "object %s out of order", show(f[1], q));
	}
	if (m->nobjects >= MANIFEST_MAX_ENTRIES)
		return rej(e, ln, "too many objects (limit %d)", MANIFEST_MAX_ENTRIES);
	return push(&m->objects, &m->nobjects, sizeof(o), &o, e);
}

static int parse_file(struct manifest *m, struct slice line, size_t ln, struct err *e)
{
	struct manifest_file fl;
	struct slice f[5];
	char q[SHOW_MAX], q2[SHOW_MAX];
	struct err pe;
	int r, c;

	memset(&fl, 0, sizeof(fl));
	r = split_line(line, f, 5, 1, ln, e);
	if (r)
		return r;
	if (!name_valid(f[1].ptr, f[1].len))
		return rej(e, ln, "invalid file source '%s'", show(f[1], q));
	if (parse_mode(f[2], &fl.mode) < 0)
		return rej(e, ln, "invalid mode '%s'", show(f[2], q));
	if (parse_hash(f[3], fl.object) < 0)
		return rej(e, ln, "invalid file object '%s'", show(f[3], q));
	err_clear(&pe);
	if (manifest_path_valid(f[4].ptr, f[4].len, &pe))
		return rej(e, ln, "%s", pe.msg);
	if (m->nfiles) {
		const struct manifest_file *l = &m->files[m->nfiles - 1];

		c = slice_cmp(f[1], l->source);
		if (c == 0)
			c = slice_cmp(f[4], l->path);
		if (c == 0)
			return rej(e, ln, "duplicate path '%s' in source '%s'", show(f[4], q), show(f[1], q2));
		if (c < 0)
			return rej(e, ln, "file '%s' in source '%s' out of order", show(f[4], q), show(f[1], q2));
	}
	if (m->nfiles >= MANIFEST_MAX_ENTRIES)
		return rej(e, ln, "too many files (limit %d)", MANIFEST_MAX_ENTRIES);
	r = dup_slice(f[1], &fl.source, e);
	if (!r)
		r = dup_slice(f[4], &fl.path, e);
	if (!r)
		r = push(&m->files, &m->nfiles, sizeof(fl), &fl, e);
	if (r) {
		free(fl.source);
		free(fl.path);
	}
	return r;
}

/* In canonical form every element has one line, so its line number follows from the counts. */
static size_t line_of(const struct manifest *m, enum section s, size_t i)
{
	size_t ln = HEADER_LINES + 1;

	if (s > S_SOURCE)
		ln += m->nsources;
	if (s > S_PACK)
		ln += m->npacks;
	if (s > S_PART)
		ln += m->nparts;
	if (s > S_OBJECT)
		ln += m->nobjects;
	if (s > S_FILE)
		ln += m->nfiles;
	return ln + i;
}

static int cmp_part_name(const void *a, const void *b)
{
	const struct manifest_part *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* Packs against their parts: parts 1..n for every pack, sizes adding up, names unique. */
static int check_parts(const struct manifest *m, struct err *e)
{
	const struct manifest_part **byname = NULL;
	char q[SHOW_MAX];
	size_t j = 0, k, i;
	int r = 0;

	for (k = 0; k < m->npacks; k++) {
		uint64_t sum = 0;
		uint32_t idx = 0;

		while (j < m->nparts && m->parts[j].pack == m->packs[k].id) {
			idx++;
			if (m->parts[j].index != idx)
				return rej(e, line_of(m, S_PART, j), "part index gap: pack %u part %u where %u was expected",
					   m->parts[j].pack, m->parts[j].index, idx);
			if (m->parts[j].size > UINT64_MAX - sum)
				return rej(e, line_of(m, S_PART, j), "pack %u: parts too large", m->packs[k].id);
			sum += m->parts[j].size;
			j++;
		}
		if (idx == 0)
			return rej(e, line_of(m, S_PACK, k), "pack %u has no parts", m->packs[k].id);
		if (sum != m->packs[k].size)
			return rej(e, line_of(m, S_PACK, k), "pack %u size %llu does not match its parts (%llu)",
				   m->packs[k].id, (unsigned long long)m->packs[k].size, (unsigned long long)sum);
	}
	if (j < m->nparts)
		return rej(e, line_of(m, S_PART, j), "part of unknown pack %u", m->parts[j].pack);

	/* two parts of one name would be one file under packs/ */
	if (m->nparts < 2)
		return 0;
	byname = malloc(m->nparts * sizeof(*byname));
	if (!byname)
		return nomem(e);
	for (i = 0; i < m->nparts; i++)
		byname[i] = &m->parts[i];
	qsort(byname, m->nparts, sizeof(*byname), cmp_part_name);
	for (i = 1; i < m->nparts; i++) {
		if (strcmp(byname[i - 1]->name, byname[i]->name) == 0) {
			size_t a = (size_t)(byname[i - 1] - m->parts), b = (size_t)(byname[i] - m->parts);

			r = rej(e, line_of(m, S_PART, a > b ? a : b), "duplicate part name '%s'",
				show_str(byname[i]->name, q));
			goto out;
		}
	}
out:
	free(byname);
	return r;
}

static int cmp_source_key(const void *key, const void *elem)
{
	return strcmp(key, ((const struct manifest_source *)elem)->name);
}

/*
 * The first file in [lo, hi) below "path/", or hi if there is none.  Files of
 * one source are sorted by path bytes, so a binary search for the first path
 * not less than "path/" decides it, however many siblings such as "path.txt"
 * or "path-2" sort between the file and its would-be children.
 */
static size_t first_below(const struct manifest *m, size_t lo, size_t hi, const char *path)
{
	size_t plen = strlen(path), end = hi;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *q = m->files[mid].path;
		int c = strncmp(q, path, plen);

		if (c == 0)
			c = (int)(unsigned char)q[plen] - '/';
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < end && strncmp(m->files[lo].path, path, plen) == 0 && m->files[lo].path[plen] == '/')
		return lo;
	return end;
}

static int check_files(const struct manifest *m, unsigned char *obj_used, struct err *e)
{
	char q[SHOW_MAX], q2[SHOW_MAX];
	size_t i, end = 0;

	for (i = 0; i < m->nfiles; i++) {
		const struct manifest_file *f = &m->files[i];
		const struct manifest_object *o;
		char hex[SHA256_HEX];
		size_t at;

		if (!bsearch(f->source, m->sources, m->nsources, sizeof(*m->sources), cmp_source_key))
			return rej(e, line_of(m, S_FILE, i), "file '%s' names unlisted source '%s'",
				   show_str(f->path, q), show_str(f->source, q2));
		o = manifest_find_object(m, f->object);
		if (!o) {
			hex_encode(f->object, SHA256_LEN, hex);
			return rej(e, line_of(m, S_FILE, i), "file '%s' uses unlisted object %s", show_str(f->path, q),
				   hex);
		}
		obj_used[o - m->objects] = 1;
		/* files of one source are contiguous; find where this source's run ends */
		if (end <= i)
			for (end = i + 1; end < m->nfiles && strcmp(m->files[end].source, f->source) == 0; end++)
				;
		at = first_below(m, i + 1, end, f->path);
		if (at < end)
			return rej(e, line_of(m, S_FILE, at), "path '%s' is below '%s', which is a file",
				   show_str(m->files[at].path, q), show_str(f->path, q2));
	}
	return 0;
}

/*
 * Case folding, for the collision rule: the served tree may be copied to a
 * case-insensitive file system (a static export on FAT or NTFS, a Windows
 * client's cache), where "Guide.md" and "guide.md" are one file and one of
 * the two silently wins.  Folding is Unicode simple case mapping from
 * glibc's built-in C.UTF-8 locale, so it does not depend on the user's
 * locale; paths are already known to be valid UTF-8.
 */
static locale_t fold_locale(void)
{
	static locale_t loc;
	static int tried;

	if (!tried) {
		tried = 1;
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	}
	return loc;
}

static size_t utf8_decode(const unsigned char *p, uint32_t *c)
{
	if (p[0] < 0x80) {
		*c = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		*c = ((uint32_t)(p[0] & 0x1f) << 6) | (p[1] & 0x3f);
		return 2;
	}
	if ((p[0] & 0xf0) == 0xe0) {
		*c = ((uint32_t)(p[0] & 0x0f) << 12) | ((uint32_t)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
		return 3;
	}
	*c = ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3f) << 12) | ((uint32_t)(p[2] & 0x3f) << 6) |
	     (p[3] & 0x3f);
	return 4;
}

static size_t utf8_encode(uint32_t c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/*
 * The folded form: each code point lowercased, and '/' written as 0x01 (a
 * byte no valid path holds), so that "a" + separator sorts directly after
 * "a" and before any longer name.  A code point's lowercase form is at most
 * one byte longer than itself in UTF-8, so twice the length is room enough.
 */
static char *fold_path(const char *path)
{
	const unsigned char *p = (const unsigned char *)path;
	locale_t loc = fold_locale();
	char *out = malloc(strlen(path) * 2 + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	while (*p) {
		uint32_t c;

		p += utf8_decode(p, &c);
		if (c == '/')
			c = 0x01;
		else if (c < 0x80)
			c = (uint32_t)((c >= 'A' && c <= 'Z') ? c + 32 : c);
		else if (loc != (locale_t)0)
			c = (uint32_t)towlower_l((wint_t)c, loc);
		o += utf8_encode(c, out + o);
	}
	out[o] = '\0';
	return out;
}

struct folded {
	const char *source;
	char *fold;
	size_t idx;
};

static int cmp_folded(const void *a, const void *b)
{
	const struct folded *x = a, *y = b;
	int c = strcmp(x->source, y->source);

	return c ? c : strcmp(x->fold, y->fold);
}

/*
 * Two paths of one source that fold to the same name, or a file whose folded
 * name is a folder of another path.  With '/' folded to 0x01, below every
 * byte a name may hold, both cases are neighbours once sorted.
 */
static int check_case_fold(const struct manifest *m, struct err *e)
{
	struct folded *f;
	char q[SHOW_MAX], q2[SHOW_MAX];
	size_t i, n = m->nfiles;
	int r = 0;

	if (n < 2)
		return 0;
	f = calloc(n, sizeof(*f));
	if (!f)
		return nomem(e);
	for (i = 0; i < n; i++) {
		f[i].source = m->files[i].source;
		f[i].idx = i;
		f[i].fold = fold_path(m->files[i].path);
		if (!f[i].fold) {
			r = nomem(e);
			goto out;
		}
	}
	qsort(f, n, sizeof(*f), cmp_folded);
	for (i = 1; i < n; i++) {
		size_t plen = strlen(f[i - 1].fold);
		const struct manifest_file *a, *b;

		if (strcmp(f[i].source, f[i - 1].source) || strncmp(f[i].fold, f[i - 1].fold, plen) ||
		    (f[i].fold[plen] != '\0' && f[i].fold[plen] != 0x01))
			continue;
		a = &m->files[f[i - 1].idx < f[i].idx ? f[i - 1].idx : f[i].idx];
		b = &m->files[f[i - 1].idx < f[i].idx ? f[i].idx : f[i - 1].idx];
		r = rej(e, line_of(m, S_FILE, (size_t)(b - m->files)),
			"path '%s' collides with '%s' after case-folding (one file on a case-insensitive file system)",
			show_str(b->path, q), show_str(a->path, q2));
		goto out;
	}
out:
	for (i = 0; i < n; i++)
		free(f[i].fold);
	free(f);
	return r;
}

/* The checks that need the whole manifest; syntax and order were checked line by line. */
static int check_all(const struct manifest *m, struct err *e)
{
	unsigned char *obj_used = NULL, *pack_used = NULL;
	char hex[SHA256_HEX];
	size_t i;
	int r;

	r = check_parts(m, e);
	if (r)
		goto out;
	obj_used = calloc(m->nobjects + 1, 1);
	pack_used = calloc(m->npacks + 1, 1);
	if (!obj_used || !pack_used) {
		r = nomem(e);
		goto out;
	}
	for (i = 0; i < m->nobjects; i++) {
		const struct manifest_object *o = &m->objects[i];

		if (o->pack > m->npacks) {
			hex_encode(o->sha256, SHA256_LEN, hex);
			r = rej(e, line_of(m, S_OBJECT, i), "object %s in unknown pack %u", hex, o->pack);
			goto out;
		}
		if (o->pack == 0 && !m->base) {
			hex_encode(o->sha256, SHA256_LEN, hex);
			r = rej(e, line_of(m, S_OBJECT, i), "object %s not shipped (pack 0) in a full bundle", hex);
			goto out;
		}
		pack_used[o->pack] = 1;
	}
	for (i = 0; i < m->npacks; i++) {
		if (!pack_used[i + 1]) {
			r = rej(e, line_of(m, S_PACK, i), "pack %u holds no object", m->packs[i].id);
			goto out;
		}
	}
	r = check_files(m, obj_used, e);
	if (r)
		goto out;
	r = check_case_fold(m, e);
	if (r)
		goto out;
	for (i = 0; i < m->nobjects; i++) {
		if (!obj_used[i]) {
			hex_encode(m->objects[i].sha256, SHA256_LEN, hex);
			r = rej(e, line_of(m, S_OBJECT, i), "object %s used by no file", hex);
			goto out;
		}
	}
	r = 0;
out:
	free(obj_used);
	free(pack_used);
	return r;
}

static enum section section_of(struct slice kw)
{
	if (slice_eq(kw, "source"))
		return S_SOURCE;
	if (slice_eq(kw, "pack"))
		return S_PACK;
	if (slice_eq(kw, "part"))
		return S_PART;
	if (slice_eq(kw, "object"))
		return S_OBJECT;
	if (slice_eq(kw, "file"))
		return S_FILE;
	if (slice_eq(kw, "end"))
		return S_END;
	return S_HEADER;
}

static size_t count_lines(const char *p, size_t n)
{
	size_t c = 1;
	const char *nl;

	while (n && (nl = memchr(p, '\n', n)) != NULL) {
		c++;
		n -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	return c;
}

int manifest_parse(struct manifest *m, const char *data, size_t len, struct err *e)
{
	enum section state = S_HEADER;
	size_t pos = 0, ln = 0;
	const char *nul;
	char q[SHOW_MAX];
	int r = 0, ended = 0;

	manifest_init(m);
	if (len > MANIFEST_MAX_BYTES) {
		r = err_reject(e, "manifest: %zu bytes, more than the limit of %zu", len, MANIFEST_MAX_BYTES);
		goto out;
	}
	if (len && (nul = memchr(data, '\0', len)) != NULL) {
		r = rej(e, count_lines(data, (size_t)(nul - data)), "NUL byte");
		goto out;
	}
	while (pos < len) {
		size_t avail = len - pos, scan = avail < MANIFEST_MAX_LINE + 1 ? avail : MANIFEST_MAX_LINE + 1;
		const char *nl = memchr(data + pos, '\n', scan);
		struct slice line, kw, rest;
		enum section s;

		ln++;
		if (!nl) {
			if (avail > MANIFEST_MAX_LINE)
				r = rej(e, ln, "line too long (limit %d bytes)", MANIFEST_MAX_LINE);
			else
				r = rej(e, ln, "no newline at end of line");
			goto out;
		}
		line.ptr = data + pos;
		line.len = (size_t)(nl - line.ptr);
		pos += line.len + 1;
		if (line.len && line.ptr[line.len - 1] == '\r') {
			r = rej(e, ln, "CRLF line ending");
			goto out;
		}
		if (state == S_HEADER && ln <= HEADER_LINES) {
			r = parse_header(m, ln - 1, line, ln, e);
			if (r)
				goto out;
			if (ln == HEADER_LINES)
				state = S_SOURCE;
			continue;
		}
		rest = line;
		if (!slice_cut(&rest, ' ', &kw))
			kw = line;
		s = section_of(kw);
		if (s == S_HEADER) {
			r = rej(e, ln, "unexpected line '%s'", show(line, q));
			goto out;
		}
		if (s < state) {
			r = rej(e, ln, "'%s' line out of order", show(kw, q));
			goto out;
		}
		state = s;
		switch (s) {
		case S_SOURCE:
			r = parse_source(m, line, ln, e);
			break;
		case S_PACK:
			r = parse_pack(m, line, ln, e);
			break;
		case S_PART:
			r = parse_part(m, line, ln, e);
			break;
		case S_OBJECT:
			r = parse_object(m, line, ln, e);
			break;
		case S_FILE:
			r = parse_file(m, line, ln, e);
			break;
		default:
			if (!slice_eq(line, "end")) {
				r = rej(e, ln, "unexpected text after 'end'");
				goto out;
			}
			ended = 1;
			break;
		}
		if (r)
			goto out;
		if (ended)
			break;
	}
	if (!ended) {
		r = rej(e, ln + 1, "%s", ln < HEADER_LINES ? "truncated header" : "missing 'end'");
		goto out;
	}
	if (pos != len) {
		r = rej(e, ln + 1, "data after 'end'");
		goto out;
	}
	r = check_all(m, e);
out:
	if (r)
		manifest_release(m);
	return r;
}

static int cmp_source(const void *a, const void *b)
{
	return strcmp(((const struct manifest_source *)a)->name, ((const struct manifest_source *)b)->name);
}

static int cmp_u32(uint32_t a, uint32_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_pack(const void *a, const void *b)
{
	return cmp_u32(((const struct manifest_pack *)a)->id, ((const struct manifest_pack *)b)->id);
}

static int cmp_part(const void *a, const void *b)
{
	const struct manifest_part *x = a, *y = b;

	return x->pack != y->pack ? cmp_u32(x->pack, y->pack) : cmp_u32(x->index, y->index);
}

static int cmp_object(const void *a, const void *b)
{
	return memcmp(((const struct manifest_object *)a)->sha256, ((const struct manifest_object *)b)->sha256,
		      SHA256_LEN);
}

static int cmp_file(const void *a, const void *b)
{
	const struct manifest_file *x = a, *y = b;
	int c = strcmp(x->source, y->source);

	return c ? c : strcmp(x->path, y->path);
}

static void sort(void *arr, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(arr, n, size, cmp);
}

int manifest_canonicalize(struct manifest *m, struct err *e)
{
	char q[SHOW_MAX], q2[SHOW_MAX], hex[SHA256_HEX];
	size_t i;

	sort(m->sources, m->nsources, sizeof(*m->sources), cmp_source);
	sort(m->packs, m->npacks, sizeof(*m->packs), cmp_pack);
	sort(m->parts, m->nparts, sizeof(*m->parts), cmp_part);
	sort(m->objects, m->nobjects, sizeof(*m->objects), cmp_object);
	sort(m->files, m->nfiles, sizeof(*m->files), cmp_file);
	for (i = 1; i < m->nsources; i++)
		if (!cmp_source(&m->sources[i - 1], &m->sources[i]))
			return err_set(e, AE_FORMAT, "duplicate source '%s'", show_str(m->sources[i].name, q));
	for (i = 1; i < m->npacks; i++)
		if (!cmp_pack(&m->packs[i - 1], &m->packs[i]))
			return err_set(e, AE_FORMAT, "duplicate pack %u", m->packs[i].id);
	for (i = 1; i < m->nparts; i++)
		if (!cmp_part(&m->parts[i - 1], &m->parts[i]))
			return err_set(e, AE_FORMAT, "duplicate part %u.%u", m->parts[i].pack, m->parts[i].index);
	for (i = 1; i < m->nobjects; i++) {
		if (!cmp_object(&m->objects[i - 1], &m->objects[i])) {
			hex_encode(m->objects[i].sha256, SHA256_LEN, hex);
			return err_set(e, AE_FORMAT, "duplicate object %s", hex);
		}
	}
	for (i = 1; i < m->nfiles; i++)
		if (!cmp_file(&m->files[i - 1], &m->files[i]))
			return err_set(e, AE_FORMAT, "duplicate path '%s' in source '%s'", show_str(m->files[i].path, q),
				       show_str(m->files[i].source, q2));
	return 0;
}

static const char *compression_name(enum pack_compression c)
{
	switch (c) {
	case PACK_ZSTD:
		return "zstd";
	case PACK_NONE:
		return "none";
	}
	return NULL;
}

int manifest_write(const struct manifest *m, struct buf *out, struct err *e)
{
	char t1[TIME_STR], t2[TIME_STR], hex[SHA256_HEX];
	size_t i;
	int r;

	/* a writer bug must not turn into a manifest that its own parser would refuse */
	if (!m->channel)
		return err_set(e, AE_FORMAT, "manifest has no channel");
	if (m->format != 0 && m->format != MANIFEST_FORMAT)
		return err_set(e, AE_FORMAT, "cannot write manifest format %u", m->format);
	time_format(m->created, t1);
	time_format(m->expires, t2);
	r = buf_addf(out, e, "airlock-manifest %d\nchannel %s\nsequence %llu\ncreated %s\nexpires %s\n",
		     MANIFEST_FORMAT, m->channel, (unsigned long long)m->sequence, t1, t2);
	if (r)
		return r;
	if (m->has_previous) {
		hex_encode(m->previous, SHA256_LEN, hex);
		r = buf_addf(out, e, "previous %s\n", hex);
	} else {
		r = buf_adds(out, "previous none\n", e);
	}
	if (r)
		return r;
	if (m->base)
		r = buf_addf(out, e, "base %llu\n", (unsigned long long)m->base);
	else
		r = buf_adds(out, "base none\n", e);
	if (r)
		return r;
	for (i = 0; i < m->nsources; i++) {
		r = buf_addf(out, e, "source %s %s\n", m->sources[i].name, m->sources[i].kind);
		if (r)
			return r;
	}
	for (i = 0; i < m->npacks; i++) {
		const struct manifest_pack *p = &m->packs[i];
		const char *c = compression_name(p->compression);

		if (!c)
			return err_set(e, AE_FORMAT, "pack %u has no valid compression", p->id);
		hex_encode(p->sha256, SHA256_LEN, hex);
		r = buf_addf(out, e, "pack %u %s %llu %s\n", p->id, c, (unsigned long long)p->size, hex);
		if (r)
			return r;
	}
	for (i = 0; i < m->nparts; i++) {
		const struct manifest_part *p = &m->parts[i];

		hex_encode(p->sha256, SHA256_LEN, hex);
		r = buf_addf(out, e, "part %u %u %u %llu %s %s\n", p->pack, p->index, p->volume,
			     (unsigned long long)p->size, hex, p->name);
		if (r)
			return r;
	}
	for (i = 0; i < m->nobjects; i++) {
		const struct manifest_object *o = &m->objects[i];

		hex_encode(o->sha256, SHA256_LEN, hex);
		r = buf_addf(out, e, "object %s %llu %u\n", hex, (unsigned long long)o->size, o->pack);
		if (r)
			return r;
	}
	for (i = 0; i < m->nfiles; i++) {
		const struct manifest_file *f = &m->files[i];

		if (f->mode > 0777)
			return err_set(e, AE_FORMAT, "file '%s' has mode %o beyond permission bits", f->path, f->mode);
		hex_encode(f->object, SHA256_LEN, hex);
		r = buf_addf(out, e, "file %s %04o %s %s\n", f->source, f->mode, hex, f->path);
		if (r)
			return r;
	}
	return buf_adds(out, "end\n", e);
}

static int cmp_object_key(const void *key, const void *elem)
{
	return memcmp(key, ((const struct manifest_object *)elem)->sha256, SHA256_LEN);
}

const struct manifest_object *manifest_find_object(const struct manifest *m, const uint8_t sha[SHA256_LEN])
{
	if (!m->nobjects)
		return NULL;
	return bsearch(sha, m->objects, m->nobjects, sizeof(*m->objects), cmp_object_key);
}

static int cmp_pack_key(const void *key, const void *elem)
{
	return cmp_u32(*(const uint32_t *)key, ((const struct manifest_pack *)elem)->id);
}

const struct manifest_pack *manifest_find_pack(const struct manifest *m, uint32_t id)
{
	if (!m->npacks)
		return NULL;
	return bsearch(&id, m->packs, m->npacks, sizeof(*m->packs), cmp_pack_key);
}

static int dup_str(const char *s, char **out, struct err *e)
{
	if (!s)
		return err_set(e, AE_FORMAT, "manifest entry without a name");
	return dup_slice(slice_from(s), out, e);
}

int manifest_add_source(struct manifest *m, const char *name, const char *kind, struct err *e)
{
	struct manifest_source s = { NULL, NULL };
	int r;

	r = dup_str(name, &s.name, e);
	if (!r)
		r = dup_str(kind, &s.kind, e);
	if (!r)
		r = push(&m->sources, &m->nsources, sizeof(s), &s, e);
	if (r) {
		free(s.name);
		free(s.kind);
	}
	return r;
}

int manifest_add_pack(struct manifest *m, const struct manifest_pack *p, struct err *e)
{
	return push(&m->packs, &m->npacks, sizeof(*p), p, e);
}

int manifest_add_part(struct manifest *m, const struct manifest_part *p, struct err *e)
{
	struct manifest_part c = *p;
	int r;

	c.name = NULL;
	r = dup_str(p->name, &c.name, e);
	if (!r)
		r = push(&m->parts, &m->nparts, sizeof(c), &c, e);
	if (r)
		free(c.name);
	return r;
}

int manifest_add_object(struct manifest *m, const struct manifest_object *o, struct err *e)
{
	return push(&m->objects, &m->nobjects, sizeof(*o), o, e);
}

int manifest_add_file(struct manifest *m, const char *source, uint32_t mode, const uint8_t obj[SHA256_LEN],
		      const char *path, struct err *e)
{
	struct manifest_file f;
	int r;

	memset(&f, 0, sizeof(f));
	f.mode = mode;
	memcpy(f.object, obj, SHA256_LEN);
	r = dup_str(source, &f.source, e);
	if (!r)
		r = dup_str(path, &f.path, e);
	if (!r)
		r = push(&m->files, &m->nfiles, sizeof(f), &f, e);
	if (r) {
		free(f.source);
		free(f.path);
	}
	return r;
}
