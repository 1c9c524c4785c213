/* stsenv exec: the launcher.  It fetches the first credential, becomes the
 * keeper of the tree it starts (cli/keeper.h) and stays as the command's
 * parent: it keeps the tree's page fresh, forwards signals and exits with
 * the command's status. */
#include "cli.h"
#include "handoff.h"
#include "keeper.h"

#include "../core/delivery.h"
#include "../core/elfkind.h"
#include "../core/gobuild.h"
#include "../core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef STSENV_LIBDIR
#define STSENV_LIBDIR "/usr/local/lib/stsenv"
#endif
#ifndef STSENV_LIBDIR_REL
#define STSENV_LIBDIR_REL "../lib/stsenv"
#endif

/* libstsenv.so: STSENV_LIBRARY, beside this executable, or installed. */
static void library_path(char *buf, size_t len)
{
	char self[PATH_MAX], *slash, a[PATH_MAX + 32], b[PATH_MAX + 96];
	const char *cands[3], *lib = getenv("STSENV_LIBRARY");
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct stat st;

	buf[0] = '\0';
	if (lib && *lib) {
		snprintf(buf, len, "%s", lib);
		return;
	}
	self[n > 0 ? n : 0] = '\0';
	if ((slash = strrchr(self, '/')))
		*slash = '\0';
	snprintf(a, sizeof(a), "%s/libstsenv.so", self);
	/* Where make install put it relative to the command (../lib/stsenv,
	 * or ../lib/<multiarch>/stsenv for the package), so a tree copied
	 * elsewhere whole (an init container's volume) still finds it. */
	snprintf(b, sizeof(b), "%s/" STSENV_LIBDIR_REL "/libstsenv.so", self);
	cands[0] = a;
	cands[1] = b;
	cands[2] = STSENV_LIBDIR "/libstsenv.so";
	for (int i = 0; i < 3; i++) {
		if (stat(cands[i], &st) == 0 && realpath(cands[i], self)) {
			snprintf(buf, len, "%s", self);
			return;
		}
	}
}

static int prepend_preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *val;
	int rc;

	if (old && strstr(old, lib))
		return 0;
	if (asprintf(&val, "%s%s%s", lib, old && *old ? " " : "", old ? old : "") < 0)
		return -1;
	rc = setenv("LD_PRELOAD", val, 1);
	free(val);
	return rc;
}

/* Finds cmd as execvp would; false if it cannot. */
static bool find_command(const char *cmd, char *buf, size_t len)
{
	const char *path = getenv("PATH");

	if (strchr(cmd, '/')) {
		snprintf(buf, len, "%s", cmd);
		return true;
	}
	for (const char *p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");
		snprintf(buf, len, "%.*s%s%s", (int)n, p, n ? "/" : "", cmd);
		if (access(buf, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

/* Whether cmd is a Go program whose build lists Alibaba Cloud's
 * credentials SDK (core/gobuild.h): its default chain refreshes from a
 * credentials URI by itself. */
static bool has_go_chain(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	bool sdk = fd >= 0 && stsenv_go_has_sdk_chain(fd);

	if (fd >= 0)
		close(fd);
	return sdk;
}

/* How COMMAND gets the credential (STSENV_DELIVER, or what it is), said
 * once: and what a program that cannot load the preload will see. */
static int decide(const char *cmd, const struct exec_opts *o, const struct stsenv_snap *s,
		  int deliver)
{
	char path[PATH_MAX];
	enum stsenv_elf_kind kind;
	bool short_lived = s->exp_real_ms != STSENV_NO_EXPIRY &&
			   s->exp_real_ms - stsenv_real_ms() < 86400 * 1000LL;

	if (!find_command(cmd, path, sizeof(path)))
		return deliver == STSENV_DELIVER_AUTO ? STSENV_DELIVER_ENV : deliver;
	kind = stsenv_elf_kind(path);
	if (deliver == STSENV_DELIVER_AUTO && kind == STSENV_ELF_GO && has_go_chain(path)) {
		stsenv_log(
			STSENV_LOG_INFO,
			"%s is a Go program with Alibaba Cloud's credentials SDK: it gets the "
			"tree's credentials endpoint in ALIBABA_CLOUD_CREDENTIALS_URI, from which "
			"its default chain refreshes, instead of the variables (--deliver=env "
			"changes that)",
			cmd);
		return STSENV_DELIVER_URI;
	}
	if (deliver == STSENV_DELIVER_AUTO)
		deliver = STSENV_DELIVER_ENV;
	if ((kind != STSENV_ELF_STATIC && kind != STSENV_ELF_GO) || deliver == STSENV_DELIVER_URI)
		return deliver;
	stsenv_log(!o->on_rotate && short_lived ? STSENV_LOG_WARN : STSENV_LOG_INFO,
		   "%s is %s: it reads credentials at start only%s", cmd,
		   kind == STSENV_ELF_GO ? "a Go program" : "statically linked",
		   o->on_rotate ? ""
				: "; if it runs longer than a credential lives, use "
				  "--on-rotate=restart or --on-rotate=SIGNAL");
	return deliver;
}

static const char *environ_lookup(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

/* Gives our own environment, which the command inherits, the delivery
 * it is to have. */
static int deliver_env(struct cli *c, const char *endpoint, const struct stsenv_snap *s, int mode)
{
	struct stsenv_edit edits[STSENV_DELIVERY_EDITS];
	char rec[STSENV_DELIVERY_RECORD_MAX + 2 * PATH_MAX];
	const char *src_uri = c->desc.kind == STSENV_SRC_URI ? c->desc.v[STSENV_D_URI] : NULL;
	int n;

	if (mode == STSENV_DELIVER_ENV)
		return 0;
	n = stsenv_delivery_edits(mode, environ_lookup, NULL, s,
				  endpoint && *endpoint ? endpoint : NULL, src_uri, edits, rec,
				  sizeof(rec));
	for (int i = 0; i < n; i++)
		if ((edits[i].value ? setenv(edits[i].name, edits[i].value, 1)
				    : unsetenv(edits[i].name)) < 0)
			return -1;
	return 0;
}

static volatile pid_t child_pid;

/* Signals sent to stsenv by another process reach the command.  Those the
 * terminal generates (Ctrl-C) already reach it directly, as it shares our
 * process group: forwarding them too would deliver them twice. */
static void forward(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (child_pid > 0 && (si->si_code == SI_USER || si->si_code == SI_QUEUE) &&
	    si->si_pid != child_pid)
		kill(child_pid, sig);
}

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

/* Starts argv; 0, or the exit status for a command that cannot run. */
static int start(char **argv, pid_t *pid)
{
	int errpipe[2], err = 0, status;
	ssize_t got;

	if (pipe2(errpipe, O_CLOEXEC) < 0)
		return cli_fail("pipe: %s", strerror(errno));
	*pid = fork();
	if (*pid < 0)
		return cli_fail("fork: %s", strerror(errno));
	if (*pid == 0) {
		close(errpipe[0]);
		keeper_unharden(); /* the command dumps core as it would without us */
		execvp(argv[0], argv);
		err = errno;
		if (write(errpipe[1], &err, sizeof(err)) < 0) {
			/* the parent then sees a plain exit 127 */
		}
		_exit(EXIT_NOT_FOUND);
	}
	close(errpipe[1]);
	do
		got = read(errpipe[0], &err, sizeof(err));
	while (got < 0 && errno == EINTR);
	close(errpipe[0]);
	if (got == (ssize_t)sizeof(err)) {
		waitpid(*pid, &status, 0);
		fprintf(stderr, "stsenv: error: %s: %s\n", argv[0],
			err == ENOENT ? "command not found" : strerror(err));
		return err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
	}
	return 0;
}

static int delivery_mode; /* of the command, decided once */

/* Puts the credential into our own environment, which the command
 * inherits, delivered as it is to have it. */
static int hand_down(struct cli *c, const char *tree, const char *endpoint,
		     const struct stsenv_snap *s)
{
	if (stsenv_policy_place(&c->policy, &c->names, s, tree, getenv, setenv, unsetenv) < 0)
		return -1;
	return deliver_env(c, endpoint, s, delivery_mode);
}

/* Stops the command for a restart: TERM, then KILL after 10 s. */
static void stop(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		struct timespec t = {0, 100000000};
		if (waitpid(pid, &status, WNOHANG) == pid)
			return;
		nanosleep(&t, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

static int chld_pipe[2] = {-1, -1};

static void on_chld(int sig)
{
	int saved = errno;

	(void)sig;
	if (write(chld_pipe[1], "c", 1) < 0) {
		/* full: a wake-up is pending anyway */
	}
	errno = saved;
}

/* The command stopped itself (SIGTSTP from tmux's C-b C-z, bash's
 * suspend): stop ourselves with the same signal, as sudo does, so that the
 * shell that waits for us sees the job stop; continue it when continued. */
static void stopped(pid_t pid, int status)
{
	int sig = WSTOPSIG(status);

	if (sig != SIGTSTP && sig != SIGSTOP && sig != SIGTTIN && sig != SIGTTOU)
		return;
	kill(getpid(), sig == SIGSTOP ? SIGSTOP : sig);
	kill(pid, SIGCONT);
}

/* Waits for the command, keeping the tree's page fresh meanwhile (the
 * --on-rotate supervisor).  Returns its wait status, or -1. */
static int supervise(struct cli *c, struct keeper *k, char **argv, const struct exec_opts *o)
{
	pid_t pid = child_pid;
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), status;

	if (pipe2(chld_pipe, O_CLOEXEC | O_NONBLOCK) == 0)
		signal(SIGCHLD, on_chld);
	for (;;) {
		struct pollfd p[3] = {
			{k->clock_fd, POLLIN, 0}, {chld_pipe[0], POLLIN, 0}, {pidfd, POLLIN, 0}};
		/* Without pidfd (Linux < 5.3), look for the command's exit often. */
		int wait = keeper_wait_ms(k, pidfd >= 0 ? 60000 : 200), rc;
		char drain[64];

		poll(p, pidfd >= 0 ? 3 : 2, wait);
		if (p[0].revents & POLLIN)
			keeper_clock_stepped(k);
		while (read(chld_pipe[0], drain, sizeof(drain)) > 0)
			;
		rc = waitpid(pid, &status, WNOHANG | WUNTRACED);
		if (rc == pid && WIFSTOPPED(status)) {
			stopped(pid, status);
			continue;
		}
		if (rc == pid)
			break;
		if (rc < 0 && errno != EINTR)
			return -1;
		if (keeper_step(k, false) != STSENV_NEW || !o->on_rotate)
			continue;
		if (o->on_rotate > 0) {
			kill(pid, o->on_rotate);
			continue;
		}
		stsenv_log(STSENV_LOG_INFO, "credential rotated: restarting %s", argv[0]);
		stop(pid);
		if (pidfd >= 0)
			close(pidfd);
		if (hand_down(c, k->tree_value, k->ep.listen_fd >= 0 ? k->ep.url : NULL,
			      stsenv_engine_current(c->engine)) < 0 ||
		    (rc = start(argv, &pid)))
			return rc ? W_EXITCODE(rc, 0) : -1;
		child_pid = pid;
		pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	}
	if (pidfd >= 0)
		close(pidfd);
	return status;
}

/* Die of the command's signal, so our parent sees what happened; without a
 * core of our own, which would hold the tree's credentials. */
static int exit_like(int status)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		struct rlimit none = {0, 0};
		sigset_t set;

		getrlimit(RLIMIT_CORE, &none);
		none.rlim_cur = 0;
		setrlimit(RLIMIT_CORE, &none);
		signal(sig, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
		return 128 + sig;
	}
	return WEXITSTATUS(status);
}

/* COMMAND in our place, with a keeper of its own (cli/handoff.c): the
 * process its caller started and signals, stops and waits for is COMMAND. */
static int exec_in_place(struct cli *c, char **argv, const struct stsenv_snap *s, const char *lib)
{
	struct stsenv_err err = {0};
	struct handoff h;
	int e;

	if (handoff_keeper(c, s, &h, &err) < 0)
		return cli_fail("%s", err.msg);
	if (hand_down(c, h.tree_value, h.endpoint, s) < 0 || prepend_preload(lib) < 0)
		return cli_fail("cannot set up the environment: %s", strerror(errno));
	keeper_unharden(); /* the command dumps core as it would without us */
	execvp(argv[0], argv);
	e = errno;
	fprintf(stderr, "stsenv: error: %s: %s\n", argv[0],
		e == ENOENT ? "command not found" : strerror(e));
	return e == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}

int cmd_exec(struct cli *c, char **argv, const struct exec_opts *o)
{
	struct sigaction sa = {0};
	struct keeper k;
	struct stsenv_err err = {0};
	char lib[PATH_MAX];
	const struct stsenv_snap *s;
	pid_t pid;
	int rc, status;

	keeper_harden();
	library_path(lib, sizeof(lib));
	if (!lib[0])
		return cli_fail("cannot find libstsenv.so (set STSENV_LIBRARY)");
	if (access(lib, R_OK) != 0)
		return cli_fail("cannot read %s: %s", lib, strerror(errno));
	if (!(s = stsenv_engine_get(c->engine))) {
		struct stsenv_engine_status st;
		stsenv_engine_status(c->engine, &st);
		/* The engine has said why, once (unless STSENV_LOG=off). */
		return st.last_error[0] ? EXIT_OWN : cli_fail("no credential" STSENV_SEE_STATUS);
	}
	/* The launcher is where its tree starts: it says it, once. */
	stsenv_policy_warn_static(&c->policy, getenv, "");
	delivery_mode = decide(argv[0], o, s, c->cfg.deliver);
	if (!o->on_rotate)
		return exec_in_place(c, argv, s, lib);
	if (keeper_open(&k, c->engine, c->fingerprint, NULL, &err) < 0)
		return cli_fail("cannot keep the tree's credential: %s", err.msg);
	keeper_publish(&k);
	if (hand_down(c, k.tree_value, k.ep.listen_fd >= 0 ? k.ep.url : NULL, s) < 0 ||
	    prepend_preload(lib) < 0)
		return cli_fail("cannot set up the environment: %s", strerror(errno));
	sa.sa_sigaction = forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &sa, NULL);
	if ((rc = start(argv, &pid)))
		return rc;
	child_pid = pid;
	status = supervise(c, &k, argv, o);
	keeper_close(&k);
	if (status < 0)
		return cli_fail("waitpid: %s", strerror(errno));
	return exit_like(status);
}
