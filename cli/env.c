/* stsenv env: the current credential, for eval "$(stsenv env)". */
#include "cli.h"

#include "../core/log.h"

#include "../core/marker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Which names to print: those this process serves, of the families
 * asked for; the marker only where a child needs it, or when asked. */
struct pick {
	bool fam[STSENV_FAM_COUNT];
	bool marker;
};

static int pick_families(struct pick *p, const char *list)
{
	static const char *const fams[] = {[STSENV_FAM_ALIBABA_CLOUD] = "alibaba_cloud",
					   [STSENV_FAM_ALIBABACLOUD] = "alibabacloud",
					   [STSENV_FAM_ALICLOUD] = "alicloud",
					   [STSENV_FAM_OSS] = "oss",
					   [STSENV_FAM_USER] = "vars"};

	p->fam[STSENV_FAM_NONE] = true; /* STSENV_EXPIRATION */
	for (const char *at = list; at && *at;) {
		size_t len = strcspn(at, ",");
		int f = 0;

		while (f < STSENV_FAM_NONE &&
		       !(strlen(fams[f]) == len && strncasecmp(fams[f], at, len) == 0))
			f++;
		if (f == STSENV_FAM_NONE)
			return cli_fail("--names: \"%.*s\" is not alibaba_cloud, alibabacloud, "
					"alicloud, oss or vars; try 'stsenv env --help'",
					(int)len, at);
		p->fam[f] = true;
		at += len + (at[len] == ',');
	}
	for (int f = 0; !list && f < STSENV_FAM_COUNT; f++)
		p->fam[f] = true;
	return 0;
}

/* Every name picked, with its value from s (NULL: none). */
static void for_each_name(const struct cli *c, const struct pick *p,
			  void (*fn)(const char *, const char *, void *),
			  const struct stsenv_snap *s, void *arg)
{
	for (int i = 0; i < stsenv_names_count(&c->names); i++) {
		const struct stsenv_name *n = stsenv_names_at(&c->names, i);
		if (stsenv_policy_serves(&c->policy, n) && n->field != STSENV_F_TREE &&
		    p->fam[n->family] && (n->field != STSENV_F_MARKER || p->marker))
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

int cmd_env(struct cli *c, const struct cli_args *o)
{
	const struct stsenv_snap *s = stsenv_engine_get(c->engine);
	struct stsenv_engine_status st;
	struct pick p = {.marker = o->marker || strcmp(o->format, "sh") == 0};
	int first = 1, rc;

	if ((rc = pick_families(&p, o->names)))
		return rc;
	if (!s) {
		stsenv_engine_status(c->engine, &st);
		/* The engine has said why, once (unless STSENV_LOG=off). */
		return st.last_error[0] ? 1 : (cli_fail("no credential" STSENV_SEE_STATUS), 1);
	}
	/* Printed nothing for it, said nothing: eval "$(stsenv env)" would
	 * leave the shell with two identities, unaware. */
	stsenv_policy_warn_static(&c->policy, getenv,
				  "; this shell keeps that key beside the STS names printed");
	if (strcmp(o->format, "sh") == 0)
		for_each_name(c, &p, print_sh, s, NULL);
	else if (strcmp(o->format, "dotenv") == 0)
		for_each_name(c, &p, print_dotenv, s, NULL);
	else {
		for_each_name(c, &p, print_json, s, &first);
		puts(first ? "{}" : "\n}");
	}
	return fflush(stdout) == 0 ? 0 : EXIT_OWN;
}
