/* Reads the credential from a signal handler, 2000 times a second, while
 * the main thread reads it too and refreshes run: whatever the interrupted
 * thread holds, the handler's getenv must return.  usage: sigreader SECONDS */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static volatile sig_atomic_t calls, served;

static void on_alarm(int sig)
{
	(void)sig;
	calls++;
	if (getenv("ALIBABA_CLOUD_ACCESS_KEY_ID") && getenv("ALIBABA_CLOUD_SECURITY_TOKEN"))
		served++;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct itimerval it = {{0, 500}, {0, 500}};
	time_t end = time(NULL) + (argc > 1 ? atoi(argv[1]) : 5);
	long reads = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	while (time(NULL) < end)
		if (getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"))
			reads++;
	it.it_value.tv_usec = it.it_interval.tv_usec = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	printf("sigreader: handler_calls=%d served_in_handler=%d main_reads=%ld\n", (int)calls,
	       (int)served, reads);
	return calls > 100 ? 0 : 1;
}
