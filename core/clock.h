/* Time as the engine sees it.  Injected so tests can move time at will. */
#ifndef STSENV_CLOCK_H
#define STSENV_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct stsenv_clock {
	int64_t (*mono_ms)(void *ctx); /* never steps; drives every deadline */
	int64_t (*real_ms)(void *ctx); /* wall clock, to read Expiration */
	void *ctx;
};

extern const struct stsenv_clock stsenv_system_clock;

/* The system's clocks in ms, for code that takes no injected clock.  All
 * are vDSO calls: safe in signal handlers and vfork children. */
int64_t stsenv_mono_ms(void);	     /* CLOCK_MONOTONIC */
int64_t stsenv_mono_coarse_ms(void); /* CLOCK_MONOTONIC_COARSE: a few ns, 4 ms ticks */
int64_t stsenv_real_ms(void);	     /* CLOCK_REALTIME */

/* The same, inline and straight from the vDSO, for getenv's read path,
 * which takes one on every read of a served name. */
static inline int64_t stsenv_mono_coarse_ms_inline(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* CLOCK_REALTIME_COARSE: the wall clock an Expiration is judged by, on
 * the read path, where a step of the wall clock (a paused VM, NTP) must
 * not let the monotonic deadline outlive the real one. */
static inline int64_t stsenv_real_coarse_ms_inline(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* CLOCK_MONOTONIC in ns: how much work a thread did between two reads. */
static inline int64_t stsenv_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* While on, the clocks above are read by syscall: the vDSO's first call
 * faults in its data pages, two page faults that cost a process which
 * never reads a clock again (most execs) ten times the syscall. */
void stsenv_clock_by_syscall(bool on);

#endif
