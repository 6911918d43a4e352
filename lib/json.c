#include "lib/json.h"

#include <stdio.h>
#include <stdlib.h>

#include "lib/banned.h"

void json_print(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
	json_decref(v);
}

json_t *json_error(const struct err *e)
{
	return json_pack("{s:s, s:s, s:i, s:s}", "status", e->code == AE_REJECT ? "rejected" : "error", "code",
			 err_name(e->code), "exit", err_exit_code(e->code), "message", e->msg);
}

int json_detail(json_t *d, char **out, struct err *e)
{
	*out = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(d);
	if (!*out)
		return err_set(e, AE_NOMEM, "out of memory");
	return 0;
}
