/* The request-head parser of the keeper's loopback endpoint (httpreq.c). */
#include "../../core/httpreq.h"
#include "unit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAP 8192

/* Parses an exact-size copy (ASan sees a read past len); on anything but
 * OK, checks that out was left as it was. */
static int parse_n(const char *s, size_t n, size_t cap, struct stsenv_httpreq *out)
{
	struct stsenv_httpreq before;
	char *copy = malloc(n ? n : 1);
	int rc;

	memcpy(copy, s, n);
	memset(out, 0x5a, sizeof(*out));
	before = *out;
	rc = stsenv_httpreq_parse(copy, n, cap, out);
	if (rc != STSENV_HTTPREQ_OK)
		CHECK(memcmp(out, &before, sizeof(before)) == 0);
	free(copy);
	return rc;
}

/* Feeds s[0..n) one byte more at a time: MORE until the verdict, then
 * the verdict of the whole (and, when OK, the same out) on every longer
 * prefix.  Returns the verdict of the whole. */
static int parse_feed(const char *s, size_t n, size_t cap, struct stsenv_httpreq *out)
{
	struct stsenv_httpreq part;
	int whole = parse_n(s, n, cap, out), rc;
	size_t k = 0;

	for (; k <= n; k++)
		if ((rc = parse_n(s, k, cap, &part)) != STSENV_HTTPREQ_MORE)
			break;
	if (k > n) {
		CHECK(whole == STSENV_HTTPREQ_MORE);
		return whole;
	}
	if (whole == STSENV_HTTPREQ_OK)
		CHECK(k == out->head_len);
	for (; k <= n; k++) {
		rc = parse_n(s, k, cap, &part);
		CHECK(rc == whole);
		if (rc == STSENV_HTTPREQ_OK && whole == STSENV_HTTPREQ_OK)
			CHECK(memcmp(&part, out, sizeof(part)) == 0);
	}
	return whole;
}

static int feed(const char *s, struct stsenv_httpreq *out)
{
	return parse_feed(s, strlen(s), CAP, out);
}

static void check_bad(const char *s, size_t n)
{
	struct stsenv_httpreq r;
	int rc = parse_feed(s, n, CAP, &r);

	CHECK(rc == STSENV_HTTPREQ_BAD);
	if (rc != STSENV_HTTPREQ_BAD) {
		fprintf(stderr, "    not refused: \"");
		for (size_t i = 0; i < n; i++)
			fprintf(stderr,
				(unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e ? "\\x%02x"
											 : "%c",
				(unsigned char)s[i]);
		fprintf(stderr, "\" (%d)\n", rc);
	}
}

#define BAD(s) check_bad((s), sizeof(s) - 1)

static void check_ok(const char *s)
{
	struct stsenv_httpreq r;

	CHECK(feed(s, &r) == STSENV_HTTPREQ_OK);
}

static void test_httpreq_plain(void)
{
	static const char get[] = "GET /cred/abc HTTP/1.1\r\nHost: 127.0.0.1:4567\r\n"
				  "User-Agent: x\r\n\r\n";
	struct stsenv_httpreq r;

	CHECK(feed(get, &r) == STSENV_HTTPREQ_OK);
	CHECK_STR(r.method, "GET");
	CHECK_STR(r.target, "/cred/abc");
	CHECK_STR(r.host, "127.0.0.1:4567");
	CHECK(r.minor == 1 && r.has_host && !r.has_body);
	CHECK(r.head_len == sizeof(get) - 1);

	/* Nothing but the request line. */
	CHECK(feed("GET / HTTP/1.0\r\n\r\n", &r) == STSENV_HTTPREQ_OK);
	CHECK_STR(r.target, "/");
	CHECK_STR(r.host, "");
	CHECK(r.minor == 0 && !r.has_host && !r.has_body && r.head_len == 18);

	/* Methods are tokens, kept as sent. */
	CHECK(feed("post /x HTTP/1.1\r\n\r\n", &r) == STSENV_HTTPREQ_OK);
	CHECK_STR(r.method, "post");
	CHECK(feed("OPTIONS /x HTTP/1.1\r\n\r\n", &r) == STSENV_HTTPREQ_OK);
	CHECK_STR(r.method, "OPTIONS");
	CHECK(feed("M-_.!~* /x HTTP/1.1\r\n\r\n", &r) == STSENV_HTTPREQ_OK);
	CHECK_STR(r.method, "M-_.!~*");
}

static void test_httpreq_line_ends(void)
{
	struct stsenv_httpreq r;

	CHECK(feed("GET /a HTTP/1.1\nHost: h\nX: y\n\n", &r) == STSENV_HTTPREQ_OK);
	CHECK_STR(r.target, "/a");
	CHECK_STR(r.host, "h");
	CHECK(r.head_len == 30);
	/* Mixed, line by line. */
	CHECK(feed("GET /a HTTP/1.1\r\nHost: h\nX: y\r\n\n", &r) == STSENV_HTTPREQ_OK);
	CHECK(r.head_len == 32);
	CHECK(feed("GET /a HTTP/1.1\nHost: h\r\n\r\n", &r) == STSENV_HTTPREQ_OK);
	CHECK(r.head_len == 27);

	/* A bare CR, anywhere. */
	BAD("GET /a HTTP/1.1\r\r\n\r\n");
	BAD("GET /a HTTP/1.1\rHost: h\r\n\r\n");
	BAD("GET /a HTTP/1.1\r\nHost: h\r\r\n\r\n");
	BAD("GET /a HTTP/1.1\r\nHost: h\rX: y\r\n\r\n");
	BAD("GET /a HTTP/1.1\r\nHost: h\r\n\r\r\n");
	BAD("GET /a HTTP/1.1\r\nHost: h\r\n\rX");
	BAD("GET /a HTTP/1.1\r\nX\r: y\r\n\r\n");
	BAD("GET /a\r HTTP/1.1\r\n\r\n");
	BAD("\rGET /a HTTP/1.1\r\n\r\n");
	BAD("\r\rGET /a HTTP/1.1\r\n\r\n");
	BAD("GET /a HTTP/1.1\r\nX: a\rb\r\n\r\n");
}

static void test_httpreq_leading_empty_lines(void)
{
	struct stsenv_httpreq r;

	CHECK(feed("\r\nGET / HTTP/1.1\r\n\r\n", &r) == STSENV_HTTPREQ_OK);
	CHECK(r.head_len == 20);
	CHECK(feed("\r\n\r\nGET / HTTP/1.1\r\n\r\n", &r) == STSENV_HTTPREQ_OK);
	CHECK(r.head_len == 22);
	CHECK_STR(r.method, "GET");
	check_ok("\n\nGET / HTTP/1.1\n\n");
	check_ok("\r\n\nGET / HTTP/1.1\n\n");
	BAD("\r\n\r\n\r\nGET / HTTP/1.1\r\n\r\n");
	BAD("\n\n\nGET / HTTP/1.1\r\n\r\n");
	BAD("\r\n\n\r\nGET / HTTP/1.1\r\n\r\n");
	/* Other whitespace there is not an empty line. */
	BAD(" GET / HTTP/1.1\r\n\r\n");
	BAD("\tGET / HTTP/1.1\r\n\r\n");
	BAD(" \r\nGET / HTTP/1.1\r\n\r\n");
}

static void test_httpreq_request_line(void)
{
	char line[600];
	struct stsenv_httpreq r;

	/* The version, exactly. */
	BAD("GET / HTTP/1.2\r\n\r\n");
	BAD("GET / HTTP/2.0\r\n\r\n");
	BAD("GET / HTTP/0.9\r\n\r\n");
	BAD("GET / http/1.1\r\n\r\n");
	BAD("GET / HTTP/1.10\r\n\r\n");
	BAD("GET / HTTP/1.1 \r\n\r\n");
	BAD("GET / HTTP/1.\r\n\r\n");
	BAD("GET / HTTP/1\r\n\r\n");
	BAD("GET /\r\n\r\n"); /* HTTP/0.9 */
	BAD("GET / \r\n\r\n");
	BAD("GET\r\n\r\n");
	/* Single spaces, nothing else. */
	BAD("GET  / HTTP/1.1\r\n\r\n");
	BAD("GET /  HTTP/1.1\r\n\r\n");
	BAD("GET\t/ HTTP/1.1\r\n\r\n");
	BAD("GET /\tHTTP/1.1\r\n\r\n");
	BAD(" / HTTP/1.1\r\n\r\n");
	/* The method: a token of at most 7 bytes. */
	check_ok("ABCDEFG / HTTP/1.1\r\n\r\n");
	BAD("ABCDEFGH / HTTP/1.1\r\n\r\n");
	BAD("G(T / HTTP/1.1\r\n\r\n");
	BAD("G:T / HTTP/1.1\r\n\r\n");
	BAD("G\"T / HTTP/1.1\r\n\r\n");
	BAD("G\x80T / HTTP/1.1\r\n\r\n");
	/* The target: origin form, printable, no space, at most 255 bytes. */
	BAD("GET http://h/ HTTP/1.1\r\n\r\n");
	BAD("GET * HTTP/1.1\r\n\r\n");
	BAD("CONNECT h:443 HTTP/1.1\r\n\r\n");
	BAD("GET a/ HTTP/1.1\r\n\r\n");
	BAD("GET /a\x7f HTTP/1.1\r\n\r\n");
	BAD("GET /a\x80 HTTP/1.1\r\n\r\n");
	BAD("GET /a\xff HTTP/1.1\r\n\r\n");
	BAD("GET /a\x01 HTTP/1.1\r\n\r\n");
	BAD("GET /a\t HTTP/1.1\r\n\r\n");
	CHECK(feed("GET /a/b?c=d&e=%20#f HTTP/1.1\r\n\r\n", &r) == STSENV_HTTPREQ_OK);
	CHECK_STR(r.target, "/a/b?c=d&e=%20#f");
	CHECK(feed("GET //../%00 HTTP/1.1\r\n\r\n", &r) == STSENV_HTTPREQ_OK);
	CHECK_STR(r.target, "//../%00"); /* as sent: the caller compares */

	for (int tlen = 254; tlen <= 257; tlen++) {
		int n = snprintf(line, sizeof(line), "GET /%0*d HTTP/1.1\r\n\r\n", tlen - 1, 0);
		int rc = parse_feed(line, (size_t)n, CAP, &r);

		CHECK(rc == (tlen <= 255 ? STSENV_HTTPREQ_OK : STSENV_HTTPREQ_BAD));
		if (rc == STSENV_HTTPREQ_OK)
			CHECK(strlen(r.target) == (size_t)tlen && r.target[0] == '/');
	}
}

static void test_httpreq_fields(void)
{
	static const char folded[] = "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n";
	char head[8192];
	struct stsenv_httpreq r;
	int n;

	check_ok("GET / HTTP/1.1\r\nX:\r\n\r\n");
	check_ok("GET / HTTP/1.1\r\nX:   \r\n\r\n");
	check_ok("GET / HTTP/1.1\r\nX:a\r\n\r\n");
	check_ok("GET / HTTP/1.1\r\nX: a\tb \t\r\n\r\n");
	check_ok("GET / HTTP/1.1\r\nX: caf\xc3\xa9 \xff\r\n\r\n"); /* obs-text */
	check_ok("GET / HTTP/1.1\r\nX: a: b: c\r\n\r\n");
	check_ok("GET / HTTP/1.1\r\n!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n");
	/* obs-fold, and whitespace before the first field. */
	check_bad(folded, sizeof(folded) - 1);
	BAD("GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n");
	BAD("GET / HTTP/1.1\r\n X: a\r\n\r\n");
	/* Names. */
	BAD("GET / HTTP/1.1\r\nX : a\r\n\r\n");
	BAD("GET / HTTP/1.1\r\nX\t: a\r\n\r\n");
	BAD("GET / HTTP/1.1\r\n: a\r\n\r\n");
	BAD("GET / HTTP/1.1\r\nX a\r\n\r\n");
	BAD("GET / HTTP/1.1\r\nXa\r\n\r\n");
	BAD("GET / HTTP/1.1\r\nX(y): a\r\n\r\n");
	BAD("GET / HTTP/1.1\r\nX@y: a\r\n\r\n");
	BAD("GET / HTTP/1.1\r\nX/y: a\r\n\r\n");
	BAD("GET / HTTP/1.1\r\nX\x80: a\r\n\r\n");
	/* Control bytes in a value (HTAB only). */
	BAD("GET / HTTP/1.1\r\nX: a\x01\r\n\r\n");
	BAD("GET / HTTP/1.1\r\nX: a\x1b[0m\r\n\r\n");
	BAD("GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n");
	BAD("GET / HTTP/1.1\r\nX: \x0b\r\n\r\n");
	BAD("GET / HTTP/1.1\r\nX: \x0c\r\n\r\n");

	/* At most 64 fields. */
	for (int fields = 63; fields <= 66; fields++) {
		n = snprintf(head, sizeof(head), "GET / HTTP/1.1\r\n");
		for (int i = 0; i < fields; i++)
			n += snprintf(head + n, sizeof(head) - (size_t)n, "X-%d: %d\r\n", i, i);
		n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
		CHECK(parse_feed(head, (size_t)n, CAP, &r) ==
		      (fields <= 64 ? STSENV_HTTPREQ_OK : STSENV_HTTPREQ_BAD));
	}
}

static void test_httpreq_nul(void)
{
#define L(s)                                                                                       \
	{                                                                                          \
		s, sizeof(s) - 1                                                                   \
	}
	static const struct {
		const char *s;
		size_t n;
	} heads[] = {
		L("\0GET / HTTP/1.1\r\n\r\n"),		L("G\0T / HTTP/1.1\r\n\r\n"),
		L("GET\0/ HTTP/1.1\r\n\r\n"),		L("GET /\0 HTTP/1.1\r\n\r\n"),
		L("GET /a\0b HTTP/1.1\r\n\r\n"),	L("GET / HTTP/1.1\0\r\n\r\n"),
		L("GET / HTTP/1.1\r\0\n\r\n"),		L("GET / HTTP/1.1\r\n\0\r\n"),
		L("GET / HTTP/1.1\r\nX\0: a\r\n\r\n"),	L("GET / HTTP/1.1\r\nX: \0\r\n\r\n"),
		L("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n"), L("GET / HTTP/1.1\r\n\r\0\n"),
		L("\r\0\nGET / HTTP/1.1\r\n\r\n"),	L("\0"),
	};
#undef L

	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
		check_bad(heads[i].s, heads[i].n);
	/* After the head, a NUL is the body's business. */
	{
		static const char after[] = "GET / HTTP/1.1\r\n\r\n\0\0\0";
		struct stsenv_httpreq r;

		CHECK(parse_feed(after, sizeof(after) - 1, CAP, &r) == STSENV_HTTPREQ_OK);
		CHECK(r.head_len == 18);
	}
}

static void test_httpreq_content_length(void)
{
	struct stsenv_httpreq r;

	CHECK(feed("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &r) == STSENV_HTTPREQ_OK);
	CHECK(!r.has_body);
	CHECK(feed("POST / HTTP/1.1\r\nContent-Length: 000\r\n\r\n", &r) == STSENV_HTTPREQ_OK);
	CHECK(!r.has_body);
	CHECK(feed("POST / HTTP/1.1\r\ncontent-LENGTH:5\r\n\r\n", &r) == STSENV_HTTPREQ_OK);
	CHECK(r.has_body);
	CHECK(feed("POST / HTTP/1.1\r\nContent-Length: \t12 \t\r\n\r\nbodybodybody", &r) ==
	      STSENV_HTTPREQ_OK);
	CHECK(r.has_body && r.head_len == 42);
	/* Duplicates that agree (by value). */
	CHECK(feed("POST / HTTP/1.1\r\nContent-Length: 5\r\nX: y\r\nContent-Length: 05\r\n\r\n",
		   &r) == STSENV_HTTPREQ_OK);
	CHECK(r.has_body);
	CHECK(feed("POST / HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n", &r) ==
	      STSENV_HTTPREQ_OK);
	CHECK(!r.has_body);
	CHECK(feed("POST / HTTP/1.1\r\nContent-Length: 18446744073709551609\r\n\r\n", &r) ==
	      STSENV_HTTPREQ_OK);
	CHECK(r.has_body);

	BAD("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n");
	BAD("POST / HTTP/1.1\r\nContent-Length: 0\r\ncontent-length: 1\r\n\r\n");
	BAD("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n");
	BAD("POST / HTTP/1.1\r\nContent-Length: 5 5\r\n\r\n");
	BAD("POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n");
	BAD("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n");
	BAD("POST / HTTP/1.1\r\nContent-Length: 0x5\r\n\r\n");
	BAD("POST / HTTP/1.1\r\nContent-Length: 5a\r\n\r\n");
	BAD("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n");
	BAD("POST / HTTP/1.1\r\nContent-Length:  \r\n\r\n");
	BAD("POST / HTTP/1.1\r\nContent-Length: \xd9\xa5\r\n\r\n"); /* a non-ASCII digit */
	BAD("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n");
	BAD("POST / HTTP/1.1\r\nContent-Length: 18446744073709551610\r\n\r\n");
	/* Not Content-Length, but close. */
	CHECK(feed("POST / HTTP/1.1\r\nContent-Lengths: x\r\nContent-Lengt: y\r\n\r\n", &r) ==
	      STSENV_HTTPREQ_OK);
	CHECK(!r.has_body);
}

static void test_httpreq_transfer_encoding(void)
{
	struct stsenv_httpreq r;

	CHECK(feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &r) ==
	      STSENV_HTTPREQ_OK);
	CHECK(r.has_body);
	CHECK(feed("POST / HTTP/1.1\r\ntransfer-encoding:\r\n\r\n", &r) == STSENV_HTTPREQ_OK);
	CHECK(r.has_body);
	CHECK(feed("POST / HTTP/1.1\r\nContent-Length: 0\r\nTransfer-Encoding: x\r\n\r\n", &r) ==
	      STSENV_HTTPREQ_OK);
	CHECK(r.has_body);
	CHECK(feed("POST / HTTP/1.1\r\nTransfer-Encodings: x\r\n\r\n", &r) == STSENV_HTTPREQ_OK);
	CHECK(!r.has_body);
}

static void test_httpreq_host(void)
{
	char head[512];
	struct stsenv_httpreq r;
	int n;

	CHECK(feed("GET / HTTP/1.1\r\nhOsT:   [::1]:80  \r\n\r\n", &r) == STSENV_HTTPREQ_OK);
	CHECK(r.has_host);
	CHECK_STR(r.host, "[::1]:80");
	CHECK(feed("GET / HTTP/1.1\r\nHost:\r\n\r\n", &r) == STSENV_HTTPREQ_OK);
	CHECK(r.has_host);
	CHECK_STR(r.host, "");
	CHECK(feed("GET / HTTP/1.1\r\nHosts: a\r\n\r\n", &r) == STSENV_HTTPREQ_OK);
	CHECK(!r.has_host);
	BAD("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n");
	BAD("GET / HTTP/1.1\r\nHost:\r\nHost:\r\n\r\n");
	BAD("GET / HTTP/1.1\r\nHost: a b\r\n\r\n");
	BAD("GET / HTTP/1.1\r\nHost: a\tb\r\n\r\n");
	BAD("GET / HTTP/1.1\r\nHost: caf\xc3\xa9\r\n\r\n");
	for (int hlen = 126; hlen <= 129; hlen++) {
		n = snprintf(head, sizeof(head), "GET / HTTP/1.1\r\nHost: %0*d\r\n\r\n", hlen, 0);
		CHECK(parse_feed(head, (size_t)n, CAP, &r) ==
		      (hlen <= 127 ? STSENV_HTTPREQ_OK : STSENV_HTTPREQ_BAD));
		if (hlen <= 127)
			CHECK(strlen(r.host) == (size_t)hlen);
	}
}

static void test_httpreq_cap(void)
{
	static const char get[] = "GET /c HTTP/1.1\r\nHost: h\r\n\r\nNEXT";
	const size_t head = sizeof(get) - 1 - 4;
	struct stsenv_httpreq r;

	/* The head ends exactly at the cap. */
	CHECK(parse_n(get, head, head, &r) == STSENV_HTTPREQ_OK);
	CHECK(r.head_len == head);
	CHECK(parse_n(get, sizeof(get) - 1, head, &r) == STSENV_HTTPREQ_OK);
	CHECK(r.head_len == head);
	CHECK(parse_feed(get, sizeof(get) - 1, head, &r) == STSENV_HTTPREQ_OK);
	/* One byte short of it: no complete head within cap. */
	CHECK(parse_n(get, head, head - 1, &r) == STSENV_HTTPREQ_BAD);
	CHECK(parse_n(get, head - 1, head - 1, &r) == STSENV_HTTPREQ_BAD);
	CHECK(parse_n(get, head - 2, head - 1, &r) == STSENV_HTTPREQ_MORE);
	CHECK(parse_n(get, sizeof(get) - 1, head - 1, &r) == STSENV_HTTPREQ_BAD);
	CHECK(parse_feed(get, sizeof(get) - 1, head - 1, &r) == STSENV_HTTPREQ_BAD);
	/* Degenerate caps and lengths. */
	CHECK(parse_n(get, 0, 0, &r) == STSENV_HTTPREQ_BAD);
	CHECK(parse_n(get, 5, 0, &r) == STSENV_HTTPREQ_BAD);
	CHECK(parse_n(get, 0, 1, &r) == STSENV_HTTPREQ_MORE);
	CHECK(parse_n(get, 0, CAP, &r) == STSENV_HTTPREQ_MORE);
	CHECK(stsenv_httpreq_parse(NULL, 0, CAP, &r) == STSENV_HTTPREQ_MORE);
	CHECK(parse_n("\r\n", 2, 2, &r) == STSENV_HTTPREQ_BAD);
	CHECK(parse_n("\r\n", 2, 3, &r) == STSENV_HTTPREQ_MORE);
}

/* Bytes after the head do not matter: a body, a pipelined request,
 * garbage. */
static void test_httpreq_after_head(void)
{
	static const char two[] = "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n";
	static const char junk[] = "GET /1 HTTP/1.1\n\n\r\x01\x80\0 \t";
	struct stsenv_httpreq r;

	CHECK(parse_feed(two, sizeof(two) - 1, CAP, &r) == STSENV_HTTPREQ_OK);
	CHECK(r.head_len == 19);
	CHECK_STR(r.target, "/1");
	CHECK(parse_n(two + r.head_len, sizeof(two) - 1 - r.head_len, CAP, &r) ==
	      STSENV_HTTPREQ_OK);
	CHECK_STR(r.target, "/2");
	CHECK(parse_feed(junk, sizeof(junk) - 1, CAP, &r) == STSENV_HTTPREQ_OK);
	CHECK(r.head_len == 17);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint8_t rng_byte(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint8_t)(rng_state >> 24);
}

static void test_httpreq_big(void)
{
	const size_t mib = 1 << 20;
	char *buf = malloc(mib);
	struct stsenv_httpreq r;
	size_t n;

	/* Random bytes: refused at once, within the cap or not. */
	for (size_t i = 0; i < mib; i++)
		buf[i] = (char)rng_byte();
	buf[0] = '\x16'; /* a TLS hello, say */
	CHECK(parse_n(buf, mib, mib, &r) == STSENV_HTTPREQ_BAD);
	CHECK(parse_n(buf, mib, 2 * mib, &r) == STSENV_HTTPREQ_BAD);
	CHECK(parse_n(buf, 1, 2 * mib, &r) == STSENV_HTTPREQ_BAD);
	/* A method that never ends. */
	memset(buf, 'A', mib);
	CHECK(parse_n(buf, mib, 2 * mib, &r) == STSENV_HTTPREQ_BAD);
	CHECK(parse_n(buf, 8, 2 * mib, &r) == STSENV_HTTPREQ_BAD);
	CHECK(parse_n(buf, 7, 2 * mib, &r) == STSENV_HTTPREQ_MORE);
	/* A value that never ends: MORE below the cap, BAD at it. */
	n = (size_t)snprintf(buf, mib, "GET / HTTP/1.1\r\nX: ");
	memset(buf + n, 'v', mib - n);
	CHECK(parse_n(buf, mib, 2 * mib, &r) == STSENV_HTTPREQ_MORE);
	CHECK(parse_n(buf, mib, mib, &r) == STSENV_HTTPREQ_BAD);
	CHECK(parse_n(buf, mib, 8192, &r) == STSENV_HTTPREQ_BAD);
	/* Fields that never end: the 65th is refused. */
	n = (size_t)snprintf(buf, mib, "GET / HTTP/1.1\r\n");
	while (n + 6 <= mib) {
		memcpy(buf + n, "X: y\r\n", 6);
		n += 6;
	}
	CHECK(parse_n(buf, n, 2 * mib, &r) == STSENV_HTTPREQ_BAD);
	CHECK(parse_n(buf, 16 + 64 * 6, 2 * mib, &r) == STSENV_HTTPREQ_MORE);
	CHECK(parse_n(buf, 16 + 64 * 6 + 1, 2 * mib, &r) == STSENV_HTTPREQ_BAD);
	free(buf);
}

static void test_httpreq_path_len(void)
{
	CHECK(stsenv_httpreq_path_len("/") == 1);
	CHECK(stsenv_httpreq_path_len("/a/b") == 4);
	CHECK(stsenv_httpreq_path_len("/a?b=c?d") == 2);
	CHECK(stsenv_httpreq_path_len("/?") == 1);
	CHECK(stsenv_httpreq_path_len("") == 0);
}

int main(void)
{
	RUN(test_httpreq_plain);
	RUN(test_httpreq_line_ends);
	RUN(test_httpreq_leading_empty_lines);
	RUN(test_httpreq_request_line);
	RUN(test_httpreq_fields);
	RUN(test_httpreq_nul);
	RUN(test_httpreq_content_length);
	RUN(test_httpreq_transfer_encoding);
	RUN(test_httpreq_host);
	RUN(test_httpreq_cap);
	RUN(test_httpreq_after_head);
	RUN(test_httpreq_big);
	RUN(test_httpreq_path_len);
	UNIT_EXIT();
}
