/* A busy multithreaded program, for a while: 64 threads read the
 * credential triple (and PATH and HOME, which go to libc) while 4 threads
 * change other names with setenv/unsetenv and 1 thread starts /bin/true
 * (posix_spawn and fork+execv in turn) and waits for it.  Checks that
 * every triple belongs together, that PATH and HOME read as they did at the
 * start, and that every child exits 0.  A deadlock dies of SIGALRM.
 *
 * The fake server encodes the generation in each value:
 *   id "STS.g000123.…", secret "fakesecret-g000123-…", token "faketoken-g000123-…"
 *
 * The credential names are read with no lock at all: stsenv serves them
 * from memory and never touches environ.  The rest follows glibc's rules,
 * as a correct program must: getenv of any name is not safe against a
 * setenv that adds a name (realloc moves the environ array; ASan's always
 * does), and the kernel reads an exec's envp twice (an unsetenv in between
 * is EFAULT).  So every STRESS_X name exists before the threads start; a
 * setter either replaces one of its own values (environ stays in place)
 * or, holding env_lock for writing, unsets one and sets it again; and the
 * PATH and HOME reads, fork and posix_spawn hold env_lock for reading.
 *
 * usage: stress SECONDS
 * prints: stress: reads=N torn=N generations=N spawns=N spawn_failures=N setenvs=N
 * (reads counts rounds of id, secret, token, PATH, HOME; torn counts rounds
 * whose triple does not belong together, or whose PATH or HOME changed) */
#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READERS	      64
#define SETTERS	      4
#define NAMES_PER_SET 8

extern char **environ;

static atomic_int stop;
static atomic_long reads, torn, unset, spawns, spawn_failures, setenvs;
static atomic_ulong seen[64]; /* bitmap of generations seen */
static char *path0, *home0;
static pthread_rwlock_t env_lock;

static long gen_of(const char *v, const char *prefix)
{
	size_t n = strlen(prefix);

	if (!v || strncmp(v, prefix, n) != 0)
		return -1;
	return strtol(v + n, NULL, 10);
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void *reader(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		for (int i = 0; i < 16; i++) {
			const char *id = getenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
			const char *secret = getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
			const char *token = getenv("ALIBABA_CLOUD_SECURITY_TOKEN");
			long g = gen_of(id, "STS.g");
			int changed;

			pthread_rwlock_rdlock(&env_lock);
			changed = !same(getenv("PATH"), path0) || !same(getenv("HOME"), home0);
			pthread_rwlock_unlock(&env_lock);
			atomic_fetch_add(&reads, 1);
			if (changed) {
				if (atomic_fetch_add(&torn, 1) == 0)
					fprintf(stderr, "stress: PATH or HOME read differently\n");
			} else if (!id && !secret && !token) {
				atomic_fetch_add(&unset, 1);
			} else if (g < 0 || g != gen_of(secret, "fakesecret-g") ||
				   g != gen_of(token, "faketoken-g")) {
				if (atomic_fetch_add(&torn, 1) == 0)
					fprintf(stderr, "stress: torn triple (generation %ld)\n",
						g);
			} else if (g < 64 * 64) {
				atomic_fetch_or(&seen[g / 64], 1UL << (g % 64));
			}
		}
		usleep(2000);
	}
	return NULL;
}

static void name_of(char *buf, size_t n, int setter, int k)
{
	snprintf(buf, n, "STRESS_X_%d", setter * NAMES_PER_SET + k);
}

static void *setter(void *arg)
{
	int me = (int)(long)arg;
	unsigned seed = (unsigned)me * 7919u + 1;
	char name[32], value[32];

	while (!atomic_load(&stop)) {
		unsigned r = (unsigned)rand_r(&seed);

		name_of(name, sizeof(name), me, (int)(r % NAMES_PER_SET));
		/* A few values only: glibc keeps every value it was given. */
		snprintf(value, sizeof(value), "v%u", (r >> 8) % 16);
		if (r & 0x10000) {
			setenv(name, value, 1);
			atomic_fetch_add(&setenvs, 1);
		} else {
			pthread_rwlock_wrlock(&env_lock);
			unsetenv(name);
			setenv(name, value, 1);
			pthread_rwlock_unlock(&env_lock);
			atomic_fetch_add(&setenvs, 2);
		}
		usleep(100);
	}
	return NULL;
}

static void *spawner(void *arg)
{
	char *argv[] = {"/bin/true", NULL};

	(void)arg;
	for (long n = 0; !atomic_load(&stop); n++) {
		const char *how = n % 2 ? "fork+execv" : "posix_spawn";
		pid_t pid = -1;
		int st = 0, err = 0;

		pthread_rwlock_rdlock(&env_lock);
		if (n % 2 == 0) {
			err = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
		} else {
			pid = fork();
			if (pid == 0) {
				alarm(10); /* not inherited by fork; kept across exec */
				execv(argv[0], argv);
				_exit(127);
			}
			err = pid < 0 ? errno : 0;
		}
		pthread_rwlock_unlock(&env_lock);
		if (!err && waitpid(pid, &st, 0) != pid)
			err = errno;
		atomic_fetch_add(&spawns, 1);
		if (!err && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			continue;
		if (atomic_fetch_add(&spawn_failures, 1) == 0)
			fprintf(stderr, "stress: %s of /bin/true failed: %s, status %#x\n", how,
				err ? strerror(err) : "no error", (unsigned)st);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 0, gens = 0;
	pthread_t r[READERS], s[SETTERS], sp;
	pthread_rwlockattr_t attr;
	struct timespec end;
	char name[32];

	if (seconds < 1) {
		fprintf(stderr, "usage: stress SECONDS\n");
		return 2;
	}
	alarm((unsigned)seconds + 30);
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&env_lock, &attr);
	path0 = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	home0 = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	/* Every name the setters touch exists before any thread starts. */
	for (int i = 0; i < SETTERS * NAMES_PER_SET; i++) {
		name_of(name, sizeof(name), i / NAMES_PER_SET, i % NAMES_PER_SET);
		unsetenv(name);
	}
	for (int i = 0; i < SETTERS * NAMES_PER_SET; i++) {
		name_of(name, sizeof(name), i / NAMES_PER_SET, i % NAMES_PER_SET);
		setenv(name, "v0", 1);
	}
	for (int i = 0; i < READERS; i++)
		pthread_create(&r[i], NULL, reader, NULL);
	for (long i = 0; i < SETTERS; i++)
		pthread_create(&s[i], NULL, setter, (void *)i);
	pthread_create(&sp, NULL, spawner, NULL);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += seconds;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &end, NULL) != 0)
		;
	atomic_store(&stop, 1);
	for (int i = 0; i < READERS; i++)
		pthread_join(r[i], NULL);
	for (int i = 0; i < SETTERS; i++)
		pthread_join(s[i], NULL);
	pthread_join(sp, NULL);
	for (int i = 0; i < 64; i++)
		gens += __builtin_popcountl(seen[i]);
	if (unset)
		fprintf(stderr, "stress: %ld rounds read the credential unset\n", (long)unset);
	printf("stress: reads=%ld torn=%ld generations=%d spawns=%ld spawn_failures=%ld "
	       "setenvs=%ld\n",
	       (long)reads, (long)torn, gens, (long)spawns, (long)spawn_failures, (long)setenvs);
	return torn || spawn_failures || gens < 2 ? 1 : 0;
}
