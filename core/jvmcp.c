#include "jvmcp.h"

#include "le.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bounds, so that a huge or hostile class path costs little. */
#define MAX_ENTRIES	256	    /* class-path entries looked at */
#define MAX_DIRENTS	4096	    /* names read from one wildcard directory */
#define MAX_JARS	4096	    /* jars opened, in all */
#define MAX_CEN		(64u << 20) /* central directory size */
#define MAX_CEN_ENTRIES (1u << 20)
#define BUF		(1u << 17) /* holds an END search and any one CEN header */

#define END_SIG	   0x06054b50u /* end of central directory */
#define END_LEN	   22
#define END_SEARCH (END_LEN + 0xffff) /* the record and its longest comment */
#define LOC64_SIG  0x07064b50u	      /* ZIP64 end locator, just before END */
#define LOC64_LEN  20
#define END64_SIG  0x06064b50u
#define END64_LEN  56
#define CEN_SIG	   0x02014b50u
#define CEN_LEN	   46

#define SDK_PACKAGE "com/aliyun/credentials/"
#define SDK_JAR	    "credentials-java"

#define le16 stsenv_le16
#define le32 stsenv_le32
#define le64 stsenv_le64

/* ---- the class path of the java launcher ---- */

static bool is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static bool starts(const char *a, const char *prefix)
{
	return strncmp(a, prefix, strlen(prefix)) == 0;
}

/* Options that take the next argument as their value (java.c: launcher
 * and module options written with a space). */
static bool takes_value(const char *a)
{
	static const char *const opts[] = {
		"-p",
		"--module-path",
		"--upgrade-module-path",
		"--add-modules",
		"--limit-modules",
		"--add-exports",
		"--add-opens",
		"--add-reads",
		"--patch-module",
		"--enable-native-access",
		"--describe-module",
		"-d",
		"--source",
	};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (is(a, opts[i]))
			return true;
	return false;
}

/* As java.c parses: options up to the first argument that does not start
 * with '-' (the main class, a source file, or -jar's file), or up to -m's
 * value; a value is the next argument only if it does not start with '-';
 * the last class path given wins, CLASSPATH being the first; -jar's file
 * replaces them all.  @argfiles are not expanded: the first one ends the
 * options, like a main class, and what it holds is not seen. */
const char *stsenv_jvm_classpath(char *const argv[], const char *classpath_env, bool *jar)
{
	const char *cp = classpath_env;
	bool jar_mode = false, module = false;
	int i = 1;

	*jar = false;
	if (!argv || !argv[0])
		return NULL;
	for (; argv[i] && argv[i][0] == '-'; i++) {
		const char *a = argv[i], *next = argv[i + 1];
		bool has = next && next[0] != '-';

		if (is(a, "-jar")) {
			jar_mode = true;
		} else if (is(a, "-m") || is(a, "--module")) {
			if (!has)
				return NULL; /* java fails */
			module = true;
			break;
		} else if (starts(a, "--module=")) {
			module = true;
			break;
		} else if (is(a, "-cp") || is(a, "-classpath") || is(a, "--class-path")) {
			if (!has)
				return NULL;
			cp = argv[++i];
		} else if (starts(a, "--class-path=")) {
			cp = a + strlen("--class-path=");
		} else if (starts(a, "-Djava.class.path=")) {
			cp = a + strlen("-Djava.class.path=");
		} else if (takes_value(a) && has) {
			i++;
		}
	}
	if (jar_mode) {
		if (module || !argv[i])
			return NULL;
		*jar = true;
		return argv[i];
	}
	/* With a main module, an empty class path is none (ClassLoaders). */
	if (module)
		return cp && *cp ? cp : NULL;
	if (!argv[i])
		return NULL; /* no main class: java prints its usage */
	return cp ? cp : ".";
}

/* ---- jars ---- */

static bool read_at(int fd, void *buf, size_t len, uint64_t off)
{
	return off <= (uint64_t)INT64_MAX - len && stsenv_pread_all(fd, buf, len, off);
}

static bool sig_at(int fd, uint64_t off, uint32_t sig)
{
	unsigned char b[4];

	return read_at(fd, b, sizeof(b), off) && le32(b) == sig;
}

struct cen {
	uint64_t pos, len;
};

/* Finds the central directory as java.util.zip does: the END record from
 * the end, ZIP64's if its locator precedes END; the directory ends where
 * that record starts, so that a stub prepended to the zip (a launch
 * script) does not matter. */
static bool find_cen(int fd, uint64_t size, unsigned char *buf, struct cen *cen)
{
	size_t tail = size < END_SEARCH ? (size_t)size : END_SEARCH;
	uint64_t base = size - tail;

	if (tail < END_LEN || !read_at(fd, buf, tail, base))
		return false;
	for (size_t i = tail - END_LEN + 1; i-- > 0;) {
		const unsigned char *e = buf + i;
		uint64_t endpos = base + i, len = le32(e + 12), off = le32(e + 16);
		uint64_t count = le16(e + 10);
		unsigned char l[LOC64_LEN], z[END64_LEN];

		if (le32(e) != END_SIG)
			continue;
		/* A comment of another length: padding after the zip, or
		 * bytes that only look like END; then the directory proves it. */
		if (i + END_LEN + le16(e + 20) != tail &&
		    (len > endpos || !sig_at(fd, endpos - len, CEN_SIG)))
			continue;
		if (endpos >= LOC64_LEN && read_at(fd, l, sizeof(l), endpos - LOC64_LEN) &&
		    le32(l) == LOC64_SIG && read_at(fd, z, sizeof(z), le64(l + 8)) &&
		    le32(z) == END64_SIG && (le64(z + 40) == len || len == 0xffffffffu) &&
		    (le64(z + 48) == off || off == 0xffffffffu) &&
		    (le64(z + 32) == count || count == 0xffff)) {
			len = le64(z + 40);
			endpos = le64(l + 8);
		}
		if (len > endpos || len > MAX_CEN)
			return false;
		cen->pos = endpos - len;
		cen->len = len;
		return true;
	}
	return false;
}

/* True if the entry name is the SDK's package (at the top, or under a
 * prefix: BOOT-INF/classes/, WEB-INF/classes/, META-INF/versions/N/, a
 * relocated copy) or a nested jar of the SDK (BOOT-INF/lib/...). */
static bool sdk_name(const char *name, size_t n)
{
	const size_t plen = strlen(SDK_PACKAGE), jlen = strlen(SDK_JAR);
	size_t base = 0; /* where the last path segment starts */

	for (size_t i = 0; i < n; i++) {
		if (i > 0 && name[i - 1] != '/')
			continue;
		if (n - i >= plen && memcmp(name + i, SDK_PACKAGE, plen) == 0)
			return true;
		base = i;
	}
	return n - base >= jlen + 4 && memcmp(name + base, SDK_JAR, jlen) == 0 &&
	       memcmp(name + n - 4, ".jar", 4) == 0;
}

/* Walks the central directory, BUF bytes at a time, reading only names. */
static bool cen_has_sdk(int fd, const struct cen *cen, unsigned char *buf)
{
	uint64_t pos = cen->pos, end = cen->pos + cen->len; /* file offset of buf[0], and the end */
	size_t have = 0, at = 0;

	for (unsigned n = 0; n < MAX_CEN_ENTRIES; n++) {
		size_t need = CEN_LEN, name, skip;

		for (int pass = 0; pass < 2; pass++) {
			if (have - at < need) {
				/* Refill: keep what is left, read up to BUF. */
				size_t left = have - at;
				uint64_t from = pos + have, want = BUF - left;

				memmove(buf, buf + at, left);
				pos += at;
				have = left;
				at = 0;
				if (want > end - from)
					want = end - from;
				if (have + want < need ||
				    !read_at(fd, buf + have, (size_t)want, from))
					return false;
				have += (size_t)want;
			}
			if (pass == 0) {
				if (le32(buf + at) != CEN_SIG)
					return false;
				need = CEN_LEN + le16(buf + at + 28);
			}
		}
		name = le16(buf + at + 28);
		if (sdk_name((const char *)buf + at + CEN_LEN, name))
			return true;
		skip = CEN_LEN + name + le16(buf + at + 30) + le16(buf + at + 32);
		if (skip <= have - at) {
			at += skip;
		} else {
			pos += at + skip;
			have = at = 0;
		}
		if (pos + at >= end)
			return false;
	}
	return false;
}

bool stsenv_jar_has_sdk(const char *path)
{
	int saved = errno, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	unsigned char *buf = NULL;
	struct stat st;
	struct cen cen;
	bool found = false;

	if (fd < 0)
		goto out;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (buf = malloc(BUF)) &&
	    find_cen(fd, (uint64_t)st.st_size, buf, &cen))
		found = cen_has_sdk(fd, &cen, buf);
	free(buf);
	close(fd);
out:
	errno = saved;
	return found;
}

/* ---- class-path entries ---- */

struct budget {
	unsigned jars;
};

static bool entry_has_sdk(const char *path, struct budget *b)
{
	char sub[PATH_MAX];
	struct stat st;

	if (stat(path, &st) != 0)
		return false;
	if (S_ISDIR(st.st_mode))
		return (size_t)snprintf(sub, sizeof(sub), "%s/com/aliyun/credentials", path) <
			       sizeof(sub) &&
		       stat(sub, &st) == 0 && S_ISDIR(st.st_mode);
	if (!S_ISREG(st.st_mode) || b->jars >= MAX_JARS)
		return false;
	b->jars++;
	return stsenv_jar_has_sdk(path);
}

static bool jar_name(const char *name)
{
	size_t n = strlen(name);

	return n >= 4 && (strcmp(name + n - 4, ".jar") == 0 || strcmp(name + n - 4, ".JAR") == 0);
}

/* A wildcard entry (a directory, a slash, a star): the jars in the
 * directory, as the launcher expands them. */
static bool wildcard_has_sdk(const char *dir, struct budget *b)
{
	char path[PATH_MAX];
	DIR *d = opendir(dir);
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	for (unsigned n = 0; !found && n < MAX_DIRENTS && (de = readdir(d)) != NULL; n++)
		if (jar_name(de->d_name) &&
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < sizeof(path))
			found = entry_has_sdk(path, b);
	closedir(d);
	return found;
}

bool stsenv_classpath_has_sdk(const char *cp)
{
	int saved = errno;
	struct budget b = {0};
	char entry[PATH_MAX];
	bool found = false;

	for (unsigned n = 0; cp && !found && n < MAX_ENTRIES; n++) {
		const char *colon = strchr(cp, ':');
		size_t len = colon ? (size_t)(colon - cp) : strlen(cp);

		if (len < sizeof(entry)) {
			memcpy(entry, cp, len);
			entry[len] = 0;
			if (len == 0) {
				found = entry_has_sdk(".", &b);
			} else if (is(entry, "*")) {
				found = wildcard_has_sdk(".", &b);
			} else if (len >= 2 && entry[len - 2] == '/' && entry[len - 1] == '*') {
				entry[len - 2] = 0;
				found = wildcard_has_sdk(len == 2 ? "/" : entry, &b);
			} else {
				found = entry_has_sdk(entry, &b);
			}
		}
		cp = colon ? colon + 1 : NULL;
	}
	errno = saved;
	return found;
}

bool stsenv_jvm_has_sdk_chain(char *const argv[], const char *classpath_env)
{
	int saved = errno;
	bool jar, found = false;
	const char *cp = stsenv_jvm_classpath(argv, classpath_env, &jar);

	if (cp)
		found = jar ? stsenv_jar_has_sdk(cp) : stsenv_classpath_has_sdk(cp);
	errno = saved;
	return found;
}
