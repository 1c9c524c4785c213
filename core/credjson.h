#ifndef STSENV_CREDJSON_H
#define STSENV_CREDJSON_H

#include "cred.h"
#include "err.h"

#include <stdbool.h>
#include <stddef.h>

#define STSENV_CJ_REQUIRE_TOKEN	     1u /* SecurityToken must be present */
#define STSENV_CJ_REQUIRE_EXPIRATION 2u /* Expiration must be present */

/* The member names of the four fields: STS's ("AccessKeyId", ...) or the
 * CLI's ("access_key_id", ...).  A NULL name is not read. */
struct stsenv_cred_keys {
	const char *id, *secret, *token, *expiration;
};

extern const struct stsenv_cred_keys stsenv_sts_keys;

int stsenv_cred_from_json_keys(const char *buf, size_t len, const char *object,
			       const struct stsenv_cred_keys *keys, unsigned flags,
			       struct stsenv_cred *out, struct stsenv_err *err);

/* "Code: Message" of an error body into out, if it has a Code: the only
 * parts of it that are safe to log (printable excerpts).  False if not. */
bool stsenv_cred_error_detail(const char *body, size_t len, char *out, size_t cap);

/* Reads AccessKeyId, AccessKeySecret, SecurityToken and Expiration from a
 * JSON object (or from its member object named `object`, as STS nests them
 * under "Credentials").  A top-level "Code" other than "Success" is an
 * error; a body without "Code" is accepted.  On failure out is untouched
 * and err says why, without quoting any value. */
int stsenv_cred_from_json(const char *buf, size_t len, const char *object, unsigned flags,
			  struct stsenv_cred *out, struct stsenv_err *err);

/* Copies a short, printable excerpt of an untrusted string token for an
 * error message ("Code" or "Message" of an error body). */
void stsenv_json_excerpt(const char *s, size_t len, char *buf, size_t buflen);

#endif
