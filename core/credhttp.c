#include "credhttp.h"

#include "cred.h"
#include "timeutil.h"

#include <stdio.h>
#include <string.h>

struct out {
	char *p;
	size_t left;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || n >= o->left) {
		o->full = true;
		return;
	}
	memcpy(o->p, s, n);
	o->p += n;
	o->left -= n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* A JSON string: sources hand out base64-like values, but nothing here
 * relies on it. */
static void json_str(struct out *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	put(o, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

		if (c == '"' || c == '\\')
			put(o, (char[]){'\\', (char)c}, 2);
		else if (c < 0x20 || c == 0x7f)
			put(o, esc, 6);
		else
			put(o, (const char *)&c, 1);
	}
	put(o, "\"", 1);
}

static size_t respond(char *buf, size_t len, const char *status, const char *body, size_t blen)
{
	int n = snprintf(buf, len,
			 "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
			 "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
			 status, blen);

	if (n < 0 || (size_t)n + blen >= len)
		return 0;
	memmove(buf + n, body, blen);
	return (size_t)n + blen;
}

size_t stsenv_credhttp_answer(const struct stsenv_snap *s, int64_t now_real_ms, char *buf,
			      size_t len)
{
	/* The body goes at the end of buf first, then moves behind the head. */
	size_t room = len > 256 ? len - 256 : 0;
	struct out o = {buf + (len - room), room, false};
	char when[32], updated[32];
	int64_t exp;

	if (!s || (s->exp_real_ms != STSENV_NO_EXPIRY && s->exp_real_ms <= now_real_ms)) {
		static const char none[] = "{\"Code\":\"NoCredential\",\"Message\":\"no valid "
					   "credential; run `stsenv status` for details\"}";
		return respond(buf, len, "503 Service Unavailable", none, sizeof(none) - 1);
	}
	exp = s->exp_real_ms == STSENV_NO_EXPIRY ? now_real_ms + STSENV_CREDHTTP_LONG_TERM_MS
						 : s->exp_real_ms;
	/* Whole seconds, rounded down: never later than the real expiry. */
	stsenv_format_iso8601(exp - exp % 1000, when, sizeof(when));
	stsenv_format_iso8601(now_real_ms - now_real_ms % 1000, updated, sizeof(updated));
	puts_(&o, "{\"Code\":\"Success\",\"AccessKeyId\":");
	json_str(&o, s->id);
	puts_(&o, ",\"AccessKeySecret\":");
	json_str(&o, s->secret);
	if (s->token) {
		puts_(&o, ",\"SecurityToken\":");
		json_str(&o, s->token);
	}
	puts_(&o, ",\"Expiration\":");
	json_str(&o, when);
	puts_(&o, ",\"LastUpdated\":");
	json_str(&o, updated);
	puts_(&o, "}");
	if (o.full)
		return 0;
	return respond(buf, len, "200 OK", buf + (len - room), room - o.left);
}

size_t stsenv_credhttp_refusal(char *buf, size_t len)
{
	static const char r[] =
		"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

	if (len < sizeof(r))
		return 0;
	memcpy(buf, r, sizeof(r) - 1);
	return sizeof(r) - 1;
}
