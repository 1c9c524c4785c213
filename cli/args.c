/* The command line: global options, a subcommand, its options, a command.
 * Global options (--source, -v, -q) apply to whichever subcommand follows
 * them; a word that names a subcommand is one only before any command and
 * before `--`, so `stsenv -- env` runs env(1). */
#include "cli.h"

#include "../core/delivery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_all[] =
	"usage: stsenv [OPTIONS] [exec [--on-rotate=restart|SIGNAL] [--deliver=MODE]] [--] "
	"[COMMAND "
	"[ARG...]]\n"
	"       stsenv [OPTIONS] env [--format sh|json|dotenv] [--names FAMILIES] [--marker]\n"
	"       stsenv [OPTIONS] status [--format text|json]\n"
	"       stsenv --help | --version | SUBCOMMAND --help\n"
	"\n"
	"Runs COMMAND (by default $SHELL) with short-lived STS credentials served\n"
	"through the usual environment names (ALIBABA_CLOUD_ACCESS_KEY_ID, ..._SECRET,\n"
	"ALIBABA_CLOUD_SECURITY_TOKEN, the ALIBABACLOUD_*, ALICLOUD_* and OSS_* ones),\n"
	"kept fresh while it runs and handed fresh to every program it starts.\n"
	"\n"
	"Options, before or after the subcommand's name:\n"
	"  --source S     the source: auto (default), uri, file, oidc, profile, ecs\n"
	"  -v, --verbose  log at info for the whole tree (-vv: debug); STSENV_LOG\n"
	"  -q, --quiet    log errors only (-qq: nothing)\n"
	"  -h, --help     this help, or one subcommand's\n"
	"  --version      the version\n"
	"\n"
	"Sources, tried in this order by auto:\n"
	"  uri      ALIBABA_CLOUD_CREDENTIALS_URI (DSW notebooks, DLC jobs)\n"
	"  file     STSENV_CREDENTIALS_FILE, default " STSENV_DEFAULT_FILE "\n"
	"  oidc     ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN and\n"
	"           ALIBABA_CLOUD_OIDC_TOKEN_FILE (ACK with RRSA)\n"
	"  profile  ~/.alibabacloud/credentials, ~/.aliyun/config.json\n"
	"  ecs      ALIBABA_CLOUD_ECS_METADATA names the instance's RAM role\n"
	"STSENV_ROLE_ARN=acs:ram::<account>:role/<name> assumes that role with the\n"
	"credential of the source chosen, and serves the role's.\n"
	"\n"
	"Subcommands:\n"
	"  exec     run COMMAND, the default; to run a program called env, exec or\n"
	"           status, put -- before it\n"
	"  env      print the current credential, for eval \"$(stsenv env)\"\n"
	"  status   say which source is used, what it holds, and why\n"
	"\n"
	"Exit status: exec: COMMAND's, 125 if stsenv fails, 126 if COMMAND cannot\n"
	"run, 127 if it is not found; env and status: 0 with a credential, 1\n"
	"without one, 125 on a usage error.\n"
	"Every setting (STSENV_* variables) and the preload (LD_PRELOAD) are in\n"
	"stsenv(1), stsenv(7) and the README in " STSENV_DOCDIR ".\n";

static const char usage_exec[] =
	"usage: stsenv [OPTIONS] [exec] [--on-rotate=restart|SIGNAL] [--deliver=MODE] [--] "
	"[COMMAND "
	"[ARG...]]\n"
	"\n"
	"Runs COMMAND (by default $SHELL, or /bin/sh) with the preload and a fresh\n"
	"credential, keeps the credential fresh for it and every program it starts,\n"
	"forwards signals to it and exits with its status (125 if stsenv fails,\n"
	"126 if COMMAND cannot run, 127 if it is not found).\n"
	"  --on-rotate=restart  restart COMMAND when the credential rotates\n"
	"  --on-rotate=SIGNAL   send it SIGNAL (HUP, USR1, ...) instead\n"
	"    (for programs that read their environment only at start: Go, Java)\n"
	"  --deliver=MODE       how COMMAND's tree gets the credential (STSENV_DELIVER):\n"
	"    auto  by program (the default): a Go or Java program with Alibaba Cloud's\n"
	"          credentials SDK gets the tree's endpoint in ALIBABA_CLOUD_CREDENTIALS_URI,\n"
	"          every other program the variables\n"
	"    env   the variables; uri  the endpoint only; both  the two\n"
	"Options: --source S, -v, -q (see stsenv --help).\n";

static const char usage_env[] =
	"usage: stsenv [OPTIONS] env [--format sh|json|dotenv] [--names FAMILIES] [--marker]\n"
	"\n"
	"Prints the current credential under the names stsenv serves:\n"
	"  --format sh      export lines for eval \"$(stsenv env)\" (the default), with\n"
	"                   the STSENV_HANDOFF marker that lets the preload renew them\n"
	"  --format json    one JSON object\n"
	"  --format dotenv  NAME=value lines\n"
	"  --names FAMILIES a comma-separated choice of alibaba_cloud, alibabacloud,\n"
	"                   alicloud, oss, vars (STSENV_VARS); default: all served\n"
	"  --marker         include STSENV_HANDOFF in json and dotenv too\n"
	"A family whose id this process holds as a static key is not printed (stderr\n"
	"says so). Exit status 0, 1 without a credential, 125 on a usage error.\n"
	"Options: --source S, -v, -q (see stsenv --help).\n";

static const char usage_status[] =
	"usage: stsenv [OPTIONS] status [--format text|json]\n"
	"\n"
	"Says which source is configured and in use, what each other source lacks,\n"
	"the credential held (id redacted, expiration, next refresh), the last\n"
	"error, and how the calling process receives credentials.\n"
	"  --format text  for people (the default)\n"
	"  --format json  for programs (--json is the same)\n"
	"Exit status 0 with a credential, 1 without one, 125 on a usage error.\n"
	"Options: --source S, -v, -q (see stsenv --help).\n";

static int usage_error(const char *fmt, const char *a)
{
	fputs("stsenv: error: ", stderr);
	fprintf(stderr, fmt, a);
	fputs("; try 'stsenv --help'\n", stderr);
	return EXIT_OWN;
}

static bool is(const char *a, const char *s)
{
	return strcmp(a, s) == 0;
}

/* --name VALUE or --name=VALUE; NULL if `a` is not that option.  *bad is
 * set when the value is missing. */
static const char *value_of(char **argv, int argc, int *i, const char *name, bool *bad)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*bad = true;
		return "";
	}
	return argv[++*i];
}

/* One option of a subcommand's own; 1 if taken, 0 if not one, or the
 * exit status of a usage error. */
static int own_option(struct cli_args *o, char **argv, int argc, int *i)
{
	const char *a = argv[*i], *v;
	bool bad = false;

	if (is(o->cmd, "exec") && (v = value_of(argv, argc, i, "--on-rotate", &bad))) {
		if (!bad && !(o->exec.on_rotate = cli_parse_on_rotate(v)))
			return usage_error(
				"--on-rotate=%s: use restart or a signal (HUP, USR1, ...)", v);
	} else if (is(o->cmd, "exec") && (v = value_of(argv, argc, i, "--deliver", &bad))) {
		if (!bad && (o->exec.deliver = stsenv_deliver_parse(v)) < 0)
			return usage_error("--deliver=%s: use env, uri, both or auto", v);
	} else if (!is(o->cmd, "exec") && (v = value_of(argv, argc, i, "--format", &bad))) {
		o->format = v;
	} else if (is(o->cmd, "env") && (v = value_of(argv, argc, i, "--names", &bad))) {
		o->names = v;
	} else if (is(o->cmd, "env") && is(a, "--marker")) {
		o->marker = true;
	} else if (is(o->cmd, "status") && is(a, "--json")) {
		o->format = "json";
	} else {
		return 0;
	}
	return bad ? usage_error("option %s needs a value", a) : 1;
}

static void help(const char *cmd)
{
	fputs(!cmd		  ? usage_all
	      : is(cmd, "env")	  ? usage_env
	      : is(cmd, "status") ? usage_status
				  : usage_exec,
	      stdout);
}

/* A global option; 1 if taken, 0 if not one, -1 to stop with o->rc. */
static int global_option(struct cli_args *o, char **argv, int argc, int *i, bool *named)
{
	const char *a = argv[*i], *v;
	bool bad = false;

	if ((v = value_of(argv, argc, i, "--source", &bad))) {
		if (bad)
			return o->rc = usage_error("option %s needs a value", a), -1;
		o->source = v;
	} else if (is(a, "-v") || is(a, "--verbose") || is(a, "-vv")) {
		o->verbosity += is(a, "-vv") ? 2 : 1;
	} else if (is(a, "-q") || is(a, "--quiet") || is(a, "-qq")) {
		o->verbosity -= is(a, "-qq") ? 2 : 1;
	} else if (is(a, "-h") || is(a, "--help")) {
		help(*named ? o->cmd : NULL);
		return o->rc = 0, -1;
	} else if (is(a, "--version")) {
		puts("stsenv " STSENV_VERSION);
		return o->rc = 0, -1;
	} else {
		return 0;
	}
	return 1;
}

/* Parses argv into o.  0 to go on with o->cmd, or -1 to exit with o->rc
 * (help, version, a usage error). */
int cli_parse_args(struct cli_args *o, int argc, char **argv)
{
	bool named = false; /* a subcommand was named */
	int i = 1, r;

	memset(o, 0, sizeof(*o));
	o->cmd = "exec";
	o->exec.deliver = -1;
	for (; i < argc; i++) {
		const char *a = argv[i];

		if (is(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || is(a, "-")) {
			/* After exec's own option, a word is the command. */
			if (named || o->exec.on_rotate || o->exec.deliver >= 0 ||
			    !(is(a, "exec") || is(a, "env") || is(a, "status")))
				break;
			o->cmd = a;
			named = true;
			continue;
		}
		if ((r = global_option(o, argv, argc, &i, &named)) < 0)
			return -1;
		if (r == 0 && (r = own_option(o, argv, argc, &i)) != 1)
			return o->rc = r ? r : usage_error("unknown option %s", a), -1;
	}
	if (!o->format)
		o->format = is(o->cmd, "env") ? "sh" : "text";
	if (is(o->cmd, "env") && !is(o->format, "sh") && !is(o->format, "json") &&
	    !is(o->format, "dotenv"))
		return o->rc = usage_error("unknown format \"%s\" (use sh, json or dotenv)",
					   o->format),
		       -1;
	if (is(o->cmd, "status") && !is(o->format, "text") && !is(o->format, "json"))
		return o->rc = usage_error("unknown format \"%s\" (use text or json)", o->format),
		       -1;
	if (!is(o->cmd, "exec") && i < argc)
		return o->rc = usage_error("unexpected argument \"%s\"", argv[i]), -1;
	o->argv = argv + i;
	return 0;
}
