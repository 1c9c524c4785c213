/* libFuzzer harness: what the STS sources (AssumeRole, AssumeRoleWithOIDC)
 * make of an answer, stsenv_sts_judge() (core/sts.c).
 *
 * Input: the status as two bytes, big-endian (0x00 0xc8 is 200), then the
 * body.
 *
 * Invariants: a status other than 200 is an error naming the call, the
 * status and, of the body, only what stsenv_cred_error_detail() takes from
 * it (Code and Message, as printable excerpts), with the clock hint exactly
 * when that says InvalidTimeStamp; with 200 the verdict, the credential and
 * the message are exactly those of stsenv_cred_from_json() on the
 * "Credentials" object with SecurityToken and Expiration required; on
 * failure out is untouched and the message is printable ASCII without the
 * planted secret. */
#include "fuzz.h"

#include "../core/credjson.h"
#include "../core/sts.h"

#define STS_WHERE "http://127.0.0.1:8080"
#define STS_WHAT  "AssumeRole acs:ram::1:role/r"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stsenv_cred out, sentinel, ref = {0};
	struct stsenv_err err, referr = {0};
	char want[2 * sizeof(err.msg)], detail[256] = "no error details", *body;
	long status;
	size_t len;
	int rc, refrc = -1;

	if (size < 2 || !(body = fuzz_dup_exact(data + 2, size - 2)))
		return 0;
	status = (long)((unsigned)data[0] << 8 | data[1]);
	len = size - 2;
	memset(&sentinel, 0xa5, sizeof(sentinel));
	out = sentinel;
	memset(err.msg, 'Z', sizeof(err.msg));
	rc = stsenv_sts_judge(STS_WHERE, STS_WHAT, status, body, len, &out, &err);
	if (status != 200) {
		stsenv_cred_error_detail(body, len, detail, sizeof(detail));
		snprintf(want, sizeof(want), "STS %s %s: HTTP %ld, %s%s", STS_WHERE, STS_WHAT,
			 status, detail,
			 strstr(detail, "InvalidTimeStamp") ? " (is this machine's clock right?)"
							    : "");
	} else {
		refrc = stsenv_cred_from_json(
			body, len, "Credentials",
			STSENV_CJ_REQUIRE_TOKEN | STSENV_CJ_REQUIRE_EXPIRATION, &ref, &referr);
		snprintf(want, sizeof(want), "STS %s %s: bad response: %s", STS_WHERE, STS_WHAT,
			 referr.msg);
	}
	want[sizeof(err.msg) - 1] = '\0'; /* as stsenv_err_set cuts it */
	FUZZ_CHECK(rc == (status == 200 ? refrc : -1));
	if (rc == 0) {
		FUZZ_CHECK(fuzz_field_ok(out.id, STSENV_MAX_ID));
		FUZZ_CHECK(fuzz_field_ok(out.secret, STSENV_MAX_SECRET));
		FUZZ_CHECK(fuzz_field_ok(out.token, STSENV_MAX_TOKEN));
		FUZZ_CHECK(out.exp_ms != STSENV_NO_EXPIRY);
		FUZZ_CHECK(stsenv_cred_equal(&out, &ref) && out.exp_ms == ref.exp_ms);
		stsenv_cred_clear(&out);
	} else {
		FUZZ_CHECK(memcmp(&out, &sentinel, sizeof(out)) == 0);
		FUZZ_CHECK(fuzz_err_terminated(&err) && strcmp(err.msg, want) == 0);
		FUZZ_CHECK(fuzz_printable_ascii(err.msg) && !fuzz_has_marker(err.msg));
	}
	if (refrc == 0)
		stsenv_cred_clear(&ref);
	free(body);
	return 0;
}
