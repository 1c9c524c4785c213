/* The interposed functions.  Each is a few lines: everything else lives in
 * the runtime (rt.h) and in core/, which know nothing of interposition.
 *
 * The exec family may run in a vfork child (CPython's subprocess, Java's
 * spawn helper): there the wrappers take no lock and allocate nothing, and
 * their own frames are small (the child's environment is built in the
 * thread's buffer, execenv.c). */
#include "rt.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

extern char **environ;

/* libc's f, resolved at load (or now, for a call before our constructor). */
#define REAL(f) (stsenv_real.f ? stsenv_real.f : (stsenv_rt_resolve(), stsenv_real.f))

/* An exec or spawn wrapper: libc's name, called with args, in which env is
 * envp with the freshest credential (or envp).  Without libc's name (an
 * older libc) it fails as a stub would: with missing, ENOSYS in errno for
 * the exec family, as the result for spawn. */
#define ENV_WRAPPER(name, missing, params, target, args)                                           \
	EXPORT int name params                                                                     \
	{                                                                                          \
		if (!REAL(name))                                                                   \
			return missing;                                                            \
		struct stsenv_rt_target t_ = target;                                               \
		char **fresh_ = stsenv_rt_exec_env(envp, &t_);                                     \
		char *const *env = fresh_ ? fresh_ : envp;                                         \
		int rc_ = REAL(name) args;                                                         \
		if (fresh_)                                                                        \
			stsenv_rt_exec_env_done();                                                 \
		return rc_;                                                                        \
	}
#define EXEC_MISSING  (errno = ENOSYS, -1)
#define SPAWN_MISSING ENOSYS

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
		stsenv_rt_owned(name, strlen(name), value);
	return REAL(setenv)(name, value, overwrite);
}

EXPORT int unsetenv(const char *name)
{
	if (name)
		stsenv_rt_owned(name, strlen(name), NULL);
	return REAL(unsetenv)(name);
}

EXPORT int putenv(char *string)
{
	size_t n = string ? strcspn(string, "=") : 0;

	if (string) /* "NAME" alone removes it */
		stsenv_rt_owned(string, n, string[n] ? string + n + 1 : NULL);
	return REAL(putenv)(string);
}

EXPORT int clearenv(void)
{
	stsenv_rt_owned_all();
	return REAL(clearenv)();
}

/* ---- dlopen: libpython may arrive (python.c) ------------------------------ */

/* A tail call, so that libc's dlopen still sees our caller's address: it
 * searches a bare name along the caller's RUNPATH and RPATH, and expands
 * $ORIGIN from it.  Guaranteed where the compiler can be told; else the
 * sibling call of -O2, which tests/it/embed.sh checks. */
#if defined(__has_attribute)
#if __has_attribute(musttail)
#define TAIL __attribute__((musttail))
#endif
#endif
#ifndef TAIL
#define TAIL
#endif

EXPORT void *dlopen(const char *file, int mode)
{
	void *h;

	if (!REAL(dlopen))
		return NULL;
	if (!stsenv_rt_python_watch(file, __builtin_return_address(0)))
		TAIL return stsenv_real.dlopen(file, mode);
	if ((h = stsenv_real.dlopen(file, mode)))
		stsenv_rt_python_loaded(h);
	return h;
}

/* ---- exec and spawn ------------------------------------------------------ */

#define AT(dirfd, path, fd, search)                                                                \
	{                                                                                          \
		dirfd, path, fd, search                                                            \
	}

ENV_WRAPPER(execve, EXEC_MISSING, (const char *path, char *const argv[], char *const envp[]),
	    AT(AT_FDCWD, path, -1, false), (path, argv, env))

EXPORT int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

ENV_WRAPPER(execvpe, EXEC_MISSING, (const char *file, char *const argv[], char *const envp[]),
	    AT(AT_FDCWD, file, -1, true), (file, argv, env))

EXPORT int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

ENV_WRAPPER(fexecve, EXEC_MISSING, (int fd, char *const argv[], char *const envp[]),
	    AT(-1, NULL, fd, false), (fd, argv, env))

ENV_WRAPPER(execveat, EXEC_MISSING,
	    (int dirfd, const char *path, char *const argv[], char *const envp[], int flags),
	    AT(dirfd, path, (flags & AT_EMPTY_PATH) && !*path ? dirfd : -1, false),
	    (dirfd, path, argv, env, flags))

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

/* clang-format would read pid_t *pid, in a macro's argument, as a product. */
/* clang-format off */
ENV_WRAPPER(posix_spawn, SPAWN_MISSING,
	    (pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
	     const posix_spawnattr_t *attr, char *const argv[], char *const envp[]),
	    AT(AT_FDCWD, path, -1, false), (pid, path, fa, attr, argv, env))

ENV_WRAPPER(posix_spawnp, SPAWN_MISSING,
	    (pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
	     const posix_spawnattr_t *attr, char *const argv[], char *const envp[]),
	    AT(AT_FDCWD, file, -1, true), (pid, file, fa, attr, argv, env))
/* clang-format on */
