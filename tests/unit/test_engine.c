/* The freshness rules (README, "Freshness rules"), checked on a keeper's engine with an
 * injected clock and a scripted source (schedule.c's rules on their own are
 * in test_schedule.c). */
#include "../../core/engine.h"
#include "../../core/log.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SEC 1000
#define MIN (60 * SEC)

struct fake_clock {
	int64_t mono, real;
};

static int64_t fc_mono(void *c)
{
	return ((struct fake_clock *)c)->mono;
}

static int64_t fc_real(void *c)
{
	return ((struct fake_clock *)c)->real;
}

static void advance(struct fake_clock *c, int64_t ms)
{
	c->mono += ms;
	c->real += ms;
}

enum step { S_NEW, S_SAME, S_FAIL, S_EXPIRED };

struct fake_source {
	struct stsenv_source base;
	struct fake_clock *clock;
	enum step next;
	int64_t ttl_ms;
	int calls, gen;
	int64_t lag_ms; /* the source rotates only this long before expiry */
	int64_t exp;	/* of its current credential */
	int lag_gen;	/* the generation exp belongs to */
};

static enum stsenv_fetch_rc fake_fetch(struct stsenv_source *b, int64_t timeout_ms,
				       struct stsenv_cred *out, struct stsenv_err *err)
{
	struct fake_source *s = (struct fake_source *)b;
	char buf[64];

	(void)timeout_ms;
	s->calls++;
	if (s->next == S_FAIL) {
		stsenv_err_set(err, "fake source down");
		return STSENV_FETCH_ERR;
	}
	/* A lagging source hands out a new credential only lag_ms before the
	 * current one expires, as the platform may. */
	if (s->next == S_NEW && (!s->lag_ms || !s->gen || s->clock->real >= s->exp - s->lag_ms))
		s->gen++;
	snprintf(buf, sizeof(buf), "STS.gen%04d", s->gen);
	out->id = strdup(buf);
	snprintf(buf, sizeof(buf), "secret-%d", s->gen);
	out->secret = strdup(buf);
	snprintf(buf, sizeof(buf), "token-%d", s->gen);
	out->token = strdup(buf);
	/* "same" must repeat the expiration too, so remember the first one. */
	out->exp_ms = s->next == S_EXPIRED
			      ? s->clock->real - SEC
			      : 1700000000000LL + (int64_t)s->gen * 1000000 + s->ttl_ms;
	if (s->lag_ms) /* credentials back to back: each issued when asked */
		out->exp_ms = s->exp = s->gen == s->lag_gen ? s->exp : s->clock->real + s->ttl_ms;
	s->lag_gen = s->gen;
	return STSENV_FETCH_OK;
}

static void fake_destroy(struct stsenv_source *b)
{
	free(b);
}

struct rig {
	struct fake_clock clock;
	struct stsenv_clock clk;
	struct fake_source *src;
	struct stsenv_engine *e;
};

/* Credentials expire at 1700000000000 + gen*1e6 + ttl; put the clock so the
 * first one has exactly ttl to live. */
static void rig_init(struct rig *r, int64_t ttl_ms, int64_t margin_ms)
{
	memset(r, 0, sizeof(*r));
	r->clock.mono = 5000000;
	r->clock.real = 1700000000000LL + 1000000;
	r->clk = (struct stsenv_clock){fc_mono, fc_real, &r->clock};
	r->src = calloc(1, sizeof(*r->src));
	r->src->base.kind = "fake";
	snprintf(r->src->base.where, sizeof(r->src->base.where), "fake");
	r->src->base.fetch = fake_fetch;
	r->src->base.destroy = fake_destroy;
	r->src->clock = &r->clock;
	r->src->ttl_ms = ttl_ms;
	r->e = stsenv_engine_new(&(struct stsenv_engine_opts){
		.source = &r->src->base,
		.clock = &r->clk,
		.margin_ms = margin_ms,
		.timeout_ms = 5000,
		.seed = 42,
	});
}

static int64_t next_in(struct rig *r)
{
	struct stsenv_engine_status st;

	stsenv_engine_status(r->e, &st);
	return st.next_attempt_in_ms;
}

static void test_first_use_fetches_once_then_caches(void)
{
	struct rig r;
	const struct stsenv_snap *a, *b;

	rig_init(&r, 60 * MIN, 15 * MIN);
	a = stsenv_engine_get(r.e);
	CHECK(a != NULL);
	CHECK(r.src->calls == 1);
	CHECK_STR(a->id, "STS.gen0001");
	CHECK(a->generation == 1);
	for (int i = 0; i < 1000; i++) {
		advance(&r.clock, 100);
		b = stsenv_engine_get(r.e);
		CHECK(b == a);
		CHECK(stsenv_engine_poll(r.e, false) == STSENV_NOT_DUE);
	}
	CHECK(r.src->calls == 1);
	stsenv_engine_destroy(r.e);
}

/* From Expiration - margin onwards, with a jitter of at most 2 s. */
static void test_refreshes_from_margin_with_small_jitter(void)
{
	for (uint64_t seed = 1; seed < 40; seed++) {
		struct rig r;
		int64_t at;

		rig_init(&r, 60 * MIN, 15 * MIN);
		stsenv_engine_destroy(r.e);
		r.src = calloc(1, sizeof(*r.src));
		r.src->base.kind = "fake";
		r.src->base.fetch = fake_fetch;
		r.src->base.destroy = fake_destroy;
		r.src->clock = &r.clock;
		r.src->ttl_ms = 60 * MIN;
		r.e = stsenv_engine_new(&(struct stsenv_engine_opts){.source = &r.src->base,
								     .clock = &r.clk,
								     .margin_ms = 15 * MIN,
								     .timeout_ms = 5000,
								     .seed = seed * 7919});
		CHECK(stsenv_engine_get(r.e) != NULL);
		at = next_in(&r);
		CHECK(at >= 45 * MIN && at <= 45 * MIN + 2 * SEC);
		advance(&r.clock, at - 1);
		CHECK(stsenv_engine_poll(r.e, false) == STSENV_NOT_DUE);
		advance(&r.clock, 1);
		CHECK(stsenv_engine_poll(r.e, false) == STSENV_NEW);
		CHECK(r.src->calls == 2);
		stsenv_engine_destroy(r.e);
	}
}

static void test_last_good_served_until_expiry_then_none(void)
{
	struct rig r;
	const struct stsenv_snap *a;

	rig_init(&r, 60 * MIN, 15 * MIN);
	a = stsenv_engine_get(r.e);
	r.src->next = S_FAIL;
	advance(&r.clock, 45 * MIN + 2 * SEC);
	CHECK(stsenv_engine_poll(r.e, false) == STSENV_FAILED);
	CHECK(stsenv_engine_valid(r.e) == a); /* a failed refresh never drops a valid one */
	for (int i = 0; i < 200 && stsenv_engine_valid(r.e); i++) {
		advance(&r.clock, 10 * SEC);
		stsenv_engine_poll(r.e, false);
		if (stsenv_engine_valid(r.e))
			CHECK(stsenv_engine_valid(r.e) == a);
	}
	CHECK(stsenv_engine_valid(r.e) == NULL);
	CHECK(stsenv_engine_current(r.e) == a);
	r.src->next = S_NEW;
	advance(&r.clock, 61 * SEC);
	CHECK(stsenv_engine_get(r.e) != NULL && stsenv_engine_get(r.e) != a);
	stsenv_engine_destroy(r.e);
}

/* Backoff: 1 s doubling to 60 s, jittered, at least four tries before the
 * credential expires. */
static void test_backoff_grows_and_keeps_trying_before_expiry(void)
{
	struct rig r;
	int tries = 0;

	rig_init(&r, 60 * MIN, 15 * MIN);
	stsenv_engine_get(r.e);
	r.src->next = S_FAIL;
	advance(&r.clock, 45 * MIN + 2 * SEC);
	while (stsenv_engine_valid(r.e)) {
		int64_t gap;
		if (stsenv_engine_poll(r.e, false) == STSENV_FAILED) {
			int64_t left = stsenv_engine_current(r.e)->exp_mono_ms - r.clock.mono;
			tries++;
			gap = next_in(&r);
			/* never longer than a quarter of what is left (1 s floor) */
			CHECK(gap >= 500 && gap <= 60 * SEC &&
			      gap <= (left / 4 > SEC ? left / 4 : SEC));
		}
		advance(&r.clock, SEC);
	}
	CHECK(tries >= 4 && tries <= 15 * 60);
	stsenv_engine_destroy(r.e);
}

/* The same credential again: no spin, at least min_gap apart. */
static void test_unchanged_does_not_spin(void)
{
	struct rig r;

	rig_init(&r, 60 * MIN, 15 * MIN);
	stsenv_engine_get(r.e);
	r.src->next = S_SAME;
	advance(&r.clock, 46 * MIN);
	for (int i = 0; i < 100; i++) {
		int64_t gap;
		CHECK(stsenv_engine_poll(r.e, false) == STSENV_UNCHANGED);
		gap = next_in(&r);
		CHECK(gap >= SEC && gap <= 75 * SEC);
		advance(&r.clock, gap);
		if (!stsenv_engine_valid(r.e))
			break;
	}
	CHECK(r.src->calls < 60);
	stsenv_engine_destroy(r.e);
}

/* Credentials shorter-lived than the margin: at most one request per
 * min_gap, not one per read. */
static void test_short_lived_bounded_rate(void)
{
	struct rig r;

	rig_init(&r, 10 * SEC, 15 * MIN);
	stsenv_engine_get(r.e);
	for (int i = 0; i < 1000; i++) {
		advance(&r.clock, 10);
		stsenv_engine_get(r.e);
		stsenv_engine_poll(r.e, false);
	}
	CHECK(r.src->calls <= 10);
	stsenv_engine_destroy(r.e);
}

static void test_expired_from_source_is_refused(void)
{
	struct rig r;

	rig_init(&r, 60 * MIN, 15 * MIN);
	r.src->next = S_EXPIRED;
	CHECK(stsenv_engine_get(r.e) == NULL);
	CHECK(stsenv_engine_current(r.e) == NULL);
	stsenv_engine_destroy(r.e);
}

/* The wall clock stepped back an hour: the credential still expires on
 * time, measured on the monotonic clock. */
static void test_wall_clock_jump_does_not_extend_life(void)
{
	struct rig r;
	const struct stsenv_snap *a;

	rig_init(&r, 60 * MIN, 15 * MIN);
	a = stsenv_engine_get(r.e);
	r.src->next = S_FAIL;
	r.clock.real -= 60 * MIN;
	r.clock.mono += 60 * MIN + 1;
	stsenv_engine_poll(r.e, false);
	CHECK(stsenv_engine_valid(r.e) == NULL);
	CHECK(a->exp_mono_ms <= r.clock.mono);
	stsenv_engine_destroy(r.e);
}

/* A wall clock stepped forward (a VM resumed after a pause): what is left
 * of the credential by the wall clock is what counts, and the refresh is
 * due by it, at the next poll, not when the monotonic deadline comes. */
static void test_wall_clock_forward_step_ends_life_early(void)
{
	struct rig r;
	const struct stsenv_snap *a, *b;

	rig_init(&r, 60 * MIN, 15 * MIN);
	a = stsenv_engine_get(r.e);
	CHECK(a && next_in(&r) >= 45 * MIN);
	/* 59m40s pass by the wall clock, none by the monotonic one. */
	r.clock.real += 60 * MIN - 20 * SEC;
	r.src->next = S_FAIL;
	stsenv_engine_poll(r.e, false);
	b = stsenv_engine_current(r.e);
	CHECK(b && b->generation == a->generation && b->exp_mono_ms <= r.clock.mono + 20 * SEC);
	CHECK(next_in(&r) <= 3 * SEC);
	CHECK(r.src->calls == 1); /* not yet: the schedule keeps its minimum gap */
	r.clock.mono += 3 * SEC;
	r.src->next = S_NEW;
	stsenv_engine_poll(r.e, false);
	CHECK(r.src->calls == 2 && stsenv_engine_current(r.e)->generation == 2);
	/* Stepped further than the credential lives: never valid again. */
	r.clock.real += 120 * MIN;
	r.src->next = S_FAIL;
	stsenv_engine_poll(r.e, false);
	CHECK(stsenv_engine_valid(r.e) == NULL);
	stsenv_engine_destroy(r.e);
}

/* A keeper started by a process that held a credential takes it and asks
 * the source only when it is due. */
static void test_adopted_credential_served_without_fetch(void)
{
	struct rig r;
	struct stsenv_cred c = {"STS.adopted", "s", "t", 0};
	struct stsenv_cred old = {"STS.old", "s", "t", 0};

	rig_init(&r, 60 * MIN, 15 * MIN);
	c.exp_ms = r.clock.real + 30 * MIN;
	old.exp_ms = r.clock.real - 1;
	CHECK(!stsenv_engine_adopt(r.e, &old));
	CHECK(stsenv_engine_adopt(r.e, &c));
	CHECK_STR(stsenv_engine_get(r.e)->id, "STS.adopted");
	CHECK(r.src->calls == 0);
	CHECK(next_in(&r) >= 15 * MIN && next_in(&r) <= 15 * MIN + 2 * SEC);
	advance(&r.clock, next_in(&r));
	CHECK(stsenv_engine_poll(r.e, false) == STSENV_NEW);
	CHECK(r.src->calls == 1);
	stsenv_engine_destroy(r.e);
}

/* A source that rotates later than the margin answers the same credential
 * at the refresh time.  The keeper retries, learns when the source really
 * rotates, and from the second rotation on asks once per rotation: at most
 * rotations + 2 requests, whatever the source's timing. */
static void test_learns_a_late_source(void)
{
	struct rig r;
	int rotations = 0;
	uint64_t gen = 0;

	rig_init(&r, 8 * SEC, 5 * SEC);
	r.src->lag_ms = 4 * SEC; /* rotates 4 s before expiry; we refresh at 5 s */
	stsenv_engine_get(r.e);
	gen = stsenv_engine_current(r.e)->generation;
	for (int ms = 0; ms < 60 * SEC; ms += 50) {
		advance(&r.clock, 50);
		stsenv_engine_poll(r.e, false);
		CHECK(stsenv_engine_valid(r.e) != NULL);
		if (stsenv_engine_current(r.e)->generation != gen) {
			gen = stsenv_engine_current(r.e)->generation;
			rotations++;
		}
	}
	CHECK(rotations >= 12);
	CHECK(r.src->calls <= 1 + rotations + 2);
	if (r.src->calls > 1 + rotations + 2)
		fprintf(stderr, "  %d requests for %d rotations\n", r.src->calls, rotations);
	stsenv_engine_destroy(r.e);
}

int main(void)
{
	stsenv_log_setup(STSENV_LOG_OFF, NULL);
	RUN(test_first_use_fetches_once_then_caches);
	RUN(test_refreshes_from_margin_with_small_jitter);
	RUN(test_last_good_served_until_expiry_then_none);
	RUN(test_backoff_grows_and_keeps_trying_before_expiry);
	RUN(test_unchanged_does_not_spin);
	RUN(test_short_lived_bounded_rate);
	RUN(test_expired_from_source_is_refused);
	RUN(test_wall_clock_jump_does_not_extend_life);
	RUN(test_wall_clock_forward_step_ends_life_early);
	RUN(test_adopted_credential_served_without_fetch);
	RUN(test_learns_a_late_source);
	UNIT_EXIT();
}
