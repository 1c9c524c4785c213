/* libFuzzer harness: what the URI source makes of an HTTP response,
 * stsenv_uri_judge() (core/source_uri.c).
 *
 * Input: the status as two bytes, big-endian (0x00 0xc8 is 200), then the
 * body.
 *
 * Invariants: a status other than 200 is an error naming the status and,
 * of the body, only what stsenv_cred_error_detail() takes from it (Code
 * and Message, as printable excerpts); with 200 the verdict, the credential and the
 * message are exactly those of stsenv_cred_from_json() with SecurityToken
 * and Expiration required, the message prefixed with the (redacted) URI;
 * on success the token and the expiration are there and the fields are
 * sound; on failure out is untouched and the message is printable ASCII
 * without the planted secret. */
#include "fuzz.h"

#include "../core/credjson.h"
#include "../core/source.h"

#define HTTP_WHERE "http://127.0.0.1:8080/credentials"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stsenv_cred out, sentinel, ref;
	struct stsenv_err err, referr;
	char want[2 * sizeof(err.msg)], *body;
	long status;
	size_t len;
	int rc, refrc;

	if (size < 2)
		return 0;
	status = (long)((unsigned)data[0] << 8 | data[1]);
	len = size - 2;
	body = fuzz_dup_exact(data + 2, len);
	if (!body)
		return 0;

	fuzz_poison(&out, &sentinel, &err);
	rc = stsenv_uri_judge(status, body, len, HTTP_WHERE, &out, &err);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (status != 200) {
		FUZZ_CHECK(rc == -1);
		char detail[256];
		bool said = stsenv_cred_error_detail(body, len, detail, sizeof(detail));

		snprintf(want, sizeof(want), "credentials URI %s: HTTP status %ld%s%s%s",
			 HTTP_WHERE, status, said ? " (" : "", said ? detail : "", said ? ")" : "");
		want[sizeof(err.msg) - 1] = '\0'; /* as stsenv_err_set cuts it */
		FUZZ_CHECK(fuzz_err_terminated(&err) && strcmp(err.msg, want) == 0);
		FUZZ_CHECK(fuzz_printable_ascii(err.msg) && !fuzz_has_marker(err.msg));
		FUZZ_CHECK(memcmp(&out, &sentinel, sizeof(out)) == 0);
		free(body);
		return 0;
	}

	memset(&ref, 0, sizeof(ref));
	memset(referr.msg, 0, sizeof(referr.msg));
	refrc = stsenv_cred_from_json(body, len, NULL,
				      STSENV_CJ_REQUIRE_TOKEN | STSENV_CJ_REQUIRE_EXPIRATION, &ref,
				      &referr);
	FUZZ_CHECK(rc == refrc);
	if (rc == 0) {
		FUZZ_CHECK(fuzz_field_ok(out.id, STSENV_MAX_ID));
		FUZZ_CHECK(fuzz_field_ok(out.secret, STSENV_MAX_SECRET));
		FUZZ_CHECK(fuzz_field_ok(out.token, STSENV_MAX_TOKEN));
		FUZZ_CHECK(out.exp_ms != STSENV_NO_EXPIRY);
		if (refrc == 0)
			FUZZ_CHECK(stsenv_cred_equal(&out, &ref) && out.exp_ms == ref.exp_ms);
		stsenv_cred_clear(&out);
	} else {
		FUZZ_CHECK(memcmp(&out, &sentinel, sizeof(out)) == 0);
		FUZZ_CHECK(fuzz_err_terminated(&err));
		if (fuzz_err_terminated(&err)) {
			snprintf(want, sizeof(want), "credentials URI %s: bad response: %s",
				 HTTP_WHERE, referr.msg);
			want[sizeof(err.msg) - 1] = '\0'; /* as stsenv_err_prefix cuts it */
			FUZZ_CHECK(strcmp(err.msg, want) == 0);
			FUZZ_CHECK(fuzz_printable_ascii(err.msg));
			FUZZ_CHECK(!fuzz_has_marker(err.msg));
		}
	}
	if (refrc == 0)
		stsenv_cred_clear(&ref);
	free(body);
	return 0;
}
