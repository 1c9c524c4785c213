/* Prints when it ran and the credential it was handed, from its start-up
 * environment: "now=MS id=... exp=... token=LEN:GEN".  Built static, so it
 * never loads the preload: it sees only what its parent's exec handed it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(void)
{
	struct timespec ts;
	const char *id = getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"), *exp = getenv("STSENV_EXPIRATION");
	const char *tok = getenv("ALIBABA_CLOUD_SECURITY_TOKEN");

	clock_gettime(CLOCK_REALTIME, &ts);
	printf("now=%lld id=%s exp=%s token=%zu:%.18s\n",
	       (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, id ? id : "-", exp ? exp : "-",
	       tok ? strlen(tok) : 0, tok ? tok : "-");
	return 0;
}
