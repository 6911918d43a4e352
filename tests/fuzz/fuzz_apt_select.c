/*
 * The Makefile links fuzz targets against lib/ and verify/ (and other
 * components) but not exporter/, so the selector is compiled in here
 * directly rather than widening FUZZ_LIB_SRC for one target.  It ends
 * with lib/banned.h, so system headers come before it.
 */
#include <stdio.h>

#include "exporter/apt_select.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_out(const struct apt_index *ix, const struct apt_pkg **out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (out[i] < ix->pkgs || out[i] >= ix->pkgs + ix->n)
			abort();
		/* sorted by name then version, and no stanza twice */
		if (i && (cmp_out(&out[i - 1], &out[i]) > 0 || out[i - 1] == out[i]))
			abort();
	}
}

/*
 * Load the input as a Packages index, then select with wants taken from it:
 * the value of an "X-Want:" line as a user would type it, and names and
 * name=version pairs of stanzas the index holds (which must then be found).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct deb822_reader r;
	struct apt_index ix;
	struct err e;
	const struct apt_pkg **out = NULL;
	size_t nout = 0, i, nw = 0;
	const char *wants[4];
	char first[128], exact[1024];
	const uint8_t *typed = memmem(data, size, "X-Want: ", 8), *nl = NULL;
	size_t fl = 0;
	int rc;

	err_clear(&e);
	deb822_reader_init_mem(&r, (const char *)data, size, "Packages");
	rc = apt_index_load(&ix, &r, &e);
	deb822_reader_release(&r);
	if (rc) {
		if (ix.pkgs || ix.n || ix.arena)
			abort();
		if (e.code != AE_REJECT && e.code != AE_TOOBIG && e.code != AE_NOMEM)
			abort();
		return 0;
	}
	for (i = 0; i < ix.n; i++)
		if (!apt_path_valid(ix.pkgs[i].filename, strlen(ix.pkgs[i].filename)) ||
		    !apt_version_valid(ix.pkgs[i].version))
			abort();

	if (typed) {
		typed += 8;
		nl = memchr(typed, '\n', size - (size_t)(typed - data));
		fl = nl ? (size_t)(nl - typed) : size - (size_t)(typed - data);
	}
	if (typed && fl < sizeof(first) && !memchr(typed, '\0', fl)) {
		memcpy(first, typed, fl);
		first[fl] = '\0';
		wants[0] = first;
		err_clear(&e);
		rc = apt_select(&ix, wants, 1, 0, 1, &out, &nout, &e);
		if (rc && e.code != AE_NOTFOUND && e.code != AE_USAGE)
			abort();
		if (!rc)
			check_out(&ix, out, nout);
		free(out);
		out = NULL;
	}

	nw = 0;
	for (i = 0; i < ix.n && nw < 3; i++) {
		if (!arch_ok(&ix, &ix.pkgs[i]))
			continue;
		if (nw == 0 && snprintf(exact, sizeof(exact), "%s=%s", ix.pkgs[i].name, ix.pkgs[i].version) <
				   (int)sizeof(exact))
			wants[nw++] = exact;
		else
			wants[nw++] = ix.pkgs[i].name;
	}
	for (i = 0; i < 2; i++) {
		err_clear(&e);
		if (apt_select(&ix, wants, nw, 0, (int)i, &out, &nout, &e) != 0) {
			fprintf(stderr, "a want taken from the index was refused: %s\n", e.msg);
			abort();
		}
		check_out(&ix, out, nout);
		if (nout < (nw ? 1 : 0))
			abort();
		free(out);
		out = NULL;
	}
	err_clear(&e);
	if (apt_select(&ix, NULL, 0, 1, 1, &out, &nout, &e) != 0 || nout != ix.n)
		abort();
	check_out(&ix, out, nout);
	free(out);
	apt_index_free(&ix);
	return 0;
}
