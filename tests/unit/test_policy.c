/* The served-names policy (core/policy.h) and the marker it trusts
 * (core/marker.h): pure functions over environments. */
#include "../../core/marker.h"
#include "../../core/policy.h"
#include "../../core/timeutil.h"
#include "unit.h"

#include <stdlib.h>

#define FP	 0x1234567890abcdefULL
#define EXP	 1796138563000LL
#define NOW_REAL (EXP - 3600 * 1000LL)

/* ---- a fake environment --------------------------------------------- */

static char *env[64];
static int nenv;

static void env_clear(void)
{
	for (int i = 0; i < nenv; i++)
		free(env[i]);
	nenv = 0;
	env[0] = NULL;
}

static void env_put(const char *name, const char *value)
{
	char *e = malloc(strlen(name) + strlen(value) + 64); /* room for edits */

	sprintf(e, "%s=%s", name, value);
	env[nenv++] = e;
	env[nenv] = NULL;
}

static char *fake_get(const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; i < nenv; i++)
		if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
			return env[i] + n + 1;
	return NULL;
}

static const struct stsenv_snap *snap(int gen, bool token)
{
	char id[32], secret[32], tok[32];
	struct stsenv_cred c = {id, secret, token ? tok : NULL, EXP + gen};

	sprintf(id, "STS.gen%04d", gen);
	sprintf(secret, "secret-%d", gen);
	sprintf(tok, "token-%d", gen);
	return stsenv_snap_new(&c, FP, (uint64_t)gen, NOW_REAL, 1000, NULL);
}

/* Puts every built-in name of s into the environment, with its marker. */
static void hand_down(const struct stsenv_snap *s)
{
	for (const struct stsenv_name *n = stsenv_builtin_names; n->name; n++)
		if (n->field <= STSENV_F_MARKER && stsenv_snap_field(s, n->field))
			env_put(n->name, stsenv_snap_field(s, n->field));
}

static struct stsenv_names names;

/* ---- the marker ------------------------------------------------------ */

static void test_marker_round_trip(void)
{
	struct stsenv_marker m = {FP, EXP, {1, 2, 0}}, back;
	char buf[STSENV_MARKER_MAX];

	stsenv_marker_format(&m, buf, sizeof(buf));
	CHECK_STR(buf, "v2:1234567890abcdef:1796138563000:0000000000000001:0000000000000002:-");
	CHECK(stsenv_marker_parse(buf, &back));
	CHECK(back.fingerprint == FP && back.exp_ms == EXP && back.hash[0] == 1 &&
	      back.hash[1] == 2 && back.hash[2] == 0);
	m.exp_ms = STSENV_NO_EXPIRY;
	stsenv_marker_format(&m, buf, sizeof(buf));
	CHECK(stsenv_marker_parse(buf, &back) && back.exp_ms == STSENV_NO_EXPIRY);
}

static void test_marker_refuses_edits_and_garbage(void)
{
	static const char *const bad[] = {
		"",
		"v2",
		"v2:",
		"v1:1716287969000:0123456789abcdef",
		"v2:1234567890abcdef:1796138563000:0000000000000001:0000000000000002",
		"v2:1234567890abcdef:1796138563000:0000000000000001:0000000000000002:-:",
		"v2:1234567890ABCDEF:1796138563000:0000000000000001:0000000000000002:-",
		"v2:1234567890abcdef:01796138563000:0000000000000001:0000000000000002:-",
		"v2:1234567890abcdef:+1796138563000:0000000000000001:0000000000000002:-",
		"v2:1234567890abcdef:1796138563000:0000000000000000:0000000000000002:-",
		"v2:1234567890abcdef:1796138563000:000000000000001:0000000000000002:-",
		"v2:1234567890abcdef:99999999999999999999:0000000000000001:0000000000000002:-",
	};
	struct stsenv_marker m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(!stsenv_marker_parse(bad[i], &m));
		if (stsenv_marker_parse(bad[i], &m))
			fprintf(stderr, "    accepted %s\n", bad[i]);
	}
	CHECK(!stsenv_marker_parse(NULL, &m));
}

static void test_marker_vouches_per_value(void)
{
	const struct stsenv_snap *s = snap(7, true);
	struct stsenv_marker m;
	char when[32];

	CHECK(stsenv_marker_parse(s->marker, &m));
	CHECK(m.fingerprint == FP);
	CHECK(stsenv_marker_vouches(&m, STSENV_F_ID, "STS.gen0007"));
	CHECK(stsenv_marker_vouches(&m, STSENV_F_SECRET, "secret-7"));
	CHECK(stsenv_marker_vouches(&m, STSENV_F_TOKEN, "token-7"));
	stsenv_format_iso8601(EXP + 7, when, sizeof(when));
	CHECK(stsenv_marker_vouches(&m, STSENV_F_EXPIRATION, when));
	/* The id's hash does not vouch for a secret, nor a near value. */
	CHECK(!stsenv_marker_vouches(&m, STSENV_F_SECRET, "STS.gen0007"));
	CHECK(!stsenv_marker_vouches(&m, STSENV_F_ID, "STS.gen0008"));
	CHECK(!stsenv_marker_vouches(&m, STSENV_F_ID, "STS.gen000"));
	CHECK(!stsenv_marker_vouches(&m, STSENV_F_ID, ""));
	CHECK(!stsenv_marker_vouches(&m, STSENV_F_ID, NULL));
	CHECK(!stsenv_marker_vouches(&m, STSENV_F_TREE, "x"));
	CHECK(stsenv_value_hash("") != 0 && stsenv_value_hash("a") != stsenv_value_hash("b"));
}

/* ---- which names a process serves -------------------------------------- */

static bool serves(const struct stsenv_policy *p, const char *name)
{
	return stsenv_policy_serves(p, stsenv_names_find(&names, name));
}

static void test_root_serves_every_family(void)
{
	struct stsenv_policy p;

	env_clear();
	env_put("HOME", "/root");
	stsenv_policy_classify(&p, &names, fake_get, false, FP);
	CHECK(p.any && !p.have_marker && !p.adoptable);
	CHECK(serves(&p, "ALIBABA_CLOUD_ACCESS_KEY_ID") && serves(&p, "OSS_SESSION_TOKEN"));
	CHECK(serves(&p, "STSENV_EXPIRATION") && serves(&p, "STSENV_HANDOFF") &&
	      serves(&p, "STSENV_TREE") && serves(&p, "MY_AK"));
}

static void test_static_key_leaves_its_family_alone(void)
{
	struct stsenv_policy p;

	env_clear();
	env_put("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIuserStaticKey123");
	env_put("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "user-secret");
	stsenv_policy_classify(&p, &names, fake_get, false, FP);
	CHECK(p.static_fam[STSENV_FAM_ALIBABA_CLOUD]);
	CHECK(!serves(&p, "ALIBABA_CLOUD_ACCESS_KEY_ID") &&
	      !serves(&p, "ALIBABA_CLOUD_SECURITY_TOKEN"));
	CHECK(serves(&p, "OSS_ACCESS_KEY_ID") && serves(&p, "ALICLOUD_ACCESS_KEY"));
	CHECK_STR(p.static_name[STSENV_FAM_ALIBABA_CLOUD], "ALIBABA_CLOUD_ACCESS_KEY_ID");
	/* STSENV_OVERRIDE=1 serves it anyway, and says which name it was. */
	stsenv_policy_classify(&p, &names, fake_get, true, FP);
	CHECK(!p.static_fam[STSENV_FAM_ALIBABA_CLOUD] && serves(&p, "ALIBABA_CLOUD_ACCESS_KEY_ID"));
	CHECK_STR(p.static_name[STSENV_FAM_ALIBABA_CLOUD], "ALIBABA_CLOUD_ACCESS_KEY_ID");
}

/* STSENV_VARS=MY_AK=id with MY_AK holding the user's own key makes only
 * that family the user's (it once made every family static). */
static void test_user_var_key_is_its_own_family(void)
{
	struct stsenv_policy p;

	env_clear();
	env_put("MY_AK", "LTAIusersOwnKey4567");
	stsenv_policy_classify(&p, &names, fake_get, false, FP);
	CHECK(p.static_fam[STSENV_FAM_USER] && !serves(&p, "MY_AK") && !serves(&p, "MY_SK"));
	for (int f = 0; f < STSENV_FAM_USER; f++)
		CHECK(!p.static_fam[f]);
	CHECK(serves(&p, "ALIBABA_CLOUD_ACCESS_KEY_ID"));
}

static void test_member_serves_what_was_handed_down(void)
{
	const struct stsenv_snap *s = snap(3, true);
	struct stsenv_policy p;

	env_clear();
	hand_down(s);
	stsenv_policy_classify(&p, &names, fake_get, false, FP);
	CHECK(p.have_marker && p.adoptable);
	CHECK_STR(p.handed.id, "STS.gen0003");
	CHECK_STR(p.handed.token, "token-3");
	CHECK(p.handed.exp_ms == EXP + 3);
	CHECK(serves(&p, "OSS_SESSION_TOKEN") && serves(&p, "STSENV_EXPIRATION"));
	/* The STSENV_VARS names were not handed down: not served. */
	CHECK(!serves(&p, "MY_AK"));

	/* The caller removed the token and set the OSS id to its own key. */
	env_clear();
	hand_down(s);
	for (int i = 0; i < nenv; i++) {
		if (strncmp(env[i], "ALIBABA_CLOUD_SECURITY_TOKEN=", 29) == 0)
			env[i][0] = 'x'; /* a name nobody serves */
		if (strncmp(env[i], "OSS_ACCESS_KEY_ID=", 18) == 0)
			strcpy(env[i] + 18, "LTAImine");
	}
	stsenv_policy_classify(&p, &names, fake_get, false, FP);
	CHECK(!serves(&p, "ALIBABA_CLOUD_SECURITY_TOKEN"));
	CHECK(serves(&p, "ALIBABA_CLOUD_ACCESS_KEY_ID"));
	CHECK(p.static_fam[STSENV_FAM_OSS] && !serves(&p, "OSS_SESSION_TOKEN"));
	CHECK(p.adoptable); /* another family still carries a whole credential */
}

/* A long-term key has no token and no expiration: handed down empty, those
 * names are served (a later credential may have them). */
static void test_fields_handed_down_empty(void)
{
	const struct stsenv_snap *s = snap(4, false);
	struct stsenv_policy p;
	struct stsenv_cred c = {"LTAIlongterm12345", "sec", NULL, STSENV_NO_EXPIRY};

	env_clear();
	hand_down(s);
	stsenv_policy_classify(&p, &names, fake_get, false, FP);
	CHECK(serves(&p, "OSS_SESSION_TOKEN") && p.adoptable && !p.handed.token);
	s = stsenv_snap_new(&c, FP, 1, NOW_REAL, 1000, NULL);
	env_clear();
	hand_down(s);
	stsenv_policy_classify(&p, &names, fake_get, false, FP);
	CHECK(serves(&p, "STSENV_EXPIRATION") && p.handed.exp_ms == STSENV_NO_EXPIRY);
}

/* Handed down from another source configuration: stsenv's, so not the
 * user's static key, but not ours to adopt. */
static void test_other_configuration_is_not_adopted(void)
{
	struct stsenv_policy p;

	env_clear();
	hand_down(snap(5, true));
	stsenv_policy_classify(&p, &names, fake_get, false, FP + 1);
	CHECK(!p.adoptable);
	CHECK(!p.static_fam[STSENV_FAM_ALIBABA_CLOUD] && serves(&p, "ALIBABA_CLOUD_ACCESS_KEY_ID"));
}

static int nset, nunset;
static int count_set(const char *n, const char *v, int o)
{
	(void)o;
	if (strcmp(n, "STSENV_TREE") == 0)
		CHECK_STR(v, "v1:1:tree");
	nset++;
	return 0;
}
static int count_unset(const char *n)
{
	(void)n;
	nunset++;
	return 0;
}

static void test_place_only_what_differs(void)
{
	const struct stsenv_snap *s = snap(6, true);
	struct stsenv_policy p;

	env_clear();
	stsenv_policy_classify(&p, &names, fake_get, false, FP);
	nset = nunset = 0;
	stsenv_policy_place(&p, &names, s, "v1:1:tree", fake_get, count_set, count_unset);
	CHECK(nset == 19 && nunset == 0); /* 15 + 2 names, the marker and the tree */
	env_clear();
	hand_down(s);
	env_put("STSENV_TREE", "v1:1:tree");
	stsenv_policy_classify(&p, &names, fake_get, false, FP);
	nset = 0;
	stsenv_policy_place(&p, &names, s, "v1:1:tree", fake_get, count_set, count_unset);
	CHECK(nset == 0 && nunset == 0);
	/* Nothing valid: what was placed is removed. */
	stsenv_policy_place(&p, &names, NULL, NULL, fake_get, count_set, count_unset);
	CHECK(nset == 0 && nunset == nenv); /* all 15, the marker, the tree */
}

/* ---- at exec ------------------------------------------------------------ */

static char **exec_env(char *const *envp, const struct stsenv_snap *cur, const char *tree,
		       int64_t now, size_t max)
{
	static char *out[200], strings[65536];
	struct stsenv_exec_plan plan;

	if (!stsenv_exec_plan(&plan, &names, envp, cur, tree, now, max))
		return NULL;
	CHECK(plan.slots <= 200 && plan.bytes <= sizeof(strings));
	stsenv_exec_fill(&plan, &names, envp, cur, tree, out, strings);
	return out;
}

static const char *in(char **envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp && *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

static int count(char **envp)
{
	int n = 0;

	while (envp && envp[n])
		n++;
	return n;
}

static void test_exec_refreshes_what_stsenv_handed_down(void)
{
	const struct stsenv_snap *old = snap(1, true), *cur = snap(2, true);
	char **out;

	env_clear();
	env_put("PATH", "/bin");
	hand_down(old);
	env_put("STSENV_TREE", "v1:1:old");
	env_put("ZZZ", "last");
	out = exec_env(env, cur, "v1:2:new", NOW_REAL, 1000);
	CHECK(out != NULL);
	CHECK_STR(in(out, "ALIBABA_CLOUD_ACCESS_KEY_ID"), "STS.gen0002");
	CHECK_STR(in(out, "OSS_SESSION_TOKEN"), "token-2");
	CHECK_STR(in(out, "STSENV_HANDOFF"), cur->marker);
	CHECK_STR(in(out, "STSENV_TREE"), "v1:2:new");
	CHECK_STR(in(out, "STSENV_EXPIRATION"), cur->expiration);
	CHECK_STR(out[0], "PATH=/bin");
	CHECK(count(out) == nenv);
	/* Already current: handed on as it is. */
	env_clear();
	hand_down(cur);
	env_put("STSENV_TREE", "v1:2:new");
	CHECK(exec_env(env, cur, "v1:2:new", NOW_REAL, 1000) == NULL);
}

static void test_exec_keeps_what_the_caller_did(void)
{
	const struct stsenv_snap *old = snap(1, true), *cur = snap(2, true);
	char **out;

	/* env ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI... and env -u OSS_SESSION_TOKEN */
	env_clear();
	hand_down(old);
	for (int i = 0; i < nenv; i++) {
		if (strncmp(env[i], "ALIBABA_CLOUD_ACCESS_KEY_ID=", 28) == 0)
			strcpy(env[i] + 28, "LTAIuserStaticKey123");
		if (strncmp(env[i], "OSS_SESSION_TOKEN=", 18) == 0)
			memcpy(env[i], "XSS", 3);
	}
	out = exec_env(env, cur, NULL, NOW_REAL, 1000);
	CHECK(out != NULL);
	CHECK_STR(in(out, "ALIBABA_CLOUD_ACCESS_KEY_ID"), "LTAIuserStaticKey123");
	CHECK_STR(in(out, "ALIBABA_CLOUD_ACCESS_KEY_SECRET"), "secret-2");
	CHECK(in(out, "OSS_SESSION_TOKEN") == NULL);
	CHECK(in(out, "STSENV_TREE") == NULL);

	/* env -i OSS_ACCESS_KEY_ID=LTAImine ...: nothing of ours, nothing added. */
	env_clear();
	env_put("OSS_ACCESS_KEY_ID", "LTAImine");
	env_put("OSS_ACCESS_KEY_SECRET", "mysecret");
	CHECK(exec_env(env, cur, "v1:2:new", NOW_REAL, 1000) == NULL);
	env_clear();
	CHECK(exec_env(env, cur, "v1:2:new", NOW_REAL, 1000) == NULL);
	CHECK(exec_env(NULL, cur, "v1:2:new", NOW_REAL, 1000) == NULL);
}

/* Values a program copied without the marker are ours if they are this
 * process's recent credentials: refreshed, and the marker added. */
static void test_exec_recognises_its_own_values(void)
{
	const struct stsenv_snap *old = snap(1, true);
	struct stsenv_cred c = {"STS.gen0002", "secret-2", "token-2", EXP + 2};
	const struct stsenv_snap *cur = stsenv_snap_new(&c, FP, 2, NOW_REAL, 1000, old);
	char **out;

	env_clear();
	env_put("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.gen0001");
	env_put("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret-1");
	out = exec_env(env, cur, NULL, NOW_REAL, 1000);
	CHECK(out && count(out) == 3);
	CHECK_STR(in(out, "ALIBABA_CLOUD_ACCESS_KEY_ID"), "STS.gen0002");
	CHECK_STR(in(out, "STSENV_HANDOFF"), cur->marker);
}

/* No valid credential: expired values of ours are removed, never handed
 * on; ones that have not expired yet stay. */
static void test_exec_never_hands_on_expired(void)
{
	const struct stsenv_snap *old = snap(1, true);
	char **out;

	env_clear();
	env_put("A", "b");
	hand_down(old);
	env_put("STSENV_TREE", "v1:1:old");
	CHECK(exec_env(env, NULL, NULL, EXP - 1, 1000) == NULL);
	out = exec_env(env, NULL, NULL, EXP + 1, 1000);
	CHECK(out && count(out) == 2);
	CHECK_STR(in(out, "A"), "b");
	CHECK_STR(in(out, "STSENV_TREE"), "v1:1:old");
}

static void test_exec_bounds(void)
{
	const struct stsenv_snap *old = snap(1, true), *cur = snap(2, true);
	struct stsenv_exec_plan plan;
	char *out[200], strings[65536];

	env_clear();
	hand_down(old);
	CHECK(exec_env(env, cur, NULL, NOW_REAL, (size_t)nenv - 1) == NULL);
	CHECK(exec_env(env, cur, NULL, NOW_REAL, (size_t)nenv) != NULL);
	/* The host changes the environment between plan and fill: never
	 * more than planned is written. */
	env_clear();
	env_put("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.gen0001");
	env_put("OSS_SESSION_TOKEN", "user-token");
	env_put("STSENV_HANDOFF", old->marker);
	CHECK(stsenv_exec_plan(&plan, &names, env, cur, NULL, NOW_REAL, 1000));
	strcpy(env[1] + 18, "token-1");
	memset(strings, 'Z', sizeof(strings));
	stsenv_exec_fill(&plan, &names, env, cur, NULL, out, strings);
	CHECK(strings[plan.bytes] == 'Z');
	CHECK(count(out) <= (int)plan.slots - 1);
}

int main(void)
{
	struct stsenv_err err;

	stsenv_names_init(&names, "MY_AK=id,MY_SK=secret", &err);
	RUN(test_marker_round_trip);
	RUN(test_marker_refuses_edits_and_garbage);
	RUN(test_marker_vouches_per_value);
	RUN(test_root_serves_every_family);
	RUN(test_static_key_leaves_its_family_alone);
	RUN(test_user_var_key_is_its_own_family);
	RUN(test_member_serves_what_was_handed_down);
	RUN(test_fields_handed_down_empty);
	RUN(test_other_configuration_is_not_adopted);
	RUN(test_place_only_what_differs);
	RUN(test_exec_refreshes_what_stsenv_handed_down);
	RUN(test_exec_keeps_what_the_caller_did);
	RUN(test_exec_recognises_its_own_values);
	RUN(test_exec_never_hands_on_expired);
	RUN(test_exec_bounds);
	env_clear();
	UNIT_EXIT();
}
