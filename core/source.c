/* Building a source from its description, and destroying one: the one
 * place that knows every kind. */
#include "desc.h"
#include "source.h"

#include "strbuf.h"

#include <stddef.h>
#include <string.h>
#include <stdlib.h>

struct stsenv_source *stsenv_source_init(struct stsenv_source *base, const char *kind,
					 stsenv_fetch_fn fetch,
					 void (*destroy)(struct stsenv_source *s))
{
	base->kind = kind;
	base->fetch = fetch;
	base->destroy = destroy;
	return base;
}

void stsenv_source_own(struct stsenv_source *base, char **const fields[])
{
	size_t i;

	for (i = 0; fields[i]; i++) {
		/* More strings need a larger STSENV_SOURCE_OWNED: better the
		 * first construction stops, in any test, than a silent leak. */
		if (i == STSENV_SOURCE_OWNED)
			abort();
		base->owned[i] = fields[i];
	}
}

void stsenv_source_free(struct stsenv_source *s)
{
	for (size_t i = 0; i < STSENV_SOURCE_OWNED && s->owned[i]; i++)
		free(*s->owned[i]);
	free(s);
}

struct stsenv_source *stsenv_source_oom(void *partial, struct stsenv_err *err)
{
	if (partial)
		stsenv_source_free(partial);
	stsenv_err_set(err, "out of memory");
	return NULL;
}

static struct stsenv_source *base_from_desc(const struct stsenv_desc *d, stsenv_spawn_fn spawn,
					    struct stsenv_err *err)
{
	struct stsenv_cred c;
	char where[sizeof(d->label)];
	const char *arrow;

	switch (d->kind) {
	case STSENV_SRC_URI: return stsenv_source_uri_new(d->v[STSENV_D_URI], err);
	case STSENV_SRC_FILE: return stsenv_source_file_new(d->v[STSENV_D_PATH], err);
	case STSENV_SRC_OIDC:
		return stsenv_source_oidc_new(
			&(struct stsenv_oidc_params){
				.role_arn = d->v[STSENV_D_ROLE_ARN],
				.provider_arn = d->v[STSENV_D_PROVIDER],
				.token_file = d->v[STSENV_D_TOKEN_FILE],
				.session_name = d->v[STSENV_D_SESSION],
				.policy = d->v[STSENV_D_POLICY],
				.endpoint = d->v[STSENV_D_STS_ENDPOINT],
				.region = d->v[STSENV_D_REGION],
				.vpc = d->flag,
				.duration_s = d->duration_s,
			},
			err);
	case STSENV_SRC_ECS:
		return stsenv_source_ecs_new(
			&(struct stsenv_ecs_params){
				.endpoint = d->v[STSENV_D_ECS_ENDPOINT],
				.role = d->v[STSENV_D_ROLE_NAME],
				.v1_disabled = d->flag,
			},
			err);
	case STSENV_SRC_STATIC:
		c = (struct stsenv_cred){d->v[STSENV_D_ID], d->v[STSENV_D_SECRET],
					 d->v[STSENV_D_TOKEN], STSENV_NO_EXPIRY};
		/* Its own part of the label, without the roles on top. */
		arrow = strstr(d->label, " -> ");
		stsenv_copy_trunc(where, sizeof(where), d->label,
				  arrow ? (size_t)(arrow - d->label) : strlen(d->label));
		return stsenv_source_static_new(&c, where, err);
	case STSENV_SRC_PROCESS:
		return stsenv_source_process_new(d->v[STSENV_D_COMMAND], spawn, err);
	}
	stsenv_err_set(err, "no credential source");
	return NULL;
}

/* The source, then each role on top of it, each signing with the one below. */
struct stsenv_source *stsenv_source_from_desc(const struct stsenv_desc *d, stsenv_spawn_fn spawn,
					      struct stsenv_err *err)
{
	struct stsenv_source *s = base_from_desc(d, spawn, err);

	for (int r = 0; s && r < d->nroles; r++) {
		char *const *v = d->v + STSENV_ROLE_SLOT(r, 0);
		s = stsenv_source_role_new(s,
					   &(struct stsenv_role_params){
						   .arn = v[STSENV_R_ARN],
						   .session = v[STSENV_R_SESSION],
						   .policy = v[STSENV_R_POLICY],
						   .external_id = v[STSENV_R_EXTERNAL_ID],
						   .endpoint = v[STSENV_R_ENDPOINT],
						   .region = v[STSENV_R_REGION],
						   .vpc = d->role_vpc[r],
						   .duration_s = d->role_duration_s[r],
					   },
					   err);
	}
	return s;
}

void stsenv_source_destroy(struct stsenv_source *s)
{
	if (s)
		s->destroy(s);
}
