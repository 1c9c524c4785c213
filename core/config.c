#include "config.h"

#include "delivery.h"

#include "log.h"
#include "strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* A bad setting is noted here and said by stsenv_config_report: by the
 * process that starts a tree, not by every process that inherits it. */
static void problem(struct stsenv_config *c, const char *fmt, const char *name, const char *v,
		    const char *rest)
{
	if (c->nproblems < STSENV_CONFIG_PROBLEMS)
		snprintf(c->problems[c->nproblems++], sizeof(c->problems[0]), fmt, name, v, rest);
}

static void copy(struct stsenv_config *c, char *dst, size_t len, const char *src, const char *name)
{
	if (strlen(src) >= len)
		problem(c, "%s is too long%s%s; ignored", name, "", "");
	else
		memcpy(dst, src, strlen(src) + 1);
}

static int64_t number(struct stsenv_config *c, stsenv_getenv_fn get, const char *name, int64_t def,
		      int64_t lo, int64_t hi)
{
	const char *v = get(name);
	char *end, range[96];
	long long n;

	if (!v || !*v)
		return def;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || *end || n < lo || n > hi) {
		snprintf(range, sizeof(range), "from %lld to %lld; using %lld", (long long)lo,
			 (long long)hi, (long long)def);
		problem(c, "%s=\"%.40s\" is not a number %s", name, v, range);
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

/* A relative STSENV_LOG_FILE names a file in the directory it was given
 * in: a keeper runs in /, and a program may change directory later. */
static void log_file_setting(struct stsenv_config *c, const char *v)
{
	size_t n;

	if (!*v || v[0] == '/' || !getcwd(c->log_file, sizeof(c->log_file))) {
		copy(c, c->log_file, sizeof(c->log_file), v, "STSENV_LOG_FILE");
		return;
	}
	n = strlen(c->log_file);
	if (n + 1 + strlen(v) >= sizeof(c->log_file)) {
		c->log_file[0] = '\0';
		problem(c, "%s is too long%s%s; ignored", "STSENV_LOG_FILE", "", "");
		return;
	}
	c->log_file[n] = '/';
	memcpy(c->log_file + n + 1, v, strlen(v) + 1);
}

static const char *const sources[] = {"auto", "uri", "file", "oidc", "profile", "ecs"};

/* STSENV_SOURCE, case-insensitive; a value that names no source makes
 * selection fail (it never falls back to another source). */
static void source_setting(struct stsenv_config *c, const char *v)
{
	memcpy(c->source, "auto", sizeof("auto"));
	if (!v || !*v)
		return;
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		if (strcasecmp(v, sources[i]) == 0) {
			memcpy(c->source, sources[i], strlen(sources[i]) + 1);
			return;
		}
	c->source_bad = true;
	stsenv_copy_trunc(c->source_given, sizeof(c->source_given), v, strlen(v));
}

void stsenv_config_load(struct stsenv_config *c, stsenv_getenv_fn get)
{
	const char *v, *lv = get("STSENV_LOG");
	int level = lv && *lv ? stsenv_log_parse_level(lv) : STSENV_LOG_WARN;

	/* Field by field, not memset: the strings' unused tails stay
	 * untouched, pages a process start need not fault in. */
	c->source[0] = c->file[0] = c->log_file[0] = c->vars[0] = '\0';
	c->override = c->source_bad = false;
	c->nproblems = 0;
	if (level < 0) {
		problem(c, "%s=\"%.20s\" is not %s", "STSENV_LOG", lv,
			"off, error, warn, info or debug");
		level = STSENV_LOG_WARN;
	}
	c->log_level = level;
	v = get("STSENV_LOG_FILE");
	if (v)
		log_file_setting(c, v);
	stsenv_log_setup(c->log_level, c->log_file);
	source_setting(c, get("STSENV_SOURCE"));
	memcpy(c->file, STSENV_DEFAULT_FILE, sizeof(STSENV_DEFAULT_FILE));
	v = get("STSENV_CREDENTIALS_FILE");
	c->file_given = v && *v;
	if (c->file_given)
		copy(c, c->file, sizeof(c->file), v, "STSENV_CREDENTIALS_FILE");
	c->margin_ms = number(c, get, "STSENV_REFRESH_MARGIN", 900, 0, 86400) * 1000;
	c->timeout_ms = number(c, get, "STSENV_TIMEOUT_MS", 5000, 100, 120000);
	c->duration_s = stsenv_duration_setting(get);
	c->override = stsenv_setting_true(get, "STSENV_OVERRIDE");
	v = get("STSENV_DELIVER");
	c->deliver = v && *v ? stsenv_deliver_parse(v) : STSENV_DELIVER_AUTO;
	if (c->deliver < 0) {
		problem(c, "%s=\"%.20s\" is not %s", "STSENV_DELIVER", v, "auto, env, uri or both");
		c->deliver = STSENV_DELIVER_AUTO;
	}
	v = get("STSENV_VARS");
	if (v)
		copy(c, c->vars, sizeof(c->vars), v, "STSENV_VARS");
}

void stsenv_config_report(const struct stsenv_config *c)
{
	for (int i = 0; i < c->nproblems; i++)
		stsenv_log(STSENV_LOG_WARN, "%s", c->problems[i]);
}

bool stsenv_setting_true(stsenv_getenv_fn get, const char *name)
{
	const char *v = get(name);

	return v && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0);
}
