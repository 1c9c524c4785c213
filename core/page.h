/* The credential page of a process tree.
 *
 * Trust model.  One process writes the page: the keeper of the tree (the
 * launcher, or the helper that the first process of a plain-preload tree
 * starts).  It creates the page as a memfd (memory only, never on disk),
 * maps it writable, then seals it with F_SEAL_FUTURE_WRITE, SHRINK, GROW
 * and SEAL: from then on no descriptor of it, however opened or reopened
 * (/proc/PID/fd included), can write it, map it writable, resize it or
 * change its seals; only the keeper's own mapping stays writable.  Other
 * processes get a descriptor from the keeper over a unix socket that checks
 * their uid and gid (tree.h), map it read-only and close the descriptor.
 * They trust nothing in it: a reader checks the seals and the size before
 * mapping, the header (magic, version, size, the source fingerprint, the
 * uid and gid the keeper recorded) before using it, and every length and
 * offset, in 64-bit arithmetic against the page's own size, before copying
 * a byte.  The newest fetch wins: the keeper writes whatever it fetched
 * last, with a generation number; readers never compare expirations.
 *
 * Readers copy under a sequence lock (odd while the keeper writes) and
 * wait for a change with a futex on the page, so a read takes no lock,
 * makes no allocation but the snapshot (snap.h) and only system calls that
 * are safe in a signal handler and in a vfork child. */
#ifndef STSENV_PAGE_H
#define STSENV_PAGE_H

#include "cred.h"
#include "err.h"
#include "snap.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum stsenv_page_state {
	STSENV_PAGE_EMPTY,   /* the keeper has not fetched yet */
	STSENV_PAGE_OK,	     /* holds the newest credential */
	STSENV_PAGE_FAILING, /* the last attempt failed; the credential, if any, is the last good */
	STSENV_PAGE_CLOSED,  /* the keeper has exited */
};

#define STSENV_PAGE_ERROR_MAX 384
/* "http://127.0.0.1:65535/" and a 32-digit capability, with room. */
#define STSENV_PAGE_ENDPOINT_MAX 96

/* ---- the keeper's side -------------------------------------------------- */

struct stsenv_page;

/* Creates and seals a page for credentials from the source configuration
 * with this fingerprint, naming the tree's credentials endpoint (NULL or
 * "": none); *fd (close-on-exec) is what the keeper hands out. */
struct stsenv_page *stsenv_page_create(uint64_t fingerprint, const char *endpoint, int *fd,
				       struct stsenv_err *err);

struct stsenv_page_update {
	const struct stsenv_cred *cred; /* NULL: keep the credential there */
	uint64_t generation;		/* of cred */
	enum stsenv_page_state state;
	bool fetching;		      /* about to ask the source: a process with no valid
				       * credential may wait for the outcome */
	int64_t next_attempt_ms;      /* wall clock: when the keeper asks the source next */
	int64_t next_attempt_mono_ms; /* the same on CLOCK_MONOTONIC */
	const char *error;	      /* safe to show; "" or NULL for none */
};

/* Unmaps the keeper's view and frees p (the page lives on in its readers). */
void stsenv_page_destroy(struct stsenv_page *p);

/* Writes u and wakes every reader waiting for a change. */
void stsenv_page_write(struct stsenv_page *p, const struct stsenv_page_update *u);

/* ---- everyone else ---------------------------------------------------- */

struct stsenv_page_view;

/* Checks fd (seals, size) and maps it read-only; checks the header against
 * the fingerprint of the caller's own configuration and the caller's
 * uid/gid.  NULL with err set otherwise.  The caller may close fd. */
const struct stsenv_page_view *stsenv_page_map(int fd, uint64_t fingerprint,
					       struct stsenv_err *err);

/* The tree's credentials endpoint into buf (len >= STSENV_PAGE_ENDPOINT_MAX):
 * false if the page names none, or something that is not a loopback URL. */
bool stsenv_page_endpoint(const struct stsenv_page_view *v, char *buf, size_t len);

/* The pid of the keeper that wrote the page (as it recorded it). */
pid_t stsenv_page_keeper(const struct stsenv_page_view *v);

/* Changes with every write: wait on it with stsenv_page_wait. */
uint32_t stsenv_page_version(const struct stsenv_page_view *v);

/* Waits until the version differs from seen, at most timeout_ms.  Returns
 * false on timeout. */
bool stsenv_page_wait(const struct stsenv_page_view *v, uint32_t seen, int64_t timeout_ms);

struct stsenv_page_status {
	uint64_t generation;
	enum stsenv_page_state state;
	bool fetching;
	int64_t exp_ms; /* of the credential held; 0: none */
	int64_t next_attempt_ms, next_attempt_mono_ms;
	char error[STSENV_PAGE_ERROR_MAX];
};

/* Reads the page.  Returns a snapshot of the credential it holds when its
 * generation differs from have_generation (NULL otherwise, or when it holds
 * none); st (optional) receives the keeper's state.  *corrupt is set when
 * the page fails a check or stays busy: do not use it again. */
const struct stsenv_snap *stsenv_page_snapshot(const struct stsenv_page_view *v,
					       uint64_t have_generation, int64_t now_real_ms,
					       int64_t now_mono_ms, const struct stsenv_snap *prev,
					       struct stsenv_page_status *st, bool *corrupt);

/* For the fuzzer and the unit tests: checks and reads size bytes of
 * untrusted page contents as a reader would. */
bool stsenv_page_check_bytes(const void *bytes, size_t size, uint64_t fingerprint,
			     struct stsenv_page_status *st);

/* The size of a page, for those. */
size_t stsenv_page_size(void);

#endif
