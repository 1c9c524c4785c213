#include "clock.h"

#include <errno.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static atomic_bool by_syscall;

void stsenv_clock_by_syscall(bool on)
{
	atomic_store_explicit(&by_syscall, on, memory_order_relaxed);
}

static int64_t ms_of(clockid_t id)
{
	struct timespec ts;

	if (atomic_load_explicit(&by_syscall, memory_order_relaxed)) {
		int saved = errno;

		if (syscall(SYS_clock_gettime, id, &ts) == 0)
			return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		errno = saved; /* refused (a seccomp filter): the vDSO after all */
	}
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t stsenv_mono_ms(void)
{
	return ms_of(CLOCK_MONOTONIC);
}

/* The coarse clock is served from the vDSO in a few ns; its 4 ms tick is
 * far below any refresh margin, and getenv pays for it on every read. */
int64_t stsenv_mono_coarse_ms(void)
{
	return ms_of(CLOCK_MONOTONIC_COARSE);
}

int64_t stsenv_real_ms(void)
{
	return ms_of(CLOCK_REALTIME);
}

static int64_t sys_mono(void *ctx)
{
	(void)ctx;
	return stsenv_mono_coarse_ms();
}

static int64_t sys_real(void *ctx)
{
	(void)ctx;
	return stsenv_real_ms();
}

const struct stsenv_clock stsenv_system_clock = {sys_mono, sys_real, 0};
