/* Credentials named by a profile: the SDKs' INI file and the CLI's
 * config.json. */
#ifndef STSENV_PROFILE_H
#define STSENV_PROFILE_H

#include "config.h"
#include "desc.h"

#include <stdbool.h>
#include <stddef.h>

/* Describes the source that the selected profile names.
 *
 * Files: the INI file ALIBABA_CLOUD_CREDENTIALS_FILE, else
 * ~/.alibabacloud/credentials, else ~/.alibabacloud/credentials.ini
 * (section ALIBABA_CLOUD_PROFILE or "default"); then the CLI's
 * ~/.aliyun/config.json (profile ALIBABA_CLOUD_PROFILE or "current").
 * HOME is read through get.
 *
 * automatic: as in STSENV_SOURCE=auto, only role-based or STS modes count;
 * a profile holding a plain AccessKey is skipped.
 *
 * Returns 1 with out filled; 0 when no profile applies (why, if not NULL,
 * says why); -1 when one applies but is broken (unknown mode, missing
 * keys...), with err set. */
int stsenv_profile_select(stsenv_getenv_fn get, bool automatic, char *why, size_t whylen,
			  struct stsenv_desc *out, struct stsenv_err *err);

#endif
