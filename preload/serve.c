/* getenv and secure_getenv: a served name answers the credential; every
 * other name, and any name the program set or removed itself, goes to libc.
 *
 * One credential per read sequence.  Each thread keeps the credential it
 * started reading, and moves to a newer one only where a new sequence
 * begins.  Where that is, is told by the names and by time:
 *  - A "round" is a run of reads of distinct names; reading a name already
 *    read in the round starts a new one (the same name twice in a row, as
 *    Node.js reads any value of 256 bytes or more, is one read, unless a
 *    pause separates the two).  A thread moves only at the start of a round.
 *  - It moves at one that follows a pause of GAP_MS: so a sequence that
 *    completes within GAP_MS gets one credential, whatever the order of the
 *    names and however often each is read.  A thread preempted in the middle
 *    of a sequence is not at the start of a round, however long it waited.
 *  - A thread that never pauses so long moves, once the newer credential has
 *    waited HANDOVER_MS (at most a quarter of what the old one has left), at
 *    a round that follows at least WORK_NS of its own work since its last
 *    read (reads within one sequence follow each other far closer);
 *  - after four hand-over times at any round; after eight, at any read.
 * The fine clock is read only while a newer credential waits. */
#include "rt.h"

#include "../core/clock.h"

#include <errno.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>

#define GAP_MS	    100
#define HANDOVER_MS 1000
#define WORK_NS	    100000

extern char **environ;

typedef char *(*getenv_fn)(const char *);

/* Used only if dlsym cannot find libc's getenv, which should not happen. */
static char *scan_environ(const char *name)
{
	size_t n = strlen(name);

	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/* libc's getenv not found yet: from a constructor that runs before ours. */
__attribute__((noinline, cold)) char *stsenv_rt_pass_slow(const char *name, int secure)
{
	stsenv_rt_resolve();
	if (secure && stsenv_real.secure_getenv)
		return stsenv_real.secure_getenv(name);
	if (secure && getauxval(AT_SECURE))
		return NULL;
	return stsenv_real.getenv ? stsenv_real.getenv(name) : scan_environ(name);
}

static char *pass(const char *name, int secure)
{
	getenv_fn f = secure ? stsenv_real.secure_getenv : stsenv_real.getenv;

	return f ? f(name) : stsenv_rt_pass_slow(name, secure);
}

/* ---- the program's own word -------------------------------------------- */

static bool owned(const struct stsenv_name *n)
{
	return (atomic_load_explicit(&stsenv_rt.owned, memory_order_relaxed) >> n->index) & 1;
}

static void own(const struct stsenv_name *n)
{
	atomic_fetch_or(&stsenv_rt.owned, 1ULL << n->index);
}

/* A value that is what we placed there at load is no word of the
 * program's: a host that copies its environment with setenv (after a
 * clearenv, as setproctitle may) only moves our bytes. */
static bool placed_value(const struct stsenv_name *n, const char *value)
{
	const char *p = stsenv_rt.placed[n->index];

	return value && p && atomic_load_explicit(&stsenv_rt.entries_known, memory_order_acquire) &&
	       strcmp(p + strlen(n->name) + 1, value) == 0;
}

void stsenv_rt_owned(const char *name, size_t len, const char *value)
{
	char buf[STSENV_MAX_NAME];
	const struct stsenv_name *n;

	if (!atomic_load_explicit(&stsenv_rt.ready, memory_order_acquire) || len >= sizeof(buf))
		return;
	memcpy(buf, name, len);
	buf[len] = '\0';
	if (!(n = stsenv_names_find(&stsenv_rt.names, buf)))
		return;
	if (placed_value(n, value))
		atomic_fetch_and(&stsenv_rt.owned, ~(1ULL << n->index));
	else
		own(n);
}

void stsenv_rt_owned_all(void)
{
	atomic_store(&stsenv_rt.owned, ~0ULL);
}

/* Whether e is the entry we placed for n, or a copy of its bytes: a host
 * that moves its environment (setproctitle, uwsgi, nginx, PostgreSQL)
 * copies every string.  Compared with what we placed at load, not with
 * what is served now: rotations change getenv's answer, not environ. */
static bool holds_placed(const char *e, const struct stsenv_name *n)
{
	const char *p = stsenv_rt.placed[n->index];

	return e && (e == stsenv_rt.entry[n->index] || (p && strcmp(e, p) == 0));
}

/* Whether environ still holds, for n, what it held after load: our entry,
 * a copy of it, or none where there was none.  A program that writes
 * environ itself (Perl does, without setenv) with another value, or
 * removes the name, makes it its own.  The position is cached as (array,
 * index) in one word, so the usual check is two loads (and the bytes,
 * once the host moved them). */
static bool environ_unchanged(const struct stsenv_name *n)
{
	char **env = environ, *mine = stsenv_rt.entry[n->index];
	uint64_t c = atomic_load_explicit(&stsenv_rt.envcache[n->index], memory_order_relaxed);
	size_t len, i = 0;

	if (c && (uintptr_t)(c >> 16) == (uintptr_t)env &&
	    ((c & 0xffff) == 0xffff ? !mine : holds_placed(env[c & 0xffff], n)))
		return true;
	len = strlen(n->name);
	while (env && env[i] && !(strncmp(env[i], n->name, len) == 0 && env[i][len] == '='))
		i++;
	if (env && env[i] ? !holds_placed(env[i], n) : mine != NULL)
		return false;
	if ((uintptr_t)env >> 48 == 0 && i < 0xffff)
		atomic_store_explicit(&stsenv_rt.envcache[n->index],
				      (uint64_t)(uintptr_t)env << 16 | (env && env[i] ? i : 0xffff),
				      memory_order_relaxed);
	return true;
}

/* ---- one credential per read sequence ----------------------------------- */

struct pin {
	const struct stsenv_snap *s;
	int64_t last_ms;
	int64_t last_ns; /* fine clock of the last read, while a newer one waits */
	uint64_t round;	 /* names read in the current round */
	int prev;	 /* index of the name read last */
};
static __thread struct pin pin __attribute__((tls_model("initial-exec")));

/* Whether a thread pinned to p may move to cur at this read. */
static bool may_move(const struct stsenv_snap *p, const struct stsenv_snap *cur, int64_t now,
		     bool round_starts, bool paused)
{
	int64_t waited = now - cur->born_mono_ms,
		handover = (p->exp_mono_ms - cur->born_mono_ms) / 4;
	int64_t ns = stsenv_mono_ns(), worked = pin.last_ns ? ns - pin.last_ns : 0;

	pin.last_ns = ns;
	if (handover > HANDOVER_MS)
		handover = HANDOVER_MS;
	if (round_starts &&
	    (paused || (waited >= handover && worked >= WORK_NS) || waited >= 4 * handover))
		return true;
	return waited >= 8 * handover;
}

static const struct stsenv_snap *pick(const struct stsenv_name *n)
{
	int64_t now = stsenv_mono_coarse_ms_inline();
	const struct stsenv_snap *cur = stsenv_rt_current_at(now, stsenv_rt.cfg.timeout_ms),
				 *p = pin.s;
	uint64_t bit;
	bool paused, round_starts;

	if (cur != p)
		now = stsenv_mono_coarse_ms_inline(); /* after a wait, perhaps */
	bit = 1ULL << n->index;
	paused = now - pin.last_ms >= GAP_MS;
	round_starts = (pin.round & bit) && (pin.prev != n->index || paused);

	if (!cur || !stsenv_rt_live(p, now) ||
	    (p != cur && may_move(p, cur, now, round_starts, paused))) {
		pin.s = cur;
		pin.last_ns = 0;
		round_starts = true;
	}
	pin.round = round_starts ? bit : pin.round | bit;
	pin.prev = n->index;
	pin.last_ms = now;
	return pin.s;
}

/* A name whose first byte is a served name's (rt.h, stsenv_rt_getenv). */
char *stsenv_rt_serve(const char *name, int secure)
{
	struct stsenv_rt *rt = &stsenv_rt;
	const struct stsenv_name *n;
	const struct stsenv_snap *s;

	stsenv_rt_init();
	/* The first-byte test is behind us: the full lookup. */
	n = stsenv_names_find_slow(&rt->names, name);
	if (!n) /* PYTHONPATH, while Python starts, is python.c's */
		return name[0] == 'P' ? stsenv_rt_python_getenv(name, pass(name, secure))
				      : pass(name, secure);
	if (!rt->active || !stsenv_policy_serves(&rt->policy, n) || owned(n))
		return pass(name, secure);
	if (atomic_load_explicit(&rt->entries_known, memory_order_acquire) &&
	    !environ_unchanged(n)) {
		own(n);
		return pass(name, secure);
	}
	s = pick(n); /* keeps errno */
	return (char *)stsenv_policy_value(n, s, atomic_load(&rt->tree));
}
