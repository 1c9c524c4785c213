/* A process of a tree: the credential it holds, and the tree's page it
 * follows once that credential nears its refresh time. */
#include "rt.h"

#include "../core/clock.h"
#include "../core/log.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define RETRY_MS 1000 /* between two attempts to reach a keeper */
#define GRACE_MS 2000 /* a keeper this late for its own schedule is gone */

static int64_t due_at(const struct stsenv_snap *s)
{
	return s->exp_mono_ms == STSENV_NO_EXPIRY ? INT64_MAX
						  : s->exp_mono_ms - stsenv_rt.cfg.margin_ms;
}

/* Due for a newer one, by either clock (stsenv_rt_live). */
static bool due(const struct stsenv_snap *s, int64_t now)
{
	return now >= due_at(s) ||
	       (s->exp_real_ms != STSENV_NO_EXPIRY &&
		stsenv_real_coarse_ms_inline() >= s->exp_real_ms - stsenv_rt.cfg.margin_ms);
}

/* Publishes s unless a thread got a newer one from the same page first.
 * Within a page generations only grow; a new page replaces any. */
static const struct stsenv_snap *publish(const struct stsenv_snap *s)
{
	const struct stsenv_snap *old = atomic_load(&stsenv_rt.cur);

	for (;;) {
		if (old && old != s && old->origin == s->origin && old->generation >= s->generation)
			return old;
		if (atomic_compare_exchange_weak(&stsenv_rt.cur, &old, s))
			return s;
	}
}

/* Maps the page of the tree we are in, asking its keeper.  ECONNREFUSED,
 * EACCES: no keeper there any more. */
static const struct stsenv_page_view *attach(bool *gone)
{
	const char *tv = atomic_load(&stsenv_rt.tree);
	const struct stsenv_page_view *v = NULL, *none = NULL;
	struct stsenv_err err = {0};
	struct stsenv_tree t;
	int fd;

	*gone = true;
	if (!tv || !stsenv_tree_parse(tv, &t))
		return NULL;
	fd = stsenv_tree_get_page(&t, stsenv_rt.cfg.timeout_ms);
	if (fd < 0) {
		*gone = errno != ETIMEDOUT;
		return NULL;
	}
	v = stsenv_page_map(fd, stsenv_rt.fingerprint, &err);
	close(fd);
	if (!v) {
		stsenv_log(STSENV_LOG_DEBUG, "not using the tree's page: %s", err.msg);
		return NULL;
	}
	*gone = false;
	if (!atomic_compare_exchange_strong(&stsenv_rt.page, &none, v))
		return none; /* another thread attached meanwhile; its view will do */
	return v;
}

/* Attaches to our tree, or, if its keeper is gone (or was never ours to
 * use), starts a tree of our own.  Rate-limited; one thread at a time. */
static const struct stsenv_page_view *reach(void)
{
	struct stsenv_rt *rt = &stsenv_rt;
	int64_t now = stsenv_mono_ms(), next = atomic_load(&rt->next_try);
	const struct stsenv_page_view *v = NULL;
	bool gone = true;
	pid_t me, busy;

	/* Between attempts, every read of a served name passes here: no
	 * syscall before this test. */
	if (!rt->has_src || rt->no_keeper || now < next ||
	    !atomic_compare_exchange_strong(&rt->next_try, &next, now + RETRY_MS))
		return atomic_load(&rt->page);
	me = getpid();
	busy = atomic_load(&rt->busy);
	/* A busy mark left by another pid is a parent's, copied by fork. */
	if (busy == me || !atomic_compare_exchange_strong(&rt->busy, &busy, me))
		return atomic_load(&rt->page);
	atomic_store(&rt->page, NULL);
	v = attach(&gone);
	if (!v && gone && stsenv_rt_start_tree())
		v = atomic_load(&rt->page);
	atomic_store(&rt->busy, 0);
	return v;
}

/* Whether the keeper looks gone: it said so, or it is late for its own
 * next attempt by more than a fetch can take. */
static bool keeper_lost(const struct stsenv_page_status *st)
{
	int64_t late = stsenv_rt.cfg.timeout_ms + GRACE_MS;

	/* Late by both clocks: a wall clock stepped forward makes every
	 * keeper look late by it, the monotonic one does not. */
	return st->state == STSENV_PAGE_CLOSED ||
	       (stsenv_real_ms() > st->next_attempt_ms + late &&
		stsenv_mono_ms() > st->next_attempt_mono_ms + late);
}

/* Takes what the page holds now, if it changed since we last looked (or
 * always, with force).  *lost: the keeper looks gone, and what we hold is
 * due.  st, if given, receives the keeper's state when the page was read. */
static const struct stsenv_snap *follow(const struct stsenv_page_view *v,
					const struct stsenv_snap *s, bool force, bool *lost,
					struct stsenv_page_status *st)
{
	struct stsenv_rt *rt = &stsenv_rt;
	uint32_t version = stsenv_page_version(v);
	struct stsenv_page_status local;
	const struct stsenv_snap *n;
	bool corrupt;
	int64_t now = stsenv_mono_coarse_ms();

	*lost = false;
	if (!st)
		st = &local;
	st->state = STSENV_PAGE_OK;
	st->fetching = false;
	if (!force && version == atomic_load(&rt->seen_version) && s && s->origin == v &&
	    stsenv_rt_live(s, now) && (!due(s, now) || now < atomic_load(&rt->next_check)))
		return s;
	/* Due and nothing new: look at the keeper's state, ten times a second
	 * at most. */
	atomic_store(&rt->next_check, now + 100);
	n = stsenv_page_snapshot(v, s && s->origin == v ? s->generation : UINT64_MAX,
				 stsenv_real_ms(), now, s, st, &corrupt);
	if (corrupt) {
		atomic_store(&rt->page, NULL);
		*lost = true;
		return s;
	}
	atomic_store(&rt->seen_version, version);
	if (n) {
		((struct stsenv_snap *)n)->origin = v;
		s = publish(n);
		if (s == n && stsenv_log_enabled(STSENV_LOG_DEBUG)) {
			char rid[32];
			stsenv_redact_id(n->id, rid, sizeof(rid));
			stsenv_log(STSENV_LOG_DEBUG,
				   "took credential %s (generation %llu) from the tree", rid,
				   (unsigned long long)n->generation);
		}
	}
	*lost = keeper_lost(st) && !(stsenv_rt_live(s, now) && !due(s, now));
	return s;
}

/* Says once that this process gave up waiting on a source still silent
 * (the keeper says what it finds, later, once for the tree). */
static void gave_up(int64_t waited)
{
	static atomic_bool said;

	if (!atomic_exchange(&said, true))
		stsenv_log(STSENV_LOG_ERROR,
			   "no credential: %s did not answer within %lld ms; names read as "
			   "unset" STSENV_SEE_STATUS,
			   stsenv_rt.label ? stsenv_rt.label : "the source", (long long)waited);
}

/* With no valid credential: waits for the keeper's attempt under way (or
 * a new tree's first), once, at most wait_ms.  Never through a failing
 * source's backoff: then the names read as unset at once. */
static const struct stsenv_snap *await(const struct stsenv_page_view *v,
				       const struct stsenv_snap *s, int64_t wait_ms)
{
	int64_t until = stsenv_mono_ms() + wait_ms;
	struct stsenv_page_status st;
	bool lost;

	for (;;) {
		uint32_t seen = stsenv_page_version(v);
		int64_t left = until - stsenv_mono_ms();
		bool busy;

		s = follow(v, s, true, &lost, &st);
		busy = st.fetching || st.state == STSENV_PAGE_EMPTY;
		if (lost || stsenv_rt_live(s, stsenv_mono_coarse_ms()) || !busy)
			return s;
		if (left <= 0 || !stsenv_page_wait(v, seen, left)) {
			gave_up(wait_ms);
			return s;
		}
	}
}

const struct stsenv_snap *stsenv_rt_current_at(int64_t now, int64_t wait_ms)
{
	struct stsenv_rt *rt = &stsenv_rt;
	const struct stsenv_snap *s = atomic_load(&rt->cur);
	const struct stsenv_page_view *v = atomic_load(&rt->page);
	bool lost = false;
	int saved;

	/* What we hold is fresh, and the page has nothing newer (or there is
	 * no page: it was handed down): nothing to ask.  Every read of a
	 * served name passes here. */
	if (stsenv_rt_live(s, now) && !due(s, now) &&
	    (!v || (s->origin == v && stsenv_page_version(v) == atomic_load(&rt->seen_version))))
		return s;
	saved = errno;
	if (v)
		s = follow(v, s, false, &lost, NULL);
	if (!v || lost) {
		v = reach();
		if (v)
			s = follow(v, atomic_load(&rt->cur), true, &lost, NULL);
	}
	if (v && wait_ms > 0 && !stsenv_rt_live(s, now))
		s = await(v, s, wait_ms);
	errno = saved;
	return stsenv_rt_live(s, stsenv_mono_coarse_ms()) ? s : NULL;
}

const struct stsenv_snap *stsenv_rt_current(int64_t wait_ms)
{
	return stsenv_rt_current_at(stsenv_mono_coarse_ms(), wait_ms);
}

/* Known once the page was mapped: it is a constant of the page. */
static const char *endpoint_of(const struct stsenv_page_view *v)
{
	char buf[STSENV_PAGE_ENDPOINT_MAX], *copy;
	const char *none = NULL;

	if (!v || !stsenv_page_endpoint(v, buf, sizeof(buf)) ||
	    !(copy = stsenv_arena_alloc(strlen(buf) + 1)))
		return NULL;
	memcpy(copy, buf, strlen(buf) + 1);
	if (!atomic_compare_exchange_strong(&stsenv_rt.endpoint, &none, copy))
		return none;
	return copy;
}

const char *stsenv_rt_endpoint(void)
{
	const char *e = atomic_load(&stsenv_rt.endpoint);
	const struct stsenv_page_view *v;
	bool gone;

	if (e || !stsenv_rt.has_src)
		return e;
	/* A process that lives on what it was handed has no page yet. */
	if (!(v = atomic_load(&stsenv_rt.page)) && (v = attach(&gone)))
		atomic_store(&stsenv_rt.seen_version, 0);
	return endpoint_of(v);
}
