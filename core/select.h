/* Which source a configuration names: STSENV_SOURCE, or the first
 * configured one in the order of the chain (uri, file, oidc, profile, ecs).  The
 * answer is a description (desc.h), not a source: the preload needs only
 * its fingerprint, a keeper builds the source from it. */
#ifndef STSENV_SELECT_H
#define STSENV_SELECT_H

#include "config.h"
#include "desc.h"

#define STSENV_SOURCE_KINDS 5

/* What `stsenv status` says of each kind of source. */
enum stsenv_sel_state {
	STSENV_SEL_NOT_CONFIGURED,
	STSENV_SEL_IN_USE,
	STSENV_SEL_BROKEN,   /* configured, and broken: nothing later is used */
	STSENV_SEL_SHADOWED, /* configured, but one earlier in the chain wins */
	STSENV_SEL_NOT_SELECTED,
};

struct stsenv_selection {
	int chosen; /* index into kinds, or -1 */
	const char *kinds[STSENV_SOURCE_KINDS];
	char why[STSENV_SOURCE_KINDS][200]; /* for `stsenv status` */
	enum stsenv_sel_state state[STSENV_SOURCE_KINDS];
	bool brief;	/* no reasons wanted: leave why empty */
	char note[256]; /* what looks like a mistake: a named file missing, half an OIDC role */
};

/* Fills out with the chosen source; 0, or -1 with err set when none is
 * configured or the one configured is broken (auto never falls through
 * past it).  sel records why each kind was taken or skipped; NULL when only
 * the answer is wanted (the preload, at every process start). */
int stsenv_select(const struct stsenv_config *c, stsenv_getenv_fn get, struct stsenv_selection *sel,
		  struct stsenv_desc *out, struct stsenv_err *err);

/* The environment's settings for AssumeRoleWithOIDC and for the metadata
 * service, into d (kind, flag, duration and every slot the environment
 * sets).  One mapping, used by the chain and by profiles. */
bool stsenv_desc_oidc_from_env(struct stsenv_desc *d, stsenv_getenv_fn get);
bool stsenv_desc_ecs_from_env(struct stsenv_desc *d, stsenv_getenv_fn get);

/* The environment's settings for a role on top (STSENV_ROLE_ARN and the
 * rest; strings borrowed from the environment); a role profile overrides
 * what it says itself. */
void stsenv_role_params_from_env(struct stsenv_role_params *r, stsenv_getenv_fn get);

#endif
