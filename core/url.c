/* URLs as stsenv needs them: safe to log, local or not.  No libcurl here:
 * the preload needs these at every process start. */
#include "url.h"

#include "strbuf.h"

#include <string.h>
#include <strings.h>

/* strcspn, written out: url_redact runs at every process start, and
 * libc's SSE strcspn is a page of libc text nothing else there touches. */
static size_t span_until(const char *s, const char *stop)
{
	size_t n = 0;

	for (; s[n]; n++)
		for (const char *p = stop; *p; p++)
			if (s[n] == *p)
				return n;
	return n;
}

/* Where the authority of url starts: after "scheme://", or at url itself
 * when it has no scheme (a "://" further on, in a query, is not one). */
static const char *url_authority(const char *url)
{
	const char *p = strstr(url, "://");

	return p && (size_t)(p - url) < span_until(url, "/?#@") ? p + 3 : url;
}

bool stsenv_url_scheme_ok(const char *url)
{
	return url && (strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0);
}

/* Where the host starts in the authority [p, end): after the userinfo,
 * which ends at the LAST '@' (a password may hold an unencoded '@'). */
static const char *after_userinfo(const char *p, const char *end)
{
	for (const char *q = end; q > p; q--)
		if (q[-1] == '@')
			return q;
	return p;
}

/* Extracts the host part of url into buf (lower-case, no port, no []). */
static void url_host(const char *url, char *buf, size_t len)
{
	const char *p = url_authority(url), *end;
	size_t n;

	end = p + strcspn(p, "/?#");
	p = after_userinfo(p, end);
	if (*p == '[') {
		p++;
		end = memchr(p, ']', (size_t)(end - p)) ? memchr(p, ']', (size_t)(end - p)) : end;
	} else {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (colon)
			end = colon;
	}
	n = (size_t)(end - p) < len - 1 ? (size_t)(end - p) : len - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] + 32 : p[i]);
	buf[n] = '\0';
}

bool stsenv_url_is_local(const char *url)
{
	char host[256];
	bool numeric;

	url_host(url, host, sizeof(host));
	/* "127.example.com" is a name like any other, not a loopback address. */
	numeric = host[strspn(host, "0123456789.")] == '\0';
	return strcmp(host, "localhost") == 0 || (numeric && strncmp(host, "127.", 4) == 0) ||
	       strcmp(host, "::1") == 0 || (numeric && strncmp(host, "169.254.", 8) == 0) ||
	       strncasecmp(host, "fe80:", 5) == 0 || strcmp(host, "100.100.100.200") == 0;
}

void stsenv_url_redact(const char *url, char *buf, size_t len)
{
	const char *host = url_authority(url), *end;
	size_t scheme = (size_t)(host - url), hlen;

	end = host + span_until(host, "/?#");
	host = after_userinfo(host, end);
	hlen = span_until(host, "?#");
	/* scheme + host-and-path, truncated to len as snprintf would; no
	 * snprintf: this runs at every process start, via source selection. */
	stsenv_copy_trunc(buf, len, url, scheme);
	if (scheme + 1 < len)
		stsenv_copy_trunc(buf + scheme, len - scheme, host, hlen);
}
