/* Settings from the environment, and the choice of source.  The lookup
 * function is injected: the preload must read the real environment through
 * libc, never through its own getenv. */
#ifndef STSENV_CONFIG_H
#define STSENV_CONFIG_H

#include "err.h"

#include <stdbool.h>
#include <stdint.h>

typedef char *(*stsenv_getenv_fn)(const char *name);

#define STSENV_DEFAULT_FILE "/mnt/.alibabacloud/credentials"

#define STSENV_CONFIG_PROBLEMS 4

struct stsenv_config {
	char source[16];       /* auto, uri, file, oidc, profile, ecs */
	bool source_bad;       /* STSENV_SOURCE names none of those */
	char source_given[24]; /* what it said, then */
	char file[1024];       /* STSENV_CREDENTIALS_FILE */
	bool file_given;       /* set by the user, not the default */
	int64_t margin_ms;     /* STSENV_REFRESH_MARGIN (seconds) */
	int64_t timeout_ms;    /* STSENV_TIMEOUT_MS */
	int duration_s;	       /* STSENV_DURATION: AssumeRole* session length */
	int log_level;	       /* STSENV_LOG */
	char log_file[1024];   /* STSENV_LOG_FILE */
	bool override;	       /* STSENV_OVERRIDE=1 */
	int deliver;	       /* STSENV_DELIVER: enum stsenv_deliver (delivery.h) */
	char vars[2048];       /* STSENV_VARS */
	int nproblems;	       /* bad settings, said by stsenv_config_report */
	char problems[STSENV_CONFIG_PROBLEMS][160];
};

/* Reads every STSENV_* setting (values case-insensitive where that is
 * unambiguous); a bad value is noted and its default used.  Sets up
 * logging first, so that what is said goes where asked. */
void stsenv_config_load(struct stsenv_config *c, stsenv_getenv_fn get);

/* Says the bad settings, at warn: the launcher does, and the process that
 * starts a plain-preload tree; the processes that inherit the same
 * environment stay quiet. */
void stsenv_config_report(const struct stsenv_config *c);

/* STSENV_DURATION in seconds, held to STS's bounds (900..43200); 3600
 * when unset or not a number. */
int stsenv_duration_setting(stsenv_getenv_fn get);

/* "true" or "1". */
bool stsenv_setting_true(stsenv_getenv_fn get, const char *name);

#endif
