/* fork() from a SIGALRM handler every 2 ms (POSIX lists fork as
 * async-signal-safe, so programs do it) while the main loop reads a
 * credential name, for SECONDS.  Prints the counts; a deadlock shows as a
 * timeout of whoever runs it.  usage: sigfork SECONDS */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t forks;

static void on_alarm(int sig)
{
	pid_t pid;

	(void)sig;
	pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		forks++;
}

int main(int argc, char **argv)
{
	struct itimerval it = {{0, 2000}, {0, 2000}};
	struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
	time_t end = time(NULL) + (argc > 1 ? atoi(argv[1]) : 3);
	long reads = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGCHLD, SIG_IGN);
	setitimer(ITIMER_REAL, &it, NULL);
	while (time(NULL) < end) {
		(void)getenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
		(void)getenv("OSS_SESSION_TOKEN");
		reads += 2;
	}
	signal(SIGALRM, SIG_IGN);
	printf("reads=%ld forks=%d\n", reads, (int)forks);
	return 0;
}
