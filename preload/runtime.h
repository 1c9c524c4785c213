/* The preload's glue between the interposed functions and the engine. */
#ifndef STSENV_RUNTIME_H
#define STSENV_RUNTIME_H

#include "../core/page.h"

#include <stdbool.h>
#include <stddef.h>

char *stsenv_getenv(const char *name, int secure);

/* A credential as handed to a child: field values, expiration text and
 * the handoff marker. */
struct stsenv_vals {
	const char *f[4]; /* by enum stsenv_field */
	char exp[32];
	char marker[64];
};

/* How to build a child's environment from envp: which credential, and
 * how much room the new envp (slots) and its strings (bytes) need. */
struct stsenv_envplan {
	struct stsenv_vals v;
	size_t entries; /* in envp when planned */
	size_t slots, bytes;
};

/* False: pass envp on unchanged.  Lock-free, allocation-free, no fetch:
 * it runs in vfork children.  pc is scratch space for a page read. */
bool stsenv_env_plan(char *const envp[], struct stsenv_page_cred *pc, struct stsenv_envplan *p);

/* Writes the new envp into out (plan->slots entries) and its strings into
 * buf (plan->bytes). */
void stsenv_env_fill(const struct stsenv_envplan *p, char *const envp[], char **out, char *buf);

/* In the parent, before posix_spawn: start a due refresh. */
void stsenv_before_spawn(void);

#endif
