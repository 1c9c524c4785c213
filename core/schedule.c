#include "schedule.h"

#include "cred.h"

static int64_t clamp(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static int64_t draw(uint64_t rnd, int64_t max)
{
	return max > 0 ? (int64_t)(rnd % (uint64_t)(max + 1)) : 0;
}

int64_t stsenv_sched_min_gap(int64_t remaining_ms)
{
	return clamp(remaining_ms / 8, 1 * STSENV_SEC, 60 * STSENV_SEC);
}

int64_t stsenv_sched_fresh(const struct stsenv_schedule *s, int64_t now, int64_t exp, uint64_t rnd)
{
	int64_t lead = s->lead_ms > 0 && s->lead_ms < s->margin_ms ? s->lead_ms : s->margin_ms;
	int64_t at, earliest;

	if (exp == STSENV_NO_EXPIRY)
		return now + STSENV_LONG_TERM_RECHECK_MS;
	/* One keeper per tree asks for everyone: the jitter only keeps many
	 * trees from asking a shared STS in the same millisecond. */
	at = exp - lead + draw(rnd, clamp(s->margin_ms / 50, 0, STSENV_JITTER_CAP_MS));
	earliest = now + stsenv_sched_min_gap(exp - now);
	return at < earliest ? earliest : at;
}

int64_t stsenv_sched_unchanged(int64_t now, int64_t exp, uint64_t rnd)
{
	int64_t gap = stsenv_sched_min_gap(exp == STSENV_NO_EXPIRY ? INT64_MAX / 2 : exp - now);

	return now + gap + draw(rnd, gap / 4);
}

int64_t stsenv_sched_failed(unsigned failures, int64_t now, int64_t exp, uint64_t rnd)
{
	int64_t cap = STSENV_BACKOFF_CAP_MS, delay;

	if (exp > now && exp != STSENV_NO_EXPIRY)
		cap = clamp((exp - now) / 4, STSENV_BACKOFF_BASE_MS, cap);
	delay = failures > 7 ? cap
			     : clamp(STSENV_BACKOFF_BASE_MS << (failures ? failures - 1 : 0),
				     STSENV_BACKOFF_BASE_MS, cap);
	return now + delay / 2 + draw(rnd, delay / 2);
}

void stsenv_sched_learn(struct stsenv_schedule *s, int64_t old_exp, int64_t now,
			bool answered_unchanged)
{
	int64_t lead = old_exp - now;

	if (!answered_unchanged || old_exp == STSENV_NO_EXPIRY || lead <= 0)
		return;
	/* The source rotated between the last "unchanged" and now: asking
	 * `lead` before the next expiry finds it rotated already. */
	s->lead_ms = lead < s->margin_ms ? lead : 0;
}
