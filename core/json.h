/* A thin layer over jsmn: strict parsing with caps, key lookup that
 * rejects duplicates, and string values decoded into owned C strings. */
#ifndef STSENV_JSON_H
#define STSENV_JSON_H

#define JSMN_PARENT_LINKS
#define JSMN_STRICT
#define JSMN_HEADER
#include <jsmn.h>

#include "err.h"

#include <stdbool.h>
#include <stddef.h>

#define STSENV_JSON_MAX_TOKENS 256

struct stsenv_json {
	const char *buf;
	size_t len;
	int ntoks;
	jsmntok_t toks[STSENV_JSON_MAX_TOKENS];
};

/* Parses buf as exactly one JSON object.  On failure err says why. */
int stsenv_json_parse(struct stsenv_json *j, const char *buf, size_t len, struct stsenv_err *err);

/* Index of the value of key in object obj; -1 if absent, -2 if the key
 * occurs more than once (ambiguous input is an error, not a guess). */
int stsenv_json_get(const struct stsenv_json *j, int obj, const char *key);

bool stsenv_json_is_string(const struct stsenv_json *j, int idx);
bool stsenv_json_is_null(const struct stsenv_json *j, int idx);
bool stsenv_json_is_object(const struct stsenv_json *j, int idx);

/* Decodes string token idx (escapes, \u with surrogates) into a new
 * NUL-terminated string of at most max bytes.  Control characters and NUL
 * are refused: these values end up in environment variables.  Returns NULL
 * with err set on failure. */
char *stsenv_json_strdup(const struct stsenv_json *j, int idx, size_t max, const char *what,
			 struct stsenv_err *err);

/* Compares string token idx with s without decoding (for enum-like values). */
bool stsenv_json_streq(const struct stsenv_json *j, int idx, const char *s);

#endif
