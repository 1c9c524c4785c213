/* The interposed libc functions.  Each is a few lines: everything else
 * lives in runtime.c and in the engine, which know nothing of interposition.
 *
 * The exec family may run in a vfork child (CPython's subprocess, Java's
 * spawn helper, posix_spawn itself): there the wrappers take no lock and
 * allocate nothing; the child's environment is built on the stack. */
#include "runtime.h"

#include <dlfcn.h>
#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

extern char **environ;

EXPORT char *getenv(const char *name)
{
	return stsenv_getenv(name, 0);
}

EXPORT char *secure_getenv(const char *name)
{
	return stsenv_getenv(name, 1);
}

/* libc's function of the same name.  Resolved at load (below), so that a
 * vfork child never reaches dlsym, which may allocate. */
#define REAL(name)		     real_##name
#define DECLARE_REAL(ret, name, ...) static ret (*real_##name)(__VA_ARGS__)

DECLARE_REAL(int, execve, const char *, char *const[], char *const[]);
DECLARE_REAL(int, execvpe, const char *, char *const[], char *const[]);
DECLARE_REAL(int, fexecve, int, char *const[], char *const[]);
DECLARE_REAL(int, execveat, int, const char *, char *const[], char *const[], int);
DECLARE_REAL(int, posix_spawn, pid_t *, const char *, const posix_spawn_file_actions_t *,
	     const posix_spawnattr_t *, char *const[], char *const[]);
DECLARE_REAL(int, posix_spawnp, pid_t *, const char *, const posix_spawn_file_actions_t *,
	     const posix_spawnattr_t *, char *const[], char *const[]);

__attribute__((constructor(101))) static void resolve_exec(void)
{
	*(void **)&real_execve = dlsym(RTLD_NEXT, "execve");
	*(void **)&real_execvpe = dlsym(RTLD_NEXT, "execvpe");
	*(void **)&real_fexecve = dlsym(RTLD_NEXT, "fexecve");
	*(void **)&real_execveat = dlsym(RTLD_NEXT, "execveat");
	*(void **)&real_posix_spawn = dlsym(RTLD_NEXT, "posix_spawn");
	*(void **)&real_posix_spawnp = dlsym(RTLD_NEXT, "posix_spawnp");
}

/* Runs CALL with NEWENV bound to envp plus the freshest credential (or to
 * envp itself when there is nothing to change).  Nothing after CALL may
 * touch errno. */
#define WITH_FRESH_ENV(envp, newenv, CALL)                                                         \
	do {                                                                                       \
		struct stsenv_page_cred pc_;                                                       \
		struct stsenv_envplan plan_;                                                       \
		if (stsenv_env_plan((envp), &pc_, &plan_)) {                                       \
			char *newenv[plan_.slots];                                                 \
			char buf_[plan_.bytes];                                                    \
			stsenv_env_fill(&plan_, (envp), newenv, buf_);                             \
			CALL;                                                                      \
		} else {                                                                           \
			char *const *newenv = (envp);                                              \
			CALL;                                                                      \
		}                                                                                  \
	} while (0)

#define MISSING(fn) (!REAL(fn) ? (errno = ENOSYS, 1) : 0)

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	int rc;

	if (MISSING(execve))
		return -1;
	WITH_FRESH_ENV(envp, env, rc = REAL(execve)(path, argv, env));
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
	WITH_FRESH_ENV(envp, env, rc = REAL(execvpe)(file, argv, env));
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
	WITH_FRESH_ENV(envp, env, rc = REAL(fexecve)(fd, argv, env));
	return rc;
}

EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	int rc;

	if (MISSING(execveat))
		return -1;
	WITH_FRESH_ENV(envp, env, rc = REAL(execveat)(dirfd, path, argv, env, flags));
	return rc;
}

/* The execl family: collect the variadic arguments into an argv on the
 * stack (no malloc: this may be a vfork child), then as execv*. */
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
	stsenv_before_spawn();
	WITH_FRESH_ENV(envp, env, rc = REAL(posix_spawn)(pid, path, fa, attr, argv, env));
	return rc;
}

EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	int rc;

	if (!REAL(posix_spawnp))
		return ENOSYS;
	stsenv_before_spawn();
	WITH_FRESH_ENV(envp, env, rc = REAL(posix_spawnp)(pid, file, fa, attr, argv, env));
	return rc;
}
