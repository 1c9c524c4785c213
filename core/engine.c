#include "engine.h"

#include "log.h"
#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stsenv_engine {
	struct stsenv_source *source;
	const struct stsenv_clock *clock;
	int64_t timeout_ms;
	uint64_t fingerprint, rng;
	struct stsenv_schedule sched;
	const struct stsenv_snap *current;
	int64_t next_attempt;
	bool unchanged_since_new; /* the source repeated the current credential */
	uint64_t expiry_logged;	  /* generation whose expiry was said */
	unsigned failures;
	char last_error[384];
};

static int64_t mono(const struct stsenv_engine *e)
{
	return e->clock->mono_ms(e->clock->ctx);
}

static uint64_t next_rand(struct stsenv_engine *e)
{
	/* xorshift64*: jitter only needs to differ between keepers. */
	e->rng ^= e->rng >> 12;
	e->rng ^= e->rng << 25;
	e->rng ^= e->rng >> 27;
	return e->rng * 0x2545F4914F6CDD1DULL;
}

struct stsenv_engine *stsenv_engine_new(const struct stsenv_engine_opts *o)
{
	struct stsenv_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->source = o->source;
	e->clock = o->clock ? o->clock : &stsenv_system_clock;
	e->timeout_ms = o->timeout_ms;
	e->fingerprint = o->fingerprint;
	e->rng = o->seed ? o->seed : 0x9E3779B97F4A7C15ULL;
	e->sched.margin_ms = o->margin_ms;
	e->next_attempt = INT64_MIN; /* the first attempt is due at once */
	return e;
}

void stsenv_engine_destroy(struct stsenv_engine *e)
{
	if (!e)
		return;
	stsenv_source_destroy(e->source);
	free(e);
}

static void describe(const struct stsenv_snap *s, char *buf, size_t len)
{
	char rid[32];

	stsenv_redact_id(s->id, rid, sizeof(rid));
	snprintf(buf, len, "%s (expires %s)", rid, s->expiration ? s->expiration : "never");
}

/* What the fetch amounts to, given the credential held now. */
static enum stsenv_attempt judge(struct stsenv_engine *e, enum stsenv_fetch_rc rc,
				 const struct stsenv_cred *c, int64_t now, int64_t real,
				 struct stsenv_err *err)
{
	const struct stsenv_snap *cur = e->current;

	if (rc == STSENV_FETCH_OK && c->exp_ms != STSENV_NO_EXPIRY && c->exp_ms <= real) {
		char when[32];
		stsenv_format_iso8601(c->exp_ms, when, sizeof(when));
		stsenv_err_set(err, "%s %s returned a credential that expired at %s",
			       e->source->kind, e->source->where, when);
		return STSENV_FAILED;
	}
	if (rc == STSENV_FETCH_OK && cur &&
	    stsenv_cred_equal(c, &(struct stsenv_cred){(char *)cur->id, (char *)cur->secret,
						       (char *)cur->token, cur->exp_real_ms}))
		rc = STSENV_FETCH_UNCHANGED;
	if (rc == STSENV_FETCH_UNCHANGED && !stsenv_snap_valid(cur, now)) {
		stsenv_err_set(err, "%s %s still holds the expired credential", e->source->kind,
			       e->source->where);
		return STSENV_FAILED;
	}
	return rc == STSENV_FETCH_OK	      ? STSENV_NEW
	       : rc == STSENV_FETCH_UNCHANGED ? STSENV_UNCHANGED
					      : STSENV_FAILED;
}

static void on_new(struct stsenv_engine *e, const struct stsenv_cred *c, int64_t now, int64_t real,
		   struct stsenv_err *err, enum stsenv_attempt *what)
{
	const struct stsenv_snap *old = e->current, *s;
	char desc[96];

	s = stsenv_snap_new(c, e->fingerprint, old ? old->generation + 1 : 1, real, now, old);
	if (!s) {
		stsenv_err_set(err, "out of memory storing a new credential");
		*what = STSENV_FAILED;
		return;
	}
	if (old)
		stsenv_sched_learn(&e->sched, old->exp_mono_ms, now, e->unchanged_since_new);
	e->current = s;
	e->unchanged_since_new = false;
	e->next_attempt = stsenv_sched_fresh(&e->sched, now, s->exp_mono_ms, next_rand(e));
	describe(s, desc, sizeof(desc));
	stsenv_log(e->failures ? STSENV_LOG_WARN : STSENV_LOG_INFO,
		   "%snew credential %s from %s, next refresh in %llds",
		   e->failures ? "recovered: " : "", desc, e->source->kind,
		   (long long)((e->next_attempt - now) / STSENV_SEC));
}

static void on_unchanged(struct stsenv_engine *e, int64_t now)
{
	e->unchanged_since_new = true;
	e->next_attempt = stsenv_sched_unchanged(now, e->current->exp_mono_ms, next_rand(e));
	if (e->failures)
		stsenv_log(STSENV_LOG_WARN, "recovered: %s %s answers again", e->source->kind,
			   e->source->where);
	stsenv_log(STSENV_LOG_DEBUG, "%s returned the same credential; asking again in %lld ms",
		   e->source->kind, (long long)(e->next_attempt - now));
}

static void on_failed(struct stsenv_engine *e, int64_t now, const struct stsenv_err *err)
{
	const struct stsenv_snap *cur = e->current;
	bool valid = stsenv_snap_valid(cur, now);
	unsigned n = ++e->failures;
	char desc[96];

	e->next_attempt = stsenv_sched_failed(n, now, valid ? cur->exp_mono_ms : 0, next_rand(e));
	/* A failure the source says will pass soon (a file mid-rewrite). */
	if (err->retry_ms > 0 && now + err->retry_ms < e->next_attempt)
		e->next_attempt = now + err->retry_ms;
	/* Once per change of state, not once per attempt. */
	if (cur && !valid && e->expiry_logged != cur->generation) {
		e->expiry_logged = cur->generation;
		describe(cur, desc, sizeof(desc));
		stsenv_log(STSENV_LOG_ERROR,
			   "credential %s has expired; names read as unset until a refresh "
			   "succeeds; last error: %s",
			   desc, err->msg);
	} else if (n == 1 || strcmp(e->last_error, err->msg) != 0) {
		if (valid) {
			describe(cur, desc, sizeof(desc));
			stsenv_log(STSENV_LOG_WARN, "refresh failed: %s; still serving %s",
				   err->msg, desc);
		} else {
			stsenv_log(STSENV_LOG_ERROR, "no credential: %s" STSENV_SEE_STATUS,
				   err->msg);
		}
	}
	snprintf(e->last_error, sizeof(e->last_error), "%s", err->msg);
}

/* A wall clock stepped forward (a VM resumed after a pause, NTP stepping a
 * clock that was behind) shortens what is left of the credential by the
 * step, which its monotonic deadline does not see: the credential gets
 * the deadline the wall clock gives it, and an attempt is due by the same
 * rule as for a new credential.  A step back changes nothing: the
 * monotonic deadline, set when the wall clock was right, stays. */
static void rebase(struct stsenv_engine *e, int64_t now)
{
	const struct stsenv_snap *cur = e->current, *s;
	int64_t real = e->clock->real_ms(e->clock->ctx), want, at;

	if (!cur || cur->exp_real_ms == STSENV_NO_EXPIRY)
		return;
	want = now + (cur->exp_real_ms - real);
	if (want >= cur->exp_mono_ms - STSENV_SEC)
		return;
	s = stsenv_snap_new(&(struct stsenv_cred){(char *)cur->id, (char *)cur->secret,
						  (char *)cur->token, cur->exp_real_ms},
			    e->fingerprint, cur->generation, real, now, cur->prev);
	if (!s)
		return;
	stsenv_log(STSENV_LOG_WARN,
		   "the wall clock moved ahead by %llds: the credential expires in %llds by it",
		   (long long)((cur->exp_mono_ms - want) / STSENV_SEC),
		   (long long)((s->exp_mono_ms - now) / STSENV_SEC));
	e->current = s;
	at = e->failures ? stsenv_sched_failed(e->failures, now,
					       stsenv_snap_valid(s, now) ? s->exp_mono_ms : 0,
					       next_rand(e))
			 : stsenv_sched_fresh(&e->sched, now, s->exp_mono_ms, next_rand(e));
	if (at < e->next_attempt)
		e->next_attempt = at;
}

enum stsenv_attempt stsenv_engine_poll(struct stsenv_engine *e, bool force)
{
	struct stsenv_cred c = {0};
	struct stsenv_err err = {0};
	enum stsenv_attempt what;
	int64_t now = mono(e), real;
	enum stsenv_fetch_rc rc;

	rebase(e, now);
	if (!force && now < e->next_attempt)
		return STSENV_NOT_DUE;
	rc = e->source->fetch(e->source, e->timeout_ms, &c, &err);
	now = mono(e);
	real = e->clock->real_ms(e->clock->ctx);
	what = judge(e, rc, &c, now, real, &err);
	if (what == STSENV_NEW)
		on_new(e, &c, now, real, &err, &what);
	if (what == STSENV_UNCHANGED)
		on_unchanged(e, now);
	if (what == STSENV_FAILED) {
		on_failed(e, now, &err);
	} else {
		e->failures = 0;
		e->last_error[0] = '\0';
	}
	stsenv_cred_clear(&c);
	return what;
}

bool stsenv_engine_adopt(struct stsenv_engine *e, const struct stsenv_cred *c)
{
	int64_t now = mono(e), real = e->clock->real_ms(e->clock->ctx);
	const struct stsenv_snap *s;

	if (c->exp_ms != STSENV_NO_EXPIRY && c->exp_ms <= real)
		return false;
	s = stsenv_snap_new(c, e->fingerprint, e->current ? e->current->generation + 1 : 1, real,
			    now, e->current);
	if (!s)
		return false;
	e->current = s;
	e->next_attempt = stsenv_sched_fresh(&e->sched, now, s->exp_mono_ms, next_rand(e));
	return true;
}

const struct stsenv_snap *stsenv_engine_current(const struct stsenv_engine *e)
{
	return e->current;
}

const struct stsenv_snap *stsenv_engine_valid(const struct stsenv_engine *e)
{
	return stsenv_snap_valid(e->current, mono(e)) ? e->current : NULL;
}

const struct stsenv_snap *stsenv_engine_get(struct stsenv_engine *e)
{
	if (!stsenv_engine_valid(e))
		stsenv_engine_poll(e, false);
	return stsenv_engine_valid(e);
}

int64_t stsenv_engine_next_attempt(const struct stsenv_engine *e)
{
	return e->next_attempt;
}

int64_t stsenv_engine_margin_ms(const struct stsenv_engine *e)
{
	return e->sched.margin_ms;
}

void stsenv_engine_status(const struct stsenv_engine *e, struct stsenv_engine_status *st)
{
	st->current = e->current;
	st->failures = e->failures;
	st->next_attempt_in_ms = e->next_attempt == INT64_MIN ? 0 : e->next_attempt - mono(e);
	st->lead_ms = e->sched.lead_ms;
	snprintf(st->last_error, sizeof(st->last_error), "%s", e->last_error);
}
