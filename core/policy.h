/* The served-names policy, in one place: which names a process serves,
 * which families are the user's own, what a parent handed down, what goes
 * into environ at load and what a child's environment becomes at exec.
 * The preload and the launcher both follow it; nothing here knows how the
 * credential was obtained.
 *
 * The rules:
 *  - A value was handed down by stsenv when the marker beside it
 *    (STSENV_HANDOFF) vouches for it: per value, never per family.
 *  - A family (ALIBABA_CLOUD_*, ALIBABACLOUD_*, ALICLOUD_*, OSS_*, the
 *    STSENV_VARS names) is the user's own when one of its id names is set
 *    to a value stsenv did not hand down: stsenv leaves it alone, unless
 *    STSENV_OVERRIDE=1.
 *  - An environment without a marker starts a tree: every name of every
 *    other family is served.  One with a marker serves exactly the names
 *    whose values it vouches for, plus those it says were handed down empty
 *    (a token that did not exist yet); a name the caller removed or set
 *    stays as the caller left it.
 *  - At exec only values the marker (or this process's own credentials)
 *    vouch for are replaced; nothing is added to an environment that holds
 *    none; an environment whose marker is current passes unchanged. */
#ifndef STSENV_POLICY_H
#define STSENV_POLICY_H

#include "marker.h"
#include "names.h"
#include "snap.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef char *(*stsenv_getenv_fn)(const char *name);

struct stsenv_policy {
	uint64_t served; /* by name index: answered from the credential */
	bool any;	 /* some credential name is served */
	bool static_fam[STSENV_FAM_COUNT];
	const char *static_name[STSENV_FAM_COUNT]; /* the id name that made it so */
	bool have_marker;			   /* the environment holds a valid one */
	struct stsenv_marker marker;
	/* The credential handed down, if the marker vouches for a whole one
	 * from this process's own source configuration (pointers into the
	 * environment; expiry not checked here). */
	bool adoptable;
	struct stsenv_cred handed;
};

/* Classifies the environment read through get.  own_fp: the fingerprint
 * of this process's source configuration; override: STSENV_OVERRIDE. */
void stsenv_policy_classify(struct stsenv_policy *p, const struct stsenv_names *n,
			    stsenv_getenv_fn get, bool override, uint64_t own_fp);

/* Logs, at warn, each family the user holds a static key in (its id
 * redacted) and what stsenv does about it; `then` ends the line. */
void stsenv_policy_warn_static(const struct stsenv_policy *p, stsenv_getenv_fn get,
			       const char *then);

static inline bool stsenv_policy_serves(const struct stsenv_policy *p, const struct stsenv_name *n)
{
	return (p->served >> n->index) & 1;
}

/* The value name n reads from credential s in tree `tree` (NULL: none). */
static inline const char *stsenv_policy_value(const struct stsenv_name *n,
					      const struct stsenv_snap *s, const char *tree)
{
	if (n->field == STSENV_F_TREE)
		return tree;
	return s ? stsenv_snap_field(s, n->field) : NULL;
}

/* Calls set(name, value) for every served name whose value in the
 * environment (read through get) differs from what s gives, and
 * unset(name) where s gives none.  Returns the number of changes. */
int stsenv_policy_place(const struct stsenv_policy *p, const struct stsenv_names *n,
			const struct stsenv_snap *s, const char *tree, stsenv_getenv_fn get,
			int (*set)(const char *, const char *, int), int (*unset)(const char *));

/* ---- at exec ------------------------------------------------------- */

struct stsenv_exec_plan {
	size_t entries; /* in envp when planned */
	size_t slots;	/* of the new envp, its NULL included */
	size_t bytes;	/* of the new strings */
	bool replace;	/* ours are replaced by cur's; false: dropped (expired) */
	struct stsenv_marker marker;
	bool have_marker;
};

/* False: hand envp on unchanged (nothing of ours in it, already current,
 * or more than max_entries).  cur: the credential to hand down, NULL if
 * none is valid (then vouched values that have expired are dropped).
 * Lock-free, allocation-free: runs in vfork children. */
bool stsenv_exec_plan(struct stsenv_exec_plan *p, const struct stsenv_names *n, char *const envp[],
		      const struct stsenv_snap *cur, const char *tree, int64_t now_real_ms,
		      size_t max_entries);

/* Writes the new envp (p->slots pointers) into out and its strings
 * (p->bytes) into strings. */
void stsenv_exec_fill(const struct stsenv_exec_plan *p, const struct stsenv_names *n,
		      char *const envp[], const struct stsenv_snap *cur, const char *tree,
		      char **out, char *strings);

#endif
