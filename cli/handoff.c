/* The launcher's tree, when it runs COMMAND in its own place (cli/exec.c):
 * a keeper of its own, `stsenv keep` (cli/keep.c), started before the exec
 * and watching this pid, which COMMAND then has.  So COMMAND is the process
 * its caller started: each signal sent to the job reaches it once, a
 * command that stops itself stops what the shell waits for, its exit is
 * the exit the caller sees.
 *
 * The keeper must not come back to COMMAND as a child: a reaper (PID 1 of
 * a container, a child subreaper) would get the orphan of a double fork.
 * There a guardian, forked with no exit signal (invisible to wait(-1)) and
 * never exec'd (an exec sets the exit signal back to SIGCHLD), stays the
 * keeper's parent until the keeper exits. */
#include "cli.h"
#include "handoff.h"

#include "../core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* In the process that becomes the keeper: its descriptors, then exec. */
static void exec_keeper(int channel, int pidfd, const char *exe, const char *root)
{
	char *argv[] = {"stsenv-keeper", "keep", "--root", (char *)root, NULL};
	int nul = open("/dev/null", O_RDWR);
	sigset_t none;

	/* Nothing of the command's but stderr, where the keeper logs. */
	if (nul >= 0) {
		dup2(nul, 0);
		dup2(nul, 1);
	}
	if (dup2(channel, 3) < 0 || (pidfd >= 0 && dup2(pidfd, 4) < 0))
		_exit(127);
	if (pidfd < 0)
		close(4);
	if (syscall(SYS_close_range, 5, ~0U, 0) < 0)
		for (int fd = 5; fd < 4096; fd++)
			close(fd);
	setsid();
	if (chdir("/") < 0)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execv(exe, argv);
	_exit(127);
}

static bool reaper(void)
{
	int sub = 0;

	return getpid() == 1 || (prctl(PR_GET_CHILD_SUBREAPER, &sub) == 0 && sub);
}

/* Forks the keeper off: double fork, or under a guardian (see above). */
static int fork_keeper(int channel, int pidfd, const char *exe, const char *root)
{
	bool guard = reaper();
	pid_t mid, k;
	int status;

	/* A clone with no exit signal: a fork that wait(-1) never sees. */
	mid = guard ? (pid_t)syscall(SYS_clone, 0, NULL, NULL, NULL, 0) : fork();
	if (mid < 0)
		return -1;
	if (mid == 0) {
		if ((k = fork()) == 0)
			exec_keeper(channel, pidfd, exe, root);
		/* Not a guardian: exit, and the keeper is orphaned. */
		while (guard && k > 0 && waitpid(k, &status, 0) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	if (!guard)
		waitpid(mid, &status, 0);
	return 0;
}

int handoff_keeper(struct cli *c, const struct stsenv_snap *s, struct handoff *h,
		   struct stsenv_err *err)
{
	struct stsenv_keep_request rq = {.margin_ms = c->cfg.margin_ms,
					 .timeout_ms = c->cfg.timeout_ms,
					 .log_level = c->cfg.log_level,
					 .desc = c->desc};
	char exe[PATH_MAX], root[16];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int sv[2], pidfd, fd, rc;
	size_t len;
	char *buf;

	memset(h, 0, sizeof(*h));
	if (n <= 0 || !stsenv_tree_new_name(rq.name)) {
		stsenv_err_set(err, "cannot find the stsenv command: %s", strerror(errno));
		return -1;
	}
	exe[n] = '\0';
	snprintf(rq.log_file, sizeof(rq.log_file), "%s", c->cfg.log_file);
	snprintf(root, sizeof(root), "%d", (int)getpid());
	len = stsenv_keep_request_packed_len(&rq);
	if (!(buf = malloc(len)) || stsenv_keep_request_pack(&rq, buf, len) != len ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		free(buf);
		stsenv_err_set(err, "cannot start the tree's keeper: %s", strerror(errno));
		return -1;
	}
	pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	rc = fork_keeper(sv[1], pidfd, exe, root);
	close(sv[1]);
	if (pidfd >= 0)
		close(pidfd);
	if (rc < 0 || send(sv[0], buf, len, MSG_NOSIGNAL) < 0 ||
	    !stsenv_keep_send_cred(sv[0], s->id, s->secret, s->token, s->exp_real_ms) ||
	    (fd = stsenv_tree_recv_page(sv[0], c->cfg.timeout_ms + 1000)) < 0) {
		stsenv_err_set(err, "cannot start the tree's keeper (%s keep): %s", exe,
			       errno == ETIMEDOUT ? "it did not answer" : strerror(errno));
		close(sv[0]);
		explicit_bzero(buf, len);
		free(buf);
		return -1;
	}
	close(sv[0]);
	explicit_bzero(buf, len);
	free(buf);
	h->view = stsenv_page_map(fd, c->fingerprint, err);
	close(fd);
	if (!h->view)
		return -1;
	h->tree.keeper = stsenv_page_keeper(h->view);
	memcpy(h->tree.name, rq.name, sizeof(h->tree.name));
	stsenv_tree_format(&h->tree, h->tree_value, sizeof(h->tree_value));
	if (!stsenv_page_endpoint(h->view, h->endpoint, sizeof(h->endpoint)))
		h->endpoint[0] = '\0';
	return 0;
}
