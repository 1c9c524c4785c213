/* The credentials URI of DSW/DLC (ALIBABA_CLOUD_CREDENTIALS_URI): a plain
 * GET of the URI as given, answering the credential as JSON. */
#include "credjson.h"
#include "http.h"
#include "source.h"

#include <stdlib.h>
#include <string.h>

struct uri_source {
	struct stsenv_source base;
	char *uri;
};

int stsenv_uri_judge(long status, const char *body, size_t len, const char *where,
		     struct stsenv_cred *out, struct stsenv_err *err)
{
	int rc;

	if (status != 200) {
		char why[256];
		bool said = stsenv_cred_error_detail(body, len, why, sizeof(why));

		stsenv_err_set(err, "credentials URI %s: HTTP status %ld%s%s%s", where, status,
			       said ? " (" : "", said ? why : "", said ? ")" : "");
		return -1;
	}
	rc = stsenv_cred_from_json(
		body, len, NULL, STSENV_CJ_REQUIRE_TOKEN | STSENV_CJ_REQUIRE_EXPIRATION, out, err);
	if (rc < 0)
		stsenv_err_prefix(err, "credentials URI %s: bad response", where);
	return rc;
}

static enum stsenv_fetch_rc uri_fetch(struct stsenv_source *base, int64_t timeout_ms,
				      struct stsenv_cred *out, struct stsenv_err *err)
{
	struct uri_source *s = (struct uri_source *)base;
	struct stsenv_http_req req = {.url = s->uri, .timeout_ms = timeout_ms};
	struct stsenv_http_resp resp;
	int rc;

	if (stsenv_http_do(&req, &resp, err) < 0) {
		stsenv_err_prefix(err, "credentials URI %s", base->where);
		return STSENV_FETCH_ERR;
	}
	rc = stsenv_uri_judge(resp.status, resp.body, resp.len, base->where, out, err);
	stsenv_http_resp_free(&resp);
	return rc < 0 ? STSENV_FETCH_ERR : STSENV_FETCH_OK;
}

struct stsenv_source *stsenv_source_uri_new(const char *uri, struct stsenv_err *err)
{
	struct uri_source *s;

	if (!stsenv_url_scheme_ok(uri)) {
		char safe[200];
		stsenv_url_redact(uri, safe, sizeof(safe));
		stsenv_err_set(err, "credentials URI %s is not an http:// or https:// URL", safe);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->uri = strdup(uri)))
		return stsenv_source_oom(s, err);
	stsenv_source_own(&s->base, (char **const[]){&s->uri, NULL});
	stsenv_url_redact(uri, s->base.where, sizeof(s->base.where));
	return stsenv_source_init(&s->base, "uri", uri_fetch, stsenv_source_free);
}
