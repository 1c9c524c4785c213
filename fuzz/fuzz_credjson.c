/* libFuzzer harness: the credential JSON parser, stsenv_cred_from_json()
 * and stsenv_cred_from_json_keys().
 *
 * Input: one flags byte, then the JSON body.
 *   bit 0: STSENV_CJ_REQUIRE_TOKEN
 *   bit 1: STSENV_CJ_REQUIRE_EXPIRATION
 *   bit 2: the fields sit in the member object "Credentials" (as STS nests
 *          them), else at the top level
 *   bits 3-4: 0 STS names through stsenv_cred_from_json(), 1 STS names
 *          through _keys(), 2 the CLI's names (access_key_id, ...,
 *          sts_token, expiration), 3 the CLI's AccessKey names (no token,
 *          no expiration)
 *   other bits: ignored
 *
 * Invariants: on success id and secret are non-empty, within their caps and
 * free of control characters, the token and the expiration are present
 * when required, absent when their name is not read, and a second parse
 * gives the same credential; on failure out is untouched and err.msg is a
 * non-empty line of printable ASCII that quotes no value but the Code or
 * the Expiration (checked against the body), and never the planted
 * secret. */
#include "fuzz.h"

#include "../core/cred.h"
#include "../core/credjson.h"

static const struct stsenv_cred_keys cj_cli_sts_keys = {"access_key_id", "access_key_secret",
							"sts_token", "expiration"};
static const struct stsenv_cred_keys cj_cli_ak_keys = {"access_key_id", "access_key_secret", NULL,
						       NULL};

static int cj_parse(unsigned sel, const char *buf, size_t len, const char *object,
		    const struct stsenv_cred_keys *keys, unsigned flags, struct stsenv_cred *out,
		    struct stsenv_err *err)
{
	if (sel == 0)
		return stsenv_cred_from_json(buf, len, object, flags, out, err);
	return stsenv_cred_from_json_keys(buf, len, object, keys, flags, out, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct stsenv_cred_keys *const keysets[4] = {
		&stsenv_sts_keys, &stsenv_sts_keys, &cj_cli_sts_keys, &cj_cli_ak_keys};
	struct stsenv_cred out, sentinel, again;
	struct stsenv_err err, err2;
	const struct stsenv_cred_keys *keys;
	const char *object;
	unsigned flags, sel;
	char *buf;
	size_t len;
	int rc;

	if (size < 1)
		return 0;
	flags = data[0] & (STSENV_CJ_REQUIRE_TOKEN | STSENV_CJ_REQUIRE_EXPIRATION);
	object = (data[0] & 4) ? "Credentials" : NULL;
	sel = (data[0] >> 3) & 3;
	keys = keysets[sel];
	len = size - 1;
	buf = fuzz_dup_exact(data + 1, len);
	if (!buf)
		return 0;

	fuzz_poison(&out, &sentinel, &err);
	rc = cj_parse(sel, buf, len, object, keys, flags, &out, &err);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		FUZZ_CHECK(len <= STSENV_MAX_BODY);
		FUZZ_CHECK(fuzz_field_ok(out.id, STSENV_MAX_ID));
		FUZZ_CHECK(fuzz_field_ok(out.secret, STSENV_MAX_SECRET));
		if (out.token)
			FUZZ_CHECK(fuzz_field_ok(out.token, STSENV_MAX_TOKEN));
		if (!keys->token)
			FUZZ_CHECK(out.token == NULL);
		else if (flags & STSENV_CJ_REQUIRE_TOKEN)
			FUZZ_CHECK(out.token != NULL);
		if (!keys->expiration)
			FUZZ_CHECK(out.exp_ms == STSENV_NO_EXPIRY);
		else if (flags & STSENV_CJ_REQUIRE_EXPIRATION)
			FUZZ_CHECK(out.exp_ms != STSENV_NO_EXPIRY);
		/* The same body parses to the same credential. */
		memset(&again, 0, sizeof(again));
		FUZZ_CHECK(cj_parse(sel, buf, len, object, keys, flags, &again, &err2) == 0);
		FUZZ_CHECK(stsenv_cred_equal(&out, &again) && out.exp_ms == again.exp_ms);
		stsenv_cred_clear(&again);
		stsenv_cred_clear(&out);
	} else {
		bool slot, quoting_ok;

		FUZZ_CHECK(memcmp(&out, &sentinel, sizeof(out)) == 0);
		FUZZ_CHECK(fuzz_err_terminated(&err));
		if (fuzz_err_terminated(&err)) {
			FUZZ_CHECK(err.msg[0] != '\0');
			FUZZ_CHECK(fuzz_printable_ascii(err.msg));
			FUZZ_CHECK(!fuzz_has_marker(err.msg));
			quoting_ok = fuzz_cj_quoting_ok(buf, len, object, keys, err.msg, &slot);
			if (slot)
				FUZZ_CHECK(quoting_ok);
			else
				FUZZ_CHECK(!strstr(err.msg, FUZZ_MARKER_TAIL));
		}
	}
	free(buf);
	return 0;
}
