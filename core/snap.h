/* Immutable credential snapshots and the memory they live in.
 *
 * getenv hands out pointers into snapshots and promises they stay readable
 * for the life of the process, so a snapshot is never modified or freed once
 * published.  They come from an arena of their own: a lock-free bump
 * allocator over anonymous mappings that are excluded from core dumps.  It
 * takes no lock and never calls malloc, so it may be used from a signal
 * handler and from a vfork child (where a mapping it makes belongs to the
 * parent, which then sees and keeps using it). */
#ifndef STSENV_SNAP_H
#define STSENV_SNAP_H

#include "cred.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stsenv_snap {
	const char *id;
	const char *secret;
	const char *token;		/* NULL when the source gave none */
	const char *expiration;		/* ISO 8601 UTC; NULL when it never expires */
	const char *marker;		/* the STSENV_HANDOFF value describing this credential */
	int64_t exp_real_ms;		/* STSENV_NO_EXPIRY when it never expires */
	int64_t exp_mono_ms;		/* the same deadline on the monotonic clock */
	int64_t born_mono_ms;		/* when this process made the snapshot */
	uint64_t generation;		/* the tree's count of credentials; 0 if unknown */
	uint64_t fingerprint;		/* of the source configuration it came from */
	uint64_t hash[3];		/* stsenv_value_hash of id, secret, token (0: none) */
	const struct stsenv_snap *prev; /* the one it replaced in this process */
	const void *origin;		/* the page it was read from; NULL otherwise */
};

/* n bytes, 16-aligned, never freed; NULL (errno ENOMEM) if no mapping can
 * be had.  Async-signal-safe. */
void *stsenv_arena_alloc(size_t n);

/* A snapshot of c in the arena.  now_* convert the expiration onto the
 * monotonic clock once, here, so that stepping the wall clock back later
 * cannot make anyone serve it past its real expiry. */
const struct stsenv_snap *stsenv_snap_new(const struct stsenv_cred *c, uint64_t fingerprint,
					  uint64_t generation, int64_t now_real_ms,
					  int64_t now_mono_ms, const struct stsenv_snap *prev);

/* The same in two steps, for copying straight out of shared memory:
 * reserve room for values of these lengths (the strings to fill in are
 * returned through id, secret and token; token NULL for none), copy them in,
 * then finish.  A reserved snapshot is not published until finished. */
struct stsenv_snap *stsenv_snap_reserve(size_t len_id, size_t len_secret, size_t len_token,
					bool has_token, char **id, char **secret, char **token);
const struct stsenv_snap *stsenv_snap_finish(struct stsenv_snap *s, int64_t exp_ms,
					     uint64_t fingerprint, uint64_t generation,
					     int64_t now_real_ms, int64_t now_mono_ms,
					     const struct stsenv_snap *prev);

/* The field f of s (enum stsenv_field, including the marker). */
static inline const char *stsenv_snap_field(const struct stsenv_snap *s, int f)
{
	switch (f) {
	case STSENV_F_ID: return s->id;
	case STSENV_F_SECRET: return s->secret;
	case STSENV_F_TOKEN: return s->token;
	case STSENV_F_EXPIRATION: return s->expiration;
	case STSENV_F_MARKER: return s->marker;
	default: return NULL;
	}
}

static inline int stsenv_snap_valid(const struct stsenv_snap *s, int64_t now_mono_ms)
{
	return s && now_mono_ms < s->exp_mono_ms;
}

#endif
