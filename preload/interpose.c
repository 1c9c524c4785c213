/* The interposed libc functions.  Each is one line: everything else lives
 * in runtime.c and in the engine, which know nothing of interposition. */
#include "runtime.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT char *getenv(const char *name)
{
	return stsenv_getenv(name, 0);
}

EXPORT char *secure_getenv(const char *name)
{
	return stsenv_getenv(name, 1);
}
