/* One small interface for every credential source.  The engine calls
 * fetch() from one thread at a time (it is single-flight), so a source may
 * keep private state between calls without a lock. */
#ifndef STSENV_SOURCE_H
#define STSENV_SOURCE_H

#include "cred.h"
#include "err.h"

enum stsenv_fetch_rc {
	STSENV_FETCH_ERR = -1,
	STSENV_FETCH_OK = 0,
	STSENV_FETCH_UNCHANGED = 1, /* nothing new since the last OK fetch */
	STSENV_FETCH_DEFERRED = 2,  /* another process of the tree is fetching */
};

struct stsenv_source {
	const char *kind;  /* "uri", "file", ... */
	char where[256];   /* what it reads, safe to log (no query, no userinfo) */
	enum stsenv_fetch_rc (*fetch)(struct stsenv_source *s, int64_t timeout_ms,
				      struct stsenv_cred *out, struct stsenv_err *err);
	void (*destroy)(struct stsenv_source *s);
};

struct stsenv_source *stsenv_source_uri_new(const char *uri, struct stsenv_err *err);
struct stsenv_source *stsenv_source_file_new(const char *path, struct stsenv_err *err);

void stsenv_source_destroy(struct stsenv_source *s);

#endif
