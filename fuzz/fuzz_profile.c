/* libFuzzer harness: the profile source's readers (the SDKs' INI file and
 * the CLI's config.json), through stsenv_profile_select() and the source
 * its description builds.
 *
 * Input: one selector byte, then the file's text.
 *   bit 0: 0 INI, written to ~/.alibabacloud/credentials; 1 config.json,
 *          written to ~/.aliyun/config.json
 *   bit 1: automatic (as STSENV_SOURCE=auto)
 *   bit 2: an INI file goes to ~/.alibabacloud/credentials.ini instead
 *   other bits: ignored
 * HOME is a private directory made once per run (removed at exit); the
 * injected getenv answers HOME and nothing else, so no profile name, no
 * endpoint and no other setting comes from the environment.  A source that
 * gets built is destroyed without being fetched: nothing leaves the
 * process.
 *
 * Invariants: a source means configured, of a known kind, with a "where"
 * that is a printable line; automatic mode never serves a plain AccessKey;
 * no source means either not configured with a reason, or configured with
 * an error; reasons, errors and wheres hold no control character and never
 * the planted secret, except where config.json names a URI, command, STS
 * endpoint or region, which are shown as they are (redacted). */
#include "fuzz.h"

#include "../core/source.h"
#include "../core/profile.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static char prof_home[256];
static char prof_paths[3][320]; /* credentials, credentials.ini, config.json */

static void prof_cleanup(void)
{
	char dir[320];

	for (int i = 0; i < 3; i++)
		unlink(prof_paths[i]);
	snprintf(dir, sizeof(dir), "%s/.alibabacloud", prof_home);
	rmdir(dir);
	snprintf(dir, sizeof(dir), "%s/.aliyun", prof_home);
	rmdir(dir);
	rmdir(prof_home);
}

static bool prof_setup(void)
{
	static int state; /* 0 not yet, 1 ready, -1 failed */
	const char *tmp = getenv("TMPDIR");
	char dir[320];

	if (state)
		return state > 0;
	state = -1;
	snprintf(prof_home, sizeof(prof_home), "%s/stsenv-fuzz-home.XXXXXX",
		 tmp && *tmp && strlen(tmp) < 200 ? tmp : "/tmp");
	if (!mkdtemp(prof_home)) {
		fprintf(stderr, "fuzz_profile: mkdtemp %s: %s\n", prof_home, strerror(errno));
		return false;
	}
	snprintf(dir, sizeof(dir), "%s/.alibabacloud", prof_home);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/.aliyun", prof_home);
	mkdir(dir, 0700);
	snprintf(prof_paths[0], sizeof(prof_paths[0]), "%s/.alibabacloud/credentials", prof_home);
	snprintf(prof_paths[1], sizeof(prof_paths[1]), "%s/.alibabacloud/credentials.ini",
		 prof_home);
	snprintf(prof_paths[2], sizeof(prof_paths[2]), "%s/.aliyun/config.json", prof_home);
	atexit(prof_cleanup);
	state = 1;
	return true;
}

static char *prof_get(const char *name)
{
	return strcmp(name, "HOME") == 0 ? prof_home : NULL;
}

static bool prof_write(const char *path, const uint8_t *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return false;
	while (len > 0) {
		n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		data += n;
		len -= (size_t)n;
	}
	close(fd);
	return len == 0;
}

/* Whether text (not NUL-terminated) contains the string s. */
static bool prof_contains(const uint8_t *text, size_t len, const char *s)
{
	return memmem(text, len, s, strlen(s)) != NULL;
}

/* A message, reason or where: a terminated, single, clean line. */
static void prof_check_text(const char *s, size_t cap, bool marker_allowed)
{
	FUZZ_CHECK(memchr(s, '\0', cap) != NULL);
	if (!memchr(s, '\0', cap))
		return;
	FUZZ_CHECK(fuzz_no_controls(s));
	if (!marker_allowed)
		FUZZ_CHECK(!fuzz_has_marker(s));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const kinds[] = {"static", "ecs", "oidc", "uri", "process", "role"};
	struct stsenv_source *src = NULL;
	struct stsenv_desc d;
	struct stsenv_err err;
	char why[200];
	bool json, automatic, configured, marker_allowed, known = false;
	int target, rc;

	if (size < 1 || !prof_setup())
		return 0;
	json = data[0] & 1;
	automatic = data[0] & 2;
	target = json ? 2 : (data[0] & 4) ? 1 : 0;
	for (int i = 0; i < 3; i++)
		if (i != target)
			unlink(prof_paths[i]);
	if (!prof_write(prof_paths[target], data + 1, size - 1))
		return 0;
	/* Values config.json shows as they are (in a where, or in the error
	 * that refuses them): the URI, the command, the STS endpoint, a role
	 * ARN and a profile's name. */
	marker_allowed = json && (prof_contains(data, size, "credentials_uri") ||
				  prof_contains(data, size, "process_command") ||
				  prof_contains(data, size, "sts_endpoint") ||
				  prof_contains(data, size, "sts_region") ||
				  prof_contains(data, size, "role_arn") ||
				  prof_contains(data, size, "source_profile"));

	memset(why, 'Z', sizeof(why));
	memset(err.msg, 'Z', sizeof(err.msg));
	rc = stsenv_profile_select(prof_get, automatic, why, sizeof(why), &d, &err);
	configured = rc != 0;
	if (rc > 0) {
		FUZZ_CHECK(memchr(d.label, '\0', sizeof(d.label)) != NULL);
		src = stsenv_source_from_desc(&d, NULL, &err);
		stsenv_desc_clear(&d);
	}
	if (src) {
		FUZZ_CHECK(configured);
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			known |= src->kind && strcmp(src->kind, kinds[i]) == 0;
		FUZZ_CHECK(known);
		prof_check_text(src->where, sizeof(src->where), marker_allowed);
		FUZZ_CHECK(src->fetch != NULL && src->destroy != NULL);
		if (automatic && memchr(src->where, '\0', sizeof(src->where)))
			FUZZ_CHECK(!strstr(src->where, "(AccessKey "));
		stsenv_source_destroy(src);
	} else if (!configured) {
		prof_check_text(why, sizeof(why), false);
		FUZZ_CHECK(why[0] != '\0' && why[0] != 'Z');
	} else {
		prof_check_text(err.msg, sizeof(err.msg), marker_allowed);
		FUZZ_CHECK(err.msg[0] != '\0' && err.msg[0] != 'Z');
	}
	return 0;
}
