/* Calls posix_spawn through its older symbol version (GLIBC_2.2.5), as
 * binaries built against old glibc do: the wrapper must reach those too.
 * usage: oldspawn READER */
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>

__asm__(".symver posix_spawn, posix_spawn@GLIBC_2.2.5");

extern char **environ;

int main(int argc, char **argv)
{
	char *args[] = {argv[1], "ALIBABA_CLOUD_ACCESS_KEY_ID", NULL};
	pid_t pid;
	int st;

	if (argc < 2 || posix_spawn(&pid, argv[1], NULL, NULL, args, environ) != 0)
		return 2;
	waitpid(pid, &st, 0);
	return 0;
}
