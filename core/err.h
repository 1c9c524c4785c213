/* Error reporting for the engine: a fixed buffer, so that building an error
 * never allocates (errors happen on paths where malloc may be failing). */
#ifndef STSENV_ERR_H
#define STSENV_ERR_H

#include <stddef.h>

struct stsenv_err {
	char msg[384];
	/* Set by a source whose failure will pass by itself soon (a file
	 * caught mid-rewrite): try again after this many ms, not after the
	 * backoff.  0: no hint. */
	int retry_ms;
};

void stsenv_err_set(struct stsenv_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prepends "prefix: " to the message already in err. */
void stsenv_err_prefix(struct stsenv_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
