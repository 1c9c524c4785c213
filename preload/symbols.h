/* Every function the preload exports, in one list: it generates the table
 * of libc's own functions (rt.h), their resolution at load (init.c) and the
 * export map (the Makefile runs this file through cpp).
 *
 * REAL(ret, name, params): exported, and libc's version resolved and called.
 * OWN(name): exported, implemented on top of the others. */
#define STSENV_SYMBOLS(REAL, OWN)                                                                  \
	REAL(char *, getenv, (const char *))                                                       \
	REAL(char *, secure_getenv, (const char *))                                                \
	REAL(int, setenv, (const char *, const char *, int))                                       \
	REAL(int, unsetenv, (const char *))                                                        \
	REAL(int, putenv, (char *))                                                                \
	REAL(int, clearenv, (void))                                                                \
	REAL(int, execve, (const char *, char *const[], char *const[]))                            \
	REAL(int, execvpe, (const char *, char *const[], char *const[]))                           \
	REAL(int, fexecve, (int, char *const[], char *const[]))                                    \
	REAL(int, execveat, (int, const char *, char *const[], char *const[], int))                \
	REAL(int, posix_spawn,                                                                     \
	     (pid_t *, const char *, const posix_spawn_file_actions_t *,                           \
	      const posix_spawnattr_t *, char *const[], char *const[]))                            \
	REAL(int, posix_spawnp,                                                                    \
	     (pid_t *, const char *, const posix_spawn_file_actions_t *,                           \
	      const posix_spawnattr_t *, char *const[], char *const[]))                            \
	REAL(void *, dlopen, (const char *, int))                                                  \
	OWN(execv)                                                                                 \
	OWN(execvp)                                                                                \
	OWN(execl)                                                                                 \
	OWN(execlp)                                                                                \
	OWN(execle)                                                                                \
	OWN(PyInit__stsenv)

#ifdef STSENV_EXPORT_MAP
/* cpp -P -DSTSENV_EXPORT_MAP preload/symbols.h > exports.map */
#define EXPORT_REAL(ret, name, params) name;
#define EXPORT_OWN(name)	       name;
{
global:
	STSENV_SYMBOLS(EXPORT_REAL, EXPORT_OWN)
local:
	*;
};
#endif
