/* Credentials named by a profile: the SDKs' INI file, then the CLI's
 * config.json.  Both are read into one form (struct profile) and mapped onto
 * the sources that exist.  Values are secrets: errors name keys, never
 * values, and every copy is wiped before it is freed. */
#include "profile.h"

#include "select.h"
#include "strbuf.h"

#include "credjson.h"
#include "url.h"
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE   (1024 * 1024)
#define MAX_TOKENS 65536 /* config.json: about 60 per profile */

/* clang-format off */
enum key { K_KIND, K_ID, K_SECRET, K_TOKEN, K_ROLE_NAME, K_ROLE_ARN, K_SESSION, K_POLICY,
	   K_PROVIDER, K_TOKEN_FILE, K_URI, K_COMMAND, K_REGION, K_ENDPOINT, K_SOURCE,
	   K_EXTERNAL_ID, K_DURATION, K_COUNT };

struct dialect {
	bool ini;
	const char *keys[K_COUNT]; /* NULL: the format has no such key */
};

static const struct dialect ini_d = {true, {"type", "access_key_id", "access_key_secret", NULL,
	"role_name", "role_arn", "role_session_name", "policy", "oidc_provider_arn",
	"oidc_token_file_path", NULL, NULL, "sts_region", "sts_endpoint", "source_profile",
	"external_id", "duration_seconds"}};
static const struct dialect cli_d = {false, {"mode", "access_key_id", "access_key_secret",
	"sts_token", "ram_role_name", "ram_role_arn", "ram_session_name", "policy",
	"oidc_provider_arn", "oidc_token_file", "credentials_uri", "process_command", "sts_region",
	"sts_endpoint", "source_profile", "external_id", "expired_seconds"}};

/* A_ROLE: AssumeRole signed with the profile's AccessKey, or with the
 * credential of its source_profile (INI); A_CHAIN: with its source_profile's. */
enum act { A_AK, A_STS, A_ECS, A_OIDC, A_URI, A_PROCESS, A_ROLE, A_CHAIN, A_NO };
#define B(k) (1u << (k))
static const unsigned needs[] = {
	[A_AK] = B(K_ID) | B(K_SECRET), [A_STS] = B(K_ID) | B(K_SECRET) | B(K_TOKEN),
	[A_OIDC] = B(K_ROLE_ARN) | B(K_PROVIDER) | B(K_TOKEN_FILE), [A_URI] = B(K_URI),
	[A_PROCESS] = B(K_COMMAND), [A_ROLE] = B(K_ROLE_ARN),
	[A_CHAIN] = B(K_ROLE_ARN) | B(K_SOURCE)};

static const struct mode {
	bool ini;
	const char *name;
	enum act act;
	const char *note; /* for A_NO */
} modes[] = {
	{true, "access_key", A_AK, 0},		{true, "ecs_ram_role", A_ECS, 0},
	{true, "oidc_role_arn", A_OIDC, 0},	{true, "ram_role_arn", A_ROLE, 0},
	{false, "AK", A_AK, 0},			{false, "StsToken", A_STS, 0},
	{false, "EcsRamRole", A_ECS, 0},	{false, "OIDC", A_OIDC, 0},
	{false, "CredentialsURI", A_URI, 0},	{false, "External", A_PROCESS, 0},
	{false, "RamRoleArn", A_ROLE, 0},	{false, "CloudSSO", A_NO, ""},
	{false, "OAuth", A_NO, ""},
	{false, "ChainableRamRoleArn", A_CHAIN, 0},
};
/* clang-format on */

struct profile {
	const struct dialect *d;
	char name[64];	  /* printable excerpt, safe to log */
	char *v[K_COUNT]; /* NULL when absent or empty */
};

static void wipe_free(char *s, size_t len)
{
	if (s)
		explicit_bzero(s, len);
	free(s);
}

static void profile_clear(struct profile *p)
{
	for (int k = 0; k < K_COUNT; k++)
		wipe_free(p->v[k], p->v[k] ? strlen(p->v[k]) : 0);
}

static void set_name(struct profile *p, const char *name)
{
	stsenv_json_excerpt(name, strlen(name), p->name, sizeof(p->name));
}

static const char *env(stsenv_getenv_fn get, const char *name)
{
	const char *v = get(name);

	return v && *v ? v : NULL;
}

/* 1 with the file in *buf (NUL-terminated), 0 if it does not exist, -1 with
 * err set (the caller names the file). */
static int load(const char *path, char **buf, size_t *len, struct stsenv_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), rc = -1;
	struct stat st;
	ssize_t n = 0;

	*buf = NULL;
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return 0;
	if (fd < 0)
		stsenv_err_set(err, "%s", strerror(errno));
	else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		stsenv_err_set(err, "not a regular file");
	else if (st.st_size > MAX_FILE)
		stsenv_err_set(err, "too large (limit %d bytes)", MAX_FILE);
	else if (!(*buf = malloc((size_t)st.st_size + 1)))
		stsenv_err_set(err, "out of memory");
	else
		rc = 1;
	for (*len = 0; rc > 0 && *len < (size_t)st.st_size; *len += (size_t)n) {
		n = read(fd, *buf + *len, (size_t)st.st_size - *len);
		if (n < 0 && errno == EINTR)
			n = 0;
		else if (n <= 0) /* an error, or the file shrank under us */
			break;
	}
	if (rc > 0 && n < 0) {
		stsenv_err_set(err, "%s", strerror(errno));
		wipe_free(*buf, *len);
		rc = -1;
	} else if (rc > 0) {
		(*buf)[*len] = '\0';
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

static char *trim(char *s)
{
	char *e = s + strlen(s);

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Section `want` of an INI file (buf is modified): 1 found, 0 not, -1 err.
 * A '#' or ';' after a blank starts a comment; quotes are not special. */
static int ini_read(char *buf, const char *want, struct profile *p, struct stsenv_err *err)
{
	bool in = false, found = false;
	unsigned seen = 0;
	int lineno = 0;

	if (strncmp(buf, "\xef\xbb\xbf", 3) == 0)
		buf += 3;
	for (char *line = buf, *next; line; line = next) {
		char *s, *eq, *c;

		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		lineno++;
		s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			c = strchr(s, ']');
			in = c && (*c = '\0', strcmp(trim(s + 1), want) == 0);
			found |= in;
			continue;
		}
		if (!in)
			continue;
		if (!(eq = strchr(s, '='))) { /* never quote the line: it may be a secret */
			stsenv_err_set(err, "line %d: expected key = value", lineno);
			return -1;
		}
		*eq = '\0';
		/* eq[0] is now NUL, so a comment needs a blank after the '='. */
		for (c = eq + 1; *c && !(strchr("#;", *c) && (c[-1] == ' ' || c[-1] == '\t')); c++)
			;
		*c = '\0';
		s = trim(s);
		eq = trim(eq + 1);
		for (int k = 0; k < K_COUNT; k++) {
			if (!ini_d.keys[k] || strcmp(s, ini_d.keys[k]) != 0)
				continue;
			if (seen & B(k)) {
				stsenv_err_set(err, "profile %s: %s appears twice", p->name, s);
				return -1;
			}
			seen |= B(k);
			if (*eq && !(p->v[k] = strdup(eq))) {
				stsenv_err_set(err, "out of memory");
				return -1;
			}
		}
	}
	return found;
}

/* Decodes string token t of buf (escapes and all) through the strict reader. */
static char *decode(const char *buf, const jsmntok_t *t)
{
	struct stsenv_json *j = malloc(sizeof(*j));
	char doc[600], *out = NULL;
	int n = t->end - t->start;

	if (j && t->type == JSMN_STRING && n < 512) {
		snprintf(doc, sizeof(doc), "{\"v\":\"%.*s\"}", n, buf + t->start);
		if (stsenv_json_parse(j, doc, strlen(doc), NULL) == 0)
			out = stsenv_json_strdup(j, stsenv_json_get(j, 0, "v"), 256, "name", NULL);
	}
	free(j);
	return out;
}

/* The named profile object (its own text, checked strictly) into p. */
static int cli_profile(const char *buf, size_t len, struct profile *p, struct stsenv_err *err)
{
	struct stsenv_json *j = malloc(sizeof(*j));
	int rc = -1;

	if (!j || stsenv_json_parse(j, buf, len, err) < 0) {
		if (!j)
			stsenv_err_set(err, "out of memory");
		goto out;
	}
	for (int k = 0; k < K_COUNT; k++) {
		int v = cli_d.keys[k] ? stsenv_json_get(j, 0, cli_d.keys[k]) : -1;

		if (v == -2) {
			stsenv_err_set(err, "%s appears twice", cli_d.keys[k]);
			goto out;
		}
		if (k == K_DURATION && v >= 0 && j->toks[v].type == JSMN_PRIMITIVE) {
			/* expired_seconds is a number */
			p->v[k] = strndup(buf + j->toks[v].start,
					  (size_t)(j->toks[v].end - j->toks[v].start));
			if (!p->v[k]) {
				stsenv_err_set(err, "out of memory");
				goto out;
			}
			continue;
		}
		if (v >= 0 && !stsenv_json_is_null(j, v) &&
		    !(p->v[k] = stsenv_json_strdup(j, v, STSENV_MAX_TOKEN, cli_d.keys[k], err)))
			goto out;
		if (p->v[k] && !*p->v[k]) { /* the CLI writes "" for unused keys */
			free(p->v[k]);
			p->v[k] = NULL;
		}
	}
	rc = 1;
out:
	if (rc < 0)
		stsenv_err_prefix(err, "profile %s", p->name);
	free(j);
	return rc;
}

static bool key_is(const char *buf, const jsmntok_t *t, const char *key)
{
	return t->type == JSMN_STRING && (size_t)(t->end - t->start) == strlen(key) &&
	       memcmp(buf + t->start, key, strlen(key)) == 0;
}

/* Whether object token o of an n-token parse has "name": want. */
static bool named(const char *buf, const jsmntok_t *t, int n, int o, const char *want)
{
	for (int k = o + 1; k + 1 < n && t[k].start < t[o].end; k++) {
		if (t[k].parent == o && key_is(buf, &t[k], "name")) {
			char *name = decode(buf, &t[k + 1]);
			bool same = name && strcmp(name, want) == 0;

			free(name);
			return same;
		}
	}
	return false;
}

/* Profile `want` (NULL: the one "current" names) of config.json: 1 found,
 * 0 not, -1 err.  The file holds every profile, more than the strict reader
 * takes at once, so jsmn finds the profile and the strict reader reads it. */
static int cli_read(const char *buf, size_t len, const char *want, struct profile *p,
		    struct stsenv_err *err)
{
	jsmn_parser jp;
	jsmntok_t *t = NULL;
	int n, rc = 0, cur = -1, arr = -1;
	char *current = NULL;

	jsmn_init(&jp);
	n = jsmn_parse(&jp, buf, len, NULL, 0);
	if (n > 0 && n <= MAX_TOKENS && (t = calloc((size_t)n, sizeof(*t)))) {
		jsmn_init(&jp);
		n = jsmn_parse(&jp, buf, len, t, (unsigned)n);
	}
	if (n < 1 || !t || t[0].type != JSMN_OBJECT) {
		stsenv_err_set(err, "%s",
			       n > MAX_TOKENS ? "too many JSON tokens"
			       : n > 0 && !t  ? "out of memory"
					      : "not a valid JSON object");
		free(t);
		return -1;
	}
	/* Top-level keys are the tokens whose parent is the object. */
	for (int i = 1; i + 1 < n; i++) {
		if (t[i].parent == 0 && key_is(buf, &t[i], "current"))
			cur = i + 1;
		if (t[i].parent == 0 && key_is(buf, &t[i], "profiles") &&
		    t[i + 1].type == JSMN_ARRAY)
			arr = i + 1;
	}
	if (!want && cur > 0)
		want = current = decode(buf, &t[cur]);
	if (!want || !*want)
		want = "default";
	set_name(p, want);
	for (int i = arr + 1; arr > 0 && i < n && t[i].start < t[arr].end; i++) {
		if (t[i].parent == arr && t[i].type == JSMN_OBJECT && named(buf, t, n, i, want)) {
			rc = cli_profile(buf + t[i].start, (size_t)(t[i].end - t[i].start), p, err);
			break;
		}
	}
	free(current);
	free(t);
	return rc;
}

static bool set(struct stsenv_desc *d, int slot, const char *v, bool *ok)
{
	*ok = *ok && stsenv_desc_set(d, slot, v);
	return *ok;
}

/* The profile's mode, if stsenv can serve it and it has every key the
 * mode needs; NULL with err set otherwise. */
static const struct mode *mode_of(const struct profile *p, struct stsenv_err *err)
{
	const char *word = p->d->keys[K_KIND], *kind = p->v[K_KIND];
	const struct mode *m = NULL;
	char ex[64];

	for (size_t i = 0; kind && !m && i < sizeof(modes) / sizeof(modes[0]); i++)
		m = modes[i].ini == p->d->ini && !strcmp(modes[i].name, kind) ? &modes[i] : NULL;
	if (!kind) {
		stsenv_err_set(err, "profile %s: %s is missing", p->name, word);
		return NULL;
	}
	if (!m) {
		stsenv_json_excerpt(kind, strlen(kind), ex, sizeof(ex));
		stsenv_err_set(err, "profile %s: unknown %s \"%s\"", p->name, word, ex);
		return NULL;
	}
	if (m->act == A_NO) {
		stsenv_err_set(err, "profile %s: %s %s%s is not supported by stsenv yet", p->name,
			       word, m->name, m->note);
		return NULL;
	}
	for (int k = 0; k < K_COUNT; k++) {
		if ((needs[m->act] & B(k)) && !p->v[k]) {
			stsenv_err_set(err, "profile %s: %s is missing", p->name, p->d->keys[k]);
			return NULL;
		}
	}
	return m;
}

/* The slots of d for mode m, from the profile's values (and, for ECS and
 * OIDC, the environment's, which the profile's own override). */
static bool fill(const struct mode *m, const struct profile *p, stsenv_getenv_fn get,
		 struct stsenv_desc *d)
{
	const char *const *v = (void *)p->v;
	bool ok = true;

	switch (m->act) {
	case A_AK:
	case A_STS:
		d->kind = STSENV_SRC_STATIC;
		set(d, STSENV_D_ID, v[K_ID], &ok);
		set(d, STSENV_D_SECRET, v[K_SECRET], &ok);
		return set(d, STSENV_D_TOKEN, v[K_TOKEN], &ok);
	case A_ECS:
		ok = stsenv_desc_ecs_from_env(d, get);
		return set(d, STSENV_D_ROLE_NAME, v[K_ROLE_NAME], &ok);
	case A_OIDC:
		ok = stsenv_desc_oidc_from_env(d, get);
		set(d, STSENV_D_ROLE_ARN, v[K_ROLE_ARN], &ok);
		set(d, STSENV_D_PROVIDER, v[K_PROVIDER], &ok);
		set(d, STSENV_D_TOKEN_FILE, v[K_TOKEN_FILE], &ok);
		set(d, STSENV_D_SESSION, v[K_SESSION], &ok);
		set(d, STSENV_D_POLICY, v[K_POLICY], &ok);
		/* A profile's own STS region or endpoint replaces both of the env's. */
		if (v[K_REGION] || v[K_ENDPOINT]) {
			set(d, STSENV_D_STS_ENDPOINT, v[K_ENDPOINT], &ok);
			set(d, STSENV_D_REGION, v[K_REGION], &ok);
		}
		return ok;
	case A_URI: d->kind = STSENV_SRC_URI; return set(d, STSENV_D_URI, v[K_URI], &ok);
	case A_PROCESS:
		d->kind = STSENV_SRC_PROCESS;
		return set(d, STSENV_D_COMMAND, v[K_COMMAND], &ok);
	case A_ROLE:
	case A_CHAIN:
	case A_NO: break;
	}
	return false;
}

/* A source profile nests at most this deep: enough for real chains, and
 * a loop (a profile that names itself, or two that name each other) ends. */
#define MAX_DEPTH STSENV_MAX_ROLES

static int describe(const struct profile *p, const char *path, stsenv_getenv_fn get, bool automatic,
		    int depth, char *why, size_t whylen, struct stsenv_desc *d,
		    struct stsenv_err *err);
static int read_profile(const struct dialect *dl, const char *path, const char *name,
			struct profile *p, struct stsenv_err *err);

/* The source that signs a role profile's AssumeRole: its source_profile,
 * described in full (it may hold a plain AccessKey: that only signs). */
static int describe_source(const struct profile *p, const char *path, stsenv_getenv_fn get,
			   int depth, struct stsenv_desc *d, struct stsenv_err *err)
{
	struct profile src = {.d = p->d};
	int rc;

	if (depth >= MAX_DEPTH) {
		stsenv_err_set(err,
			       "profile %s: source_profile chain is circular or longer than %d",
			       p->name, MAX_DEPTH);
		return -1;
	}
	set_name(&src, p->v[K_SOURCE]);
	rc = read_profile(p->d, path, p->v[K_SOURCE], &src, err);
	if (rc == 0)
		stsenv_err_set(err, "profile %s: source_profile %s does not exist", p->name,
			       src.name);
	if (rc > 0)
		rc = describe(&src, path, get, false, depth + 1, NULL, 0, d, err);
	profile_clear(&src);
	return rc > 0 ? 0 : -1;
}

static void prefix_label(struct stsenv_desc *d, const char *name)
{
	char was[sizeof(d->label)];
	int n;

	memcpy(was, d->label, sizeof(was));
	n = snprintf(d->label, sizeof(d->label), "profile %s: ", name);
	if (n > 0 && (size_t)n < sizeof(d->label))
		stsenv_copy_trunc(d->label + n, sizeof(d->label) - (size_t)n, was, strlen(was));
}

/* A role profile: the signer (its AccessKey, or its source profile), then
 * the role on top.  0, or -1 with err set. */
static int describe_role(const struct profile *p, const struct mode *m, const char *path,
			 stsenv_getenv_fn get, int depth, struct stsenv_desc *d,
			 struct stsenv_err *err)
{
	const char *const *v = (void *)p->v;
	struct stsenv_role_params r;
	char rid[64], *end;
	long dur = v[K_DURATION] ? strtol(v[K_DURATION], &end, 10) : 0;

	if (m->act == A_CHAIN || v[K_SOURCE]) {
		if (describe_source(p, path, get, depth, d, err) < 0)
			return -1;
		if (depth == 0) /* name the profile chosen, then its signer */
			prefix_label(d, p->name);
	} else if (!v[K_ID] || !v[K_SECRET]) {
		stsenv_err_set(err, "profile %s: %s is missing", p->name,
			       p->d->keys[v[K_ID] ? K_SECRET : K_ID]);
		return -1;
	} else {
		d->kind = STSENV_SRC_STATIC;
		if (!stsenv_desc_set(d, STSENV_D_ID, v[K_ID]) ||
		    !stsenv_desc_set(d, STSENV_D_SECRET, v[K_SECRET])) {
			stsenv_err_set(err, "out of memory");
			return -1;
		}
		stsenv_redact_id(v[K_ID], rid, sizeof(rid));
		snprintf(d->label, sizeof(d->label), "profile %s (AccessKey %s)", p->name, rid);
	}
	if (v[K_DURATION] && (*end || dur < 900 || dur > 43200)) {
		stsenv_err_set(err, "profile %s: %s is not a number of seconds from 900 to 43200",
			       p->name, p->d->keys[K_DURATION]);
		return -1;
	}
	stsenv_role_params_from_env(&r, get);
	r.arn = v[K_ROLE_ARN];
	r.policy = v[K_POLICY];
	r.external_id = v[K_EXTERNAL_ID];
	if (v[K_SESSION])
		r.session = v[K_SESSION];
	if (v[K_ENDPOINT] || v[K_REGION]) { /* the profile's own STS replaces the env's */
		r.endpoint = v[K_ENDPOINT];
		r.region = v[K_REGION];
	}
	if (dur)
		r.duration_s = (int)dur;
	return stsenv_desc_add_role(d, &r, err);
}

/* Maps a profile onto a description: 1, 0 (a plain AccessKey skipped in
 * automatic mode), -1 with err set. */
static int describe(const struct profile *p, const char *path, stsenv_getenv_fn get, bool automatic,
		    int depth, char *why, size_t whylen, struct stsenv_desc *d,
		    struct stsenv_err *err)
{
	const struct mode *m = mode_of(p, err);
	char rid[64];

	if (!m)
		return -1;
	/* A long-term key is never served unasked; it may sign a role. */
	if (m->act == A_AK && automatic && !env(get, "STSENV_ROLE_ARN")) {
		if (why)
			snprintf(why, whylen,
				 "profile %s holds a static AccessKey (served only with "
				 "STSENV_SOURCE=profile; it signs STSENV_ROLE_ARN)",
				 p->name);
		return 0;
	}
	if (m->act == A_ROLE || m->act == A_CHAIN)
		return describe_role(p, m, path, get, depth, d, err) < 0 ? -1 : 1;
	if (m->act == A_URI && !stsenv_url_scheme_ok(p->v[K_URI])) {
		stsenv_err_set(err, "profile %s: credentials_uri is not an http:// or https:// URL",
			       p->name);
		return -1;
	}
	if (!fill(m, p, get, d)) {
		stsenv_err_set(err, "out of memory");
		return -1;
	}
	if (m->act == A_AK || m->act == A_STS) {
		stsenv_redact_id(p->v[K_ID], rid, sizeof(rid));
		snprintf(d->label, sizeof(d->label), "profile %s (%s %s)", p->name,
			 m->act == A_AK ? "AccessKey" : "StsToken", rid);
	} else {
		snprintf(d->label, sizeof(d->label), "profile %s (%s %s)", p->name,
			 p->d->keys[K_KIND], m->name);
	}
	return 1;
}

/* Profile name (NULL: config.json's current one) of the file at path, read
 * afresh into p: 1 found, 0 not (or no such file), -1 with err set. */
static int read_profile(const struct dialect *dl, const char *path, const char *name,
			struct profile *p, struct stsenv_err *err)
{
	char *buf;
	size_t len;
	int rc = load(path, &buf, &len, err);

	if (rc > 0) {
		rc = dl->ini ? ini_read(buf, name ? name : "default", p, err)
			     : cli_read(buf, len, name, p, err);
		wipe_free(buf, len);
	}
	return rc;
}

int stsenv_profile_select(stsenv_getenv_fn get, bool automatic, char *why, size_t whylen,
			  struct stsenv_desc *out, struct stsenv_err *err)
{
	const char *home = env(get, "HOME"), *sel = env(get, "ALIBABA_CLOUD_PROFILE");
	const char *ini = env(get, "ALIBABA_CLOUD_CREDENTIALS_FILE");
	struct profile p = {.d = &ini_d};
	char path[4096];
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (why && whylen)
		why[0] = '\0';
	set_name(&p, sel ? sel : "default");
	if (ini) {
		snprintf(path, sizeof(path), "%s", ini);
		rc = read_profile(&ini_d, path, sel, &p, err);
	}
	for (const char *f = "credentials"; !ini && home && f && !rc;
	     f = strcmp(f, "credentials") == 0 ? "credentials.ini" : NULL) {
		snprintf(path, sizeof(path), "%s/.alibabacloud/%s", home, f);
		rc = read_profile(&ini_d, path, sel, &p, err);
	}
	if (rc == 0 && home) { /* the INI file does not name the profile: config.json */
		profile_clear(&p);
		p = (struct profile){.d = &cli_d};
		set_name(&p, sel ? sel : "default");
		snprintf(path, sizeof(path), "%s/.aliyun/config.json", home);
		rc = read_profile(&cli_d, path, sel, &p, err);
	}
	if (rc == 0 && why)
		snprintf(why, whylen, "no profile %s in %s or ~/.aliyun/config.json", p.name,
			 ini ? ini : "~/.alibabacloud/credentials");
	else if (rc > 0)
		rc = describe(&p, path, get, automatic, 0, why, whylen, out, err);
	if (rc < 0) {
		stsenv_err_prefix(err, "%s", path);
		stsenv_desc_clear(out);
	}
	profile_clear(&p);
	return rc;
}
