#define JSMN_PARENT_LINKS
#define JSMN_STRICT
#include <jsmn.h>

#include "json.h"

#include <stdlib.h>
#include <string.h>

/* jsmn's strict mode still lets through '{"a","b"}' (read as a:b), '{"a"}',
 * "::", stray or trailing commas, and literals such as "tru", "01" or "-".
 * This second pass checks the RFC 8259 grammar of what jsmn accepted;
 * string contents were checked by jsmn and are checked again when decoded.
 * Recursion is bounded: every level is a token, and jsmn stopped at
 * STSENV_JSON_MAX_TOKENS of them. */
static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

static const char *skip_digits(const char *p, const char *end)
{
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p;
}

static const char *check_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '"')
			return p + 1;
		if (*p == '\\' && ++p == end)
			break;
	}
	return NULL;
}

static const char *check_number(const char *p, const char *end)
{
	const char *start;

	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (p < end && *p >= '1' && *p <= '9')
		p = skip_digits(p, end);
	else
		return NULL;
	if (p < end && *p == '.') {
		start = ++p;
		if ((p = skip_digits(p, end)) == start)
			return NULL;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		start = p;
		if ((p = skip_digits(p, end)) == start)
			return NULL;
	}
	return p;
}

static const char *check_literal(const char *p, const char *end, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(end - p) >= n && memcmp(p, word, n) == 0 ? p + n : NULL;
}

/* Returns the end of the value at p, or NULL if it is not valid JSON. */
static const char *check_value(const char *p, const char *end)
{
	char close;

	if (p == end)
		return NULL;
	switch (*p) {
	case '"': return check_string(p, end);
	case 't': return check_literal(p, end, "true");
	case 'f': return check_literal(p, end, "false");
	case 'n': return check_literal(p, end, "null");
	case '{':
	case '[': break;
	default: return check_number(p, end);
	}
	close = *p == '{' ? '}' : ']';
	p = skip_ws(p + 1, end);
	if (p < end && *p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			if (p == end || *p != '"' || !(p = check_string(p, end)))
				return NULL;
			p = skip_ws(p, end);
			if (p == end || *p != ':')
				return NULL;
			p = skip_ws(p + 1, end);
		}
		if (!(p = check_value(p, end)))
			return NULL;
		p = skip_ws(p, end);
		if (p == end)
			return NULL;
		if (*p == close)
			return p + 1;
		if (*p != ',')
			return NULL;
		p = skip_ws(p + 1, end);
	}
}

int stsenv_json_parse(struct stsenv_json *j, const char *buf, size_t len, struct stsenv_err *err)
{
	jsmn_parser p;
	size_t end;
	int n;

	j->buf = buf;
	j->len = len;
	j->ntoks = 0;
	if (len > 0 && memchr(buf, '\0', len)) {
		stsenv_err_set(err, "invalid JSON: contains a NUL byte");
		return -1;
	}
	jsmn_init(&p);
	n = jsmn_parse(&p, buf, len, j->toks, STSENV_JSON_MAX_TOKENS);
	switch (n) {
	case JSMN_ERROR_NOMEM:
		stsenv_err_set(err, "JSON too complex (more than %d tokens)",
			       STSENV_JSON_MAX_TOKENS);
		return -1;
	case JSMN_ERROR_PART: stsenv_err_set(err, "JSON incomplete (truncated?)"); return -1;
	case JSMN_ERROR_INVAL: stsenv_err_set(err, "invalid JSON"); return -1;
	default: break;
	}
	if (n < 1 || j->toks[0].type != JSMN_OBJECT) {
		stsenv_err_set(err, "JSON is not an object");
		return -1;
	}
	/* jsmn stops after the first value when it is complete; anything but
	 * whitespace after it means a second document or junk. */
	end = (size_t)j->toks[0].end;
	for (; end < len; end++) {
		if (!strchr(" \t\r\n", buf[end])) {
			stsenv_err_set(err, "invalid JSON: trailing data after the object");
			return -1;
		}
	}
	if (check_value(buf + j->toks[0].start, buf + j->toks[0].end) != buf + j->toks[0].end) {
		stsenv_err_set(err, "invalid JSON");
		return -1;
	}
	j->ntoks = n;
	return 0;
}

static bool key_is(const struct stsenv_json *j, int i, const char *key)
{
	const jsmntok_t *t = &j->toks[i];
	size_t n = strlen(key);

	return t->type == JSMN_STRING && (size_t)(t->end - t->start) == n &&
	       memcmp(j->buf + t->start, key, n) == 0;
}

int stsenv_json_get(const struct stsenv_json *j, int obj, const char *key)
{
	int found = -1;

	for (int i = obj + 1; i < j->ntoks && j->toks[i].start < j->toks[obj].end; i++) {
		if (j->toks[i].parent != obj || !key_is(j, i, key))
			continue;
		if (found >= 0)
			return -2;
		found = i + 1;
	}
	return found;
}

bool stsenv_json_is_string(const struct stsenv_json *j, int idx)
{
	return idx >= 0 && idx < j->ntoks && j->toks[idx].type == JSMN_STRING;
}

bool stsenv_json_is_object(const struct stsenv_json *j, int idx)
{
	return idx >= 0 && idx < j->ntoks && j->toks[idx].type == JSMN_OBJECT;
}

bool stsenv_json_is_null(const struct stsenv_json *j, int idx)
{
	return idx >= 0 && idx < j->ntoks && j->toks[idx].type == JSMN_PRIMITIVE &&
	       j->toks[idx].end - j->toks[idx].start == 4 &&
	       memcmp(j->buf + j->toks[idx].start, "null", 4) == 0;
}

bool stsenv_json_streq(const struct stsenv_json *j, int idx, const char *s)
{
	return stsenv_json_is_string(j, idx) && key_is(j, idx, s);
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *dst, unsigned cp)
{
	if (cp < 0x80) {
		dst[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		dst[0] = (char)(0xc0 | (cp >> 6));
		dst[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		dst[0] = (char)(0xe0 | (cp >> 12));
		dst[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		dst[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	dst[0] = (char)(0xf0 | (cp >> 18));
	dst[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	dst[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	dst[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Decodes one \u escape at src (pointing after the backslash-u), joining a
 * surrogate pair when one follows.  Returns bytes consumed after "\u". */
static int decode_u(const char *src, const char *end, unsigned *cp)
{
	unsigned hi, lo;

	if (end - src < 4 || hex4(src, &hi) < 0)
		return -1;
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return -1;
	if (hi < 0xd800 || hi > 0xdbff) {
		*cp = hi;
		return 4;
	}
	if (end - src < 10 || src[4] != '\\' || src[5] != 'u' || hex4(src + 6, &lo) < 0 ||
	    lo < 0xdc00 || lo > 0xdfff)
		return -1;
	*cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	return 10;
}

/* Decodes the JSON string text [src, end) into dst; the end of what it
 * wrote, or NULL at a control character or a bad escape. */
static char *unescape(const char *src, const char *end, char *dst)
{
	while (src < end) {
		unsigned char c = (unsigned char)*src++;
		unsigned cp;
		int used;

		if (c != '\\') {
			if (c < 0x20 || c == 0x7f)
				return NULL;
			*dst++ = (char)c;
			continue;
		}
		if (src >= end)
			return NULL;
		switch (*src++) {
		case '"': *dst++ = '"'; break;
		case '\\': *dst++ = '\\'; break;
		case '/': *dst++ = '/'; break;
		case 'u':
			used = decode_u(src, end, &cp);
			if (used < 0 || cp < 0x20 || cp == 0x7f)
				return NULL;
			dst += put_utf8(dst, cp);
			src += used;
			break;
		default: /* \b \f \n \r \t: control characters, refused */ return NULL;
		}
	}
	return dst;
}

char *stsenv_json_strdup(const struct stsenv_json *j, int idx, size_t max, const char *what,
			 struct stsenv_err *err)
{
	const char *src, *end;
	char *out, *dst;
	size_t raw;

	if (!stsenv_json_is_string(j, idx)) {
		stsenv_err_set(err, "%s is not a string", what);
		return NULL;
	}
	src = j->buf + j->toks[idx].start;
	end = j->buf + j->toks[idx].end;
	raw = (size_t)(end - src);
	/* Decoding never grows the text, so the raw length bounds the output. */
	if (raw > max * 6) {
		stsenv_err_set(err, "%s is too long (limit %zu bytes)", what, max);
		return NULL;
	}
	out = malloc(raw + 1);
	if (!out) {
		stsenv_err_set(err, "out of memory reading %s", what);
		return NULL;
	}
	dst = unescape(src, end, out);
	if (!dst)
		stsenv_err_set(err, "%s contains a control character or a bad escape", what);
	else if ((size_t)(dst - out) > max)
		stsenv_err_set(err, "%s is too long (limit %zu bytes)", what, max);
	else {
		*dst = '\0';
		return out;
	}
	explicit_bzero(out, raw + 1);
	free(out);
	return NULL;
}
