/* When a keeper asks its source again: every rule of the schedule, named,
 * each a pure function of times (monotonic ms) and a random draw, so that
 * the unit tests can check each with an injected clock. */
#ifndef STSENV_SCHEDULE_H
#define STSENV_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#define STSENV_SEC		    1000
#define STSENV_LONG_TERM_RECHECK_MS (300 * STSENV_SEC) /* a key without expiry */
#define STSENV_BACKOFF_BASE_MS	    (1 * STSENV_SEC)
#define STSENV_BACKOFF_CAP_MS	    (60 * STSENV_SEC)
#define STSENV_JITTER_CAP_MS	    (2 * STSENV_SEC)

struct stsenv_schedule {
	int64_t margin_ms; /* STSENV_REFRESH_MARGIN */
	/* How long before expiry the source was last seen to hand out a new
	 * credential, when that was later than the margin; 0: not seen. */
	int64_t lead_ms;
};

/* The smallest gap between two requests while a credential is valid, so
 * that a source answering the same credential, or handing out ones that
 * live less than the margin, is never hammered: remaining/8, 1 s to 60 s. */
int64_t stsenv_sched_min_gap(int64_t remaining_ms);

/* After a new credential: from Expiration - margin onwards (or later, if
 * the source rotates later than that: lead_ms), plus a jitter of at most
 * margin/50 and 2 s.  A key without expiry is looked at every 5 minutes. */
int64_t stsenv_sched_fresh(const struct stsenv_schedule *s, int64_t now, int64_t exp, uint64_t rnd);

/* After the source answered the credential we hold: min_gap, plus up to
 * a quarter of it. */
int64_t stsenv_sched_unchanged(int64_t now, int64_t exp, uint64_t rnd);

/* After `failures` failures in a row: 1 s doubling to 60 s, but at most a
 * quarter of what is left of a valid credential (so at least four tries
 * before it expires), jittered down by up to half.  exp: the valid
 * credential's expiry, or 0 for none. */
int64_t stsenv_sched_failed(unsigned failures, int64_t now, int64_t exp, uint64_t rnd);

/* Learns the source's lead when a new credential arrives at `now` after
 * the one expiring at old_exp was answered unchanged at least once: next
 * time, ask no earlier than the source rotated this time. */
void stsenv_sched_learn(struct stsenv_schedule *s, int64_t old_exp, int64_t now,
			bool answered_unchanged);

#endif
