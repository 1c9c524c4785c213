/* stsenv: runs a command with the preload and a fresh credential, and
 * prints or explains the current credential. */
#include "cli.h"

#include "../core/clock.h"
#include "../core/delivery.h"
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

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	/* STSENV_LOG=off silences this too (a usage error, args.c, is not). */
	if (!stsenv_log_enabled(STSENV_LOG_ERROR))
		return EXIT_OWN;
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
	/* The configuration as it was before a delivery of ours replaced the
	 * URI for an SDK (core/delivery.h). */
	stsenv_delivery_use(getenv);
	if (stsenv_select(&c->cfg, stsenv_delivery_getenv, &c->sel, &c->desc, &c->err) < 0)
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

int cli_parse_on_rotate(const char *v)
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

/* -v and -q set STSENV_LOG for the whole tree, over what the environment
 * says. */
static int set_verbosity(int v)
{
	static const char *const levels[] = {"off", "error", "warn", "info", "debug"};
	int at = 2 + (v < -2 ? -2 : v > 2 ? 2 : v);

	if (v && setenv("STSENV_LOG", levels[at], 1) < 0)
		return cli_fail("cannot set STSENV_LOG: %s", strerror(errno));
	return 0;
}

/* No command: the user's shell, as aws-vault and `op run` do. */
static char **default_command(char **argv)
{
	static char *shell[2];
	const char *sh = getenv("SHELL");

	if (argv[0])
		return argv;
	shell[0] = (char *)(sh && *sh ? sh : "/bin/sh");
	return shell;
}

int main(int argc, char **argv)
{
	struct cli c;
	struct cli_args o;
	int rc;

	memset(&c, 0, sizeof(c));
	if (argc > 1 && strcmp(argv[1], "keep") == 0)
		return cmd_keep(argc - 1, argv + 1);
	if (cli_parse_args(&o, argc, argv) < 0)
		return o.rc;
	if ((rc = set_verbosity(o.verbosity)))
		return rc;
	/* --deliver is the tree's STSENV_DELIVER, as -v is its STSENV_LOG. */
	if (o.exec.deliver >= 0 && setenv("STSENV_DELIVER", stsenv_deliver_name(o.exec.deliver), 1))
		return cli_fail("cannot set STSENV_DELIVER: %s", strerror(errno));
	rc = cli_setup(&c, o.source);
	if (strcmp(o.cmd, "status") == 0)
		return cmd_status(&c, &o, rc);
	if (rc) {
		if (c.err.msg[0])
			stsenv_log(STSENV_LOG_ERROR, "%s" STSENV_SEE_STATUS, c.err.msg);
		/* env, like status: 1 for no credential, 125 for a usage error. */
		return strcmp(o.cmd, "env") == 0 && !c.cfg.source_bad ? 1 : EXIT_OWN;
	}
	if (strcmp(o.cmd, "env") == 0)
		return cmd_env(&c, &o);
	return cmd_exec(&c, default_command(o.argv), &o.exec);
}
