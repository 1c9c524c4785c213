#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int log_level = STSENV_LOG_WARN;
static int log_fd = 2;

static const char *const level_names[] = {"off", "error", "warn", "info", "debug"};

int stsenv_log_parse_level(const char *s)
{
	for (int i = 0; i <= STSENV_LOG_DEBUG; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	if (strcmp(s, "warning") == 0)
		return STSENV_LOG_WARN;
	return -1;
}

void stsenv_log_setup(int level, const char *path)
{
	log_level = level;
	if (path && *path && level > STSENV_LOG_OFF) {
		int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
		if (fd >= 0) {
			log_fd = fd;
		} else {
			int e = errno;
			stsenv_log(STSENV_LOG_WARN,
				   "cannot open STSENV_LOG_FILE %s: %s; logging to stderr", path,
				   strerror(e));
		}
	}
}

bool stsenv_log_enabled(int level)
{
	return level <= log_level && level > STSENV_LOG_OFF;
}

void stsenv_log(int level, const char *fmt, ...)
{
	char line[512];
	int n, saved = errno;
	va_list ap;

	if (!stsenv_log_enabled(level))
		return;
	n = snprintf(line, sizeof(line), "stsenv: %s: ", level_names[level]);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* One write: lines from many threads and processes do not interleave. */
	if (write(log_fd, line, (size_t)n) < 0) {
		/* Nowhere to report it; the host program must not notice. */
	}
	errno = saved;
}
