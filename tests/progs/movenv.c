/* A host that moves its environment, as setproctitle, uwsgi, nginx and
 * PostgreSQL do to make room for a process title: every environ string
 * copied, environ pointed at the copies, the old strings overwritten.  Then
 * it reads the credential once a second, the way a worker reads it per
 * request.  Then, as Perl does, it writes environ itself, without setenv:
 * a value of its own for one name (in the very block it freed, so at the
 * same address), another name removed; those must stay as it left them
 * while the rest stays live.
 *
 * The fake server encodes the generation in each value (see reader.c).
 * prints: reads=N generations=N torn=N expired=N unset=N
 *         own OSS_ACCESS_KEY_ID=... ALIBABA_CLOUD_SECURITY_TOKEN=... live=0|1
 * usage: movenv SECONDS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long gen_of(const char *v, const char *prefix)
{
	size_t n = strlen(prefix);

	return v && strncmp(v, prefix, n) == 0 ? strtol(v + n, NULL, 10) : -1;
}

static time_t parse_exp(const char *s)
{
	struct tm tm = {0};

	return s && strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) ? timegm(&tm) : 0;
}

/* What setproctitle does: copies of every string, a new array, and the
 * old strings overwritten (there the title goes). */
static void move_environ(void)
{
	size_t n = 0;
	char **copy;

	while (environ[n])
		n++;
	copy = malloc((n + 1) * sizeof(char *));
	for (size_t i = 0; i < n; i++)
		copy[i] = strdup(environ[i]);
	copy[n] = NULL;
	for (size_t i = 0; i < n; i++)
		memset(environ[i], 'x', strlen(environ[i]));
	environ = copy;
}

static char **entry(const char *name)
{
	size_t n = strlen(name);

	for (char **e = environ; *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return e;
	return NULL;
}

/* What Perl does for $ENV{X} = v and delete $ENV{Y}. */
static void write_environ_itself(void)
{
	char **e = entry("OSS_ACCESS_KEY_ID");
	size_t len;

	if (e) {
		len = strlen(*e);
		free(*e);
		*e = malloc(len + 1);
		memset(*e, 'o', len);
		(*e)[len] = '\0';
		memcpy(*e, "OSS_ACCESS_KEY_ID=LTAIown", 25);
	}
	if ((e = entry("ALIBABA_CLOUD_SECURITY_TOKEN")))
		do
			e[0] = e[1];
		while (*e++);
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 12, gens = 0;
	long reads = 0, torn = 0, expired = 0, unset = 0, last = -1;
	const char *own, *tok, *id;

	move_environ();
	for (int i = 0; i < seconds; i++) {
		const char *id = getenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
		const char *secret = getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
		const char *token = getenv("OSS_SESSION_TOKEN");
		long g = gen_of(id, "STS.g");

		reads++;
		if (!id) {
			unset++;
		} else {
			torn += g < 0 || g != gen_of(secret, "fakesecret-g") ||
				g != gen_of(token, "faketoken-g");
			/* Whole seconds in the text: one of slack. */
			expired += parse_exp(getenv("STSENV_EXPIRATION")) + 1 < time(NULL);
			gens += g != last;
			last = g;
		}
		sleep(1);
	}
	printf("reads=%ld generations=%d torn=%ld expired=%ld unset=%ld\n", reads, gens, torn,
	       expired, unset);
	write_environ_itself();
	own = getenv("OSS_ACCESS_KEY_ID");
	tok = getenv("ALIBABA_CLOUD_SECURITY_TOKEN");
	id = getenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
	printf("own OSS_ACCESS_KEY_ID=%.7s ALIBABA_CLOUD_SECURITY_TOKEN=%s live=%d\n",
	       own ? own : "(unset)", tok ? "(set)" : "(unset)",
	       last >= 0 && gen_of(id, "STS.g") >= last);
	return 0;
}
