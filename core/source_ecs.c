/* The ECS instance RAM role, from the metadata service.  IMDSv2 first: a
 * session token from PUT /latest/api/token, cached and renewed before it
 * expires, sent with every GET; if the token cannot be had, IMDSv1 (no
 * token) unless ALIBABA_CLOUD_IMDSV1_DISABLED says not to. */
#include "clock.h"
#include "credjson.h"
#include "http.h"
#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOKEN_TTL_S    21600
#define TOKEN_RENEW_S  300  /* renew this long before the token expires */
#define ECS_TIMEOUT_MS 1000 /* the SDKs' 1 s connect, 1 s read */

struct ecs_source {
	struct stsenv_source base;
	char *endpoint, *role;
	bool v1_disabled;
	char token[256];
	time_t token_until;
};

/* One request's share of the fetch: the SDKs' bound, and never past the
 * fetch's own deadline (STSENV_TIMEOUT_MS covers the token, the role and
 * the credential together). */
static int64_t bounded(int64_t deadline)
{
	int64_t left = deadline - stsenv_mono_ms();

	if (left < 1)
		left = 1;
	return left < 2 * ECS_TIMEOUT_MS ? left : 2 * ECS_TIMEOUT_MS;
}

/* Ensures s->token is a valid v2 token, or empty if falling back to v1. */
static int get_token(struct ecs_source *s, int64_t deadline, struct stsenv_err *err)
{
	static const char *const hdrs[] = {"X-aliyun-ecs-metadata-token-ttl-seconds: 21600", NULL};
	char url[600];
	struct stsenv_http_resp resp;
	struct stsenv_http_req req = {.method = "PUT",
				      .url = url,
				      .headers = hdrs,
				      .timeout_ms = bounded(deadline),
				      .connect_timeout_ms = ECS_TIMEOUT_MS,
				      .max_body = 1024};
	size_t n;

	if (s->token[0] && stsenv_real_ms() / 1000 < s->token_until)
		return 0;
	s->token[0] = '\0';
	snprintf(url, sizeof(url), "%s/latest/api/token", s->endpoint);
	if (stsenv_http_do(&req, &resp, err) == 0) {
		n = strcspn(resp.body, "\r\n");
		if (resp.status == 200 && n > 0 && n < sizeof(s->token)) {
			memcpy(s->token, resp.body, n);
			s->token[n] = '\0';
			s->token_until = stsenv_real_ms() / 1000 + TOKEN_TTL_S - TOKEN_RENEW_S;
		} else {
			stsenv_err_set(err, "HTTP status %ld", resp.status);
		}
		stsenv_http_resp_free(&resp);
	}
	if (s->token[0])
		return 0;
	if (s->v1_disabled) {
		stsenv_err_prefix(err, "metadata %s: no IMDSv2 token (and IMDSv1 is disabled)",
				  s->base.where);
		return -1;
	}
	return 0; /* v1 */
}

static int get(struct ecs_source *s, const char *path, int64_t deadline,
	       struct stsenv_http_resp *resp, struct stsenv_err *err)
{
	char url[700], hdr[300];
	const char *hdrs[] = {hdr, NULL};
	struct stsenv_http_req req = {.url = url,
				      .headers = s->token[0] ? hdrs : NULL,
				      .timeout_ms = bounded(deadline),
				      .connect_timeout_ms = ECS_TIMEOUT_MS};

	snprintf(url, sizeof(url), "%s%s", s->endpoint, path);
	snprintf(hdr, sizeof(hdr), "X-aliyun-ecs-metadata-token: %s", s->token);
	if (stsenv_http_do(&req, resp, err) < 0) {
		stsenv_err_prefix(err, "metadata %s%s", s->base.where, path);
		return -1;
	}
	if (resp->status == 401 && s->token[0])
		s->token[0] = '\0'; /* the token lapsed: get a new one next time */
	if (resp->status != 200) {
		stsenv_err_set(err, "metadata %s%s: HTTP status %ld", s->base.where, path,
			       resp->status);
		stsenv_http_resp_free(resp);
		return -1;
	}
	return 0;
}

static enum stsenv_fetch_rc ecs_fetch(struct stsenv_source *base, int64_t timeout_ms,
				      struct stsenv_cred *out, struct stsenv_err *err)
{
	struct ecs_source *s = (struct ecs_source *)base;
	const char *prefix = "/latest/meta-data/ram/security-credentials/";
	char path[400], role[200];
	struct stsenv_http_resp resp;
	int64_t deadline = stsenv_mono_ms() + timeout_ms;
	int rc;

	if (get_token(s, deadline, err) < 0)
		return STSENV_FETCH_ERR;
	if (s->role) {
		snprintf(role, sizeof(role), "%s", s->role);
	} else {
		/* Discovered each time: the instance's role can be changed. */
		if (get(s, prefix, deadline, &resp, err) < 0)
			return STSENV_FETCH_ERR;
		snprintf(role, sizeof(role), "%.*s", (int)strcspn(resp.body, " \t\r\n"), resp.body);
		free(resp.body);
		if (!role[0] || strchr(role, '/')) {
			stsenv_err_set(err, "metadata %s: no RAM role attached to this instance",
				       base->where);
			return STSENV_FETCH_ERR;
		}
	}
	snprintf(path, sizeof(path), "%s%s", prefix, role);
	if (get(s, path, deadline, &resp, err) < 0)
		return STSENV_FETCH_ERR;
	rc = stsenv_cred_from_json(resp.body, resp.len, NULL,
				   STSENV_CJ_REQUIRE_TOKEN | STSENV_CJ_REQUIRE_EXPIRATION, out,
				   err);
	if (rc < 0)
		stsenv_err_prefix(err, "metadata %s%s: bad response", base->where, path);
	stsenv_http_resp_free(&resp);
	return rc < 0 ? STSENV_FETCH_ERR : STSENV_FETCH_OK;
}

struct stsenv_source *stsenv_source_ecs_new(const struct stsenv_ecs_params *p,
					    struct stsenv_err *err)
{
	struct ecs_source *s = calloc(1, sizeof(*s));
	const char *ep = p->endpoint && *p->endpoint ? p->endpoint : "http://100.100.100.200";

	if (!s)
		return stsenv_source_oom(s, err);
	s->endpoint = malloc(strlen(ep) + 8);
	if (s->endpoint) {
		sprintf(s->endpoint, "%s%s", strstr(ep, "://") ? "" : "http://", ep);
		while (s->endpoint[strlen(s->endpoint) - 1] == '/')
			s->endpoint[strlen(s->endpoint) - 1] = '\0';
	}
	s->role = p->role && *p->role ? strdup(p->role) : NULL;
	s->v1_disabled = p->v1_disabled;
	stsenv_source_own(&s->base, (char **const[]){&s->endpoint, &s->role, NULL});
	if (!s->endpoint || (p->role && *p->role && !s->role))
		return stsenv_source_oom(s, err);
	stsenv_url_redact(s->endpoint, s->base.where, sizeof(s->base.where));
	return stsenv_source_init(&s->base, "ecs", ecs_fetch, stsenv_source_free);
}
