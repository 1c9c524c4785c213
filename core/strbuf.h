#ifndef STSENV_STRBUF_H
#define STSENV_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/random.h>

/* Copies n bytes of s into buf as snprintf("%.*s") would: truncated to
 * len - 1 and always terminated (unless len is 0).  For the start-up
 * path, where a printf costs more than the work around it. */
static inline void stsenv_copy_trunc(char *buf, size_t len, const char *s, size_t n)
{
	if (!len)
		return;
	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

/* digits (even, at most 64) random lowercase hex digits and a NUL into
 * out: a tree's socket name, a request's nonce.  False if the kernel has
 * no randomness to give. */
static inline bool stsenv_random_hex(char *out, size_t digits)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[32];

	if (digits > 2 * sizeof(r) || getrandom(r, digits / 2, 0) != (ssize_t)(digits / 2))
		return false;
	for (size_t i = 0; i < digits / 2; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[digits] = '\0';
	return true;
}

#endif
