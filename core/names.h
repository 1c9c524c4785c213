/* Which environment names stsenv serves, and from which field. */
#ifndef STSENV_NAMES_H
#define STSENV_NAMES_H

#include "cred.h"
#include "err.h"

#include <stdbool.h>
#include <stdint.h>

/* A family is a set of names one tool reads together; a static key
 * configured for one family leaves the other families served. */
enum stsenv_family {
	STSENV_FAM_ALIBABA_CLOUD,
	STSENV_FAM_ALIBABACLOUD,
	STSENV_FAM_ALICLOUD,
	STSENV_FAM_OSS,
	STSENV_FAM_USER, /* names added with STSENV_VARS */
	STSENV_FAM_NONE, /* STSENV_EXPIRATION: never a user's static key */
	STSENV_FAM_COUNT
};

struct stsenv_name {
	const char *name;
	uint8_t field;	/* enum stsenv_field */
	uint8_t family; /* enum stsenv_family */
	uint8_t index;	/* position in the table: a bit in per-name sets */
};

#define STSENV_BUILTIN_COUNT 17
#define STSENV_MAX_EXTRA     32
#define STSENV_MAX_NAMES     (STSENV_BUILTIN_COUNT + STSENV_MAX_EXTRA) /* <= 64 */
#define STSENV_MAX_NAME	     64

struct stsenv_names {
	uint64_t first[4]; /* bitmap of first bytes of every served name; read atomically */
	int nextra;
	struct stsenv_name extra[STSENV_MAX_EXTRA];
	char store[STSENV_MAX_EXTRA][STSENV_MAX_NAME];
};

/* The built-in table, NULL-terminated: the 15 names the SDKs and tools
 * read, then STSENV_HANDOFF and STSENV_TREE, stsenv's own. */
extern const struct stsenv_name stsenv_builtin_names[];

/* Every name of n, built-in first: index i for 0 <= i < count. */
static inline int stsenv_names_count(const struct stsenv_names *n)
{
	return STSENV_BUILTIN_COUNT + n->nextra;
}
static inline const struct stsenv_name *stsenv_names_at(const struct stsenv_names *n, int i)
{
	return i < STSENV_BUILTIN_COUNT ? &stsenv_builtin_names[i]
					: &n->extra[i - STSENV_BUILTIN_COUNT];
}

/* Fills n with the built-in names plus the STSENV_VARS spec
 * ("NAME=field,NAME=field"; NULL for none).  Returns the number of
 * entries refused; err describes the first. */
int stsenv_names_init(struct stsenv_names *n, const char *vars, struct stsenv_err *err);

/* The entry serving name, or NULL.  Cheap for names that are not served:
 * it is on the path of every getenv in the process. */
static inline const struct stsenv_name *stsenv_names_find(const struct stsenv_names *n,
							  const char *name);

const struct stsenv_name *stsenv_names_find_slow(const struct stsenv_names *n, const char *name);

static inline const struct stsenv_name *stsenv_names_find(const struct stsenv_names *n,
							  const char *name)
{
	unsigned char c = (unsigned char)name[0];

	/* Atomic: the preload adds 'P' while Python starts (preload/python.c). */
	if (!(__atomic_load_n(&n->first[c >> 6], __ATOMIC_RELAXED) & (1ULL << (c & 63))))
		return 0;
	return stsenv_names_find_slow(n, name);
}

/* "id", "secret", "token", "expiration", "marker", "tree" */
const char *stsenv_field_name(int field);

#endif
