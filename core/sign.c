#include "sign.h"

#include "sts.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct stsenv_param *)a)->key, ((const struct stsenv_param *)b)->key);
}

char *stsenv_rpc_string_to_sign(const char *method, struct stsenv_param *p, size_t n)
{
	size_t cap = 1, qlen = 0, slen;
	char *query, *out = NULL;

	for (size_t i = 0; i < n; i++)
		cap += 3 * (strlen(p[i].key) + strlen(p[i].value)) + 2;
	qsort(p, n, sizeof(*p), by_key);
	if (!(query = malloc(cap)))
		return NULL;
	query[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (stsenv_form_add(query, cap, &qlen, p[i].key, p[i].value) < 0)
			goto out; /* cannot happen: cap counts every byte */
	slen = strlen(method) + 6;
	if (!(out = malloc(slen + 3 * qlen + 1)))
		goto out;
	snprintf(out, slen + 1, "%s&%%2F&", method);
	slen = strlen(out);
	stsenv_pct_append(out, slen + 3 * qlen + 1, &slen, query);
out:
	explicit_bzero(query, qlen);
	free(query);
	return out;
}

/* libcrypto's entry points, resolved once (NODELETE: never unloaded). */
typedef const void *(*evp_md_fn)(void);
typedef unsigned char *(*hmac_fn)(const void *md, const void *key, int key_len,
				  const unsigned char *d, size_t n, unsigned char *md_out,
				  unsigned int *md_len);
typedef int (*b64_fn)(unsigned char *t, const unsigned char *f, int n);
static struct {
	evp_md_fn sha1;
	hmac_fn hmac;
	b64_fn b64;
	atomic_bool ready;
} crypto;

static int load_crypto(struct stsenv_err *err)
{
	static const char *const names[] = {"libcrypto.so.3", "libcrypto.so.1.1"};
	void *h = NULL;

	if (atomic_load(&crypto.ready))
		return 0;
	for (size_t i = 0; !h && i < sizeof(names) / sizeof(names[0]); i++)
		h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!h) {
		stsenv_err_set(err, "cannot load libcrypto.so.3 (Debian package libssl3), "
				    "which signs AssumeRole");
		return -1;
	}
	*(void **)&crypto.sha1 = dlsym(h, "EVP_sha1");
	*(void **)&crypto.hmac = dlsym(h, "HMAC");
	*(void **)&crypto.b64 = dlsym(h, "EVP_EncodeBlock");
	if (!crypto.sha1 || !crypto.hmac || !crypto.b64) {
		stsenv_err_set(err, "libcrypto has no EVP_sha1, HMAC or EVP_EncodeBlock");
		return -1;
	}
	atomic_store(&crypto.ready, true);
	return 0;
}

int stsenv_rpc_sign(const char *method, struct stsenv_param *p, size_t n, const char *secret,
		    char *out, size_t cap, struct stsenv_err *err)
{
	size_t klen = strlen(secret) + 1;
	char *sts = NULL, *key = NULL;
	unsigned char md[64];
	unsigned int mdlen = 0;
	int rc = -1;

	if (load_crypto(err) < 0)
		return -1;
	if (!(sts = stsenv_rpc_string_to_sign(method, p, n)) || !(key = malloc(klen + 1))) {
		stsenv_err_set(err, "out of memory");
		goto out;
	}
	snprintf(key, klen + 1, "%s&", secret);
	if (!crypto.hmac(crypto.sha1(), key, (int)klen, (const unsigned char *)sts, strlen(sts), md,
			 &mdlen) ||
	    mdlen != 20 || cap < 29) {
		stsenv_err_set(err, "HMAC-SHA1 failed");
		goto out;
	}
	crypto.b64((unsigned char *)out, md, (int)mdlen);
	rc = 0;
out:
	if (key)
		explicit_bzero(key, klen);
	if (sts)
		explicit_bzero(sts, strlen(sts));
	free(key);
	free(sts);
	explicit_bzero(md, sizeof(md));
	return rc;
}
