/* The shared credential page of a process tree started by `stsenv exec`.
 *
 * The launcher creates a memfd (never on disk), leaves its descriptor open
 * across exec and names it in STSENV_PAGE_FD.  Every preload in the tree
 * maps it: a process whose credential nears its refresh time first looks
 * here, and only fetches from the source if nobody in the tree has done so
 * already; whoever fetches publishes here.  So the whole tree makes about
 * one request per rotation, and an exec in a vfork child, which may not
 * allocate, lock or fetch, can still hand down the newest credential by
 * copying it from the page onto its stack.
 *
 * Writers serialise on the sequence number (odd while a write is in
 * progress); readers retry while it is odd or changed under them. */
#ifndef STSENV_PAGE_H
#define STSENV_PAGE_H

#include "cred.h"
#include "engine.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STSENV_PAGE_VAR	 "STSENV_PAGE_FD"
#define STSENV_PAGE_DATA (STSENV_MAX_ID + STSENV_MAX_SECRET + STSENV_MAX_TOKEN + 3)

struct stsenv_page;

/* A credential copied out of the page; strings point into buf. */
struct stsenv_page_cred {
	const char *id, *secret, *token; /* token NULL for none */
	int64_t exp_ms;
	char buf[STSENV_PAGE_DATA];
};

/* Creates a page; *fd is inheritable (no close-on-exec). */
struct stsenv_page *stsenv_page_create(int *fd);

/* Maps the page behind fd, after checking it is one; NULL otherwise. */
struct stsenv_page *stsenv_page_open(int fd);

/* Expiration (ms) of the credential in the page, 0 if none.  One load. */
int64_t stsenv_page_exp(const struct stsenv_page *p);

/* Copies the credential out.  No allocation, no lock, no system call:
 * safe in a vfork child and in a signal handler.  false if the page is
 * empty or stays busy. */
bool stsenv_page_read(const struct stsenv_page *p, struct stsenv_page_cred *out);

/* If the page holds a valid credential expiring after exp_ms, copies it
 * into out (allocating) and returns true. */
bool stsenv_page_take_newer(const struct stsenv_page *p, int64_t exp_ms, int64_t now_real_ms,
			    struct stsenv_cred *out);

/* Publishes a credential unless one that expires later is already there. */
void stsenv_page_publish(struct stsenv_page *p, const struct stsenv_cred *c);

/* The page as the engine's peer (see struct stsenv_peer). */
void stsenv_page_peer(struct stsenv_page *p, struct stsenv_peer *out);

#endif
