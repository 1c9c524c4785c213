/* Little-endian fields of files (ELF, zip), whatever the host's order. */
#ifndef STSENV_LE_H
#define STSENV_LE_H

#include <stdint.h>

static inline uint16_t stsenv_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t stsenv_le32(const unsigned char *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t stsenv_le64(const unsigned char *p)
{
	return stsenv_le32(p) | (uint64_t)stsenv_le32(p + 4) << 32;
}

#endif
