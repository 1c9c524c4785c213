#include "page.h"
#include "page_layout.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct stsenv_page {
	struct stsenv_page_shared *sh;
};

/* ---- the keeper's side -------------------------------------------------- */

struct stsenv_page *stsenv_page_create(uint64_t fingerprint, const char *endpoint, int *fd,
				       struct stsenv_err *err)
{
	struct stsenv_page *p;
	struct stsenv_page_shared *sh;
	int f = memfd_create("stsenv-tree", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (f < 0) {
		stsenv_err_set(err, "memfd_create: %s", strerror(errno));
		return NULL;
	}
	if (ftruncate(f, sizeof(*sh)) < 0 || (sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
							MAP_SHARED, f, 0)) == MAP_FAILED) {
		stsenv_err_set(err, "cannot map the credential page: %s", strerror(errno));
		close(f);
		return NULL;
	}
	madvise(sh, sizeof(*sh), MADV_DONTDUMP);
	sh->magic = STSENV_PAGE_MAGIC;
	sh->version = STSENV_PAGE_VERSION;
	sh->size = sizeof(*sh);
	sh->fingerprint = fingerprint;
	sh->uid = (uint32_t)geteuid();
	sh->gid = (uint32_t)getegid();
	sh->keeper_pid = (uint32_t)getpid();
	if (endpoint && strlen(endpoint) < sizeof(sh->endpoint))
		memcpy(sh->endpoint, endpoint, strlen(endpoint) + 1);
	/* From here on only this mapping can write: not a descriptor reopened
	 * through /proc, not mprotect, not a process that changed uid. */
	if (fcntl(f, F_ADD_SEALS, STSENV_PAGE_SEALS) < 0) {
		stsenv_err_set(err,
			       "cannot seal the credential page (Linux 5.1 or later needed): %s",
			       strerror(errno));
		munmap(sh, sizeof(*sh));
		close(f);
		return NULL;
	}
	if (!(p = malloc(sizeof(*p)))) {
		stsenv_err_set(err, "out of memory");
		munmap(sh, sizeof(*sh));
		close(f);
		return NULL;
	}
	p->sh = sh;
	*fd = f;
	return p;
}

void stsenv_page_destroy(struct stsenv_page *p)
{
	if (!p)
		return;
	munmap(p->sh, sizeof(*p->sh));
	free(p);
}

static void put_field(struct stsenv_page_shared *sh, int f, uint32_t *at, const char *s, size_t cap)
{
	size_t n = s ? strnlen(s, cap) : 0;

	sh->off[f] = *at;
	sh->len[f] = (uint32_t)n;
	memcpy(sh->data + *at, s ? s : "", n);
	*at += (uint32_t)n;
}

void stsenv_page_write(struct stsenv_page *p, const struct stsenv_page_update *u)
{
	struct stsenv_page_shared *sh = p->sh;
	uint64_t seq = atomic_load_explicit(&sh->seq, memory_order_relaxed);
	uint32_t at = 0;

	atomic_store_explicit(&sh->seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	if (u->cred) {
		put_field(sh, STSENV_PF_ID, &at, u->cred->id, STSENV_MAX_ID);
		put_field(sh, STSENV_PF_SECRET, &at, u->cred->secret, STSENV_MAX_SECRET);
		put_field(sh, STSENV_PF_TOKEN, &at, u->cred->token, STSENV_MAX_TOKEN);
		sh->flags = STSENV_PAGE_HAS_CRED | (u->cred->token ? STSENV_PAGE_HAS_TOKEN : 0);
		sh->exp_ms = u->cred->exp_ms;
		sh->generation = u->generation;
	} else {
		at = sh->flags & STSENV_PAGE_HAS_CRED
			     ? sh->off[STSENV_PF_TOKEN] + sh->len[STSENV_PF_TOKEN]
			     : 0;
	}
	put_field(sh, STSENV_PF_ERROR, &at, u->error, STSENV_PAGE_ERROR_MAX - 1);
	sh->state = (uint32_t)u->state;
	sh->fetching = u->fetching;
	sh->next_attempt_ms = u->next_attempt_ms;
	sh->next_attempt_mono_ms = u->next_attempt_mono_ms;
	atomic_store_explicit(&sh->seq, seq + 2, memory_order_release);
	atomic_fetch_add_explicit(&sh->version_word, 1, memory_order_release);
	syscall(SYS_futex, &sh->version_word, FUTEX_WAKE, 0x7fffffff, NULL, NULL, 0);
}

/* ---- readers ------------------------------------------------------------ */

struct stsenv_page_view {
	struct stsenv_page_shared sh;
};

/* The header fields a reader uses, loaded one by one: the keeper may be
 * writing them, which the sequence number then tells. */
struct fields {
	uint64_t generation;
	int64_t exp_ms, next_attempt_ms, next_attempt_mono_ms;
	uint32_t state, fetching, flags, len[STSENV_PF_COUNT], off[STSENV_PF_COUNT];
};

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

static void load_fields(const struct stsenv_page_shared *sh, struct fields *f)
{
	f->generation = LOAD(sh->generation);
	f->exp_ms = LOAD(sh->exp_ms);
	f->next_attempt_ms = LOAD(sh->next_attempt_ms);
	f->next_attempt_mono_ms = LOAD(sh->next_attempt_mono_ms);
	f->state = LOAD(sh->state);
	f->fetching = LOAD(sh->fetching);
	f->flags = LOAD(sh->flags);
	for (int i = 0; i < STSENV_PF_COUNT; i++) {
		f->len[i] = LOAD(sh->len[i]);
		f->off[i] = LOAD(sh->off[i]);
	}
}

/* Every length and offset within its cap and within the data, in 64-bit
 * so that no sum can wrap. */
static bool fields_ok(const struct fields *f)
{
	static const uint64_t cap[STSENV_PF_COUNT] = {STSENV_MAX_ID, STSENV_MAX_SECRET,
						      STSENV_MAX_TOKEN, STSENV_PAGE_ERROR_MAX - 1};

	if (f->state > STSENV_PAGE_CLOSED || f->fetching > 1 ||
	    f->flags > (STSENV_PAGE_HAS_CRED | STSENV_PAGE_HAS_TOKEN))
		return false;
	for (int i = 0; i < STSENV_PF_COUNT; i++)
		if ((uint64_t)f->len[i] > cap[i] ||
		    (uint64_t)f->off[i] + (uint64_t)f->len[i] > (uint64_t)STSENV_PAGE_DATA)
			return false;
	if ((f->flags & STSENV_PAGE_HAS_CRED) &&
	    (!f->len[STSENV_PF_ID] || !f->len[STSENV_PF_SECRET] || f->exp_ms <= 0))
		return false;
	return true;
}

static bool header_ok(const struct stsenv_page_shared *sh, uint64_t fingerprint, bool check_ids)
{
	if (sh->magic != STSENV_PAGE_MAGIC || sh->version != STSENV_PAGE_VERSION ||
	    sh->size != sizeof(*sh) || sh->fingerprint != fingerprint)
		return false;
	/* A process that changed uid or gid since the keeper (setpriv, su,
	 * a daemon dropping privileges) is not the keeper's to serve. */
	return !check_ids || (sh->uid == (uint32_t)geteuid() && sh->uid == (uint32_t)getuid() &&
			      sh->gid == (uint32_t)getegid() && sh->gid == (uint32_t)getgid());
}

const struct stsenv_page_view *stsenv_page_map(int fd, uint64_t fingerprint, struct stsenv_err *err)
{
	struct stat st;
	struct stsenv_page_shared *sh;
	int seals = fcntl(fd, F_GET_SEALS);

	if (seals < 0 || (seals & STSENV_PAGE_SEALS) != STSENV_PAGE_SEALS) {
		stsenv_err_set(err, "the tree's page is not sealed against writers");
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != (off_t)sizeof(*sh)) {
		stsenv_err_set(err, "the tree's page has the wrong size");
		return NULL;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ, MAP_SHARED, fd, 0);
	if (sh == MAP_FAILED) {
		stsenv_err_set(err, "cannot map the tree's page: %s", strerror(errno));
		return NULL;
	}
	madvise(sh, sizeof(*sh), MADV_DONTDUMP);
	if (!header_ok(sh, fingerprint, true)) {
		stsenv_err_set(err, "the tree's page is for another configuration or user");
		munmap(sh, sizeof(*sh));
		return NULL;
	}
	return (const struct stsenv_page_view *)sh;
}

bool stsenv_page_endpoint(const struct stsenv_page_view *v, char *buf, size_t len)
{
	static const char prefix[] = "http://127.0.0.1:";
	const char *e = v->sh.endpoint;
	size_t n = strnlen(e, sizeof(v->sh.endpoint));

	/* Written once before the page was sealed, but trusted no more than
	 * the rest: terminated, printable, on loopback. */
	if (n == sizeof(v->sh.endpoint) || n >= len || strncmp(e, prefix, sizeof(prefix) - 1) != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (e[i] <= ' ' || e[i] > '~')
			return false;
	memcpy(buf, e, n + 1);
	return true;
}

pid_t stsenv_page_keeper(const struct stsenv_page_view *v)
{
	return (pid_t)v->sh.keeper_pid;
}

uint32_t stsenv_page_version(const struct stsenv_page_view *v)
{
	return atomic_load_explicit(&v->sh.version_word, memory_order_acquire);
}

bool stsenv_page_wait(const struct stsenv_page_view *v, uint32_t seen, int64_t timeout_ms)
{
	struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000};
	int saved = errno;

	if (stsenv_page_version(v) != seen)
		return true;
	syscall(SYS_futex, &v->sh.version_word, FUTEX_WAIT, seen, &ts, NULL, 0);
	errno = saved;
	return stsenv_page_version(v) != seen;
}

static void copy_error(const struct stsenv_page_shared *sh, const struct fields *f,
		       struct stsenv_page_status *st)
{
	st->generation = f->generation;
	st->state = (enum stsenv_page_state)f->state;
	st->fetching = f->fetching;
	st->exp_ms = f->flags & STSENV_PAGE_HAS_CRED ? f->exp_ms : 0;
	st->next_attempt_ms = f->next_attempt_ms;
	st->next_attempt_mono_ms = f->next_attempt_mono_ms;
	memcpy(st->error, sh->data + f->off[STSENV_PF_ERROR], f->len[STSENV_PF_ERROR]);
	st->error[f->len[STSENV_PF_ERROR]] = '\0';
}

static bool clean(const char *s, size_t n)
{
	return !memchr(s, '\0', n);
}

typedef struct stsenv_snap *(*reserve_fn)(size_t, size_t, size_t, bool, char **, char **, char **);

/* One attempt under the sequence lock: 1 done (*out may be NULL), 0 the
 * keeper wrote meanwhile, -1 corrupt. */
static int read_once(const struct stsenv_page_shared *sh, reserve_fn reserve, uint64_t have,
		     int64_t now_real, int64_t now_mono, const struct stsenv_snap *prev,
		     struct stsenv_page_status *st, const struct stsenv_snap **out)
{
	uint64_t s1 = atomic_load_explicit(&sh->seq, memory_order_acquire);
	struct stsenv_page_status local;
	struct stsenv_snap *s = NULL;
	char *id, *secret, *token;
	struct fields f;
	bool ok;

	if (s1 & 1)
		return 0;
	load_fields(sh, &f);
	ok = fields_ok(&f);
	if (ok) {
		copy_error(sh, &f, st ? st : &local);
		if ((f.flags & STSENV_PAGE_HAS_CRED) && f.generation != have) {
			s = reserve(f.len[STSENV_PF_ID], f.len[STSENV_PF_SECRET],
				    f.len[STSENV_PF_TOKEN], f.flags & STSENV_PAGE_HAS_TOKEN, &id,
				    &secret, &token);
			if (s) {
				memcpy(id, sh->data + f.off[STSENV_PF_ID], f.len[STSENV_PF_ID]);
				memcpy(secret, sh->data + f.off[STSENV_PF_SECRET],
				       f.len[STSENV_PF_SECRET]);
				if (token)
					memcpy(token, sh->data + f.off[STSENV_PF_TOKEN],
					       f.len[STSENV_PF_TOKEN]);
			}
		}
	}
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&sh->seq, memory_order_relaxed) != s1)
		return 0;
	if (!ok)
		return -1;
	if (!s)
		return 1;
	if (!clean(id, f.len[STSENV_PF_ID]) || !clean(secret, f.len[STSENV_PF_SECRET]) ||
	    (token && !clean(token, f.len[STSENV_PF_TOKEN])))
		return -1;
	id[f.len[STSENV_PF_ID]] = secret[f.len[STSENV_PF_SECRET]] = '\0';
	if (token)
		token[f.len[STSENV_PF_TOKEN]] = '\0';
	*out = stsenv_snap_finish(s, f.exp_ms, sh->fingerprint, f.generation, now_real, now_mono,
				  prev);
	return 1;
}

static const struct stsenv_snap *read_page(const struct stsenv_page_shared *sh, reserve_fn reserve,
					   uint64_t have, int64_t now_real, int64_t now_mono,
					   const struct stsenv_snap *prev,
					   struct stsenv_page_status *st, bool *corrupt)
{
	const struct stsenv_snap *out = NULL;

	*corrupt = false;
	/* A write takes microseconds; a keeper that died in the middle of one
	 * leaves the page busy for good. */
	for (int tries = 0; tries < 2000; tries++) {
		int rc = read_once(sh, reserve, have, now_real, now_mono, prev, st, &out);
		if (rc > 0)
			return out;
		if (rc < 0)
			break;
		if (tries > 16)
			sched_yield();
	}
	*corrupt = true;
	return NULL;
}

const struct stsenv_snap *stsenv_page_snapshot(const struct stsenv_page_view *v,
					       uint64_t have_generation, int64_t now_real_ms,
					       int64_t now_mono_ms, const struct stsenv_snap *prev,
					       struct stsenv_page_status *st, bool *corrupt)
{
	return read_page(&v->sh, stsenv_snap_reserve, have_generation, now_real_ms, now_mono_ms,
			 prev, st, corrupt);
}

/* For the fuzzer: the same copies, into one buffer reused for every input
 * instead of the arena, which would grow with each.  On the heap, not in
 * .bss, where 17 KiB would spread the preload's own variables over more
 * pages for every process to fault in. */
#define CHECK_BUF                                                                                  \
	(sizeof(struct stsenv_snap) + STSENV_MAX_ID + STSENV_MAX_SECRET + STSENV_MAX_TOKEN + 256)

static struct stsenv_snap *reserve_static(size_t li, size_t ls, size_t lt, bool has_token,
					  char **id, char **secret, char **token)
{
	static struct stsenv_snap *s; /* the fuzzer runs one input at a time */

	if (!s && !(s = malloc(CHECK_BUF)))
		return NULL;
	if (li > STSENV_MAX_ID || ls > STSENV_MAX_SECRET || lt > STSENV_MAX_TOKEN)
		return NULL;
	s->id = *id = (char *)(s + 1);
	s->secret = *secret = *id + li + 1;
	s->token = *token = has_token ? *secret + ls + 1 : NULL;
	s->expiration = *secret + ls + 1 + lt + 1;
	return s;
}

bool stsenv_page_check_bytes(const void *bytes, size_t size, uint64_t fingerprint,
			     struct stsenv_page_status *st)
{
	const struct stsenv_page_shared *sh = bytes;
	bool corrupt;

	if (size != sizeof(*sh) || !header_ok(sh, fingerprint, false))
		return false;
	read_page(sh, reserve_static, 0, 0, 0, NULL, st, &corrupt);
	return !corrupt;
}

size_t stsenv_page_size(void)
{
	return sizeof(struct stsenv_page_shared);
}
