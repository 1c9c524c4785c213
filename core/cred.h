/* A credential as a source returns it, and the immutable snapshot that the
 * engine publishes.  Snapshots are never modified or freed once published:
 * getenv hands out pointers into them, and the spec promises those pointers
 * stay readable for the life of the process. */
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

enum stsenv_field {
	STSENV_F_ID,
	STSENV_F_SECRET,
	STSENV_F_TOKEN,
	STSENV_F_EXPIRATION,
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

struct stsenv_snap {
	const char *id;
	const char *secret;
	const char *token;	/* NULL when the source gave none */
	const char *expiration; /* ISO 8601 UTC; NULL when it never expires */
	int64_t exp_real_ms;	/* STSENV_NO_EXPIRY when it never expires */
	int64_t exp_mono_ms;	/* the same deadline on the monotonic clock */
	uint64_t generation;
};

/* One allocation holding the struct and its strings; NULL on ENOMEM. */
struct stsenv_snap *stsenv_snap_new(const struct stsenv_cred *c, int64_t now_real_ms,
				    int64_t now_mono_ms, uint64_t generation);

const char *stsenv_snap_field(const struct stsenv_snap *s, enum stsenv_field f);

/* Writes a redacted form of an AccessKey id ("STS.N****7") into buf. */
void stsenv_redact_id(const char *id, char *buf, unsigned len);

#endif
