/* A server that starts a thread per task, four at a time, and runs one
 * child per task: posix_spawn, or vfork and execve (as CPython's
 * subprocess does), of /bin/true with its environ.  Prints how much its
 * resident and virtual memory grew from the first hundred tasks to the
 * end: memory that grows with every thread that has lived is a leak.
 * It first waits WAIT seconds: for a rotation, after which every exec
 * rewrites the environment it hands on.
 * prints: tasks=N failures=N rss_growth_kib=N vm_growth_kib=N
 * usage: taskspawn TASKS spawn|vfork [WAIT] */
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int use_vfork;
static long failures;

static void *task(void *arg)
{
	char *argv[] = {"/bin/true", NULL};
	pid_t pid;
	int st = 0;

	(void)arg;
	if (use_vfork) {
		pid = vfork();
		if (pid == 0) {
			execve(argv[0], argv, environ);
			_exit(127);
		}
	} else if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0) {
		pid = -1;
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		__atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED);
	return NULL;
}

static long status_kib(const char *field)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, field, strlen(field)) == 0)
			v = atol(line + strlen(field));
	if (f)
		fclose(f);
	return v;
}

static void run(int from, int to)
{
	pthread_t t[4];

	for (int i = from; i < to; i += 4) {
		int n = to - i < 4 ? to - i : 4, started = 0;

		for (int k = 0; k < n; k++)
			started += pthread_create(&t[started], NULL, task, NULL) == 0;
		failures += n - started;
		for (int k = 0; k < started; k++)
			pthread_join(t[k], NULL);
	}
}

int main(int argc, char **argv)
{
	int tasks = argc > 1 ? atoi(argv[1]) : 3000;
	long rss0, vm0;

	use_vfork = argc > 2 && strcmp(argv[2], "vfork") == 0;
	sleep(argc > 3 ? (unsigned)atoi(argv[3]) : 0);
	run(0, 100);
	rss0 = status_kib("VmRSS:");
	vm0 = status_kib("VmSize:");
	run(100, tasks);
	printf("tasks=%d failures=%ld rss_growth_kib=%ld vm_growth_kib=%ld\n", tasks, failures,
	       status_kib("VmRSS:") - rss0, status_kib("VmSize:") - vm0);
	return failures != 0;
}
