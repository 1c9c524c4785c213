/* Prints its pid and the address getenv returns for NAME, then sleeps SECONDS: long
 * enough for someone to look at this process's memory map.
 * usage: addrof NAME SECONDS */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *v;

	if (argc < 3)
		return 2;
	v = getenv(argv[1]);
	printf("%d %p\n", (int)getpid(), (const void *)v);
	fflush(stdout);
	sleep((unsigned)atoi(argv[2]));
	return v ? 0 : 1;
}
