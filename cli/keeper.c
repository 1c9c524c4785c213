#include "keeper.h"

#include "../core/clock.h"
#include "../core/log.h"

#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

static void arm_clock(int fd);

/* The keeper's second thread: the tree's socket and its credentials
 * endpoint, neither of which ever waits for the source. */
static void *answer_loop(void *arg)
{
	struct keeper *k = arg;
	struct pollfd *fds = calloc(ENDPOINT_CONNS + 2, sizeof(*fds));

	for (;;) {
		int timeout = 60000, n = 1;

		if (!fds) { /* no memory for the endpoint: the tree's socket alone */
			stsenv_tree_answer(k->listen_fd, k->page_fd);
			continue;
		}
		fds[0] = (struct pollfd){k->listen_fd, POLLIN, 0};
		if (k->ep.listen_fd >= 0)
			n += endpoint_fds(&k->ep, fds + 1, &timeout);
		if (poll(fds, (nfds_t)n, timeout) < 0 && errno != EINTR)
			continue;
		if (fds[0].revents & POLLIN)
			stsenv_tree_answer(k->listen_fd, k->page_fd);
		if (k->ep.listen_fd >= 0)
			endpoint_serve(&k->ep, fds + 1, n - 1);
	}
	return NULL;
}

int keeper_open(struct keeper *k, struct stsenv_engine *e, uint64_t fingerprint, const char *name,
		struct stsenv_err *err)
{
	struct stsenv_err eperr = {0};
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	memset(k, 0, sizeof(*k));
	k->engine = e;
	k->page_fd = k->listen_fd = k->ep.listen_fd = -1;
	if ((k->clock_fd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK)) >= 0)
		arm_clock(k->clock_fd);
	if (name)
		memcpy(k->tree.name, name, sizeof(k->tree.name));
	else if (!stsenv_tree_new_name(k->tree.name)) {
		stsenv_err_set(err, "no random bytes for the tree's name: %s", strerror(errno));
		return -1;
	}
	k->tree.keeper = getpid();
	stsenv_tree_format(&k->tree, k->tree_value, sizeof(k->tree_value));
	/* Without an endpoint the tree still works: programs get variables. */
	if (endpoint_listen(&k->ep, 0, &eperr) < 0)
		stsenv_log(STSENV_LOG_WARN, "no credentials endpoint for the tree: %s", eperr.msg);
	if (!(k->page = stsenv_page_create(fingerprint, k->ep.listen_fd >= 0 ? k->ep.url : NULL,
					   &k->page_fd, err)))
		return -1;
	if (k->ep.listen_fd >= 0 && endpoint_attach(&k->ep, k->page_fd, fingerprint, &eperr) < 0) {
		stsenv_log(STSENV_LOG_WARN, "no credentials endpoint for the tree: %s", eperr.msg);
		close(k->ep.listen_fd);
		k->ep.listen_fd = -1;
	}
	/* Before anyone sees the page: when the first attempt is (now), so a
	 * process waiting for it knows the keeper is at work, not gone. */
	stsenv_page_write(k->page,
			  &(struct stsenv_page_update){.state = STSENV_PAGE_EMPTY,
						       .next_attempt_ms = stsenv_real_ms(),
						       .next_attempt_mono_ms = stsenv_mono_ms()});
	if ((k->listen_fd = stsenv_tree_listen(k->tree.name, err)) < 0)
		return -1;
	/* Signals sent to the launcher stay with its main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	rc = pthread_create(&t, &attr, answer_loop, k);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		stsenv_err_set(err, "cannot start the tree's answering thread: %s", strerror(rc));
		return -1;
	}
	return 0;
}

/* The wall-clock time of a monotonic one; "now" for one already past (the
 * engine's first attempt is due since forever). */
static int64_t real_of(int64_t mono_at)
{
	int64_t now = stsenv_system_clock.mono_ms(NULL);

	return stsenv_real_ms() + (mono_at > now ? mono_at - now : 0);
}

static void write_page(struct keeper *k, bool with_cred, enum stsenv_page_state state,
		       const char *error, bool fetching)
{
	const struct stsenv_snap *s = stsenv_engine_current(k->engine);
	int64_t next = stsenv_engine_next_attempt(k->engine), now = stsenv_mono_ms();
	struct stsenv_cred c;
	struct stsenv_page_update u = {
		.state = state,
		.fetching = fetching,
		.next_attempt_ms = real_of(stsenv_engine_next_attempt(k->engine)),
		.next_attempt_mono_ms = next > now ? next : now,
		.error = error,
	};

	if (with_cred && s) {
		c = (struct stsenv_cred){(char *)s->id, (char *)s->secret, (char *)s->token,
					 s->exp_real_ms};
		u.cred = &c;
		u.generation = s->generation;
		k->published = s->generation;
	}
	stsenv_page_write(k->page, &u);
}

void keeper_publish(struct keeper *k)
{
	write_page(k, true, STSENV_PAGE_OK, "", false);
}

enum stsenv_attempt keeper_step(struct keeper *k, bool force)
{
	struct stsenv_engine_status st;
	enum stsenv_attempt what;

	if (!force && keeper_wait_ms(k, 1) > 0)
		return STSENV_NOT_DUE;
	/* Processes with no valid credential wait for this attempt (and
	 * only for an attempt: never through a failing source's backoff). */
	stsenv_engine_status(k->engine, &st);
	write_page(k, false,
		   st.failures	 ? STSENV_PAGE_FAILING
		   : !st.current ? STSENV_PAGE_EMPTY
				 : STSENV_PAGE_OK,
		   st.last_error, true);
	what = stsenv_engine_poll(k->engine, true);
	stsenv_engine_status(k->engine, &st);
	if (what == STSENV_NEW)
		keeper_publish(k);
	else if (what == STSENV_UNCHANGED)
		write_page(k, false, STSENV_PAGE_OK, "", false);
	else
		write_page(k, false, STSENV_PAGE_FAILING, st.last_error, false);
	return what;
}

int keeper_wait_ms(const struct keeper *k, int cap)
{
	int64_t next = stsenv_engine_next_attempt(k->engine),
		now = stsenv_system_clock.mono_ms(NULL),
		quarter = stsenv_engine_margin_ms(k->engine) / 4;

	if (quarter < 1000)
		quarter = 1000;
	if (quarter < cap)
		cap = (int)quarter;
	return next <= now ? 0 : next - now > cap ? cap : (int)(next - now);
}

/* A timer that fires only when the wall clock is set: a step is seen at
 * once, without polling (TFD_TIMER_CANCEL_ON_SET). */
static void arm_clock(int fd)
{
	struct itimerspec far = {{0, 0}, {0, 0}};

	clock_gettime(CLOCK_REALTIME, &far.it_value);
	far.it_value.tv_sec += 365 * 86400;
	timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &far, NULL);
}

void keeper_clock_stepped(struct keeper *k)
{
	uint64_t n;

	if (k->clock_fd >= 0 && read(k->clock_fd, &n, sizeof(n)) < 0 && errno == ECANCELED)
		arm_clock(k->clock_fd);
}

void keeper_close(struct keeper *k)
{
	if (k->listen_fd >= 0)
		shutdown(k->listen_fd, SHUT_RDWR);
	if (k->ep.listen_fd >= 0)
		shutdown(k->ep.listen_fd, SHUT_RDWR);
	if (k->page) {
		struct stsenv_page_update u = {.state = STSENV_PAGE_CLOSED,
					       .error = "keeper exited"};
		stsenv_page_write(k->page, &u);
	}
}

void keeper_scrub_preload(void)
{
	const char *v = getenv("LD_PRELOAD");
	char *out, *o;

	if (!v || !strstr(v, "libstsenv"))
		return;
	if (!(out = o = malloc(strlen(v) + 1)))
		return;
	for (const char *p = v; *p;) {
		size_t n = strcspn(p, " :");
		const char *base = memrchr(p, '/', n);

		base = base ? base + 1 : p;
		if (n && strncmp(base, "libstsenv", 9) != 0) {
			if (o != out)
				*o++ = ' ';
			memcpy(o, p, n);
			o += n;
		}
		p += n + (p[n] != '\0');
	}
	*o = '\0';
	if (*out)
		setenv("LD_PRELOAD", out, 1);
	else
		unsetenv("LD_PRELOAD");
	free(out);
}

stsenv_spawn_fn keeper_libc_spawn(void)
{
	void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	stsenv_spawn_fn f = NULL;

	if (libc) {
		*(void **)&f = dlsym(libc, "posix_spawnp");
		dlclose(libc);
	}
	return f; /* NULL: posix_spawnp as linked */
}

static struct rlimit core_limit = {RLIM_INFINITY, RLIM_INFINITY};
static bool hardened;

void keeper_harden(void)
{
	struct rlimit none;

	/* The soft limit only: it is the one the kernel dumps by, and the
	 * command can have it back (a hard limit, once lowered, cannot be
	 * raised again without CAP_SYS_RESOURCE). */
	hardened = getrlimit(RLIMIT_CORE, &core_limit) == 0;
	none = (struct rlimit){0, core_limit.rlim_max};
	if (hardened)
		setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, 0);
}

void keeper_unharden(void)
{
	if (hardened)
		setrlimit(RLIMIT_CORE, &core_limit);
}
