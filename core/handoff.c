#include "handoff.h"

#include "cred.h"

#include <inttypes.h>
#include <stdio.h>
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

void stsenv_handoff_format(const char *id, int64_t exp_ms, char *buf, size_t len)
{
	snprintf(buf, len, "v1:%" PRId64 ":%016" PRIx64,
		 exp_ms == STSENV_NO_EXPIRY ? (int64_t)0 : exp_ms, fnv1a(id));
}

bool stsenv_handoff_matches(const char *marker, const char *id, int64_t *exp_ms)
{
	char want[64];
	int64_t exp;
	int used = 0;

	if (!marker || !id || sscanf(marker, "v1:%" SCNd64 ":%n", &exp, &used) != 1 || !used ||
	    exp < 0)
		return false;
	stsenv_handoff_format(id, exp == 0 ? STSENV_NO_EXPIRY : exp, want, sizeof(want));
	if (strcmp(marker, want) != 0)
		return false;
	*exp_ms = exp == 0 ? STSENV_NO_EXPIRY : exp;
	return true;
}
