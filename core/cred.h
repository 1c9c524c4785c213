/* A credential as a source returns it (snapshots, the immutable form the
 * engine and the preload publish, are in snap.h). */
#ifndef STSENV_CRED_H
#define STSENV_CRED_H

#include <stdbool.h>
#include <stdint.h>

#define STSENV_NO_EXPIRY INT64_MAX

/* Caps on what a source may hand us.  Real STS tokens are 1-2 KiB. */
#define STSENV_MAX_BODY	  (64 * 1024)
#define STSENV_MAX_ID	  256
#define STSENV_MAX_SECRET 256
#define STSENV_MAX_TOKEN  (16 * 1024)

/* What a served name reads.  The last two are stsenv's own: the marker
 * that vouches for handed-down values, and the tree a child can attach to. */
enum stsenv_field {
	STSENV_F_ID,
	STSENV_F_SECRET,
	STSENV_F_TOKEN,
	STSENV_F_EXPIRATION,
	STSENV_F_MARKER,
	STSENV_F_TREE,
	STSENV_F_COUNT
};

/* Owned by whoever fills it; release with stsenv_cred_clear(). */
struct stsenv_cred {
	char *id;
	char *secret;
	char *token;	/* NULL: a long-term key */
	int64_t exp_ms; /* Unix time in ms (UTC), or STSENV_NO_EXPIRY */
};

void stsenv_cred_clear(struct stsenv_cred *c);
bool stsenv_cred_equal(const struct stsenv_cred *a, const struct stsenv_cred *b);

/* Writes a redacted form of an AccessKey id ("STS.N****7") into buf. */
void stsenv_redact_id(const char *id, char *buf, unsigned len);

#endif
