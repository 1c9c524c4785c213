/* What kind of program a file is, as far as reaching it with credentials
 * goes: a static binary never loads the preload, and a Go program copies
 * its environment at start; both only see what exec hands them. */
#ifndef STSENV_ELFKIND_H
#define STSENV_ELFKIND_H

enum stsenv_elf_kind {
	STSENV_ELF_OTHER,   /* not ELF (a script), or unreadable */
	STSENV_ELF_DYNAMIC, /* loads the preload */
	STSENV_ELF_STATIC,  /* no program interpreter: never loads it */
	STSENV_ELF_GO,	    /* a Go program, static or not */
};

enum stsenv_elf_kind stsenv_elf_kind(const char *path);

#endif
