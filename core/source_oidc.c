/* OIDC / RRSA: AssumeRoleWithOIDC, an unsigned STS call.  The OIDC token
 * file is re-read on every fetch: the platform rotates it. */
#include "clock.h"
#include "source.h"
#include "sts.h"
#include "url.h"
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
	if (form && (stsenv_form_add(form, cap, len, "OIDCProviderArn", s->provider_arn) < 0 ||
		     stsenv_form_add(form, cap, len, "OIDCToken", token) < 0 ||
		     stsenv_form_add(form, cap, len, "RoleArn", s->role_arn) < 0 ||
		     stsenv_form_add(form, cap, len, "RoleSessionName", s->session_name) < 0 ||
		     stsenv_form_add(form, cap, len, "DurationSeconds", dur) < 0 ||
		     (s->policy && stsenv_form_add(form, cap, len, "Policy", s->policy) < 0))) {
		explicit_bzero(form, *len);
		free(form);
		form = NULL;
	}
	return form;
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
	if (stsenv_form_add(url, sizeof(url), &(size_t){strlen(url)}, "Timestamp", stamp) < 0)
		stsenv_err_set(err, "STS endpoint URL too long");
	else if (!(form = oidc_form(s, token, &len)))
		stsenv_err_set(err, "out of memory");
	else
		rc = stsenv_sts_post(base->where, "AssumeRoleWithOIDC", url, form, timeout_ms, out,
				     err);
	if (form) {
		explicit_bzero(form, len);
		free(form);
	}
	explicit_bzero(token, strlen(token));
	free(token);
	return rc < 0 ? STSENV_FETCH_ERR : STSENV_FETCH_OK;
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
	stsenv_sts_url(ep, p->region, p->vpc, url, sizeof(url));
	snprintf(session, sizeof(session), "stsenv-%lld", (long long)(stsenv_real_ms() / 1000));
	s->role_arn = strdup(p->role_arn);
	s->provider_arn = strdup(p->provider_arn);
	s->token_file = strdup(p->token_file);
	s->session_name = strdup(p->session_name && *p->session_name ? p->session_name : session);
	s->policy = p->policy && *p->policy ? strdup(p->policy) : NULL;
	s->url = strdup(url);
	s->duration_s = p->duration_s < 900 ? 900 : p->duration_s;
	stsenv_source_own(&s->base, (char **const[]){&s->role_arn, &s->provider_arn, &s->token_file,
						     &s->session_name, &s->policy, &s->url, NULL});
	if (!s->role_arn || !s->provider_arn || !s->token_file || !s->session_name || !s->url ||
	    (p->policy && *p->policy && !s->policy))
		return stsenv_source_oom(s, err);
	stsenv_url_redact(url, s->base.where, sizeof(s->base.where));
	return stsenv_source_init(&s->base, "oidc", oidc_fetch, stsenv_source_free);
}
