/* The stsenv command: what its subcommands share. */
#ifndef STSENV_CLI_H
#define STSENV_CLI_H

#include "../core/config.h"
#include "../core/desc.h"
#include "../core/engine.h"
#include "../core/names.h"
#include "../core/policy.h"
#include "../core/select.h"

#include <stdbool.h>

#define EXIT_OWN	125
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND	127

struct cli {
	struct stsenv_config cfg;
	struct stsenv_names names;
	struct stsenv_selection sel;
	struct stsenv_desc desc;
	uint64_t fingerprint;
	struct stsenv_policy policy; /* of this process's own environment */
	struct stsenv_engine *engine;
	struct stsenv_err err;
};

struct exec_opts {
	int on_rotate; /* 0: nothing; -1: restart; >0: send this signal */
	int deliver;   /* --deliver: enum stsenv_deliver, or -1 when not given */
};

/* What the command line asks for (cli/args.c). */
struct cli_args {
	const char *cmd;    /* exec, env or status */
	const char *source; /* --source, or NULL */
	const char *format; /* env: sh, json, dotenv; status: text, json */
	const char *names;  /* env --names, or NULL for all */
	bool marker;	    /* env --marker */
	int verbosity;	    /* -v: +1, -q: -1 */
	struct exec_opts exec;
	char **argv; /* the command, NULL-terminated; may be empty */
	int rc;	     /* when parsing says stop: the exit status */
};

/* 0 to run o->cmd; -1 to exit with o->rc (help, version, usage error). */
int cli_parse_args(struct cli_args *o, int argc, char **argv);

/* "restart" (-1), a signal's name ("HUP", "SIGHUP") or number; 0 if none. */
int cli_parse_on_rotate(const char *v);

/* Reads the settings, picks the source and builds the engine.  0, or
 * EXIT_OWN with c->err saying why. */
int cli_setup(struct cli *c, const char *source);

/* "stsenv: error: " + message on stderr (unless STSENV_LOG=off); returns
 * EXIT_OWN. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A JSON string literal of s on stdout. */
void cli_json_str(const char *s);

int cmd_exec(struct cli *c, char **argv, const struct exec_opts *o);
int cmd_env(struct cli *c, const struct cli_args *o);
int cmd_status(struct cli *c, const struct cli_args *o, int setup_rc);
int cmd_keep(int argc, char **argv);

#endif
