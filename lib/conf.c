#include "lib/conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/fs.h"
#include "lib/util.h"
#include "lib/banned.h"

#define CONF_MAX_BYTES (64 * 1024)

/* Every setting this version knows, with its default ("" = unset). */
static const struct {
	const char *key;
	const char *def;
} known[] = {
	{ "role", "" },
	{ "format", "1" },
	/* import: time and size budgets */
	{ "import.clock-skew", "1h" },
	{ "import.max-bundle-size", "1T" },
	{ "import.max-object-size", "64G" },
	/* scanners (docs/scanning.md) */
	{ "scan.clamav", "required" },
	{ "scan.yara", "if-present" },
	{ "scan.max-db-age", "30d" },
	{ "scan.max-scan-size", "4G" },
	{ "scan.max-file-size", "2G" },
	{ "scan.max-recursion", "16" },
	{ "scan.max-files", "100000" },
	{ "scan.max-scan-time", "120s" },
	{ "scan.external", "" },
	{ "scan.external-timeout", "60s" },
	{ "scan.filetype", "required" },
	/* approvals: deadlines by priority (CPNI patch management), docs/operator.md */
	{ "approve.default-priority", "medium" },
	{ "approve.deadline.emergency", "24h" },
	{ "approve.deadline.high", "7d" },
	{ "approve.deadline.medium", "60d" },
	{ "approve.deadline.low", "180d" },
	/* publishing */
	{ "publish.key", "" },
	{ "publish.valid-for", "7d" },
	{ "publish.url", "http://localhost:8080" },
};
#define NKNOWN (sizeof(known) / sizeof(known[0]))

struct conf {
	char *path;
	char *val[NKNOWN];
};

static int key_index(const char *k, size_t len)
{
	size_t i;

	for (i = 0; i < NKNOWN; i++)
		if (strlen(known[i].key) == len && !memcmp(known[i].key, k, len))
			return (int)i;
	return -1;
}

static size_t trim(const char **s, size_t n)
{
	while (n && (**s == ' ' || **s == '\t'))
		(*s)++, n--;
	while (n && ((*s)[n - 1] == ' ' || (*s)[n - 1] == '\t'))
		n--;
	return n;
}

int conf_parse(struct conf **out, const char *path, const char *text, struct err *e)
{
	struct conf *c = calloc(1, sizeof(*c));
	const char *p = text;
	size_t ln = 0;
	int r = 0;

	*out = NULL;
	if (!c || !(c->path = strdup(path))) {
		free(c);
		return err_set(e, AE_NOMEM, "out of memory");
	}
	while (*p) {
		const char *nl = strchr(p, '\n'), *k = p, *eq, *v;
		size_t n = nl ? (size_t)(nl - p) : strlen(p), kl, vl;
		int idx;

		ln++;
		p += n + (nl ? 1 : 0);
		n = trim(&k, n);
		if (n == 0 || *k == '#')
			continue;
		eq = memchr(k, '=', n);
		if (!eq) {
			r = err_set(e, AE_STATE, "'%s' line %zu: expected 'key = value'", path, ln);
			break;
		}
		kl = trim(&k, (size_t)(eq - k));
		v = eq + 1;
		vl = trim(&v, n - (size_t)(eq - k) - 1);
		idx = key_index(k, kl);
		if (idx < 0) {
			r = err_set(e, AE_STATE, "'%s' line %zu: unknown setting '%.*s' (docs/operator.md lists them)",
				    path, ln, (int)(kl > 64 ? 64 : kl), k);
			break;
		}
		if (c->val[idx]) {
			r = err_set(e, AE_STATE, "'%s' line %zu: '%s' is set twice", path, ln, known[idx].key);
			break;
		}
		c->val[idx] = strndup(v, vl);
		if (!c->val[idx]) {
			r = err_set(e, AE_NOMEM, "out of memory");
			break;
		}
	}
	if (r) {
		conf_free(c);
		return r;
	}
	*out = c;
	return 0;
}

int conf_load(struct conf **c, const char *path, struct err *e)
{
	struct buf b;
	int r;

	buf_init(&b, CONF_MAX_BYTES);
	r = fs_read_file(path, &b, e);
	if (!r)
		r = conf_parse(c, path, buf_str(&b), e);
	buf_release(&b);
	return r;
}

void conf_free(struct conf *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < NKNOWN; i++)
		free(c->val[i]);
	free(c->path);
	free(c);
}

const char *conf_str(const struct conf *c, const char *key)
{
	int i = key_index(key, strlen(key));

	if (i < 0)
		return NULL;
	return c && c->val[i] ? c->val[i] : known[i].def;
}

static int bad(const struct conf *c, const char *key, const char *v, const char *want, struct err *e)
{
	return err_set(e, AE_STATE, "'%s': %s = '%s' is not %s", c ? c->path : "airlock.conf", key, v, want);
}

int conf_duration(const struct conf *c, const char *key, int64_t *secs, struct err *e)
{
	const char *v = conf_str(c, key);

	if (!v || duration_parse(v, secs) < 0)
		return bad(c, key, v ? v : "", "a duration such as 90s, 30m, 12h or 30d", e);
	return 0;
}

int conf_size(const struct conf *c, const char *key, uint64_t *out, struct err *e)
{
	const char *v = conf_str(c, key);

	if (!v || size_parse(v, out) < 0)
		return bad(c, key, v ? v : "", "a size such as 512M, 4G or 1T", e);
	return 0;
}

int conf_uint(const struct conf *c, const char *key, uint64_t max, uint64_t *out, struct err *e)
{
	const char *v = conf_str(c, key);

	if (!v || parse_u64(v, strlen(v), out) < 0 || *out > max)
		return bad(c, key, v ? v : "", "a whole number in range", e);
	return 0;
}

int conf_choice(const struct conf *c, const char *key, const char *choices, unsigned *idx, struct err *e)
{
	const char *v = conf_str(c, key), *p = choices;
	size_t vl;
	unsigned i = 0;

	if (!v)
		return bad(c, key, "", choices, e);
	vl = strlen(v);
	for (;;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);

		if (n == vl && !memcmp(p, v, n)) {
			*idx = i;
			return 0;
		}
		if (!bar)
			break;
		p = bar + 1;
		i++;
	}
	return bad(c, key, v, choices, e);
}
