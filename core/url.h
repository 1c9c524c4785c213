/* URLs: what is safe to name in a log line, and which hosts are local. */
#ifndef STSENV_URL_H
#define STSENV_URL_H

#include <stdbool.h>
#include <stddef.h>

/* Copies url into buf without userinfo, query or fragment: what is safe to
 * name in a log line (a query string may carry a secret). */
void stsenv_url_redact(const char *url, char *buf, size_t len);

/* True if url starts with http:// or https:// (in any case). */
bool stsenv_url_scheme_ok(const char *url);

/* True if the URL's host is loopback, link-local or the metadata address. */
bool stsenv_url_is_local(const char *url);

#endif
