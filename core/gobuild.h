/* Which modules a Go program was built with, from its build info (the
 * .go.buildinfo section): a program that links Alibaba Cloud's Go
 * credentials SDK finds credentials through the SDK's own chain.
 *
 * Both functions are safe in a vfork child and in a signal handler: no
 * allocation, no stdio, no lock, under 1 KiB of stack; they only pread the
 * file (its offset stays where it was) and leave errno as it was. */
#ifndef STSENV_GOBUILD_H
#define STSENV_GOBUILD_H

#include <stdbool.h>
#include <stddef.h>

/* The longest part of a line that a scan callback sees: longer lines are
 * passed cut to their first STSENV_GO_LINE_MAX bytes. */
#define STSENV_GO_LINE_MAX 256

/* Called with each line of the module info ("path\t...", "mod\t...",
 * "dep\t...", "=>\t...", "build\t..."), without its newline and not
 * NUL-terminated; returns true to go on, false to stop the scan. */
typedef bool (*stsenv_go_line_fn)(const char *line, size_t len, void *ctx);

/* Calls line() for each line of the module info of the program open on fd
 * (readable; a 64-bit little-endian ELF Go program, Go 1.13 or later).
 * Returns 1 if line() stopped the scan, 0 if it saw every line, -1 if
 * there is no module info to scan: not such a program, built without
 * modules, unreadable, or headers out of bounds. */
int stsenv_go_buildinfo_scan(int fd, stsenv_go_line_fn line, void *ctx);

/* True if the program open on fd is a Go program that depends on
 * github.com/aliyun/credentials-go and is not the aliyun CLI (whose main
 * module, github.com/aliyun/aliyun-cli, reads the environment itself).
 * A major-version suffix (".../v2") counts as the same module. */
bool stsenv_go_has_sdk_chain(int fd);

#endif
