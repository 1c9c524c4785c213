#include "config.h"

#include "http.h"
#include "log.h"
#include "source_profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void copy(char *dst, size_t len, const char *src, const char *name)
{
	if (strlen(src) >= len)
		stsenv_log(STSENV_LOG_WARN, "%s is too long; ignored", name);
	else
		memcpy(dst, src, strlen(src) + 1);
}

static int64_t number(stsenv_getenv_fn get, const char *name, int64_t def, int64_t lo, int64_t hi)
{
	const char *v = get(name);
	char *end;
	long long n;

	if (!v || !*v)
		return def;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || *end || n < lo || n > hi) {
		stsenv_log(STSENV_LOG_WARN,
			   "%s=\"%.40s\" is not a number from %lld to %lld; using %lld", name, v,
			   (long long)lo, (long long)hi, (long long)def);
		return def;
	}
	return n;
}

int stsenv_duration_setting(stsenv_getenv_fn get)
{
	const char *v = get("STSENV_DURATION");
	char *end;
	long d;

	if (!v || !*v)
		return 3600;
	errno = 0;
	d = strtol(v, &end, 10);
	if (errno || *end || d <= 0)
		return 3600;
	return d < 900 ? 900 : d > 43200 ? 43200 : (int)d;
}

void stsenv_config_load(struct stsenv_config *c, stsenv_getenv_fn get)
{
	const char *v;
	int level = STSENV_LOG_WARN;
	bool bad_level = false;

	memset(c, 0, sizeof(*c));
	v = get("STSENV_LOG");
	if (v && *v) {
		level = stsenv_log_parse_level(v);
		bad_level = level < 0;
		if (bad_level)
			level = STSENV_LOG_WARN;
	}
	c->log_level = level;
	v = get("STSENV_LOG_FILE");
	if (v)
		copy(c->log_file, sizeof(c->log_file), v, "STSENV_LOG_FILE");
	stsenv_log_setup(c->log_level, c->log_file);
	if (bad_level)
		stsenv_log(STSENV_LOG_WARN, "STSENV_LOG=\"%.20s\" is not off|error|warn|info|debug",
			   v);

	snprintf(c->source, sizeof(c->source), "auto");
	v = get("STSENV_SOURCE");
	if (v && *v) {
		static const char *const ok[] = {"auto", "uri", "file", "oidc", "profile", "ecs"};
		bool known = false;
		for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
			if (strcmp(v, ok[i]) == 0)
				known = true;
		if (known)
			snprintf(c->source, sizeof(c->source), "%s", v);
		else
			stsenv_log(STSENV_LOG_WARN,
				   "STSENV_SOURCE=\"%.20s\" is not auto|uri|file|oidc|profile|ecs; "
				   "using auto",
				   v);
	}
	snprintf(c->file, sizeof(c->file), "%s", STSENV_DEFAULT_FILE);
	v = get("STSENV_CREDENTIALS_FILE");
	if (v && *v)
		copy(c->file, sizeof(c->file), v, "STSENV_CREDENTIALS_FILE");
	c->margin_ms = number(get, "STSENV_REFRESH_MARGIN", 900, 0, 86400) * 1000;
	c->timeout_ms = number(get, "STSENV_TIMEOUT_MS", 5000, 100, 120000);
	c->duration_s = stsenv_duration_setting(get);
	v = get("STSENV_OVERRIDE");
	c->override = v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
	v = get("STSENV_VARS");
	if (v)
		copy(c->vars, sizeof(c->vars), v, "STSENV_VARS");
}

enum { K_URI, K_FILE, K_OIDC, K_PROFILE, K_ECS };

static void why(struct stsenv_selection *sel, int k, const char *fmt, const char *arg)
{
	if (!sel->brief)
		snprintf(sel->why[k], sizeof(sel->why[k]), fmt, arg);
}

/* Builds the source of kind k if it is configured; otherwise records why
 * not and returns NULL with *configured false. */
static bool is_true(stsenv_getenv_fn get, const char *name)
{
	const char *v = get(name);

	return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

static struct stsenv_source *try_kind(int k, const struct stsenv_config *c, stsenv_getenv_fn get,
				      struct stsenv_selection *sel, bool *configured,
				      bool automatic, struct stsenv_err *err)
{
	const char *v;
	struct stat st;

	*configured = false;
	switch (k) {
	case K_URI:
		v = get("ALIBABA_CLOUD_CREDENTIALS_URI");
		if (!v || !*v) {
			why(sel, k, "%sALIBABA_CLOUD_CREDENTIALS_URI is not set", "");
			return NULL;
		}
		*configured = true;
		return stsenv_source_uri_new(v, err);
	case K_FILE:
		if (stat(c->file, &st) != 0) {
			if (!sel->brief)
				snprintf(sel->why[k], sizeof(sel->why[k]), "%.150s: %s", c->file,
					 strerror(errno));
			return NULL;
		}
		*configured = true;
		return stsenv_source_file_new(c->file, err);
	case K_OIDC:
		if (!get("ALIBABA_CLOUD_ROLE_ARN") || !get("ALIBABA_CLOUD_OIDC_PROVIDER_ARN") ||
		    !get("ALIBABA_CLOUD_OIDC_TOKEN_FILE")) {
			why(sel, k,
			    "%sALIBABA_CLOUD_ROLE_ARN, _OIDC_PROVIDER_ARN, _OIDC_TOKEN_FILE not "
			    "all set",
			    "");
			return NULL;
		}
		*configured = true;
		return stsenv_source_oidc_new(
			&(struct stsenv_oidc_params){
				.role_arn = get("ALIBABA_CLOUD_ROLE_ARN"),
				.provider_arn = get("ALIBABA_CLOUD_OIDC_PROVIDER_ARN"),
				.token_file = get("ALIBABA_CLOUD_OIDC_TOKEN_FILE"),
				.session_name = get("ALIBABA_CLOUD_ROLE_SESSION_NAME"),
				.policy = get("STSENV_POLICY"),
				.endpoint = get("ALIBABA_CLOUD_STS_ENDPOINT"),
				.region = get("ALIBABA_CLOUD_STS_REGION"),
				.vpc = is_true(get, "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED"),
				.duration_s = c->duration_s,
			},
			err);
	case K_PROFILE: {
		struct stsenv_source *src =
			stsenv_source_profile_new(get, automatic, configured, sel->why[k],
						  sel->brief ? 0 : sizeof(sel->why[k]), err);
		return src;
	}
	case K_ECS:
		if (is_true(get, "ALIBABA_CLOUD_ECS_METADATA_DISABLED")) {
			why(sel, k, "%sdisabled (ALIBABA_CLOUD_ECS_METADATA_DISABLED=true)", "");
			return NULL;
		}
		v = get("ALIBABA_CLOUD_ECS_METADATA");
		/* The metadata address is never probed unasked: auto needs the
		 * role named; STSENV_SOURCE=ecs may discover it. */
		if (automatic && (!v || !*v)) {
			why(sel, k,
			    "%sALIBABA_CLOUD_ECS_METADATA is not set (never probed unasked)", "");
			return NULL;
		}
		*configured = true;
		return stsenv_source_ecs_new(
			&(struct stsenv_ecs_params){
				.endpoint = get("STSENV_ECS_ENDPOINT"),
				.role = v,
				.v1_disabled = is_true(get, "ALIBABA_CLOUD_IMDSV1_DISABLED"),
			},
			err);
	}
	return NULL;
}

struct stsenv_source *stsenv_select_source(const struct stsenv_config *c, stsenv_getenv_fn get,
					   struct stsenv_selection *sel, struct stsenv_err *err)
{
	static const char *const kinds[STSENV_SOURCE_KINDS] = {"uri", "file", "oidc", "profile",
							       "ecs"};
	bool automatic = strcmp(c->source, "auto") == 0;
	struct stsenv_selection quiet;
	int asked = 0;

	if (sel) {
		memset(sel, 0, sizeof(*sel));
	} else {
		sel = &quiet;
		sel->brief = true;
	}
	sel->chosen = -1;
	for (int k = 0; k < STSENV_SOURCE_KINDS; k++) {
		struct stsenv_source *s;
		bool configured;

		sel->kinds[k] = kinds[k];
		if (!automatic && strcmp(c->source, kinds[k]) != 0) {
			why(sel, k, "not selected (STSENV_SOURCE=%s)", c->source);
			continue;
		}
		asked = k;
		if (sel->chosen >= 0) {
			why(sel, k, "%sa source earlier in the chain is in use", "");
			continue;
		}
		s = try_kind(k, c, get, sel, &configured, automatic, err);
		if (s) {
			sel->chosen = k;
			if (sel->brief)
				return s;
			snprintf(sel->why[k], sizeof(sel->why[k]), "in use: %.180s", s->where);
			/* finish the loop so every kind gets a reason */
			for (int r = k + 1; r < STSENV_SOURCE_KINDS; r++) {
				sel->kinds[r] = kinds[r];
				why(sel, r, "%sa source earlier in the chain is in use", "");
			}
			return s;
		}
		if (configured) {
			if (sel->brief)
				return NULL;
			snprintf(sel->why[k], sizeof(sel->why[k]), "failed: %.180s", err->msg);
			/* configured but broken: say so, do not fall through to the next */
			for (int r = k + 1; r < STSENV_SOURCE_KINDS; r++) {
				sel->kinds[r] = kinds[r];
				why(sel, r,
				    "%snot tried: a source earlier in the chain is configured", "");
			}
			return NULL;
		}
	}
	if (automatic)
		stsenv_err_set(err,
			       "no credential source is configured (set "
			       "ALIBABA_CLOUD_CREDENTIALS_URI, provide %s, set the OIDC "
			       "variables or ALIBABA_CLOUD_ECS_METADATA, or a profile)",
			       c->file);
	else
		stsenv_err_set(err, "STSENV_SOURCE=%s is not configured: %s", c->source,
			       sel->why[asked]);
	return NULL;
}
