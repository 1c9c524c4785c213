/* The marker a parent stsenv leaves beside the credential it puts into a
 * child's environment, so that the child's preload can tell "handed down
 * by stsenv" (adopt it) from "a static key the user configured" (leave
 * that family alone).  It names the id by hash, never the secret. */
#ifndef STSENV_HANDOFF_H
#define STSENV_HANDOFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STSENV_HANDOFF_VAR "STSENV_HANDOFF"
#define STSENV_HANDOFF_MAX 48 /* "v1:" + 20 digits or sign + ":" + 16 hex + NUL */

/* "v1:<expiration ms or 0>:<fnv1a-64 of id in hex>" */
void stsenv_handoff_format(const char *id, int64_t exp_ms, char *buf, size_t len);

/* True if marker was made for this id; *exp_ms receives its expiration
 * (STSENV_NO_EXPIRY for none). */
bool stsenv_handoff_matches(const char *marker, const char *id, int64_t *exp_ms);

#endif
