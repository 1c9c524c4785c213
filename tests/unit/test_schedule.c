/* Each rule of the refresh schedule (core/schedule.h), as a pure function. */
#include "../../core/cred.h"
#include "../../core/schedule.h"
#include "unit.h"

#define SEC STSENV_SEC
#define MIN (60 * SEC)

static void test_min_gap(void)
{
	CHECK(stsenv_sched_min_gap(0) == SEC);
	CHECK(stsenv_sched_min_gap(4 * SEC) == SEC);
	CHECK(stsenv_sched_min_gap(80 * SEC) == 10 * SEC);
	CHECK(stsenv_sched_min_gap(60 * MIN) == 60 * SEC);
	CHECK(stsenv_sched_min_gap(-5) == SEC);
}

static void test_fresh_from_margin(void)
{
	struct stsenv_schedule s = {15 * MIN, 0};
	int64_t now = 1000000, exp = now + 60 * MIN;

	for (uint64_t r = 0; r < 5000; r += 7) {
		int64_t at = stsenv_sched_fresh(&s, now, exp, r * 2654435761u);
		CHECK(at >= exp - 15 * MIN && at <= exp - 15 * MIN + 2 * SEC);
	}
	/* A small margin: jitter at most margin/50. */
	s.margin_ms = 5 * SEC;
	for (uint64_t r = 0; r < 500; r++)
		CHECK(stsenv_sched_fresh(&s, now, now + 8 * SEC, r) <= now + 3 * SEC + 100);
	/* Never sooner than min_gap: a credential living less than the margin. */
	s.margin_ms = 15 * MIN;
	CHECK(stsenv_sched_fresh(&s, now, now + 10 * SEC, 0) == now + SEC + 250);
	/* No expiry: look again in 5 minutes. */
	CHECK(stsenv_sched_fresh(&s, now, STSENV_NO_EXPIRY, 0) == now + 5 * MIN);
}

static void test_fresh_after_learning(void)
{
	struct stsenv_schedule s = {5 * SEC, 0};

	/* Asked 5 s before expiry, same answer; new one 1 s later: lead 4 s. */
	stsenv_sched_learn(&s, 100 * SEC, 96 * SEC, true);
	CHECK(s.lead_ms == 4 * SEC);
	CHECK(stsenv_sched_fresh(&s, 96 * SEC, 104 * SEC, 0) == 100 * SEC);
	/* Without an "unchanged" first there is nothing to learn. */
	s.lead_ms = 0;
	stsenv_sched_learn(&s, 100 * SEC, 96 * SEC, false);
	CHECK(s.lead_ms == 0);
	/* Late by the margin or more, or after expiry: no lead (the margin). */
	stsenv_sched_learn(&s, 100 * SEC, 90 * SEC, true);
	CHECK(s.lead_ms == 0);
	stsenv_sched_learn(&s, 100 * SEC, 101 * SEC, true);
	CHECK(s.lead_ms == 0);
}

static void test_unchanged(void)
{
	int64_t now = 1000000;

	for (uint64_t r = 0; r < 1000; r++) {
		int64_t at = stsenv_sched_unchanged(now, now + 60 * MIN, r);
		CHECK(at >= now + 60 * SEC && at <= now + 75 * SEC);
		at = stsenv_sched_unchanged(now, now + 8 * SEC, r);
		CHECK(at >= now + SEC && at <= now + SEC + 250);
	}
	CHECK(stsenv_sched_unchanged(now, STSENV_NO_EXPIRY, 0) == now + 60 * SEC);
}

static void test_failed(void)
{
	int64_t now = 1000000;

	for (uint64_t r = 0; r < 1000; r++) {
		/* No credential: 1, 2, 4 ... 60 s, each jittered down by up to half. */
		for (unsigned n = 1; n < 12; n++) {
			int64_t full = n > 7			     ? 60 * SEC
				       : (SEC << (n - 1)) > 60 * SEC ? 60 * SEC
								     : SEC << (n - 1);
			int64_t at = stsenv_sched_failed(n, now, 0, r);
			CHECK(at >= now + full / 2 && at <= now + full);
		}
		/* A valid one with 20 s left: at most 5 s between attempts. */
		CHECK(stsenv_sched_failed(9, now, now + 20 * SEC, r) <= now + 5 * SEC);
		CHECK(stsenv_sched_failed(9, now, now + 2 * SEC, r) <= now + SEC);
	}
}

int main(void)
{
	RUN(test_min_gap);
	RUN(test_fresh_from_margin);
	RUN(test_fresh_after_learning);
	RUN(test_unchanged);
	RUN(test_failed);
	UNIT_EXIT();
}
