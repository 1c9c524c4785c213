/* core/delivery.c: the edits that give a child the tree's endpoint or the
 * variables, and the environment as it was for selection. */
#include "../../core/delivery.h"
#include "../../core/timeutil.h"
#include "unit.h"

#include <stdlib.h>

#define EP  "http://127.0.0.1:4000/0123456789abcdef0123456789abcdef"
#define SRC "http://100.100.100.200/credentials?x=1"

/* A small environment of NAME=value strings that edits apply to. */
struct env {
	const char *name[16];
	char *value[16];
	int n;
};

static const char *look(void *ctx, const char *name)
{
	struct env *e = ctx;

	for (int i = 0; i < e->n; i++)
		if (strcmp(e->name[i], name) == 0)
			return e->value[i];
	return NULL;
}

static void set(struct env *e, const char *name, const char *value)
{
	for (int i = 0; i < e->n; i++)
		if (strcmp(e->name[i], name) == 0) {
			free(e->value[i]);
			if (value) {
				e->value[i] = strdup(value);
			} else {
				e->name[i] = e->name[e->n - 1];
				e->value[i] = e->value[--e->n];
			}
			return;
		}
	if (value) {
		e->name[e->n] = name;
		e->value[e->n++] = strdup(value);
	}
}

static int apply(struct env *e, int mode, const struct stsenv_snap *cur, const char *src)
{
	struct stsenv_edit ed[STSENV_DELIVERY_EDITS];
	static char buf[1024];
	int n = stsenv_delivery_edits(mode, look, e, cur, EP, src, ed, buf, sizeof(buf));
	char copy[STSENV_DELIVERY_EDITS][1024];

	/* The values may point into e: copy them before changing it. */
	for (int i = 0; i < n; i++)
		if (ed[i].value)
			snprintf(copy[i], sizeof(copy[i]), "%s", ed[i].value);
	for (int i = 0; i < n; i++)
		set(e, ed[i].name, ed[i].value ? copy[i] : NULL);
	return n;
}

static const struct stsenv_snap *cred(void)
{
	static const struct stsenv_snap *s;
	struct stsenv_cred c = {"STS.id1", "secret1", "token1", 2000000000000LL};

	if (!s)
		s = stsenv_snap_new(&c, 7, 1, 1000, 1000, NULL);
	return s;
}

static void clear(struct env *e)
{
	for (int i = 0; i < e->n; i++)
		free(e->value[i]);
	memset(e, 0, sizeof(*e));
}

static void tree_env(struct env *e, const char *uri)
{
	clear(e);
	set(e, "ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.id1");
	set(e, "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret1");
	set(e, "ALIBABA_CLOUD_SECURITY_TOKEN", "token1");
	set(e, "OSS_ACCESS_KEY_ID", "STS.id1");
	if (uri)
		set(e, STSENV_URI_VAR, uri);
}

static void test_uri_replaces_source_and_withholds_triple(void)
{
	struct env e = {0};
	struct stsenv_delivery d;

	tree_env(&e, SRC);
	CHECK(apply(&e, STSENV_DELIVER_URI, cred(), SRC) > 0);
	CHECK_STR(look(&e, STSENV_URI_VAR), EP);
	CHECK(!look(&e, "ALIBABA_CLOUD_ACCESS_KEY_ID") &&
	      !look(&e, "ALIBABA_CLOUD_SECURITY_TOKEN"));
	CHECK_STR(look(&e, "OSS_ACCESS_KEY_ID"), "STS.id1"); /* other families stay */
	CHECK_STR(look(&e, STSENV_ECS_OFF_VAR), "true");
	stsenv_delivery_read(&d, look, &e);
	CHECK(d.present && d.ours && d.withheld && d.ecs_added);
	CHECK(d.orig && strcmp(d.orig, SRC) == 0);
	/* Again: nothing changes. */
	CHECK(apply(&e, STSENV_DELIVER_URI, cred(), SRC) == 0);
	/* And back to variables for a child that reads them. */
	CHECK(apply(&e, STSENV_DELIVER_ENV, cred(), SRC) > 0);
	CHECK_STR(look(&e, STSENV_URI_VAR), SRC);
	CHECK_STR(look(&e, "ALIBABA_CLOUD_ACCESS_KEY_ID"), "STS.id1");
	CHECK_STR(look(&e, "ALIBABA_CLOUD_SECURITY_TOKEN"), "token1");
	CHECK(!look(&e, STSENV_ECS_OFF_VAR) && !look(&e, STSENV_DELIVERY_VAR));
	clear(&e);
}

static void test_no_uri_before(void)
{
	struct env e = {0};

	tree_env(&e, NULL);
	CHECK(apply(&e, STSENV_DELIVER_URI, cred(), NULL) > 0);
	CHECK_STR(look(&e, STSENV_URI_VAR), EP);
	CHECK(apply(&e, STSENV_DELIVER_ENV, cred(), NULL) > 0);
	CHECK(!look(&e, STSENV_URI_VAR));
	clear(&e);
}

static void test_users_own_word(void)
{
	struct env e = {0};
	struct stsenv_delivery d;

	/* A URI the user set for this program stays, and no triple of ours
	 * shadows it. */
	tree_env(&e, "http://127.0.0.1:9/mine");
	CHECK(apply(&e, STSENV_DELIVER_URI, cred(), SRC) > 0);
	CHECK_STR(look(&e, STSENV_URI_VAR), "http://127.0.0.1:9/mine");
	CHECK(!look(&e, "ALIBABA_CLOUD_ACCESS_KEY_ID") && !look(&e, STSENV_ECS_OFF_VAR));
	/* The user's metadata settings stay theirs. */
	tree_env(&e, SRC);
	set(&e, STSENV_ECS_ROLE_VAR, "my-role");
	apply(&e, STSENV_DELIVER_URI, cred(), SRC);
	CHECK(!look(&e, STSENV_ECS_OFF_VAR));
	/* A program that changes the URI after the delivery owns it: the
	 * record no longer holds. */
	tree_env(&e, SRC);
	apply(&e, STSENV_DELIVER_URI, cred(), SRC);
	set(&e, STSENV_URI_VAR, "http://127.0.0.1:9/changed");
	stsenv_delivery_read(&d, look, &e);
	CHECK(!d.present);
	/* A static key of the user's is their word: the chain takes it, as
	 * without stsenv; no endpoint of ours is put before it. */
	tree_env(&e, SRC);
	set(&e, "ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIuser");
	set(&e, "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "usersecret");
	set(&e, "ALIBABA_CLOUD_SECURITY_TOKEN", NULL);
	CHECK(apply(&e, STSENV_DELIVER_URI, cred(), SRC) == 0);
	CHECK_STR(look(&e, "ALIBABA_CLOUD_ACCESS_KEY_ID"), "LTAIuser");
	CHECK_STR(look(&e, STSENV_URI_VAR), SRC);
	clear(&e);
}

static void test_nothing_of_ours(void)
{
	struct env e = {0};

	set(&e, "PATH", "/bin");
	CHECK(apply(&e, STSENV_DELIVER_URI, cred(), SRC) == 0);
	CHECK(apply(&e, STSENV_DELIVER_ENV, cred(), SRC) == 0);
	tree_env(&e, SRC);
	CHECK(apply(&e, STSENV_DELIVER_ENV, cred(), SRC) == 0); /* variables already */
	clear(&e);
}

static void test_both(void)
{
	struct env e = {0};

	tree_env(&e, SRC);
	CHECK(apply(&e, STSENV_DELIVER_BOTH, cred(), SRC) > 0);
	CHECK_STR(look(&e, STSENV_URI_VAR), EP);
	CHECK_STR(look(&e, "ALIBABA_CLOUD_ACCESS_KEY_ID"), "STS.id1");
	/* uri, then both: the withheld triple comes back. */
	tree_env(&e, SRC);
	apply(&e, STSENV_DELIVER_URI, cred(), SRC);
	apply(&e, STSENV_DELIVER_BOTH, cred(), SRC);
	CHECK_STR(look(&e, "ALIBABA_CLOUD_SECURITY_TOKEN"), "token1");
	CHECK_STR(look(&e, STSENV_URI_VAR), EP);
	clear(&e);
}

static struct env *genv;
static char *env_get(const char *name)
{
	return (char *)look(genv, name);
}

static void test_selection_sees_the_original(void)
{
	struct env e = {0};

	tree_env(&e, SRC);
	apply(&e, STSENV_DELIVER_URI, cred(), SRC);
	genv = &e;
	stsenv_delivery_use(env_get);
	CHECK_STR(stsenv_delivery_getenv(STSENV_URI_VAR), SRC);
	CHECK(stsenv_delivery_getenv(STSENV_ECS_OFF_VAR) == NULL);
	CHECK_STR(stsenv_delivery_getenv("OSS_ACCESS_KEY_ID"), "STS.id1");
	/* The user's own setting of the switch is theirs. */
	tree_env(&e, SRC);
	set(&e, STSENV_ECS_OFF_VAR, "true");
	apply(&e, STSENV_DELIVER_URI, cred(), SRC);
	CHECK_STR(stsenv_delivery_getenv(STSENV_ECS_OFF_VAR), "true");
	clear(&e);
}

static void test_modes_parse(void)
{
	CHECK(stsenv_deliver_parse("URI") == STSENV_DELIVER_URI);
	CHECK(stsenv_deliver_parse("env") == STSENV_DELIVER_ENV);
	CHECK(stsenv_deliver_parse("both") == STSENV_DELIVER_BOTH);
	CHECK(stsenv_deliver_parse("auto") == STSENV_DELIVER_AUTO);
	CHECK(stsenv_deliver_parse("x") < 0 && stsenv_deliver_parse(NULL) < 0);
	CHECK_STR(stsenv_deliver_name(STSENV_DELIVER_BOTH), "both");
}

int main(void)
{
	RUN(test_uri_replaces_source_and_withholds_triple);
	RUN(test_no_uri_before);
	RUN(test_users_own_word);
	RUN(test_nothing_of_ours);
	RUN(test_both);
	RUN(test_selection_sees_the_original);
	RUN(test_modes_parse);
	UNIT_EXIT();
}
