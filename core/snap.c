#include "snap.h"

#include "marker.h"
#include "timeutil.h"

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#define CHUNK_SIZE (64 * 1024)

struct chunk {
	_Atomic size_t used;
	size_t size;
	alignas(16) char data[];
};

static _Atomic(struct chunk *) current_chunk;

void *stsenv_arena_alloc(size_t n)
{
	int saved = errno;

	n = (n + 15) & ~(size_t)15;
	for (;;) {
		struct chunk *c = atomic_load_explicit(&current_chunk, memory_order_acquire), *nc;
		size_t size;

		if (c) {
			/* Past the end only ever wastes the tail of a chunk. */
			size_t off = atomic_fetch_add_explicit(&c->used, n, memory_order_relaxed);
			if (off <= c->size && n <= c->size - off)
				return c->data + off;
		}
		size = sizeof(*nc) + n > CHUNK_SIZE ? (sizeof(*nc) + n + 4095) & ~(size_t)4095
						    : CHUNK_SIZE;
		nc = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (nc == MAP_FAILED) {
			errno = ENOMEM;
			return NULL;
		}
		/* Credentials never go into a core file of the host's. */
		madvise(nc, size, MADV_DONTDUMP);
		errno = saved;
		atomic_store_explicit(&nc->used, n, memory_order_relaxed);
		nc->size = size - sizeof(*nc);
		if (atomic_compare_exchange_strong(&current_chunk, &c, nc))
			return nc->data;
		munmap(nc, size); /* another thread put a chunk in place first */
	}
}

/* Layout of one arena block: the struct, id, secret, token, then room for
 * the expiration text and the marker, each NUL-terminated. */
struct stsenv_snap *stsenv_snap_reserve(size_t li, size_t ls, size_t lt, bool has_token, char **id,
					char **secret, char **token)
{
	struct stsenv_snap *s;
	char *cursor;

	if (li > STSENV_MAX_ID || ls > STSENV_MAX_SECRET || lt > STSENV_MAX_TOKEN)
		return NULL;
	s = stsenv_arena_alloc(sizeof(*s) + li + ls + lt + 3 + 32 + STSENV_MARKER_MAX);
	if (!s)
		return NULL;
	cursor = (char *)(s + 1);
	s->id = *id = cursor;
	cursor += li + 1;
	s->secret = *secret = cursor;
	cursor += ls + 1;
	s->token = *token = has_token ? cursor : NULL;
	cursor += lt + 1;
	/* The expiration text and the marker go after, in finish(). */
	s->expiration = cursor;
	return s;
}

const struct stsenv_snap *stsenv_snap_finish(struct stsenv_snap *s, int64_t exp_ms,
					     uint64_t fingerprint, uint64_t generation,
					     int64_t now_real_ms, int64_t now_mono_ms,
					     const struct stsenv_snap *prev)
{
	struct stsenv_marker m = {fingerprint, exp_ms, {0, 0, 0}};
	char *text = (char *)s->expiration;

	m.hash[0] = stsenv_value_hash(s->id);
	m.hash[1] = stsenv_value_hash(s->secret);
	m.hash[2] = s->token ? stsenv_value_hash(s->token) : 0;
	if (exp_ms != STSENV_NO_EXPIRY) {
		stsenv_format_iso8601(exp_ms, text, 32);
		s->marker = text + strlen(text) + 1;
	} else {
		s->expiration = NULL;
		s->marker = text;
	}
	stsenv_marker_format(&m, (char *)s->marker, STSENV_MARKER_MAX);
	s->exp_real_ms = exp_ms;
	/* The deadline moves onto the monotonic clock once, here, so that a
	 * wall clock stepped back later cannot extend a credential's life. */
	s->exp_mono_ms = exp_ms == STSENV_NO_EXPIRY ? STSENV_NO_EXPIRY
						    : now_mono_ms + (exp_ms - now_real_ms);
	s->born_mono_ms = now_mono_ms;
	s->generation = generation;
	s->fingerprint = fingerprint;
	memcpy(s->hash, m.hash, sizeof(s->hash));
	s->prev = prev;
	s->origin = NULL;
	return s;
}

const struct stsenv_snap *stsenv_snap_new(const struct stsenv_cred *c, uint64_t fingerprint,
					  uint64_t generation, int64_t now_real_ms,
					  int64_t now_mono_ms, const struct stsenv_snap *prev)
{
	size_t li = strlen(c->id), ls = strlen(c->secret), lt = c->token ? strlen(c->token) : 0;
	char *id, *secret, *token;
	struct stsenv_snap *s =
		stsenv_snap_reserve(li, ls, lt, c->token != NULL, &id, &secret, &token);

	if (!s)
		return NULL;
	memcpy(id, c->id, li + 1);
	memcpy(secret, c->secret, ls + 1);
	if (token)
		memcpy(token, c->token, lt + 1);
	return stsenv_snap_finish(s, c->exp_ms, fingerprint, generation, now_real_ms, now_mono_ms,
				  prev);
}
