/* Reading binary files (ELF, zip): exact reads at an offset, and their
 * little-endian fields whatever the host's order. */
#ifndef STSENV_LE_H
#define STSENV_LE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

/* Exactly len bytes at off, or false; pread leaves the file offset alone
 * (an exec wrapper is about to run the file), and no allocation. */
static inline bool stsenv_pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return true;
}

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
