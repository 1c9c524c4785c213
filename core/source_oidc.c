/* OIDC / RRSA: AssumeRoleWithOIDC, an unsigned STS call.  The OIDC token
 * file is re-read on every fetch: the platform rotates it. */
#include "clock.h"
#include "credjson.h"
#include "http.h"
#include "json.h"
#include "source.h"
#include "timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_OIDC_TOKEN (64 * 1024)

struct oidc_source {
	struct stsenv_source base;
	char *role_arn, *provider_arn, *token_file, *session_name, *policy, *url;
	int duration_s;
};

/* Appends "&key=value" (value percent-encoded) to buf; -1 if it does not fit. */
static int add_form(char *buf, size_t cap, size_t *len, const char *key, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	int n = snprintf(buf + *len, cap - *len, "%s%s=", *len ? "&" : "", key);

	if (n < 0 || (size_t)n >= cap - *len)
		return -1;
	*len += (size_t)n;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*len + 4 > cap)
			return -1;
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-_.~", *p)) {
			buf[(*len)++] = (char)*p;
		} else {
			buf[(*len)++] = '%';
			buf[(*len)++] = hex[*p >> 4];
			buf[(*len)++] = hex[*p & 15];
		}
	}
	buf[*len] = '\0';
	return 0;
}

static char *read_token(const char *path, struct stsenv_err *err)
{
	char *buf = malloc(MAX_OIDC_TOKEN + 1);
	ssize_t got = 0, n;
	int fd;

	if (!buf) {
		stsenv_err_set(err, "out of memory");
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		stsenv_err_set(err, "OIDC token file %s: %s", path, strerror(errno));
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + got, (size_t)(MAX_OIDC_TOKEN + 1 - got))) > 0 ||
	       (n < 0 && errno == EINTR))
		got += n > 0 ? n : 0;
	close(fd);
	while (got > 0 && strchr(" \t\r\n", buf[got - 1]))
		got--;
	buf[got] = '\0';
	if (got == 0 || got > MAX_OIDC_TOKEN) {
		stsenv_err_set(err, "OIDC token file %s is %s", path, got ? "too large" : "empty");
		free(buf);
		return NULL;
	}
	return buf;
}

/* The form body: every parameter but the RPC ones (the token never goes
 * into a URL, which proxies and servers log).  NULL if out of memory. */
static char *oidc_form(const struct oidc_source *s, const char *token, size_t *len)
{
	size_t cap = strlen(token) * 3 + strlen(s->role_arn) * 3 + strlen(s->provider_arn) * 3 +
		     strlen(s->session_name) * 3 + (s->policy ? strlen(s->policy) * 3 : 0) + 256;
	char dur[16], *form = malloc(cap);

	*len = 0;
	snprintf(dur, sizeof(dur), "%d", s->duration_s);
	if (form && (add_form(form, cap, len, "OIDCProviderArn", s->provider_arn) < 0 ||
		     add_form(form, cap, len, "OIDCToken", token) < 0 ||
		     add_form(form, cap, len, "RoleArn", s->role_arn) < 0 ||
		     add_form(form, cap, len, "RoleSessionName", s->session_name) < 0 ||
		     add_form(form, cap, len, "DurationSeconds", dur) < 0 ||
		     (s->policy && add_form(form, cap, len, "Policy", s->policy) < 0))) {
		explicit_bzero(form, *len);
		free(form);
		form = NULL;
	}
	return form;
}

/* POSTs the form to STS and reads the credential out of the answer. */
static int assume_role(const struct stsenv_source *base, const char *url, const char *form,
		       int64_t timeout_ms, struct stsenv_cred *out, struct stsenv_err *err)
{
	static const char *const hdrs[] = {"Content-Type: application/x-www-form-urlencoded",
					   "Accept: application/json", NULL};
	struct stsenv_http_req req = {.method = "POST",
				      .url = url,
				      .headers = hdrs,
				      .body = form,
				      .timeout_ms = timeout_ms};
	struct stsenv_http_resp resp;
	int rc = -1;

	if (stsenv_http_do(&req, &resp, err) < 0) {
		stsenv_err_prefix(err, "STS %s", base->where);
		return -1;
	}
	if (resp.status != 200) {
		char why[256] = "no error details";
		stsenv_cred_error_detail(resp.body, resp.len, why, sizeof(why));
		stsenv_err_set(err, "STS %s AssumeRoleWithOIDC: HTTP %ld, %s", base->where,
			       resp.status, why);
	} else if (stsenv_cred_from_json(resp.body, resp.len, "Credentials",
					 STSENV_CJ_REQUIRE_TOKEN | STSENV_CJ_REQUIRE_EXPIRATION,
					 out, err) < 0) {
		stsenv_err_prefix(err, "STS %s AssumeRoleWithOIDC: bad response", base->where);
	} else {
		rc = 0;
	}
	stsenv_http_resp_free(&resp);
	return rc;
}

static enum stsenv_fetch_rc oidc_fetch(struct stsenv_source *base, int64_t timeout_ms,
				       struct stsenv_cred *out, struct stsenv_err *err)
{
	struct oidc_source *s = (struct oidc_source *)base;
	char url[1200], stamp[32], *form = NULL, *token;
	size_t len = 0;
	int rc = -1;

	token = read_token(s->token_file, err);
	if (!token)
		return STSENV_FETCH_ERR;
	/* The query carries the RPC parameters, the form body everything else. */
	stsenv_format_iso8601(stsenv_real_ms(), stamp, sizeof(stamp));
	snprintf(url, sizeof(url), "%s/?Action=AssumeRoleWithOIDC&Format=JSON&Version=2015-04-01",
		 s->url);
	if (add_form(url, sizeof(url), &(size_t){strlen(url)}, "Timestamp", stamp) < 0)
		stsenv_err_set(err, "STS endpoint URL too long");
	else if (!(form = oidc_form(s, token, &len)))
		stsenv_err_set(err, "out of memory");
	else
		rc = assume_role(base, url, form, timeout_ms, out, err);
	if (form) {
		explicit_bzero(form, len);
		free(form);
	}
	explicit_bzero(token, strlen(token));
	free(token);
	return rc < 0 ? STSENV_FETCH_ERR : STSENV_FETCH_OK;
}

static void oidc_destroy(struct stsenv_source *base)
{
	struct oidc_source *s = (struct oidc_source *)base;

	free(s->role_arn);
	free(s->provider_arn);
	free(s->token_file);
	free(s->session_name);
	free(s->policy);
	free(s->url);
	free(s);
}

struct stsenv_source *stsenv_source_oidc_new(const struct stsenv_oidc_params *p,
					     struct stsenv_err *err)
{
	struct oidc_source *s = calloc(1, sizeof(*s));
	char session[64], url[512];
	const char *ep = p->endpoint;

	if (!s) {
		stsenv_err_set(err, "out of memory");
		return NULL;
	}
	/* Endpoint: as given (a URL, or a host for https), else by region. */
	if (ep && *ep)
		snprintf(url, sizeof(url), "%s%s", strstr(ep, "://") ? "" : "https://", ep);
	else if (p->region && *p->region)
		snprintf(url, sizeof(url), "https://sts%s.%s.aliyuncs.com", p->vpc ? "-vpc" : "",
			 p->region);
	else
		snprintf(url, sizeof(url), "https://sts.aliyuncs.com");
	while (strlen(url) > 8 && url[strlen(url) - 1] == '/')
		url[strlen(url) - 1] = '\0';
	snprintf(session, sizeof(session), "stsenv-%lld", (long long)(stsenv_real_ms() / 1000));
	s->role_arn = strdup(p->role_arn);
	s->provider_arn = strdup(p->provider_arn);
	s->token_file = strdup(p->token_file);
	s->session_name = strdup(p->session_name && *p->session_name ? p->session_name : session);
	s->policy = p->policy && *p->policy ? strdup(p->policy) : NULL;
	s->url = strdup(url);
	s->duration_s = p->duration_s < 900 ? 900 : p->duration_s;
	if (!s->role_arn || !s->provider_arn || !s->token_file || !s->session_name || !s->url ||
	    (p->policy && *p->policy && !s->policy)) {
		oidc_destroy(&s->base);
		stsenv_err_set(err, "out of memory");
		return NULL;
	}
	stsenv_url_redact(url, s->base.where, sizeof(s->base.where));
	return stsenv_source_init(&s->base, "oidc", oidc_fetch, oidc_destroy);
}
