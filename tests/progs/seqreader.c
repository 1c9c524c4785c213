/* Reads the credential in sequences, each name twice in a shuffled order
 * (as Node.js reads a long value twice, and as code reads a name again to
 * log it), one sequence every PAUSE_MS, in THREADS threads for SECONDS;
 * counts sequences whose values come from different credentials.
 * Values carry their generation (the fake server's "g000123").
 * usage: seqreader THREADS SECONDS PAUSE_MS */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const names[] = {
	"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
	"ALIBABA_CLOUD_SECURITY_TOKEN", "OSS_ACCESS_KEY_ID", "OSS_SESSION_TOKEN"};
static int seconds, pause_ms;
static atomic_long seqs, torn, unset, gens_seen;
static atomic_long last_gen;

static long gen_of(const char *v)
{
	const char *g = v ? strstr(v, "g0") : NULL;

	return g ? strtol(g + 1, NULL, 10) : -1;
}

static void *run(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	time_t end = time(NULL) + seconds;

	while (time(NULL) < end) {
		int order[10];
		long g = -2;
		bool bad = false, none = false;

		for (int i = 0; i < 10; i++)
			order[i] = i % 5;
		for (int i = 9; i > 0; i--) {
			int j = (int)(rand_r(&seed) % (unsigned)(i + 1)), t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (int i = 0; i < 10; i++) {
			long gi = gen_of(getenv(names[order[i]]));
			if (gi < 0)
				none = true;
			else if (g == -2)
				g = gi;
			else if (gi != g)
				bad = true;
		}
		atomic_fetch_add(&seqs, 1);
		if (none)
			atomic_fetch_add(&unset, 1);
		else if (bad)
			atomic_fetch_add(&torn, 1);
		else if (atomic_exchange(&last_gen, g) != g)
			atomic_fetch_add(&gens_seen, 1);
		usleep((useconds_t)pause_ms * 1000);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 3 ? atoi(argv[1]) : 2;
	pthread_t t[64];

	if (argc < 4 || threads < 1 || threads > 64)
		return 2;
	seconds = atoi(argv[2]);
	pause_ms = atoi(argv[3]);
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, run, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	printf("sequences=%ld torn=%ld unset=%ld changes=%ld\n", (long)seqs, (long)torn,
	       (long)unset, (long)gens_seen);
	return 0;
}
