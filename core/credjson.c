#include "credjson.h"

#include "json.h"
#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void stsenv_json_excerpt(const char *s, size_t len, char *buf, size_t buflen)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 4 < buflen; i++)
		buf[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (o < len && o >= 3) /* cut short */
		memcpy(buf + o - 3, "...", 3);
	buf[o] = '\0';
}

const struct stsenv_cred_keys stsenv_sts_keys = {"AccessKeyId", "AccessKeySecret", "SecurityToken",
						 "Expiration"};

static int field(struct stsenv_json *j, int obj, const char *key, bool required, size_t max,
		 char **out, struct stsenv_err *err)
{
	int v;

	*out = NULL;
	if (!key)
		return 0;
	v = stsenv_json_get(j, obj, key);
	if (v == -2) {
		stsenv_err_set(err, "%s appears more than once", key);
		return -1;
	}
	if (v < 0 || (!required && stsenv_json_is_null(j, v))) {
		if (required) {
			stsenv_err_set(err, "%s is missing", key);
			return -1;
		}
		return 0;
	}
	*out = stsenv_json_strdup(j, v, max, key, err);
	if (!*out)
		return -1;
	if (!**out) {
		free(*out);
		*out = NULL;
		if (required) {
			stsenv_err_set(err, "%s is empty", key);
			return -1;
		}
	}
	return 0;
}

int stsenv_cred_from_json(const char *buf, size_t len, const char *object, unsigned flags,
			  struct stsenv_cred *out, struct stsenv_err *err)
{
	return stsenv_cred_from_json_keys(buf, len, object, &stsenv_sts_keys, flags, out, err);
}

/* The object holding the fields (0: the top level), after the Code check;
 * -1 with err set. */
static int fields_object(const struct stsenv_json *j, const char *buf, const char *object,
			 struct stsenv_err *err)
{
	int code = stsenv_json_get(j, 0, "Code"), obj = 0;

	if (code == -2) {
		stsenv_err_set(err, "Code appears more than once");
		return -1;
	}
	if (code >= 0 && !stsenv_json_streq(j, code, "Success")) {
		char ex[64] = "(not a string)";
		if (stsenv_json_is_string(j, code))
			stsenv_json_excerpt(buf + j->toks[code].start,
					    (size_t)(j->toks[code].end - j->toks[code].start), ex,
					    sizeof(ex));
		stsenv_err_set(err, "Code is \"%s\", not Success", ex);
		return -1;
	}
	if (object) {
		obj = stsenv_json_get(j, 0, object);
		if (!stsenv_json_is_object(j, obj)) {
			stsenv_err_set(err, "%s %s", object,
				       obj == -1 ? "is missing" : "is not a single object");
			return -1;
		}
	}
	return obj;
}

int stsenv_cred_from_json_keys(const char *buf, size_t len, const char *object,
			       const struct stsenv_cred_keys *keys, unsigned flags,
			       struct stsenv_cred *out, struct stsenv_err *err)
{
	struct stsenv_json *j;
	struct stsenv_cred c = {0};
	char *exp = NULL;
	int obj, rc = -1;

	if (len > STSENV_MAX_BODY) {
		stsenv_err_set(err, "body too large (%zu bytes, limit %d)", len, STSENV_MAX_BODY);
		return -1;
	}
	j = malloc(sizeof(*j));
	if (!j) {
		stsenv_err_set(err, "out of memory");
		return -1;
	}
	if (stsenv_json_parse(j, buf, len, err) < 0 ||
	    (obj = fields_object(j, buf, object, err)) < 0)
		goto out;
	if (field(j, obj, keys->id, true, STSENV_MAX_ID, &c.id, err) < 0 ||
	    field(j, obj, keys->secret, true, STSENV_MAX_SECRET, &c.secret, err) < 0 ||
	    field(j, obj, keys->token, flags & STSENV_CJ_REQUIRE_TOKEN, STSENV_MAX_TOKEN, &c.token,
		  err) < 0 ||
	    field(j, obj, keys->expiration, flags & STSENV_CJ_REQUIRE_EXPIRATION, 64, &exp, err) <
		    0)
		goto out;
	c.exp_ms = STSENV_NO_EXPIRY;
	if (exp && !stsenv_parse_iso8601(exp, strlen(exp), &c.exp_ms)) {
		char ex[40];
		stsenv_json_excerpt(exp, strlen(exp), ex, sizeof(ex));
		stsenv_err_set(err, "%s \"%s\" is not YYYY-MM-DDTHH:MM:SS[.mmm]Z", keys->expiration,
			       ex);
		goto out;
	}
	*out = c;
	memset(&c, 0, sizeof(c));
	rc = 0;
out:
	free(exp);
	stsenv_cred_clear(&c);
	free(j);
	return rc;
}

/* "Code: Message" of an error body (STS, a credentials service): the only
 * parts of it that are safe to log, cut to a printable excerpt. */
bool stsenv_cred_error_detail(const char *body, size_t len, char *out, size_t cap)
{
	struct stsenv_json *j = malloc(sizeof(*j));
	struct stsenv_err ignore;
	char code[80] = "", msg[160] = "";
	int c, m;

	if (!j)
		return false;
	if (stsenv_json_parse(j, body, len, &ignore) == 0) {
		c = stsenv_json_get(j, 0, "Code");
		m = stsenv_json_get(j, 0, "Message");
		if (stsenv_json_is_string(j, c))
			stsenv_json_excerpt(body + j->toks[c].start,
					    (size_t)(j->toks[c].end - j->toks[c].start), code,
					    sizeof(code));
		if (stsenv_json_is_string(j, m))
			stsenv_json_excerpt(body + j->toks[m].start,
					    (size_t)(j->toks[m].end - j->toks[m].start), msg,
					    sizeof(msg));
		/* STS's SignatureDoesNotMatch quotes the string it signed, which
		 * holds the signer's id and token: never past that point. */
		char *cut = strcasestr(msg, "server string to sign");
		while (cut && cut > msg && cut[-1] == ' ')
			cut--;
		if (cut)
			*cut = '\0';
		if (code[0])
			snprintf(out, cap, "%s%s%s", code, msg[0] ? ": " : "", msg);
	}
	free(j);
	return code[0] != '\0';
}
