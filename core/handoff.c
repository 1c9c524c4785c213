#include "handoff.h"

#include "cred.h"

#include "strbuf.h"

#include <string.h>

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Formatted and parsed by hand, not with stdio: the preload does both in
 * every process start, and printf/scanf were most of that start's cost. */
static size_t format(const char *id, int64_t exp_ms, char *out)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t h = fnv1a(id), e = exp_ms == STSENV_NO_EXPIRY ? 0 : (uint64_t)exp_ms;
	char dec[20];
	size_t n = 3, k = 0;

	memcpy(out, "v1:", 3);
	if ((int64_t)e < 0) /* as PRId64 would print it; never matched */
		out[n++] = '-', e = -e;
	do
		dec[k++] = (char)('0' + e % 10);
	while (e /= 10);
	while (k)
		out[n++] = dec[--k];
	out[n++] = ':';
	for (int shift = 60; shift >= 0; shift -= 4)
		out[n++] = hex[(h >> shift) & 15];
	out[n] = '\0';
	return n;
}

void stsenv_handoff_format(const char *id, int64_t exp_ms, char *buf, size_t len)
{
	char out[STSENV_HANDOFF_MAX];

	stsenv_copy_trunc(buf, len, out, format(id, exp_ms, out));
}

bool stsenv_handoff_matches(const char *marker, const char *id, int64_t *exp_ms)
{
	char want[STSENV_HANDOFF_MAX];
	int64_t exp = 0;
	const char *p;

	if (!marker || !id || strncmp(marker, "v1:", 3) != 0)
		return false;
	/* The canonical decimal only (no sign, no leading zero), as formatted. */
	for (p = marker + 3; *p >= '0' && *p <= '9' && p - marker < 3 + 18; p++)
		exp = exp * 10 + (*p - '0');
	if (p == marker + 3 || *p != ':')
		return false;
	format(id, exp == 0 ? STSENV_NO_EXPIRY : exp, want);
	if (strcmp(marker, want) != 0)
		return false;
	*exp_ms = exp == 0 ? STSENV_NO_EXPIRY : exp;
	return true;
}
