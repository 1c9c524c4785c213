/* The marker stsenv leaves beside the credential it hands to a child, in
 * STSENV_HANDOFF.  It vouches for each value by hash (id, secret, token and
 * the expiration), so that at load and at exec a value stsenv handed down
 * can be told from one the user or the program set, name by name; and it
 * names the source configuration (a fingerprint) the credential came from,
 * so that a child configured differently never adopts it.
 *
 * The marker travels in the same environment as the values it describes:
 * whoever can read it can read the values themselves, so the hashes give
 * nothing away that the environment does not. */
#ifndef STSENV_MARKER_H
#define STSENV_MARKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STSENV_HANDOFF_VAR "STSENV_HANDOFF"
/* "v2:" fp ":" exp ":" h ":" h ":" h, hashes 16 hex digits, exp up to 19 */
#define STSENV_MARKER_MAX 96

struct stsenv_marker {
	uint64_t fingerprint;
	int64_t exp_ms;	  /* STSENV_NO_EXPIRY for none */
	uint64_t hash[3]; /* id, secret, token; 0 for a field handed down empty */
};

/* A 64-bit hash of a value, 8 bytes at a time; never 0 for a string. */
uint64_t stsenv_value_hash(const char *s);

/* Writes the marker (NUL-terminated, at most STSENV_MARKER_MAX bytes). */
size_t stsenv_marker_format(const struct stsenv_marker *m, char *buf, size_t len);

/* Parses exactly what stsenv_marker_format writes; false for anything else. */
bool stsenv_marker_parse(const char *s, struct stsenv_marker *m);

/* True if m vouches for value as field f (id, secret, token or
 * expiration) of the credential it describes. */
bool stsenv_marker_vouches(const struct stsenv_marker *m, int field, const char *value);

#endif
