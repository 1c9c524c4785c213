/* What the two STS calls share, AssumeRoleWithOIDC (source_oidc.c) and
 * AssumeRole (source_role.c): the endpoint, the form encoding, and the
 * verdict on an answer. */
#ifndef STSENV_STS_H
#define STSENV_STS_H

#include "cred.h"
#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Appends value to buf percent-encoded as RFC 3986 says (only A-Z a-z 0-9
 * - _ . ~ stay; a space is %20): what both the form and the signature
 * want.  -1 if it does not fit (buf is then NUL-terminated at *len). */
int stsenv_pct_append(char *buf, size_t cap, size_t *len, const char *value);

/* Appends "key=value" (with a '&' first unless buf is empty), value
 * percent-encoded; -1 if it does not fit. */
int stsenv_form_add(char *buf, size_t cap, size_t *len, const char *key, const char *value);

/* The STS endpoint URL, without a trailing '/': endpoint as given (a URL,
 * or a host for https), else sts[-vpc].<region>.aliyuncs.com, else
 * sts.aliyuncs.com. */
void stsenv_sts_url(const char *endpoint, const char *region, bool vpc, char *buf, size_t len);

/* POSTs form (application/x-www-form-urlencoded) to url, which carries the
 * query, and judges the answer.  where: the endpoint, safe to log; what:
 * the call, for messages ("AssumeRoleWithOIDC", "AssumeRole <arn>"). */
int stsenv_sts_post(const char *where, const char *what, const char *url, const char *form,
		    int64_t timeout_ms, struct stsenv_cred *out, struct stsenv_err *err);

/* The verdict on an STS answer: 200 with {"Credentials":{...}} holding a
 * token and an expiration fills out; anything else is an error naming
 * STS's Code and Message, never a value of the body.  Split from the call
 * so that it can be fuzzed. */
int stsenv_sts_judge(const char *where, const char *what, long status, const char *body, size_t len,
		     struct stsenv_cred *out, struct stsenv_err *err);

#endif
