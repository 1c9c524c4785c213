/* Prints the AccessKey id (redacted) and expiration it reads from the
 * environment once a second: the "unmodified program" of the demo. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10;

	for (int i = 0; i < n; i++) {
		const char *id = getenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
		const char *exp = getenv("STSENV_EXPIRATION");
		const char *tok = getenv("ALIBABA_CLOUD_SECURITY_TOKEN");
		char shown[32] = "(unset)";
		time_t now = time(NULL);
		char clock[16];

		/* Redacted as stsenv's log does, so the two can be matched. */
		if (id && strlen(id) >= 8)
			snprintf(shown, sizeof(shown), "%.5s****%c", id, id[strlen(id) - 1]);
		else if (id)
			snprintf(shown, sizeof(shown), "****");
		strftime(clock, sizeof(clock), "%H:%M:%S", gmtime(&now));
		printf("%s  ALIBABA_CLOUD_ACCESS_KEY_ID=%-16s  token: %zu bytes  expires %s\n",
		       clock, shown, tok ? strlen(tok) : 0, exp ? exp : "-");
		fflush(stdout);
		sleep(1);
	}
	return 0;
}
