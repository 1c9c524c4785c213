#include "gobuild.h"

#include "le.h"

#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Far above what a Go program has: a broken or hostile file costs little. */
#define MAX_SECTIONS 4096
#define MAX_SEGMENTS 512
#define MAX_INFO     (1u << 20) /* the .go.buildinfo section, and the module info */
#define CHUNK	     512	/* read size; twice STSENV_GO_LINE_MAX, so a line prefix fits */
#define HDR_SIZE     32		/* the build info header */

#define SDK_MODULE "github.com/aliyun/credentials-go"
#define CLI_MODULE "github.com/aliyun/aliyun-cli"

static const char magic[] = "\xff Go buildinf:";

#define le16 stsenv_le16
#define le32 stsenv_le32
#define le64 stsenv_le64

#define EH16(eh, field) le16((eh) + offsetof(Elf64_Ehdr, field))
#define EH64(eh, field) le64((eh) + offsetof(Elf64_Ehdr, field))

struct file {
	int fd;
	uint64_t size;
};

/* True if [off, off + len) lies inside [0, size). */
static bool inside(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* Reads exactly len bytes at off, never past the file's end; pread leaves
 * the offset alone, which the caller (about to exec fd) relies on. */
static bool read_at(const struct file *f, void *buf, size_t len, uint64_t off)
{
	return inside(off, len, f->size) && stsenv_pread_all(f->fd, buf, len, off);
}

/* Finds .go.buildinfo by name through the section headers (kept by strip).
 * Not inlined, here and below, so that frames with buffers never stack up:
 * the whole call stays under 1 KiB of stack. */
static __attribute__((noinline)) bool find_buildinfo(const struct file *f, const unsigned char *eh,
						     uint64_t *off, uint64_t *size)
{
	static const char name[] = ".go.buildinfo";
	uint64_t shoff = EH64(eh, e_shoff), stroff, strsize;
	unsigned shnum = EH16(eh, e_shnum), shstrndx = EH16(eh, e_shstrndx);
	unsigned char sh[sizeof(Elf64_Shdr)];
	char got[sizeof(name)];

	if (EH16(eh, e_shentsize) != sizeof(Elf64_Shdr) || shnum == 0 || shnum > MAX_SECTIONS ||
	    shstrndx >= shnum || !inside(shoff, (uint64_t)shnum * sizeof(sh), f->size) ||
	    !read_at(f, sh, sizeof(sh), shoff + (uint64_t)shstrndx * sizeof(sh)))
		return false;
	stroff = le64(sh + offsetof(Elf64_Shdr, sh_offset));
	strsize = le64(sh + offsetof(Elf64_Shdr, sh_size));
	if (!inside(stroff, strsize, f->size))
		return false;
	for (unsigned i = 1; i < shnum; i++) {
		uint32_t at;

		if (!read_at(f, sh, sizeof(sh), shoff + (uint64_t)i * sizeof(sh)))
			return false;
		at = le32(sh + offsetof(Elf64_Shdr, sh_name));
		if (le32(sh + offsetof(Elf64_Shdr, sh_type)) != SHT_PROGBITS ||
		    !inside(at, sizeof(name), strsize))
			continue;
		if (!read_at(f, got, sizeof(got), stroff + at))
			return false;
		if (memcmp(got, name, sizeof(name)) != 0)
			continue;
		*off = le64(sh + offsetof(Elf64_Shdr, sh_offset));
		*size = le64(sh + offsetof(Elf64_Shdr, sh_size));
		return *size >= HDR_SIZE && *size <= MAX_INFO && inside(*off, *size, f->size);
	}
	return false;
}

/* The file offset of len bytes at virtual address addr, which must lie in
 * the file part of one PT_LOAD segment. */
static bool vaddr_to_off(const struct file *f, const unsigned char *eh, uint64_t addr, uint64_t len,
			 uint64_t *off)
{
	uint64_t phoff = EH64(eh, e_phoff);
	unsigned phnum = EH16(eh, e_phnum);
	unsigned char ph[sizeof(Elf64_Phdr)];

	if (EH16(eh, e_phentsize) != sizeof(Elf64_Phdr) || phnum > MAX_SEGMENTS ||
	    !inside(phoff, (uint64_t)phnum * sizeof(ph), f->size))
		return false;
	for (unsigned i = 0; i < phnum; i++) {
		uint64_t vaddr, filesz, poff;

		if (!read_at(f, ph, sizeof(ph), phoff + (uint64_t)i * sizeof(ph)))
			return false;
		if (le32(ph + offsetof(Elf64_Phdr, p_type)) != PT_LOAD)
			continue;
		vaddr = le64(ph + offsetof(Elf64_Phdr, p_vaddr));
		filesz = le64(ph + offsetof(Elf64_Phdr, p_filesz));
		poff = le64(ph + offsetof(Elf64_Phdr, p_offset));
		if (!inside(poff, filesz, f->size) || addr < vaddr ||
		    !inside(addr - vaddr, len, filesz))
			continue;
		*off = poff + (addr - vaddr);
		return true;
	}
	return false;
}

/* Go 1.13-1.17: a pointer to a Go string header {data, len}, both in
 * memory; gives where the string's bytes are in the file. */
static bool read_gostring(const struct file *f, const unsigned char *eh, uint64_t addr,
			  uint64_t *off, uint64_t *len)
{
	unsigned char hdr[16];
	uint64_t at;

	if (!vaddr_to_off(f, eh, addr, sizeof(hdr), &at) || !read_at(f, hdr, sizeof(hdr), at))
		return false;
	*len = le64(hdr + 8);
	return *len <= MAX_INFO && vaddr_to_off(f, eh, le64(hdr), *len, off);
}

/* Go 1.18+: a varint length, then the bytes, all inside [*off, end). */
static bool read_inline(const struct file *f, uint64_t *off, uint64_t end, uint64_t *len)
{
	unsigned char b[10];
	size_t n = end - *off < sizeof(b) ? (size_t)(end - *off) : sizeof(b);
	uint64_t v = 0;

	if (*off >= end || !read_at(f, b, n, *off))
		return false;
	for (size_t i = 0; i < n; i++) {
		v |= (uint64_t)(b[i] & 0x7f) << (7 * i);
		if (b[i] < 0x80) {
			*off += i + 1;
			*len = v;
			return inside(*off, v, end);
		}
	}
	return false;
}

/* Passes each line of [off, off + len) to line(), reading CHUNK bytes at a
 * time; the unfinished line is carried over to the next read. */
static __attribute__((noinline)) int scan_lines(const struct file *f, uint64_t off, uint64_t len,
						stsenv_go_line_fn line, void *ctx)
{
	char buf[CHUNK];
	size_t have = 0;
	bool cut = false; /* in a long line whose prefix was passed already */
	uint64_t end = off + len;

	for (;;) {
		size_t n = end - off < CHUNK - have ? (size_t)(end - off) : CHUNK - have;
		size_t start = 0;
		char *nl;

		if (n > 0 && !read_at(f, buf + have, n, off))
			return -1;
		off += n;
		have += n;
		while ((nl = memchr(buf + start, '\n', have - start)) != NULL) {
			size_t l = (size_t)(nl - (buf + start));

			if (!cut && !line(buf + start,
					  l < STSENV_GO_LINE_MAX ? l : STSENV_GO_LINE_MAX, ctx))
				return 1;
			cut = false;
			start += l + 1;
		}
		if (off == end) {
			size_t l = have - start;

			if (l > 0 && !cut &&
			    !line(buf + start, l < STSENV_GO_LINE_MAX ? l : STSENV_GO_LINE_MAX,
				  ctx))
				return 1;
			return 0;
		}
		/* A line this long gets its prefix passed now, and the rest
		 * dropped up to its newline, so the carry stays under half of buf. */
		if (have - start >= STSENV_GO_LINE_MAX) {
			if (!cut && !line(buf + start, STSENV_GO_LINE_MAX, ctx))
				return 1;
			cut = true;
			start = have;
		}
		memmove(buf, buf + start, have - start);
		have -= start;
	}
}

/* Where the module info's text is: [*off, *off + *len). */
static __attribute__((noinline)) bool find_modinfo(const struct file *f, uint64_t *off,
						   uint64_t *len)
{
	unsigned char eh[sizeof(Elf64_Ehdr)], hdr[HDR_SIZE], c;
	uint64_t sec, secsize, voff, vlen, moff, mlen;

	if (!read_at(f, eh, sizeof(eh), 0) || memcmp(eh, ELFMAG, SELFMAG) != 0 ||
	    eh[EI_CLASS] != ELFCLASS64 || eh[EI_DATA] != ELFDATA2LSB ||
	    !find_buildinfo(f, eh, &sec, &secsize) || !read_at(f, hdr, sizeof(hdr), sec) ||
	    memcmp(hdr, magic, sizeof(magic) - 1) != 0 || (hdr[15] & 1) != 0)
		return false;
	if (hdr[15] & 2) {
		/* Go 1.18+: the version and the module info follow the header. */
		moff = sec + HDR_SIZE;
		if (!read_inline(f, &moff, sec + secsize, &vlen))
			return false;
		moff += vlen;
		if (!read_inline(f, &moff, sec + secsize, &mlen))
			return false;
	} else {
		/* Go 1.13-1.17: pointers to runtime.buildVersion and runtime.modinfo. */
		if (hdr[14] != 8 || !read_gostring(f, eh, le64(hdr + 16), &voff, &vlen) ||
		    !read_gostring(f, eh, le64(hdr + 24), &moff, &mlen))
			return false;
	}
	/* Without a version it is not Go's; the module info is framed by two
	 * 16-byte sentinels, the text ending in a newline (debug/buildinfo). */
	if (vlen == 0 || mlen < 33 || !read_at(f, &c, 1, moff + mlen - 17) || c != '\n')
		return false;
	*off = moff + 16;
	*len = mlen - 32;
	return true;
}

/* Apart, so that its struct stat is off the stack while scanning. */
static __attribute__((noinline)) bool file_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	*size = (uint64_t)st.st_size;
	return true;
}

int stsenv_go_buildinfo_scan(int fd, stsenv_go_line_fn line, void *ctx)
{
	int saved = errno, r = -1;
	struct file f = {.fd = fd};
	uint64_t off, len;

	if (file_size(fd, &f.size) && find_modinfo(&f, &off, &len))
		r = scan_lines(&f, off, len, line, ctx);
	errno = saved;
	return r;
}

/* True if s is "<kind>\t<path>" and then a tab or the end; path may carry
 * a major-version suffix ("/v2"). */
static bool is_module_line(const char *s, size_t len, const char *kind, const char *path)
{
	size_t k = strlen(kind), p = strlen(path), i = k + 1 + p;

	if (len < i || memcmp(s, kind, k) != 0 || s[k] != '\t' || memcmp(s + k + 1, path, p) != 0)
		return false;
	if (i + 2 < len && s[i] == '/' && s[i + 1] == 'v' && s[i + 2] >= '0' && s[i + 2] <= '9')
		for (i += 2; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
	return i == len || s[i] == '\t';
}

struct chain {
	bool mod, cli, dep;
};

static bool chain_line(const char *s, size_t len, void *ctx)
{
	struct chain *c = ctx;

	if (len >= 4 && memcmp(s, "mod\t", 4) == 0) {
		c->mod = true;
		c->cli = is_module_line(s, len, "mod", CLI_MODULE);
	} else if (is_module_line(s, len, "dep", SDK_MODULE)) {
		c->dep = true;
	}
	/* Enough is known once it is the CLI, or both lines were seen. */
	return !c->cli && !(c->mod && c->dep);
}

bool stsenv_go_has_sdk_chain(int fd)
{
	struct chain c = {false, false, false};

	return stsenv_go_buildinfo_scan(fd, chain_line, &c) >= 0 && c.dep && !c.cli;
}
