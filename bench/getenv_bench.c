/* Measures, in one process and one run, what the preload costs a getenv:
 * ratios against libc's own getenv, in the same process, so a
 * noisy shared machine cancels out.  Run under LD_PRELOAD=libstsenv.so
 * with a credential available; see bench/run.sh.  libc's getenv is found
 * through dlopen("libc.so.6", RTLD_NOLOAD). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef char *(*getenv_fn)(const char *);

static volatile char *sink;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Best of several rounds: the minimum is the least disturbed by others. */
static double cost(getenv_fn f, const char *name, long n)
{
	double best = 1e18;

	for (int r = 0; r < 7; r++) {
		double t0 = now_ns();
		for (long i = 0; i < n; i++)
			sink = f(name);
		double per = (now_ns() - t0) / (double)n;
		if (per < best)
			best = per;
	}
	return best;
}

struct thr {
	long n;
	double per;
};

/* CPU time of the thread itself: with more threads than cores, wall time
 * would measure the scheduler, not contention on shared cache lines. */
static double thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void *thread_run(void *arg)
{
	struct thr *t = arg;
	double t0 = thread_cpu_ns();

	for (long i = 0; i < t->n; i++)
		sink = getenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
	t->per = (thread_cpu_ns() - t0) / (double)t->n;
	return NULL;
}

static double threaded(int k, long n)
{
	pthread_t th[16];
	struct thr a[16];
	double sum = 0;

	for (int i = 0; i < k; i++) {
		a[i].n = n;
		pthread_create(&th[i], NULL, thread_run, &a[i]);
	}
	for (int i = 0; i < k; i++) {
		pthread_join(th[i], NULL);
		sum += a[i].per;
	}
	return sum / k;
}

static void row(const char *what, double ours, double base, double goal)
{
	double ratio = ours / base;

	printf("| %-58s | %7.2f ns | %7.2f ns | %5.2f | <= %.2f | %s |\n", what, ours, base, ratio,
	       goal, ratio <= goal ? "met" : "MISSED");
}

int main(void)
{
	/* libc's own getenv: RTLD_NEXT from the executable would find the
	 * preload, which comes right after it in the lookup order. */
	void *libc_handle = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	getenv_fn libc = libc_handle ? (getenv_fn)dlsym(libc_handle, "getenv") : NULL;
	long n = 2000000;
	extern char **environ;
	int count = 0;
	const char *middle;
	char name[64];

	for (char **e = environ; *e; e++)
		count++;
	middle = environ[count / 2];
	snprintf(name, sizeof(name), "%.*s", (int)(strchr(middle, '=') - middle), middle);
	if (!libc || !getenv("ALIBABA_CLOUD_ACCESS_KEY_ID")) {
		fprintf(stderr, "run under the preload with a credential (bench/run.sh)\n");
		return 1;
	}
	if ((void *)libc == (void *)getenv) {
		fprintf(stderr, "getenv is not interposed\n");
		return 1;
	}
	printf("environment: %d variables; middle one: %s\n\n", count, name);
	printf("| %-58s | %10s | %10s | %5s | %7s | %s |\n", "measure", "stsenv", "baseline",
	       "ratio", "goal", "");
	printf("|%s|%s|%s|%s|%s|%s|\n",
	       "------------------------------------------------------------", "------------",
	       "------------", "-------", "---------", "-----");
	row("getenv(missing name): interposed vs libc", cost(getenv, "NOT_SET_ANYWHERE", n),
	    cost(libc, "NOT_SET_ANYWHERE", n), 1.05);
	row("getenv(\"PATH\"): interposed vs libc", cost(getenv, "PATH", n), cost(libc, "PATH", n),
	    1.05);
	row("getenv(managed id) vs libc getenv(middle variable)",
	    cost(getenv, "ALIBABA_CLOUD_ACCESS_KEY_ID", n), cost(libc, name, n), 1.0);
	double one = threaded(1, n);
	for (int k = 2; k <= 16; k *= 2) {
		char what[80];
		snprintf(what, sizeof(what), "managed getenv, %d threads vs 1 (CPU ns per call)",
			 k);
		row(what, threaded(k, n / 2), one, 1.2);
	}
	return 0;
}
