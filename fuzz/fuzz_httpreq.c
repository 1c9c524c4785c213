/* libFuzzer harness: the request-head parser of the keeper's loopback
 * endpoint, stsenv_httpreq_parse() (core/httpreq.c).
 *
 * Input: cap as two bytes, big-endian, then a split point as two bytes
 * (taken modulo the length), then the bytes received.
 *
 * Invariants: the parser reads nothing past len (ASan; an exact-size
 * copy); out is untouched unless OK; MORE only when len < cap; OK means
 * head_len <= len and <= cap, a head that ends in an empty line, holds no
 * NUL, bare CR or control byte but HTAB, at most 64 field lines, starts
 * (after at most 2 empty lines) with "METHOD SP TARGET SP HTTP/1.<minor>"
 * as out has them (a token method, a printable target starting with '/'),
 * with has_body, has_host and host as a small model of the field lines
 * gives them (Content-Length digits only, duplicates agreeing; one Host).
 * The verdict is that of a scan: the prefix of head_len bytes gives the
 * same out, one byte less gives MORE; a verdict on a prefix (the split) is
 * MORE or that of the whole; bytes appended change neither BAD nor OK, a
 * larger cap not OK; short inputs are also fed byte by byte. */
#include "fuzz.h"

#include "../core/httpreq.h"

#define HTTPREQ_FEED_MAX 300 /* inputs fed byte by byte: quadratic */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool httpreq_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool httpreq_ieq(const char *a, size_t n, const char *lower)
{
	if (strlen(lower) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i]) != lower[i])
			return false;
	return true;
}

static bool httpreq_same(const struct stsenv_httpreq *a, const struct stsenv_httpreq *b)
{
	return strcmp(a->method, b->method) == 0 && strcmp(a->target, b->target) == 0 &&
	       strcmp(a->host, b->host) == 0 && a->minor == b->minor &&
	       a->head_len == b->head_len && a->has_host == b->has_host &&
	       a->has_body == b->has_body;
}

/* What an accepted head must be, checked from its bytes independently of
 * the state machine. */
static void httpreq_check_head(const char *buf, const struct stsenv_httpreq *r)
{
	size_t h = r->head_len, p = 0, fields = 0, mlen, tlen, cl = 0, cl_len = SIZE_MAX;
	bool body = false, host = false;
	char hostval[STSENV_HTTPREQ_MAX_HOST + 1] = "";

	FUZZ_CHECK(h >= 14 && buf[h - 1] == '\n'); /* "A / HTTP/1.0\n\n" */
	for (size_t i = 0; i < h; i++) {
		unsigned char c = (unsigned char)buf[i];

		FUZZ_CHECK(
			c != 0 && c != 0x7f &&
			(c >= 0x20 || c == '\t' || c == '\n' || (c == '\r' && buf[i + 1] == '\n')));
	}
	/* At most 2 empty lines before the request line. */
	for (int e = 0; buf[p] == '\n' || buf[p] == '\r'; e++) {
		FUZZ_CHECK(e < 2);
		p += buf[p] == '\r' ? 2 : 1;
	}

	/* The request line, as out has it. */
	mlen = strnlen(r->method, sizeof(r->method));
	tlen = strnlen(r->target, sizeof(r->target));
	FUZZ_CHECK(mlen >= 1 && mlen <= 7 && tlen >= 1 && tlen <= 255);
	for (size_t i = 0; i < mlen; i++)
		FUZZ_CHECK(httpreq_tchar((unsigned char)r->method[i]));
	FUZZ_CHECK(r->target[0] == '/' && fuzz_printable_ascii(r->target) &&
		   !strchr(r->target, ' '));
	FUZZ_CHECK(r->minor == 0 || r->minor == 1);
	FUZZ_CHECK(p + mlen + 1 + tlen + 9 < h);
	if (p + mlen + 1 + tlen + 9 >= h)
		return;
	FUZZ_CHECK(memcmp(buf + p, r->method, mlen) == 0 && buf[p + mlen] == ' ');
	p += mlen + 1;
	FUZZ_CHECK(memcmp(buf + p, r->target, tlen) == 0);
	p += tlen;
	FUZZ_CHECK(memcmp(buf + p, " HTTP/1.", 8) == 0 && buf[p + 8] == '0' + r->minor);
	p += 9;
	FUZZ_CHECK(buf[p] == '\n' || buf[p] == '\r');

	/* The field lines, up to the empty one; p is at a line's end. */
	for (;;) {
		size_t eol, end, colon, b;

		p += buf[p] == '\r' ? 2 : 1;
		FUZZ_CHECK(p < h);
		if (p >= h)
			return;
		if (buf[p] == '\n' || buf[p] == '\r')
			break;
		for (eol = p; buf[eol] != '\n'; eol++)
			;
		end = buf[eol - 1] == '\r' ? eol - 1 : eol;
		for (colon = p; colon < end && buf[colon] != ':'; colon++)
			FUZZ_CHECK(httpreq_tchar((unsigned char)buf[colon]));
		FUZZ_CHECK(colon > p && colon < end);
		if (!(colon > p && colon < end))
			return;
		fields++;
		b = colon + 1;
		while (b < end && (buf[b] == ' ' || buf[b] == '\t'))
			b++;
		while (end > b && (buf[end - 1] == ' ' || buf[end - 1] == '\t'))
			end--;
		if (httpreq_ieq(buf + p, colon - p, "transfer-encoding"))
			body = true;
		if (httpreq_ieq(buf + p, colon - p, "content-length")) {
			FUZZ_CHECK(end > b);
			for (size_t i = b; i < end; i++) {
				FUZZ_CHECK(buf[i] >= '0' && buf[i] <= '9');
				body |= buf[i] != '0';
			}
			/* Duplicates agree: the same digits but leading zeros. */
			while (b + 1 < end && buf[b] == '0')
				b++;
			if (cl_len != SIZE_MAX)
				FUZZ_CHECK(end - b == cl_len &&
					   memcmp(buf + b, buf + cl, cl_len) == 0);
			cl = b;
			cl_len = end - b;
		}
		if (httpreq_ieq(buf + p, colon - p, "host")) {
			FUZZ_CHECK(!host && end - b <= STSENV_HTTPREQ_MAX_HOST);
			if (!host && end - b <= STSENV_HTTPREQ_MAX_HOST) {
				memcpy(hostval, buf + b, end - b);
				hostval[end - b] = '\0';
			}
			host = true;
		}
		p = buf[eol - 1] == '\r' ? eol - 1 : eol;
	}
	FUZZ_CHECK(fields <= 64);
	FUZZ_CHECK(p + (buf[p] == '\r' ? 2 : 1) == h);
	FUZZ_CHECK(body == r->has_body && host == r->has_host && strcmp(hostval, r->host) == 0);
	FUZZ_CHECK(fuzz_printable_ascii(r->host) && !strchr(r->host, ' '));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char tail[] = "\r\n\r\nGET / HTTP/1.1\r\n\r\n";
	struct stsenv_httpreq out, sentinel, part;
	size_t cap, split, len;
	char *buf, *longer;
	int rc, prc;

	if (size < 4)
		return 0;
	cap = (size_t)data[0] << 8 | data[1];
	len = size - 4;
	split = ((size_t)data[2] << 8 | data[3]) % (len + 1);
	buf = fuzz_dup_exact(data + 4, len);
	longer = malloc(len + sizeof(tail));
	if (!buf || !longer) {
		free(buf);
		free(longer);
		return 0;
	}
	memcpy(longer, data + 4, len);
	memcpy(longer + len, tail, sizeof(tail));

	memset(&sentinel, 0xa5, sizeof(sentinel));
	out = sentinel;
	rc = stsenv_httpreq_parse(buf, len, cap, &out);
	FUZZ_CHECK(rc == STSENV_HTTPREQ_MORE || rc == STSENV_HTTPREQ_OK ||
		   rc == STSENV_HTTPREQ_BAD);
	if (rc != STSENV_HTTPREQ_OK)
		FUZZ_CHECK(memcmp(&out, &sentinel, sizeof(out)) == 0);
	if (rc == STSENV_HTTPREQ_MORE)
		FUZZ_CHECK(len < cap);

	if (rc == STSENV_HTTPREQ_OK) {
		FUZZ_CHECK(out.head_len <= len && out.head_len <= cap);
		FUZZ_CHECK(memchr(out.method, '\0', sizeof(out.method)) &&
			   memchr(out.target, '\0', sizeof(out.target)) &&
			   memchr(out.host, '\0', sizeof(out.host)));
		if (out.head_len <= len && memchr(out.method, '\0', sizeof(out.method)) &&
		    memchr(out.target, '\0', sizeof(out.target)) &&
		    memchr(out.host, '\0', sizeof(out.host)))
			httpreq_check_head(longer, &out);
		/* The head alone, and one byte short of it. */
		part = sentinel;
		FUZZ_CHECK(stsenv_httpreq_parse(buf, out.head_len, cap, &part) ==
				   STSENV_HTTPREQ_OK &&
			   httpreq_same(&part, &out));
		part = sentinel;
		FUZZ_CHECK(stsenv_httpreq_parse(buf, out.head_len - 1, cap, &part) ==
			   STSENV_HTTPREQ_MORE);
		/* A larger cap. */
		part = sentinel;
		FUZZ_CHECK(stsenv_httpreq_parse(buf, len, SIZE_MAX, &part) == STSENV_HTTPREQ_OK &&
			   httpreq_same(&part, &out));
	}

	/* More bytes: a verdict stays. */
	part = sentinel;
	prc = stsenv_httpreq_parse(longer, len + sizeof(tail) - 1, cap, &part);
	if (rc != STSENV_HTTPREQ_MORE)
		FUZZ_CHECK(prc == rc && (rc != STSENV_HTTPREQ_OK || httpreq_same(&part, &out)));

	/* Two pieces: the first says MORE or what the whole says. */
	part = sentinel;
	prc = stsenv_httpreq_parse(buf, split, cap, &part);
	if (prc == STSENV_HTTPREQ_MORE)
		FUZZ_CHECK(split < cap);
	else
		FUZZ_CHECK(prc == rc && (prc != STSENV_HTTPREQ_OK || httpreq_same(&part, &out)));

	/* Byte by byte, for short inputs. */
	if (len <= HTTPREQ_FEED_MAX) {
		int seen = STSENV_HTTPREQ_MORE;

		for (size_t k = 0; k <= len; k++) {
			part = sentinel;
			prc = stsenv_httpreq_parse(buf, k, cap, &part);
			if (seen != STSENV_HTTPREQ_MORE)
				FUZZ_CHECK(prc == seen);
			seen = prc;
		}
		FUZZ_CHECK(seen == rc);
	}

	free(buf);
	free(longer);
	return 0;
}
