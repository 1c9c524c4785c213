/* Replays the fuzzing corpora through the fuzz harnesses, without libFuzzer:
 * every file of fuzz/corpus/<name>/ (the seeds) and fuzz/regress/<name>/
 * (inputs that once crashed or broke an invariant) goes through harness
 * fuzz/fuzz_<name>.c, whose invariants are checked here like any CHECK.
 * So a fixed crash stays fixed in `make test`, under ASan+UBSan too.
 *
 * The fuzz/ directory is found from the working directory (the repo root,
 * where tests run), else from STSENV_FUZZ_DIR, else upwards from this
 * binary (build/tests/ or build/asan/tests/). */
#define STSENV_FUZZ_REPLAY 1

#define LLVMFuzzerTestOneInput fuzz_credjson_one
#include "../../fuzz/fuzz_credjson.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_http_one
#include "../../fuzz/fuzz_http.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_profile_one
#include "../../fuzz/fuzz_profile.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_vars_one
#include "../../fuzz/fuzz_vars.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_page_one
#include "../../fuzz/fuzz_page.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_sts_one
#include "../../fuzz/fuzz_sts.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_httpreq_one
#include "../../fuzz/fuzz_httpreq.c"
#undef LLVMFuzzerTestOneInput

#include "unit.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *current_input; /* for the message of a broken invariant */

static void fuzz_replay_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "  %s:%d: invariant broken on %s: %s\n", file, line,
		current_input ? current_input : "?", what);
	unit_failed_checks++;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The fuzz/ directory, or NULL. */
static const char *fuzz_dir(void)
{
	static char dir[PATH_MAX];
	char probe[PATH_MAX + 16], *slash;
	const char *env = getenv("STSENV_FUZZ_DIR");
	ssize_t n;

	if (is_dir("fuzz/corpus"))
		return "fuzz";
	if (env && *env) {
		snprintf(probe, sizeof(probe), "%s/corpus", env);
		if (is_dir(probe))
			return env;
	}
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0)
		return NULL;
	dir[n] = '\0';
	for (int up = 0; up < 6 && (slash = strrchr(dir, '/')); up++) {
		*slash = '\0';
		snprintf(probe, sizeof(probe), "%s/fuzz/corpus", dir);
		if (is_dir(probe)) {
			strcat(dir, "/fuzz");
			return dir;
		}
	}
	return NULL;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every file of dir through one; returns how many, -1 if dir is
 * missing.  Files starting with '.' (.keep) are not inputs. */
static int replay_dir(const char *dir, int (*one)(const uint8_t *, size_t))
{
	char *names[4096], path[PATH_MAX];
	struct dirent *e;
	int count = 0, n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return -1;
	while ((e = readdir(d)) && n < (int)(sizeof(names) / sizeof(names[0])))
		if (e->d_name[0] != '.')
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), cmp_names);
	for (int i = 0; i < n; i++) {
		FILE *f;
		long size;
		uint8_t *buf = NULL;

		f = snprintf(path, sizeof(path), "%s/%s", dir, names[i]) < (int)sizeof(path)
			    ? fopen(path, "rb")
			    : NULL;
		CHECK(f != NULL);
		if (f && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
		    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)size + 1)) &&
		    fread(buf, 1, (size_t)size, f) == (size_t)size) {
			/* An exact-size copy: ASan sees a read past the end. */
			uint8_t *exact = malloc(size ? (size_t)size : 1);

			memcpy(exact, buf, (size_t)size);
			current_input = path;
			CHECK(one(exact, (size_t)size) == 0);
			current_input = NULL;
			free(exact);
			count++;
		} else {
			fprintf(stderr, "  cannot read %s\n", path);
			CHECK(0);
		}
		free(buf);
		if (f)
			fclose(f);
		free(names[i]);
	}
	return count;
}

static void replay(const char *name, int (*one)(const uint8_t *, size_t))
{
	const char *dir = fuzz_dir();
	char path[PATH_MAX];
	int seeds, regress;

	CHECK(dir != NULL);
	if (!dir) {
		fprintf(stderr, "  fuzz/ not found (run from the repo root)\n");
		return;
	}
	seeds = snprintf(path, sizeof(path), "%s/corpus/%s", dir, name) < (int)sizeof(path)
			? replay_dir(path, one)
			: -1;
	CHECK(seeds > 0); /* a missing or empty corpus is a mistake */
	regress = snprintf(path, sizeof(path), "%s/regress/%s", dir, name) < (int)sizeof(path)
			  ? replay_dir(path, one)
			  : -1;
	CHECK(regress >= 0);
	fprintf(stderr, "  %s: %d seeds, %d regressions replayed\n", name, seeds,
		regress < 0 ? 0 : regress);
}

static void test_fuzz_corpus_credjson(void)
{
	replay("credjson", fuzz_credjson_one);
}

static void test_fuzz_corpus_http(void)
{
	replay("http", fuzz_http_one);
}

static void test_fuzz_corpus_profile(void)
{
	replay("profile", fuzz_profile_one);
}

static void test_fuzz_corpus_vars(void)
{
	replay("vars", fuzz_vars_one);
}

static void test_fuzz_corpus_page(void)
{
	replay("page", fuzz_page_one);
}

static void test_fuzz_corpus_sts(void)
{
	replay("sts", fuzz_sts_one);
}

static void test_fuzz_corpus_httpreq(void)
{
	replay("httpreq", fuzz_httpreq_one);
}

int main(void)
{
	RUN(test_fuzz_corpus_credjson);
	RUN(test_fuzz_corpus_http);
	RUN(test_fuzz_corpus_profile);
	RUN(test_fuzz_corpus_vars);
	RUN(test_fuzz_corpus_sts);
	RUN(test_fuzz_corpus_page);
	RUN(test_fuzz_corpus_httpreq);
	UNIT_EXIT();
}
