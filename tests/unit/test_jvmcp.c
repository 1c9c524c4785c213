/* The JVM's class path (jvmcp.c): the java launcher's options, class-path
 * entries of every kind, and zip files written here byte by byte (stored
 * entries, ZIP64, a launch-script stub, broken ones). */
#include "../../core/jvmcp.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[256];
static char cwd[512];

/* ---- writing zip files ---- */

struct zip {
	unsigned char *b;
	size_t len, cap;
	size_t cen_at[8192];
	uint32_t crc[8192];
};

enum {
	ZIP_PLAIN = 0,
	ZIP_ZIP64 = 1,	      /* ZIP64 end record and locator, END saturated */
	ZIP_STUB = 2,	      /* a launch script before the zip; offsets from the zip */
	ZIP_FAKE_END = 4,     /* a comment holding bytes that look like END */
	ZIP_BIG_COMMENTS = 8, /* each central entry with a 60000-byte comment */
	ZIP_BAD_LOCATOR = 16, /* ZIP64 locator pointing at garbage */
};

static void need(struct zip *z, size_t n)
{
	if (z->len + n > z->cap) {
		z->cap = (z->len + n) * 2;
		z->b = realloc(z->b, z->cap);
	}
}

static void u8(struct zip *z, unsigned v)
{
	need(z, 1);
	z->b[z->len++] = (unsigned char)v;
}

static void le(struct zip *z, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		u8(z, (unsigned)(v >> (8 * i)) & 0xff);
}

static void bytes(struct zip *z, const void *p, size_t n)
{
	need(z, n);
	memcpy(z->b + z->len, p, n);
	z->len += n;
}

static uint32_t crc32(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= b[i];
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
	}
	return ~c;
}

/* Writes a zip of stored entries, each holding its own name as data. */
static const char *write_zip(const char *file, const char *const *names, size_t n, int flags)
{
	static char path[512];
	static struct zip z;
	size_t base = 0, cen, cenlen, end64;
	FILE *f;

	free(z.b);
	memset(&z, 0, sizeof(z));
	if (flags & ZIP_STUB) {
		static const char stub[] = "#!/bin/sh\nexec java -jar \"$0\" \"$@\"\n";
		bytes(&z, stub, sizeof(stub) - 1);
		base = z.len;
	}
	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(names[i]);
		uint32_t crc = crc32(names[i], nl);

		z.cen_at[i] = z.len - base;
		z.crc[i] = crc;
		le(&z, 0x04034b50, 4);
		le(&z, 20, 2);
		le(&z, 0, 2);
		le(&z, 0, 2);
		le(&z, 0, 4);
		le(&z, crc, 4);
		le(&z, nl, 4);
		le(&z, nl, 4);
		le(&z, nl, 2);
		le(&z, 0, 2);
		bytes(&z, names[i], nl);
		bytes(&z, names[i], nl);
	}
	cen = z.len;
	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(names[i]), cl = flags & ZIP_BIG_COMMENTS ? 60000 : 0;

		le(&z, 0x02014b50, 4);
		le(&z, flags & ZIP_ZIP64 ? 45 : 20, 2);
		le(&z, 20, 2);
		le(&z, 0, 2);
		le(&z, 0, 2);
		le(&z, 0, 4);
		le(&z, z.crc[i], 4);
		le(&z, nl, 4);
		le(&z, nl, 4);
		le(&z, nl, 2);
		le(&z, 0, 2);
		le(&z, cl, 2);
		le(&z, 0, 2);
		le(&z, 0, 2);
		le(&z, 0, 4);
		le(&z, z.cen_at[i], 4);
		bytes(&z, names[i], nl);
		need(&z, cl);
		memset(z.b + z.len, 'c', cl);
		z.len += cl;
	}
	cenlen = z.len - cen;
	if (flags & (ZIP_ZIP64 | ZIP_BAD_LOCATOR)) {
		end64 = z.len - base;
		le(&z, 0x06064b50, 4);
		le(&z, 44, 8);
		le(&z, 45, 2);
		le(&z, 45, 2);
		le(&z, 0, 4);
		le(&z, 0, 4);
		le(&z, n, 8);
		le(&z, n, 8);
		le(&z, cenlen, 8);
		le(&z, cen - base, 8);
		le(&z, 0x07064b50, 4);
		le(&z, 0, 4);
		/* From the start of the file, stub or not, as java.util.zip reads it. */
		le(&z, flags & ZIP_BAD_LOCATOR ? 3 : end64 + base, 8);
		le(&z, 1, 4);
	}
	le(&z, 0x06054b50, 4);
	le(&z, 0, 2);
	le(&z, 0, 2);
	if (flags & ZIP_ZIP64) {
		le(&z, 0xffff, 2);
		le(&z, 0xffff, 2);
		le(&z, 0xffffffff, 4);
		le(&z, 0xffffffff, 4);
	} else {
		le(&z, n, 2);
		le(&z, n, 2);
		le(&z, cenlen, 4);
		le(&z, cen - base, 4);
	}
	if (flags & ZIP_FAKE_END) {
		/* An END-like record in the comment, its directory (16 bytes
		 * before it) no directory at all. */
		static const unsigned char fake[22] = {'P', 'K', 5, 6, [12] = 0x10, [20] = 0};
		le(&z, sizeof(fake) + 12, 2);
		bytes(&z, "comment:", 8);
		bytes(&z, fake, sizeof(fake));
		bytes(&z, "end.", 4);
	} else {
		le(&z, 0, 2);
	}

	snprintf(path, sizeof(path), "%s/%s", tmp, file);
	f = fopen(path, "wb");
	if (!f || fwrite(z.b, 1, z.len, f) != z.len || fclose(f) != 0) {
		perror(path);
		return path;
	}
	return path;
}

static const char *write_file(const char *file, const void *data, size_t len)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, file);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		perror(path);
	return path;
}

static void mkdirs(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	for (char *p = path + strlen(tmp) + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			mkdir(path, 0755);
			*p = '/';
		}
	mkdir(path, 0755);
}

/* The SDK's own jar, a fat jar, a shaded jar, and two without it. */
static const char *const sdk_jar[] = {
	"META-INF/MANIFEST.MF",
	"com/",
	"com/aliyun/",
	"com/aliyun/credentials/",
	"com/aliyun/credentials/Client.class",
	"com/aliyun/credentials/provider/DefaultCredentialsProvider.class",
};
static const char *const fat_jar[] = {
	"META-INF/MANIFEST.MF",
	"BOOT-INF/classes/com/example/App.class",
	"BOOT-INF/lib/tea-1.2.0.jar",
	"BOOT-INF/lib/credentials-java-0.3.12.jar",
	"org/springframework/boot/loader/JarLauncher.class",
};
static const char *const war[] = {
	"WEB-INF/web.xml",
	"WEB-INF/lib/credentials-java-1.0.0.jar",
};
static const char *const shaded_jar[] = {
	"META-INF/MANIFEST.MF",
	"com/example/App.class",
	"com/aliyun/credentials/Client.class",
};
static const char *const relocated_jar[] = {
	"com/example/App.class",
	"com/example/shaded/com/aliyun/credentials/Client.class",
};
static const char *const plain_jar[] = {
	"META-INF/MANIFEST.MF",
	"com/example/App.class",
	"com/aliyun/oss/OSSClient.class",
	"com/aliyun/credentialsx/Fake.class",
	"BOOT-INF/lib/credentials-javax.txt",
	"BOOT-INF/lib/my-credentials-java-1.0.jar",
	"META-INF/maven/com.aliyun/credentials-java/pom.xml",
	"com/aliyun/credentials",
};

#define N(a) (sizeof(a) / sizeof(a[0]))

static void fixtures(void)
{
	write_zip("sdk.jar", sdk_jar, N(sdk_jar), ZIP_PLAIN);
	write_zip("fat.jar", fat_jar, N(fat_jar), ZIP_PLAIN);
	write_zip("app.war", war, N(war), ZIP_PLAIN);
	write_zip("shaded.jar", shaded_jar, N(shaded_jar), ZIP_PLAIN);
	write_zip("relocated.jar", relocated_jar, N(relocated_jar), ZIP_PLAIN);
	write_zip("plain.jar", plain_jar, N(plain_jar), ZIP_PLAIN);
	write_zip("other.jar", plain_jar, 2, ZIP_PLAIN);
	write_file("notzip.jar", "#!/bin/sh\necho not a zip\n", 25);
	write_file("empty.jar", "", 0);
	mkdirs("classes/com/aliyun/credentials");
	write_file("classes/com/aliyun/credentials/Client.class", "\xca\xfe\xba\xbe", 4);
	mkdirs("classes-plain/com/aliyun/oss");
	mkdirs("classes-file/com/aliyun");
	write_file("classes-file/com/aliyun/credentials", "x", 1);
	mkdirs("lib");
	write_zip("lib/a.jar", plain_jar, N(plain_jar), ZIP_PLAIN);
	write_zip("lib/credentials-java-0.3.12.JAR", sdk_jar, N(sdk_jar), ZIP_PLAIN);
	mkdirs("lib-plain");
	write_zip("lib-plain/a.jar", plain_jar, N(plain_jar), ZIP_PLAIN);
	write_zip("lib-plain/sdk.zip", sdk_jar, N(sdk_jar), ZIP_PLAIN); /* not *.jar */
	write_zip("lib-plain/sdk.jar.bak", sdk_jar, N(sdk_jar), ZIP_PLAIN);
	mkdirs("lib-plain/sub");
	write_zip("lib-plain/sub/sdk.jar", sdk_jar, N(sdk_jar), ZIP_PLAIN); /* not recursive */
	mkdirs("cwd");
	write_zip("cwd/x.jar", sdk_jar, N(sdk_jar), ZIP_PLAIN);
}

/* ---- calling it ---- */

/* The verdict for "java ARGS..." (a NULL-terminated list), CLASSPATH
 * being env; checks that errno stays as it was. */
static bool java(const char *env, ...)
{
	char *argv[32];
	int n = 0;
	bool r;
	va_list ap;

	argv[n++] = "java";
	va_start(ap, env);
	while ((argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	errno = EXDEV;
	r = stsenv_jvm_has_sdk_chain(argv, env);
	CHECK(errno == EXDEV);
	return r;
}

#define J(...) java(__VA_ARGS__, (char *)NULL)

static const char *cp_of(const char *env, bool *jar, char **argv)
{
	return stsenv_jvm_classpath(argv, env, jar);
}

/* ---- tests ---- */

static void test_classpath_options(void)
{
	bool jar;
	char *a1[] = {"java", "-cp", "a:b", "Main", NULL};
	char *a2[] = {"java", "-cp", "a", "-classpath", "b", "--class-path=c", "Main", NULL};
	char *a3[] = {"java", "-jar", "app.jar", "-cp", "x", NULL};
	char *a4[] = {"java", "-cp", "a", "-jar", "-Xmx1g", "app.jar", NULL};
	char *a5[] = {"java",
		      "-Dx=y",
		      "-Xmx1g",
		      "-ea",
		      "--add-opens",
		      "java.base/java.lang=ALL-UNNAMED",
		      "-p",
		      "mods",
		      "--add-modules",
		      "ALL-SYSTEM",
		      "--class-path",
		      "c",
		      "Main",
		      NULL};
	char *a6[] = {"java", "Main", "-cp", "x", NULL};
	char *a7[] = {"java", "-cp", "a", "-m", "app/com.example.Main", "-cp", "x", NULL};
	char *a8[] = {"java", "-m", "app", NULL};
	char *a9[] = {"java", "--module=app/Main", NULL};
	char *a10[] = {"java", "-cp", NULL};
	char *a11[] = {"java", "-cp", "-Dx=y", "Main", NULL};
	char *a12[] = {"java", "-version", NULL};
	char *a13[] = {"java", "-Djava.class.path=d", "Main", NULL};
	char *a14[] = {"java", "@argfile", "-cp", "x", "Main", NULL};
	char *a15[] = {"java", "--source", "11", "-cp", "s", "Hello.java", NULL};
	char *a16[] = {"java", "-jar", NULL};
	char *a17[] = {"java", "-cp", "", "Main", NULL};
	char *a18[] = {"java", NULL};
	char *a19[] = {"java", "--add-opens", "-cp", "a", "Main", NULL};

	CHECK_STR(cp_of(NULL, &jar, a1), "a:b");
	CHECK(!jar);
	CHECK_STR(cp_of("env", &jar, a1), "a:b");
	CHECK_STR(cp_of(NULL, &jar, a2), "c");
	CHECK_STR(cp_of("env", &jar, a3), "app.jar");
	CHECK(jar);
	CHECK_STR(cp_of(NULL, &jar, a4), "app.jar");
	CHECK(jar);
	CHECK_STR(cp_of(NULL, &jar, a5), "c");
	CHECK(!jar);
	CHECK_STR(cp_of(NULL, &jar, a6), ".");
	CHECK_STR(cp_of("env", &jar, a6), "env");
	CHECK_STR(cp_of(NULL, &jar, a7), "a");
	CHECK(cp_of(NULL, &jar, a8) == NULL);
	CHECK(cp_of("", &jar, a8) == NULL);
	CHECK_STR(cp_of("env", &jar, a8), "env");
	CHECK(cp_of(NULL, &jar, a9) == NULL);
	CHECK(cp_of(NULL, &jar, a10) == NULL);
	CHECK(cp_of(NULL, &jar, a11) == NULL);
	CHECK(cp_of("env", &jar, a12) == NULL);
	CHECK_STR(cp_of(NULL, &jar, a13), "d");
	CHECK_STR(cp_of("env", &jar, a14), "env");
	CHECK_STR(cp_of(NULL, &jar, a15), "s");
	CHECK(cp_of(NULL, &jar, a16) == NULL);
	CHECK_STR(cp_of(NULL, &jar, a17), "");
	CHECK(cp_of(NULL, &jar, a18) == NULL);
	CHECK(stsenv_jvm_classpath(NULL, "env", &jar) == NULL);
	/* An option's value never starts with '-': --add-opens has none here. */
	CHECK_STR(cp_of(NULL, &jar, a19), "a");
}

static void test_verdicts(void)
{
	/* -cp and its spellings, the SDK among others. */
	CHECK(J(NULL, "-cp", "other.jar:sdk.jar:plain.jar", "com.example.Main"));
	CHECK(J(NULL, "-classpath", "sdk.jar", "Main"));
	CHECK(J(NULL, "--class-path=plain.jar:sdk.jar", "Main"));
	CHECK(J(NULL, "--class-path", "sdk.jar", "Main"));
	CHECK(!J(NULL, "-cp", "other.jar:plain.jar", "Main"));
	CHECK(!J(NULL, "-cp", "plain.jar", "-cp", "other.jar", "Main"));
	CHECK(J(NULL, "-cp", "plain.jar", "-cp", "sdk.jar", "Main"));
	CHECK(!J(NULL, "-cp", "sdk.jar", "-cp", "plain.jar", "Main"));

	/* -jar: fat, war-style, shaded, relocated; -cp and CLASSPATH ignored. */
	CHECK(J(NULL, "-jar", "fat.jar"));
	CHECK(J(NULL, "-Xmx1g", "-jar", "fat.jar", "--server.port=8080"));
	CHECK(J(NULL, "-jar", "app.war"));
	CHECK(J(NULL, "-jar", "shaded.jar"));
	CHECK(J(NULL, "-jar", "relocated.jar"));
	CHECK(!J(NULL, "-jar", "plain.jar"));
	CHECK(!J("sdk.jar", "-jar", "plain.jar"));
	CHECK(!J(NULL, "-cp", "sdk.jar", "-jar", "plain.jar"));
	CHECK(!J(NULL, "-jar", "plain.jar", "-cp", "sdk.jar"));
	CHECK(!J(NULL, "-jar", "missing.jar"));
	CHECK(!J(NULL, "-jar", "notzip.jar"));
	CHECK(!J(NULL, "-jar", "empty.jar"));
	CHECK(!J(NULL, "-jar", "classes"));

	/* CLASSPATH, when no option names a class path. */
	CHECK(J("sdk.jar", "Main"));
	CHECK(J("plain.jar:sdk.jar", "-Dx=y", "Main"));
	CHECK(!J("sdk.jar", "-cp", "plain.jar", "Main"));
	CHECK(!J("plain.jar", "Main"));
	CHECK(!J("sdk.jar")); /* no main class: java prints its usage */

	/* Directories, wildcards. */
	CHECK(J(NULL, "-cp", "classes", "Main"));
	CHECK(J(NULL, "-cp", "classes/", "Main"));
	CHECK(!J(NULL, "-cp", "classes-plain:classes-file", "Main"));
	CHECK(J(NULL, "-cp", "plain.jar:lib/*", "Main"));
	CHECK(!J(NULL, "-cp", "lib-plain/*", "Main"));
	CHECK(!J(NULL, "-cp", "lib-plain", "Main"));
	CHECK(!J(NULL, "-cp", "lib/*.jar", "Main")); /* not a wildcard: no such file */
	CHECK(!J(NULL, "-cp", "missing/*", "Main"));
	CHECK(J("lib/*", "Main"));

	/* Options with values before the main class. */
	CHECK(J(NULL, "-Dx=y", "--add-opens", "java.base/java.lang=ALL-UNNAMED", "-cp", "sdk.jar",
		"Main"));
	CHECK(J(NULL, "--add-modules", "ALL-SYSTEM", "-p", "mods", "--add-exports", "a/b=c",
		"--add-reads", "a=b", "--patch-module", "m=p", "--upgrade-module-path", "u",
		"--limit-modules", "l", "--module-path", "mp", "-cp", "sdk.jar", "Main"));
	CHECK(J(NULL, "-cp", "sdk.jar", "-m", "app/com.example.Main"));
	CHECK(J(NULL, "-cp", "sdk.jar", "--module", "app"));
	CHECK(J(NULL, "-cp", "sdk.jar", "--module=app"));
	CHECK(J("sdk.jar", "-p", "mods", "-m", "app"));
	CHECK(!J(NULL, "-p", "mods", "-m", "app"));
	CHECK(!J(NULL, "-cp", "plain.jar", "-m", "app/Main", "-cp", "sdk.jar"));
	CHECK(J(NULL, "-Djava.class.path=sdk.jar", "Main"));
	CHECK(J(NULL, "--source", "11", "-cp", "sdk.jar", "Hello.java"));

	/* A class path after the main class is the application's. */
	CHECK(!J(NULL, "Main", "-cp", "sdk.jar"));
	CHECK(!J(NULL, "-cp", "plain.jar", "Main", "-cp", "sdk.jar"));
	CHECK(!J(NULL, "-Dx=y", "Main", "-jar", "fat.jar"));
	/* @argfiles are not read: the first one ends the options. */
	CHECK(!J(NULL, "@args", "-cp", "sdk.jar", "Main"));

	/* Missing values: java fails, and so does the verdict. */
	CHECK(!J(NULL, "-cp"));
	CHECK(!J(NULL, "-jar"));
	CHECK(!J(NULL, "-m"));
	CHECK(!J("sdk.jar", "-cp", "-Dx", "Main"));
	CHECK(!stsenv_jvm_has_sdk_chain(NULL, "sdk.jar"));
	{
		char *only[] = {NULL};
		CHECK(!stsenv_jvm_has_sdk_chain(only, "sdk.jar"));
	}
}

static void test_default_dot(void)
{
	char here[512];

	/* The class path "." (the default, an empty entry, "*") is the
	 * current directory. */
	snprintf(here, sizeof(here), "%s/classes", tmp);
	CHECK(chdir(here) == 0);
	CHECK(J(NULL, "Main"));
	CHECK(J(NULL, "-cp", "", "Main"));
	CHECK(J(NULL, "-cp", "../plain.jar:", "Main"));
	CHECK(J(NULL, "-cp", "../plain.jar::../other.jar", "Main"));
	CHECK(J("", "Main"));
	CHECK(!J(NULL, "-cp", "../plain.jar", "Main"));
	snprintf(here, sizeof(here), "%s/cwd", tmp);
	CHECK(chdir(here) == 0);
	CHECK(!J(NULL, "Main"));
	CHECK(J(NULL, "-cp", "*", "Main"));
	CHECK(J(NULL, "-cp", "x.jar", "Main"));
	CHECK(chdir(tmp) == 0);
	CHECK(!J(NULL, "Main"));
	/* Absolute paths, and the root's wildcard. */
	snprintf(here, sizeof(here), "%s/sdk.jar", tmp);
	CHECK(J(NULL, "-cp", here, "Main"));
	CHECK(!J(NULL, "-cp", "/*", "Main"));
}

static void test_zip_formats(void)
{
	static const char *many[6000];
	static char names[6000][64];
	char *cut;
	FILE *f;
	long size;
	int bad = 0;

	CHECK(stsenv_jar_has_sdk(write_zip("z64.jar", sdk_jar, N(sdk_jar), ZIP_ZIP64)));
	CHECK(!stsenv_jar_has_sdk(write_zip("z64p.jar", plain_jar, N(plain_jar), ZIP_ZIP64)));
	CHECK(stsenv_jar_has_sdk(write_zip("stub.jar", fat_jar, N(fat_jar), ZIP_STUB)));
	CHECK(stsenv_jar_has_sdk(
		write_zip("stub64.jar", fat_jar, N(fat_jar), ZIP_STUB | ZIP_ZIP64)));
	CHECK(stsenv_jar_has_sdk(write_zip("fake.jar", sdk_jar, N(sdk_jar), ZIP_FAKE_END)));
	CHECK(stsenv_jar_has_sdk(write_zip("big.jar", sdk_jar, N(sdk_jar), ZIP_BIG_COMMENTS)));
	/* A locator to nowhere: the directory is not just before END, which
	 * is where java.util.zip looks for it too. */
	CHECK(!stsenv_jar_has_sdk(write_zip("badloc.jar", sdk_jar, N(sdk_jar), ZIP_BAD_LOCATOR)));
	CHECK(!stsenv_jar_has_sdk(
		write_zip("badloc64.jar", sdk_jar, N(sdk_jar), ZIP_BAD_LOCATOR | ZIP_ZIP64)));

	/* Thousands of entries, the SDK last: the directory is read in pieces. */
	for (int i = 0; i < 6000; i++) {
		snprintf(names[i], sizeof(names[i]), "com/example/pkg%04d/Class%04d.class", i, i);
		many[i] = names[i];
	}
	many[5999] = "com/aliyun/credentials/Client.class";
	CHECK(stsenv_jar_has_sdk(write_zip("many.jar", many, 6000, ZIP_PLAIN)));
	CHECK(stsenv_jar_has_sdk(write_zip("many64.jar", many, 6000, ZIP_ZIP64)));
	CHECK(!stsenv_jar_has_sdk(write_zip("many-plain.jar", many, 5999, ZIP_PLAIN)));
	many[5999] = "BOOT-INF/lib/credentials-java-0.3.12.jar";
	CHECK(stsenv_jar_has_sdk(write_zip("many.jar", many, 6000, ZIP_PLAIN)));

	/* Truncated anywhere: never found (END is gone, or points past). */
	write_zip("whole.jar", sdk_jar, N(sdk_jar), ZIP_PLAIN);
	{
		char path[512];
		snprintf(path, sizeof(path), "%s/whole.jar", tmp);
		f = fopen(path, "rb");
		fseek(f, 0, SEEK_END);
		size = ftell(f);
		rewind(f);
		cut = malloc((size_t)size);
		CHECK(fread(cut, 1, (size_t)size, f) == (size_t)size);
		fclose(f);
	}
	for (long n = 0; n < size; n++)
		if (stsenv_jar_has_sdk(write_file("cut.jar", cut, (size_t)n))) {
			fprintf(stderr, "    found when cut at %ld of %ld\n", n, size);
			bad++;
		}
	CHECK(bad == 0);
	/* The directory's offset and size, and a name's length, out of bounds. */
	{
		unsigned char *b = (unsigned char *)cut;
		long end = size - 22;

		memcpy(b + end + 12, "\xff\xff\xff\x00", 4);
		CHECK(!stsenv_jar_has_sdk(write_file("bad.jar", b, (size_t)size)));
		memcpy(b + end + 12, "\x08\x00\x00\x00", 4);
		CHECK(!stsenv_jar_has_sdk(write_file("bad.jar", b, (size_t)size)));
	}
	free(cut);
	write_zip("whole.jar", sdk_jar, 1, ZIP_PLAIN);
	{
		char path[512];
		unsigned char b[4096];
		size_t n;

		snprintf(path, sizeof(path), "%s/whole.jar", tmp);
		f = fopen(path, "rb");
		n = fread(b, 1, sizeof(b), f);
		fclose(f);
		/* The one central entry's name length, past the directory. */
		for (size_t i = 0; i + 4 < n; i++)
			if (memcmp(b + i, "PK\1\2", 4) == 0) {
				b[i + 28] = 0xff;
				b[i + 29] = 0x7f;
			}
		CHECK(!stsenv_jar_has_sdk(write_file("bad.jar", b, n)));
	}
	CHECK(!stsenv_jar_has_sdk(write_file("bad.jar", "PK\5\6", 4)));
	CHECK(!stsenv_jar_has_sdk("/nonexistent/x.jar"));
	CHECK(!stsenv_jar_has_sdk(tmp));
	/* A FIFO named like a jar: never blocks, never counts. */
	{
		char path[512];
		snprintf(path, sizeof(path), "%s/lib-plain/fifo.jar", tmp);
		CHECK(mkfifo(path, 0600) == 0);
		CHECK(!stsenv_jar_has_sdk(path));
		CHECK(!J(NULL, "-cp", "lib-plain/*", "Main"));
		CHECK(!J(NULL, "-jar", "lib-plain/fifo.jar"));
	}
}

static void test_bounds(void)
{
	static char cp[8192];
	size_t n = 0;
	char path[512];

	/* 255 missing entries, then the SDK: still looked at; one more, not. */
	for (int i = 0; i < 255; i++)
		n += (size_t)snprintf(cp + n, sizeof(cp) - n, "m%d.jar:", i);
	snprintf(cp + n, sizeof(cp) - n, "sdk.jar");
	CHECK(stsenv_classpath_has_sdk(cp));
	snprintf(cp + n, sizeof(cp) - n, "m.jar:sdk.jar");
	CHECK(!stsenv_classpath_has_sdk(cp));
	/* An entry longer than a path can be is skipped, not cut. */
	memset(cp, 'a', 5000);
	snprintf(cp + 5000, sizeof(cp) - 5000, ":sdk.jar");
	CHECK(stsenv_classpath_has_sdk(cp));
	CHECK(!stsenv_classpath_has_sdk(NULL));
	CHECK(!stsenv_classpath_has_sdk("/nonexistent:/nonexistent/*"));
	/* A wildcard directory of more names than are read, all empty jars. */
	snprintf(path, sizeof(path), "%s/crowd", tmp);
	CHECK(mkdir(path, 0755) == 0);
	for (int i = 0; i < 4100; i++) {
		char f[600];
		int fd;
		snprintf(f, sizeof(f), "%s/e%d.jar", path, i);
		fd = open(f, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
	}
	CHECK(!J(NULL, "-cp", "crowd/*", "Main"));
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

	snprintf(tmp, sizeof(tmp), "%s/stsenv-jvmcp-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmp) || !getcwd(cwd, sizeof(cwd)) || chdir(tmp) != 0) {
		perror("mkdtemp");
		return 1;
	}
	fixtures();
	RUN(test_classpath_options);
	RUN(test_verdicts);
	RUN(test_default_dot);
	RUN(test_zip_formats);
	RUN(test_bounds);
	if (chdir(cwd) != 0)
		perror(cwd);
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	UNIT_EXIT();
}
