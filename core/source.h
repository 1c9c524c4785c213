/* One small interface for every credential source.  The engine calls
 * fetch() from one thread at a time (it is single-flight), so a source may
 * keep private state between calls without a lock. */
#ifndef STSENV_SOURCE_H
#define STSENV_SOURCE_H

#include "cred.h"
#include "err.h"

#include <spawn.h>
#include <stdbool.h>
#include <stddef.h>

enum stsenv_fetch_rc {
	STSENV_FETCH_ERR = -1,
	STSENV_FETCH_OK = 0,
	STSENV_FETCH_UNCHANGED = 1, /* nothing new since the last OK fetch */
};

/* The most string fields a source can own (stsenv_source_own). */
#define STSENV_SOURCE_OWNED 8

struct stsenv_source;
typedef enum stsenv_fetch_rc (*stsenv_fetch_fn)(struct stsenv_source *s, int64_t timeout_ms,
						struct stsenv_cred *out, struct stsenv_err *err);

struct stsenv_source {
	const char *kind; /* "uri", "file", ... */
	char where[256];  /* what it reads, safe to log (no query, no userinfo) */
	stsenv_fetch_fn fetch;
	void (*destroy)(struct stsenv_source *s);
	char **owned[STSENV_SOURCE_OWNED]; /* its string fields (stsenv_source_own) */
};

/* For the sources' constructors (source.c): the last step, which sets
 * base's kind and functions and returns it (its where is set already);
 * and the way out when an allocation failed, which frees the partly built
 * source (calloc'd: what it owns so far) and says so in err. */
struct stsenv_source *stsenv_source_init(struct stsenv_source *base, const char *kind,
					 stsenv_fetch_fn fetch,
					 void (*destroy)(struct stsenv_source *s));
struct stsenv_source *stsenv_source_oom(void *partial, struct stsenv_err *err);

/* The source owns these string fields (a NULL-terminated list of their
 * addresses, at most STSENV_SOURCE_OWNED): one place frees them, so that
 * no source keeps a free list of its own.  stsenv_source_free is the
 * destroy of a source that owns nothing else: it frees the strings (NULL
 * or set) and the source. */
void stsenv_source_own(struct stsenv_source *base, char **const fields[]);
void stsenv_source_free(struct stsenv_source *s);

struct stsenv_source *stsenv_source_uri_new(const char *uri, struct stsenv_err *err);

/* The URI source's verdict on a response: status must be 200 and the body
 * (len bytes, no NUL needed) the credential JSON with SecurityToken and
 * Expiration.  0 with out filled, or -1 with err naming where (a redacted
 * URI) and out untouched.  Split from the fetch so that it can be fuzzed. */
int stsenv_uri_judge(long status, const char *body, size_t len, const char *where,
		     struct stsenv_cred *out, struct stsenv_err *err);

struct stsenv_source *stsenv_source_file_new(const char *path, struct stsenv_err *err);

/* AssumeRoleWithOIDC (RRSA).  Strings are copied. */
struct stsenv_oidc_params {
	const char *role_arn;
	const char *provider_arn;
	const char *token_file;	  /* re-read on every fetch */
	const char *session_name; /* NULL: generated */
	const char *policy;	  /* NULL: none */
	const char *endpoint;	  /* URL or host; NULL: from region/vpc */
	const char *region;	  /* NULL: sts.aliyuncs.com */
	bool vpc;
	int duration_s; /* >= 900 */
};
struct stsenv_source *stsenv_source_oidc_new(const struct stsenv_oidc_params *p,
					     struct stsenv_err *err);

/* The ECS instance RAM role through the metadata service (IMDSv2 with
 * fallback to v1 unless v1_disabled). */
struct stsenv_ecs_params {
	const char *endpoint; /* "http://100.100.100.200" unless a test says otherwise */
	const char *role;     /* NULL: discovered */
	bool v1_disabled;
};
struct stsenv_source *stsenv_source_ecs_new(const struct stsenv_ecs_params *p,
					    struct stsenv_err *err);

/* A fixed credential (a profile's AccessKey or StsToken). */
struct stsenv_source *stsenv_source_static_new(const struct stsenv_cred *c, const char *where,
					       struct stsenv_err *err);

/* How a process is started: posix_spawnp's signature.  The caller says
 * which: in a program that may have the preload loaded, libc's own. */
typedef int (*stsenv_spawn_fn)(pid_t *pid, const char *file,
			       const posix_spawn_file_actions_t *actions,
			       const posix_spawnattr_t *attr, char *const argv[],
			       char *const envp[]);

/* The CLI's External mode: runs argv (no shell) with a timeout and reads
 * its JSON ({"mode":"StsToken","access_key_id",...}) from stdout, starting
 * it with spawn (NULL: posix_spawnp). */
struct stsenv_source *stsenv_source_process_new(const char *command, stsenv_spawn_fn spawn,
						struct stsenv_err *err);

/* A role assumed with the credential of signer (AssumeRole): owns signer
 * from now on, and destroys it even when it fails. */
struct stsenv_role_params;
struct stsenv_source *stsenv_source_role_new(struct stsenv_source *signer,
					     const struct stsenv_role_params *p,
					     struct stsenv_err *err);

void stsenv_source_destroy(struct stsenv_source *s);

#endif
