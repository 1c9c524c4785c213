/* The page's layout in memory: for page.c, and for the unit tests and the
 * fuzzer, which build pages of their own to attack the reader with. */
#ifndef STSENV_PAGE_LAYOUT_H
#define STSENV_PAGE_LAYOUT_H

#include "cred.h"
#include "page.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

#define STSENV_PAGE_MAGIC   0x3247504e45535453ULL /* "STSENPG2" */
#define STSENV_PAGE_VERSION 3
#define STSENV_PAGE_SEALS   (F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
#define STSENV_PAGE_DATA                                                                           \
	(STSENV_MAX_ID + STSENV_MAX_SECRET + STSENV_MAX_TOKEN + STSENV_PAGE_ERROR_MAX)
#define STSENV_PAGE_HAS_CRED  1u
#define STSENV_PAGE_HAS_TOKEN 2u

enum { STSENV_PF_ID, STSENV_PF_SECRET, STSENV_PF_TOKEN, STSENV_PF_ERROR, STSENV_PF_COUNT };

/* What the keeper writes.  Everything above `version_word` is written once,
 * before the page is sealed and shared. */
struct stsenv_page_shared {
	uint64_t magic;
	uint32_t version;
	uint32_t size;
	uint64_t fingerprint;
	uint32_t uid, gid;
	uint32_t keeper_pid;
	char endpoint[STSENV_PAGE_ENDPOINT_MAX]; /* the tree's credentials URI; "" if none */
	_Atomic uint32_t version_word;		 /* futex: bumped after every write */
	_Atomic uint64_t seq;			 /* odd while a write is in progress */
	/* Under seq. */
	uint64_t generation;
	int64_t exp_ms;
	int64_t next_attempt_ms;
	int64_t next_attempt_mono_ms;
	uint32_t state;
	uint32_t fetching; /* the keeper is asking the source right now */
	uint32_t flags;
	uint32_t len[STSENV_PF_COUNT];
	uint32_t off[STSENV_PF_COUNT];
	char data[STSENV_PAGE_DATA];
};

#endif
