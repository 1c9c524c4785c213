/* The cache and refresher: turns a source into a stream of immutable
 * snapshots, following the freshness rules of the spec.  It knows nothing
 * of getenv or interposition; the preload and the launcher drive it. */
#ifndef STSENV_ENGINE_H
#define STSENV_ENGINE_H

#include "clock.h"
#include "cred.h"
#include "source.h"

#include <stdbool.h>
#include <stdint.h>

/* Other processes sharing credentials with this one (the page of a tree
 * started by stsenv).  claim() returns STSENV_PEER_TAKEN and fills out if
 * they hold a credential expiring after exp_ms, STSENV_PEER_BUSY if one of
 * them is fetching right now, or STSENV_PEER_FETCH: go ahead, and call
 * release() afterwards; publish() shares what we fetched. */
enum stsenv_peer_claim { STSENV_PEER_FETCH, STSENV_PEER_TAKEN, STSENV_PEER_BUSY };

struct stsenv_peer {
	enum stsenv_peer_claim (*claim)(void *ctx, int64_t exp_ms, int64_t lease_ms,
					struct stsenv_cred *out);
	void (*release)(void *ctx);
	void (*publish)(void *ctx, const struct stsenv_cred *c);
	void *ctx;
};

struct stsenv_engine_opts {
	struct stsenv_source *source; /* owned by the engine from now on */
	const struct stsenv_clock *clock;
	int64_t margin_ms;		/* refresh from Expiration - margin onwards */
	int64_t timeout_ms;		/* bound on one fetch, and on any caller's wait */
	uint64_t seed;			/* for jitter */
	bool background;		/* refresh in a lazily started thread */
	const struct stsenv_peer *peer; /* optional */
};

struct stsenv_engine;

struct stsenv_engine *stsenv_engine_new(const struct stsenv_engine_opts *o);

/* The current credential if it is valid now, else (after waiting at most
 * timeout_ms for a fetch, and only when one is due) NULL.  Lock-free when a
 * valid credential exists; starts a background refresh when one is due. */
const struct stsenv_snap *stsenv_engine_get(struct stsenv_engine *e);

/* The current credential if valid now, else NULL; never waits, fetches,
 * locks or allocates (for exec in a vfork child). */
const struct stsenv_snap *stsenv_engine_peek(struct stsenv_engine *e);

/* Starts the background refresh if one is due (before a fork, so that the
 * children of a process that never reads a name still get fresh values). */
void stsenv_engine_nudge(struct stsenv_engine *e);

/* Sets the peer after creation (before the refresher starts). */
void stsenv_engine_set_peer(struct stsenv_engine *e, const struct stsenv_peer *peer);

/* Starts the background refresher now (for a process whose job is to
 * keep the credential fresh, such as the launcher supervising a tree). */
void stsenv_engine_start(struct stsenv_engine *e);

/* Runs a due fetch in the calling thread (for engines without background,
 * and for tests that move the clock).  Returns true if it fetched. */
bool stsenv_engine_poll(struct stsenv_engine *e);

/* Publishes a credential handed down by a parent process, as if fetched
 * now; ignored if it has expired.  Call before any get(). */
void stsenv_engine_adopt(struct stsenv_engine *e, const struct stsenv_cred *c);

struct stsenv_engine_status {
	const struct stsenv_snap *current; /* may have expired */
	uint64_t attempts;
	uint64_t fetched;   /* attempts that produced a new credential */
	uint64_t from_peer; /* of those, taken from the tree's page */
	uint64_t unchanged; /* attempts that returned the same one */
	unsigned failures;  /* consecutive */
	int64_t next_attempt_in_ms;
	bool thread_started;
	char last_error[384]; /* "" when the last attempt succeeded */
};

void stsenv_engine_status(struct stsenv_engine *e, struct stsenv_engine_status *st);

/* For pthread_atfork: keeps the engine consistent across fork, and gives
 * the child a refresher of its own (threads do not survive fork). */
void stsenv_engine_fork_prepare(struct stsenv_engine *e);
void stsenv_engine_fork_parent(struct stsenv_engine *e);
void stsenv_engine_fork_child(struct stsenv_engine *e);

/* When the next refresh of a fresh credential is due (exposed for tests). */
int64_t stsenv_refresh_at(int64_t now_mono, int64_t exp_mono, int64_t margin_ms, uint64_t rnd);

#endif
