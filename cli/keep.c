/* stsenv keep: the keeper of a tree that started under plain LD_PRELOAD.
 *
 * The tree's first process starts it (preload/root.c) with a socketpair on
 * descriptor 3 and a pidfd of itself on 4, then sends what its selection
 * decided and, if it holds one, its credential.  The keeper answers with
 * the page's descriptor, keeps the page fresh while that process lives and
 * marks the page closed when it is gone.  It is not the host's child (the
 * first process reaps the one in between), has no terminal and no core. */
#include "cli.h"
#include "keeper.h"

#include "../core/clock.h"
#include "../core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHANNEL_FD 3
#define WATCH_FD   4
#define MAX_MSG	   (128 * 1024)

static ssize_t recv_msg(int fd, char *buf, size_t len, int timeout_ms)
{
	struct pollfd p = {fd, POLLIN, 0};

	if (poll(&p, 1, timeout_ms) <= 0)
		return -1;
	return recv(fd, buf, len, 0);
}

/* Reads the request and builds the engine; NULL if the request is bad. */
static struct stsenv_engine *take_request(struct stsenv_keep_request *rq, uint64_t *fp)
{
	char *buf = malloc(MAX_MSG);
	struct stsenv_cred held;
	struct stsenv_source *src;
	struct stsenv_err err = {0};
	struct stsenv_engine *e = NULL;
	ssize_t n;

	if (!buf)
		return NULL;
	n = recv_msg(CHANNEL_FD, buf, MAX_MSG, 10000);
	if (n <= 0 || !stsenv_keep_request_unpack(rq, buf, (size_t)n))
		goto out;
	stsenv_log_setup(rq->log_level, rq->log_file);
	*fp = stsenv_desc_fingerprint(&rq->desc);
	if (!(src = stsenv_source_from_desc(&rq->desc, keeper_libc_spawn(), &err))) {
		stsenv_log(STSENV_LOG_ERROR, "no credential: %s" STSENV_SEE_STATUS, err.msg);
		goto out;
	}
	e = stsenv_engine_new(&(struct stsenv_engine_opts){
		.source = src,
		.clock = &stsenv_system_clock,
		.margin_ms = rq->margin_ms,
		.timeout_ms = rq->timeout_ms,
		.seed = (uint64_t)stsenv_real_ms() ^ ((uint64_t)getpid() << 32),
		.fingerprint = *fp,
	});
	if (!e) {
		stsenv_source_destroy(src);
		goto out;
	}
	n = recv_msg(CHANNEL_FD, buf, MAX_MSG, 10000);
	if (n > 0 && stsenv_keep_recv_cred(buf, (size_t)n, &held)) {
		stsenv_engine_adopt(e, &held);
		stsenv_cred_clear(&held);
	}
out:
	explicit_bzero(buf, MAX_MSG);
	free(buf);
	return e;
}

static bool alive(struct keeper *k, int watch_fd, pid_t root, int wait_ms)
{
	struct pollfd p[2] = {{k->clock_fd, POLLIN, 0}, {watch_fd, POLLIN, 0}};

	if (watch_fd < 0) /* no pidfd (Linux < 5.3): look every second */
		wait_ms = wait_ms < 1000 ? wait_ms : 1000;
	poll(p, watch_fd < 0 ? 1 : 2, wait_ms);
	if (p[0].revents & POLLIN)
		keeper_clock_stepped(k);
	if (watch_fd < 0)
		return kill(root, 0) == 0 || errno == EPERM;
	return (p[1].revents & POLLIN) == 0;
}

int cmd_keep(int argc, char **argv)
{
	struct stsenv_keep_request rq;
	struct keeper k;
	struct stsenv_err err = {0};
	struct stsenv_engine *e;
	sigset_t none;
	uint64_t fp = 0;
	pid_t root = argc > 2 && strcmp(argv[1], "--root") == 0 ? (pid_t)atoi(argv[2]) : 0;
	int watch = fcntl(WATCH_FD, F_GETFD) >= 0 ? WATCH_FD : -1;

	keeper_harden();
	keeper_scrub_preload();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_DFL); /* the first process may have ignored it */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL); /* the first process spawned us with all blocked */
	if (!(e = take_request(&rq, &fp)))
		return EXIT_OWN;
	if (keeper_open(&k, e, fp, rq.name, &err) < 0) {
		stsenv_log(STSENV_LOG_ERROR, "cannot keep the tree's credential: %s", err.msg);
		return EXIT_OWN;
	}
	stsenv_tree_send_page(CHANNEL_FD, k.page_fd);
	close(CHANNEL_FD);
	if (stsenv_engine_current(e))
		keeper_publish(&k);
	else
		keeper_step(&k, true);
	while (alive(&k, watch, root, keeper_wait_ms(&k, 60000)))
		keeper_step(&k, false);
	keeper_close(&k);
	stsenv_desc_clear(&rq.desc);
	return 0;
}
