/* Starts children every way a program can, after the credential it was
 * started with has been rotated, and prints what each child read:
 *   vfork+execve, posix_spawn with an explicit envp, execle with an
 *   explicit envp, system, popen.
 * Then checks that a failed exec reports the same errno as without the
 * preload.  usage: spawner READER SLEEP_SECONDS */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void wait_child(pid_t pid)
{
	int st;

	waitpid(pid, &st, 0);
}

int main(int argc, char **argv)
{
	const char *reader = argv[1];
	char *args[] = {(char *)reader, "ALIBABA_CLOUD_ACCESS_KEY_ID", NULL};
	char cmd[512], line[512];
	pid_t pid;
	FILE *f;

	if (argc < 3)
		return 2;
	sleep((unsigned)atoi(argv[2]));
	printf("method vfork: ");
	fflush(stdout);
	pid = vfork();
	if (pid == 0) {
		execve(reader, args, environ);
		_exit(127);
	}
	wait_child(pid);
	printf("method posix_spawn: ");
	fflush(stdout);
	/* An explicit envp: a copy of environ, as Python's subprocess makes. */
	if (posix_spawn(&pid, reader, NULL, NULL, args, environ) == 0)
		wait_child(pid);
	printf("method execle: ");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execle(reader, reader, "ALIBABA_CLOUD_ACCESS_KEY_ID", (char *)NULL, environ);
		_exit(127);
	}
	wait_child(pid);
	printf("method system: ");
	fflush(stdout);
	snprintf(cmd, sizeof(cmd), "%s ALIBABA_CLOUD_ACCESS_KEY_ID", reader);
	if (system(cmd) != 0)
		printf("system failed\n");
	f = popen(cmd, "r");
	if (f && fgets(line, sizeof(line), f))
		printf("method popen: %s", line);
	if (f)
		pclose(f);
	/* errno of failed execs, as libc reports them. */
	errno = 0;
	execve("/no/such/program", args, environ);
	printf("errno ENOENT=%d\n", errno);
	snprintf(cmd, sizeof(cmd), "/tmp/stsenv-noexec-%d", (int)getpid());
	f = fopen(cmd, "w");
	fclose(f);
	chmod(cmd, 0644);
	errno = 0;
	execve(cmd, args, environ);
	printf("errno EACCES=%d\n", errno);
	unlink(cmd);
	return 0;
}
