/* The interposed functions.  Each is a few lines: everything else lives in
 * the runtime (rt.h) and in core/, which know nothing of interposition.
 *
 * The exec family may run in a vfork child (CPython's subprocess, Java's
 * spawn helper): there the wrappers take no lock and allocate nothing, and
 * their own frames are small (the child's environment is built in the
 * thread's buffer, execenv.c). */
#include "rt.h"

#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

extern char **environ;

/* libc's f, resolved at load (or now, for a call before our constructor). */
#define REAL(f) (stsenv_real.f ? stsenv_real.f : (stsenv_rt_resolve(), stsenv_real.f))
/* For the exec family, which an older libc may lack: ENOSYS, as a stub would. */
#define MISSING(f) (!REAL(f) ? (errno = ENOSYS, 1) : 0)

/* Runs CALL with newenv: envp with the freshest credential, or envp. */
#define WITH_ENV(envp, newenv, CALL)                                                               \
	do {                                                                                       \
		char **fresh_ = stsenv_rt_exec_env(envp);                                          \
		char *const *newenv = fresh_ ? fresh_ : (envp);                                    \
		CALL;                                                                              \
		if (fresh_)                                                                        \
			stsenv_rt_exec_env_done();                                                 \
	} while (0)

EXPORT char *getenv(const char *name)
{
	return stsenv_rt_getenv(name, 0);
}

EXPORT char *secure_getenv(const char *name)
{
	return stsenv_rt_getenv(name, 1);
}

/* ---- the program's own word: setting or removing a name makes it its own */

EXPORT int setenv(const char *name, const char *value, int overwrite)
{
	/* Without overwrite an existing value stays: the program accepts it. */
	if (name && (overwrite || !REAL(getenv)(name)))
		stsenv_rt_owned(name, strlen(name));
	return REAL(setenv)(name, value, overwrite);
}

EXPORT int unsetenv(const char *name)
{
	if (name)
		stsenv_rt_owned(name, strlen(name));
	return REAL(unsetenv)(name);
}

EXPORT int putenv(char *string)
{
	if (string)
		stsenv_rt_owned(string, strcspn(string, "="));
	return REAL(putenv)(string);
}

EXPORT int clearenv(void)
{
	stsenv_rt_owned_all();
	return REAL(clearenv)();
}

/* ---- exec and spawn ------------------------------------------------------ */

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	int rc;

	if (MISSING(execve))
		return -1;
	WITH_ENV(envp, env, rc = REAL(execve)(path, argv, env));
	return rc;
}

EXPORT int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	int rc;

	if (MISSING(execvpe))
		return -1;
	WITH_ENV(envp, env, rc = REAL(execvpe)(file, argv, env));
	return rc;
}

EXPORT int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	int rc;

	if (MISSING(fexecve))
		return -1;
	WITH_ENV(envp, env, rc = REAL(fexecve)(fd, argv, env));
	return rc;
}

EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	int rc;

	if (MISSING(execveat))
		return -1;
	WITH_ENV(envp, env, rc = REAL(execveat)(dirfd, path, argv, env, flags));
	return rc;
}

/* The execl family: the variadic arguments into an argv on the stack (no
 * malloc: this may be a vfork child), then as execv*.  One pointer per
 * argument is all the stack it takes. */
#define COLLECT_ARGS(first, argv, ap, after)                                                       \
	size_t n_ = 1;                                                                             \
	va_start(ap, first);                                                                       \
	while (va_arg(ap, char *))                                                                 \
		n_++;                                                                              \
	va_end(ap);                                                                                \
	char *argv[n_ + 1];                                                                        \
	argv[0] = (char *)(first);                                                                 \
	va_start(ap, first);                                                                       \
	for (size_t i_ = 1; i_ <= n_; i_++)                                                        \
		argv[i_] = va_arg(ap, char *);                                                     \
	after;                                                                                     \
	va_end(ap)

EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;

	COLLECT_ARGS(arg, argv, ap, (void)0);
	return execve(path, argv, environ);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;

	COLLECT_ARGS(arg, argv, ap, (void)0);
	return execvpe(file, argv, environ);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
	char *const *envp;
	va_list ap;

	COLLECT_ARGS(arg, argv, ap, envp = va_arg(ap, char *const *));
	return execve(path, argv, envp);
}

EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		       const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	int rc;

	if (!REAL(posix_spawn))
		return ENOSYS;
	WITH_ENV(envp, env, rc = REAL(posix_spawn)(pid, path, fa, attr, argv, env));
	return rc;
}

EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	int rc;

	if (!REAL(posix_spawnp))
		return ENOSYS;
	WITH_ENV(envp, env, rc = REAL(posix_spawnp)(pid, file, fa, attr, argv, env));
	return rc;
}
