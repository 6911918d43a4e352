#include "importer/report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fs.h"
#include "lib/util.h"
#include "lib/banned.h"

int report_init(struct report *r, const char *media, int64_t started, struct err *e)
{
	char t[TIME_STR];
	int rc;

	time_format(started, t);
	buf_init(&r->text, (size_t)16 << 20);
	r->checks = json_array();
	r->root = json_pack("{s:s, s:s, s:s}", "media", media, "started", t, "result", "error");
	if (!r->checks || !r->root)
		return err_set(e, AE_NOMEM, "out of memory");
	json_object_set(r->root, "checks", r->checks);
	rc = buf_addf(&r->text, e, "airlock import report\nmedia:   %s\nstarted: %s\n\n", media, t);
	return rc;
}

void report_release(struct report *r)
{
	json_decref(r->checks);
	json_decref(r->root);
	r->checks = r->root = NULL;
	buf_release(&r->text);
}

static void add(struct report *r, const char *check, const char *result, const char *detail)
{
	struct err ignore = { 0 };

	json_array_append_new(r->checks, json_pack("{s:s, s:s, s:s}", "check", check, "result", result, "detail",
						   detail));
	if (buf_addf(&r->text, &ignore, "  %-6s %-12s %s\n", result, check, detail))
		return;
}

void report_ok(struct report *r, const char *check, const char *fmt, ...)
{
	char detail[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	add(r, check, "ok", detail);
}

void report_fail(struct report *r, const char *check, const struct err *e)
{
	add(r, check, e->code == AE_REJECT ? "FAIL" : "ERROR", e->msg);
}

void report_set(struct report *r, const char *key, json_t *value)
{
	json_object_set_new(r->root, key, value);
}

void report_result(struct report *r, const char *result, const char *message)
{
	struct err ignore = { 0 };

	json_object_set_new(r->root, "result", json_string(result));
	json_object_set_new(r->root, "message", json_string(message));
	if (buf_addf(&r->text, &ignore, "\nresult: %s: %s\n", result, message))
		return;
}

int report_write(struct report *r, const char *base, struct err *e)
{
	struct buf path;
	char *js = NULL;
	int rc;

	buf_init(&path, 8192);
	rc = buf_addf(&path, e, "%s.txt", base);
	if (!rc)
		rc = fs_write_atomic(path.ptr, buf_str(&r->text), r->text.len, 0644, e);
	if (rc)
		goto out;
	js = json_dumps(r->root, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!js) {
		rc = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	buf_reset(&path);
	rc = buf_addf(&path, e, "%s.json", base);
	if (!rc)
		rc = fs_write_atomic(path.ptr, js, strlen(js), 0644, e);
out:
	free(js);
	buf_release(&path);
	return rc;
}
