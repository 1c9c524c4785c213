#include "config.h"

#include "log.h"
#include "strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

	/* Field by field, not memset: the strings' unused tails stay
	 * untouched, pages a process start need not fault in. */
	c->source[0] = c->file[0] = c->log_file[0] = c->vars[0] = '\0';
	c->override = false;
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

	memcpy(c->source, "auto", sizeof("auto"));
	v = get("STSENV_SOURCE");
	if (v && *v) {
		static const char *const ok[] = {"auto", "uri", "file", "oidc", "profile", "ecs"};
		bool known = false;
		for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
			if (strcmp(v, ok[i]) == 0)
				known = true;
		if (known)
			stsenv_copy_trunc(c->source, sizeof(c->source), v, strlen(v));
		else
			stsenv_log(STSENV_LOG_WARN,
				   "STSENV_SOURCE=\"%.20s\" is not auto|uri|file|oidc|profile|ecs; "
				   "using auto",
				   v);
	}
	memcpy(c->file, STSENV_DEFAULT_FILE, sizeof(STSENV_DEFAULT_FILE));
	v = get("STSENV_CREDENTIALS_FILE");
	if (v && *v)
		copy(c->file, sizeof(c->file), v, "STSENV_CREDENTIALS_FILE");
	c->margin_ms = number(get, "STSENV_REFRESH_MARGIN", 900, 0, 86400) * 1000;
	c->timeout_ms = number(get, "STSENV_TIMEOUT_MS", 5000, 100, 120000);
	c->duration_s = stsenv_duration_setting(get);
	c->override = stsenv_setting_true(get, "STSENV_OVERRIDE");
	v = get("STSENV_VARS");
	if (v)
		copy(c->vars, sizeof(c->vars), v, "STSENV_VARS");
}

bool stsenv_setting_true(stsenv_getenv_fn get, const char *name)
{
	const char *v = get(name);

	return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}
