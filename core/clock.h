/* Time as the engine sees it.  Injected so tests can move time at will. */
#ifndef STSENV_CLOCK_H
#define STSENV_CLOCK_H

#include <stdint.h>

struct stsenv_clock {
	int64_t (*mono_ms)(void *ctx); /* never steps; drives every deadline */
	int64_t (*real_ms)(void *ctx); /* wall clock, to read Expiration */
	void *ctx;
};

extern const struct stsenv_clock stsenv_system_clock;

#endif
