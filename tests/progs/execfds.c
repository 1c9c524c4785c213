/* Reads the credential (so the preload fetches and its libraries open
 * what they open), then execs `ls /proc/self/fd`: the child must see only
 * what the program itself left open, plus the tree's page under stsenv. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	const char *id = getenv("ALIBABA_CLOUD_ACCESS_KEY_ID");

	fprintf(stderr, "read %s\n", id ? "a credential" : "nothing");
	execl("/bin/ls", "ls", "/proc/self/fd", (char *)NULL);
	return 127;
}
