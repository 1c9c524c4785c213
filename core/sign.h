/* Alibaba Cloud's RPC signature, version 1.0 with HMAC-SHA1, as STS wants
 * AssumeRole signed: the parameters sorted by name, each name and value
 * percent-encoded (RFC 3986: a space is %20, '*' is %2A, '~' stays), joined
 * into "k=v&k=v"; the string to sign is METHOD "&%2F&" and that query
 * percent-encoded once more; the key is the AccessKey secret and "&".
 * HMAC-SHA1 is OpenSSL's libcrypto, loaded with dlopen on first use, as
 * libcurl is (which brings it into the process anyway). */
#ifndef STSENV_SIGN_H
#define STSENV_SIGN_H

#include "err.h"

#include <stddef.h>

struct stsenv_param {
	const char *key, *value;
};

/* The string to sign (malloc'd; the caller wipes and frees it), sorting p
 * by key on the way; NULL if out of memory. */
char *stsenv_rpc_string_to_sign(const char *method, struct stsenv_param *p, size_t n);

/* The base64 signature of that string with secret into out (29 bytes
 * will do): 0, or -1 with err set (libcrypto missing, out of memory). */
int stsenv_rpc_sign(const char *method, struct stsenv_param *p, size_t n, const char *secret,
		    char *out, size_t cap, struct stsenv_err *err);

#endif
