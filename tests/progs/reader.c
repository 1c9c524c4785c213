/* An ordinary program that reads its AccessKey from the environment, the
 * way legacy tools do, in several threads, for a while.  It checks what a
 * user would need: every (id, secret, token) it reads belongs together,
 * nothing it reads has expired, and reads never block for long.
 *
 * The fake server encodes the generation in each value:
 *   id "STS.g000123.…", secret "fakesecret-g000123-…", token "faketoken-g000123-…"
 *
 * usage: reader THREADS SECONDS [--expect-unset-at-end] [--expect-none] */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int seconds;
static atomic_long triples, torn, expired, unset, max_read_ns;
static atomic_ulong seen[64]; /* bitmap of generations seen */

static long gen_of(const char *v, const char *prefix)
{
	size_t n = strlen(prefix);

	if (!v || strncmp(v, prefix, n) != 0)
		return -1;
	return strtol(v + n, NULL, 10);
}

static double now_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static time_t parse_exp(const char *s)
{
	struct tm tm = {0};

	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return timegm(&tm);
}

static void *run(void *arg)
{
	double end = now_s(CLOCK_MONOTONIC) + seconds;

	(void)arg;
	while (now_s(CLOCK_MONOTONIC) < end) {
		double t0 = now_s(CLOCK_MONOTONIC);
		const char *id = getenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
		const char *secret = getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
		const char *token = getenv("ALIBABA_CLOUD_SECURITY_TOKEN");
		const char *exp = getenv("STSENV_EXPIRATION");
		long ns = (long)((now_s(CLOCK_MONOTONIC) - t0) * 1e9);
		long g;

		if (ns > atomic_load(&max_read_ns))
			atomic_store(&max_read_ns, ns);
		atomic_fetch_add(&triples, 1);
		if (!id && !secret && !token) {
			atomic_fetch_add(&unset, 1);
			usleep(2000);
			continue;
		}
		g = gen_of(id, "STS.g");
		if (g < 0 || g != gen_of(secret, "fakesecret-g") ||
		    g != gen_of(token, "faketoken-g"))
			atomic_fetch_add(&torn, 1);
		else if (g < 64 * 64)
			atomic_fetch_or(&seen[g / 64], 1UL << (g % 64));
		/* Whole seconds in the text; a credential read in its last
		 * second would look expired without the slack. */
		if (parse_exp(exp) + 1 < (time_t)now_s(CLOCK_REALTIME))
			atomic_fetch_add(&expired, 1);
		usleep(200);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 8, gens = 0;
	int expect_unset_end = 0, expect_none = 0;
	pthread_t t[64];

	seconds = argc > 2 ? atoi(argv[2]) : 5;
	for (int i = 3; i < argc; i++) {
		expect_unset_end |= strcmp(argv[i], "--expect-unset-at-end") == 0;
		expect_none |= strcmp(argv[i], "--expect-none") == 0;
	}
	if (threads < 1 || threads > 64)
		threads = 8;
	/* Under injected malloc failures pthread_create itself fails (its TLS
	 * is calloc'd): join only the threads that started, and read from
	 * this one if none did. */
	int started = 0;
	for (int i = 0; i < threads; i++)
		started += pthread_create(&t[started], NULL, run, NULL) == 0;
	if (!started)
		run(NULL);
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 64; i++)
		gens += __builtin_popcountl(seen[i]);
	printf("triples=%ld generations=%d torn=%ld expired=%ld unset=%ld max_read_ms=%.1f\n",
	       atomic_load(&triples), gens, atomic_load(&torn), atomic_load(&expired),
	       atomic_load(&unset), (double)atomic_load(&max_read_ns) / 1e6);
	if (expect_unset_end && getenv("ALIBABA_CLOUD_ACCESS_KEY_ID")) {
		printf("names still set at the end\n");
		return 1;
	}
	if (expect_none && triples != unset) {
		printf("expected every read unset\n");
		return 1;
	}
	return torn || expired ? 1 : 0;
}
