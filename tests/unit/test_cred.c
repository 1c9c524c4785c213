/* What may be logged of a credential: the redacted id (cred.c). */
#include "../../core/cred.h"
#include "unit.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ID "STS.NSNdTVqXZaeu1dXW8Q7"

/* ---- stsenv_redact_id ---- */

static void test_redact_id(void)
{
	const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	char buf[32], id[64];

	stsenv_redact_id(ID, buf, sizeof(buf));
	CHECK_STR(buf, "STS.N****7");
	stsenv_redact_id("LTAI5tExampleKey99", buf, sizeof(buf));
	CHECK_STR(buf, "LTAI5****9");
	stsenv_redact_id("", buf, sizeof(buf));
	CHECK_STR(buf, "****");
	stsenv_redact_id(NULL, buf, sizeof(buf));
	CHECK_STR(buf, "****");
	stsenv_redact_id("abcdefg", buf, sizeof(buf));
	CHECK_STR(buf, "****");
	stsenv_redact_id("abcdefgh", buf, sizeof(buf));
	CHECK_STR(buf, "ab****h");
	stsenv_redact_id(ID, buf, 6);
	CHECK_STR(buf, "STS.N");
	strcpy(buf, "keep");
	stsenv_redact_id(ID, buf, 0);
	CHECK_STR(buf, "keep");
	/* Control characters (a hand-edited profile) never reach a log line. */
	stsenv_redact_id("\a\a\n\x7fLTAI5tQh3n7Ek2yV8f\t", buf, sizeof(buf));
	CHECK_STR(buf, "????L****?");

	/* Whatever the length, at most 6 characters of the id survive, and
	 * never a third of it. */
	for (size_t n = 0; n < 60; n++) {
		size_t shown;

		memcpy(id, alphabet, n);
		id[n] = '\0';
		stsenv_redact_id(id, buf, sizeof(buf));
		CHECK(strstr(buf, "****") != NULL);
		shown = strlen(buf) - 4;
		CHECK(shown <= 6);
		CHECK(shown == 0 || shown * 3 <= n + 3);
		for (size_t i = 0; i < strlen(buf); i++)
			CHECK(buf[i] == '*' || memchr(id, buf[i], n));
	}
}

int main(void)
{
	RUN(test_redact_id);
	UNIT_EXIT();
}
