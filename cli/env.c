/* stsenv env: the current credential, for eval "$(stsenv env)". */
#include "cli.h"

#include "../core/log.h"

#include "../core/marker.h"

#include <stdio.h>
#include <string.h>

/* Every name this process serves, with its value from s (NULL: none). */
static void for_each_name(const struct cli *c, void (*fn)(const char *, const char *, void *),
			  const struct stsenv_snap *s, void *arg)
{
	for (int i = 0; i < stsenv_names_count(&c->names); i++) {
		const struct stsenv_name *n = stsenv_names_at(&c->names, i);
		if (stsenv_policy_serves(&c->policy, n) && n->field != STSENV_F_TREE)
			fn(n->name, stsenv_policy_value(n, s, NULL), arg);
	}
}

/* sh: single quotes; dotenv: bare when safe, else double quotes. */
static void print_sh(const char *name, const char *value, void *arg)
{
	(void)arg;
	if (!value) {
		printf("unset %s\n", name);
		return;
	}
	printf("export %s='", name);
	for (const char *p = value; *p; p++)
		if (*p == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*p);
	puts("'");
}

static void print_dotenv(const char *name, const char *value, void *arg)
{
	bool plain = true;

	(void)arg;
	if (!value)
		return;
	for (const char *p = value; *p; p++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=._:-",
			    *p))
			plain = false;
	if (plain) {
		printf("%s=%s\n", name, value);
		return;
	}
	printf("%s=\"", name);
	for (const char *p = value; *p; p++) {
		if (*p == '"' || *p == '\\' || *p == '$' || *p == '`')
			putchar('\\');
		putchar(*p);
	}
	puts("\"");
}

void cli_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void print_json(const char *name, const char *value, void *arg)
{
	int *first = arg;

	if (!value)
		return;
	printf("%s\n  ", *first ? "{" : ",");
	*first = 0;
	cli_json_str(name);
	fputs(": ", stdout);
	cli_json_str(value);
}

int cmd_env(struct cli *c, const char *format)
{
	const struct stsenv_snap *s = stsenv_engine_get(c->engine);
	struct stsenv_engine_status st;
	int first = 1;

	if (!s) {
		stsenv_engine_status(c->engine, &st);
		/* The engine has said why, once (unless STSENV_LOG=off). */
		return st.last_error[0] ? EXIT_OWN : cli_fail("no credential" STSENV_SEE_STATUS);
	}
	if (strcmp(format, "sh") == 0)
		for_each_name(c, print_sh, s, NULL);
	else if (strcmp(format, "dotenv") == 0)
		for_each_name(c, print_dotenv, s, NULL);
	else {
		for_each_name(c, print_json, s, &first);
		puts("\n}");
	}
	return fflush(stdout) == 0 ? 0 : EXIT_OWN;
}
