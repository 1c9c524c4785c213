#include "cred.h"

#include "timeutil.h"

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

static char *put(char **cursor, const char *s)
{
	char *dst = *cursor;
	size_t n = strlen(s) + 1;

	memcpy(dst, s, n);
	*cursor += n;
	return dst;
}

struct stsenv_snap *stsenv_snap_new(const struct stsenv_cred *c, int64_t now_real_ms,
				    int64_t now_mono_ms, uint64_t generation)
{
	char expbuf[32] = "";
	size_t size = sizeof(struct stsenv_snap) + strlen(c->id) + strlen(c->secret) + 2;
	struct stsenv_snap *s;
	char *cursor;

	if (c->token)
		size += strlen(c->token) + 1;
	if (c->exp_ms != STSENV_NO_EXPIRY) {
		stsenv_format_iso8601(c->exp_ms, expbuf, sizeof(expbuf));
		size += strlen(expbuf) + 1;
	}
	s = malloc(size);
	if (!s)
		return NULL;
	cursor = (char *)(s + 1);
	s->id = put(&cursor, c->id);
	s->secret = put(&cursor, c->secret);
	s->token = c->token ? put(&cursor, c->token) : NULL;
	s->expiration = expbuf[0] ? put(&cursor, expbuf) : NULL;
	s->exp_real_ms = c->exp_ms;
	/* The deadline is moved onto the monotonic clock once, here, so that a
	 * wall clock stepped backwards later cannot make us serve a credential
	 * past its real expiry. */
	s->exp_mono_ms = c->exp_ms == STSENV_NO_EXPIRY ? STSENV_NO_EXPIRY
						       : now_mono_ms + (c->exp_ms - now_real_ms);
	s->generation = generation;
	return s;
}

const char *stsenv_snap_field(const struct stsenv_snap *s, enum stsenv_field f)
{
	switch (f) {
	case STSENV_F_ID: return s->id;
	case STSENV_F_SECRET: return s->secret;
	case STSENV_F_TOKEN: return s->token;
	case STSENV_F_EXPIRATION: return s->expiration;
	default: return NULL;
	}
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
