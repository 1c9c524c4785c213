/* The keeper of a tree: the one process that asks the source, writes the
 * tree's page and hands the page to the tree's processes (core/page.h has
 * the trust model).  The launcher is the keeper of the tree it starts;
 * `stsenv keep` is the keeper a plain-preload process starts for its own. */
#ifndef STSENV_KEEPER_H
#define STSENV_KEEPER_H

#include "../core/engine.h"
#include "../core/page.h"
#include "../core/source.h"
#include "../core/tree.h"
#include "endpoint.h"

#include <stdbool.h>

struct keeper {
	struct stsenv_engine *engine;
	struct stsenv_page *page;
	int page_fd, listen_fd;
	struct stsenv_tree tree;
	char tree_value[STSENV_TREE_MAX]; /* for STSENV_TREE */
	uint64_t published;		  /* generation last written to the page */
	struct endpoint ep;		  /* the tree's credentials endpoint (listen_fd -1: none) */
	int clock_fd;			  /* readable when the wall clock is set (-1: none) */
};

/* Creates the page and listens on `name` (a new random one if NULL), and
 * starts answering requests for the page in a thread of its own. */
int keeper_open(struct keeper *k, struct stsenv_engine *e, uint64_t fingerprint, const char *name,
		struct stsenv_err *err);

/* Asks the source if an attempt is due (now, with force) and writes the
 * outcome to the page.  Returns what the engine did. */
enum stsenv_attempt keeper_step(struct keeper *k, bool force);

/* Publishes the engine's current credential (after an adopt). */
void keeper_publish(struct keeper *k);

/* Milliseconds until the next attempt is due (0: now), at most cap, and
 * at most a quarter of the margin: a wall clock moved by a shim or a
 * hypervisor, which sets off no timer, is noticed that soon
 * (stsenv_engine_poll rebases the credential on it). */
int keeper_wait_ms(const struct keeper *k, int cap);

/* After poll reported k->clock_fd readable: the wall clock was set
 * (stepped); re-arms it.  The next keeper_step sees the step. */
void keeper_clock_stepped(struct keeper *k);

/* The page says the keeper is gone; the socket is closed. */
void keeper_close(struct keeper *k);

/* Removes libstsenv from this process's LD_PRELOAD: what a keeper runs (a
 * credential helper of the External mode) must not start a tree of its own. */
void keeper_scrub_preload(void);

/* libc's posix_spawnp, never the preload's wrapper of it, which a program
 * that has the preload loaded (inert) would otherwise bind to. */
stsenv_spawn_fn keeper_libc_spawn(void);

/* No core file, no ptrace by other processes: a keeper holds the tree's
 * credentials in memory.  keeper_unharden, in a child about to exec a
 * command, gives it back the core limit it would have had. */
void keeper_harden(void);
void keeper_unharden(void);

#endif
