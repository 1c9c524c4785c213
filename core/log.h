/* Logging: one line per event, "stsenv: LEVEL: message", written with a
 * single write(2) from a stack buffer so it never allocates or locks.
 * Callers never pass a secret or token; ids go through stsenv_redact_id. */
#ifndef STSENV_LOG_H
#define STSENV_LOG_H

#include <stdbool.h>

enum stsenv_log_level {
	STSENV_LOG_OFF,
	STSENV_LOG_ERROR,
	STSENV_LOG_WARN,
	STSENV_LOG_INFO,
	STSENV_LOG_DEBUG
};

/* Returns the level named by s ("off".."debug"), or -1. */
int stsenv_log_parse_level(const char *s);

/* Sets the level and the sink: fd 2, or path (opened for each line). */
void stsenv_log_setup(int level, const char *path);

bool stsenv_log_enabled(int level);

/* How every "no credential" line ends: where to look next. */
#define STSENV_SEE_STATUS "; run `stsenv status` for details"

void stsenv_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
