/* Profiles (INI and config.json) mapped onto sources, the static source, and
 * the External-mode process source run for real against helper scripts. */
#include "../../core/config.h"
#include "../../core/profile.h"
#include "../../core/select.h"
#include "unit.h"

#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SECRET "TopSecretValue0123456789abcd"
#define TOKEN  "CAISsecretTokenValue+/=="

static char tmp[256];

/* An injected environment: tests never touch the real one. */
static const char *vars[16][2];
static int nvars;

static char *fake_get(const char *name)
{
	for (int i = 0; i < nvars; i++)
		if (strcmp(vars[i][0], name) == 0)
			return (char *)vars[i][1];
	return NULL;
}

static void setv(const char *name, const char *value)
{
	vars[nvars][0] = name;
	vars[nvars++][1] = value;
}

/* A fresh, empty HOME; the environment holds only HOME afterwards. */
static const char *new_home(void)
{
	static char home[300];
	static int n;

	snprintf(home, sizeof(home), "%s/home%d", tmp, ++n);
	mkdir(home, 0700);
	nvars = 0;
	setv("HOME", home);
	return home;
}

static void put(const char *rel, const char *text, mode_t mode)
{
	char path[600], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fake_get("HOME"), rel);
	for (slash = strchr(path + strlen(tmp) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0700);
		*slash = '/';
	}
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

/* The profile's description, built into a source as a keeper would. */
static struct stsenv_source *profile(bool automatic, bool *configured, char *why,
				     struct stsenv_err *err)
{
	struct stsenv_desc d;
	struct stsenv_source *s = NULL;
	int rc;

	why[0] = err->msg[0] = '\0';
	memset(&d, 0, sizeof(d));
	rc = stsenv_profile_select(fake_get, automatic, why, 200, &d, err);
	*configured = rc != 0;
	if (rc > 0 && !(s = stsenv_source_from_desc(&d, NULL, err)))
		*configured = true;
	stsenv_desc_clear(&d);
	return s;
}

/* Selection, and the source it describes, or NULL (err says why). */
static struct stsenv_source *select_source(const struct stsenv_config *c,
					   struct stsenv_selection *sel, struct stsenv_err *err)
{
	struct stsenv_desc d;
	struct stsenv_source *s = NULL;

	if (stsenv_select(c, fake_get, sel, &d, err) == 0)
		s = stsenv_source_from_desc(&d, NULL, err);
	stsenv_desc_clear(&d);
	return s;
}

/* Builds the profile source, which must exist with this kind and where. */
static void expect_source(bool automatic, const char *kind, const char *where)
{
	struct stsenv_err err;
	char why[200];
	bool configured;
	struct stsenv_source *s = profile(automatic, &configured, why, &err);

	CHECK(s != NULL);
	CHECK(configured);
	if (!s) {
		fprintf(stderr, "  error: %s; why: %s\n", err.msg, why);
		return;
	}
	CHECK_STR(s->kind, kind);
	CHECK_STR(s->where, where);
	stsenv_source_destroy(s);
}

/* The description's label, which must be want. */
static void expect_label(bool automatic, const char *want)
{
	struct stsenv_desc d;
	struct stsenv_err err;
	char why[200];

	memset(&d, 0, sizeof(d));
	CHECK(stsenv_profile_select(fake_get, automatic, why, sizeof(why), &d, &err) == 1);
	CHECK_STR(d.label, want);
	stsenv_desc_clear(&d);
}

/* Builds the profile source, which must fail with an error containing want. */
static void expect_error(const char *want)
{
	struct stsenv_err err;
	char why[200];
	bool configured;
	struct stsenv_source *s = profile(false, &configured, why, &err);

	CHECK(s == NULL);
	CHECK(configured);
	CHECK(strstr(err.msg, want) != NULL);
	CHECK(!strstr(err.msg, SECRET) && !strstr(err.msg, TOKEN));
	if (!strstr(err.msg, want))
		fprintf(stderr, "  error \"%s\" lacks \"%s\"\n", err.msg, want);
	stsenv_source_destroy(s);
}

static void test_ini_access_key(void)
{
	struct stsenv_cred c = {0};
	struct stsenv_err err;
	struct stsenv_source *s;
	char why[200];
	bool configured;

	new_home();
	put(".alibabacloud/credentials",
	    "# comment\n[default]\ntype = access_key\naccess_key_id = LTAI5tExampleKeyIdx\n"
	    "access_key_secret=" SECRET "\n",
	    0600);
	s = profile(false, &configured, why, &err);
	CHECK(s && configured);
	if (!s)
		return;
	CHECK_STR(s->kind, "static");
	CHECK_STR(s->where, "profile default (AccessKey LTAI5****x)");
	CHECK(s->fetch(s, 1000, &c, &err) == STSENV_FETCH_OK);
	CHECK_STR(c.id, "LTAI5tExampleKeyIdx");
	CHECK_STR(c.secret, SECRET);
	CHECK(c.token == NULL && c.exp_ms == STSENV_NO_EXPIRY);
	stsenv_cred_clear(&c);
	CHECK(s->fetch(s, 1000, &c, &err) == STSENV_FETCH_UNCHANGED);
	stsenv_source_destroy(s);

	/* Automatic mode serves role-based and STS profiles only. */
	s = profile(true, &configured, why, &err);
	CHECK(s == NULL && !configured);
	CHECK_STR(why, "profile default holds a static AccessKey (served only with "
		       "STSENV_SOURCE=profile; it signs STSENV_ROLE_ARN)");
	CHECK(!strstr(why, SECRET) && !strstr(err.msg, SECRET));
}

static void test_ini_sections(void)
{
	new_home();
	put(".alibabacloud/credentials",
	    "\xef\xbb\xbf[default]\r\ntype = ram_role_arn\r\n"
	    "  [ ecs ]  \n ; note\n type   =   ecs_ram_role   # why: tests\nrole_name = myrole\n"
	    "[rrsa]\ntype = oidc_role_arn\nrole_arn = acs:ram::1:role/r\n"
	    "oidc_provider_arn = acs:ram::1:oidc-provider/p\n"
	    "oidc_token_file_path = /var/run/token\npolicy = {\"a\":1}\n"
	    "[role]\ntype = ram_role_arn\naccess_key_id = LTAI5tExampleKeyIdx\n"
	    "access_key_secret = " SECRET "\nrole_arn = acs:ram::1:role/data\n"
	    "[onecs]\ntype = ram_role_arn\nsource_profile = ecs\nrole_arn = acs:ram::1:role/d2\n"
	    "[half]\ntype = ram_role_arn\naccess_key_id = LTAI5tExampleKeyIdx\n"
	    "role_arn = acs:ram::1:role/data\n",
	    0600);
	expect_error("profile default: role_arn is missing");
	setv("ALIBABA_CLOUD_PROFILE", "half");
	expect_error("profile half: access_key_secret is missing");
	vars[1][1] = "role";
	expect_label(true,
		     "profile role (AccessKey LTAI5****x) -> AssumeRole acs:ram::1:role/data");
	expect_source(true, "role", "https://sts.aliyuncs.com");
	vars[1][1] = "onecs";
	expect_label(
		true,
		"profile onecs: profile ecs (type ecs_ram_role) -> AssumeRole acs:ram::1:role/d2");
	vars[1][1] = "ecs";
	expect_source(true, "ecs", "http://100.100.100.200");
	setv("STSENV_ECS_ENDPOINT", "http://127.0.0.1:9");
	expect_source(true, "ecs", "http://127.0.0.1:9");
	vars[1][1] = "rrsa";
	expect_source(true, "oidc", "https://sts.aliyuncs.com");
	setv("ALIBABA_CLOUD_STS_REGION", "cn-hangzhou");
	setv("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "true");
	expect_source(true, "oidc", "https://sts-vpc.cn-hangzhou.aliyuncs.com");
	setv("ALIBABA_CLOUD_STS_ENDPOINT", "http://127.0.0.1:8");
	expect_source(true, "oidc", "http://127.0.0.1:8");
}

static void test_ini_errors(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{"[default]\ntype = magic\n", "profile default: unknown type \"magic\""},
		{"[default]\naccess_key_id = LTAIxxxxxxxx\n", "profile default: type is missing"},
		{"[default]\ntype = access_key\naccess_key_secret = " SECRET "\n",
		 "access_key_id is missing"},
		{"[default]\ntype = access_key\naccess_key_id=LTAIxxxxxxxx\naccess_key_secret =\n",
		 "access_key_secret is missing"},
		{"[default]\ntype = oidc_role_arn\noidc_provider_arn = p\n"
		 "oidc_token_file_path = /t\n",
		 "role_arn is missing"},
		{"[default]\ntype = access_key\n" SECRET "\n", "credentials: line 3: expected key"},
		{"[default]\ntype = access_key\ntype = ecs_ram_role\n", "type appears twice"},
		{"[default]\ntype = AK\n", "unknown type \"AK\""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		new_home();
		put(".alibabacloud/credentials", cases[i].text, 0600);
		expect_error(cases[i].want);
	}
}

/* Which INI file, and when config.json decides instead. */
static void test_precedence(void)
{
	struct stsenv_err err;
	char why[200], path[400];
	bool configured;
	const char *home = new_home();

	CHECK(profile(true, &configured, why, &err) == NULL && !configured);
	CHECK_STR(why, "no profile default in ~/.alibabacloud/credentials or "
		       "~/.aliyun/config.json");
	put(".aliyun/config.json",
	    "{\"current\":\"default\",\"profiles\":[{\"name\":\"default\",\"mode\":"
	    "\"EcsRamRole\",\"ram_role_name\":\"\"}]}",
	    0600);
	expect_source(true, "ecs", "http://100.100.100.200");
	/* An INI file without the section leaves it to config.json... */
	put(".alibabacloud/credentials.ini", "[other]\ntype = ecs_ram_role\n", 0600);
	expect_source(true, "ecs", "http://100.100.100.200");
	/* ...one with it decides, and credentials wins over credentials.ini. */
	put(".alibabacloud/credentials.ini", "[default]\ntype = bogus\n", 0600);
	expect_error("credentials.ini: profile default: unknown type \"bogus\"");
	put(".alibabacloud/credentials", "[default]\ntype = bogus2\n", 0600);
	expect_error("unknown type \"bogus2\"");
	snprintf(path, sizeof(path), "%s/custom.ini", home);
	setv("ALIBABA_CLOUD_CREDENTIALS_FILE", path);
	put("custom.ini", "[default]\ntype = bogus3\n", 0600);
	expect_error("unknown type \"bogus3\"");
	unlink(path); /* set but absent: config.json */
	expect_source(true, "ecs", "http://100.100.100.200");
}

static const char *cli_json =
	"{\"current\": \"st\\u0073\", \"meta_path\": \"\", \"profiles\": [\n"
	"%s"
	"{\"name\":\"sts\",\"mode\":\"StsToken\",\"access_key_id\":\"STS.NExampleKeyId7\","
	"\"access_key_secret\":\"" SECRET "\",\"sts_token\":\"" TOKEN "\",\"region_id\":\"\","
	"\"expired_seconds\":0,\"verified\":\"\"},\n"
	"{\"name\":\"ak\",\"mode\":\"AK\",\"access_key_id\":\"LTAI5tExampleKeyIdx\","
	"\"access_key_secret\":\"" SECRET "\"},\n"
	"{\"name\":\"ecs\",\"mode\":\"EcsRamRole\",\"ram_role_name\":\"r\"},\n"
	"{\"name\":\"oidc\",\"mode\":\"OIDC\",\"ram_role_arn\":\"acs:ram::1:role/r\","
	"\"oidc_provider_arn\":\"acs:ram::1:oidc-provider/p\",\"oidc_token_file\":\"/t\","
	"\"sts_region\":\"cn-beijing\"},\n"
	"{\"name\":\"uri\",\"mode\":\"CredentialsURI\","
	"\"credentials_uri\":\"http://127.0.0.1:7/c?sig=x\"},\n"
	"{\"name\":\"ext\",\"mode\":\"External\",\"process_command\":\"/usr/bin/helper "
	"--key " SECRET "\"},\n"
	"{\"name\":\"arn\",\"mode\":\"RamRoleArn\",\"access_key_id\":\"a\"},\n"
	"{\"name\":\"arn2\",\"mode\":\"RamRoleArn\",\"access_key_id\":\"LTAI5tExampleKeyIdx\","
	"\"access_key_secret\":\"" SECRET "\",\"ram_role_arn\":\"acs:ram::1:role/data\","
	"\"expired_seconds\":1800,\"sts_region\":\"cn-beijing\"},\n"
	"{\"name\":\"chain\",\"mode\":\"ChainableRamRoleArn\",\"source_profile\":\"arn2\","
	"\"ram_role_arn\":\"acs:ram::2:role/top\"},\n"
	"{\"name\":\"loop\",\"mode\":\"ChainableRamRoleArn\",\"source_profile\":\"loop\","
	"\"ram_role_arn\":\"acs:ram::2:role/top\"},\n"
	"{\"name\":\"nosrc\",\"mode\":\"ChainableRamRoleArn\",\"source_profile\":\"none\","
	"\"ram_role_arn\":\"acs:ram::2:role/top\"},\n"
	"{\"name\":\"badarn\",\"mode\":\"ChainableRamRoleArn\",\"source_profile\":\"ecs\","
	"\"ram_role_arn\":\"role/top\"},\n"
	"{\"name\":\"sso\",\"mode\":\"CloudSSO\"},\n"
	"{\"name\":\"odd\",\"mode\":\"Quantum\"},\n"
	"{\"name\":\"nouri\",\"mode\":\"CredentialsURI\",\"credentials_uri\":\"\"},\n"
	"{\"name\":\"dup\",\"mode\":\"AK\",\"mode\":\"StsToken\"}\n"
	"]}\n";

static void test_cli(void)
{
	struct stsenv_cred c = {0};
	struct stsenv_err err;
	struct stsenv_source *s;
	char why[200], padding[8000] = "", *json;
	bool configured;

	/* Enough realistic profiles that the file exceeds what the strict
	 * reader takes at once (256 tokens). */
	for (int i = 0; i < 20; i++)
		snprintf(padding + strlen(padding), sizeof(padding) - strlen(padding),
			 "{\"name\":\"pad%d\",\"mode\":\"AK\",\"access_key_id\":\"\","
			 "\"access_key_secret\":\"\",\"sts_token\":\"\",\"ram_role_name\":\"\","
			 "\"region_id\":\"cn-hangzhou\",\"output_format\":\"json\","
			 "\"language\":\"en\",\"retry_count\":0},\n",
			 i);
	new_home();
	json = malloc(strlen(cli_json) + strlen(padding) + 1);
	sprintf(json, cli_json, padding);
	put(".aliyun/config.json", json, 0600);
	free(json);

	s = profile(true, &configured, why, &err);
	CHECK(s && configured);
	if (s) {
		CHECK_STR(s->kind, "static");
		CHECK_STR(s->where, "profile sts (StsToken STS.N****7)");
		CHECK(s->fetch(s, 1000, &c, &err) == STSENV_FETCH_OK);
		CHECK_STR(c.token, TOKEN);
		CHECK(c.exp_ms == STSENV_NO_EXPIRY);
		stsenv_cred_clear(&c);
		stsenv_source_destroy(s);
	}
	setv("ALIBABA_CLOUD_PROFILE", "ak");
	CHECK(profile(true, &configured, why, &err) == NULL && !configured);
	CHECK(strstr(why, "profile ak holds a static AccessKey") != NULL);
	expect_source(false, "static", "profile ak (AccessKey LTAI5****x)");
	vars[1][1] = "ecs";
	expect_source(true, "ecs", "http://100.100.100.200");
	vars[1][1] = "oidc";
	setv("ALIBABA_CLOUD_STS_ENDPOINT", "http://127.0.0.1:8"); /* the profile's region wins */
	expect_source(true, "oidc", "https://sts.cn-beijing.aliyuncs.com");
	vars[1][1] = "uri";
	expect_source(true, "uri", "http://127.0.0.1:7/c");
	vars[1][1] = "ext";
	expect_source(true, "process", "/usr/bin/helper");
	vars[1][1] = "arn";
	expect_error("profile arn: ram_role_arn is missing");
	/* A role profile: its AccessKey signs, only the role is served. */
	vars[1][1] = "arn2";
	expect_label(true,
		     "profile arn2 (AccessKey LTAI5****x) -> AssumeRole acs:ram::1:role/data");
	expect_source(true, "role", "https://sts.cn-beijing.aliyuncs.com");
	vars[1][1] = "chain";
	expect_label(true, "profile chain: profile arn2 (AccessKey LTAI5****x) -> AssumeRole "
			   "acs:ram::1:role/data -> AssumeRole acs:ram::2:role/top");
	vars[1][1] = "loop";
	expect_error("profile loop: source_profile chain is circular or longer than 4");
	vars[1][1] = "nosrc";
	expect_error("profile nosrc: source_profile none does not exist");
	vars[1][1] = "badarn";
	expect_error("role ARN \"role/top\" is not acs:ram::<account>:role/<name>");
	vars[1][1] = "sso";
	expect_error("profile sso: mode CloudSSO is not supported by stsenv yet");
	vars[1][1] = "odd";
	expect_error("profile odd: unknown mode \"Quantum\"");
	vars[1][1] = "nouri";
	expect_error("profile nouri: credentials_uri is missing");
	vars[1][1] = "dup";
	expect_error("profile dup: mode appears twice");
	vars[1][1] = "nosuch";
	CHECK(profile(true, &configured, why, &err) == NULL && !configured);
	CHECK(strstr(why, "no profile nosuch") != NULL);
}

static void test_bad_files(void)
{
	char *big = malloc(1024 * 1024 + 2);

	new_home();
	put(".aliyun/config.json", "{\"profiles\":[", 0600);
	expect_error("config.json: not a valid JSON object");
	put(".aliyun/config.json", "[]", 0600);
	expect_error("config.json: not a valid JSON object");
	memset(big, '#', 1024 * 1024 + 1);
	big[1024 * 1024 + 1] = '\0';
	put(".alibabacloud/credentials", big, 0600);
	expect_error("credentials: too large");
	free(big);
	put(".alibabacloud/credentials", "[default]\ntype=access_key\n", 0);
	if (geteuid() != 0) /* root reads it anyway */
		expect_error("credentials: Permission denied");
}

static void test_static(void)
{
	struct stsenv_cred in = {"STS.abc", SECRET, TOKEN, 1893456000000LL}, c = {0};
	struct stsenv_err err;
	struct stsenv_source *s = stsenv_source_static_new(&in, "fixed", &err);

	CHECK(s && strcmp(s->kind, "static") == 0 && strcmp(s->where, "fixed") == 0);
	if (!s)
		return;
	CHECK(s->fetch(s, 10, &c, &err) == STSENV_FETCH_OK);
	CHECK(stsenv_cred_equal(&in, &c));
	stsenv_cred_clear(&c);
	CHECK(s->fetch(s, 10, &c, &err) == STSENV_FETCH_UNCHANGED);
	CHECK(c.id == NULL);
	stsenv_source_destroy(s);
	in.secret = "";
	CHECK(stsenv_source_static_new(&in, "fixed", &err) == NULL);
	CHECK(!strstr(err.msg, TOKEN));
}

/* Runs the process source for cmd; returns the fetch's result. */
static int run(const char *cmd, int64_t timeout_ms, struct stsenv_cred *c, struct stsenv_err *err)
{
	struct stsenv_source *s = stsenv_source_process_new(cmd, NULL, err);
	int rc;

	if (!s)
		return -100;
	err->msg[0] = '\0';
	rc = s->fetch(s, timeout_ms, c, err);
	stsenv_source_destroy(s);
	CHECK(!strstr(err->msg, SECRET) && !strstr(err->msg, TOKEN) && !strstr(err->msg, "junk"));
	return rc;
}

static char *script(const char *name, const char *body)
{
	static char path[8][400];
	static int n;
	char *p = path[n++ % 8];
	char rel[100], text[1000];

	snprintf(rel, sizeof(rel), "bin/%s", name);
	snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
	put(rel, text, 0700);
	snprintf(p, 400, "%s/%s", fake_get("HOME"), rel);
	return p;
}

#define JSON_OUT(mode, extra)                                                                      \
	"printf '%s' '{\"mode\":\"" mode                                                           \
	"\",\"access_key_id\":\"STS.proc1\",\"access_key_secret\":\"" SECRET "\"" extra "}'"

static void test_process(void)
{
	struct stsenv_cred c = {0};
	struct stsenv_err err;
	char cmd[600], *saved;

	new_home();
	CHECK(run(script("ok", JSON_OUT("StsToken", ",\"sts_token\":\"" TOKEN "\","
						    "\"expiration\":\"2030-01-01T00:00:00Z\"")),
		  5000, &c, &err) == STSENV_FETCH_OK);
	CHECK_STR(c.id, "STS.proc1");
	CHECK_STR(c.secret, SECRET);
	CHECK_STR(c.token, TOKEN);
	CHECK(c.exp_ms == 1893456000000LL);
	stsenv_cred_clear(&c);
	CHECK(run(script("ak", JSON_OUT("AK", "")), 5000, &c, &err) == STSENV_FETCH_OK);
	CHECK(c.token == NULL && c.exp_ms == STSENV_NO_EXPIRY);
	stsenv_cred_clear(&c);

	/* Words, quotes, no shell; stdin is /dev/null; the environment is the
	 * keeper's own (which removed our preload when it started). */
	script("my helper", "read -r line || line=eof\n"
			    "id=$(printf '%s|%s|%s|%s|%s' \"$1\" \"$2\" \"$#\" \"$line\" "
			    "\"${LD_PRELOAD-none}\" | tr '\"\\\\' '#%')\n"
			    "printf '{\"mode\":\"AK\",\"access_key_id\":\"%s\","
			    "\"access_key_secret\":\"x\"}' \"$id\"");
	snprintf(cmd, sizeof(cmd), "  '%s/bin/my helper' \"a \\\"b\\\" 'c' \\\\\"\tc\\ d$HOME ",
		 fake_get("HOME"));
	saved = getenv("LD_PRELOAD") ? strdup(getenv("LD_PRELOAD")) : NULL;
	unsetenv("LD_PRELOAD");
	CHECK(run(cmd, 5000, &c, &err) == STSENV_FETCH_OK);
	if (saved)
		setenv("LD_PRELOAD", saved, 1);
	else
		unsetenv("LD_PRELOAD");
	free(saved);
	CHECK_STR(c.id, "a #b# 'c' %|c d$HOME|2|eof|none");
	stsenv_cred_clear(&c);
}

static void test_process_errors(void)
{
	static const struct {
		const char *name, *body, *want;
	} cases[] = {
		{"exit3", JSON_OUT("AK", "") "\nexit 3", "exited with status 3"},
		{"sig", "kill -TERM $$", "was killed by signal 15"},
		{"garbage", "echo junk " SECRET, "printed bad output: invalid JSON"},
		{"nomode", "echo '{\"access_key_id\":\"a\"}'", "mode is missing"},
		{"badmode", "echo '{\"mode\":\"junk\"}'", "mode is not StsToken or AK"},
		{"notoken", JSON_OUT("StsToken", ""), "sts_token is missing"},
		/* an expiration is not a secret: it is quoted, to show what is wrong */
		{"badexp",
		 JSON_OUT("StsToken", ",\"sts_token\":\"t\",\"expiration\":\"not-a-date\""),
		 "expiration \"not-a-date\" is not"},
		{"big", "exec head -c 70000 /dev/zero", "printed more than 65536 bytes"},
		{"slow", "exec sleep 10", "timed out after 500 ms"},
		{"linger", "exec >&-\nexec sleep 10", "timed out after 500 ms"},
	};
	struct stsenv_cred c = {0};
	struct stsenv_err err;

	new_home();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct timespec a, b;
		const char *path = script(cases[i].name, cases[i].body);

		clock_gettime(CLOCK_MONOTONIC, &a);
		CHECK(run(path, 500, &c, &err) == STSENV_FETCH_ERR);
		clock_gettime(CLOCK_MONOTONIC, &b);
		CHECK(b.tv_sec - a.tv_sec < 3); /* killed, not waited for */
		CHECK(strstr(err.msg, cases[i].want) && strstr(err.msg, path));
		if (!strstr(err.msg, cases[i].want))
			fprintf(stderr, "  %s: \"%s\"\n", cases[i].name, err.msg);
	}
	CHECK(run("/nonexistent/helper", 500, &c, &err) == STSENV_FETCH_ERR);
	CHECK_STR(err.msg, "cannot run credential process /nonexistent/helper: "
			   "No such file or directory");
	CHECK(stsenv_source_process_new("helper 'open", NULL, &err) == NULL);
	CHECK_STR(err.msg, "credential process command has an unterminated quote");
	CHECK(stsenv_source_process_new(" \t", NULL, &err) == NULL);

	/* A host that ignores SIGCHLD: the status is lost, the output counts. */
	signal(SIGCHLD, SIG_IGN);
	CHECK(run(script("ign", JSON_OUT("AK", "")), 5000, &c, &err) == STSENV_FETCH_OK);
	signal(SIGCHLD, SIG_DFL);
	stsenv_cred_clear(&c);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* STSENV_ROLE_ARN on a profile's plain AccessKey, in auto: the key signs,
 * the role is served (without the role, auto skips the key). */
static void test_select_role_on_access_key(void)
{
	struct stsenv_selection sel;
	struct stsenv_config cfg;
	struct stsenv_desc d;
	struct stsenv_err err;

	new_home();
	put(".aliyun/config.json",
	    "{\"current\":\"ak\",\"profiles\":[{\"name\":\"ak\",\"mode\":\"AK\","
	    "\"access_key_id\":\"LTAI5tExampleKeyIdx\",\"access_key_secret\":\"" SECRET "\"}]}",
	    0600);
	setv("STSENV_CREDENTIALS_FILE", "/nonexistent/stsenv-test-credentials");
	stsenv_config_load(&cfg, fake_get);
	CHECK(stsenv_select(&cfg, fake_get, &sel, &d, &err) < 0);
	setv("STSENV_ROLE_ARN", "acs:ram::1:role/data");
	CHECK(stsenv_select(&cfg, fake_get, &sel, &d, &err) == 0);
	CHECK(d.nroles == 1 && d.kind == STSENV_SRC_STATIC);
	CHECK_STR(d.label, "profile ak (AccessKey LTAI5****x) -> AssumeRole acs:ram::1:role/data");
	CHECK(!strstr(sel.why[3], SECRET));
	stsenv_desc_clear(&d);
	vars[nvars - 1][1] = "acs:ram::1:user/not-a-role";
	CHECK(stsenv_select(&cfg, fake_get, &sel, &d, &err) < 0);
	CHECK(strstr(err.msg, "is not acs:ram::<account>:role/<name>") != NULL);
	CHECK(sel.state[3] == STSENV_SEL_BROKEN);
}

/* The preload selects without reasons (sel NULL, at every process start):
 * it must choose the same source, and fail with the same error, as the
 * launcher's status, which asks for reasons. */
static void test_select_brief(void)
{
	struct stsenv_selection sel;
	struct stsenv_config cfg;
	struct stsenv_err e1, e2;
	struct stsenv_source *a, *b;
	char path[400];

	new_home();
	setv("STSENV_CREDENTIALS_FILE", "/nonexistent/stsenv-test-credentials");
	stsenv_config_load(&cfg, fake_get);
	a = select_source(&cfg, &sel, &e1);
	b = select_source(&cfg, NULL, &e2);
	CHECK(!a && !b && sel.chosen == -1);
	CHECK_STR(e2.msg, e1.msg);
	CHECK(strstr(sel.why[0], "ALIBABA_CLOUD_CREDENTIALS_URI is not set") != NULL);

	setv("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/r");
	setv("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "acs:ram::1:oidc-provider/p");
	snprintf(path, sizeof(path), "%s/token", fake_get("HOME"));
	setv("ALIBABA_CLOUD_OIDC_TOKEN_FILE", path);
	setv("ALIBABA_CLOUD_CREDENTIALS_URI", "http://user:pw@127.0.0.1:7/c?token=x#f");
	a = select_source(&cfg, &sel, &e1);
	b = select_source(&cfg, NULL, &e2);
	CHECK(a && b && sel.chosen == 0);
	CHECK_STR(a->kind, "uri");
	CHECK_STR(b->where, a->where);
	CHECK_STR(b->where, "http://127.0.0.1:7/c");
	/* Configured too, but shadowed; the file is simply absent. */
	CHECK(sel.state[0] == STSENV_SEL_IN_USE && sel.state[2] == STSENV_SEL_SHADOWED);
	CHECK(strstr(sel.why[2], "configured, but uri comes first in the chain") != NULL);
	CHECK(sel.state[1] == STSENV_SEL_NOT_CONFIGURED &&
	      strstr(sel.why[1], "/nonexistent/") != NULL);
	stsenv_source_destroy(a);
	stsenv_source_destroy(b);

	/* Configured but broken: the same error either way, nothing further tried. */
	vars[nvars - 1][1] = "ftp://127.0.0.1/c";
	a = select_source(&cfg, &sel, &e1);
	b = select_source(&cfg, NULL, &e2);
	CHECK(!a && !b);
	CHECK_STR(e2.msg, e1.msg);
	CHECK(strstr(sel.why[0], "failed: ") == sel.why[0]);
	CHECK(sel.state[0] == STSENV_SEL_BROKEN && sel.state[2] == STSENV_SEL_SHADOWED);
}

int main(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmp, sizeof(tmp), "%s/stsenv-profile-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_ini_access_key);
	RUN(test_ini_sections);
	RUN(test_ini_errors);
	RUN(test_precedence);
	RUN(test_cli);
	RUN(test_bad_files);
	RUN(test_static);
	RUN(test_process);
	RUN(test_process_errors);
	RUN(test_select_brief);
	RUN(test_select_role_on_access_key);
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	UNIT_EXIT();
}
