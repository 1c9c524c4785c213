/* A fixed credential: a profile's AccessKey or StsToken.  It never changes,
 * so after the first fetch there is nothing new to hand over. */
#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct static_source {
	struct stsenv_source base;
	struct stsenv_cred cred;
	bool served;
};

static char *dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

/* Copies c into out; false (out cleared) when memory runs out. */
static bool cred_copy(const struct stsenv_cred *c, struct stsenv_cred *out)
{
	bool oom = false;

	out->id = dup_or_null(c->id, &oom);
	out->secret = dup_or_null(c->secret, &oom);
	out->token = dup_or_null(c->token, &oom);
	out->exp_ms = c->exp_ms;
	if (oom)
		stsenv_cred_clear(out);
	return !oom;
}

static enum stsenv_fetch_rc static_fetch(struct stsenv_source *base, int64_t timeout_ms,
					 struct stsenv_cred *out, struct stsenv_err *err)
{
	struct static_source *s = (struct static_source *)base;

	(void)timeout_ms;
	if (s->served)
		return STSENV_FETCH_UNCHANGED;
	if (!cred_copy(&s->cred, out)) {
		stsenv_err_set(err, "%s: out of memory", base->where);
		return STSENV_FETCH_ERR;
	}
	s->served = true;
	return STSENV_FETCH_OK;
}

static void static_destroy(struct stsenv_source *base)
{
	struct static_source *s = (struct static_source *)base;

	stsenv_cred_clear(&s->cred); /* wipes the secret and token */
	free(s);
}

struct stsenv_source *stsenv_source_static_new(const struct stsenv_cred *c, const char *where,
					       struct stsenv_err *err)
{
	struct static_source *s;

	if (!c->id || !*c->id || !c->secret || !*c->secret) {
		stsenv_err_set(err, "%s: the AccessKey id or secret is empty", where);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !cred_copy(c, &s->cred))
		return stsenv_source_oom(s, err);
	/* The caller's description, which names the profile and a redacted id;
	 * the secret never goes here. */
	snprintf(s->base.where, sizeof(s->base.where), "%s", where);
	return stsenv_source_init(&s->base, "static", static_fetch, static_destroy);
}
