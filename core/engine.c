#include "engine.h"

#include "log.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "timeutil.h"

#define SEC		     1000
#define LONG_TERM_RECHECK_MS (300 * SEC) /* a key without expiry: look again */
#define BACKOFF_BASE_MS	     (1 * SEC)
#define BACKOFF_CAP_MS	     (60 * SEC)

struct stsenv_engine {
	/* Read on every getenv without a lock. */
	_Atomic(const struct stsenv_snap *) current;
	_Atomic int64_t next_attempt; /* monotonic ms */
	atomic_bool kicked;	      /* a background refresh was requested */

	/* Everything below is guarded by mu. */
	pthread_mutex_t mu;
	pthread_cond_t cv; /* an attempt finished, or the thread has work */
	struct stsenv_source *source;
	const struct stsenv_clock *clock;
	int64_t margin_ms, timeout_ms;
	uint64_t rng;
	bool background, thread_started, fetching;
	const struct stsenv_peer *peer;
	uint64_t generation, attempts, fetched, unchanged, from_peer;
	unsigned failures;
	uint64_t expired_logged; /* generation whose expiry was logged */
	char last_error[384];
};

/* Set while this thread is inside a fetch or holds (or waits on) the engine
 * lock: a getenv from libcurl, or from a signal handler that interrupted us
 * there, must not wait for ourselves. */
static __thread int in_fetch __attribute__((tls_model("initial-exec")));

static int64_t mono(const struct stsenv_engine *e)
{
	return e->clock->mono_ms(e->clock->ctx);
}

static uint64_t next_rand(struct stsenv_engine *e)
{
	/* xorshift64*: jitter only needs to differ between processes. */
	e->rng ^= e->rng >> 12;
	e->rng ^= e->rng << 25;
	e->rng ^= e->rng >> 27;
	return e->rng * 0x2545F4914F6CDD1DULL;
}

static int64_t clamp(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* The smallest gap between two fetches while a credential is valid:
 * bounded below so a source that keeps answering the same thing, or hands
 * out credentials shorter-lived than the margin, is never hammered. */
static int64_t min_gap(int64_t remaining)
{
	return clamp(remaining / 8, 1 * SEC, 60 * SEC);
}

int64_t stsenv_refresh_at(int64_t now_mono, int64_t exp_mono, int64_t margin_ms, uint64_t rnd)
{
	int64_t jitter_max = margin_ms / 5;
	int64_t at;

	if (exp_mono == STSENV_NO_EXPIRY)
		return now_mono + LONG_TERM_RECHECK_MS;
	/* From Expiration - margin onwards, spread over a fifth of the margin
	 * so that a fleet of processes does not ask in the same second. */
	at = exp_mono - margin_ms +
	     (jitter_max > 0 ? (int64_t)(rnd % (uint64_t)(jitter_max + 1)) : 0);
	if (at < now_mono + min_gap(exp_mono - now_mono))
		at = now_mono + min_gap(exp_mono - now_mono);
	return at;
}

/* The condition variable waits on CLOCK_MONOTONIC: deadlines must not move
 * when someone sets the wall clock. */
static void init_sync(struct stsenv_engine *e)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&e->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->cv, &ca);
	pthread_condattr_destroy(&ca);
}

/* ts = now + ms on CLOCK_MONOTONIC, for pthread_cond_timedwait. */
static void deadline_after(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / SEC;
	ts->tv_nsec += (ms % SEC) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

struct stsenv_engine *stsenv_engine_new(const struct stsenv_engine_opts *o)
{
	struct stsenv_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	init_sync(e);
	e->source = o->source;
	e->clock = o->clock ? o->clock : &stsenv_system_clock;
	e->margin_ms = o->margin_ms;
	e->timeout_ms = o->timeout_ms;
	e->rng = o->seed ? o->seed : 0x9E3779B97F4A7C15ULL;
	e->background = o->background;
	e->peer = o->peer;
	return e;
}

static bool valid_at(const struct stsenv_snap *s, int64_t now)
{
	return s && now < s->exp_mono_ms;
}

static void describe(const struct stsenv_snap *s, char *buf, size_t len)
{
	char rid[32];

	stsenv_redact_id(s->id, rid, sizeof(rid));
	snprintf(buf, len, "%s (expires %s)", rid, s->expiration ? s->expiration : "never");
}

/* Applies the outcome of one fetch.  Called with mu held. */
static void settle(struct stsenv_engine *e, enum stsenv_fetch_rc rc, struct stsenv_cred *c,
		   struct stsenv_err *err, const char *origin)
{
	const struct stsenv_snap *cur = atomic_load(&e->current);
	int64_t now = mono(e), real = e->clock->real_ms(e->clock->ctx);
	bool cur_valid = valid_at(cur, now);
	char what[96];

	if (rc == STSENV_FETCH_DEFERRED) {
		/* Look again shortly: the other fetch takes milliseconds. */
		atomic_store(&e->next_attempt, now + 200 + (int64_t)(next_rand(e) % 200));
		return;
	}
	e->attempts++;
	if (rc == STSENV_FETCH_OK && c->exp_ms != STSENV_NO_EXPIRY && c->exp_ms <= real) {
		char when[32];
		stsenv_format_iso8601(c->exp_ms, when, sizeof(when));
		stsenv_err_set(err, "%s %s returned a credential that expired at %s",
			       e->source->kind, e->source->where, when);
		rc = STSENV_FETCH_ERR;
	}
	if (rc == STSENV_FETCH_OK && cur &&
	    stsenv_cred_equal(c, &(struct stsenv_cred){(char *)cur->id, (char *)cur->secret,
						       (char *)cur->token, cur->exp_real_ms}))
		rc = STSENV_FETCH_UNCHANGED;
	if (rc == STSENV_FETCH_UNCHANGED && !cur_valid) {
		stsenv_err_set(err, "%s %s still holds the expired credential", e->source->kind,
			       e->source->where);
		rc = STSENV_FETCH_ERR;
	}
	if (rc == STSENV_FETCH_OK) {
		struct stsenv_snap *s = stsenv_snap_new(c, real, now, e->generation + 1);
		if (!s) {
			stsenv_err_set(err, "out of memory storing a new credential");
			rc = STSENV_FETCH_ERR;
		} else {
			e->generation++;
			e->fetched++;
			atomic_store_explicit(&e->current, s, memory_order_release);
			atomic_store(
				&e->next_attempt,
				stsenv_refresh_at(now, s->exp_mono_ms, e->margin_ms, next_rand(e)));
			describe(s, what, sizeof(what));
			stsenv_log(e->failures ? STSENV_LOG_WARN : STSENV_LOG_INFO,
				   "%snew credential %s from %s, next refresh in %llds",
				   e->failures ? "recovered: " : "", what, origin,
				   (long long)((atomic_load(&e->next_attempt) - now) / SEC));
		}
	}
	if (rc == STSENV_FETCH_UNCHANGED) {
		int64_t gap = min_gap(cur->exp_mono_ms - now);
		e->unchanged++;
		gap += (int64_t)(next_rand(e) % (uint64_t)(gap / 4 + 1));
		atomic_store(&e->next_attempt, now + gap);
		if (e->failures)
			stsenv_log(STSENV_LOG_WARN, "recovered: %s %s answers again",
				   e->source->kind, e->source->where);
		stsenv_log(STSENV_LOG_DEBUG,
			   "%s returned the same credential; asking again in %lld ms",
			   e->source->kind, (long long)gap);
	}
	if (rc == STSENV_FETCH_ERR) {
		unsigned n = ++e->failures;
		int64_t cap = BACKOFF_CAP_MS, delay;
		if (cur_valid)
			cap = clamp((cur->exp_mono_ms - now) / 4, BACKOFF_BASE_MS, cap);
		delay = n > 7 ? cap : clamp(BACKOFF_BASE_MS << (n - 1), BACKOFF_BASE_MS, cap);
		delay = delay / 2 + (int64_t)(next_rand(e) % (uint64_t)(delay / 2 + 1));
		atomic_store(&e->next_attempt, now + delay);
		/* Once per change of state, not once per attempt. */
		if (n == 1 || strcmp(e->last_error, err->msg) != 0) {
			if (cur_valid) {
				describe(cur, what, sizeof(what));
				stsenv_log(STSENV_LOG_WARN, "refresh failed: %s; still serving %s",
					   err->msg, what);
			} else {
				stsenv_log(STSENV_LOG_ERROR, "no credential: %s", err->msg);
			}
		}
		snprintf(e->last_error, sizeof(e->last_error), "%s", err->msg);
	} else {
		e->failures = 0;
		e->last_error[0] = '\0';
	}
}

/* One fetch, with mu held on entry and exit but not during the fetch. */
static void attempt(struct stsenv_engine *e)
{
	struct stsenv_cred c = {0};
	struct stsenv_err err = {""};
	const struct stsenv_snap *cur = atomic_load(&e->current);
	int64_t cur_exp = cur ? cur->exp_real_ms : 0;
	enum stsenv_fetch_rc rc;
	bool from_peer = false;
	uint64_t before;

	e->fetching = true;
	pthread_mutex_unlock(&e->mu);
	in_fetch++;
	/* Someone else in the tree may have fetched already, or be fetching
	 * now: then no request of ours. */
	switch (e->peer ? e->peer->claim(e->peer->ctx, cur_exp, e->timeout_ms, &c)
			: STSENV_PEER_FETCH) {
	case STSENV_PEER_TAKEN:
		rc = STSENV_FETCH_OK;
		from_peer = true;
		break;
	case STSENV_PEER_BUSY: rc = STSENV_FETCH_DEFERRED; break;
	default:
		rc = e->source->fetch(e->source, e->timeout_ms, &c, &err);
		if (e->peer) {
			if (rc == STSENV_FETCH_OK)
				e->peer->publish(e->peer->ctx, &c);
			e->peer->release(e->peer->ctx);
		}
	}
	in_fetch--;
	pthread_mutex_lock(&e->mu);
	e->fetching = false;
	before = e->fetched;
	settle(e, rc, &c, &err, from_peer ? "the tree's shared page" : e->source->kind);
	if (e->fetched != before && from_peer)
		e->from_peer++;
	stsenv_cred_clear(&c);
	atomic_store(&e->kicked, false);
	pthread_cond_broadcast(&e->cv);
}

static void *refresher(void *arg)
{
	struct stsenv_engine *e = arg;

	pthread_mutex_lock(&e->mu);
	for (;;) {
		int64_t now = mono(e), due = atomic_load(&e->next_attempt);
		struct timespec ts;

		if (!e->fetching && now >= due) {
			attempt(e);
			continue;
		}
		if (e->fetching) {
			pthread_cond_wait(&e->cv, &e->mu);
			continue;
		}
		/* The deadline is on the engine's clock; sleep on the real
		 * monotonic clock for the same span. */
		deadline_after(&ts, due - now);
		pthread_cond_timedwait(&e->cv, &e->mu, &ts);
	}
	return NULL;
}

/* Starts the refresher once, with every signal blocked in it so that the
 * host's signal handlers keep running in the host's own threads. */
static void start_thread_locked(struct stsenv_engine *e)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t t;

	if (e->thread_started)
		return;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	if (pthread_create(&t, &attr, refresher, e) == 0)
		e->thread_started = true;
	else
		stsenv_log(STSENV_LOG_WARN, "cannot start the refresh thread; refreshing inline");
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void kick(struct stsenv_engine *e)
{
	if (atomic_load_explicit(&e->kicked, memory_order_relaxed) ||
	    atomic_exchange(&e->kicked, true))
		return;
	in_fetch++;
	pthread_mutex_lock(&e->mu);
	start_thread_locked(e);
	if (!e->thread_started && !e->fetching)
		attempt(e); /* no thread to be had: refresh in this caller */
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
	in_fetch--;
}

static const struct stsenv_snap *get_slow(struct stsenv_engine *e)
{
	const struct stsenv_snap *s;
	struct timespec until;
	bool tried = false;

	if (in_fetch)
		return NULL;
	in_fetch++;
	deadline_after(&until, e->timeout_ms);
	pthread_mutex_lock(&e->mu);
	for (;;) {
		int64_t now = mono(e);
		s = atomic_load(&e->current);
		if (valid_at(s, now))
			break;
		if (s && e->expired_logged != s->generation) {
			char what[96];
			e->expired_logged = s->generation;
			describe(s, what, sizeof(what));
			stsenv_log(STSENV_LOG_ERROR,
				   "credential %s has expired; names read as unset until a refresh "
				   "succeeds%s%s",
				   what, e->last_error[0] ? "; last error: " : "", e->last_error);
		}
		s = NULL;
		if (e->fetching) {
			/* Someone is fetching: wait for it, but never past our bound. */
			if (pthread_cond_timedwait(&e->cv, &e->mu, &until) != 0)
				break;
			continue;
		}
		/* In backoff after a failure: answer "unset" now rather than
		 * making every read of the name wait for a broken source. */
		if (tried || now < atomic_load(&e->next_attempt))
			break;
		tried = true;
		attempt(e);
	}
	pthread_mutex_unlock(&e->mu);
	in_fetch--;
	return s;
}

const struct stsenv_snap *stsenv_engine_get(struct stsenv_engine *e)
{
	const struct stsenv_snap *s = atomic_load_explicit(&e->current, memory_order_acquire);
	int64_t now = mono(e);

	if (!valid_at(s, now))
		return get_slow(e);
	if (e->background && now >= atomic_load_explicit(&e->next_attempt, memory_order_relaxed) &&
	    !in_fetch)
		kick(e);
	return s;
}

const struct stsenv_snap *stsenv_engine_peek(struct stsenv_engine *e)
{
	const struct stsenv_snap *s = atomic_load_explicit(&e->current, memory_order_acquire);

	return valid_at(s, mono(e)) ? s : NULL;
}

void stsenv_engine_nudge(struct stsenv_engine *e)
{
	const struct stsenv_snap *s = atomic_load_explicit(&e->current, memory_order_acquire);
	int64_t now = mono(e);

	if (e->background && !in_fetch && valid_at(s, now) &&
	    now >= atomic_load_explicit(&e->next_attempt, memory_order_relaxed))
		kick(e);
}

void stsenv_engine_set_peer(struct stsenv_engine *e, const struct stsenv_peer *peer)
{
	pthread_mutex_lock(&e->mu);
	e->peer = peer;
	e->background = true;
	pthread_mutex_unlock(&e->mu);
}

void stsenv_engine_start(struct stsenv_engine *e)
{
	pthread_mutex_lock(&e->mu);
	start_thread_locked(e);
	pthread_mutex_unlock(&e->mu);
}

bool stsenv_engine_poll(struct stsenv_engine *e)
{
	bool ran = false;

	pthread_mutex_lock(&e->mu);
	if (!e->fetching && mono(e) >= atomic_load(&e->next_attempt)) {
		attempt(e);
		ran = true;
	}
	pthread_mutex_unlock(&e->mu);
	return ran;
}

void stsenv_engine_adopt(struct stsenv_engine *e, const struct stsenv_cred *c)
{
	struct stsenv_snap *s;
	char what[96];
	int64_t now = mono(e);

	pthread_mutex_lock(&e->mu);
	s = stsenv_snap_new(c, e->clock->real_ms(e->clock->ctx), now, e->generation + 1);
	if (s && valid_at(s, now)) {
		e->generation++;
		atomic_store(&e->current, s);
		atomic_store(&e->next_attempt,
			     stsenv_refresh_at(now, s->exp_mono_ms, e->margin_ms, next_rand(e)));
		if (stsenv_log_enabled(
			    STSENV_LOG_DEBUG)) { /* every process start: no idle printf */
			describe(s, what, sizeof(what));
			stsenv_log(STSENV_LOG_DEBUG, "adopted %s from the parent process", what);
		}
	} else {
		free(s);
	}
	pthread_mutex_unlock(&e->mu);
}

void stsenv_engine_status(struct stsenv_engine *e, struct stsenv_engine_status *st)
{
	pthread_mutex_lock(&e->mu);
	st->current = atomic_load(&e->current);
	st->attempts = e->attempts;
	st->fetched = e->fetched;
	st->unchanged = e->unchanged;
	st->from_peer = e->from_peer;
	st->failures = e->failures;
	st->next_attempt_in_ms = atomic_load(&e->next_attempt) - mono(e);
	st->thread_started = e->thread_started;
	snprintf(st->last_error, sizeof(st->last_error), "%s", e->last_error);
	pthread_mutex_unlock(&e->mu);
}

void stsenv_engine_fork_prepare(struct stsenv_engine *e)
{
	pthread_mutex_lock(&e->mu);
}

void stsenv_engine_fork_parent(struct stsenv_engine *e)
{
	pthread_mutex_unlock(&e->mu);
}

void stsenv_engine_fork_child(struct stsenv_engine *e)
{
	/* Only the forking thread exists here: the refresher and any fetch in
	 * flight in another thread are gone.  Start clean; a later read starts
	 * a refresher of the child's own. */
	init_sync(e);
	e->thread_started = false;
	e->fetching = false;
	atomic_store(&e->kicked, false);
	e->rng ^= (uint64_t)getpid() << 17;
	/* Forked workers inherit the parent's refresh time to the millisecond;
	 * spread them so that one fetches and the rest find its credential in
	 * the tree's page instead of all asking at once. */
	atomic_fetch_add(&e->next_attempt,
			 (int64_t)(next_rand(e) % (uint64_t)(e->margin_ms / 5 + 1)));
}
