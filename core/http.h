/* HTTP through libcurl, loaded with dlopen on first use: linking it would
 * cost every exec of every program under the preload about 3 ms and 31
 * shared libraries, while only a process that actually fetches needs it. */
#ifndef STSENV_HTTP_H
#define STSENV_HTTP_H

#include "err.h"
#include "url.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stsenv_http_req {
	const char *method; /* "GET" (default), "PUT", "POST" */
	const char *url;
	const char *const *headers; /* NULL-terminated "Name: value" list, or NULL */
	const char *body;	    /* request body for PUT/POST, or NULL */
	int64_t timeout_ms;	    /* whole transfer */
	int64_t connect_timeout_ms; /* 0: same as timeout_ms */
	size_t max_body;	    /* larger responses are an error */
};

struct stsenv_http_resp {
	long status;
	char *body; /* NUL-terminated, malloc'd; stsenv_http_resp_free */
	size_t len;
};

/* Wipes (a body may hold a credential) and frees the body. */
void stsenv_http_resp_free(struct stsenv_http_resp *r);

/* Performs one request.  Fails only when no HTTP status was obtained
 * (cannot load libcurl, cannot connect, timeout, body too large); any
 * status, 500 included, is a success here and is for the caller to judge.
 * Loopback, link-local and metadata hosts never go through a proxy. */
int stsenv_http_do(const struct stsenv_http_req *req, struct stsenv_http_resp *resp,
		   struct stsenv_err *err);

#endif
