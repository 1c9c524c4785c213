/* Starts a child where little stack is left, as real programs do:
 *   altstack PROGRAM...  execv from a signal handler on an 8 KiB sigaltstack
 *   altstack-fail        the same with a path that does not exist: errno
 *   thread PROGRAM...    posix_spawn from a thread with a 64 KiB stack
 *   huge                 execve with 1.5 million environment entries: errno
 * Prints "rc=N errno=E" for what returns. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char **child_argv;
static volatile int handler_rc, handler_errno;

static void on_signal(int sig)
{
	(void)sig;
	/* A crash reporter's pattern: exec from the handler, on its stack. */
	handler_rc = execv(child_argv[0], child_argv);
	handler_errno = errno;
}

static int altstack(void)
{
	static char stack[8192];
	stack_t ss = {.ss_sp = stack, .ss_size = sizeof(stack)};
	struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_ONSTACK};

	if (sigaltstack(&ss, NULL) != 0)
		return 1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("rc=%d errno=%d\n", handler_rc, handler_errno);
	return 0;
}

static void *spawn_thread(void *arg)
{
	pid_t pid;
	int st, rc = posix_spawn(&pid, child_argv[0], NULL, NULL, child_argv, environ);

	(void)arg;
	if (rc == 0)
		waitpid(pid, &st, 0);
	printf("rc=%d errno=0\n", rc);
	return NULL;
}

static int small_thread(void)
{
	pthread_attr_t a;
	pthread_t t;

	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 * 1024);
	if (pthread_create(&t, &a, spawn_thread, NULL) != 0)
		return 1;
	pthread_join(t, NULL);
	return 0;
}

static int huge(void)
{
	size_t n = 1500000, k = 0;
	char **env = malloc((n + 64) * sizeof(*env)), *argv[] = {"/bin/true", NULL};

	for (char **e = environ; *e; e++)
		env[k++] = *e;
	while (k < n)
		env[k++] = "X=1";
	env[k] = NULL;
	errno = 0;
	printf("rc=%d errno=%d\n", execve("/bin/true", argv, env), errno);
	return 0;
}

int main(int argc, char **argv)
{
	static char *missing[] = {"/no/such/program", NULL};

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2)
		return 2;
	child_argv = argc > 2 ? argv + 2 : missing;
	if (strcmp(argv[1], "altstack") == 0 || strcmp(argv[1], "altstack-fail") == 0)
		return altstack();
	if (strcmp(argv[1], "thread") == 0)
		return small_thread();
	if (strcmp(argv[1], "huge") == 0)
		return huge();
	return 2;
}
