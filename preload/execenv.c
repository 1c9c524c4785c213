/* The environment an exec hands to its child.  Every exec and spawn
 * wrapper (interpose.c, WITH_ENV) calls stsenv_rt_exec_env(envp):
 *  1. the newest valid credential: stsenv_rt_current (member.c), the one
 *     handed down while it is fresh, else what the tree's keeper last
 *     published on its page, copied out of it (page.c);
 *  2. the plan (core/policy.c, stsenv_exec_plan): which entries of envp
 *     stsenv handed down (the STSENV_HANDOFF marker vouches for each
 *     value), which the caller set or removed itself (left alone), whether
 *     anything is to change at all (else envp goes on untouched);
 *  3. the new envp (stsenv_exec_fill): ours replaced, the marker and the
 *     tree's name updated, nothing added that the caller left out;
 * then the wrapper calls libc's own exec with it.
 *
 * It is built in a buffer of the calling thread's, mapped on first use and
 * kept: not on the stack, where an exec from a signal handler on an 8 KiB
 * alternate stack, or a posix_spawn from a 64 KiB thread with a 16 KiB
 * token (four names carry it), would not fit.  A vfork child runs on its
 * parent's thread, so it uses that thread's buffer, which nobody else
 * touches until the parent runs again: after the child's exec has copied
 * the strings into the new program.  No lock, no malloc: mmap only. */
#include "rt.h"

#include "../core/clock.h"
#include "../core/log.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_ENTRIES (1u << 20)	/* beyond, libc reports E2BIG as it would */
#define MAX_BUFFER  (32u << 20) /* ditto */
#define MIN_BUFFER  (64u * 1024)

struct xbuf {
	char *p;
	size_t cap;
	/* The pid building in it: a signal handler's exec in the middle of
	 * ours must not overwrite it.  A vfork child that execs never clears
	 * its mark, so only our own pid's counts. */
	pid_t busy;
};
static __thread struct xbuf xbuf __attribute__((tls_model("initial-exec")));

static char *room(size_t need)
{
	char *p;
	size_t cap;

	if (need <= xbuf.cap)
		return xbuf.p;
	if (need > MAX_BUFFER)
		return NULL;
	cap = (need + MIN_BUFFER - 1) & ~(size_t)(MIN_BUFFER - 1);
	p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, cap, MADV_DONTDUMP); /* it holds the credential */
	if (xbuf.p)
		munmap(xbuf.p, xbuf.cap);
	xbuf.p = p;
	xbuf.cap = cap;
	return p;
}

/* A process without a source has said so; a child that loads the preload
 * too is told, by STSENV_TREE_NONE, and stays quiet.  Only such a child:
 * an environment built without the preload (env -i) gets nothing added,
 * and one that names a tree already keeps it. */
static char **quiet_child_env(char *const envp[], pid_t me)
{
	static const char none[] = STSENV_TREE_VAR "=" STSENV_TREE_NONE;
	bool preload = false;
	char **out;
	size_t n;

	for (n = 0; envp[n]; n++) {
		if (n >= MAX_ENTRIES || strncmp(envp[n], STSENV_TREE_VAR "=", 12) == 0)
			return NULL;
		if (strncmp(envp[n], "LD_PRELOAD=", 11) == 0 && strstr(envp[n], "libstsenv"))
			preload = true;
	}
	if (!preload || !(out = (char **)room((n + 2) * sizeof(char *))))
		return NULL;
	xbuf.busy = me;
	memcpy(out, envp, n * sizeof(char *));
	out[n] = (char *)none;
	out[n + 1] = NULL;
	return out;
}

char **stsenv_rt_exec_env(char *const envp[])
{
	struct stsenv_rt *rt = &stsenv_rt;
	const struct stsenv_snap *s;
	struct stsenv_exec_plan plan;
	size_t need;
	char *buf;
	pid_t me;
	int saved = errno;

	if (!envp || !atomic_load_explicit(&rt->ready, memory_order_acquire) || !rt->active)
		return NULL;
	me = getpid();
	if (xbuf.busy == me)
		return NULL;
	s = stsenv_rt_current(stsenv_rt.cfg.timeout_ms);
	if (!stsenv_exec_plan(&plan, &rt->names, envp, s, atomic_load(&rt->tree), stsenv_real_ms(),
			      MAX_ENTRIES)) {
		char **quiet = rt->has_src ? NULL : quiet_child_env(envp, me);
		errno = saved;
		return quiet;
	}
	need = plan.slots * sizeof(char *) + plan.bytes;
	if (!(buf = room(need))) {
		/* Rather the caller's environment than none: the child's own
		 * preload, if it has one, reaches the tree. */
		stsenv_log(STSENV_LOG_WARN,
			   "no room for a fresh environment of %zu bytes; "
			   "handing the child its parent's",
			   need);
		errno = saved;
		return NULL;
	}
	xbuf.busy = me;
	stsenv_exec_fill(&plan, &rt->names, envp, s, atomic_load(&rt->tree), (char **)buf,
			 buf + plan.slots * sizeof(char *));
	errno = saved;
	return (char **)buf;
}

void stsenv_rt_exec_env_done(void)
{
	xbuf.busy = 0;
}
