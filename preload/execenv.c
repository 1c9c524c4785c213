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
 * kept while the thread lives: not on the stack, where an exec from a
 * signal handler on an 8 KiB alternate stack, or a posix_spawn from a
 * 64 KiB thread with a 16 KiB token (four names carry it), would not fit.
 * A vfork child runs on its parent's thread, so it uses that thread's
 * buffer, which nobody else touches until the parent runs again: after the
 * child's exec has copied the strings into the new program.  The thread's
 * end unmaps it (a key's destructor: a vfork child, whose exec never
 * returns, maps into its parent's thread), so our memory is bounded by the
 * threads alive, not by those that have lived.  No lock, no malloc: mmap
 * only. */
#include "rt.h"

#include "../core/clock.h"
#include "../core/delivery.h"
#include "../core/gobuild.h"
#include "../core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

/* glibc keeps a key below 32 in the thread's own block: setting it takes
 * no lock and no malloc, even in a vfork child or a signal handler.  A
 * higher key could calloc, so then each buffer is unmapped after its call
 * instead (stsenv_rt_exec_env_done); only a vfork child's stays. */
#define KEY_INLINE 32
static pthread_key_t xkey;
static bool xkey_ok;

/* At the thread's end.  The buffer is forgotten before it is unmapped: a
 * signal handler's exec in between maps a new one, and glibc runs the
 * destructor again for it. */
static void unmap_at_exit(void *p)
{
	size_t cap = xbuf.cap;

	if (p != xbuf.p)
		return;
	xbuf.p = NULL;
	xbuf.cap = 0;
	atomic_signal_fence(memory_order_seq_cst);
	munmap(p, cap);
}

__attribute__((constructor)) static void make_key(void)
{
	xkey_ok = pthread_key_create(&xkey, unmap_at_exit) == 0 && xkey < KEY_INLINE;
}

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
	if (xkey_ok)
		pthread_setspecific(xkey, p);
	return p;
}

/* "NAME=value" at *strings, which moves past it. */
static char *put_entry(char **strings, const char *name, const char *value)
{
	size_t ln = strlen(name), lv = strlen(value);
	char *e = *strings;

	memcpy(e, name, ln);
	e[ln] = '=';
	memcpy(e + ln + 1, value, lv + 1);
	*strings += ln + lv + 2;
	return e;
}

/* A process without a source, or whose keeper could not be started, has
 * said so; a child that loads the preload too is told, by STSENV_TREE_NONE
 * or STSENV_TREE_FAILED (in `none`), and stays quiet.  Only such a child:
 * an environment built without the preload (env -i) gets nothing added,
 * and one that names a tree already keeps it. */
static char **quiet_child_env(char *const envp[], pid_t me, const char *none)
{
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

/* ---- delivery: variables or the tree's endpoint (core/delivery.h) ------ */

static const char *scan(void *ctx, const char *name)
{
	char *const *env = ctx;
	size_t n = strlen(name);

	for (; *env; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

static size_t count(char *const envp[])
{
	size_t n = 0;

	while (envp[n] && n < MAX_ENTRIES)
		n++;
	return n;
}

static int open_regular(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;

	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The file the exec will run, found as execvp finds it (the caller's
 * PATH); -1 if it cannot be told, which means variables, as before. */
static int open_target(const struct stsenv_rt_target *t)
{
	const char *path, *p;
	char cand[512]; /* small: this may run on an 8 KiB signal stack */

	if (t->fd >= 0)
		return t->fd;
	if (!t->path || !*t->path)
		return -1;
	if (!t->search || strchr(t->path, '/'))
		return open_regular(t->dirfd, t->path);
	path = stsenv_real.getenv ? stsenv_real.getenv("PATH") : NULL;
	for (p = path && *path ? path : "/bin:/usr/bin"; *p;) {
		size_t n = strcspn(p, ":"), f = strlen(t->path);
		int fd;

		if (n + f + 2 <= sizeof(cand)) {
			memcpy(cand, n ? p : ".", n ? n : 1);
			cand[n ? n : 1] = '/';
			memcpy(cand + (n ? n : 1) + 1, t->path, f + 1);
			if (access(cand, X_OK) == 0 && (fd = open_regular(AT_FDCWD, cand)) >= 0)
				return fd;
		}
		p += n + (p[n] == ':');
	}
	return -1;
}

/* env, uri or both for this child: STSENV_DELIVER, or what it is. */
static int target_mode(const struct stsenv_rt_target *t)
{
	int mode = stsenv_rt.cfg.deliver, fd;
	bool sdk;

	if (mode != STSENV_DELIVER_AUTO)
		return mode;
	if ((fd = open_target(t)) < 0)
		return STSENV_DELIVER_ENV;
	sdk = stsenv_go_has_sdk_chain(fd);
	if (fd != t->fd)
		close(fd);
	return sdk ? STSENV_DELIVER_URI : STSENV_DELIVER_ENV;
}

/* Room the delivery step may need for base (0: it has nothing to do). */
static size_t delivery_room(char *const base[], size_t n, const struct stsenv_snap *s)
{
	const char *rec = scan((void *)base, STSENV_DELIVERY_VAR), *uri;

	if (!rec && (stsenv_rt.cfg.deliver == STSENV_DELIVER_ENV || !s ||
		     !scan((void *)base, stsenv_delivery_triple[0])))
		return 0;
	uri = scan((void *)base, STSENV_URI_VAR);
	/* Entries: the planned ones may add a marker and a tree. */
	return (n + 4 + STSENV_DELIVERY_EDITS + 1) * sizeof(char *) + 2 * STSENV_PAGE_ENDPOINT_MAX +
	       2 * (STSENV_DELIVERY_RECORD_MAX + (uri ? strlen(uri) : 0) +
		    (rec ? strlen(rec) : 0)) +
	       (s ? strlen(s->id) + strlen(s->secret) + (s->token ? strlen(s->token) : 0) : 0) +
	       512;
}

/* base with the edits made, into out and strings. */
static char **apply(char *const base[], const struct stsenv_edit *e, int ne, char **out,
		    char *strings)
{
	bool done[STSENV_DELIVERY_EDITS] = {false};
	size_t k = 0;

	for (size_t i = 0; base[i]; i++) {
		int j = 0;

		while (j < ne && !(strncmp(base[i], e[j].name, strlen(e[j].name)) == 0 &&
				   base[i][strlen(e[j].name)] == '='))
			j++;
		if (j == ne) {
			out[k++] = base[i];
		} else if (!done[j]) {
			done[j] = true;
			if (e[j].value)
				out[k++] = put_entry(&strings, e[j].name, e[j].value);
		}
	}
	for (int j = 0; j < ne; j++)
		if (!done[j] && e[j].value)
			out[k++] = put_entry(&strings, e[j].name, e[j].value);
	out[k] = NULL;
	return out;
}

static char **deliver(char **base, const struct stsenv_rt_target *t, const struct stsenv_snap *s,
		      char *room_at, size_t room)
{
	struct stsenv_edit edits[STSENV_DELIVERY_EDITS];
	int mode = target_mode(t), ne;
	const char *uri = scan(base, STSENV_URI_VAR), *old = scan(base, STSENV_DELIVERY_VAR);
	size_t n = count(base), rlen = STSENV_DELIVERY_RECORD_MAX + 2 + (uri ? strlen(uri) : 0) +
				       (old ? strlen(old) : 0);
	char *rec = room_at + room - rlen;
	const char *endpoint = mode == STSENV_DELIVER_ENV ? NULL : stsenv_rt_endpoint();

	ne = stsenv_delivery_edits(mode, scan, base, s, endpoint, stsenv_rt.source_uri, edits, rec,
				   rlen);
	if (!ne)
		return base;
	return apply(base, edits, ne, (char **)room_at, room_at + (n + ne + 1) * sizeof(char *));
}

char **stsenv_rt_exec_env(char *const envp[], const struct stsenv_rt_target *t)
{
	struct stsenv_rt *rt = &stsenv_rt;
	const struct stsenv_snap *s;
	struct stsenv_exec_plan plan;
	size_t need = 0, extra;
	bool planned;
	char *buf, **out;
	pid_t me;
	int saved = errno;

	if (!envp || !atomic_load_explicit(&rt->ready, memory_order_acquire) || !rt->active)
		return NULL;
	me = getpid();
	if (xbuf.busy == me)
		return NULL;
	s = stsenv_rt_current(stsenv_rt.cfg.timeout_ms);
	planned = stsenv_exec_plan(&plan, &rt->names, envp, s, atomic_load(&rt->tree),
				   stsenv_real_ms(), MAX_ENTRIES);
	if (planned)
		need = (plan.slots * sizeof(char *) + plan.bytes + 15) & ~(size_t)15;
	extra = rt->has_src ? delivery_room(envp, planned ? plan.entries : count(envp), s) : 0;
	if (!planned && !extra) {
		static const char none[] = STSENV_TREE_VAR "=" STSENV_TREE_NONE,
				  failed[] = STSENV_TREE_VAR "=" STSENV_TREE_FAILED;
		char **quiet = !rt->has_src ? quiet_child_env(envp, me, none)
			       : atomic_load(&rt->keeper_failed) && !atomic_load(&rt->tree)
				       ? quiet_child_env(envp, me, failed)
				       : NULL;
		errno = saved;
		return quiet;
	}
	if (!(buf = room(need + extra))) {
		/* Rather the caller's environment than none: the child's own
		 * preload, if it has one, reaches the tree. */
		stsenv_log(STSENV_LOG_WARN,
			   "no room for a fresh environment of %zu bytes; "
			   "handing the child its parent's",
			   need + extra);
		errno = saved;
		return NULL;
	}
	xbuf.busy = me;
	out = (char **)envp;
	if (planned) {
		stsenv_exec_fill(&plan, &rt->names, envp, s, atomic_load(&rt->tree), (char **)buf,
				 buf + plan.slots * sizeof(char *));
		out = (char **)buf;
	}
	if (extra)
		out = deliver(out, t, s, buf + need, extra);
	errno = saved;
	if (out == (char **)envp) {
		xbuf.busy = 0;
		return NULL;
	}
	return out;
}

void stsenv_rt_exec_env_done(void)
{
	char *p = xbuf.p;

	xbuf.busy = 0;
	/* Without the key: unmapped now, unless this is a vfork child, whose
	 * parent's thread would see the buffer vanish under it. */
	if (!xkey_ok && p && getpid() == atomic_load(&stsenv_rt.pid))
		unmap_at_exit(p);
}
