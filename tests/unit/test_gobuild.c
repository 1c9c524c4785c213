/* Go build info (gobuild.c): synthetic ELF files written here, in both
 * formats and broken in every way we could think of, and, where go is
 * installed, real Go programs built offline. */
#include "../../core/gobuild.h"
#include "unit.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[256];

#define MAGIC "\xff Go buildinf:"
#define BASE  0x400000u /* where the one PT_LOAD maps the file */
#define EXTRA 128u	/* file offset of the extra bytes (old format's strings) */
#define SDK   "dep\tgithub.com/aliyun/credentials-go\tv1.3.10\th1:abc=\n"
#define APP   "path\texample.com/app\nmod\texample.com/app\t(devel)\t\n"
#define CLI                                                                                        \
	"path\tgithub.com/aliyun/aliyun-cli/main\nmod\tgithub.com/aliyun/aliyun-cli\t(devel)\t\n"
#define BUILD "build\t-compiler=gc\nbuild\tGOOS=linux\n"

/* cmd/go's sentinels around the module info (any 16 bytes would do). */
static const unsigned char start16[16] = {0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02,
					  0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18, 0xe6};
static const unsigned char end16[16] = {0xf9, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72,
					0x00, 0x82, 0x42, 0x10, 0x41, 0x16, 0xd8, 0xf2};

/* ---- writing ELF files ---- */

struct elf {
	unsigned char b[1 << 16];
	size_t len;
	size_t sec_sh; /* offset of .go.buildinfo's section header */
	size_t sec;    /* offset of its contents */
};

static void put(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static size_t align(size_t n, size_t a)
{
	return (n + a - 1) / a * a;
}

/* An ELF64 little-endian file: its header, one PT_LOAD mapping the whole
 * file at BASE, the extra bytes at EXTRA, the .go.buildinfo section, the
 * .shstrtab, and three section headers (null, .go.buildinfo, .shstrtab). */
static void make_elf(struct elf *e, const void *extra, size_t elen, const void *sec, size_t slen)
{
	static const char names[] = "\0.go.buildinfo\0.shstrtab";
	unsigned char *b = e->b;
	size_t names_at, sh;

	memset(e, 0, sizeof(*e));
	memcpy(b, ELFMAG, SELFMAG);
	b[EI_CLASS] = ELFCLASS64;
	b[EI_DATA] = ELFDATA2LSB;
	b[EI_VERSION] = EV_CURRENT;
	put(b + offsetof(Elf64_Ehdr, e_type), ET_EXEC, 2);
	put(b + offsetof(Elf64_Ehdr, e_machine), EM_X86_64, 2);
	put(b + offsetof(Elf64_Ehdr, e_phoff), sizeof(Elf64_Ehdr), 8);
	put(b + offsetof(Elf64_Ehdr, e_ehsize), sizeof(Elf64_Ehdr), 2);
	put(b + offsetof(Elf64_Ehdr, e_phentsize), sizeof(Elf64_Phdr), 2);
	put(b + offsetof(Elf64_Ehdr, e_phnum), 1, 2);
	put(b + offsetof(Elf64_Ehdr, e_shentsize), sizeof(Elf64_Shdr), 2);
	put(b + offsetof(Elf64_Ehdr, e_shnum), 3, 2);
	put(b + offsetof(Elf64_Ehdr, e_shstrndx), 2, 2);

	memcpy(b + EXTRA, extra, elen);
	e->sec = align(EXTRA + elen, 16);
	memcpy(b + e->sec, sec, slen);
	names_at = e->sec + slen;
	memcpy(b + names_at, names, sizeof(names));
	sh = align(names_at + sizeof(names), 8);
	put(b + offsetof(Elf64_Ehdr, e_shoff), sh, 8);
	e->len = sh + 3 * sizeof(Elf64_Shdr);

	e->sec_sh = sh + sizeof(Elf64_Shdr);
	put(b + e->sec_sh + offsetof(Elf64_Shdr, sh_name), 1, 4);
	put(b + e->sec_sh + offsetof(Elf64_Shdr, sh_type), SHT_PROGBITS, 4);
	put(b + e->sec_sh + offsetof(Elf64_Shdr, sh_addr), BASE + e->sec, 8);
	put(b + e->sec_sh + offsetof(Elf64_Shdr, sh_offset), e->sec, 8);
	put(b + e->sec_sh + offsetof(Elf64_Shdr, sh_size), slen, 8);
	sh += 2 * sizeof(Elf64_Shdr);
	put(b + sh + offsetof(Elf64_Shdr, sh_name), 15, 4);
	put(b + sh + offsetof(Elf64_Shdr, sh_type), SHT_STRTAB, 4);
	put(b + sh + offsetof(Elf64_Shdr, sh_offset), names_at, 8);
	put(b + sh + offsetof(Elf64_Shdr, sh_size), sizeof(names), 8);

	unsigned char *ph = b + sizeof(Elf64_Ehdr);
	put(ph + offsetof(Elf64_Phdr, p_type), PT_LOAD, 4);
	put(ph + offsetof(Elf64_Phdr, p_flags), PF_R | PF_W, 4);
	put(ph + offsetof(Elf64_Phdr, p_vaddr), BASE, 8);
	put(ph + offsetof(Elf64_Phdr, p_filesz), e->len, 8);
	put(ph + offsetof(Elf64_Phdr, p_memsz), e->len, 8);
}

static size_t varint(unsigned char *p, uint64_t v)
{
	size_t n = 0;

	for (; v >= 0x80; v >>= 7)
		p[n++] = (unsigned char)(v | 0x80);
	p[n++] = (unsigned char)v;
	return n;
}

/* The module info as Go stores it: the text between two sentinels. */
static size_t framed(unsigned char *p, const char *text)
{
	size_t n = strlen(text);

	memcpy(p, start16, 16);
	memcpy(p + 16, text, n);
	memcpy(p + 16 + n, end16, 16);
	return n + 32;
}

/* Go 1.18+: the strings inline, after the 32-byte header. */
static void make_inline(struct elf *e, const char *vers, const char *text)
{
	static unsigned char sec[1 << 15], mod[1 << 15];
	size_t n = 32, mlen = framed(mod, text);

	memset(sec, 0, 32);
	memcpy(sec, MAGIC, 14);
	sec[14] = 8;
	sec[15] = 2;
	n += varint(sec + n, strlen(vers));
	memcpy(sec + n, vers, strlen(vers));
	n += strlen(vers);
	n += varint(sec + n, mlen);
	memcpy(sec + n, mod, mlen);
	make_elf(e, "", 0, sec, n + mlen);
}

/* Go 1.13-1.17: the header points at two string headers {data, len},
 * which point at the bytes; all of it in the extra bytes here. */
static void make_old(struct elf *e, const char *vers, const char *text)
{
	static unsigned char extra[1 << 15];
	unsigned char sec[32] = {0};
	size_t vlen = strlen(vers), mlen;

	memcpy(extra + 32, vers, vlen);
	mlen = framed(extra + 32 + vlen, text);
	put(extra, BASE + EXTRA + 32, 8);
	put(extra + 8, vlen, 8);
	put(extra + 16, BASE + EXTRA + 32 + vlen, 8);
	put(extra + 24, mlen, 8);
	memcpy(sec, MAGIC, 14);
	sec[14] = 8;
	sec[15] = 0;
	put(sec + 16, BASE + EXTRA, 8);
	put(sec + 24, BASE + EXTRA + 16, 8);
	make_elf(e, extra, 32 + vlen + mlen, sec, sizeof(sec));
}

static const char *write_file(const char *name, const void *data, size_t len)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		return NULL;
	}
	return path;
}

/* ---- calling the detectors ---- */

static bool count_line(const char *line, size_t len, void *ctx)
{
	(void)line, (void)len;
	++*(int *)ctx;
	return true;
}

/* Calls both on path opened at offset 7 with errno set, and checks that
 * neither moved the offset or changed errno.  Returns the scan's result,
 * with the verdict in *chain. */
static int probe(const char *path, bool *chain)
{
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	int r, lines = 0;

	*chain = false;
	if (fd < 0) {
		CHECK(fd >= 0);
		return -2;
	}
	CHECK(lseek(fd, 7, SEEK_SET) == 7);
	errno = EXDEV;
	*chain = stsenv_go_has_sdk_chain(fd);
	CHECK(errno == EXDEV);
	errno = ENOTDIR;
	r = stsenv_go_buildinfo_scan(fd, count_line, &lines);
	CHECK(errno == ENOTDIR);
	CHECK(r != -1 || lines == 0);
	CHECK(lseek(fd, 0, SEEK_CUR) == 7);
	close(fd);
	return r;
}

static bool chain_of(struct elf *e)
{
	bool chain;

	probe(write_file("prog", e->b, e->len), &chain);
	return chain;
}

static bool inline_chain(const char *text)
{
	struct elf *e = malloc(sizeof(*e));
	bool chain;

	make_inline(e, "go1.21.0", text);
	chain = chain_of(e);
	free(e);
	return chain;
}

static bool old_chain(const char *text)
{
	struct elf *e = malloc(sizeof(*e));
	bool chain;

	make_old(e, "go1.16.15", text);
	chain = chain_of(e);
	free(e);
	return chain;
}

/* ---- tests ---- */

static void test_verdicts(void)
{
	for (int old = 0; old < 2; old++) {
		bool (*v)(const char *) = old ? old_chain : inline_chain;

		CHECK(v(APP SDK BUILD));
		CHECK(v(APP "dep\tgolang.org/x/sys\tv0.1.0\th1:x=\n" SDK BUILD));
		CHECK(!v(CLI SDK BUILD));
		CHECK(!v(APP BUILD));
		CHECK(!v(APP "dep\tgolang.org/x/sys\tv0.1.0\th1:x=\n" BUILD));
		/* Replaced by a fork, it is still the SDK. */
		CHECK(v(APP SDK "=>\tgithub.com/me/credentials-go\tv1.0.0\th1:y=\n" BUILD));
		/* Only as another module's replacement, it is not a dependency. */
		CHECK(!v(APP "dep\texample.com/x\tv1.0.0\n=>\tgithub.com/aliyun/"
			     "credentials-go\tv1\t\n"));
	}
	/* Module paths: whole names, major-version suffixes. */
	CHECK(inline_chain(APP "dep\tgithub.com/aliyun/credentials-go/v2\tv2.0.0\th1:x=\n"));
	CHECK(inline_chain(APP "dep\tgithub.com/aliyun/credentials-go\n"));
	CHECK(!inline_chain(APP "dep\tgithub.com/aliyun/credentials-gox\tv1.0.0\t\n"));
	CHECK(!inline_chain(APP "dep\tgithub.com/aliyun/credentials-go-ext\tv1.0.0\t\n"));
	CHECK(!inline_chain(APP "dep\tgithub.com/aliyun/credentials-go/vx\tv1.0.0\t\n"));
	CHECK(!inline_chain(APP "dep\tgithub.com/aliyun/credentials\tv1.0.0\t\n"));
	CHECK(!inline_chain(APP " dep\tgithub.com/aliyun/credentials-go\tv1\t\n"));
	CHECK(!inline_chain(APP "dep github.com/aliyun/credentials-go v1\n"));
	CHECK(!inline_chain("mod\tgithub.com/aliyun/aliyun-cli/v3\t(devel)\t\n" SDK));
	CHECK(inline_chain("mod\tgithub.com/aliyun/aliyun-cli-plugin\t(devel)\t\n" SDK));
	CHECK(inline_chain("mod\tgithub.com/aliyun/aliyun\t(devel)\t\n" SDK));
	/* Order does not matter: the dependency before the main module. */
	CHECK(!inline_chain(SDK CLI));
	CHECK(inline_chain(SDK APP));
	/* Without a mod line (never seen from go), a dependency still counts. */
	CHECK(inline_chain(SDK));
	/* Go ends the text with a newline; without one it is not module info. */
	CHECK(!inline_chain(APP "dep\tgithub.com/aliyun/credentials-go\tv1.0.0"));
}

/* What a scan passes on, line by line, and how it stops. */
struct seen {
	char lines[64][STSENV_GO_LINE_MAX + 1];
	size_t len[64];
	int n, stop_at;
};

static bool collect(const char *line, size_t len, void *ctx)
{
	struct seen *s = ctx;

	if (s->n < 64) {
		memcpy(s->lines[s->n], line, len);
		s->lines[s->n][len] = 0;
		s->len[s->n] = len;
	}
	s->n++;
	return s->n != s->stop_at;
}

static int scan_file(const char *path, struct seen *s)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -2;
	r = stsenv_go_buildinfo_scan(fd, collect, s);
	close(fd);
	return r;
}

static void test_scan_lines(void)
{
	static struct elf e;
	static struct seen s;
	static char text[8192];
	char longer[2001];
	const char *p;

	make_inline(&e, "go1.21.0", APP SDK BUILD);
	p = write_file("lines", e.b, e.len);
	memset(&s, 0, sizeof(s));
	CHECK(scan_file(p, &s) == 0);
	CHECK(s.n == 5);
	CHECK_STR(s.lines[0], "path\texample.com/app");
	CHECK_STR(s.lines[1], "mod\texample.com/app\t(devel)\t");
	CHECK_STR(s.lines[2], "dep\tgithub.com/aliyun/credentials-go\tv1.3.10\th1:abc=");
	CHECK_STR(s.lines[4], "build\tGOOS=linux");
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	CHECK(scan_file(p, &s) == 1);
	CHECK(s.n == 2);

	/* The old format gives the same lines. */
	make_old(&e, "go1.16.15", APP SDK BUILD);
	p = write_file("lines", e.b, e.len);
	memset(&s, 0, sizeof(s));
	CHECK(scan_file(p, &s) == 0);
	CHECK(s.n == 5);
	CHECK_STR(s.lines[3], "build\t-compiler=gc");

	/* A long line is passed cut; the next one whole. */
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = 0;
	snprintf(text, sizeof(text), "mod\t%s\nbuild\tafter\n%s\n", longer, longer);
	make_inline(&e, "go1.21.0", text);
	p = write_file("lines", e.b, e.len);
	memset(&s, 0, sizeof(s));
	CHECK(scan_file(p, &s) == 0);
	CHECK(s.n == 3);
	CHECK(s.len[0] == STSENV_GO_LINE_MAX && s.len[2] == STSENV_GO_LINE_MAX);
	CHECK(memcmp(s.lines[0], "mod\txxx", 7) == 0);
	CHECK_STR(s.lines[1], "build\tafter");

	/* Empty lines are lines. */
	make_inline(&e, "go1.21.0", "\n\nmod\tx\n");
	p = write_file("lines", e.b, e.len);
	memset(&s, 0, sizeof(s));
	CHECK(scan_file(p, &s) == 0);
	CHECK(s.n == 3 && s.len[0] == 0 && s.len[1] == 0);
}

/* The SDK's line lands everywhere across a read chunk's boundary; text
 * that looks like it in the middle of a long line never counts. */
static void test_chunk_boundaries(void)
{
	static char text[8192], pad[2048];
	int bad = 0;

	for (int k = 0; k < 1400; k++) {
		memset(pad, 'a', (size_t)k);
		pad[k] = 0;
		snprintf(text, sizeof(text), APP "dep\tpad\t%s\n" SDK BUILD, pad);
		if (!inline_chain(text))
			bad++;
		/* After a long line, in its tail: not a line of its own. */
		snprintf(text, sizeof(text),
			 APP "dep\tpad\t%sdep\tgithub.com/aliyun/credentials-go\tv1\t\n" BUILD,
			 pad);
		if (k + 8 >= STSENV_GO_LINE_MAX && inline_chain(text))
			bad++;
	}
	CHECK(bad == 0);
	/* Also in the old format, a few. */
	for (int k = 400; k < 600; k += 13) {
		memset(pad, 'b', (size_t)k);
		pad[k] = 0;
		snprintf(text, sizeof(text), APP "dep\tpad\t%s\n" SDK BUILD, pad);
		CHECK(old_chain(text));
	}
}

static void set_sec(struct elf *e, size_t field, uint64_t v)
{
	put(e->b + e->sec_sh + field, v, 8);
}

static void test_broken_files(void)
{
	static struct elf e, good;
	static const char script[] = "#!/bin/sh\necho hello\n";
	bool chain;
	int fds[2];

	make_inline(&good, "go1.21.0", APP SDK BUILD);
	CHECK(chain_of(&good));

	/* Truncated anywhere: never a verdict, never a read past the end. */
	for (size_t n = 0; n < good.len; n += n < 200 ? 1 : 7) {
		CHECK(probe(write_file("cut", good.b, n), &chain) == -1);
		CHECK(!chain);
	}
	make_old(&e, "go1.16.15", APP SDK BUILD);
	for (size_t n = 0; n < e.len; n += 5) {
		CHECK(probe(write_file("cut", e.b, n), &chain) == -1);
		CHECK(!chain);
	}

	/* The section past the end of the file, or larger than it, or huge. */
	e = good;
	set_sec(&e, offsetof(Elf64_Shdr, sh_offset), e.len + 16);
	CHECK(!chain_of(&e));
	e = good;
	set_sec(&e, offsetof(Elf64_Shdr, sh_size), e.len);
	CHECK(!chain_of(&e));
	e = good;
	set_sec(&e, offsetof(Elf64_Shdr, sh_offset), UINT64_MAX - 8);
	CHECK(!chain_of(&e));
	e = good;
	set_sec(&e, offsetof(Elf64_Shdr, sh_size), (1u << 20) + 1);
	CHECK(!chain_of(&e));
	/* Not PROGBITS (NOBITS has no bytes in the file). */
	e = good;
	put(e.b + e.sec_sh + offsetof(Elf64_Shdr, sh_type), SHT_NOBITS, 4);
	CHECK(!chain_of(&e));
	/* Another name. */
	e = good;
	put(e.b + e.sec_sh + offsetof(Elf64_Shdr, sh_name), 2, 4);
	CHECK(!chain_of(&e));

	/* Absurd headers. */
	e = good;
	put(e.b + offsetof(Elf64_Ehdr, e_shnum), 5000, 2);
	CHECK(!chain_of(&e));
	e = good;
	put(e.b + offsetof(Elf64_Ehdr, e_shnum), 4096, 2); /* allowed, but past the end */
	CHECK(!chain_of(&e));
	e = good;
	put(e.b + offsetof(Elf64_Ehdr, e_shstrndx), 3, 2);
	CHECK(!chain_of(&e));
	e = good;
	put(e.b + offsetof(Elf64_Ehdr, e_shentsize), 40, 2);
	CHECK(!chain_of(&e));
	e = good;
	put(e.b + offsetof(Elf64_Ehdr, e_shoff), UINT64_MAX - 100, 8);
	CHECK(!chain_of(&e));
	e = good;
	put(e.b + offsetof(Elf64_Ehdr, e_shnum), 0, 2);
	CHECK(!chain_of(&e));

	/* Not a 64-bit little-endian ELF file. */
	e = good;
	e.b[EI_CLASS] = ELFCLASS32;
	CHECK(!chain_of(&e));
	e = good;
	e.b[EI_DATA] = ELFDATA2MSB;
	CHECK(!chain_of(&e));
	e = good;
	e.b[0] = 'x';
	CHECK(!chain_of(&e));
	CHECK(probe(write_file("script", script, sizeof(script) - 1), &chain) == -1 && !chain);
	CHECK(probe(write_file("empty", "", 0), &chain) == -1 && !chain);

	/* Build info that is not Go's, or holds no modules. */
	e = good;
	e.b[e.sec + 1] = 'g';
	CHECK(!chain_of(&e));
	e = good;
	e.b[e.sec + 15] = 3; /* big-endian */
	CHECK(!chain_of(&e));
	make_inline(&e, "", APP SDK BUILD);
	CHECK(!chain_of(&e));
	make_inline(&e, "go1.21.0", "");
	CHECK(probe(write_file("prog", e.b, e.len), &chain) == -1 && !chain);
	/* The module info without its sentinels (as when built without modules). */
	{
		unsigned char sec[64] = {0};
		memcpy(sec, MAGIC, 14);
		sec[14] = 8;
		sec[15] = 2;
		sec[32] = 4;
		memcpy(sec + 33, "go1x", 4);
		sec[37] = 0;
		make_elf(&e, "", 0, sec, 38);
		CHECK(probe(write_file("prog", e.b, e.len), &chain) == -1 && !chain);
		/* A length past the section. */
		sec[37] = 100;
		make_elf(&e, "", 0, sec, 38);
		CHECK(!chain_of(&e));
		/* A varint that never ends. */
		memset(sec + 32, 0xff, 32);
		make_elf(&e, "", 0, sec, 64);
		CHECK(!chain_of(&e));
	}
	/* Not framed: the byte before the end sentinel is no newline. */
	make_inline(&e, "go1.21.0", APP SDK "x");
	CHECK(!chain_of(&e));

	/* Old format: pointers outside the file's segment, a pointer size of 4,
	 * a length past the segment, a segment past the file. */
	make_old(&e, "go1.16.15", APP SDK BUILD);
	CHECK(chain_of(&e));
	put(e.b + e.sec + 24, 0x100, 8);
	CHECK(!chain_of(&e));
	make_old(&e, "go1.16.15", APP SDK BUILD);
	e.b[e.sec + 14] = 4;
	CHECK(!chain_of(&e));
	make_old(&e, "go1.16.15", APP SDK BUILD);
	put(e.b + EXTRA + 24, e.len, 8);
	CHECK(!chain_of(&e));
	make_old(&e, "go1.16.15", APP SDK BUILD);
	put(e.b + sizeof(Elf64_Ehdr) + offsetof(Elf64_Phdr, p_filesz), e.len + 1, 8);
	CHECK(!chain_of(&e));
	make_old(&e, "go1.16.15", APP SDK BUILD);
	put(e.b + sizeof(Elf64_Ehdr) + offsetof(Elf64_Phdr, p_type), PT_NOTE, 4);
	CHECK(!chain_of(&e));
	make_old(&e, "go1.16.15", APP SDK BUILD);
	put(e.b + offsetof(Elf64_Ehdr, e_phnum), 600, 2);
	CHECK(!chain_of(&e));

	/* Not a regular file; no file at all: false, errno kept. */
	CHECK(pipe(fds) == 0);
	CHECK(write(fds[1], good.b, 4096) == 4096);
	errno = EXDEV;
	CHECK(!stsenv_go_has_sdk_chain(fds[0]));
	CHECK(errno == EXDEV);
	close(fds[0]);
	close(fds[1]);
	CHECK(!stsenv_go_has_sdk_chain(-1));
	CHECK(errno == EXDEV);
	CHECK(stsenv_go_buildinfo_scan(-1, collect, NULL) == -1);
}

/* ---- on a signal stack ---- */

/* An 8 KiB signal stack, as the exec wrappers may run on. */
static unsigned char altstack[8192] __attribute__((aligned(16)));
static int sig_fd;
static volatile bool sig_chain;
static volatile size_t sig_here;

/* Notes where its frame is on the signal stack, and calls. */
static void on_usr1(int sig)
{
	volatile char mark = 0;

	(void)sig;
	sig_here = (size_t)((uintptr_t)&mark - (uintptr_t)altstack);
	if (sig_here < sizeof(altstack))
		sig_chain = stsenv_go_has_sdk_chain(sig_fd);
}

static bool under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p && strstr(p, "vgpreload");
}

static void test_signal_stack(void)
{
	static struct elf e;
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)}, old;
	struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_ONSTACK}, prev;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	const bool measure = false; /* sanitizers pad every frame */
#else
	const bool measure = !under_valgrind(); /* it forbids a stack's dead part */
#endif

	CHECK(sigaltstack(&ss, &old) == 0);
	CHECK(sigaction(SIGUSR1, &sa, &prev) == 0);
	for (int fmt = 0; fmt < 2; fmt++) {
		if (fmt)
			make_old(&e, "go1.16.15", APP SDK BUILD);
		else
			make_inline(&e, "go1.21.0", APP SDK BUILD);
		sig_fd = open(write_file("prog", e.b, e.len), O_RDONLY | O_CLOEXEC);
		CHECK(sig_fd >= 0);
		sig_chain = false;
		if (measure)
			memset(altstack, 0xa5, sizeof(altstack));
		raise(SIGUSR1);
		CHECK(sig_chain);
		/* How deep the call went below the handler's frame: down to the
		 * lowest byte that is not paint any more. */
		if (measure) {
			size_t low = 0, used;

			while (low < sizeof(altstack) && altstack[low] == 0xa5)
				low++;
			used = sig_here > low ? sig_here - low : 0;
			CHECK(used < 1200);
			if (used >= 1200)
				fprintf(stderr, "    %zu bytes of stack\n", used);
		}
		close(sig_fd);
	}
	CHECK(sigaction(SIGUSR1, &prev, NULL) == 0);
	CHECK(sigaltstack(&old, NULL) == 0);
}

/* ---- real Go programs ---- */

static int put_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", tmp, dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* A main module at tmp/dir whose go.mod starts with "module <mod>",
 * importing the stub of the SDK at tmp/stub if sdk. */
static int go_project(const char *dir, const char *mod, bool sdk)
{
	char path[512], gomod[512];

	snprintf(path, sizeof(path), "%s/%s", tmp, dir);
	if (mkdir(path, 0755) != 0)
		return -1;
	snprintf(gomod, sizeof(gomod), "module %s\n\ngo 1.13\n%s", mod,
		 sdk ? "\nrequire github.com/aliyun/credentials-go v0.0.0\n\n"
		       "replace github.com/aliyun/credentials-go => ../stub\n"
		     : "");
	return put_file(dir, "go.mod", gomod) ||
	       put_file(dir, "main.go",
			sdk ? "package main\n\nimport "
			      "\"github.com/aliyun/credentials-go/credentials\"\n\n"
			      "func main() { println(credentials.Name()) }\n"
			    : "package main\n\nfunc main() { println(\"hello\") }\n");
}

static int go_build(const char *dir, const char *out, const char *flags)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
		 "cd '%s/%s' && env GOFLAGS=-mod=mod GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local "
		 "GOWORK=off GO111MODULE=on CGO_ENABLED=0 GOENV=off GOCACHE='%s/gocache' "
		 "GOPATH='%s/gopath' HOME='%s' go build %s -o '%s/%s' . >'%s/go.log' 2>&1 || "
		 "cat '%s/go.log' >&2",
		 tmp, dir, tmp, tmp, tmp, flags, tmp, out, tmp, tmp);
	return system(cmd);
}

static bool built_chain(const char *out, int *scan)
{
	char path[512];
	bool chain = false;

	snprintf(path, sizeof(path), "%s/%s", tmp, out);
	*scan = probe(path, &chain);
	return chain;
}

static void test_go_programs(void)
{
	char stub[512];
	int scan;
	static struct seen s;
	char path[512];

	if (system("command -v go >/dev/null 2>&1") != 0)
		return; /* go is not installed: the synthetic files above stand in */
	snprintf(stub, sizeof(stub), "%s/stub", tmp);
	CHECK(mkdir(stub, 0755) == 0);
	snprintf(stub, sizeof(stub), "%s/stub/credentials", tmp);
	CHECK(mkdir(stub, 0755) == 0);
	CHECK(put_file("stub", "go.mod", "module github.com/aliyun/credentials-go\n\ngo 1.13\n") ==
	      0);
	CHECK(put_file("stub/credentials", "c.go",
		       "package credentials\n\nfunc Name() string { return \"stub\" }\n") == 0);
	CHECK(go_project("app", "example.com/app", true) == 0);
	CHECK(go_project("cli", "github.com/aliyun/aliyun-cli", true) == 0);
	CHECK(go_project("plain", "example.com/plain", false) == 0);

	CHECK(go_build("app", "app.bin", "") == 0);
	CHECK(go_build("app", "app-stripped.bin", "-ldflags='-s -w' -trimpath") == 0);
	CHECK(go_build("cli", "cli.bin", "") == 0);
	CHECK(go_build("plain", "plain.bin", "") == 0);

	CHECK(built_chain("app.bin", &scan) && scan == 0);
	CHECK(built_chain("app-stripped.bin", &scan) && scan == 0);
	CHECK(!built_chain("cli.bin", &scan) && scan == 0);
	CHECK(!built_chain("plain.bin", &scan) && scan == 0);

	/* What go itself says the lines are. */
	snprintf(path, sizeof(path), "%s/app.bin", tmp);
	memset(&s, 0, sizeof(s));
	CHECK(scan_file(path, &s) == 0);
	CHECK(s.n >= 4);
	CHECK_STR(s.lines[0], "path\texample.com/app");
	CHECK(strncmp(s.lines[1], "mod\texample.com/app\t", 20) == 0);
	CHECK(strncmp(s.lines[2], "dep\tgithub.com/aliyun/credentials-go\tv0.0.0", 43) == 0);
	CHECK(strncmp(s.lines[3], "=>\t../stub\t", 11) == 0);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

int main(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmp, sizeof(tmp), "%s/stsenv-gobuild-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_verdicts);
	RUN(test_scan_lines);
	RUN(test_chunk_boundaries);
	RUN(test_broken_files);
	RUN(test_signal_stack);
	RUN(test_go_programs);
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	UNIT_EXIT();
}
