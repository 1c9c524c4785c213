/* A source described as data: what selection (select.h) decides, what a
 * keeper builds its source from, and what the fingerprint of a process's
 * source configuration is taken over.  A description may hold a long-term
 * key (a profile's AccessKey): its strings are wiped when it is cleared and
 * it never reaches a log; `label` is the part safe to show. */
#ifndef STSENV_DESC_H
#define STSENV_DESC_H

#include "err.h"
#include "source.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum stsenv_src_kind {
	STSENV_SRC_NONE,
	STSENV_SRC_URI,
	STSENV_SRC_FILE,
	STSENV_SRC_OIDC,
	STSENV_SRC_ECS,
	STSENV_SRC_STATIC,  /* a profile's fixed AccessKey or StsToken */
	STSENV_SRC_PROCESS, /* the CLI's External mode */
};

/* The string slots of each kind. */
enum { STSENV_D_URI = 0 };
enum { STSENV_D_PATH = 0 };
enum {
	STSENV_D_ROLE_ARN = 0,
	STSENV_D_PROVIDER,
	STSENV_D_TOKEN_FILE,
	STSENV_D_SESSION,
	STSENV_D_POLICY,
	STSENV_D_STS_ENDPOINT,
	STSENV_D_REGION,
};
enum { STSENV_D_ECS_ENDPOINT = 0, STSENV_D_ROLE_NAME };
enum { STSENV_D_ID = 0, STSENV_D_SECRET, STSENV_D_TOKEN };
enum { STSENV_D_COMMAND = 0 };

/* A role assumed on top of the source (AssumeRole, signed with its
 * credential), then on top of that role, and so on: the slots of layer r
 * are STSENV_ROLE_SLOT(r, STSENV_R_*). */
enum {
	STSENV_R_ARN = 0,
	STSENV_R_SESSION,
	STSENV_R_POLICY,
	STSENV_R_EXTERNAL_ID,
	STSENV_R_ENDPOINT,
	STSENV_R_REGION,
	STSENV_R_SLOTS
};
#define STSENV_MAX_ROLES       4
#define STSENV_BASE_SLOTS      8
#define STSENV_ROLE_SLOT(r, j) (STSENV_BASE_SLOTS + (r)*STSENV_R_SLOTS + (j))
#define STSENV_DESC_SLOTS      STSENV_ROLE_SLOT(STSENV_MAX_ROLES, 0)

struct stsenv_desc {
	int kind;
	bool flag;	/* oidc: VPC endpoint; ecs: IMDSv1 disabled */
	int duration_s; /* oidc */
	int nroles;	/* role layers on top, each with: */
	int role_duration_s[STSENV_MAX_ROLES];
	bool role_vpc[STSENV_MAX_ROLES];
	char *v[STSENV_DESC_SLOTS];
	/* "uri http://host/path", "profile p (OIDC)", then " -> AssumeRole
	 * <arn>" per role: safe to log */
	char label[400];
};

/* A role layer's settings (strings copied). */
struct stsenv_role_params {
	const char *arn, *session, *policy, *external_id; /* NULL: none, generated */
	const char *endpoint, *region;			  /* as for OIDC */
	bool vpc;
	int duration_s;
};

/* Puts a role on top of what d describes, and says so in its label: 0, or
 * -1 with err set (too many layers, a malformed ARN, out of memory). */
int stsenv_desc_add_role(struct stsenv_desc *d, const struct stsenv_role_params *r,
			 struct stsenv_err *err);

/* Sets slot i to a copy of s (NULL or "" leaves it empty); false on ENOMEM. */
bool stsenv_desc_set(struct stsenv_desc *d, int i, const char *s);

/* From now on, the strings of every description in this process come from
 * alloc and are wiped but never freed: the preload keeps its one
 * description in its arena, out of core files and off the heap (whose
 * first use costs every process start more than the rest of it). */
void stsenv_desc_use_arena(void *(*alloc)(size_t));

/* Wipes and frees the strings; d is empty afterwards. */
void stsenv_desc_clear(struct stsenv_desc *d);

/* The fingerprint of the configuration d describes: equal descriptions,
 * and only those, have equal fingerprints.  Never 0. */
uint64_t stsenv_desc_fingerprint(const struct stsenv_desc *d);

/* The source d describes. */
struct stsenv_source *stsenv_source_from_desc(const struct stsenv_desc *d, stsenv_spawn_fn spawn,
					      struct stsenv_err *err);

/* Serialised form, for handing a description to a keeper over a socket:
 * returns the bytes written into buf (0 if it does not fit). */
size_t stsenv_desc_pack(const struct stsenv_desc *d, char *buf, size_t len);
size_t stsenv_desc_packed_len(const struct stsenv_desc *d);
bool stsenv_desc_unpack(struct stsenv_desc *d, const char *buf, size_t len);

#endif
