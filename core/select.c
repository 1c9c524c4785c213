#include "select.h"

#include "url.h"
#include "profile.h"
#include "strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

enum { K_URI, K_FILE, K_OIDC, K_PROFILE, K_ECS };

#define STSENV_ECS_DEFAULT "http://100.100.100.200"

static void why(struct stsenv_selection *sel, int k, const char *fmt, const char *arg)
{
	if (!sel->brief)
		snprintf(sel->why[k], sizeof(sel->why[k]), fmt, arg);
}

static const char *env(stsenv_getenv_fn get, const char *name)
{
	const char *v = get(name);

	return v && *v ? v : NULL;
}

bool stsenv_desc_oidc_from_env(struct stsenv_desc *d, stsenv_getenv_fn get)
{
	d->kind = STSENV_SRC_OIDC;
	d->flag = stsenv_setting_true(get, "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED");
	d->duration_s = stsenv_duration_setting(get);
	return stsenv_desc_set(d, STSENV_D_ROLE_ARN, env(get, "ALIBABA_CLOUD_ROLE_ARN")) &&
	       stsenv_desc_set(d, STSENV_D_PROVIDER, env(get, "ALIBABA_CLOUD_OIDC_PROVIDER_ARN")) &&
	       stsenv_desc_set(d, STSENV_D_TOKEN_FILE, env(get, "ALIBABA_CLOUD_OIDC_TOKEN_FILE")) &&
	       stsenv_desc_set(d, STSENV_D_SESSION, env(get, "ALIBABA_CLOUD_ROLE_SESSION_NAME")) &&
	       stsenv_desc_set(d, STSENV_D_POLICY, env(get, "STSENV_POLICY")) &&
	       stsenv_desc_set(d, STSENV_D_STS_ENDPOINT, env(get, "ALIBABA_CLOUD_STS_ENDPOINT")) &&
	       stsenv_desc_set(d, STSENV_D_REGION, env(get, "ALIBABA_CLOUD_STS_REGION"));
}

bool stsenv_desc_ecs_from_env(struct stsenv_desc *d, stsenv_getenv_fn get)
{
	const char *ep = env(get, "STSENV_ECS_ENDPOINT");

	d->kind = STSENV_SRC_ECS;
	d->flag = stsenv_setting_true(get, "ALIBABA_CLOUD_IMDSV1_DISABLED");
	return stsenv_desc_set(d, STSENV_D_ECS_ENDPOINT, ep ? ep : STSENV_ECS_DEFAULT) &&
	       stsenv_desc_set(d, STSENV_D_ROLE_NAME, env(get, "ALIBABA_CLOUD_ECS_METADATA"));
}

void stsenv_role_params_from_env(struct stsenv_role_params *r, stsenv_getenv_fn get)
{
	*r = (struct stsenv_role_params){
		.arn = env(get, "STSENV_ROLE_ARN"),
		.session = env(get, "ALIBABA_CLOUD_ROLE_SESSION_NAME"),
		.policy = env(get, "STSENV_POLICY"),
		.external_id = env(get, "STSENV_ROLE_EXTERNAL_ID"),
		.endpoint = env(get, "ALIBABA_CLOUD_STS_ENDPOINT"),
		.region = env(get, "ALIBABA_CLOUD_STS_REGION"),
		.vpc = stsenv_setting_true(get, "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED"),
		.duration_s = stsenv_duration_setting(get),
	};
}

/* STSENV_ROLE_ARN: a role assumed on top of whichever source is chosen.
 * 0, or -1 with err set. */
static int env_role(stsenv_getenv_fn get, struct stsenv_desc *out, struct stsenv_err *err)
{
	struct stsenv_role_params r;

	stsenv_role_params_from_env(&r, get);
	if (!r.arn)
		return 0;
	/* The policy narrows what is served, not the OIDC role that signs:
	 * narrowed, it might lose the right to assume the role. */
	if (out->kind == STSENV_SRC_OIDC)
		stsenv_desc_set(out, STSENV_D_POLICY, NULL);
	return stsenv_desc_add_role(out, &r, err);
}

/* "kind what", what cut at 180 bytes: no printf on the start-up path. */
/* Something that looks like a mistake, for the error if no source is
 * found: said even in brief mode (it is rare, so it may cost a printf). */
static void note(struct stsenv_selection *sel, const char *fmt, const char *a, const char *b)
{
	size_t n = strlen(sel->note);

	if (n + 3 < sizeof(sel->note))
		snprintf(sel->note + n, sizeof(sel->note) - n, fmt, n ? "; " : "", a, b);
}

static bool label(struct stsenv_desc *d, const char *kind, const char *what)
{
	size_t k = strlen(kind), w = strlen(what);

	memcpy(d->label, kind, k);
	d->label[k] = ' ';
	stsenv_copy_trunc(d->label + k + 1, sizeof(d->label) - k - 1, what, w < 180 ? w : 180);
	return true;
}

static int uri_kind(stsenv_getenv_fn get, struct stsenv_selection *sel, struct stsenv_desc *out,
		    struct stsenv_err *err)
{
	const char *v = env(get, "ALIBABA_CLOUD_CREDENTIALS_URI");
	char safe[200];

	if (!v) {
		why(sel, K_URI, "%sALIBABA_CLOUD_CREDENTIALS_URI is not set", "");
		return 0;
	}
	stsenv_url_redact(v, safe, sizeof(safe));
	if (!stsenv_url_scheme_ok(v)) {
		stsenv_err_set(err, "credentials URI %s is not an http:// or https:// URL", safe);
		return -1;
	}
	out->kind = STSENV_SRC_URI;
	return stsenv_desc_set(out, STSENV_D_URI, v) && label(out, "uri", safe) ? 1 : -2;
}

static int file_kind(const struct stsenv_config *c, struct stsenv_selection *sel,
		     struct stsenv_desc *out)
{
	struct stat st;

	if (stat(c->file, &st) != 0) {
		/* A file the user named, and that is not there: worth saying. */
		if (c->file_given)
			note(sel, "%sSTSENV_CREDENTIALS_FILE %.150s: %s", c->file, strerror(errno));
		if (!sel->brief)
			snprintf(sel->why[K_FILE], sizeof(sel->why[K_FILE]), "%.150s: %s", c->file,
				 strerror(errno));
		return 0;
	}
	out->kind = STSENV_SRC_FILE;
	return stsenv_desc_set(out, STSENV_D_PATH, c->file) && label(out, "file", c->file) ? 1 : -2;
}

static int oidc_kind(stsenv_getenv_fn get, struct stsenv_selection *sel, struct stsenv_desc *out)
{
	static const char *const vars[] = {"ALIBABA_CLOUD_ROLE_ARN",
					   "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
					   "ALIBABA_CLOUD_OIDC_TOKEN_FILE"};
	bool is[3];
	int set = 0;

	for (int i = 0; i < 3; i++)
		set += (is[i] = env(get, vars[i]) != NULL);
	/* Some but not all: half an OIDC role, worth saying. */
	if (set > 0 && set < 3) {
		char missing[128] = "";
		for (int i = 0; i < 3; i++)
			if (!is[i])
				snprintf(missing + strlen(missing),
					 sizeof(missing) - strlen(missing), "%s%s",
					 missing[0] ? ", " : "", vars[i]);
		note(sel, "%sOIDC half configured: %s not set%s", missing, "");
		why(sel, K_OIDC, "half configured: %s not set", missing);
		return 0;
	}
	if (!set) {
		why(sel, K_OIDC,
		    "%sALIBABA_CLOUD_ROLE_ARN, _OIDC_PROVIDER_ARN, _OIDC_TOKEN_FILE not all set",
		    "");
		return 0;
	}
	return stsenv_desc_oidc_from_env(out, get) && label(out, "oidc", out->v[STSENV_D_ROLE_ARN])
		       ? 1
		       : -2;
}

static int ecs_kind(stsenv_getenv_fn get, struct stsenv_selection *sel, bool automatic,
		    struct stsenv_desc *out)
{
	char safe[200];

	if (stsenv_setting_true(get, "ALIBABA_CLOUD_ECS_METADATA_DISABLED")) {
		why(sel, K_ECS, "%sdisabled (ALIBABA_CLOUD_ECS_METADATA_DISABLED=true)", "");
		return 0;
	}
	/* The metadata address is never probed unasked: auto needs the role
	 * named; STSENV_SOURCE=ecs may discover it. */
	if (automatic && !env(get, "ALIBABA_CLOUD_ECS_METADATA")) {
		why(sel, K_ECS, "%sALIBABA_CLOUD_ECS_METADATA is not set (never probed unasked)",
		    "");
		return 0;
	}
	if (!stsenv_desc_ecs_from_env(out, get))
		return -2;
	stsenv_url_redact(out->v[STSENV_D_ECS_ENDPOINT], safe, sizeof(safe));
	snprintf(out->label, sizeof(out->label), "ecs %.120s (role %.60s)", safe,
		 out->v[STSENV_D_ROLE_NAME] ? out->v[STSENV_D_ROLE_NAME] : "discovered");
	return 1;
}

/* Fills out if kind k is configured: 1; 0 if it is not (sel says why);
 * -1 if it is, but broken (err says why). */
static int try_kind(int k, const struct stsenv_config *c, stsenv_getenv_fn get,
		    struct stsenv_selection *sel, bool automatic, struct stsenv_desc *out,
		    struct stsenv_err *err)
{
	int rc = -2;

	switch (k) {
	case K_URI: rc = uri_kind(get, sel, out, err); break;
	case K_FILE: rc = file_kind(c, sel, out); break;
	case K_OIDC: rc = oidc_kind(get, sel, out); break;
	case K_PROFILE:
		return stsenv_profile_select(get, automatic, sel->brief ? NULL : sel->why[k],
					     sizeof(sel->why[k]), out, err);
	case K_ECS: rc = ecs_kind(get, sel, automatic, out); break;
	}
	if (rc == -2) { /* a copy failed */
		stsenv_err_set(err, "out of memory");
		return -1;
	}
	return rc;
}

static void rest(struct stsenv_selection *sel, int from, const char *reason)
{
	static const char *const kinds[STSENV_SOURCE_KINDS] = {"uri", "file", "oidc", "profile",
							       "ecs"};

	for (int r = from; r < STSENV_SOURCE_KINDS; r++) {
		sel->kinds[r] = kinds[r];
		why(sel, r, "%s", reason);
	}
}

/* After kind k won (or broke): which later kinds are configured too, so
 * `stsenv status` can tell a shadowed source from an absent one.  Reads
 * the environment and files only, never the network; not in brief mode
 * (the preload, at every process start). */
static void shadowed(const struct stsenv_config *c, stsenv_getenv_fn get,
		     struct stsenv_selection *sel, int k, bool automatic)
{
	if (sel->brief) /* before the probe below: 1.3 KiB zeroed, at every start */
		return;
	for (int r = k + 1; !automatic && r < STSENV_SOURCE_KINDS; r++) {
		why(sel, r, "not selected (STSENV_SOURCE=%s)", c->source);
		sel->state[r] = STSENV_SEL_NOT_SELECTED;
	}
	if (!automatic)
		return;

	struct stsenv_selection probe = {0};
	struct stsenv_desc d;
	struct stsenv_err e;

	for (int r = k + 1; r < STSENV_SOURCE_KINDS; r++) {
		memset(&d, 0, sizeof(d));
		if (try_kind(r, c, get, &probe, automatic, &d, &e) == 0) {
			snprintf(sel->why[r], sizeof(sel->why[r]), "%s", probe.why[r]);
		} else {
			sel->state[r] = STSENV_SEL_SHADOWED;
			snprintf(sel->why[r], sizeof(sel->why[r]),
				 "configured, but %s comes first in the chain", sel->kinds[k]);
		}
		stsenv_desc_clear(&d);
	}
}

/* No source: say what to set, and anything that looked like a mistake. */
static int none_found(const struct stsenv_config *c, stsenv_getenv_fn get,
		      const struct stsenv_selection *sel, int asked, struct stsenv_desc *out,
		      struct stsenv_err *err)
{
	if (strcmp(c->source, "auto") == 0) {
		stsenv_err_set(err,
			       "no credential source is configured (set "
			       "ALIBABA_CLOUD_CREDENTIALS_URI, provide %s, set the OIDC "
			       "variables or ALIBABA_CLOUD_ECS_METADATA, or a profile)%s%s",
			       c->file, sel->note[0] ? ": " : "", sel->note);
	} else if (sel->brief) {
		/* The reasons were not kept: this rare path may afford them. */
		struct stsenv_selection full;
		return stsenv_select(c, get, &full, out, err);
	} else {
		stsenv_err_set(err, "STSENV_SOURCE=%s is not configured: %s", c->source,
			       sel->why[asked]);
	}
	return -1;
}

int stsenv_select(const struct stsenv_config *c, stsenv_getenv_fn get, struct stsenv_selection *sel,
		  struct stsenv_desc *out, struct stsenv_err *err)
{
	bool automatic = strcmp(c->source, "auto") == 0;
	struct stsenv_selection quiet;
	int asked = 0;

	memset(out, 0, sizeof(*out));
	if (sel) {
		memset(sel, 0, sizeof(*sel));
	} else {
		sel = &quiet;
		memset(sel, 0, sizeof(*sel));
		sel->brief = true;
	}
	sel->chosen = -1;
	rest(sel, 0, "");
	if (c->source_bad) {
		stsenv_err_set(err,
			       "STSENV_SOURCE=\"%s\" is not auto, uri, file, oidc, profile or ecs",
			       c->source_given);
		return -1;
	}
	for (int k = 0; k < STSENV_SOURCE_KINDS; k++) {
		int rc;

		if (!automatic && strcmp(c->source, sel->kinds[k]) != 0) {
			why(sel, k, "not selected (STSENV_SOURCE=%s)", c->source);
			sel->state[k] = STSENV_SEL_NOT_SELECTED;
			continue;
		}
		asked = k;
		rc = try_kind(k, c, get, sel, automatic, out, err);
		if (rc > 0 && env_role(get, out, err) < 0)
			rc = -1;
		if (rc > 0) {
			sel->chosen = k;
			sel->state[k] = STSENV_SEL_IN_USE;
			why(sel, k, "in use: %.180s", out->label);
			shadowed(c, get, sel, k, automatic);
			return 0;
		}
		if (rc < 0) {
			/* Configured but broken: say so, never fall through. */
			if (!sel->brief)
				snprintf(sel->why[k], sizeof(sel->why[k]), "failed: %.180s",
					 err->msg);
			sel->state[k] = STSENV_SEL_BROKEN;
			stsenv_desc_clear(out);
			shadowed(c, get, sel, k, automatic);
			return -1;
		}
	}
	return none_found(c, get, sel, asked, out, err);
}
