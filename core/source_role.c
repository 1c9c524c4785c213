/* A role assumed on top of another source: STS AssumeRole, signed (RPC
 * signature 1.0, sign.h) with the other source's credential, which is
 * called the signer here.  The signer is asked only when the role's own
 * credential is due, so a signer that rotates meanwhile costs nothing; a
 * long-term key of a profile only ever signs, it is never served. */
#include "clock.h"
#include "desc.h"
#include "sign.h"
#include "source.h"
#include "strbuf.h"
#include "sts.h"
#include "timeutil.h"
#include "url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A signer this close to its expiry is not used: STS would refuse it. */
#define SIGNER_SLACK_MS 10000

struct role_source {
	struct stsenv_source base;
	struct stsenv_source *signer;
	struct stsenv_cred held; /* the signer's last credential */
	char *arn, *session, *policy, *external_id, *url;
	char what[160]; /* "AssumeRole <arn>", for messages */
	int duration_s;
};

/* The signer's current credential into s->held: 0, or -1 with err set. */
static int refresh_signer(struct role_source *s, int64_t timeout_ms, struct stsenv_err *err)
{
	struct stsenv_cred c = {0};
	enum stsenv_fetch_rc rc = s->signer->fetch(s->signer, timeout_ms, &c, err);
	bool usable = s->held.id && s->held.exp_ms - stsenv_real_ms() > SIGNER_SLACK_MS;

	if (rc == STSENV_FETCH_OK) {
		stsenv_cred_clear(&s->held);
		s->held = c;
		return 0;
	}
	if (rc == STSENV_FETCH_UNCHANGED && usable)
		return 0;
	if (rc == STSENV_FETCH_UNCHANGED)
		stsenv_err_set(err, "its credential expires in under %d s and it has no newer one",
			       SIGNER_SLACK_MS / 1000);
	/* A signer that fails while the one held is still good: sign with it. */
	if (rc == STSENV_FETCH_ERR && usable)
		return 0;
	stsenv_err_prefix(err, "%s: the source that signs it (%s %s)", s->what, s->signer->kind,
			  s->signer->where);
	return -1;
}

/* Appends each of p to buf as a form; -1 if it does not fit. */
static int add_all(char *buf, size_t cap, size_t *len, const struct stsenv_param *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (stsenv_form_add(buf, cap, len, p[i].key, p[i].value) < 0)
			return -1;
	return 0;
}

/* The URL (the RPC parameters and the signature) and the form body (the
 * call's own parameters and the signer's token, which stays out of URLs
 * that proxies and servers log).  STS reads both as one set, and the
 * signature covers both.  0, or -1 with err set. */
static int build(const struct role_source *s, char *url, size_t ucap, char *form, size_t fcap,
		 struct stsenv_err *err)
{
	char stamp[32], dur[16], nc[33], sig[64];
	struct stsenv_param q[9] = {
		{"Action", "AssumeRole"},    {"Format", "JSON"},
		{"Version", "2015-04-01"},   {"SignatureMethod", "HMAC-SHA1"},
		{"SignatureVersion", "1.0"}, {"Timestamp", stamp},
		{"SignatureNonce", nc},	     {"AccessKeyId", s->held.id},
	};
	struct stsenv_param f[6] = {
		{"RoleArn", s->arn}, {"RoleSessionName", s->session}, {"DurationSeconds", dur}};
	struct stsenv_param all[15];
	size_t nq = 8, nf = 3, ulen, flen = 0;

	stsenv_format_iso8601(stsenv_real_ms(), stamp, sizeof(stamp));
	snprintf(dur, sizeof(dur), "%d", s->duration_s);
	if (!stsenv_random_hex(nc, 32)) {
		stsenv_err_set(err, "%s: no random numbers for the nonce", s->what);
		return -1;
	}
	if (s->policy)
		f[nf++] = (struct stsenv_param){"Policy", s->policy};
	if (s->external_id)
		f[nf++] = (struct stsenv_param){"ExternalId", s->external_id};
	if (s->held.token)
		f[nf++] = (struct stsenv_param){"SecurityToken", s->held.token};
	memcpy(all, q, nq * sizeof(*q));
	memcpy(all + nq, f, nf * sizeof(*f));
	if (stsenv_rpc_sign("POST", all, nq + nf, s->held.secret, sig, sizeof(sig), err) < 0)
		return -1;
	q[nq++] = (struct stsenv_param){"Signature", sig};
	snprintf(url, ucap, "%s/?", s->url);
	ulen = strlen(url);
	if (add_all(url + ulen, ucap - ulen, &(size_t){0}, q, nq) < 0 ||
	    add_all(form, fcap, &flen, f, nf) < 0) {
		stsenv_err_set(err, "%s: request too long", s->what);
		return -1;
	}
	return 0;
}

static enum stsenv_fetch_rc role_fetch(struct stsenv_source *base, int64_t timeout_ms,
				       struct stsenv_cred *out, struct stsenv_err *err)
{
	struct role_source *s = (struct role_source *)base;
	int64_t start = stsenv_mono_ms(), left;
	size_t fcap, ucap = strlen(s->url) + 2048;
	char *url = NULL, *form = NULL;
	int rc = -1;

	if (refresh_signer(s, timeout_ms, err) < 0)
		return STSENV_FETCH_ERR;
	/* The form holds the signer's token (up to 16 KiB) and the policy,
	 * each at most three times as long encoded. */
	fcap = 3 * (strlen(s->held.token ? s->held.token : "") + strlen(s->arn) +
		    strlen(s->session) + (s->policy ? strlen(s->policy) : 0) +
		    (s->external_id ? strlen(s->external_id) : 0)) +
	       256;
	if (!(url = calloc(1, ucap)) || !(form = calloc(1, fcap)))
		stsenv_err_set(err, "out of memory");
	else if (build(s, url, ucap, form, fcap, err) == 0) {
		/* One bound for the whole chain: readers wait no longer. */
		left = timeout_ms - (stsenv_mono_ms() - start);
		rc = stsenv_sts_post(base->where, s->what, url, form, left < 100 ? 100 : left, out,
				     err);
	}
	if (form)
		explicit_bzero(form, fcap);
	free(form);
	free(url);
	return rc < 0 ? STSENV_FETCH_ERR : STSENV_FETCH_OK;
}

static void role_destroy(struct stsenv_source *base)
{
	struct role_source *s = (struct role_source *)base;

	stsenv_source_destroy(s->signer);
	stsenv_cred_clear(&s->held);
	stsenv_source_free(base);
}

static char *dup_opt(const char *v, bool *oom)
{
	char *d = v && *v ? strdup(v) : NULL;

	*oom |= v && *v && !d;
	return d;
}

struct stsenv_source *stsenv_source_role_new(struct stsenv_source *signer,
					     const struct stsenv_role_params *p,
					     struct stsenv_err *err)
{
	struct role_source *s = calloc(1, sizeof(*s));
	char session[64], url[512];
	bool oom = !s;

	if (!s) {
		stsenv_source_destroy(signer);
		return stsenv_source_oom(s, err);
	}
	s->signer = signer;
	stsenv_sts_url(p->endpoint, p->region, p->vpc, url, sizeof(url));
	snprintf(session, sizeof(session), "stsenv-%lld", (long long)(stsenv_real_ms() / 1000));
	s->arn = dup_opt(p->arn, &oom);
	s->session = dup_opt(p->session && *p->session ? p->session : session, &oom);
	s->policy = dup_opt(p->policy, &oom);
	s->external_id = dup_opt(p->external_id, &oom);
	s->url = dup_opt(url, &oom);
	s->duration_s = p->duration_s < 900 ? 3600 : p->duration_s;
	stsenv_source_own(&s->base, (char **const[]){&s->arn, &s->session, &s->policy,
						     &s->external_id, &s->url, NULL});
	if (oom || !s->arn) {
		role_destroy(&s->base);
		stsenv_err_set(err, "out of memory");
		return NULL;
	}
	snprintf(s->what, sizeof(s->what), "AssumeRole %.140s", s->arn);
	stsenv_url_redact(url, s->base.where, sizeof(s->base.where));
	return stsenv_source_init(&s->base, "role", role_fetch, role_destroy);
}
