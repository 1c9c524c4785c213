#include "marker.h"

#include "cred.h"
#include "timeutil.h"

#include <string.h>

/* Not a cryptographic hash, and it need not be: it tells stsenv's values
 * from others, and the values sit next to it.  Word at a time, because
 * every process start hashes a token of up to 16 KiB. */
uint64_t stsenv_value_hash(const char *s)
{
	size_t n = strlen(s);
	uint64_t h = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)n * 0xFF51AFD7ED558CCDULL), w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0xC4CEB9FE1A85EC53ULL;
	h ^= h >> 33;
	h *= 0xFF51AFD7ED558CCDULL;
	h ^= h >> 33;
	return h ? h : 1;
}

static char *put_hex(char *p, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";

	for (int shift = 60; shift >= 0; shift -= 4)
		*p++ = hex[(v >> shift) & 15];
	return p;
}

static char *put_dec(char *p, uint64_t v)
{
	char d[20];
	int k = 0;

	do
		d[k++] = (char)('0' + v % 10);
	while (v /= 10);
	while (k)
		*p++ = d[--k];
	return p;
}

/* Formatted and parsed by hand, not with stdio: the preload does both at
 * every process start. */
size_t stsenv_marker_format(const struct stsenv_marker *m, char *buf, size_t len)
{
	char out[STSENV_MARKER_MAX], *p = out;
	size_t n;

	memcpy(p, "v2:", 3);
	p = put_hex(p + 3, m->fingerprint);
	*p++ = ':';
	p = put_dec(p, m->exp_ms == STSENV_NO_EXPIRY || m->exp_ms < 0 ? 0 : (uint64_t)m->exp_ms);
	for (int f = 0; f < 3; f++) {
		*p++ = ':';
		if (m->hash[f])
			p = put_hex(p, m->hash[f]);
		else
			*p++ = '-';
	}
	*p = '\0';
	n = (size_t)(p - out);
	if (!len)
		return n;
	if (n >= len)
		n = len - 1;
	memcpy(buf, out, n);
	buf[n] = '\0';
	return n;
}

static const char *get_hex(const char *p, uint64_t *v)
{
	uint64_t x = 0;

	for (int i = 0; i < 16; i++, p++) {
		if (*p >= '0' && *p <= '9')
			x = x << 4 | (uint64_t)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			x = x << 4 | (uint64_t)(*p - 'a' + 10);
		else
			return NULL;
	}
	*v = x;
	return p;
}

bool stsenv_marker_parse(const char *s, struct stsenv_marker *m)
{
	const char *p = s;
	char again[STSENV_MARKER_MAX];
	uint64_t exp = 0;
	int digits = 0;

	if (!s || strncmp(s, "v2:", 3) != 0 || !(p = get_hex(s + 3, &m->fingerprint)) ||
	    *p++ != ':')
		return false;
	for (; *p >= '0' && *p <= '9' && digits < 19; p++, digits++)
		exp = exp * 10 + (uint64_t)(*p - '0');
	if (!digits)
		return false;
	m->exp_ms = exp ? (int64_t)exp : STSENV_NO_EXPIRY;
	for (int f = 0; f < 3; f++) {
		if (*p++ != ':')
			return false;
		if (*p == '-') {
			m->hash[f] = 0;
			p++;
		} else if (!(p = get_hex(p, &m->hash[f])) || !m->hash[f]) {
			return false;
		}
	}
	/* Only the canonical form: a marker edited by hand is not one. */
	stsenv_marker_format(m, again, sizeof(again));
	return *p == '\0' && strcmp(again, s) == 0;
}

bool stsenv_marker_vouches(const struct stsenv_marker *m, int field, const char *value)
{
	char when[32];

	if (!value)
		return false;
	switch (field) {
	case STSENV_F_ID:
	case STSENV_F_SECRET:
	case STSENV_F_TOKEN: return m->hash[field] && stsenv_value_hash(value) == m->hash[field];
	case STSENV_F_EXPIRATION:
		if (m->exp_ms == STSENV_NO_EXPIRY)
			return false;
		stsenv_format_iso8601(m->exp_ms, when, sizeof(when));
		return strcmp(when, value) == 0;
	default: return false;
	}
}
