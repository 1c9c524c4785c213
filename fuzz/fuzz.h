/* Shared by the libFuzzer harnesses (fuzz_*.c) and by their replay in
 * tests/unit/test_fuzz_corpus.c, which includes every harness into one
 * translation unit with STSENV_FUZZ_REPLAY defined: so every helper here is
 * static inline, and each harness prefixes its own statics.
 *
 * FUZZ_CHECK(cond) states an invariant.  Under libFuzzer a broken one
 * aborts (a crash, with the input saved); in the replay it is counted and
 * reported by the unit test, which then fails. */
#ifndef STSENV_FUZZ_H
#define STSENV_FUZZ_H

#include "../core/cred.h"
#include "../core/credjson.h"
#include "../core/err.h"
#include "../core/json.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef STSENV_FUZZ_REPLAY
/* Defined by the replaying unit test. */
static void fuzz_replay_fail(const char *file, int line, const char *what);
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_replay_fail(__FILE__, __LINE__, #cond);                               \
	} while (0)
#else
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)
#endif

/* The secret the seed corpora plant in AccessKeySecret, SecurityToken and
 * their CLI/INI twins.  Its 'é' (two bytes >= 0x80) cannot survive
 * stsenv_json_excerpt, the only way a value may reach an error message
 * (Code, Expiration, profile names and modes): so the marker in a message
 * means a value was copied into it raw. */
#define FUZZ_MARKER "S3cr\xc3\xa9tMARK"
/* What is left of it in an excerpt ("S3cr??tMARK"). */
#define FUZZ_MARKER_TAIL "tMARK"

static inline bool fuzz_has_marker(const char *s)
{
	return strstr(s, FUZZ_MARKER) != NULL;
}

/* err.msg is a NUL-terminated string inside its buffer. */
static inline bool fuzz_err_terminated(const struct stsenv_err *err)
{
	return memchr(err->msg, '\0', sizeof(err->msg)) != NULL;
}

/* No C0 control character and no DEL (a log line cannot be split). */
static inline bool fuzz_no_controls(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* Printable ASCII only. */
static inline bool fuzz_printable_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* A field of a credential the parser accepted: set, non-empty, within its
 * cap, free of control characters (it becomes an environment value). */
static inline bool fuzz_field_ok(const char *s, size_t max)
{
	size_t n;

	if (!s)
		return false;
	n = strlen(s);
	return n > 0 && n <= max && fuzz_no_controls(s);
}

/* The JSON text of a credential; a copy of exactly len bytes without a
 * terminating NUL, so that ASan sees any read past the end. */
static inline char *fuzz_dup_exact(const uint8_t *data, size_t len)
{
	char *p = malloc(len ? len : 1);

	if (p && len)
		memcpy(p, data, len);
	return p;
}

/* Before the call under test: out filled with a pattern that its failure
 * must leave as it is (a copy in *sentinel to compare with), err.msg with
 * one without a NUL, so that a message left unterminated shows. */
static inline void fuzz_poison(struct stsenv_cred *out, struct stsenv_cred *sentinel,
			       struct stsenv_err *err)
{
	memset(sentinel, 0xa5, sizeof(*sentinel));
	*out = *sentinel;
	memset(err->msg, 'Z', sizeof(err->msg));
}

/* The error stsenv_cred_from_json_keys may give for a value it quotes
 * (Code, Expiration), computed independently from the body; true when msg
 * is such an error and it quotes what it should.  False when msg is not
 * one of these two (*slot stays false) or quotes something else. */
static inline bool fuzz_cj_quoting_ok(const char *buf, size_t len, const char *object,
				      const struct stsenv_cred_keys *keys, const char *msg,
				      bool *slot)
{
	struct stsenv_json *j = malloc(sizeof(*j));
	char want[sizeof(((struct stsenv_err *)0)->msg)], ex[64], prefix[80];
	bool ok = false;
	int code, obj = 0, v;

	*slot = false;
	if (!j)
		return false;
	if (strncmp(msg, "Code is \"", 9) == 0) {
		*slot = true;
		if (stsenv_json_parse(j, buf, len, NULL) < 0)
			goto out;
		code = stsenv_json_get(j, 0, "Code");
		snprintf(ex, sizeof(ex), "(not a string)");
		if (code < 0)
			goto out;
		if (stsenv_json_is_string(j, code))
			stsenv_json_excerpt(buf + j->toks[code].start,
					    (size_t)(j->toks[code].end - j->toks[code].start), ex,
					    sizeof(ex));
		snprintf(want, sizeof(want), "Code is \"%s\", not Success", ex);
		ok = strcmp(msg, want) == 0;
		goto out;
	}
	if (!keys->expiration)
		goto out;
	snprintf(prefix, sizeof(prefix), "%s \"", keys->expiration);
	if (strncmp(msg, prefix, strlen(prefix)) != 0)
		goto out;
	*slot = true;
	if (stsenv_json_parse(j, buf, len, NULL) < 0)
		goto out;
	if (object)
		obj = stsenv_json_get(j, 0, object);
	if (obj < 0 || (v = stsenv_json_get(j, obj, keys->expiration)) < 0) {
		goto out;
	} else {
		char *exp = stsenv_json_strdup(j, v, 64, "x", NULL);
		if (!exp)
			goto out;
		stsenv_json_excerpt(exp, strlen(exp), ex, 40);
		free(exp);
		snprintf(want, sizeof(want), "%s \"%s\" is not YYYY-MM-DDTHH:MM:SS[.mmm]Z",
			 keys->expiration, ex);
		ok = strcmp(msg, want) == 0;
	}
out:
	free(j);
	return ok;
}

#endif
