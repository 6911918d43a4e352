#include "exporter/apt_select.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "lib/banned.h"

enum op { OP_NONE, OP_LT, OP_LE, OP_EQ, OP_GE, OP_GT };
struct relation {
	struct slice name;
	enum op op;
	char ver[APT_VERSION_MAX + 1];
};

struct provide {
	size_t name_off, ver_off; /* ver_off SIZE_MAX: unversioned */
	size_t pkg;
};

struct sel {
	const struct apt_index *ix;
	size_t *byname; /* indexes sorted by name, newest version first */
	struct provide *prov;
	size_t nprov;
	struct buf names; /* NUL-separated provided names and versions */
	unsigned char *chosen;
	size_t *work;
	size_t nwork;
};

static int cmp_byname(const void *a, const void *b, void *arg)
{
	const struct apt_index *ix = arg;
	const struct apt_pkg *pa = &ix->pkgs[*(const size_t *)a], *pb = &ix->pkgs[*(const size_t *)b];
	int c = strcmp(pa->name, pb->name);

	if (c)
		return c;
	c = apt_version_cmp(pb->version, pa->version);
	if (c)
		return c;
	/* equal versions: keep index order, so that the first stanza wins */
	return *(const size_t *)a < *(const size_t *)b ? -1 : *(const size_t *)a > *(const size_t *)b;
}

static int cmp_prov(const void *a, const void *b, void *arg)
{
	const struct sel *sl = arg;
	const struct provide *pa = a, *pb = b;
	int c = strcmp(sl->names.ptr + pa->name_off, sl->names.ptr + pb->name_off);

	if (c)
		return c;
	c = strcmp(sl->ix->pkgs[pa->pkg].name, sl->ix->pkgs[pb->pkg].name);
	if (c)
		return c;
	c = apt_version_cmp(sl->ix->pkgs[pb->pkg].version, sl->ix->pkgs[pa->pkg].version);
	if (c)
		return c;
	return pa->pkg < pb->pkg ? -1 : pa->pkg > pb->pkg;
}

static int cmp_out(const void *a, const void *b)
{
	const struct apt_pkg *pa = *(const struct apt_pkg *const *)a, *pb = *(const struct apt_pkg *const *)b;
	int c = strcmp(pa->name, pb->name);

	if (c)
		return c;
	c = apt_version_cmp(pa->version, pb->version);
	if (c)
		return c;
	return strcmp(pa->filename, pb->filename);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

static struct slice trim(struct slice s)
{
	while (s.len && is_space(s.ptr[0]))
		s.ptr++, s.len--;
	while (s.len && is_space(s.ptr[s.len - 1]))
		s.len--;
	return s;
}

/*
 * One alternative: "name[:arch] [(op version)] [[archs]] [<profiles>]...".
 * 0 when usable; -1 when malformed or for another architecture, which
 * makes the alternative unsatisfiable rather than the index unusable.
 * Architecture and profile restrictions only occur in source relations;
 * they are skipped, not evaluated.
 */
static int parse_relation(struct slice s, const char *arch, struct relation *rel)
{
	size_t i = 0, j;

	s = trim(s);
	rel->op = OP_NONE;
	rel->ver[0] = '\0';
	while (i < s.len && !is_space(s.ptr[i]) && s.ptr[i] != '(' && s.ptr[i] != '[' && s.ptr[i] != '<' &&
	       s.ptr[i] != ':')
		i++;
	rel->name.ptr = s.ptr;
	rel->name.len = i;
	if (!apt_pkg_name_valid(s.ptr, i))
		return -1;
	if (i < s.len && s.ptr[i] == ':') {
		struct slice q;

		j = ++i;
		while (i < s.len && !is_space(s.ptr[i]) && s.ptr[i] != '(' && s.ptr[i] != '[' &&
		       s.ptr[i] != '<')
			i++;
		q.ptr = s.ptr + j;
		q.len = i - j;
		if (!slice_eq(q, "any") && !slice_eq(q, "native") && !(arch && slice_eq(q, arch)))
			return -1;
	}
	while (i < s.len && is_space(s.ptr[i]))
		i++;
	if (i < s.len && s.ptr[i] == '(') {
		const char *close = memchr(s.ptr + i, ')', s.len - i);
		struct slice c, v;

		if (!close)
			return -1;
		c.ptr = s.ptr + i + 1;
		c.len = (size_t)(close - c.ptr);
		c = trim(c);
		for (j = 0; j < c.len && (c.ptr[j] == '<' || c.ptr[j] == '>' || c.ptr[j] == '='); j++)
			;
		/* "<" and ">" are dpkg's obsolete spellings of "<=" and ">=" */
		if (j == 2 && memcmp(c.ptr, "<<", 2) == 0)
			rel->op = OP_LT;
		else if ((j == 2 && memcmp(c.ptr, "<=", 2) == 0) || (j == 1 && c.ptr[0] == '<'))
			rel->op = OP_LE;
		else if (j == 1 && c.ptr[0] == '=')
			rel->op = OP_EQ;
		else if ((j == 2 && memcmp(c.ptr, ">=", 2) == 0) || (j == 1 && c.ptr[0] == '>'))
			rel->op = OP_GE;
		else if (j == 2 && memcmp(c.ptr, ">>", 2) == 0)
			rel->op = OP_GT;
		else
			return -1;
		v.ptr = c.ptr + j;
		v.len = c.len - j;
		v = trim(v);
		if (v.len == 0 || v.len > APT_VERSION_MAX)
			return -1;
		memcpy(rel->ver, v.ptr, v.len);
		rel->ver[v.len] = '\0';
		if (!apt_version_valid(rel->ver))
			return -1;
		i = (size_t)(close - s.ptr) + 1;
	}
	for (;;) {
		while (i < s.len && is_space(s.ptr[i]))
			i++;
		if (i == s.len)
			return 0;
		if (s.ptr[i] != '[' && s.ptr[i] != '<')
			return -1;
		{
			const char *close = memchr(s.ptr + i, s.ptr[i] == '[' ? ']' : '>', s.len - i);

			if (!close)
				return -1;
			i = (size_t)(close - s.ptr) + 1;
		}
	}
}

static int version_ok(const char *have, const struct relation *rel)
{
	int c;

	if (rel->op == OP_NONE)
		return 1;
	c = apt_version_cmp(have, rel->ver);
	switch (rel->op) {
	case OP_LT:
		return c < 0;
	case OP_LE:
		return c <= 0;
	case OP_EQ:
		return c == 0;
	case OP_GE:
		return c >= 0;
	case OP_GT:
		return c > 0;
	default:
		return 0;
	}
}

static int arch_ok(const struct apt_index *ix, const struct apt_pkg *p)
{
	return strcmp(p->arch, "all") == 0 || (ix->arch && strcmp(p->arch, ix->arch) == 0);
}

static int slice_cmp_str(struct slice s, const char *str)
{
	size_t n = strlen(str);
	int c = memcmp(s.ptr, str, s.len < n ? s.len : n);

	if (c)
		return c;
	return s.len < n ? -1 : s.len > n;
}

/* First position in byname whose name is not below s. */
static size_t lower_name(const struct sel *sl, struct slice s)
{
	size_t lo = 0, hi = sl->ix->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (slice_cmp_str(s, sl->ix->pkgs[sl->byname[mid]].name) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t lower_prov(const struct sel *sl, struct slice s)
{
	size_t lo = 0, hi = sl->nprov;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (slice_cmp_str(s, sl->names.ptr + sl->prov[mid].name_off) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The package a relation resolves to: the newest real one, else a provider; SIZE_MAX if none. */
static size_t resolve(const struct sel *sl, const struct relation *rel)
{
	const struct apt_index *ix = sl->ix;
	size_t i, first = SIZE_MAX;

	for (i = lower_name(sl, rel->name);
	     i < ix->n && slice_cmp_str(rel->name, ix->pkgs[sl->byname[i]].name) == 0; i++) {
		const struct apt_pkg *p = &ix->pkgs[sl->byname[i]];

		if (arch_ok(ix, p) && version_ok(p->version, rel))
			return sl->byname[i];
	}
	for (i = lower_prov(sl, rel->name);
	     i < sl->nprov && slice_cmp_str(rel->name, sl->names.ptr + sl->prov[i].name_off) == 0; i++) {
		const struct provide *pv = &sl->prov[i];

		if (!arch_ok(ix, &ix->pkgs[pv->pkg]))
			continue;
		/* an unversioned Provides satisfies only unversioned relations (dpkg, apt) */
		if (rel->op != OP_NONE &&
		    (pv->ver_off == SIZE_MAX || !version_ok(sl->names.ptr + pv->ver_off, rel)))
			continue;
		if (sl->chosen[pv->pkg])
			return pv->pkg;
		if (first == SIZE_MAX)
			first = pv->pkg;
	}
	return first;
}

static int build_provides(struct sel *sl, struct err *e)
{
	const struct apt_index *ix = sl->ix;
	size_t i, cap = 0;
	int rc;

	for (i = 0; i < ix->n; i++) {
		struct slice rest = slice_from(ix->pkgs[i].provides), item;

		while (rest.len) {
			struct relation rel;
			int more = slice_cut(&rest, ',', &item);

			if (!more) {
				item = rest;
				rest.len = 0;
			}
			/* only "name" and "name (= version)" are meaningful in Provides */
			if (parse_relation(item, ix->arch, &rel) != 0 ||
			    (rel.op != OP_NONE && rel.op != OP_EQ))
				continue;
			if (sl->nprov == cap) {
				struct provide *np;

				cap = cap ? cap * 2 : 256;
				np = realloc(sl->prov, cap * sizeof(*np));
				if (!np)
					return err_set(e, AE_NOMEM, "out of memory");
				sl->prov = np;
			}
			sl->prov[sl->nprov].pkg = i;
			sl->prov[sl->nprov].name_off = sl->names.len;
			if ((rc = buf_add(&sl->names, rel.name.ptr, rel.name.len, e)) ||
			    (rc = buf_add(&sl->names, "", 1, e)))
				return rc;
			sl->prov[sl->nprov].ver_off = SIZE_MAX;
			if (rel.op == OP_EQ) {
				sl->prov[sl->nprov].ver_off = sl->names.len;
				if ((rc = buf_add(&sl->names, rel.ver, strlen(rel.ver) + 1, e)))
					return rc;
			}
			sl->nprov++;
		}
	}
	if (sl->nprov)
		qsort_r(sl->prov, sl->nprov, sizeof(*sl->prov), cmp_prov, sl);
	return 0;
}

static void choose(struct sel *sl, size_t i)
{
	if (sl->chosen[i])
		return;
	sl->chosen[i] = 1;
	sl->work[sl->nwork++] = i;
}

/* Add what pkgs[i] depends on; unsatisfiable groups are left out (see apt_select.h). */
static void add_depends(struct sel *sl, size_t i)
{
	struct slice rest = slice_from(sl->ix->pkgs[i].depends), group, alt;
	struct relation rel;

	while (rest.len) {
		if (!slice_cut(&rest, ',', &group)) {
			group = rest;
			rest.len = 0;
		}
		while (group.len) {
			size_t found;

			if (!slice_cut(&group, '|', &alt)) {
				alt = group;
				group.len = 0;
			}
			if (parse_relation(alt, sl->ix->arch, &rel) != 0)
				continue;
			found = resolve(sl, &rel);
			if (found != SIZE_MAX) {
				choose(sl, found);
				break;
			}
		}
	}
}

static int want_one(struct sel *sl, const char *want, struct err *e)
{
	const struct apt_index *ix = sl->ix;
	const char *eq = strchr(want, '=');
	struct slice name = {want, eq ? (size_t)(eq - want) : strlen(want)};
	size_t i;

	if (!apt_pkg_name_valid(name.ptr, name.len) || (eq && !apt_version_valid(eq + 1)))
		return err_set(e, AE_USAGE, "'%s' is not a package name or name=version", want);
	for (i = lower_name(sl, name); i < ix->n && slice_cmp_str(name, ix->pkgs[sl->byname[i]].name) == 0;
	     i++) {
		const struct apt_pkg *p = &ix->pkgs[sl->byname[i]];

		if (!arch_ok(ix, p))
			continue;
		/* byname holds the newest first */
		if (!eq || apt_version_cmp(p->version, eq + 1) == 0) {
			choose(sl, sl->byname[i]);
			return 0;
		}
	}
	return err_set(e, AE_NOTFOUND, "'%s' is not in the index", want);
}

int apt_select(const struct apt_index *ix, const char *const *wants, size_t nwants, int all, int with_depends,
	       const struct apt_pkg ***out, size_t *nout, struct err *e)
{
	struct sel sl;
	const struct apt_pkg **res = NULL;
	size_t i, n = 0;
	int rc = 0;

	*out = NULL;
	*nout = 0;
	memset(&sl, 0, sizeof(sl));
	sl.ix = ix;
	buf_init(&sl.names, (size_t)1 << 30);
	sl.byname = malloc((ix->n ? ix->n : 1) * sizeof(*sl.byname));
	sl.chosen = calloc(ix->n ? ix->n : 1, 1);
	sl.work = malloc((ix->n ? ix->n : 1) * sizeof(*sl.work));
	if (!sl.byname || !sl.chosen || !sl.work) {
		rc = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < ix->n; i++)
		sl.byname[i] = i;
	qsort_r(sl.byname, ix->n, sizeof(*sl.byname), cmp_byname, (void *)ix);
	if (with_depends && (rc = build_provides(&sl, e)))
		goto out;
	if (all)
		for (i = 0; i < ix->n; i++)
			choose(&sl, i);
	for (i = 0; i < nwants; i++)
		if ((rc = want_one(&sl, wants[i], e)))
			goto out;
	if (with_depends)
		while (sl.nwork)
			add_depends(&sl, sl.work[--sl.nwork]);
	for (i = 0; i < ix->n; i++)
		n += sl.chosen[i];
	if (n) {
		res = malloc(n * sizeof(*res));
		if (!res) {
			rc = err_set(e, AE_NOMEM, "out of memory");
			goto out;
		}
		n = 0;
		for (i = 0; i < ix->n; i++)
			if (sl.chosen[i])
				res[n++] = &ix->pkgs[i];
		qsort(res, n, sizeof(*res), cmp_out);
	}
	*out = res;
	*nout = n;
	res = NULL;
out:
	free(res);
	free(sl.byname);
	free(sl.chosen);
	free(sl.work);
	free(sl.prov);
	buf_release(&sl.names);
	return rc;
}
