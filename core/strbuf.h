#ifndef STSENV_STRBUF_H
#define STSENV_STRBUF_H

#include <stddef.h>
#include <string.h>

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

#endif
