/* Snapshots and the arena they live in (core/snap.h). */
#include "../../core/snap.h"
#include "unit.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#define PER_THREAD 20000

static void *alloc_many(void *arg)
{
	uintptr_t *out = arg;

	for (int i = 0; i < PER_THREAD; i++) {
		size_t n = 1 + (size_t)(i * 37 % 300);
		char *p = stsenv_arena_alloc(n);
		if (!p)
			return NULL;
		memset(p, i & 0xff, n); /* ASan and TSan: ours alone */
		out[i] = (uintptr_t)p;
	}
	return arg;
}

static int cmp(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/* Lock-free from many threads: every block distinct and 16-aligned. */
static void test_arena_concurrent(void)
{
	enum { T = 6 };
	static uintptr_t got[T * PER_THREAD];
	pthread_t t[T];

	for (int i = 0; i < T; i++)
		pthread_create(&t[i], NULL, alloc_many, got + i * PER_THREAD);
	for (int i = 0; i < T; i++) {
		void *r;
		pthread_join(t[i], &r);
		CHECK(r != NULL);
	}
	qsort(got, T * PER_THREAD, sizeof(got[0]), cmp);
	for (int i = 0; i < T * PER_THREAD; i++) {
		CHECK(got[i] % 16 == 0);
		if (i)
			CHECK(got[i] != got[i - 1]);
	}
	/* Bigger than a chunk. */
	CHECK(stsenv_arena_alloc(1 << 20) != NULL);
}

static void test_snapshot(void)
{
	struct stsenv_cred c = {"STS.abc", "sec", NULL, STSENV_NO_EXPIRY};
	const struct stsenv_snap *s = stsenv_snap_new(&c, 9, 3, 1000, 50, NULL), *t;

	CHECK(s && s->token == NULL && s->expiration == NULL && s->exp_mono_ms == STSENV_NO_EXPIRY);
	CHECK(strncmp(s->marker, "v2:0000000000000009:0:", 22) == 0);
	CHECK(stsenv_snap_valid(s, INT64_MAX - 1));
	c.token = "tok";
	c.exp_ms = 1700000000000LL;
	t = stsenv_snap_new(&c, 9, 4, 1700000000000LL - 5000, 100, s);
	CHECK(t && t->prev == s && t->generation == 4 && t->exp_mono_ms == 5100);
	CHECK_STR(t->expiration, "2023-11-14T22:13:20Z");
	CHECK_STR(stsenv_snap_field(t, STSENV_F_TOKEN), "tok");
	CHECK(stsenv_snap_valid(t, 5099) && !stsenv_snap_valid(t, 5100) &&
	      !stsenv_snap_valid(NULL, 0));
}

int main(void)
{
	RUN(test_arena_concurrent);
	RUN(test_snapshot);
	UNIT_EXIT();
}
