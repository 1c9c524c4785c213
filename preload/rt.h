/* The preload's runtime: the state its parts share, and their entry points.
 *
 * A process under the preload is a member of a tree: it serves the
 * credential it was handed, and when that nears its refresh time it takes
 * newer ones from the tree's page (core/page.h), which only the keeper
 * writes.  It never fetches, never starts a thread, never loads libcurl.
 * Every path here that a getenv, an exec wrapper or a vfork child can
 * reach takes no lock and makes no malloc: snapshots come from the arena,
 * the page is read under a sequence lock, the keeper is reached with plain
 * system calls.  Only init (the constructor) allocates. */
#ifndef STSENV_RT_H
#define STSENV_RT_H

#include "symbols.h"

#include "../core/clock.h"
#include "../core/config.h"
#include "../core/names.h"
#include "../core/page.h"
#include "../core/policy.h"
#include "../core/snap.h"
#include "../core/tree.h"

#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* libc's own functions, resolved once (stsenv_rt_resolve). */
#define STSENV_REAL_FIELD(ret, name, params) ret(*name) params;
#define STSENV_NO_FIELD(name)
struct stsenv_real {
	STSENV_SYMBOLS(STSENV_REAL_FIELD, STSENV_NO_FIELD)
};
extern struct stsenv_real stsenv_real;

struct stsenv_rt {
	/* Set once by init, then only read. */
	atomic_bool ready;
	bool active;		   /* some credential name is served */
	_Atomic pid_t pid;	   /* the process whose memory this is: a vfork child
				    * runs in its parent's, whose pid this stays */
	bool has_src;		   /* a source is configured (fingerprint) */
	bool no_keeper;		   /* our tree's first process could start none: try none */
	struct stsenv_names names; /* its first-byte bitmap beside `ready` */
	struct stsenv_config cfg;
	struct stsenv_policy policy;
	uint64_t fingerprint;
	const char *request; /* packed keeper request, in the arena */
	size_t request_len;
	const char *library;	       /* this library's path */
	const char *keeper_path[2];    /* where `stsenv keep` is */
	const char *label;	       /* the source, safe to log */
	const char *source_uri;	       /* the URI the source reads, if it is a URI */
	char *entry[STSENV_MAX_NAMES]; /* our entries in environ after load */
	/* What they held then ("NAME=value", a copy: a host may overwrite
	 * the originals once it moved them), or NULL for none. */
	const char *placed[STSENV_MAX_NAMES];
	atomic_bool entries_known; /* entry[] and placed[] are filled */

	/* Change while the process runs, atomically. */
	_Atomic(const struct stsenv_snap *) cur;
	_Atomic(const struct stsenv_page_view *) page;
	_Atomic(const char *) tree;	/* STSENV_TREE value of the tree we are in */
	_Atomic(const char *) endpoint; /* the tree's credentials endpoint, once known */
	_Atomic uint32_t seen_version;	/* of the page, when last read */
	_Atomic int64_t next_check;	/* coarse ms: the keeper's state again */
	_Atomic int64_t next_try;	/* monotonic ms: reaching the keeper again */
	_Atomic pid_t busy;		/* a thread of this pid is starting a tree */
	_Atomic pid_t own_keeper;	/* our child guarding the keeper (we are a reaper) */
	_Atomic(void *) own_map;	/* its mapping */
	atomic_bool keeper_failed;	/* none could be started: children stay quiet */
	_Atomic uint64_t owned;		/* names the program set or removed itself */
	_Atomic uint64_t envcache[STSENV_MAX_NAMES];
};
extern struct stsenv_rt stsenv_rt;

/* init.c: libc's functions (idempotent, no malloc once dlsym succeeds). */
void stsenv_rt_resolve(void);
/* init.c: the one gate; everything else assumes it has run. */
void stsenv_rt_init_once(void);
static inline void stsenv_rt_init(void)
{
	if (!atomic_load_explicit(&stsenv_rt.ready, memory_order_acquire))
		stsenv_rt_init_once();
}

/* member.c: the newest valid credential, following the tree's page and
 * reaching (or starting) the tree when the credential is due.  When none is
 * valid and the keeper is asking the source, waits at most wait_ms for it
 * (STSENV_TIMEOUT_MS; a little more for a new tree's first, which includes
 * the keeper's start). */
const struct stsenv_snap *stsenv_rt_current(int64_t wait_ms);
/* The same, with the coarse clock read by the caller. */
const struct stsenv_snap *stsenv_rt_current_at(int64_t now, int64_t wait_ms);

/* member.c: the tree's credentials endpoint (asking the keeper for the page
 * if this process has not yet), or NULL. */
const char *stsenv_rt_endpoint(void);

/* Whether s may be served at monotonic now: by both clocks, since a wall
 * clock stepped forward (a resumed VM) ends a credential's life early and
 * one stepped back must not extend it.  The coarse clocks are a few ns. */
static inline bool stsenv_rt_live(const struct stsenv_snap *s, int64_t now)
{
	return stsenv_snap_valid(s, now) && (s->exp_real_ms == STSENV_NO_EXPIRY ||
					     stsenv_real_coarse_ms_inline() < s->exp_real_ms);
}

/* root.c: starts a keeper for a tree of our own (waiting, at most the
 * timeout, for its page).  The page and tree go into stsenv_rt. */
bool stsenv_rt_start_tree(void);

/* serve.c */
char *stsenv_rt_serve(const char *name, int secure);
char *stsenv_rt_pass_slow(const char *name, int secure);

/* Whether some served name starts with c.  An atomic load (a plain one on
 * every CPU we run on): python.c adds 'P' while Python starts. */
static inline __attribute__((always_inline)) bool stsenv_rt_first_byte(unsigned char c)
{
	return (__atomic_load_n(&stsenv_rt.names.first[c >> 6], __ATOMIC_RELAXED) >> (c & 63)) & 1;
}

/* Inlined into getenv and secure_getenv: every other name takes a
 * first-byte test (in the cache line of `ready`) and one indirect jump
 * into libc, with no call and no register saved. */
static inline __attribute__((always_inline)) char *stsenv_rt_getenv(const char *name, int secure)
{
	char *(*f)(const char *) = secure ? stsenv_real.secure_getenv : stsenv_real.getenv;

	if (__builtin_expect(name != NULL, 1)) {
		unsigned char c = (unsigned char)name[0];
		bool maybe =
			__builtin_expect(
				atomic_load_explicit(&stsenv_rt.ready, memory_order_acquire), 1)
				? stsenv_rt_first_byte(c)
				: c == 'A' || c == 'O' || c == 'S'; /* before init: the built-ins */

		if (__builtin_expect(maybe, 0))
			return stsenv_rt_serve(name, secure);
	}
	return __builtin_expect(f != NULL, 1) ? f(name) : stsenv_rt_pass_slow(name, secure);
}
/* The program sets name (len bytes) to value, or removes it (NULL). */
void stsenv_rt_owned(const char *name, size_t len, const char *value);
void stsenv_rt_owned_all(void); /* clearenv */

/* python.c: CPython's bootstrap on the PYTHONPATH Python reads: decided
 * at load, or after the dlopen that brings libpython (interpose.c). */
void stsenv_rt_python_bootstrap(int argc, char **argv);
bool stsenv_rt_python_watch(const char *file, const void *caller);
void stsenv_rt_python_loaded(void *handle);
/* getenv of an unserved name starting with 'P'; value is libc's answer. */
char *stsenv_rt_python_getenv(const char *name, char *value);
/* pyext.c: Python's API, looked up when the module is imported. */
void *stsenv_rt_python_sym(const char *name);
void stsenv_rt_python_started(void);

/* What an exec is about to run: the file at path (relative to dirfd,
 * searched in PATH when search is set and it has no slash), or fd. */
struct stsenv_rt_target {
	int dirfd;
	const char *path;
	int fd;
	bool search;
};

/* execenv.c: envp with the freshest credential, delivered as the target
 * needs it (core/delivery.h), or NULL to pass envp on. */
char **stsenv_rt_exec_env(char *const envp[], const struct stsenv_rt_target *t);
/* Releases what stsenv_rt_exec_env holds for this thread (after the call). */
void stsenv_rt_exec_env_done(void);

#endif
