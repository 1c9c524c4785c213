#include "elfkind.h"

#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int read_at(int fd, void *buf, size_t len, off_t off)
{
	return pread(fd, buf, len, off) == (ssize_t)len ? 0 : -1;
}

/* True if a section named .note.go.buildid or .go.buildinfo exists. */
static int has_go_section(int fd, const Elf64_Ehdr *eh)
{
	Elf64_Shdr names, sh;
	char name[24];

	if (eh->e_shnum == 0 || eh->e_shstrndx >= eh->e_shnum || eh->e_shnum > 4096 ||
	    read_at(fd, &names, sizeof(names),
		    (off_t)(eh->e_shoff + (Elf64_Off)eh->e_shstrndx * sizeof(Elf64_Shdr))) < 0)
		return 0;
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (read_at(fd, &sh, sizeof(sh), (off_t)(eh->e_shoff + i * sizeof(Elf64_Shdr))) < 0)
			return 0;
		memset(name, 0, sizeof(name));
		if (pread(fd, name, sizeof(name) - 1, (off_t)(names.sh_offset + sh.sh_name)) <= 0)
			continue;
		if (strcmp(name, ".note.go.buildid") == 0 || strcmp(name, ".go.buildinfo") == 0)
			return 1;
	}
	return 0;
}

enum stsenv_elf_kind stsenv_elf_kind(const char *path)
{
	enum stsenv_elf_kind kind = STSENV_ELF_OTHER;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int interp = 0;

	if (fd < 0)
		return kind;
	if (read_at(fd, &eh, sizeof(eh), 0) < 0 || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) ||
	    eh.e_phnum > 512)
		goto out;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (read_at(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) < 0)
			goto out;
		interp |= ph.p_type == PT_INTERP;
	}
	if (has_go_section(fd, &eh))
		kind = STSENV_ELF_GO;
	else
		kind = interp ? STSENV_ELF_DYNAMIC : STSENV_ELF_STATIC;
out:
	close(fd);
	return kind;
}
