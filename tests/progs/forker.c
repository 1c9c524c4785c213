/* A multithreaded program that forks while its threads read credentials
 * (and while a refresh may be in flight): every child must be able to read
 * the names, without deadlock, and so must its own threads.
 * usage: forker CHILDREN SECONDS */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int stop;

static void *spin(void *arg)
{
	(void)arg;
	while (!stop) {
		(void)getenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
		(void)getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
		(void)getenv("ALIBABA_CLOUD_SECURITY_TOKEN");
	}
	return NULL;
}

/* The child must read, without deadlock, and must see the credential
 * change: proof that it has a refresher of its own after fork. */
static int child(int seconds)
{
	pthread_t t;
	time_t end = time(NULL) + seconds;
	const char *first = NULL;
	int reads = 0, changed = 0;

	alarm((unsigned)seconds + 20); /* a deadlock kills the child: reported as a failure */
	pthread_create(&t, NULL, spin, NULL);
	while (time(NULL) < end) {
		const char *id = getenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
		if (id && strncmp(id, "STS.", 4) == 0) {
			reads++;
			if (!first)
				first = id;
			else if (strcmp(first, id) != 0)
				changed = 1;
		}
		usleep(50000);
	}
	stop = 1;
	pthread_join(t, NULL);
	return reads == 0 ? 3 : changed ? 0 : 4;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 16, seconds = argc > 2 ? atoi(argv[2]) : 3, bad = 0;
	pthread_t t[4];
	pid_t *pids = calloc((size_t)n, sizeof(pid_t));

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, spin, NULL);
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(child(seconds));
		usleep(20000);
	}
	for (int i = 0; i < n; i++) {
		int st;
		waitpid(pids[i], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "child %d: %s %d\n", i, WIFEXITED(st) ? "exit" : "signal",
				WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
			bad++;
		}
	}
	stop = 1;
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("children=%d bad=%d\n", n, bad);
	return bad ? 1 : 0;
}
