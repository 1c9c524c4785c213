#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static int log_level = STSENV_LOG_WARN;
static char log_path[1024]; /* "" : stderr */

static const char *const level_names[] = {"off", "error", "warn", "info", "debug"};

int stsenv_log_parse_level(const char *s)
{
	for (int i = 0; i <= STSENV_LOG_DEBUG; i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return i;
	if (strcasecmp(s, "warning") == 0)
		return STSENV_LOG_WARN;
	return -1;
}

/* Opened for each line and closed after it: a descriptor kept open would
 * be the host's to close, and a daemon that closes every descriptor and
 * opens its own data file would receive our lines in it.  Never through a
 * symbolic link; created 0600. */
static int open_log(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
}

void stsenv_log_setup(int level, const char *path)
{
	int fd;

	log_level = level;
	log_path[0] = '\0';
	if (!path || !*path || level <= STSENV_LOG_OFF)
		return;
	if (strlen(path) >= sizeof(log_path) || (fd = open_log(path)) < 0) {
		int e = strlen(path) >= sizeof(log_path) ? ENAMETOOLONG : errno;
		stsenv_log(STSENV_LOG_WARN, "cannot open STSENV_LOG_FILE %s: %s; logging to stderr",
			   path, e == ELOOP ? "it is a symbolic link" : strerror(e));
		return;
	}
	close(fd);
	memcpy(log_path, path, strlen(path) + 1);
}

bool stsenv_log_enabled(int level)
{
	return level <= log_level && level > STSENV_LOG_OFF;
}

void stsenv_log(int level, const char *fmt, ...)
{
	char line[512];
	int n, saved = errno, fd = 2;
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
	if (log_path[0] && (fd = open_log(log_path)) < 0)
		fd = 2;
	/* One write: lines from many threads and processes do not interleave. */
	if (write(fd, line, (size_t)n) < 0) {
		/* Nowhere to report it; the host program must not notice. */
	}
	if (fd != 2)
		close(fd);
	errno = saved;
}
