/* How a program gets its credential: as variables (the triple), or as the
 * tree's credentials endpoint in ALIBABA_CLOUD_CREDENTIALS_URI.
 *
 * Every official credentials SDK's default chain tries the environment
 * first and the credentials URI last, and keeps the provider that answered
 * first.  A program that copies its environment at start (Go, Java) and
 * carries such a chain would take a triple handed to it at exec and keep
 * it until it expires; alone it would have used the URI and refreshed.
 * So such a program gets the endpoint instead, and nothing that would stop
 * its chain before it: the ALIBABA_CLOUD_* triple withheld, the metadata
 * service switched off for it unless the user configured it.
 *
 * What was done is written down beside it, in STSENV_URI_DELIVERY, so that
 * a descendant that reads variables gets them back, and so that selection
 * in a preloaded descendant sees the environment as it was before:
 *   "v1:" HASH ":" FLAGS ":" ["=" ORIGINAL]
 * HASH: stsenv_value_hash of the ALIBABA_CLOUD_CREDENTIALS_URI value at
 * delivery (16 hex digits); FLAGS: some of 'o' (that URI is ours: the
 * endpoint), 'w' (the triple was withheld), 'e' (we set
 * ALIBABA_CLOUD_ECS_METADATA_DISABLED=true), or "-"; ORIGINAL: the URI
 * before, when there was one.  A URI that no longer hashes to HASH is the
 * program's own from then on: the record is ignored.
 *
 * Everything here is lock-free and allocation-free: it runs in exec
 * wrappers, in vfork children. */
#ifndef STSENV_DELIVERY_H
#define STSENV_DELIVERY_H

#include "snap.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STSENV_DELIVERY_VAR "STSENV_URI_DELIVERY"
#define STSENV_URI_VAR	    "ALIBABA_CLOUD_CREDENTIALS_URI"
#define STSENV_ECS_OFF_VAR  "ALIBABA_CLOUD_ECS_METADATA_DISABLED"
#define STSENV_ECS_ROLE_VAR "ALIBABA_CLOUD_ECS_METADATA"

enum stsenv_deliver {
	STSENV_DELIVER_AUTO, /* by the program: uri for an SDK's chain, else env */
	STSENV_DELIVER_ENV,
	STSENV_DELIVER_URI,
	STSENV_DELIVER_BOTH,
};

/* "auto", "env", "uri", "both" (case-insensitive); -1 for anything else. */
int stsenv_deliver_parse(const char *s);
const char *stsenv_deliver_name(int mode);

/* An environment, read by name: a getenv, or a scan of an envp. */
typedef const char *(*stsenv_lookup_fn)(void *ctx, const char *name);

struct stsenv_delivery {
	bool present;	  /* a record that still holds (the URI unchanged) */
	bool ours;	  /* 'o' */
	bool withheld;	  /* 'w' */
	bool ecs_added;	  /* 'e' */
	const char *orig; /* the URI before; NULL if there was none */
	size_t orig_len;  /* (it runs to the end of the record) */
};

/* Reads the record of the environment get/ctx, checking it against the URI
 * there now. */
void stsenv_delivery_read(struct stsenv_delivery *d, stsenv_lookup_fn get, void *ctx);

/* The names an SDK's environment provider reads: withheld in uri mode. */
extern const char *const stsenv_delivery_triple[3];

struct stsenv_edit {
	const char *name;
	const char *value; /* NULL: remove the name */
};

#define STSENV_DELIVERY_EDITS 8

/* The edits that give a child `mode` (env, uri or both) from the
 * environment get/ctx, in which ours are current already (the ordinary
 * refresh at exec, policy.h, has run).  cur: the credential (NULL: none
 * valid); endpoint: the tree's (NULL: unknown, then env); source_uri: the
 * URI the tree's source reads, which the endpoint may replace (NULL if the
 * source is another).  The new record is written into buf (at least
 * STSENV_DELIVERY_RECORD_MAX + the original URI's length).  Nothing of
 * ours in the environment (env -i): no edits.  Returns the count. */
int stsenv_delivery_edits(int mode, stsenv_lookup_fn get, void *ctx, const struct stsenv_snap *cur,
			  const char *endpoint, const char *source_uri, struct stsenv_edit *out,
			  char *buf, size_t len);
#define STSENV_DELIVERY_RECORD_MAX 32

/* For selection and settings in a preloaded process: the environment as it
 * was before a delivery changed it (the URI it replaced, no metadata
 * switch of ours).  stsenv_delivery_getenv reads through `inner`. */
void stsenv_delivery_use(char *(*inner)(const char *));
char *stsenv_delivery_getenv(const char *name);

#endif
