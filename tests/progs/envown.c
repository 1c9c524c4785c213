/* What a program does to its own environment is final: after it sets,
 * puts, unsets or clears a name, getenv answers what it did.  Prints
 * NAME=value (or NAME unset) after each step.  Also: getenv never
 * changes errno.  usage: envown */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void show(const char *step, const char *name)
{
	const char *v = getenv(name);

	printf("%s %s=%s\n", step, name, v ? v : "(unset)");
}

int main(void)
{
	static char put[] = "OSS_ACCESS_KEY_ID=LTAIputOwnKey";

	errno = 4242;
	(void)getenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
	(void)getenv("NOT_A_CREDENTIAL_NAME");
	(void)secure_getenv("OSS_SESSION_TOKEN");
	printf("errno %d\n", errno);
	show("start", "ALIBABA_CLOUD_ACCESS_KEY_ID");
	setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIsetOwnKey", 1);
	show("setenv", "ALIBABA_CLOUD_ACCESS_KEY_ID");
	show("setenv-other", "ALIBABA_CLOUD_ACCESS_KEY_SECRET");
	unsetenv("ALIBABA_CLOUD_SECURITY_TOKEN");
	show("unsetenv", "ALIBABA_CLOUD_SECURITY_TOKEN");
	putenv(put);
	show("putenv", "OSS_ACCESS_KEY_ID");
	setenv("ALICLOUD_ACCESS_KEY", "LTAInoOverwrite", 0);
	show("setenv-no-overwrite", "ALICLOUD_ACCESS_KEY");
	clearenv();
	show("clearenv", "OSS_SESSION_TOKEN");
	show("clearenv", "ALICLOUD_ACCESS_KEY");
	setenv("OSS_SESSION_TOKEN", "tok-after-clear", 1);
	show("after-clear", "OSS_SESSION_TOKEN");
	return 0;
}
