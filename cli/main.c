/* stsenv: runs a command with the preload and a fresh credential, and
 * prints or explains the current credential. */
#include "cli.h"

#include "../core/clock.h"
#include "../core/log.h"
#include "keeper.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* The preload, if the user's LD_PRELOAD loads it into this program too,
 * finds this symbol and stays inert: the launcher and the keeper are the
 * ones who fetch, and must not start a tree of their own. */
__attribute__((visibility("default"), used)) const char stsenv_launcher_tag[] = "stsenv";

static const char usage[] =
	"usage: stsenv [exec] [--source S] [--on-rotate=restart|SIGNAL] [--] COMMAND [ARG...]\n"
	"       stsenv env [--source S] [--format sh|json|dotenv]\n"
	"       stsenv status [--source S] [--json]\n"
	"       stsenv --help | --version\n"
	"\n"
	"Runs COMMAND with short-lived STS credentials served through the usual\n"
	"environment names (ALIBABA_CLOUD_ACCESS_KEY_ID, ..._SECRET,\n"
	"ALIBABA_CLOUD_SECURITY_TOKEN and others), kept fresh while it runs.\n"
	"Sources (STSENV_SOURCE, default auto): uri (ALIBABA_CLOUD_CREDENTIALS_URI),\n"
	"file (STSENV_CREDENTIALS_FILE, default " STSENV_DEFAULT_FILE "),\n"
	"oidc (ALIBABA_CLOUD_ROLE_ARN, _OIDC_PROVIDER_ARN, _OIDC_TOKEN_FILE),\n"
	"profile (~/.alibabacloud/credentials, ~/.aliyun/config.json),\n"
	"ecs (ALIBABA_CLOUD_ECS_METADATA).\n"
	"--on-rotate: restart COMMAND, or send it SIGNAL, when the credential\n"
	"rotates (for programs that read their environment only at start).\n"
	"Exit status: COMMAND's; 125 if stsenv fails, 126 if COMMAND cannot run,\n"
	"127 if it is not found.\n";

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("stsenv: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_OWN;
}

int cli_setup(struct cli *c, const char *source)
{
	struct stsenv_source *src;

	if (source && setenv("STSENV_SOURCE", source, 1) < 0)
		return cli_fail("cannot set STSENV_SOURCE: %s", strerror(errno));
	stsenv_config_load(&c->cfg, getenv);
	if (source && strcasecmp(c->cfg.source, source) != 0)
		return cli_fail("unknown source \"%s\" (use auto, uri, file, oidc, profile or ecs)",
				source);
	/* The launcher is where its tree starts: it says what is wrong. */
	stsenv_config_report(&c->cfg);
	if (stsenv_names_init(&c->names, c->cfg.vars, &c->err))
		stsenv_log(STSENV_LOG_WARN, "%s", c->err.msg);
	if (stsenv_select(&c->cfg, getenv, &c->sel, &c->desc, &c->err) < 0)
		return EXIT_OWN;
	c->fingerprint = stsenv_desc_fingerprint(&c->desc);
	stsenv_policy_classify(&c->policy, &c->names, getenv, c->cfg.override, c->fingerprint);
	if (!(src = stsenv_source_from_desc(&c->desc, keeper_libc_spawn(), &c->err)))
		return EXIT_OWN;
	c->engine = stsenv_engine_new(&(struct stsenv_engine_opts){
		.source = src,
		.clock = &stsenv_system_clock,
		.margin_ms = c->cfg.margin_ms,
		.timeout_ms = c->cfg.timeout_ms,
		.seed = (uint64_t)stsenv_mono_ns() ^ (uint64_t)getpid(),
		.fingerprint = c->fingerprint,
	});
	if (!c->engine) {
		stsenv_source_destroy(src);
		return cli_fail("out of memory");
	}
	return 0;
}

/* "restart", or a signal's name ("HUP", "SIGHUP") or number. */
static int parse_on_rotate(const char *v)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = {{"HUP", SIGHUP},   {"INT", SIGINT},	  {"TERM", SIGTERM},  {"USR1", SIGUSR1},
		    {"USR2", SIGUSR2}, {"QUIT", SIGQUIT}, {"WINCH", SIGWINCH}};
	char *end;
	long n;

	if (strcmp(v, "restart") == 0)
		return -1;
	if (strncmp(v, "SIG", 3) == 0)
		v += 3;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (strcmp(v, sigs[i].name) == 0)
			return sigs[i].sig;
	n = strtol(v, &end, 10);
	return !*end && n > 0 && n < NSIG ? (int)n : 0;
}

int main(int argc, char **argv)
{
	struct cli c;
	struct exec_opts eo = {0};
	const char *source = NULL, *format = "sh", *cmd = "exec";
	bool json = false;
	int i = 1, rc;

	memset(&c, 0, sizeof(c));
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		puts("stsenv " STSENV_VERSION);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "keep") == 0)
		return cmd_keep(argc - 1, argv + 1);
	if (argc > 1 && (strcmp(argv[1], "exec") == 0 || strcmp(argv[1], "env") == 0 ||
			 strcmp(argv[1], "status") == 0))
		cmd = argv[i++];
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-')
			break;
		if (strcmp(a, "--source") == 0 && i + 1 < argc)
			source = argv[++i];
		else if (strncmp(a, "--source=", 9) == 0)
			source = a + 9;
		else if (strcmp(cmd, "exec") == 0 && strncmp(a, "--on-rotate=", 12) == 0) {
			if (!(eo.on_rotate = parse_on_rotate(a + 12)))
				return cli_fail("--on-rotate=%s: use restart or a signal (HUP, "
						"USR1, ...)",
						a + 12);
		} else if (strcmp(cmd, "env") == 0 && strcmp(a, "--format") == 0 && i + 1 < argc)
			format = argv[++i];
		else if (strcmp(cmd, "env") == 0 && strncmp(a, "--format=", 9) == 0)
			format = a + 9;
		else if (strcmp(cmd, "status") == 0 && strcmp(a, "--json") == 0)
			json = true;
		else {
			fprintf(stderr, "stsenv: error: unknown option %s\n%s", a, usage);
			return EXIT_OWN;
		}
	}
	if (strcmp(cmd, "env") == 0 && strcmp(format, "sh") != 0 && strcmp(format, "json") != 0 &&
	    strcmp(format, "dotenv") != 0)
		return cli_fail("unknown format \"%s\" (use sh, json or dotenv)", format);
	if (strcmp(cmd, "exec") == 0 && i >= argc) {
		fprintf(stderr, "stsenv: error: no command given\n%s", usage);
		return EXIT_OWN;
	}
	if (strcmp(cmd, "exec") != 0 && i < argc)
		return cli_fail("unexpected argument \"%s\"", argv[i]);
	rc = cli_setup(&c, source);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(&c, json, rc);
	if (rc) {
		if (c.err.msg[0])
			stsenv_log(STSENV_LOG_ERROR, "%s" STSENV_SEE_STATUS, c.err.msg);
		return EXIT_OWN;
	}
	if (strcmp(cmd, "env") == 0)
		return cmd_env(&c, format);
	return cmd_exec(&c, argv + i, &eo);
}
