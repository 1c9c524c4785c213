#ifndef STSENV_TIMEUTIL_H
#define STSENV_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses "YYYY-MM-DDTHH:MM:SS[.fff]Z" (UTC only) into Unix ms. */
bool stsenv_parse_iso8601(const char *s, size_t len, int64_t *out_ms);

/* Formats Unix ms as "YYYY-MM-DDTHH:MM:SSZ"; buf needs 21 bytes. */
void stsenv_format_iso8601(int64_t ms, char *buf, size_t len);

#endif
