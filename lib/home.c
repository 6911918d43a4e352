#include "lib/home.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/audit.h"
#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/fs.h"
#include "lib/banned.h"

#define CONF_MAX 4096

int (*home_recover_hook)(struct home *h, struct err *e);

const char *home_resolve(const char *opt)
{
	const char *env = getenv("AIRLOCK_HOME");

	if (opt && *opt)
		return opt;
	if (env && *env)
		return env;
	return "/var/lib/airlock";
}

const char *home_role_name(enum home_role r)
{
	return r == HOME_EXPORT ? "export" : r == HOME_IMPORT ? "import" : "unknown";
}

static char *join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", a, b);
	return p;
}

static int fill_paths(struct home *h, const char *dir, struct err *e)
{
	char real[PATH_MAX];

	if (!realpath(dir, real))
		return err_errno(e, errno, "cannot open site home '%s'", dir);
	h->dir = strdup(real);
	h->gnupg = join(real, "gnupg");
	h->catalog = join(real, "catalog.db");
	h->store = join(real, "store");
	h->staging = join(real, "staging");
	h->quarantine = join(real, "quarantine");
	h->published = join(real, "published");
	if (!h->dir || !h->gnupg || !h->catalog || !h->store || !h->staging || !h->quarantine || !h->published)
		return err_set(e, AE_NOMEM, "out of memory");
	return 0;
}

int home_create(const char *dir, enum home_role role, struct err *e)
{
	struct home h = { 0 };
	struct buf conf;
	char *cpath = NULL;
	int r;

	buf_init(&conf, CONF_MAX);
	r = fs_mkdirs(dir, 0750, e);
	if (r)
		goto out;
	r = fill_paths(&h, dir, e);
	if (r)
		goto out;
	if (fs_exists(h.catalog)) {
		r = err_set(e, AE_EXISTS, "'%s' is already a site home; use it, or choose another folder with --home",
			    h.dir);
		goto out;
	}
	if ((r = fs_mkdirs(h.gnupg, 0700, e)) || (r = fs_mkdirs(h.store, 0755, e)) ||
	    (r = fs_mkdirs(h.staging, 0700, e)) || (r = fs_mkdirs(h.quarantine, 0700, e)) ||
	    (r = fs_mkdirs(h.published, 0755, e)))
		goto out;
	if (chmod(h.gnupg, 0700) < 0) {
		r = err_errno(e, errno, "cannot set the mode of '%s'", h.gnupg);
		goto out;
	}
	cpath = join(h.dir, "airlock.conf");
	if (!cpath) {
		r = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	r = buf_addf(&conf, e, "# airlock site home\nrole = %s\nformat = 1\n", home_role_name(role));
	if (r)
		goto out;
	r = db_open(&h.db, h.catalog, 1, e);
	if (r)
		goto out;
	r = db_begin(h.db, e);
	if (!r)
		r = db_meta_set(h.db, "role", home_role_name(role), e);
	if (!r)
		r = audit_append(h.db, "init", h.dir, home_role_name(role), e);
	if (!r)
		r = db_commit(h.db, e);
	if (r) {
		db_rollback(h.db);
		goto out;
	}
	/* the conf is written last: a home without it is not a home yet */
	r = fs_write_atomic(cpath, conf.ptr, conf.len, 0644, e);
out:
	free(cpath);
	buf_release(&conf);
	home_close(&h);
	return r;
}

static int read_conf(struct home *h, struct err *e)
{
	char *path = join(h->dir, "airlock.conf");
	const char *role;
	int r;

	if (!path)
		return err_set(e, AE_NOMEM, "out of memory");
	if (!fs_exists(path)) {
		r = err_set(e, AE_STATE, "'%s' is not a site home; create one with 'airlock init --export' or "
					 "'airlock init --import'", h->dir);
		goto out;
	}
	r = conf_load(&h->conf, path, e);
	if (r)
		goto out;
	role = conf_str(h->conf, "role");
	if (!strcmp(role, "export"))
		h->role = HOME_EXPORT;
	else if (!strcmp(role, "import"))
		h->role = HOME_IMPORT;
	else
		r = err_set(e, AE_STATE, "'%s': no valid 'role = export|import' line", path);
out:
	free(path);
	return r;
}

int home_open(struct home *h, const char *dir, int want, struct err *e)
{
	int r;

	memset(h, 0, sizeof(*h));
	r = fill_paths(h, dir, e);
	if (r) {
		if (e->code == AE_IO) {
			err_clear(e);
			r = err_set(e, AE_STATE, "'%s' is not a site home; create one with 'airlock init --export' "
						 "or 'airlock init --import'", dir);
		}
		goto out;
	}
	r = read_conf(h, e);
	if (r)
		goto out;
	if (want && (int)h->role != want) {
		r = err_set(e, AE_STATE, "'%s' is an %s home; this command needs an %s home", h->dir,
			    home_role_name(h->role), home_role_name((enum home_role)want));
		goto out;
	}
	r = db_open(&h->db, h->catalog, 0, e);
	if (!r && home_recover_hook)
		r = home_recover_hook(h, e);
out:
	if (r)
		home_close(h);
	return r;
}

void home_close(struct home *h)
{
	db_close(h->db);
	conf_free(h->conf);
	free(h->dir);
	free(h->gnupg);
	free(h->catalog);
	free(h->store);
	free(h->staging);
	free(h->quarantine);
	free(h->published);
	memset(h, 0, sizeof(*h));
}

int home_lock(const struct home *h, int *fd, struct err *e)
{
	struct buf p;
	int r = 0;

	buf_init(&p, 8192);
	*fd = -1;
	r = buf_addf(&p, e, "%s/lock", h->dir);
	if (r)
		goto out;
	*fd = open(p.ptr, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0) {
		r = err_errno(e, errno, "cannot open '%s'", p.ptr);
		goto out;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		r = err_set(e, AE_STATE, "an import or a scan-db update is running on '%s'; wait for it to finish",
			    h->dir);
		close(*fd);
		*fd = -1;
	}
out:
	buf_release(&p);
	return r;
}
