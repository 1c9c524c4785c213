/* The freshness rules of the spec, checked on the engine with an injected
 * clock and a scripted source. */
#include "../../core/engine.h"
#include "../../core/log.h"
#include "unit.h"

#include <pthread.h>
#include <stdatomic.h>
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
	int sleep_ms; /* real sleep inside fetch, for the threaded tests */
};

static enum stsenv_fetch_rc fake_fetch(struct stsenv_source *b, int64_t timeout_ms,
				       struct stsenv_cred *out, struct stsenv_err *err)
{
	struct fake_source *s = (struct fake_source *)b;
	char buf[64];

	(void)timeout_ms;
	s->calls++;
	if (s->sleep_ms)
		usleep((useconds_t)s->sleep_ms * 1000);
	if (s->next == S_FAIL) {
		stsenv_err_set(err, "fake source down");
		return STSENV_FETCH_ERR;
	}
	if (s->next == S_NEW)
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
	for (int i = 0; i < 1000; i++) {
		advance(&r.clock, 100);
		b = stsenv_engine_get(r.e);
		CHECK(b == a);
	}
	CHECK(r.src->calls == 1);
}

static void test_refresh_at_window_and_jitter(void)
{
	int64_t now = 1000000, exp = now + 60 * MIN, margin = 15 * MIN;
	int64_t lo = INT64_MAX, hi = 0;

	for (uint64_t rnd = 0; rnd < 20000; rnd += 7) {
		int64_t at = stsenv_refresh_at(now, exp, margin, rnd * 2654435761u);
		CHECK(at >= exp - margin);
		CHECK(at <= exp - margin + margin / 5);
		lo = at < lo ? at : lo;
		hi = at > hi ? at : hi;
	}
	/* The jitter really spreads: most of its range is used. */
	CHECK(hi - lo > margin / 5 * 9 / 10);
	/* A credential shorter-lived than the margin: no refetch storm. */
	CHECK(stsenv_refresh_at(now, now + 10 * MIN, margin, 0) >= now + 60 * SEC);
	CHECK(stsenv_refresh_at(now, now + 4 * SEC, margin, 0) >= now + 1 * SEC);
	/* A key without expiry is looked at again now and then. */
	CHECK(stsenv_refresh_at(now, STSENV_NO_EXPIRY, margin, 0) > now);
}

static void test_refreshes_in_stale_window_only(void)
{
	struct rig r;
	const struct stsenv_snap *a, *b;
	int64_t wait;

	rig_init(&r, 60 * MIN, 15 * MIN);
	a = stsenv_engine_get(r.e);
	wait = next_in(&r);
	CHECK(wait >= 45 * MIN && wait <= 48 * MIN);
	advance(&r.clock, wait - 1);
	CHECK(!stsenv_engine_poll(r.e));
	CHECK(r.src->calls == 1);
	advance(&r.clock, 1);
	CHECK(stsenv_engine_poll(r.e));
	b = stsenv_engine_get(r.e);
	CHECK(b != a);
	CHECK_STR(b->id, "STS.gen0002");
	CHECK(b->generation == a->generation + 1);
	/* The old snapshot is still readable: handed-out pointers stay valid. */
	CHECK_STR(a->secret, "secret-1");
}

static void test_last_good_served_until_expiry_then_unset(void)
{
	struct rig r;
	const struct stsenv_snap *a;
	int polls = 0;

	rig_init(&r, 60 * MIN, 15 * MIN);
	a = stsenv_engine_get(r.e);
	r.src->next = S_FAIL;
	/* Walk to one second before expiry, polling as a refresher would. */
	while (r.clock.real < a->exp_real_ms - SEC) {
		advance(&r.clock, 500);
		polls += stsenv_engine_poll(r.e);
		CHECK(stsenv_engine_get(r.e) == a);
	}
	CHECK(polls > 3);   /* it did retry */
	CHECK(polls < 200); /* but backed off */
	advance(&r.clock, SEC);
	CHECK(stsenv_engine_get(r.e) == NULL); /* expired: never served */
	advance(&r.clock, 10 * MIN);
	CHECK(stsenv_engine_get(r.e) == NULL);
	r.src->next = S_NEW;
	advance(&r.clock, 2 * MIN); /* past any backoff */
	a = stsenv_engine_get(r.e);
	CHECK(a != NULL && strcmp(a->id, "STS.gen0002") == 0);
}

static void test_backoff_grows_with_jitter_and_is_capped(void)
{
	struct rig r;
	int64_t prev = 0;

	rig_init(&r, 60 * MIN, 15 * MIN);
	r.src->next = S_FAIL;
	CHECK(stsenv_engine_get(r.e) == NULL);
	for (int n = 1; n <= 10; n++) {
		int64_t d = next_in(&r);
		int64_t nominal = n > 7 ? 60 * SEC : ((int64_t)SEC << (n - 1));
		if (nominal > 60 * SEC)
			nominal = 60 * SEC;
		CHECK(d >= nominal / 2 && d <= nominal);
		if (n <= 5)
			CHECK(d >= prev / 2);
		prev = d;
		advance(&r.clock, d);
		CHECK(stsenv_engine_poll(r.e));
	}
	CHECK(r.src->calls == 11);
}

static void test_no_wait_while_in_backoff(void)
{
	struct rig r;

	rig_init(&r, 60 * MIN, 15 * MIN);
	r.src->next = S_FAIL;
	CHECK(stsenv_engine_get(r.e) == NULL);
	CHECK(r.src->calls == 1);
	/* Reads during the backoff answer "unset" at once, without fetching. */
	for (int i = 0; i < 100; i++)
		CHECK(stsenv_engine_get(r.e) == NULL);
	CHECK(r.src->calls == 1);
}

static void test_same_credential_does_not_spin(void)
{
	struct rig r;
	const struct stsenv_snap *a;
	struct stsenv_engine_status st;

	rig_init(&r, 60 * MIN, 15 * MIN);
	a = stsenv_engine_get(r.e);
	r.src->next = S_SAME;
	advance(&r.clock, next_in(&r));
	/* 14 minutes of polling every 100 ms against a source that keeps
	 * answering the same credential. */
	for (int i = 0; i < 14 * 600; i++) {
		advance(&r.clock, 100);
		stsenv_engine_poll(r.e);
		CHECK(stsenv_engine_get(r.e) == a);
	}
	stsenv_engine_status(r.e, &st);
	CHECK(st.unchanged > 5);
	CHECK(r.src->calls < 40); /* at most one a minute or so, not 8400 */
	CHECK(st.failures == 0);
}

static void test_short_lived_credentials_bounded_rate(void)
{
	struct rig r;

	/* Credentials that live 10 minutes with a 15 minute margin: the SDKs
	 * refetch on every call here.  We must not. */
	rig_init(&r, 10 * MIN, 15 * MIN);
	CHECK(stsenv_engine_get(r.e) != NULL);
	r.src->next = S_SAME;
	for (int i = 0; i < 5 * 600; i++) {
		advance(&r.clock, 100);
		stsenv_engine_poll(r.e);
		CHECK(stsenv_engine_get(r.e) != NULL);
	}
	CHECK(r.src->calls <= 1 + 5 * 60 / 60 + 2);
}

static void test_expired_from_source_is_refused(void)
{
	struct rig r;
	struct stsenv_engine_status st;

	rig_init(&r, 60 * MIN, 15 * MIN);
	r.src->next = S_EXPIRED;
	CHECK(stsenv_engine_get(r.e) == NULL);
	stsenv_engine_status(r.e, &st);
	CHECK(strstr(st.last_error, "expired") != NULL);
	CHECK(st.failures == 1);
}

static void test_wall_clock_jump_does_not_extend_life(void)
{
	struct rig r;
	const struct stsenv_snap *a;

	rig_init(&r, 60 * MIN, 15 * MIN);
	a = stsenv_engine_get(r.e);
	r.src->next = S_FAIL;
	/* The wall clock steps back an hour; monotonic time goes on. */
	r.clock.real -= 60 * MIN;
	r.clock.mono += 60 * MIN;
	CHECK(stsenv_engine_get(r.e) == NULL);
	(void)a;
}

static void test_adopted_credential_served_without_fetch(void)
{
	struct rig r;
	struct stsenv_cred c = {"STS.handed", "sec", "tok", 0};
	const struct stsenv_snap *s;

	rig_init(&r, 60 * MIN, 15 * MIN);
	c.exp_ms = r.clock.real + 30 * MIN;
	stsenv_engine_adopt(r.e, &c);
	s = stsenv_engine_get(r.e);
	CHECK(s && strcmp(s->id, "STS.handed") == 0);
	CHECK(r.src->calls == 0);
	CHECK(next_in(&r) >= 15 * MIN && next_in(&r) <= 18 * MIN);
	/* An expired hand-down is ignored. */
	rig_init(&r, 60 * MIN, 15 * MIN);
	c.exp_ms = r.clock.real - 1;
	stsenv_engine_adopt(r.e, &c);
	s = stsenv_engine_get(r.e);
	CHECK(s && strcmp(s->id, "STS.gen0001") == 0);
	CHECK(r.src->calls == 1);
}

/* Real threads and the real clock: a caller never waits past the timeout,
 * whatever the source does. */
static void test_wait_is_bounded_by_timeout(void)
{
	struct fake_source *src = calloc(1, sizeof(*src));
	struct fake_clock fc = {0, 0};
	struct stsenv_engine *e;
	struct timespec t0, t1;
	double took;

	src->base.kind = "fake";
	src->base.fetch = fake_fetch;
	src->base.destroy = fake_destroy;
	src->clock = &fc;
	src->sleep_ms = 3000; /* slower than the timeout; a real source would be cut off */
	src->next = S_FAIL;
	e = stsenv_engine_new(&(struct stsenv_engine_opts){.source = &src->base,
							   .clock = &stsenv_system_clock,
							   .margin_ms = 900 * SEC,
							   .timeout_ms = 300,
							   .background = true});
	/* First reader fetches (3 s); a second reader must give up at ~300 ms. */
	pthread_t t;
	pthread_create(&t, NULL, (void *(*)(void *))stsenv_engine_get, e);
	usleep(100 * 1000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(stsenv_engine_get(e) == NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* The bound is the point of the test; 2.5 s leaves room for a slow box. */
	CHECK(took < 2.5);
	pthread_join(t, NULL);
}

/* Real threads: readers and the background refresher race on the published
 * pointer; run under TSan by make test. */
static atomic_int rt_calls;

static enum stsenv_fetch_rc realtime_fetch(struct stsenv_source *b, int64_t timeout_ms,
					   struct stsenv_cred *out, struct stsenv_err *err)
{
	char buf[64];
	int gen = atomic_fetch_add(&rt_calls, 1) + 1;

	(void)b;
	(void)timeout_ms;
	(void)err;
	snprintf(buf, sizeof(buf), "STS.gen%04d", gen);
	out->id = strdup(buf);
	snprintf(buf, sizeof(buf), "secret-%04d", gen);
	out->secret = strdup(buf);
	snprintf(buf, sizeof(buf), "token-%04d", gen);
	out->token = strdup(buf);
	out->exp_ms = stsenv_system_clock.real_ms(NULL) + 3 * SEC;
	return STSENV_FETCH_OK;
}

struct reader_result {
	struct stsenv_engine *e;
	int torn, unset, gens;
};

static void *reader(void *arg)
{
	struct reader_result *r = arg;
	struct timespec t0, t;
	const struct stsenv_snap *last = NULL;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		const struct stsenv_snap *s = stsenv_engine_get(r->e);
		if (!s) {
			r->unset++;
		} else {
			if (strcmp(s->id + 7, s->secret + 7) != 0 ||
			    strcmp(s->id + 7, s->token + 6) != 0)
				r->torn++;
			if (s != last)
				r->gens++;
			last = s;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 4);
	return NULL;
}

static void test_concurrent_readers_with_background_refresh(void)
{
	struct stsenv_source *src = calloc(1, sizeof(*src));
	struct reader_result r[4];
	pthread_t t[4];
	struct stsenv_engine *e;

	src->kind = "fake";
	src->fetch = realtime_fetch;
	src->destroy = fake_destroy;
	e = stsenv_engine_new(&(struct stsenv_engine_opts){.source = src,
							   .clock = &stsenv_system_clock,
							   .margin_ms = 2 * SEC,
							   .timeout_ms = 1000,
							   .background = true});
	for (int i = 0; i < 4; i++) {
		r[i] = (struct reader_result){.e = e};
		pthread_create(&t[i], NULL, reader, &r[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK(r[i].torn == 0);
		CHECK(r[i].unset == 0);
		CHECK(r[i].gens >= 2);
	}
	/* Credentials live 3 s and are refreshed from 2 s before expiry: over
	 * 4 s that is about 4 fetches, whatever the number of readers. */
	CHECK(atomic_load(&rt_calls) >= 2 && atomic_load(&rt_calls) <= 8);
}

int main(void)
{
	stsenv_log_setup(STSENV_LOG_OFF, NULL);
	RUN(test_first_use_fetches_once_then_caches);
	RUN(test_refresh_at_window_and_jitter);
	RUN(test_refreshes_in_stale_window_only);
	RUN(test_last_good_served_until_expiry_then_unset);
	RUN(test_backoff_grows_with_jitter_and_is_capped);
	RUN(test_no_wait_while_in_backoff);
	RUN(test_same_credential_does_not_spin);
	RUN(test_short_lived_credentials_bounded_rate);
	RUN(test_expired_from_source_is_refused);
	RUN(test_wall_clock_jump_does_not_extend_life);
	RUN(test_adopted_credential_served_without_fetch);
	RUN(test_wait_is_bounded_by_timeout);
	RUN(test_concurrent_readers_with_background_refresh);
	UNIT_EXIT();
}
