/* A daemon that reads its environment only at start, as Go services and
 * static binaries do: prints "start now=MS id=... exp=..." when it starts,
 * "hup now=MS" for each SIGHUP, and runs until a SIGTERM.  Built static. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t hups, done;

static void on_hup(int sig)
{
	(void)sig;
	hups++;
}

static void on_term(int sig)
{
	(void)sig;
	done = 1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(void)
{
	const char *id = getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"), *exp = getenv("STSENV_EXPIRATION");
	int seen = 0;

	signal(SIGHUP, on_hup);
	signal(SIGTERM, on_term);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("start now=%lld id=%s exp=%s\n", now_ms(), id ? id : "-", exp ? exp : "-");
	while (!done) {
		usleep(20000);
		for (; seen < hups; seen++)
			printf("hup now=%lld\n", now_ms());
	}
	return 0;
}
