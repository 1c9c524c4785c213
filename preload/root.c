/* Starting a tree: the first process of a plain-preload tree (or one whose
 * keeper is gone) runs a keeper of its own, `stsenv keep`, rather than a
 * thread.  A thread started at load breaks unshare(CLONE_NEWUSER) and has
 * hung tcmalloc programs, and fetching in the host would load libcurl into
 * it; a keeper costs one process per tree and makes the whole tree one
 * requester (doc/DESIGN.md, "One refresh per process tree").
 *
 * The keeper must not be a child the host can see: a host that waits for
 * "any child" would reap it, a SIGCHLD would reach the host's handler.  So
 * an intermediate, cloned with no exit signal (invisible to wait(-1)),
 * clones the keeper and exits; we reap it with __WCLONE, and the keeper
 * goes to the nearest reaper.  Where that reaper is the host itself (PID 1
 * of a container or of `unshare -p`, a child subreaper), the orphan would
 * come back to it as an ordinary child, and a host that reaps until no
 * child is left would wait for it forever: there the keeper is the host's
 * own child, cloned with no exit signal, which wait(-1) never sees; we
 * reap it with __WCLONE if it ever exits before us.  Both run on a stack
 * we map, with every signal blocked, doing nothing but system calls, as
 * glibc's posix_spawn does: this may run in a vfork child or at any point
 * of a multithreaded host. */
#include "rt.h"

#include "../core/clock.h"
#include "../core/log.h"
#include "../core/marker.h"

#include <errno.h>
#include <linux/futex.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK (32 * 1024) /* the spawn record, then three stacks */

struct spawn {
	const char *const *path;
	char *argv[5];
	char root[12];
	int channel, pidfd;
	pid_t keeper;
	int exec_errno;		/* why the keeper could not be started, if it could not */
	_Atomic uint32_t ready; /* the guardian has started the keeper (futex) */
	char *stack;		/* the mapping this lives in: stacks above it */
};

extern char **environ;

/* fd onto target, inheritable. */
static void move_fd(int fd, int target)
{
	if (fd == target)
		syscall(SYS_fcntl, fd, F_SETFD, 0);
	else
		syscall(SYS_dup3, fd, target, 0);
}

__attribute__((no_sanitize_address)) static int keeper_child(void *arg)
{
	struct spawn *sp = arg;
	long high = syscall(SYS_fcntl, sp->channel, F_DUPFD, 10);
	long watch = sp->pidfd >= 0 ? syscall(SYS_fcntl, sp->pidfd, F_DUPFD, 10) : -1;
	long nul = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR);

	/* Nothing of the host's but stderr: a pipe the keeper held open
	 * would keep the host's reader waiting for an EOF. */
	if (nul >= 0) {
		move_fd((int)nul, 0);
		move_fd((int)nul, 1);
	}
	move_fd((int)high, 3);
	if (watch >= 0)
		move_fd((int)watch, 4);
	else
		syscall(SYS_close, 4);
	if (syscall(SYS_close_range, 5, ~0U, 0) < 0)
		for (int fd = 5; fd < 4096; fd++)
			syscall(SYS_close, fd);
	syscall(SYS_setsid);
	syscall(SYS_chdir, "/");
	/* Signals stay blocked through exec; the keeper unblocks them.  Our
	 * memory is the parent's until exec: it learns why, if we fail. */
	for (int i = 0; i < 2; i++)
		if (sp->path[i]) {
			/* syscall() sets errno: the calling thread's, which waits. */
			syscall(SYS_execve, sp->path[i], sp->argv, environ);
			if (i == 0 || errno != ENOENT)
				sp->exec_errno = errno;
		}
	syscall(SYS_exit, 127);
	return 0;
}

__attribute__((no_sanitize_address)) static int intermediate(void *arg)
{
	struct spawn *sp = arg;

	sp->keeper =
		clone(keeper_child, sp->stack + 3 * STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, sp);
	syscall(SYS_exit, 0);
	return 0;
}

static void decimal(char *buf, unsigned v)
{
	char d[12];
	int k = 0;

	do
		d[k++] = (char)('0' + v % 10);
	while (v /= 10);
	while (k)
		*buf++ = d[--k];
	*buf = '\0';
}

/* Whether our orphans come back to us: PID 1 of a namespace, or a child
 * subreaper. */
static bool reaper(void)
{
	int sub = 0;

	return getpid() == 1 || (syscall(SYS_prctl, PR_GET_CHILD_SUBREAPER, &sub) == 0 && sub);
}

/* For a reaper host: stays the keeper's parent for as long as the keeper
 * lives, so that it is never reparented to the host.  It never execs (an
 * exec sets the exit signal back to SIGCHLD), so wait(-1) never sees it.
 * It shares our memory, touching nothing but its mapping, with every
 * signal blocked. */
__attribute__((no_sanitize_address)) static int guardian(void *arg)
{
	struct spawn *sp = arg;

	sp->keeper =
		clone(keeper_child, sp->stack + 3 * STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, sp);
	atomic_store(&sp->ready, 1);
	syscall(SYS_futex, &sp->ready, FUTEX_WAKE, 1, NULL, NULL, 0);
	while (sp->keeper > 0 && syscall(SYS_wait4, sp->keeper, NULL, 0, NULL) == -EINTR)
		;
	syscall(SYS_exit, 0);
	return 0;
}

/* Starts the keeper from the mapping sp lives in (3 stacks' worth). */
static pid_t launch(struct spawn *sp, bool own_child)
{
	struct timespec wait = {2, 0};
	pid_t mid;

	if (!own_child) {
		mid = clone(intermediate, sp->stack + 2 * STACK, CLONE_VM | CLONE_VFORK, sp);
		if (mid > 0)
			waitpid(mid, NULL, __WCLONE);
		return mid;
	}
	mid = clone(guardian, sp->stack + 2 * STACK, CLONE_VM, sp);
	while (mid > 0 && !atomic_load(&sp->ready) &&
	       syscall(SYS_futex, &sp->ready, FUTEX_WAIT, 0, &wait, NULL, 0) == 0)
		;
	return mid;
}

/* Runs `stsenv keep` with channel on 3 and a pidfd of us on 4; *why is
 * the errno of an exec that failed. */
static pid_t spawn_keeper(int channel, int *why)
{
	bool own_child = reaper();
	char *map = mmap(NULL, 4 * STACK, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	struct spawn *sp = (struct spawn *)map;
	sigset_t all, old;
	pid_t mid, keeper;

	if (map == MAP_FAILED)
		return -1;
	*sp = (struct spawn){.path = stsenv_rt.keeper_path, .channel = channel, .stack = map};
	/* The keeper lives as long as the process whose memory holds the page:
	 * from a vfork child, its parent. */
	decimal(sp->root, (unsigned)atomic_load(&stsenv_rt.pid));
	sp->argv[0] = "stsenv-keeper";
	sp->argv[1] = "keep";
	sp->argv[2] = "--root";
	sp->argv[3] = sp->root;
	sp->pidfd = (int)syscall(SYS_pidfd_open, atomic_load(&stsenv_rt.pid), 0);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	mid = launch(sp, own_child);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (sp->pidfd >= 0)
		close(sp->pidfd);
	*why = sp->exec_errno;
	keeper = mid > 0 && !sp->exec_errno ? sp->keeper : -1;
	if (own_child && mid > 0) { /* the guardian lives on its mapping */
		atomic_store(&stsenv_rt.own_keeper, mid);
		atomic_store(&stsenv_rt.own_map, map);
	} else {
		munmap(map, 4 * STACK);
	}
	return keeper;
}

/* The request with the socket's name in it, without copying it. */
static bool send_request(int fd, const char *name)
{
	size_t at = stsenv_keep_request_name_at();
	struct iovec iov[3] = {
		{(void *)stsenv_rt.request, at},
		{(void *)name, STSENV_TREE_NAME},
		{(void *)(stsenv_rt.request + at + STSENV_TREE_NAME),
		 stsenv_rt.request_len - at - STSENV_TREE_NAME},
	};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = 3};
	const struct stsenv_snap *s = atomic_load(&stsenv_rt.cur);

	if (sendmsg(fd, &m, MSG_NOSIGNAL) < 0)
		return false;
	/* A credential we hold already: the keeper takes it instead of
	 * asking the source for the same one again. */
	if (stsenv_snap_valid(s, stsenv_mono_coarse_ms()))
		return stsenv_keep_send_cred(fd, s->id, s->secret, s->token, s->exp_real_ms);
	return stsenv_keep_send_cred(fd, NULL, NULL, NULL, 0);
}

static const char *tree_value(pid_t keeper, const char *name)
{
	struct stsenv_tree t = {.keeper = keeper};
	char *v = stsenv_arena_alloc(STSENV_TREE_MAX);

	if (v) {
		memcpy(t.name, name, sizeof(t.name));
		stsenv_tree_format(&t, v, STSENV_TREE_MAX);
	}
	return v;
}

/* Says why, once per reason: a process retries every second. */
static void cannot(const char *what, const char *why)
{
	static _Atomic uint64_t said;
	uint64_t h = stsenv_value_hash(what) ^ stsenv_value_hash(why);

	if (atomic_exchange(&said, h) != h)
		stsenv_log(
			STSENV_LOG_ERROR,
			"no credential: cannot start the tree's keeper (%s): %s" STSENV_SEE_STATUS,
			what, why);
}

bool stsenv_rt_start_tree(void)
{
	struct stsenv_rt *rt = &stsenv_rt;
	struct stsenv_err err = {0};
	const struct stsenv_page_view *v = NULL;
	const char *path = rt->keeper_path[0] ? rt->keeper_path[0] : rt->keeper_path[1];
	char name[STSENV_TREE_NAME + 1];
	const char *tree;
	int sv[2], fd = -1, saved = errno, why = 0;
	pid_t keeper = -1, old = atomic_load(&rt->own_keeper);

	/* A keeper's guardian, our own child, that has gone: reaped here,
	 * where we notice, so that it is no zombie of the host's. */
	if (old > 0 && waitpid(old, NULL, WNOHANG | __WCLONE) == old) {
		atomic_store(&rt->own_keeper, 0);
		munmap(atomic_exchange(&rt->own_map, NULL), 4 * STACK);
	}
	/* A vfork child of a reaper would make the keeper its own child, to
	 * be reparented to the host when it execs: its program starts its own. */
	if (!rt->request || (getpid() != atomic_load(&rt->pid) && reaper()))
		goto out;
	if (!stsenv_tree_new_name(name) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		cannot(path, strerror(errno));
		goto out;
	}
	keeper = spawn_keeper(sv[1], &why);
	close(sv[1]);
	if (keeper <= 0 || !send_request(sv[0], name))
		cannot(path, strerror(why ? why : errno));
	else if ((fd = stsenv_tree_recv_page(sv[0], rt->cfg.timeout_ms + 1000)) < 0)
		cannot(path, errno == ETIMEDOUT ? "it did not answer"
						: "it exited (its own message says why)");
	close(sv[0]);
	if (fd >= 0) {
		v = stsenv_page_map(fd, rt->fingerprint, &err);
		close(fd);
		if (!v)
			cannot(path, err.msg);
	}
	if (!v || !(tree = tree_value(keeper, name))) {
		v = NULL;
		/* Its children are told, and stay quiet (execenv.c). */
		atomic_store(&rt->keeper_failed, true);
		goto out;
	}
	atomic_store(&rt->keeper_failed, false);
	atomic_store(&rt->tree, tree);
	atomic_store(&rt->seen_version, 0);
	atomic_store(&rt->endpoint, NULL); /* the new keeper's is another */
	atomic_store(&rt->page, v);
out:
	errno = saved;
	return v != NULL;
}
