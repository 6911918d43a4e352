/*
 * The signature policy as a table of cases: each row is what GPGME reported
 * for the signature files of one bundle and the verdict the policy must give.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "verify/policy.h"
#include "lib/banned.h"

#define A "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define A_LOWER "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define A_SUB1 "A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1"
#define A_SUB2 "A2A2A2A2A2A2A2A2A2A2A2A2A2A2A2A2A2A2A2A2"
#define B "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
#define C "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"
#define D "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD"

#define GOOD(f, k)                                                                                           \
	{                                                                                                    \
		.file = f, .status = SIG_GOOD, .key_fpr = k, .primary_fpr = k, .uid = "officer"              \
	}
#define GOOD_SUB(f, sub, prim)                                                                               \
	{                                                                                                    \
		.file = f, .status = SIG_GOOD, .key_fpr = sub, .primary_fpr = prim                           \
	}
#define SIG(f, st, k)                                                                                        \
	{                                                                                                    \
		.file = f, .status = st, .key_fpr = k, .primary_fpr = k                                      \
	}

struct pcase {
	const char *name;
	const char *trusted[4];
	unsigned threshold;
	struct sig_result sigs[4];
	size_t nsigs;
	int want_ok;
	unsigned want_counted;
	const char *want_signers[4];
	const char *want_in_msg[3]; /* substrings the rejection must hold */
	const char *want_msg;	    /* the whole message, when set */
};

static const struct pcase cases[] = {
    {.name = "policy_accepts_threshold_met",
     .trusted = {A, B, C},
     .threshold = 2,
     .sigs = {GOOD("a.asc", A), GOOD("b.asc", B)},
     .nsigs = 2,
     .want_ok = 1,
     .want_counted = 2,
     .want_signers = {A, B}},
    {.name = "policy_accepts_one_of_one",
     .trusted = {A},
     .threshold = 1,
     .sigs = {GOOD("a.asc", A)},
     .nsigs = 1,
     .want_ok = 1,
     .want_counted = 1,
     .want_signers = {A}},
    {.name = "policy_rejects_threshold_short_by_one",
     .trusted = {A, B, C},
     .threshold = 3,
     .sigs = {GOOD("a.asc", A), GOOD("b.asc", B)},
     .nsigs = 2,
     .want_counted = 2,
     .want_msg = "threshold not met: 2 of 3 required trusted signatures"},
    {.name = "policy_rejects_same_key_twice",
     .trusted = {A, B},
     .threshold = 2,
     .sigs = {GOOD("a.asc", A), GOOD("a-again.asc", A)},
     .nsigs = 2,
     .want_counted = 1,
     .want_signers = {A},
     .want_in_msg = {"1 of 2", "'a-again.asc': key " A " already counted"}},
    {.name = "policy_counts_two_subkeys_of_one_primary_once",
     .trusted = {A, B},
     .threshold = 2,
     .sigs = {GOOD_SUB("s1.asc", A_SUB1, A), GOOD_SUB("s2.asc", A_SUB2, A)},
     .nsigs = 2,
     .want_counted = 1,
     .want_signers = {A},
     .want_in_msg = {"1 of 2", "'s2.asc': key " A " already counted"}},
    {.name = "policy_counts_subkey_for_its_primary",
     .trusted = {A, B},
     .threshold = 2,
     .sigs = {GOOD_SUB("s1.asc", A_SUB1, A), GOOD("b.asc", B)},
     .nsigs = 2,
     .want_ok = 1,
     .want_counted = 2,
     .want_signers = {A, B}},
    {.name = "policy_ignores_trusted_subkey_fpr_of_untrusted_primary",
     /* only the primary speaks for a key: a subkey fingerprint in the trust list is not a primary */
     .trusted = {A_SUB1},
     .threshold = 1,
     .sigs = {GOOD_SUB("s1.asc", A_SUB1, A)},
     .nsigs = 1,
     .want_in_msg = {"0 of 1", "'s1.asc': key " A " is not trusted for this channel"}},
    {.name = "policy_rejects_expired_key",
     .trusted = {A, B},
     .threshold = 2,
     .sigs = {GOOD("a.asc", A), SIG("b.asc", SIG_KEY_EXPIRED, B)},
     .nsigs = 2,
     .want_counted = 1,
     .want_signers = {A},
     .want_msg = "threshold not met: 1 of 2 required trusted signatures ('b.asc': key expired)"},
    {.name = "policy_rejects_revoked_key",
     .trusted = {A, B},
     .threshold = 2,
     .sigs = {GOOD("a.asc", A), SIG("b.asc", SIG_KEY_REVOKED, B)},
     .nsigs = 2,
     .want_counted = 1,
     .want_msg = "threshold not met: 1 of 2 required trusted signatures ('b.asc': key revoked)"},
    {.name = "policy_rejects_expired_signature",
     .trusted = {A},
     .threshold = 1,
     .sigs = {SIG("a.asc", SIG_EXPIRED, A)},
     .nsigs = 1,
     .want_msg = "threshold not met: 0 of 1 required trusted signatures ('a.asc': signature expired)"},
    {.name = "policy_rejects_unknown_key",
     .trusted = {A, B},
     .threshold = 2,
     .sigs = {GOOD("a.asc", A), {.file = "d.asc", .status = SIG_UNKNOWN_KEY, .key_fpr = D}},
     .nsigs = 2,
     .want_counted = 1,
     .want_msg = "threshold not met: 1 of 2 required trusted signatures ('d.asc': unknown key " D ")"},
    {.name = "policy_names_every_signature_that_did_not_count",
     .trusted = {A, B, C},
     .threshold = 2,
     .sigs = {SIG("b.asc", SIG_KEY_REVOKED, B),
	      GOOD("a.asc", A),
	      {.file = "c.asc", .status = SIG_UNKNOWN_KEY, .key_fpr = C}},
     .nsigs = 3,
     .want_counted = 1,
     .want_msg = "threshold not met: 1 of 2 required trusted signatures "
		 "('b.asc': key revoked; 'c.asc': unknown key " C ")"},
    {.name = "policy_rejects_zero_signatures",
     .trusted = {A},
     .threshold = 1,
     .nsigs = 0,
     .want_msg = "no signatures"},
    {.name = "policy_rejects_bad_signature_even_when_threshold_met",
     .trusted = {A, B, C},
     .threshold = 2,
     .sigs = {GOOD("a.asc", A), GOOD("b.asc", B), SIG("c.asc", SIG_BAD, C)},
     .nsigs = 3,
     .want_msg = "'c.asc': bad signature: the signed data does not match it"},
    {.name = "policy_rejects_malformed_file_even_when_threshold_met",
     .trusted = {A, B},
     .threshold = 2,
     .sigs = {GOOD("a.asc", A),
	      GOOD("b.asc", B),
	      {.file = "x.asc", .status = SIG_MALFORMED, .detail = "not one armored signature"}},
     .nsigs = 3,
     .want_msg = "'x.asc': malformed signature file: not one armored signature"},
    {.name = "policy_rejects_trusted_plus_untrusted_good_for_threshold_two",
     .trusted = {A, B},
     .threshold = 2,
     .sigs = {GOOD("a.asc", A), GOOD("d.asc", D)},
     .nsigs = 2,
     .want_counted = 1,
     .want_signers = {A},
     .want_msg = "threshold not met: 1 of 2 required trusted signatures "
		 "('d.asc': key " D " is not trusted for this channel)"},
    {.name = "policy_compares_fingerprints_case_insensitively",
     .trusted = {A_LOWER, B},
     .threshold = 2,
     .sigs = {GOOD("a.asc", A), GOOD("b.asc", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")},
     .nsigs = 2,
     .want_ok = 1,
     .want_counted = 2,
     .want_signers = {A, B}},
    {.name = "policy_does_not_count_good_signature_without_fingerprint",
     .trusted = {A},
     .threshold = 1,
     .sigs = {{.file = "a.asc", .status = SIG_GOOD, .key_fpr = "1234", .primary_fpr = ""}},
     .nsigs = 1,
     .want_in_msg = {"0 of 1", "'a.asc': signing key has no fingerprint"}},
    {.name = "policy_does_not_count_gpg_errors",
     .trusted = {A},
     .threshold = 1,
     .sigs = {{.file = "a.asc", .status = SIG_ERROR, .key_fpr = A, .detail = "unsupported algorithm"}},
     .nsigs = 1,
     .want_msg = "threshold not met: 0 of 1 required trusted signatures "
		 "('a.asc': error: unsupported algorithm)"},
    {.name = "policy_quotes_hostile_file_names_safely",
     .trusted = {A},
     .threshold = 1,
     .sigs = {SIG("\033[2Jevil\n.asc", SIG_BAD, A)},
     .nsigs = 1,
     .want_msg = "'?[2Jevil?.asc': bad signature: the signed data does not match it"},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static void run_case(void **state)
{
	const struct pcase *c = *state;
	char trusted[4][FPR_LEN + 1];
	struct policy p = {.trusted = trusted, .threshold = c->threshold};
	struct policy_verdict v;
	struct err e;
	size_t i;
	int r;

	for (i = 0; i < 4 && c->trusted[i]; i++)
		snprintf(trusted[i], sizeof(trusted[i]), "%s", c->trusted[i]);
	p.ntrusted = i;
	err_clear(&e);
	memset(&v, 0xa5, sizeof(v));

	r = policy_check(&p, c->sigs, c->nsigs, &v, &e);
	if (c->want_ok) {
		assert_int_equal(r, 0);
		assert_int_equal(e.code, 0);
		assert_true(v.ok);
	} else {
		assert_int_equal(r, -AE_REJECT);
		assert_int_equal(e.code, AE_REJECT);
		assert_false(v.ok);
	}
	assert_int_equal(v.counted, c->want_counted);
	for (i = 0; i < 4 && c->want_signers[i]; i++)
		assert_string_equal(v.signers[i], c->want_signers[i]);
	if (c->want_msg)
		assert_string_equal(e.msg, c->want_msg);
	for (i = 0; i < 3 && c->want_in_msg[i]; i++) {
		if (!strstr(e.msg, c->want_in_msg[i]))
			fail_msg("message '%s' lacks '%s'", e.msg, c->want_in_msg[i]);
	}
}

static void policy_refuses_threshold_zero(void **state)
{
	static const char trusted[1][FPR_LEN + 1] = {A};
	struct sig_result s = GOOD("a.asc", A);
	struct policy p = {.trusted = trusted, .ntrusted = 1, .threshold = 0};
	struct err e;

	(void)state;
	err_clear(&e);
	assert_true(policy_check(&p, &s, 1, NULL, &e) < 0);
	assert_int_not_equal(e.code, 0);
}

static void policy_accepts_null_verdict(void **state)
{
	static const char trusted[1][FPR_LEN + 1] = {A};
	struct sig_result s = GOOD("a.asc", A);
	struct policy p = {.trusted = trusted, .ntrusted = 1, .threshold = 1};
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(policy_check(&p, &s, 1, NULL, &e), 0);
}

static void policy_rejects_too_many_signatures(void **state)
{
	static const char trusted[1][FPR_LEN + 1] = {A};
	static struct sig_result s[POLICY_MAX_SIGS + 1];
	struct policy p = {.trusted = trusted, .ntrusted = 1, .threshold = 1};
	struct err e;
	size_t i;

	(void)state;
	for (i = 0; i < POLICY_MAX_SIGS + 1; i++)
		s[i] = (struct sig_result)GOOD("a.asc", A);
	err_clear(&e);
	assert_int_equal(policy_check(&p, s, POLICY_MAX_SIGS + 1, NULL, &e), -AE_REJECT);
}

/* Sixty-four reasons do not fit in err.msg: the message is cut, still a string. */
static void policy_truncates_long_message(void **state)
{
	static const char trusted[2][FPR_LEN + 1] = {A, B};
	static struct sig_result s[POLICY_MAX_SIGS];
	struct policy p = {.trusted = trusted, .ntrusted = 2, .threshold = 2};
	struct err e;
	size_t i;

	(void)state;
	for (i = 0; i < POLICY_MAX_SIGS; i++) {
		s[i] = (struct sig_result)SIG("", SIG_UNKNOWN_KEY, D);
		snprintf(s[i].file, sizeof(s[i].file), "signature-file-with-a-long-name-%02zu.asc", i);
	}
	err_clear(&e);
	assert_int_equal(policy_check(&p, s, POLICY_MAX_SIGS, NULL, &e), -AE_REJECT);
	assert_true(strlen(e.msg) < sizeof(e.msg));
	assert_non_null(strstr(e.msg, "0 of 2"));
	assert_int_equal(strlen(e.msg), sizeof(e.msg) - 1);
	assert_string_equal(e.msg + strlen(e.msg) - 4, "...)");
}

static void policy_names_every_status(void **state)
{
	(void)state;
	assert_string_equal(sig_status_name(SIG_GOOD), "good");
	assert_string_equal(sig_status_name(SIG_BAD), "bad");
	assert_string_equal(sig_status_name(SIG_MALFORMED), "malformed");
	assert_string_equal(sig_status_name(SIG_UNKNOWN_KEY), "unknown-key");
	assert_string_equal(sig_status_name(SIG_KEY_EXPIRED), "key-expired");
	assert_string_equal(sig_status_name(SIG_KEY_REVOKED), "key-revoked");
	assert_string_equal(sig_status_name(SIG_EXPIRED), "expired");
	assert_string_equal(sig_status_name(SIG_ERROR), "error");
}

int main(void)
{
	struct CMUnitTest tests[NCASES + 5];
	size_t i;

	for (i = 0; i < NCASES; i++)
		tests[i] = (struct CMUnitTest){cases[i].name, run_case, NULL, NULL, (void *)&cases[i]};
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(policy_refuses_threshold_zero);
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(policy_accepts_null_verdict);
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(policy_rejects_too_many_signatures);
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(policy_truncates_long_message);
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(policy_names_every_status);
	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
