#include "cred.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

void stsenv_cred_clear(struct stsenv_cred *c)
{
	/* Wipe before free: a secret should not outlive its use in free lists. */
	if (c->secret)
		explicit_bzero(c->secret, strlen(c->secret));
	if (c->token)
		explicit_bzero(c->token, strlen(c->token));
	free(c->id);
	free(c->secret);
	free(c->token);
	memset(c, 0, sizeof(*c));
}

bool stsenv_cred_equal(const struct stsenv_cred *a, const struct stsenv_cred *b)
{
	return a->exp_ms == b->exp_ms && str_eq(a->id, b->id) && str_eq(a->secret, b->secret) &&
	       str_eq(a->token, b->token);
}

void stsenv_redact_id(const char *id, char *buf, unsigned len)
{
	size_t n = id ? strlen(id) : 0;
	size_t keep;

	if (!len)
		return;
	if (n < 8) {
		snprintf(buf, len, "****");
		return;
	}
	/* "STS.NSNdTV...7" -> "STS.N****7": enough to tell keys apart in a log,
	 * far too little to use. */
	keep = n / 3 < 5 ? n / 3 : 5;
	snprintf(buf, len, "%.*s****%c", (int)keep, id, id[n - 1]);
	/* An id from a hand-edited profile can hold anything: what reaches a
	 * log or status line must stay one clean line. */
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}
