/* The head of an HTTP/1.x request, as the keeper's loopback endpoint reads
 * it: a strict, bounded parser, pure (no I/O, no allocation, no globals),
 * so that it can be fuzzed and called on every recv. */
#ifndef STSENV_HTTPREQ_H
#define STSENV_HTTPREQ_H

#include <stdbool.h>
#include <stddef.h>

#define STSENV_HTTPREQ_MAX_METHOD 7   /* bytes of the method */
#define STSENV_HTTPREQ_MAX_TARGET 255 /* bytes of the request target */
#define STSENV_HTTPREQ_MAX_HOST	  127 /* bytes of the Host value */
#define STSENV_HTTPREQ_MAX_FIELDS 64  /* header fields */
#define STSENV_HTTPREQ_MAX_EMPTY  2   /* empty lines tolerated before the request line */

enum stsenv_httpreq_rc {
	STSENV_HTTPREQ_MORE, /* no complete head yet, nothing wrong so far, len < cap */
	STSENV_HTTPREQ_OK,   /* a complete head: out is filled */
	STSENV_HTTPREQ_BAD,  /* malformed, or no complete head within cap bytes */
};

struct stsenv_httpreq {
	char method[STSENV_HTTPREQ_MAX_METHOD + 1]; /* a token, as sent (case matters) */
	char target[STSENV_HTTPREQ_MAX_TARGET + 1]; /* origin form: '/', printable, no space */
	char host[STSENV_HTTPREQ_MAX_HOST + 1];	    /* the Host value, "" when none */
	int minor;				    /* HTTP/1.<minor>: 0 or 1 */
	size_t head_len;			    /* bytes up to and including the blank line */
	bool has_host; /* a Host field was there (HTTP/1.1 requires one) */
	bool has_body; /* Content-Length other than 0, or any Transfer-Encoding */
};

/* Parses the request head at the start of buf, the len bytes received so
 * far (not NUL-terminated, may hold NULs); at most cap bytes of it are
 * looked at.  Returns an enum stsenv_httpreq_rc; out is written only on
 * STSENV_HTTPREQ_OK.  Bytes after the head (a body, a pipelined request)
 * are not looked at: out->head_len says where they start.
 *
 * The verdict on a buffer is that of the byte-by-byte scan of it, so a
 * caller may simply parse again after each recv: once BAD or OK, more
 * bytes do not change the verdict (nor, when OK, out).
 *
 * Accepted: "METHOD SP /TARGET SP HTTP/1.0|1.1", then header fields
 * "name: value", then an empty line; each line ends in CRLF or a bare LF;
 * at most STSENV_HTTPREQ_MAX_EMPTY empty lines before the request line.
 * BAD: a bare CR, NUL, DEL or other control byte (HTAB only inside a
 * value), obs-fold, whitespace before the colon, a name that is no token,
 * more than STSENV_HTTPREQ_MAX_FIELDS fields, a Content-Length that is not
 * digits only, or too large, or given twice with different values, a
 * second Host or one that is not printable ASCII without spaces within
 * STSENV_HTTPREQ_MAX_HOST bytes.  A missing Host in HTTP/1.1 is left to the
 * caller (has_host).  The target is kept as sent: no percent-decoding, no
 * dot-segment removal; compare it exactly. */
int stsenv_httpreq_parse(const char *buf, size_t len, size_t cap, struct stsenv_httpreq *out);

/* Bytes of target before its query: the path is target[0..n), the query
 * target + n + 1 when target[n] == '?' (the first '?'), else none. */
size_t stsenv_httpreq_path_len(const char *target);

#endif
