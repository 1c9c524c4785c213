#include "sts.h"

#include "credjson.h"
#include "http.h"

#include <stdio.h>
#include <string.h>

int stsenv_pct_append(char *buf, size_t cap, size_t *len, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";

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
	if (*len < cap)
		buf[*len] = '\0';
	return 0;
}

int stsenv_form_add(char *buf, size_t cap, size_t *len, const char *key, const char *value)
{
	int n = snprintf(buf + *len, cap - *len, "%s%s=", *len ? "&" : "", key);

	if (n < 0 || (size_t)n >= cap - *len)
		return -1;
	*len += (size_t)n;
	return stsenv_pct_append(buf, cap, len, value);
}

void stsenv_sts_url(const char *endpoint, const char *region, bool vpc, char *buf, size_t len)
{
	if (endpoint && *endpoint)
		snprintf(buf, len, "%s%s", strstr(endpoint, "://") ? "" : "https://", endpoint);
	else if (region && *region)
		snprintf(buf, len, "https://sts%s.%s.aliyuncs.com", vpc ? "-vpc" : "", region);
	else
		snprintf(buf, len, "https://sts.aliyuncs.com");
	while (strlen(buf) > 8 && buf[strlen(buf) - 1] == '/')
		buf[strlen(buf) - 1] = '\0';
}

int stsenv_sts_judge(const char *where, const char *what, long status, const char *body, size_t len,
		     struct stsenv_cred *out, struct stsenv_err *err)
{
	char why[256] = "no error details";

	if (status != 200) {
		stsenv_cred_error_detail(body, len, why, sizeof(why));
		/* STS judges the Timestamp against its own clock. */
		stsenv_err_set(err, "STS %s %s: HTTP %ld, %s%s", where, what, status, why,
			       strstr(why, "InvalidTimeStamp") ? " (is this machine's clock right?)"
							       : "");
		return -1;
	}
	if (stsenv_cred_from_json(body, len, "Credentials",
				  STSENV_CJ_REQUIRE_TOKEN | STSENV_CJ_REQUIRE_EXPIRATION, out,
				  err) < 0) {
		stsenv_err_prefix(err, "STS %s %s: bad response", where, what);
		return -1;
	}
	return 0;
}

int stsenv_sts_post(const char *where, const char *what, const char *url, const char *form,
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
	int rc;

	if (stsenv_http_do(&req, &resp, err) < 0) {
		stsenv_err_prefix(err, "STS %s %s", where, what);
		return -1;
	}
	rc = stsenv_sts_judge(where, what, resp.status, resp.body, resp.len, out, err);
	stsenv_http_resp_free(&resp);
	return rc;
}
