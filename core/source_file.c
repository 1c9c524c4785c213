/* The DSW/DLC credentials file (/mnt/.alibabacloud/credentials), which the
 * platform rewrites before expiry.  A reader can catch it mid-rewrite, so a
 * file that does not parse is an error that keeps the last good value, and
 * the file is re-read only when it changed. */
#include "credjson.h"
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct file_source {
	struct stsenv_source base;
	char *path;
	bool have_stamp; /* stamp is of the last file that parsed */
	struct stat stamp;
};

/* A file caught mid-rewrite is looked at again this soon: its writer is
 * about to finish. */
#define MID_REWRITE_RETRY_MS 500

static bool same_stamp(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static void wipe_free(char *buf, ssize_t len)
{
	if (buf) {
		explicit_bzero(buf, (size_t)len);
		free(buf);
	}
}

/* The whole of a regular file of st->st_size bytes, in a new buffer (its
 * length in *got, which a writer truncating it may make shorter); NULL
 * with err set if it is no regular file, too large, or unreadable. */
static char *read_whole(int fd, const struct stat *st, const char *path, ssize_t *got,
			struct stsenv_err *err)
{
	char *buf;

	*got = 0;
	if (!S_ISREG(st->st_mode)) {
		stsenv_err_set(err, "credentials file %s: not a regular file", path);
		return NULL;
	}
	if (st->st_size > STSENV_MAX_BODY) {
		stsenv_err_set(err, "credentials file %s: too large (%lld bytes, limit %d)", path,
			       (long long)st->st_size, STSENV_MAX_BODY);
		return NULL;
	}
	if (!(buf = malloc((size_t)st->st_size + 1))) {
		stsenv_err_set(err, "credentials file %s: out of memory", path);
		return NULL;
	}
	while (*got < st->st_size) {
		ssize_t n = read(fd, buf + *got, (size_t)(st->st_size - *got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			stsenv_err_set(err, "credentials file %s: %s", path, strerror(errno));
			wipe_free(buf, *got);
			return NULL;
		}
		if (n == 0)
			break;
		*got += n;
	}
	return buf;
}

static enum stsenv_fetch_rc file_fetch(struct stsenv_source *base, int64_t timeout_ms,
				       struct stsenv_cred *out, struct stsenv_err *err)
{
	struct file_source *s = (struct file_source *)base;
	struct stat before, after;
	char *buf = NULL;
	ssize_t got = 0;
	int fd, rc = -1;

	(void)timeout_ms;
	if (stat(s->path, &before) == 0 && s->have_stamp && same_stamp(&before, &s->stamp))
		return STSENV_FETCH_UNCHANGED;
	fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		stsenv_err_set(err, "credentials file %s: %s", s->path, strerror(errno));
		return STSENV_FETCH_ERR;
	}
	if (fstat(fd, &before) < 0)
		stsenv_err_set(err, "credentials file %s: %s", s->path, strerror(errno));
	else if (!(buf = read_whole(fd, &before, s->path, &got, err)))
		; /* err says why */
	/* A writer still at work changes size or mtime under us. */
	else if (fstat(fd, &after) < 0 || !same_stamp(&before, &after) || got != before.st_size) {
		stsenv_err_set(err, "credentials file %s: changed while being read", s->path);
		err->retry_ms = MID_REWRITE_RETRY_MS;
	} else if (stsenv_cred_from_json(buf, (size_t)got, NULL, 0, out, err) < 0) {
		stsenv_err_prefix(err, "credentials file %s%s", s->path,
				  got == 0 ? " is empty" : " is incomplete or malformed");
		/* Most likely the platform is rewriting it right now. */
		err->retry_ms = MID_REWRITE_RETRY_MS;
	} else {
		s->stamp = before;
		s->have_stamp = true;
		rc = 0;
	}
	wipe_free(buf, got);
	close(fd);
	return rc < 0 ? STSENV_FETCH_ERR : STSENV_FETCH_OK;
}

struct stsenv_source *stsenv_source_file_new(const char *path, struct stsenv_err *err)
{
	struct file_source *s = calloc(1, sizeof(*s));

	if (!s || !(s->path = strdup(path)))
		return stsenv_source_oom(s, err);
	stsenv_source_own(&s->base, (char **const[]){&s->path, NULL});
	snprintf(s->base.where, sizeof(s->base.where), "%s", path);
	return stsenv_source_init(&s->base, "file", file_fetch, stsenv_source_free);
}
