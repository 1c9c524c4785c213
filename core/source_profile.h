/* Credentials named by a profile: the SDKs' INI file and the CLI's
 * config.json. */
#ifndef STSENV_SOURCE_PROFILE_H
#define STSENV_SOURCE_PROFILE_H

#include "config.h"
#include "source.h"

#include <stdbool.h>
#include <stddef.h>

/* Builds the source that the selected profile names.
 *
 * Files: the INI file ALIBABA_CLOUD_CREDENTIALS_FILE, else
 * ~/.alibabacloud/credentials, else ~/.alibabacloud/credentials.ini
 * (section ALIBABA_CLOUD_PROFILE or "default"); then the CLI's
 * ~/.aliyun/config.json (profile ALIBABA_CLOUD_PROFILE or "current").
 * HOME is read through get.
 *
 * automatic: as in STSENV_SOURCE=auto, only role-based or STS modes count;
 * a profile holding a plain AccessKey is skipped (with *configured false
 * and why saying so).
 *
 * Returns the source, or NULL: with *configured false (why says why no
 * profile applies), or with *configured true and err set (a profile
 * applies but is broken: unknown mode, missing keys...). */
struct stsenv_source *stsenv_source_profile_new(stsenv_getenv_fn get, bool automatic,
						bool *configured, char *why, size_t whylen,
						struct stsenv_err *err);

#endif
