#include "page.h"

#include <fcntl.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE_MAGIC 0x3147504e45535453ULL /* "STSENPG1" */
#define STUCK_MS   2000			 /* a writer that died mid-write is taken over after this */

struct stsenv_page {
	uint64_t magic;
	atomic_uint_fast64_t seq;   /* odd: a write is in progress */
	atomic_int_fast64_t exp_ms; /* of the credential below; 0: none */
	atomic_int_fast64_t write_started_ms;
	atomic_int_fast64_t lease_until_ms;	/* a process is fetching until then */
	uint32_t len_id, len_secret, len_token; /* len_token 0: no token */
	char data[STSENV_PAGE_DATA];
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct stsenv_page *stsenv_page_create(int *fd)
{
	struct stsenv_page *p;
	int f = memfd_create("stsenv-credentials", MFD_ALLOW_SEALING);

	if (f < 0)
		return NULL;
	if (ftruncate(f, sizeof(*p)) < 0 ||
	    (p = mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE, MAP_SHARED, f, 0)) == MAP_FAILED) {
		close(f);
		return NULL;
	}
	p->magic = PAGE_MAGIC;
	/* Its size can no longer change: a mapping of it never faults. */
	fcntl(f, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	*fd = f;
	return p;
}

struct stsenv_page *stsenv_page_open(int fd)
{
	struct stsenv_page *p;
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);

	if (seals < 0 || !(seals & F_SEAL_SHRINK) || fstat(fd, &st) < 0 ||
	    st.st_size != (off_t)sizeof(*p))
		return NULL;
	p = mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (p->magic != PAGE_MAGIC) {
		munmap(p, sizeof(*p));
		return NULL;
	}
	return p;
}

int64_t stsenv_page_exp(const struct stsenv_page *p)
{
	return atomic_load_explicit(&p->exp_ms, memory_order_acquire);
}

bool stsenv_page_read(const struct stsenv_page *p, struct stsenv_page_cred *out)
{
	for (int tries = 0; tries < 10000; tries++) {
		uint64_t s1 = atomic_load_explicit(&p->seq, memory_order_acquire), s2;
		uint32_t li, ls, lt;

		if (s1 & 1)
			continue;
		out->exp_ms = atomic_load_explicit(&p->exp_ms, memory_order_relaxed);
		li = p->len_id;
		ls = p->len_secret;
		lt = p->len_token;
		if (out->exp_ms == 0 || li == 0 || ls == 0 || li + ls + lt + 3 > sizeof(out->buf))
			return false;
		memcpy(out->buf, p->data, li + ls + lt + 3);
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&p->seq, memory_order_relaxed);
		if (s1 != s2)
			continue;
		out->buf[li] = out->buf[li + 1 + ls] = out->buf[li + ls + lt + 2] = '\0';
		out->id = out->buf;
		out->secret = out->buf + li + 1;
		out->token = lt ? out->buf + li + ls + 2 : NULL;
		return true;
	}
	return false;
}

void stsenv_page_publish(struct stsenv_page *p, const struct stsenv_cred *c)
{
	size_t li = strlen(c->id), ls = strlen(c->secret), lt = c->token ? strlen(c->token) : 0;
	int64_t exp = c->exp_ms == STSENV_NO_EXPIRY ? INT64_MAX - 1 : c->exp_ms;
	uint64_t s = atomic_load(&p->seq);

	if (li + ls + lt + 3 > sizeof(p->data) || atomic_load(&p->exp_ms) >= exp)
		return;
	if (s & 1) {
		/* Busy.  Take over only from a writer that died mid-write. */
		if (mono_ms() - atomic_load(&p->write_started_ms) < STUCK_MS ||
		    !atomic_compare_exchange_strong(&p->seq, &s, s + 2))
			return;
		s += 1; /* we now own odd s+2; the store below makes it even */
	} else if (!atomic_compare_exchange_strong(&p->seq, &s, s + 1)) {
		return; /* another process is publishing right now */
	}
	atomic_store(&p->write_started_ms, mono_ms());
	memcpy(p->data, c->id, li + 1);
	memcpy(p->data + li + 1, c->secret, ls + 1);
	if (lt)
		memcpy(p->data + li + ls + 2, c->token, lt + 1);
	p->len_id = (uint32_t)li;
	p->len_secret = (uint32_t)ls;
	p->len_token = (uint32_t)lt;
	atomic_store_explicit(&p->exp_ms, exp, memory_order_relaxed);
	atomic_store_explicit(&p->seq, s + 2, memory_order_release);
}

bool stsenv_page_take_newer(const struct stsenv_page *p, int64_t exp_ms, int64_t now_real_ms,
			    struct stsenv_cred *out)
{
	struct stsenv_page_cred *pc;
	bool ok;

	if (stsenv_page_exp(p) <= exp_ms || !(pc = malloc(sizeof(*pc))))
		return false;
	ok = stsenv_page_read(p, pc) && pc->exp_ms > now_real_ms;
	if (ok) {
		out->id = strdup(pc->id);
		out->secret = strdup(pc->secret);
		out->token = pc->token ? strdup(pc->token) : NULL;
		out->exp_ms = pc->exp_ms == INT64_MAX - 1 ? STSENV_NO_EXPIRY : pc->exp_ms;
		ok = out->id && out->secret && (!pc->token || out->token);
		if (!ok)
			stsenv_cred_clear(out);
	}
	explicit_bzero(pc, sizeof(*pc));
	free(pc);
	return ok;
}

static enum stsenv_peer_claim peer_claim(void *ctx, int64_t exp_ms, int64_t lease_ms,
					 struct stsenv_cred *out)
{
	struct stsenv_page *p = ctx;
	struct timespec ts;
	int_fast64_t until, now = mono_ms();

	clock_gettime(CLOCK_REALTIME, &ts);
	if (stsenv_page_take_newer(p, exp_ms, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
				   out))
		return STSENV_PEER_TAKEN;
	/* One fetch at a time for the whole tree; a lease outlives a process
	 * that dies mid-fetch by at most the fetch timeout. */
	until = atomic_load(&p->lease_until_ms);
	if (until > now)
		return STSENV_PEER_BUSY;
	if (!atomic_compare_exchange_strong(&p->lease_until_ms, &until, now + lease_ms))
		return STSENV_PEER_BUSY;
	return STSENV_PEER_FETCH;
}

static void peer_release(void *ctx)
{
	struct stsenv_page *p = ctx;

	atomic_store(&p->lease_until_ms, 0);
}

static void peer_publish(void *ctx, const struct stsenv_cred *c)
{
	stsenv_page_publish(ctx, c);
}

void stsenv_page_peer(struct stsenv_page *p, struct stsenv_peer *out)
{
	out->claim = peer_claim;
	out->release = peer_release;
	out->publish = peer_publish;
	out->ctx = p;
}
