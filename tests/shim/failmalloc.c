/* A fault-injection preload for tests: once STSENV_TEST_MALLOC_FAIL_AFTER_MS
 * have passed since the first allocation, every third malloc, calloc and
 * realloc fails with ENOMEM.  Loaded after libstsenv.so, it makes the
 * engine and libcurl meet allocation failures while a program reads its
 * credentials; the program must neither crash nor see a torn value. */
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static atomic_long start_ms, counter;
static long after_ms = -1;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int should_fail(void)
{
	long t = now_ms(), zero = 0;

	if (after_ms < 0) {
		/* getenv may not be safe this early in every program; environ is */
		extern char **environ;
		after_ms = 1000000000;
		for (char **e = environ; e && *e; e++)
			if (strncmp(*e, "STSENV_TEST_MALLOC_FAIL_AFTER_MS=", 33) == 0)
				after_ms = atol(*e + 33);
	}
	atomic_compare_exchange_strong(&start_ms, &zero, t);
	if (t - atomic_load(&start_ms) < after_ms)
		return 0;
	return atomic_fetch_add(&counter, 1) % 3 == 0;
}

void *malloc(size_t n)
{
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
	if (n && should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_realloc(p, n);
}
