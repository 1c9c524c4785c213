/* The cache and refresher of one keeper: turns a source into a stream of
 * immutable snapshots, asking the source when the schedule (schedule.h)
 * says.  It runs in the keeper's main thread only (the launcher, the
 * helper of a plain-preload tree, `stsenv env` and `status`): no lock, no
 * thread.  Processes of a tree never run it; they read the keeper's page. */
#ifndef STSENV_ENGINE_H
#define STSENV_ENGINE_H

#include "clock.h"
#include "schedule.h"
#include "snap.h"
#include "source.h"

#include <stdbool.h>
#include <stdint.h>

struct stsenv_engine_opts {
	struct stsenv_source *source; /* owned by the engine from now on */
	const struct stsenv_clock *clock;
	int64_t margin_ms;    /* refresh from Expiration - margin onwards */
	int64_t timeout_ms;   /* bound on one fetch */
	uint64_t seed;	      /* for jitter */
	uint64_t fingerprint; /* of the source configuration */
};

struct stsenv_engine;

struct stsenv_engine *stsenv_engine_new(const struct stsenv_engine_opts *o);
void stsenv_engine_destroy(struct stsenv_engine *e);

enum stsenv_attempt {
	STSENV_NOT_DUE,	  /* nothing asked */
	STSENV_NEW,	  /* a new credential */
	STSENV_UNCHANGED, /* the source answered the one we hold */
	STSENV_FAILED,
};

/* Asks the source if an attempt is due (or at once with force), and
 * applies the result: schedule, last good credential, logging once per
 * change of state. */
enum stsenv_attempt stsenv_engine_poll(struct stsenv_engine *e, bool force);

/* Takes c (a credential the process that started this keeper held) as if
 * fetched now, unless it has expired; the next attempt follows the schedule
 * of a new credential.  True if taken. */
bool stsenv_engine_adopt(struct stsenv_engine *e, const struct stsenv_cred *c);

/* The newest credential, valid or not (NULL before the first). */
const struct stsenv_snap *stsenv_engine_current(const struct stsenv_engine *e);

/* The newest credential if it is valid now, else NULL. */
const struct stsenv_snap *stsenv_engine_valid(const struct stsenv_engine *e);

/* The newest credential, asking the source first if there is no valid
 * one and an attempt is due: what `stsenv env` and the launcher want. */
const struct stsenv_snap *stsenv_engine_get(struct stsenv_engine *e);

/* Monotonic ms of the next attempt. */
int64_t stsenv_engine_next_attempt(const struct stsenv_engine *e);

/* STSENV_REFRESH_MARGIN, as the engine was given it. */
int64_t stsenv_engine_margin_ms(const struct stsenv_engine *e);

struct stsenv_engine_status {
	const struct stsenv_snap *current; /* may have expired */
	unsigned failures;		   /* consecutive */
	int64_t next_attempt_in_ms;
	int64_t lead_ms;      /* learned, 0 if none */
	char last_error[384]; /* "" when the last attempt succeeded */
};

void stsenv_engine_status(const struct stsenv_engine *e, struct stsenv_engine_status *st);

#endif
