#ifndef AIRLOCK_JSON_H
#define AIRLOCK_JSON_H

/*
 * jansson is used directly for --json output, through this one header so that
 * <jansson.h> is included once in the tree.
 */
#include <jansson.h>

#include "lib/err.h"

/* Print v to stdout as one line of sorted compact JSON followed by a newline; steals v. */
void json_print(json_t *v);
/*
 * An audit record's detail: d as compact JSON with sorted keys, in *out
 * (caller frees).  Steals d; d NULL (a failed json_pack) is -AE_NOMEM.
 */
int json_detail(json_t *d, char **out, struct err *e) AL_WUR;
/* {"status": "error", "code": name, "exit": n, "message": msg} for a failed command. */
json_t *json_error(const struct err *e);

#endif
