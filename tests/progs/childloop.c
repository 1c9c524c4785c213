/* A parent that starts a child every INTERVAL_MS for SECONDS, by vfork +
 * execve or by posix_spawn only (never fork, so no atfork handler ever
 * runs), with its environ, and never reads a name itself.
 * usage: childloop vfork|spawn INTERVAL_MS SECONDS PROGRAM [ARG...] */
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	struct timespec t0, now;
	int interval, seconds, st;
	bool vf;

	if (argc < 5)
		return 2;
	vf = strcmp(argv[1], "vfork") == 0;
	interval = atoi(argv[2]);
	seconds = atoi(argv[3]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		pid_t pid;

		fflush(stdout);
		if (vf) {
			pid = vfork();
			if (pid == 0) {
				execve(argv[4], argv + 4, environ);
				_exit(127);
			}
		} else if (posix_spawn(&pid, argv[4], NULL, NULL, argv + 4, environ) != 0) {
			return 1;
		}
		waitpid(pid, &st, 0);
		usleep((useconds_t)interval * 1000);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - t0.tv_sec < seconds);
	return 0;
}
