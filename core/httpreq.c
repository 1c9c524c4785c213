/* The head of an HTTP/1.x request (RFC 9112), strictly: a byte-by-byte
 * state machine that says BAD as soon as no continuation could make the
 * bytes seen a valid head, so that garbage (a TLS hello, a stray protocol)
 * is refused at once instead of waiting for the cap or a timeout, and so
 * that a verdict never changes when more bytes arrive. */
#include "httpreq.h"

#include <stdint.h>
#include <string.h>

enum state {
	S_START,    /* before the request line: its first byte or an empty line */
	S_START_CR, /* an empty line's CR there */
	S_METHOD,   /* in the method */
	S_TARGET,   /* in the target */
	S_VERSION,  /* in "HTTP/1." */
	S_MINOR,    /* its last digit */
	S_LINE_END, /* after the version: CR or LF */
	S_LINE_CR,  /* its CR */
	S_FIELD,    /* at the start of a line after the request line */
	S_NAME,	    /* in a field name */
	S_VALUE,    /* after the colon, up to the end of the line */
	S_VALUE_CR, /* the CR ending a field line */
	S_END_CR,   /* the CR of the empty line ending the head */
	S_BAD,	    /* refused */
	S_DONE,	    /* the head is complete */
};

enum field { F_OTHER, F_CONTENT_LENGTH, F_TRANSFER_ENCODING, F_HOST };

static const char version[] = "HTTP/1.";

/* RFC 9110 tchar. */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* What a field value may hold: VCHAR, obs-text, SP and HTAB. */
static bool is_value_byte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool ascii_ieq(const char *a, size_t n, const char *lower)
{
	if (strlen(lower) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];

		if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != (unsigned char)lower[i])
			return false;
	}
	return true;
}

static enum field field_kind(const char *name, size_t n)
{
	if (ascii_ieq(name, n, "content-length"))
		return F_CONTENT_LENGTH;
	if (ascii_ieq(name, n, "transfer-encoding"))
		return F_TRANSFER_ENCODING;
	if (ascii_ieq(name, n, "host"))
		return F_HOST;
	return F_OTHER;
}

/* The parts of the scan that outlive one byte. */
struct scan {
	struct stsenv_httpreq r;
	size_t mlen, tlen, vpos, fields, name, value, empty;
	enum field kind;
	bool have_length;
	uint64_t length;
};

/* A complete field line whose value is buf[s->value, end): false if the
 * head must be refused for it. */
static bool field_done(struct scan *s, const char *buf, size_t end)
{
	size_t b = s->value;
	uint64_t v = 0;

	while (b < end && (buf[b] == ' ' || buf[b] == '\t'))
		b++;
	while (end > b && (buf[end - 1] == ' ' || buf[end - 1] == '\t'))
		end--;
	switch (s->kind) {
	case F_CONTENT_LENGTH:
		/* Digits only: no list, no sign; a disagreeing duplicate is
		 * how request smuggling starts. */
		if (b == end)
			return false;
		for (size_t i = b; i < end; i++) {
			if (buf[i] < '0' || buf[i] > '9' || v > (UINT64_MAX - 9) / 10)
				return false;
			v = v * 10 + (uint64_t)(buf[i] - '0');
		}
		if (s->have_length && v != s->length)
			return false;
		s->have_length = true;
		s->length = v;
		if (v)
			s->r.has_body = true;
		return true;
	case F_TRANSFER_ENCODING: s->r.has_body = true; return true;
	case F_HOST:
		/* RFC 9112 3.2: a second Host, or an invalid one, is refused. */
		if (s->r.has_host || end - b > STSENV_HTTPREQ_MAX_HOST)
			return false;
		for (size_t i = b; i < end; i++)
			if (buf[i] <= ' ' || buf[i] > '~')
				return false;
		memcpy(s->r.host, buf + b, end - b);
		s->r.host[end - b] = '\0';
		s->r.has_host = true;
		return true;
	case F_OTHER: break;
	}
	return true;
}

/* The request line, a byte at a time: the next state. */
static enum state line_step(struct scan *s, enum state st, unsigned char c)
{
	switch (st) {
	case S_START:
		if (c == '\r')
			return S_START_CR;
		if (c == '\n')
			return ++s->empty > STSENV_HTTPREQ_MAX_EMPTY ? S_BAD : S_START;
		if (!is_tchar(c))
			return S_BAD;
		s->r.method[s->mlen++] = (char)c;
		return S_METHOD;
	case S_START_CR:
		return c != '\n' || ++s->empty > STSENV_HTTPREQ_MAX_EMPTY ? S_BAD : S_START;
	case S_METHOD:
		if (c == ' ')
			return S_TARGET;
		if (!is_tchar(c) || s->mlen >= STSENV_HTTPREQ_MAX_METHOD)
			return S_BAD;
		s->r.method[s->mlen++] = (char)c;
		return S_METHOD;
	case S_TARGET:
		if (s->tlen == 0 && c != '/')
			return S_BAD;
		if (c == ' ' && s->tlen > 0)
			return S_VERSION;
		if (c <= ' ' || c > '~' || s->tlen >= STSENV_HTTPREQ_MAX_TARGET)
			return S_BAD;
		s->r.target[s->tlen++] = (char)c;
		return S_TARGET;
	case S_VERSION:
		if (c != (unsigned char)version[s->vpos])
			return S_BAD;
		return ++s->vpos == sizeof(version) - 1 ? S_MINOR : S_VERSION;
	case S_MINOR:
		if (c != '0' && c != '1')
			return S_BAD;
		s->r.minor = c - '0';
		return S_LINE_END;
	case S_LINE_END: return c == '\r' ? S_LINE_CR : c == '\n' ? S_FIELD : S_BAD;
	default: return S_BAD;
	}
}

/* The field lines and the empty line, a byte (buf[i]) at a time. */
static enum state field_step(struct scan *s, enum state st, const char *buf, size_t i)
{
	unsigned char c = (unsigned char)buf[i];

	switch (st) {
	case S_LINE_CR:
	case S_VALUE_CR:
		if (c != '\n' || (st == S_VALUE_CR && !field_done(s, buf, i - 1)))
			return S_BAD;
		return S_FIELD;
	case S_FIELD:
		if (c == '\r')
			return S_END_CR;
		if (c == '\n')
			return S_DONE;
		/* Also refuses obs-fold (a line starting with SP or HTAB) and
		 * an empty name. */
		if (!is_tchar(c) || ++s->fields > STSENV_HTTPREQ_MAX_FIELDS)
			return S_BAD;
		s->name = i;
		return S_NAME;
	case S_NAME:
		if (c == ':') {
			s->kind = field_kind(buf + s->name, i - s->name);
			s->value = i + 1;
			return S_VALUE;
		}
		return is_tchar(c) ? S_NAME : S_BAD; /* whitespace before the colon too */
	case S_VALUE:
		if (c == '\r')
			return S_VALUE_CR;
		if (c == '\n')
			return field_done(s, buf, i) ? S_FIELD : S_BAD;
		return is_value_byte(c) ? S_VALUE : S_BAD;
	case S_END_CR: return c == '\n' ? S_DONE : S_BAD;
	default: return S_BAD;
	}
}

int stsenv_httpreq_parse(const char *buf, size_t len, size_t cap, struct stsenv_httpreq *out)
{
	size_t n = len < cap ? len : cap;
	enum state st = S_START;
	struct scan s;

	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < n; i++) {
		st = st < S_LINE_CR ? line_step(&s, st, (unsigned char)buf[i])
				    : field_step(&s, st, buf, i);
		if (st == S_BAD)
			return STSENV_HTTPREQ_BAD;
		if (st == S_DONE) {
			s.r.head_len = i + 1;
			*out = s.r;
			return STSENV_HTTPREQ_OK;
		}
	}
	return len < cap ? STSENV_HTTPREQ_MORE : STSENV_HTTPREQ_BAD;
}

size_t stsenv_httpreq_path_len(const char *target)
{
	size_t n = 0;

	while (target[n] && target[n] != '?')
		n++;
	return n;
}
