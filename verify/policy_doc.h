#ifndef AIRLOCK_POLICY_DOC_H
#define AIRLOCK_POLICY_DOC_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "verify/policy.h"

/*
 * A signed change of a channel's trust policy (docs/operator.md, "Changing
 * who signs"): the complete new signer set and threshold, valid for a
 * while, signed by the current threshold of the current signers.  Canonical
 * text, like the manifest; write(parse(x)) == x is enforced by the parser:
 *
 *   airlock-policy 1
 *   channel plant-a
 *   created 2026-11-22T09:00:00Z
 *   expires 2026-12-22T09:00:00Z
 *   threshold 2
 *   signer <FPR>          (40 uppercase hex digits, strictly ascending, 1..64)
 *   end
 *
 * Laid out on media as a folder: policy, signatures/<FPR>.asc, and
 * keys/<FPR>.asc for signers the site may not have yet.
 */
#define POLICY_DOC_NAME "policy"
#define POLICY_DOC_MAX 8192

struct policy_doc {
	char channel[65];
	int64_t created;
	int64_t expires;
	unsigned threshold;
	char signers[POLICY_MAX_SIGS][FPR_LEN + 1];
	size_t nsigners;
};

/* -AE_REJECT "policy line N: what" on anything but the canonical form. */
int policy_doc_parse(struct policy_doc *d, const char *data, size_t len, struct err *e) AL_WUR;
/* Sorts the signers, refuses duplicates and a threshold above their number. */
int policy_doc_write(struct policy_doc *d, struct buf *out, struct err *e) AL_WUR;

#endif
