/* Prints NAME=value (or "NAME unset") for each NAME, read with getenv, or
 * with secure_getenv after --secure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	int secure = 0;

	for (int i = 1; i < argc; i++) {
		const char *v;
		if (strcmp(argv[i], "--secure") == 0) {
			secure = 1;
			continue;
		}
		v = secure ? secure_getenv(argv[i]) : getenv(argv[i]);
		if (v)
			printf("%s=%s\n", argv[i], v);
		else
			printf("%s unset\n", argv[i]);
	}
	return 0;
}
