/* The aliyun CLI's External mode: a helper program prints the credential as
 * JSON on stdout.  It runs without a shell, with stdin on /dev/null, and is
 * killed when it outlives the fetch's timeout.  Its output is secret, and so
 * may its arguments be: errors name argv[0] only and never quote output. */
#include "clock.h"
#include "credjson.h"
#include "json.h"
#include "source.h"
#include "timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct process_source {
	struct stsenv_source base;
	char **argv; /* NULL-terminated, pointing into words */
	char *words;
	stsenv_spawn_fn spawn;
};

/* Splits cmd on blanks as a shell does simple words: '…' is literal, "…"
 * honours \" and \\, a backslash outside quotes takes the next byte. */
static int split(const char *cmd, char *out, char **argv)
{
	const char *p = cmd;
	int n = 0;

	for (;;) {
		char q = 0;

		p += strspn(p, " \t\r\n");
		if (!*p)
			break;
		for (argv[n++] = out; *p && (q || !strchr(" \t\r\n", *p)); p++) {
			if (q && *p == q)
				q = 0;
			else if (q == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
				*out++ = *++p;
			else if (!q && (*p == '\'' || *p == '"'))
				q = *p;
			else if (!q && *p == '\\' && p[1])
				*out++ = *++p;
			else
				*out++ = *p;
		}
		if (q)
			return -1;
		*out++ = '\0';
	}
	argv[n] = NULL;
	return n;
}

static pid_t spawn(struct process_source *s, int outfd, struct stsenv_err *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	pid_t pid = -1;
	int rc;

	/* The keeper runs this, never a process of the tree: its environment
	 * holds no preload of ours (the keeper removed it when it started),
	 * and its caller gave libc's own spawn, not the preload's wrapper. */
	/* We may run on a thread with signals blocked, in a program that ignores
	 * SIGPIPE: the helper starts with default signal handling. */
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, outfd, 1);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	rc = s->spawn(&pid, s->argv[0], &fa, &attr, s->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		stsenv_err_set(err, "cannot run credential process %s: %s", s->argv[0],
			       strerror(rc));
		return -1;
	}
	return pid;
}

/* Reads the helper's stdout into buf until EOF (0), the deadline or more
 * than STSENV_MAX_BODY bytes (-1, err set).  *len counts what was read. */
static int read_all(const char *name, int fd, char *buf, size_t *len, int64_t timeout_ms,
		    struct stsenv_err *err)
{
	int64_t deadline = stsenv_mono_ms() + timeout_ms;

	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - stsenv_mono_ms();
		ssize_t n;

		if (left <= 0) {
			stsenv_err_set(err, "credential process %s timed out after %lld ms", name,
				       (long long)timeout_ms);
			return -1;
		}
		if (poll(&pfd, 1, left > 60000 ? 60000 : (int)left) <= 0)
			continue; /* timeout or EINTR: the deadline is checked above */
		n = read(fd, buf + *len, STSENV_MAX_BODY + 1 - *len);
		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR && errno != EAGAIN) {
			stsenv_err_set(err, "credential process %s: read: %s", name,
				       strerror(errno));
			return -1;
		}
		*len += n > 0 ? (size_t)n : 0;
		if (*len > STSENV_MAX_BODY) {
			stsenv_err_set(err, "credential process %s printed more than %d bytes",
				       name, STSENV_MAX_BODY);
			return -1;
		}
	}
}

/* Reaps pid, killing it first if *killed or once the deadline passes (then
 * setting *killed).  Returns the wait status, or -1 when someone else reaped
 * it (SIGCHLD ignored, or a handler waiting for any child). */
static int reap(pid_t pid, int64_t deadline, bool *killed)
{
	int st;
	pid_t r;

	if (*killed)
		kill(pid, SIGKILL);
	for (;;) {
		r = waitpid(pid, &st, *killed ? 0 : WNOHANG);
		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			return -1;
		if (r == 0 && stsenv_mono_ms() >= deadline) {
			kill(pid, SIGKILL);
			*killed = true;
		} else if (r == 0) { /* it closed stdout but runs on */
			nanosleep(&(struct timespec){0, 2 * 1000 * 1000}, NULL);
		}
	}
}

/* {"mode":"StsToken"|"AK","access_key_id","access_key_secret","sts_token",
 * "expiration"}: the CLI's names for the usual four fields. */
static int parse(const char *buf, size_t len, struct stsenv_cred *out, struct stsenv_err *err)
{
	static const struct stsenv_cred_keys sts = {"access_key_id", "access_key_secret",
						    "sts_token", "expiration"};
	static const struct stsenv_cred_keys ak = {"access_key_id", "access_key_secret", NULL,
						   NULL};
	struct stsenv_json *j = malloc(sizeof(*j));
	int mode, rc = -1;
	bool is_sts = false, is_ak = false;

	if (!j) {
		stsenv_err_set(err, "out of memory");
		return -1;
	}
	if (stsenv_json_parse(j, buf, len, err) == 0) {
		mode = stsenv_json_get(j, 0, "mode");
		is_sts = stsenv_json_streq(j, mode, "StsToken");
		is_ak = stsenv_json_streq(j, mode, "AK");
		if (!is_sts && !is_ak)
			stsenv_err_set(err, "mode is %s",
				       mode == -1 ? "missing" : "not StsToken or AK");
	}
	free(j);
	if (is_sts || is_ak)
		rc = stsenv_cred_from_json_keys(buf, len, NULL, is_sts ? &sts : &ak,
						is_sts ? STSENV_CJ_REQUIRE_TOKEN : 0, out, err);
	return rc;
}

static enum stsenv_fetch_rc process_fetch(struct stsenv_source *base, int64_t timeout_ms,
					  struct stsenv_cred *out, struct stsenv_err *err)
{
	struct process_source *s = (struct process_source *)base;
	const char *name = s->argv[0];
	int64_t deadline = stsenv_mono_ms() + timeout_ms;
	char *buf = malloc(STSENV_MAX_BODY + 1);
	int fds[2], st;
	size_t len = 0;
	bool ok = false, failed, killed;
	pid_t pid;

	if (!buf || pipe2(fds, O_CLOEXEC) < 0) {
		stsenv_err_set(err, "credential process %s: %s", name,
			       buf ? strerror(errno) : "out of memory");
		free(buf);
		return STSENV_FETCH_ERR;
	}
	pid = spawn(s, fds[1], err);
	close(fds[1]);
	if (pid > 0) {
		failed = killed = read_all(name, fds[0], buf, &len, timeout_ms, err) < 0;
		st = reap(pid, deadline, &killed);
		if (failed) {
			/* err already says why */
		} else if (killed) {
			stsenv_err_set(err, "credential process %s timed out after %lld ms", name,
				       (long long)timeout_ms);
		} else if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) != 0) {
			stsenv_err_set(err, "credential process %s exited with status %d", name,
				       WEXITSTATUS(st));
		} else if (st != -1 && WIFSIGNALED(st)) {
			stsenv_err_set(err, "credential process %s was killed by signal %d", name,
				       WTERMSIG(st));
		} else if (parse(buf, len, out, err) == 0) {
			ok = true;
		} else {
			stsenv_err_prefix(err, "credential process %s printed bad output", name);
		}
	}
	close(fds[0]);
	explicit_bzero(buf, len);
	free(buf);
	return ok ? STSENV_FETCH_OK : STSENV_FETCH_ERR;
}

static void process_destroy(struct stsenv_source *base)
{
	struct process_source *s = (struct process_source *)base;

	free(s->argv);
	free(s->words);
	free(s);
}

struct stsenv_source *stsenv_source_process_new(const char *command, stsenv_spawn_fn spawn,
						struct stsenv_err *err)
{
	struct process_source *s = calloc(1, sizeof(*s));
	size_t n = strlen(command);
	int argc;

	/* Words never outgrow the command; at most one word per two bytes. */
	if (!s || !(s->words = malloc(n + 1)) || !(s->argv = calloc(n / 2 + 2, sizeof(char *)))) {
		if (s)
			process_destroy(&s->base);
		stsenv_err_set(err, "out of memory");
		return NULL;
	}
	argc = split(command, s->words, s->argv);
	if (argc <= 0) {
		/* The command line may hold a secret argument: never quote it. */
		stsenv_err_set(err, "credential process command %s",
			       argc < 0 ? "has an unterminated quote" : "is empty");
		process_destroy(&s->base);
		return NULL;
	}
	s->spawn = spawn ? spawn : posix_spawnp;
	snprintf(s->base.where, sizeof(s->base.where), "%s", s->argv[0]);
	return stsenv_source_init(&s->base, "process", process_fetch, process_destroy);
}
