/* What the tree's credentials endpoint answers: the credentials-URI format
 * that every official client accepts, the strictest included (FACTS.md
 * section 6): status 200 with Content-Length, "Code": "Success", and an
 * Expiration in whole seconds, UTC, with Z (Java's parser rejects
 * fractions and offsets).  Pure formatting: the server is cli/endpoint.c. */
#ifndef STSENV_CREDHTTP_H
#define STSENV_CREDHTTP_H

#include "snap.h"

#include <stddef.h>
#include <stdint.h>

/* Room for any answer: the largest credential, escaped, and the head. */
#define STSENV_CREDHTTP_MAX (6 * (STSENV_MAX_ID + STSENV_MAX_SECRET + STSENV_MAX_TOKEN) + 1024)

/* A long-term key (no expiry) is announced for an hour at a time, since
 * every client requires an Expiration: they ask again within the hour. */
#define STSENV_CREDHTTP_LONG_TERM_MS (3600 * 1000LL)

/* The whole response for credential s at now_real_ms into buf: 200 with
 * the credential if s is valid by the wall clock, else 503 with
 * "Code": "NoCredential" and a message (never an expired credential).
 * Returns its length, 0 if buf is too small. */
size_t stsenv_credhttp_answer(const struct stsenv_snap *s, int64_t now_real_ms, char *buf,
			      size_t len);

/* The refusal for anything else (a wrong path, method or peer): 404, no
 * body, saying nothing about why. */
size_t stsenv_credhttp_refusal(char *buf, size_t len);

#endif
